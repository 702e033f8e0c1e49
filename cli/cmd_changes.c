/*
 * cmd_changes.c -- what changed while a node was away, and which of its
 * own edits lost: `buurt changes`, `buurt conflicts`, and the digest that
 * `sync --wait` prints (it runs `changes --digest` through buurtd).
 *
 * The store is in arrival order, so "what arrived since" is a position in
 * it: the mark buurtd keeps in <home>/synced (node/syncmark.h), an edit id,
 * or the first edit made (by its clock) at or after a time. For each
 * record touched after that position, its state then (repo_merge_before)
 * is compared with its state now, field by field, naming who set each new
 * value.
 *
 * A conflict: this node set a field, and another author's edit, made
 * before this node's edit had reached the mesh (syncmark_delivered) and
 * arriving after it, now holds that field with another value. The merge
 * rule stays as it is; this only tells. A conflict ends when this node
 * sets the field again (`conflicts keep-mine`, or any edit) or accepts the
 * other value (`conflicts accept`, kept in <home>/conflicts.accepted).
 */
#include "cli/cli.h"
#include "node/file.h"
#include "node/members.h"
#include "node/query.h"
#include "node/syncmark.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define CHANGES_SHOW_DEFAULT 50 /* records printed in full unless --all */
#define DIGEST_SHOW 5           /* records named in the digest of sync */
#define ACCEPTED_MAX (1024 * 1024)

/* The record kinds people read (members, settings and keys are not). */
static bool s_shown_kind(rec_kind_t k)
{
    return k == REC_PLACE || k == REC_NEED || k == REC_OFFER || k == REC_COALITION ||
           k == REC_BULLETIN;
}

/* ---------------------------------------------------------------- conflicts */

typedef struct {
    uint8_t entity[32];
    char field[64];
    const edit_t *mine, *theirs; /* borrowed from the history */
} conflict_t;

/* Lines "ENTITY-HEX FIELD WINNER-EDIT-HEX" of accepted conflicts. */
static char *s_accepted(const char *home)
{
    char path[4096], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/conflicts.accepted", home);
    if (file_read(path, ACCEPTED_MAX, &text, &len, NULL) < 0)
        return NULL;
    return text;
}

static bool s_is_accepted(const char *accepted, const uint8_t entity[32], const char *field,
                          const uint8_t winner[32])
{
    if (!accepted)
        return false;
    char e[65], w[65], line[200];
    hex_encode(entity, 32, e);
    hex_encode(winner, 32, w);
    snprintf(line, sizeof line, "%s %s %s\n", e, field, w);
    return strstr(accepted, line) != NULL;
}

/*
 * The conflicts of one entity, from its history in merge order with
 * verdicts: calls fn for each. For each field, the last applied edit that
 * set it (the winner) is compared with this node's last applied edit that
 * set it before.
 */
typedef void conflict_fn(void *ctx, const conflict_t *k);

static void s_entity_conflicts(repo_t *r, const syncmark_t *m, const char *accepted,
                               edit_t **h, const uint8_t *verdicts, size_t n, conflict_fn *fn,
                               void *ctx)
{
    const uint8_t *me = repo_key(r)->pk;
    bool mine_any = false;
    for (size_t i = 0; i < n && !mine_any; i++)
        mine_any = verdicts[i] == MERGE_APPLIED && memcmp(h[i]->author, me, 32) == 0;
    if (!mine_any)
        return;
    /* every field any applied edit set */
    for (size_t i = 0; i < n; i++) {
        if (verdicts[i] != MERGE_APPLIED)
            continue;
        const pv_t *f = h[i]->fields;
        for (size_t k = 0; f && f->type == PV_MAP && k < f->u.m.n; k++) {
            const char *name = f->u.m.keys[k];
            /* handle each field once: at its first setter */
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = verdicts[j] == MERGE_APPLIED && pv_map_get(h[j]->fields, name) != NULL;
            size_t nl = strlen(name);
            if (seen || (nl > 3 && strcmp(name + nl - 3, "_at") == 0))
                continue; /* a time that goes with another field (status_at) */
            long win = -1, mine = -1;
            for (size_t j = 0; j < n; j++) {
                if (verdicts[j] != MERGE_APPLIED || pv_map_get(h[j]->fields, name) == NULL)
                    continue;
                win = (long)j;
                if (memcmp(h[j]->author, me, 32) == 0)
                    mine = (long)j;
            }
            if (mine < 0 || win == mine)
                continue;
            const edit_t *w = h[win], *o = h[mine];
            if (memcmp(w->author, me, 32) == 0)
                continue;
            long wi = repo_find_record(r, w->id), oi = repo_find_record(r, o->id);
            if (wi < oi || oi < 0)
                continue; /* it was here before this node's edit: an informed choice */
            if (hlc_ms(w->hlc) >= syncmark_delivered(m, hlc_ms(o->hlc), (size_t)oi))
                continue; /* made after this node's edit reached the mesh */
            if (pv_equal(pv_map_get(w->fields, name), pv_map_get(o->fields, name)))
                continue;
            if (s_is_accepted(accepted, w->entity, name, w->id))
                continue;
            conflict_t c = {.mine = o, .theirs = w};
            memcpy(c.entity, w->entity, 32);
            snprintf(c.field, sizeof c.field, "%s", name);
            fn(ctx, &c);
        }
    }
}

/* ---------------------------------------------------------------- output */

static void s_value_text(const pv_t *v, buf_t *out)
{
    if (!v || v->type == PV_NIL) {
        buf_printf(out, "(unset)");
    } else if (v->type == PV_STR) {
        text_escape(out, v->u.s.p);
    } else if (v->type == PV_ARR) {
        char s[512];
        cli_join(v, s, sizeof s);
        text_escape(out, s);
    } else {
        pv_to_json(v, out);
    }
}

static void s_value_json(const pv_t *v, buf_t *out)
{
    if (!v)
        buf_printf(out, "null");
    else
        pv_to_json(v, out);
}

/* One record in the window: its state then and now, and who set what. */
typedef struct {
    cli_t *c;
    repo_t *r;
    const syncmark_t *marks;
    const char *accepted;
    size_t pos;       /* window start */
    bool json, digest;
    size_t shown, limit;
    size_t n_new, n_changed, n_deleted, n_conflicts, n_records;
    buf_t *out;       /* JSON records, or text */
    bool first;       /* first JSON record */
} chg_t;

typedef struct {
    chg_t *g;
    size_t found;
} conf_ctx_t;

static void s_conf_text(chg_t *g, const conflict_t *k, const char *indent)
{
    char who[160], when[24];
    cli_node_name(g->r, k->theirs->author, who, sizeof who);
    cli_fmt_time(hlc_ms(k->mine->hlc), when, sizeof when);
    buf_printf(g->out, "%sCONFLICT %s: your ", indent, k->field);
    s_value_text(pv_map_get(k->mine->fields, k->field), g->out);
    buf_printf(g->out, " (%s) lost to ", when);
    s_value_text(pv_map_get(k->theirs->fields, k->field), g->out);
    buf_printf(g->out, " by ");
    text_escape(g->out, who);
    buf_printf(g->out, "\n");
}

static void s_conf_json(buf_t *b, repo_t *r, const conflict_t *k)
{
    char e[65], who[160], ws[65], ms[65];
    hex_encode(k->entity, 32, e);
    hex_encode(k->theirs->id, 32, ws);
    hex_encode(k->mine->id, 32, ms);
    cli_node_name(r, k->theirs->author, who, sizeof who);
    buf_printf(b, "{\"id\":\"%.10s/%s\",\"entity\":\"%s\",\"field\":\"%s\",\"mine\":", e, k->field, e,
               k->field);
    s_value_json(pv_map_get(k->mine->fields, k->field), b);
    buf_printf(b, ",\"mine_ms\":%llu,\"mine_edit\":\"%s\",\"theirs\":",
               (unsigned long long)hlc_ms(k->mine->hlc), ms);
    s_value_json(pv_map_get(k->theirs->fields, k->field), b);
    char a[65];
    hex_encode(k->theirs->author, 32, a);
    buf_printf(b, ",\"theirs_ms\":%llu,\"theirs_edit\":\"%s\",\"by\":\"%s\",\"by_name\":",
               (unsigned long long)hlc_ms(k->theirs->hlc), ws, a);
    json_str(b, who, strlen(who));
    buf_putc(b, '}');
}

static void s_on_conflict(void *ctx, const conflict_t *k)
{
    conf_ctx_t *cc = ctx;
    chg_t *g = cc->g;
    g->n_conflicts++;
    if (g->json) {
        buf_printf(g->out, "%s", cc->found ? "," : "");
        s_conf_json(g->out, g->r, k);
    } else if (!g->digest && g->shown <= g->limit) {
        s_conf_text(g, k, "    ");
    }
    cc->found++;
}

/* Compares one record then and now; appends what changed. */
static void s_record(chg_t *g, const uint8_t id[32])
{
    repo_t *r = g->r;
    long at = repo_entity_index(r, id);
    if (at < 0 || !s_shown_kind(repo_entity_kind(r, (size_t)at)))
        return;
    const entity_t *now = repo_entity_peek(r, (size_t)at);
    if (!now || !s_shown_kind(now->kind))
        return;
    entity_t old;
    size_t before = repo_merge_before(r, id, g->pos, &old);
    bool was = before > 0 && !entity_deleted(&old), is = !entity_deleted(now);
    if (!was && !is) {
        if (before)
            entity_clear(&old);
        return;
    }
    const char *what = !was ? "new" : !is ? "deleted" : "changed";
    g->n_records++;
    if (!was)
        g->n_new++;
    else if (!is)
        g->n_deleted++;
    else
        g->n_changed++;
    g->shown++;
    bool print = !g->digest && g->shown <= g->limit;
    if (g->digest && g->shown <= DIGEST_SHOW && !g->json)
        print = true;

    /* per field: the edit now holding it (last applied setter) */
    edit_t **h = NULL;
    uint8_t *verdicts = NULL;
    size_t nh = repo_history_verdicts(r, id, &h, &verdicts);
    char idhex[65], sid[11];
    hex_encode(id, 32, idhex);
    cli_short_id(id, sid);
    const char *label = query_label(now);
    if (g->json) {
        buf_printf(g->out, "%s{\"id\":\"%s\",\"kind\":\"%s\",\"label\":", g->first ? "" : ",", idhex,
                   rec_kind_name(now->kind));
        g->first = false;
        json_str(g->out, label, strlen(label));
        buf_printf(g->out, ",\"change\":\"%s\",\"fields\":[", what);
    } else if (print) {
        buf_printf(g->out, "%-7s %-9s %s  ", what, rec_kind_name(now->kind), sid);
        text_escape(g->out, label);
        if (!was) {
            char who[160];
            cli_node_name(r, now->creator, who, sizeof who);
            buf_printf(g->out, "  by ");
            text_escape(g->out, who);
        }
        buf_putc(g->out, '\n');
    }
    /* field diffs, for changed records (a new one is all new) */
    size_t nf = 0;
    const pv_t *nowf = now->fields, *oldf = was ? old.fields : NULL;
    for (int pass = 0; was && is && pass < 2; pass++) {
        const pv_t *src = pass == 0 ? nowf : oldf;
        for (size_t k = 0; src && src->type == PV_MAP && k < src->u.m.n; k++) {
            const char *name = src->u.m.keys[k];
            if (pass == 1 && pv_map_get(nowf, name))
                continue; /* compared in pass 0 */
            const pv_t *a = pv_map_get(oldf, name), *b = pv_map_get(nowf, name);
            if (a && b && pv_equal(a, b))
                continue;
            const edit_t *by = NULL;
            for (size_t j = 0; j < nh; j++)
                if (verdicts[j] == MERGE_APPLIED && pv_map_get(h[j]->fields, name))
                    by = h[j];
            char who[160] = "?";
            if (by)
                cli_node_name(r, by->author, who, sizeof who);
            if (g->json) {
                buf_printf(g->out, "%s{\"field\":\"%s\",\"old\":", nf ? "," : "", name);
                s_value_json(a, g->out);
                buf_printf(g->out, ",\"new\":");
                s_value_json(b, g->out);
                char ah[65] = "";
                if (by)
                    hex_encode(by->author, 32, ah);
                buf_printf(g->out, ",\"by\":\"%s\",\"by_name\":", ah);
                json_str(g->out, who, strlen(who));
                buf_putc(g->out, '}');
            } else if (print && !g->digest) {
                buf_printf(g->out, "    %s: ", name);
                s_value_text(a, g->out);
                buf_printf(g->out, " -> ");
                s_value_text(b, g->out);
                buf_printf(g->out, "  (");
                text_escape(g->out, who);
                buf_printf(g->out, ")\n");
            }
            nf++;
        }
    }
    if (g->json)
        buf_printf(g->out, "],\"conflicts\":[");
    conf_ctx_t cc = {g, 0};
    s_entity_conflicts(r, g->marks, g->accepted, h, verdicts, nh, s_on_conflict, &cc);
    if (g->json)
        buf_printf(g->out, "]}");
    for (size_t j = 0; j < nh; j++)
        edit_free(&h[j]);
    free(h);
    free(verdicts);
    if (before)
        entity_clear(&old);
}

/* ---------------------------------------------------------------- window */

typedef struct {
    uint8_t (*ids)[32];
    size_t n, cap;
    uint64_t since_ms; /* with --since TIME: first edit at or after */
    size_t first;      /* its position */
    bool found;
} scan_t;

static int s_cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static int s_collect(void *ctx, size_t i, const uint8_t *data, size_t len)
{
    scan_t *s = ctx;
    edit_head_t hd;
    if (edit_peek(data, len, &hd) < 0)
        return 0;
    if (s->since_ms) {
        if (!s->found && hlc_ms(hd.hlc) >= s->since_ms) {
            s->found = true;
            s->first = i;
        }
        return 0;
    }
    if (i < s->first)
        return 0;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->ids = xrealloc(s->ids, s->cap * sizeof *s->ids);
    }
    memcpy(s->ids[s->n++], hd.entity, 32);
    return 0;
}

/* The store position a mark stands for: after the record it names. */
static size_t s_mark_pos(repo_t *r, const syncmark_pt_t *p)
{
    if (p->ms == 0)
        return 0;
    long at = repo_find_record(r, p->rec);
    if (at >= 0)
        return (size_t)at + 1;
    size_t count = repo_edit_count(r); /* purged since: the count then, at most */
    return p->count < count ? (size_t)p->count : count;
}

int cmd_changes(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"since", required_argument, NULL, 's'},
                                       {"all", no_argument, NULL, 'a'},
                                       {"digest", no_argument, NULL, 'd'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *since = "last-sync";
    bool all = false, digest = false;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (ch) {
        case 's': since = optarg; break;
        case 'a': all = true; break;
        case 'd': digest = true; break;
        case 'j': c->json = true; break;
        case 'h':
            fprintf(c->out,
                    "usage: buurt changes [--since last-sync|TIME|EDIT-ID] [--all] [--json]\n\n"
                    "What arrived at this node since it last synced before its latest time\n"
                    "out of touch (default), since a time (\"2d\", \"6h\", \"2026-11-28\",\n"
                    "\"2026-11-28T14:00\": edits made then or later), or since an edit (an id\n"
                    "prefix of at least 4 digits, as `show --history` prints). Grouped by\n"
                    "record: new, deleted, or changed with each field's old -> new value and\n"
                    "the organisation that set it. Edits of this node that lost a field to\n"
                    "another organisation's are marked CONFLICT (see buurt conflicts).\n"
                    "The first %d records are printed; --all prints every one.\n",
                    CHANGES_SHOW_DEFAULT);
            return EXIT_OK;
        default: return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage(c, "unexpected argument '%s'", argv[optind]);
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    syncmark_t *m = xcalloc(1, sizeof *m);
    syncmark_load(c->home, m);
    scan_t sc = {0};
    char desc[160];
    uint64_t since_ms = 0;
    if (strcmp(since, "last-sync") == 0) {
        sc.first = s_mark_pos(r, &m->before);
        since_ms = m->before.ms;
        if (m->before.ms) {
            char t[24];
            cli_fmt_time(m->before.ms, t, sizeof t);
            snprintf(desc, sizeof desc, "since the last sync before this node's latest time away (%s UTC)", t);
        } else {
            snprintf(desc, sizeof desc, "since this node began (it never synced before)");
        }
    } else {
        uint64_t now = cli_now(c);
        int64_t t = cli_time(since, now);
        if (t > (int64_t)now) /* a duration: that long ago */
            t = (int64_t)now - (t - (int64_t)now);
        if (t >= 0) {
            sc.since_ms = (uint64_t)t;
            since_ms = (uint64_t)t;
            char ts[24];
            cli_fmt_time((uint64_t)t, ts, sizeof ts);
            snprintf(desc, sizeof desc, "since %s UTC", ts);
        } else {
            /* an edit id prefix */
            size_t len = strlen(since), hits = 0;
            long at = -1;
            if (len < 4 || len > 64 || strspn(since, "0123456789abcdef") != len) {
                free(m);
                return cli_usage(c, "--since takes last-sync, a time (2d, 6h, 2026-11-28[THH:MM]) or "
                                    "an edit id of at least 4 hex digits, not '%s'", since);
            }
            for (size_t i = 0; i < repo_edit_count(r) && hits < 2; i++) {
                char hex[65];
                hex_encode(repo_record_id(r, i), 32, hex);
                if (strncmp(hex, since, len) == 0) {
                    hits++;
                    at = (long)i;
                }
            }
            if (hits != 1) {
                free(m);
                return cli_err(c, EXIT_FAIL, "%s edit id starts with '%s'",
                               hits ? "more than one" : "no", since);
            }
            sc.first = (size_t)at + 1;
            snprintf(desc, sizeof desc, "since edit %.10s", since);
        }
    }
    char *cause = NULL;
    if (sc.since_ms) {
        sc.first = repo_edit_count(r);
        if (repo_scan(r, s_collect, &sc, &cause) < 0) {
            free(m);
            return cli_fail(c, BU_EIO, cause);
        }
        sc.since_ms = 0;
    }
    if (sc.first < repo_edit_count(r) && repo_scan(r, s_collect, &sc, &cause) < 0) {
        free(sc.ids);
        free(m);
        return cli_fail(c, BU_EIO, cause);
    }
    /* each record once, in the order it first changed */
    size_t nids = sc.n;
    uint8_t (*sorted)[32] = xmalloc((nids ? nids : 1) * sizeof *sorted);
    if (nids)
        memcpy(sorted, sc.ids, nids * sizeof *sorted);
    qsort(sorted, nids, sizeof *sorted, s_cmp_id);
    bool *done = xcalloc(nids ? nids : 1, 1);

    buf_t out = {0};
    char *accepted = s_accepted(c->home);
    chg_t g = {.c = c, .r = r, .marks = m, .accepted = accepted, .pos = sc.first, .json = c->json,
               .digest = digest, .limit = all ? SIZE_MAX : CHANGES_SHOW_DEFAULT, .out = &out,
               .first = true};
    for (size_t i = 0; i < nids; i++) {
        uint8_t(*hit)[32] = bsearch(sc.ids[i], sorted, nids, sizeof *sorted, s_cmp_id);
        size_t k = (size_t)(hit - sorted);
        while (k > 0 && memcmp(sorted[k - 1], sc.ids[i], 32) == 0)
            k--; /* the first of equal ids carries the flag */
        if (done[k])
            continue;
        done[k] = true;
        s_record(&g, sc.ids[i]);
    }
    if (c->json) {
        buf_t doc = {0};
        buf_printf(&doc, "{\"since\":");
        json_str(&doc, since, strlen(since));
        buf_printf(&doc, ",\"since_ms\":%llu,\"from_edit\":%zu,\"edits\":%zu,\"new\":%zu,\"changed\":%zu,"
                         "\"deleted\":%zu,\"conflicts\":%zu,\"records\":[",
                   (unsigned long long)since_ms, sc.first, repo_edit_count(r) - sc.first, g.n_new,
                   g.n_changed, g.n_deleted, g.n_conflicts);
        buf_append(&doc, out.data, out.len);
        buf_printf(&doc, "]}");
        cli_print_json(c, &doc);
        buf_free(&doc);
    } else if (g.n_records == 0) {
        fprintf(c->out, "%s: nothing changed %s\n", digest ? "while away" : "changes", desc);
    } else {
        fprintf(c->out, "%s %s: %zu new, %zu changed, %zu deleted%s", digest ? "while away," : "changes",
                desc, g.n_new, g.n_changed, g.n_deleted, g.n_conflicts ? "" : "\n");
        if (g.n_conflicts)
            fprintf(c->out, "; %zu conflict%s with your own edits (buurt conflicts)\n", g.n_conflicts,
                    g.n_conflicts == 1 ? "" : "s");
        fwrite(out.data, 1, out.len, c->out);
        size_t rest = g.n_records > (digest ? DIGEST_SHOW : g.limit) ? g.n_records - (digest ? DIGEST_SHOW : g.limit) : 0;
        if (rest)
            fprintf(c->out, "... and %zu more record%s (buurt changes%s)\n", rest, rest == 1 ? "" : "s",
                    digest ? "" : " --all");
    }
    buf_free(&out);
    free(accepted);
    free(done);
    free(sorted);
    free(sc.ids);
    free(m);
    return EXIT_OK;
}

/* ---------------------------------------------------------------- conflicts */

typedef struct {
    repo_t *r;
    const uint8_t *me;
    uint8_t (*ents)[32];
    size_t n, cap;
} own_t;

static int s_own(void *ctx, size_t i, const uint8_t *data, size_t len)
{
    (void)i;
    own_t *o = ctx;
    edit_head_t hd;
    if (edit_peek(data, len, &hd) < 0 || memcmp(hd.author, o->me, 32) != 0)
        return 0;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->ents = xrealloc(o->ents, o->cap * sizeof *o->ents);
    }
    memcpy(o->ents[o->n++], hd.entity, 32);
    return 0;
}

typedef struct {
    cli_t *c;
    repo_t *r;
    buf_t *out;
    size_t n;
    const char *want;       /* accept/keep-mine: "ENTITY-PREFIX[/FIELD]" */
    size_t want_len;
    const char *want_field;
    conflict_t *hits;       /* copies of matches (edit pointers live in hist) */
    size_t nhits;
} list_t;

static bool s_matches(const list_t *l, const conflict_t *k)
{
    char e[65];
    hex_encode(k->entity, 32, e);
    if (strncmp(e, l->want, l->want_len) != 0)
        return false;
    return !l->want_field || strcmp(l->want_field, k->field) == 0;
}

static void s_list_one(void *ctx, const conflict_t *k)
{
    list_t *l = ctx;
    if (l->want) {
        if (s_matches(l, k)) {
            l->hits = xrealloc(l->hits, (l->nhits + 1) * sizeof *l->hits);
            l->hits[l->nhits++] = *k;
        }
        return;
    }
    if (l->c->json) {
        buf_printf(l->out, "%s", l->n ? "," : "");
        s_conf_json(l->out, l->r, k);
    } else {
        const entity_t *e = repo_entity(l->r, k->entity);
        char sid[11], who[160], when[24], twhen[24];
        cli_short_id(k->entity, sid);
        cli_node_name(l->r, k->theirs->author, who, sizeof who);
        cli_fmt_time(hlc_ms(k->mine->hlc), when, sizeof when);
        cli_fmt_time(hlc_ms(k->theirs->hlc), twhen, sizeof twhen);
        buf_printf(l->out, "%s/%s  %s ", sid, k->field, e ? rec_kind_name(e->kind) : "?");
        text_escape(l->out, e ? query_label(e) : "?");
        buf_printf(l->out, "\n    yours:  ");
        s_value_text(pv_map_get(k->mine->fields, k->field), l->out);
        buf_printf(l->out, "  (%s)\n    theirs: ", when);
        s_value_text(pv_map_get(k->theirs->fields, k->field), l->out);
        buf_printf(l->out, "  (%s, ", twhen);
        text_escape(l->out, who);
        buf_printf(l->out, ")  <- in force\n");
    }
    l->n++;
}

/* Runs fn over every unresolved conflict of this node's records. */
static int s_all_conflicts(cli_t *c, repo_t *r, list_t *l, void (*per)(list_t *l, edit_t **h, size_t n))
{
    own_t o = {r, repo_key(r)->pk, NULL, 0, 0};
    char *cause = NULL;
    if (repo_scan(r, s_own, &o, &cause) < 0)
        return cli_fail(c, BU_EIO, cause);
    qsort(o.ents, o.n, sizeof *o.ents, s_cmp_id);
    syncmark_t *m = xcalloc(1, sizeof *m);
    syncmark_load(c->home, m);
    char *accepted = s_accepted(c->home);
    for (size_t i = 0; i < o.n; i++) {
        if (i > 0 && memcmp(o.ents[i], o.ents[i - 1], 32) == 0)
            continue;
        long at = repo_entity_index(r, o.ents[i]);
        if (at < 0 || !s_shown_kind(repo_entity_kind(r, (size_t)at)))
            continue;
        edit_t **h = NULL;
        uint8_t *v = NULL;
        size_t n = repo_history_verdicts(r, o.ents[i], &h, &v);
        size_t before = l->nhits;
        s_entity_conflicts(r, m, accepted, h, v, n, s_list_one, l);
        if (per && l->nhits > before)
            per(l, h, n); /* the hits point into h: handled before it is freed */
        for (size_t j = 0; j < n; j++)
            edit_free(&h[j]);
        free(h);
        free(v);
    }
    free(accepted);
    free(m);
    free(o.ents);
    return 0;
}

static int s_resolve_rc;
static size_t s_resolved;

/* accept: remembers the winner of each hit; keep-mine: sets the field
 * again to this node's value (a new edit, which now wins). */
static bool s_keep_mine;
static void s_resolve(list_t *l, edit_t **h, size_t n)
{
    (void)h;
    (void)n;
    for (size_t i = 0; i < l->nhits; i++) {
        conflict_t *k = &l->hits[i];
        char sid[11];
        cli_short_id(k->entity, sid);
        if (s_keep_mine) {
            pv_t *f = pv_map();
            const pv_t *mine = pv_map_get(k->mine->fields, k->field);
            pv_map_set(f, k->field, mine ? pv_dup(mine) : pv_nil());
            if (strcmp(k->field, "status") == 0) /* set again now */
                pv_map_set(f, "status_at", pv_int((int64_t)cli_edit_now(l->c)));
            const entity_t *e = repo_entity(l->r, k->entity);
            char *cause = NULL;
            int rc = e ? repo_edit(l->r, e->kind, k->entity, f, NULL, &cause) : BU_ENOENT;
            pv_free(&f);
            if (rc < 0) {
                s_resolve_rc = cli_fail(l->c, rc, cause);
                continue;
            }
            fprintf(l->c->out, "kept yours: %s/%s set again\n", sid, k->field);
            s_resolved++;
        } else {
            char path[4096], e[65], w[65];
            hex_encode(k->entity, 32, e);
            hex_encode(k->theirs->id, 32, w);
            snprintf(path, sizeof path, "%s/conflicts.accepted", l->c->home);
            char *old = s_accepted(l->c->home);
            buf_t b = {0};
            if (old)
                buf_append(&b, old, strlen(old));
            buf_printf(&b, "%s %s %s\n", e, k->field, w);
            char *cause = NULL;
            int rc = file_write_atomic(path, b.data, b.len, 0600, &cause);
            buf_free(&b);
            free(old);
            if (rc < 0) {
                s_resolve_rc = cli_fail(l->c, rc, cause);
                continue;
            }
            fprintf(l->c->out, "accepted: %s/%s stays as the other organisation set it\n", sid, k->field);
            s_resolved++;
        }
    }
    l->nhits = 0;
}

int cmd_conflicts(cli_t *c, int argc, char **argv)
{
    bool help = argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    int a = 1;
    if (argc > a && strcmp(argv[a], "--json") == 0) {
        c->json = true;
        a++;
    }
    const char *sub = argc > a ? argv[a] : "list";
    if (help || (strcmp(sub, "list") && strcmp(sub, "accept") && strcmp(sub, "keep-mine"))) {
        FILE *f = help ? c->out : c->err;
        fprintf(f, "usage: buurt conflicts [list] [--json]\n"
                   "       buurt conflicts accept ID[/FIELD]\n"
                   "       buurt conflicts keep-mine ID[/FIELD]\n\n"
                   "Fields where an edit of this node lost to another organisation's edit made\n"
                   "before yours reached the mesh (the merge keeps the later one). `accept`\n"
                   "keeps theirs and stops listing it; `keep-mine` sets your value again, as\n"
                   "a new edit that wins. ID is a record id prefix (at least 4 digits).\n");
        return help ? EXIT_OK : EXIT_USAGE;
    }
    for (int i = a + 1; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            c->json = true;
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    buf_t out = {0};
    list_t l = {.c = c, .r = r, .out = &out};
    if (strcmp(sub, "list") == 0) {
        int rc = s_all_conflicts(c, r, &l, NULL);
        if (rc) {
            buf_free(&out);
            return rc;
        }
        if (c->json) {
            buf_t doc = {0};
            buf_printf(&doc, "{\"conflicts\":[");
            buf_append(&doc, out.data, out.len);
            buf_printf(&doc, "]}");
            cli_print_json(c, &doc);
            buf_free(&doc);
        } else if (l.n == 0) {
            fprintf(c->out, "no conflicts: none of your edits lost to an edit made before it reached the mesh\n");
        } else {
            fprintf(c->out, "%zu conflict%s (accept theirs or keep yours: buurt conflicts accept|keep-mine ID/FIELD)\n",
                    l.n, l.n == 1 ? "" : "s");
            fwrite(out.data, 1, out.len, c->out);
        }
        buf_free(&out);
        return EXIT_OK;
    }
    int first = a + 1;
    while (first < argc && strcmp(argv[first], "--json") == 0)
        first++;
    if (first >= argc)
        return cli_usage(c, "conflicts %s needs a record id (ID or ID/FIELD, see buurt conflicts)", sub);
    char want[160];
    snprintf(want, sizeof want, "%s", argv[first]);
    char *slash = strchr(want, '/');
    if (slash)
        *slash++ = '\0';
    size_t wl = strlen(want);
    if (wl < 4 || strspn(want, "0123456789abcdef") != wl)
        return cli_usage(c, "a record id needs at least 4 hex digits, not '%s'", want);
    l.want = want;
    l.want_len = wl;
    l.want_field = slash && *slash ? slash : NULL;
    s_keep_mine = strcmp(sub, "keep-mine") == 0;
    s_resolve_rc = 0;
    s_resolved = 0;
    /* resolved as they are found */
    list_t probe = l;
    probe.hits = NULL;
    probe.nhits = 0;
    int rc = s_all_conflicts(c, r, &probe, s_resolve);
    free(probe.hits);
    buf_free(&out);
    if (rc)
        return rc;
    if (s_resolve_rc)
        return s_resolve_rc;
    if (s_resolved == 0)
        return cli_err(c, EXIT_FAIL, "no unresolved conflict matches '%s' (see buurt conflicts)", argv[first]);
    return EXIT_OK;
}
