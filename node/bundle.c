/*
 * bundle.c -- see bundle.h. Three parts: the codec (head, frames through
 * node/store.h's framing, end), making a bundle from a repo (which edits
 * go in), and applying one (the ingest rules of a peer's EDITS, §12.6).
 *
 * Applying mirrors s_ingest in node/node.c step by step; what differs is
 * only what a session keeps and a file does not need: the list of recently
 * refused ids (a bundle is read once), bans (nobody to ban), and pushes
 * that skip the sender (there is none: the listener pushes every new edit
 * to every connected peer).
 */
#include "node/bundle.h"

#include "node/file.h"
#include "node/members.h"
#include "proto/edit.h"
#include "proto/err.h"
#include "proto/value.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---------------------------------------------------------------- codec */

void bundle_head(buf_t *out, const uint8_t mesh[32])
{
    uint8_t h[BUNDLE_HEAD_LEN];
    memcpy(h, BUNDLE_MAGIC, 8);
    memcpy(h + 8, mesh, 32);
    le32_store(h + 40, store_crc32c(h, 40));
    buf_append(out, h, sizeof h);
}

void bundle_put(buf_t *out, const uint8_t *edit, size_t len)
{
    store_frame_append(out, edit, len);
}

void bundle_end(buf_t *out, const uint8_t mesh[32], uint64_t count, uint64_t made_ms)
{
    uint8_t e[BUNDLE_END_LEN];
    memcpy(e, BUNDLE_END_TAG, 8);
    memcpy(e + 8, mesh, 32);
    le64_store(e + 40, count);
    le64_store(e + 48, made_ms);
    store_frame_append(out, e, sizeof e);
}

static void s_damage(bundle_t *b, uint64_t from, uint64_t to)
{
    if (to <= from)
        return;
    if (b->ndamage && b->damage[b->ndamage - 1].to == from) {
        b->damage[b->ndamage - 1].to = to; /* one range, not two */
    } else {
        b->damage = xrealloc(b->damage, (b->ndamage + 1) * sizeof *b->damage);
        b->damage[b->ndamage++] = (bundle_damage_t){from, to};
    }
    b->damaged_bytes += to - from;
}

int bundle_read(const uint8_t *data, size_t len, bundle_t *out, char **cause)
{
    memset(out, 0, sizeof *out);
    bool magic = len >= 8 && memcmp(data, BUNDLE_MAGIC, 8) == 0;
    out->head_ok = len >= BUNDLE_HEAD_LEN && magic &&
                   store_crc32c(data, 40) == le32_load(data + 40);
    if (out->head_ok) {
        memcpy(out->mesh, data + 8, 32);
        out->have_mesh = true;
    }
    if (!magic && len >= 8 && memcmp(data, "BUURTLG1", 8) == 0)
        return bu_fail(cause, BU_EINVAL, "this is a node's edit log (store/edits.log), not a "
                                         "bundle; make one with buurt bundle create");
    size_t pos = out->head_ok ? BUNDLE_HEAD_LEN : 0, cap = 0;
    size_t first = store_frame_next(data, len, pos);
    if (!out->head_ok && first == len)
        return bu_fail(cause, BU_EINVAL, "not a buurt bundle: it does not start with %s and "
                                         "holds no edit frame", BUNDLE_MAGIC);
    while (pos < len) {
        size_t n = store_frame_at(data + pos, len - pos);
        if (n == 0) {
            size_t next = store_frame_next(data, len, pos + 1);
            s_damage(out, pos, next);
            pos = next;
            continue;
        }
        const uint8_t *p = data + pos + STORE_FRAME_HDR;
        if (n == BUNDLE_END_LEN && memcmp(p, BUNDLE_END_TAG, 8) == 0) {
            if (!out->have_mesh) {
                memcpy(out->mesh, p + 8, 32);
                out->have_mesh = true;
            }
            out->ended = true;
            out->declared = le64_load(p + 40);
            out->made_ms = le64_load(p + 48);
        } else {
            if (out->nitems == cap) {
                cap = cap ? cap * 2 : 256;
                out->items = xrealloc(out->items, cap * sizeof *out->items);
            }
            out->items[out->nitems++] = (bundle_item_t){pos, p, n};
        }
        pos += STORE_FRAME_HDR + n;
    }
    return 0;
}

void bundle_clear(bundle_t *b)
{
    free(b->items);
    free(b->damage);
    memset(b, 0, sizeof *b);
}

/* ---------------------------------------------------------------- making */

enum {
    S_WHOLE = 1, /* every edit of the record goes in */
    S_NEW = 2,   /* its edits that pass the since filter go in */
    S_HAS = 4,   /* at least one of its edits goes in */
};

typedef struct {
    repo_t *r;
    const bundle_sel_t *sel;
    uint8_t *fl;           /* per entity position: S_* */
    bool emit;             /* second pass: write */
    buf_t certs, rest;     /* certificates first, then the rest */
    bundle_made_t *st;
} s_make_t;

static bool s_since(const s_make_t *m, size_t i, uint64_t hlc)
{
    return i >= m->sel->since_pos && (m->sel->since_ms == 0 || hlc_ms(hlc) >= m->sel->since_ms);
}

static int s_make_one(void *ctx, size_t i, const uint8_t *data, size_t len)
{
    s_make_t *m = ctx;
    edit_head_t h;
    if (edit_peek(data, len, &h) < 0)
        return 0; /* not an edit this node could pass on */
    long e = repo_entity_index(m->r, h.entity);
    if (repo_is_held(m->r, i) || e < 0) {
        if (m->emit && repo_is_held(m->r, i))
            m->st->held++;
        return 0;
    }
    uint8_t f = m->fl[e];
    bool in = (f & S_WHOLE) || ((f & S_NEW) && s_since(m, i, h.hlc));
    if (!in)
        return 0;
    if (!m->emit) {
        m->fl[e] |= S_HAS;
        return 0;
    }
    if (h.kind == REC_MEMBER) {
        bundle_put(&m->certs, data, len);
        m->st->certs++;
    } else {
        bundle_put(&m->rest, data, len);
    }
    m->st->edits++;
    return 0;
}

/* True when the record at e belongs in an --area bundle by itself. */
static bool s_in_area(repo_t *r, size_t e, const char *area)
{
    const entity_t *st = repo_entity_peek(r, e);
    if (!st || !st->fields)
        return false;
    const char *a = pv_get_str(st->fields, "area");
    if (a)
        return strcasecmp(a, area) == 0;
    return st->kind == REC_BULLETIN; /* a bulletin without an area is for all */
}

/* Marks whole the records that e's fields name and authorisation reads,
 * queueing each newly marked one to be followed in turn. */
static void s_refs(repo_t *r, uint8_t *fl, size_t e, size_t *todo, size_t *ntodo)
{
    static const char *const names[] = {"coalition", "claimed_by", "provider"};
    const entity_t *st = repo_entity_peek(r, e);
    if (!st || !st->fields)
        return;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const char *hex = pv_get_str(st->fields, names[k]);
        uint8_t id[32];
        if (!hex || hex_decode(hex, id, 32) < 0)
            continue;
        long x = repo_entity_index(r, id);
        if (x >= 0 && !(fl[x] & S_WHOLE)) {
            fl[x] |= S_WHOLE | S_HAS;
            todo[(*ntodo)++] = (size_t)x;
        }
    }
}

int bundle_make(repo_t *r, const bundle_sel_t *sel, uint64_t made_ms, buf_t *out,
                bundle_made_t *st, char **cause)
{
    memset(st, 0, sizeof *st);
    const uint8_t *mesh = repo_mesh(r);
    if (!mesh)
        return bu_fail(cause, BU_EPERM, "this node is in no mesh: a bundle carries a mesh's "
                                        "edits (buurt mesh create or mesh join first)");
    size_t ne = repo_entity_count(r);
    s_make_t m = {.r = r, .sel = sel, .fl = xcalloc(ne ? ne : 1, 1), .st = st};
    for (size_t e = 0; e < ne; e++) {
        rec_kind_t k = repo_entity_kind(r, e);
        if (k == REC_MEMBER || k == REC_MESH || k == REC_KEYS)
            m.fl[e] = S_WHOLE | S_HAS;
        else if (!sel->area || s_in_area(r, e, sel->area))
            m.fl[e] = S_NEW;
    }
    /* an offer without an area of its own goes with its provider */
    for (size_t e = 0; sel->area && e < ne; e++) {
        if (m.fl[e] || repo_entity_kind(r, e) != REC_OFFER)
            continue;
        const entity_t *o = repo_entity_peek(r, e);
        const char *hex = o && o->fields ? pv_get_str(o->fields, "provider") : NULL;
        uint8_t id[32];
        long p = hex && !pv_get_str(o->fields, "area") && hex_decode(hex, id, 32) == 0
                     ? repo_entity_index(r, id)
                     : -1;
        if (p >= 0 && (m.fl[p] & S_NEW))
            m.fl[e] = S_NEW;
    }
    /* pass 1: which records have an edit in the bundle */
    int rc = repo_scan(r, s_make_one, &m, cause);
    if (rc < 0)
        goto done;
    /* what those records name, whole, and what that names in turn */
    size_t *todo = xmalloc((ne ? ne : 1) * sizeof *todo), ntodo = 0;
    for (size_t e = 0; e < ne; e++)
        if ((m.fl[e] & S_HAS) && !(m.fl[e] & S_WHOLE))
            s_refs(r, m.fl, e, todo, &ntodo);
    while (ntodo > 0)
        s_refs(r, m.fl, todo[--ntodo], todo, &ntodo);
    free(todo);
    for (size_t e = 0; e < ne; e++)
        st->records += (m.fl[e] & S_HAS) != 0;
    /* pass 2: write */
    m.emit = true;
    rc = repo_scan(r, s_make_one, &m, cause);
    if (rc < 0)
        goto done;
    bundle_head(out, mesh);
    if (m.certs.len)
        buf_append(out, m.certs.data, m.certs.len);
    if (m.rest.len)
        buf_append(out, m.rest.data, m.rest.len);
    bundle_end(out, mesh, st->edits, made_ms);
done:
    buf_free(&m.certs);
    buf_free(&m.rest);
    free(m.fl);
    return rc;
}

/* ---------------------------------------------------------------- applying */

typedef struct {
    repo_t *r;
    bundle_result_t *res;
    quota_limits_t lim;
} s_apply_t;

static void s_reject(s_apply_t *a, const bundle_item_t *it, const uint8_t id[32], int kind,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void s_reject(s_apply_t *a, const bundle_item_t *it, const uint8_t id[32], int kind,
                     const char *fmt, ...)
{
    bundle_result_t *res = a->res;
    res->rejected++;
    if (res->nrej >= BUNDLE_REJECTS_KEPT)
        return;
    res->rej = xrealloc(res->rej, (res->nrej + 1) * sizeof *res->rej);
    bundle_reject_t *x = &res->rej[res->nrej++];
    x->off = it->off;
    memcpy(x->id, id, 32);
    x->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->why, sizeof x->why, fmt, ap);
    va_end(ap);
}

static void s_fmt_ms(uint64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M UTC", &tm);
}

/*
 * Step one of an edit (s_ingest pass 1): known or purged ones are counted
 * and skipped (0); one over its author's quota by its envelope, or that
 * does not decode and verify, is rejected (0); otherwise *x is filled and
 * 1 returned.
 */
static int s_check(s_apply_t *a, const bundle_item_t *it, repo_in_t *x)
{
    store_hash(it->data, it->len, x->id);
    if (repo_find_record(a->r, x->id) >= 0 || repo_is_purged(a->r, x->id)) {
        a->res->known++;
        return 0;
    }
    edit_head_t head;
    bool peeked = edit_peek(it->data, it->len, &head) == 0;
    if (peeked && !repo_quota_allows(a->r, &a->lim, head.author, head.hlc)) {
        s_reject(a, it, x->id, (int)head.kind,
                 "its author is over the mesh's quota (%u edits per hour of its clock, %u in all)",
                 a->lim.per_hour, a->lim.total);
        return 0;
    }
    edit_t *e = NULL;
    char *cause = NULL;
    if (edit_decode_id(it->data, it->len, EDIT_VERIFY, x->id, &e, &cause) < 0) {
        s_reject(a, it, x->id, peeked ? (int)head.kind : -1, "%s", cause ? cause : "invalid edit");
        free(cause);
        return 0;
    }
    x->data = it->data;
    x->len = it->len;
    x->head = (edit_head_t){.kind = e->kind, .hlc = e->hlc};
    memcpy(x->head.entity, e->entity, 32);
    memcpy(x->head.author, e->author, 32);
    edit_free(&e);
    return 1;
}

/* Stores n checked edits with one fsync and counts what became of each
 * (s_ingest's pass 2 after the membership check). */
static int s_store(s_apply_t *a, const repo_in_t *in, const bundle_item_t *const *its, size_t n,
                   char **cause)
{
    if (n == 0)
        return 0;
    uint8_t *fate = xcalloc(n, 1);
    int rc = repo_ingest_checked(a->r, in, n, fate, cause);
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        int kind = (int)in[i].head.kind;
        switch (fate[i]) {
        case REPO_ADDED: a->res->added++; break;
        case REPO_HELD: a->res->held++; break;
        case REPO_KNOWN: a->res->known++; break; /* the same edit twice in the bundle */
        case REPO_QUOTA:
            s_reject(a, its[i], in[i].id, kind,
                     "its author is over the mesh's quota (%u edits per hour of its clock, %u in "
                     "all)", a->lim.per_hour, a->lim.total);
            break;
        case REPO_VOID: s_reject(a, its[i], in[i].id, kind, "an admin declared it void"); break;
        default:
            s_reject(a, its[i], in[i].id, kind,
                     "dated more than %d min ahead of this node's clock, and this node already "
                     "holds as many such edits as it keeps", HLC_MAX_SKEW_MS / 60000);
            break;
        }
    }
    free(fate);
    return rc < 0 ? rc : 0;
}

int bundle_apply(repo_t *r, const bundle_t *b, bundle_result_t *res, char **cause)
{
    memset(res, 0, sizeof *res);
    const uint8_t *mesh = repo_mesh(r);
    char mine[65], theirs[65];
    if (!b->have_mesh)
        return bu_fail(cause, BU_EPERM, "the bundle's head and end are both damaged, so it does "
                                        "not say which mesh it is from; nothing was applied");
    hex_encode(b->mesh, 32, theirs);
    if (!mesh)
        return bu_fail(cause, BU_EPERM, "this node is in no mesh; the bundle is of mesh %s: join "
                                        "it first (buurt mesh join %s), then apply the bundle",
                       theirs, theirs);
    hex_encode(mesh, 32, mine);
    if (memcmp(mesh, b->mesh, 32) != 0)
        return bu_fail(cause, BU_EPERM, "this bundle is from another mesh (%.10s), not this "
                                        "node's (%.10s); nothing was applied", theirs, mine);
    s_apply_t a = {.r = r, .res = res};
    repo_quota_limits(r, &a.lim);
    res->edits = b->nitems;
    size_t cap = b->nitems < BUNDLE_BATCH ? b->nitems : BUNDLE_BATCH;
    repo_in_t *in = xcalloc(cap ? cap : 1, sizeof *in);
    const bundle_item_t **its = xcalloc(cap ? cap : 1, sizeof *its);
    bool *done = xcalloc(b->nitems ? b->nitems : 1, sizeof *done);
    int rc = 0;
    /* certificates first: they decide whose other edits count */
    size_t k = 0;
    for (size_t i = 0; i < b->nitems && rc == 0; i++) {
        edit_head_t h;
        const bundle_item_t *it = &b->items[i];
        if (edit_peek(it->data, it->len, &h) < 0 || h.kind != REC_MEMBER)
            continue;
        done[i] = true;
        if (s_check(&a, it, &in[k]) == 1)
            its[k++] = it;
        if (k == cap) {
            rc = s_store(&a, in, its, k, cause);
            k = 0;
        }
    }
    if (rc == 0)
        rc = s_store(&a, in, its, k, cause);
    /* then the rest, by the membership those make */
    k = 0;
    repo_quota_limits(r, &a.lim); /* mesh settings may have come too */
    for (size_t i = 0; i < b->nitems && rc == 0; i++) {
        if (done[i])
            continue;
        const bundle_item_t *it = &b->items[i];
        if (s_check(&a, it, &in[k]) != 1)
            continue;
        const members_t *mem = repo_members(r);
        const edit_head_t *h = &in[k].head;
        if (h->kind != REC_MEMBER && mem && members_role_at(mem, h->author, h->hlc) < 0) {
            char au[65], t[32];
            hex_encode(h->author, 32, au);
            s_fmt_ms(hlc_ms(h->hlc), t, sizeof t);
            s_reject(&a, it, in[k].id, (int)h->kind,
                     "its author %.10s was not a member of this mesh at the edit's clock (%s)",
                     au, t);
            continue;
        }
        its[k++] = it;
        if (k == cap) {
            rc = s_store(&a, in, its, k, cause);
            k = 0;
        }
    }
    if (rc == 0)
        rc = s_store(&a, in, its, k, cause);
    free(done);
    free(its);
    free(in);
    return rc;
}

void bundle_result_clear(bundle_result_t *res)
{
    free(res->rej);
    memset(res, 0, sizeof *res);
}

/* ---------------------------------------------------------------- the mark */

#define S_MARK_MAX 4096

static char *s_mark_path(const char *home)
{
    return xasprintf("%s/bundled", home);
}

void bundle_mark_load(const char *home, bundle_mark_t *m)
{
    memset(m, 0, sizeof *m);
    char *path = s_mark_path(home), *text = NULL, hex[65];
    size_t len = 0;
    if (file_read(path, S_MARK_MAX, &text, &len, NULL) == 0) {
        bundle_mark_t x = {0};
        if (sscanf(text, "buurt-bundled 1\nlast %" SCNu64 " %" SCNu64 " %64s", &x.ms, &x.count,
                   hex) == 3 &&
            hex_decode(hex, x.rec, 32) == 0)
            *m = x;
    }
    free(text);
    free(path);
}

int bundle_mark_save(const char *home, const bundle_mark_t *m, char **cause)
{
    char hex[65];
    hex_encode(m->rec, 32, hex);
    char *text = xasprintf("buurt-bundled 1\nlast %" PRIu64 " %" PRIu64 " %s\n", m->ms, m->count,
                           hex);
    char *path = s_mark_path(home);
    int rc = file_write_atomic(path, text, strlen(text), 0600, cause);
    free(path);
    free(text);
    return rc;
}

void bundle_mark_now(const repo_t *r, uint64_t ms, bundle_mark_t *m)
{
    memset(m, 0, sizeof *m);
    m->ms = ms;
    m->count = repo_edit_count(r);
    if (m->count)
        memcpy(m->rec, repo_record_id(r, (size_t)m->count - 1), 32);
}

size_t bundle_mark_pos(const repo_t *r, const bundle_mark_t *m, bool *lost)
{
    *lost = false;
    if (m->ms == 0 || m->count == 0)
        return 0;
    long at = repo_find_record(r, m->rec);
    if (at >= 0)
        return (size_t)at + 1;
    *lost = true;
    return 0;
}
