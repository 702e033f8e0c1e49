/*
 * repo.c -- home directory, entity index and lazy merge (see repo.h).
 *
 * Index: `ents` is an array of slots in first-seen order, each holding the
 * store indices of its edits and a cached merged state (valid unless
 * `dirty`). `tab` is an open-addressing hash table from entity id to slot
 * number + 1, kept at most half full.
 */
#include "node/repo.h"
#include "node/auth.h"
#include "node/config.h"
#include "node/home.h"
#include "node/members.h"
#include "node/quota.h"
#include "proto/seal.h"
#include "proto/err.h"
#include "proto/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One key of a private coalition, opened from a keys record. */
typedef struct {
    uint8_t id[8];        /* BLAKE2b-64 of the key: names it in sealed edits */
    uint8_t key[32];
    uint8_t coalition[32];
    uint32_t epoch;       /* position in the coalition's key list */
    uint8_t record[32];   /* the keys record it came from */
} ckey_t;

/* One entity. Kept small (about 100 bytes): there is one per record at
 * 100,000 edits, and the merged state is cached only while it is used. */
typedef struct {
    uint8_t id[32];
    uint64_t first;    /* hlc of the earliest edit seen so far */
    union {
        uint32_t one;   /* cap == 0: the only edit's store index */
        uint32_t *many; /* cap > 0: store indices of this entity's edits */
    } rv;
    uint32_t n, cap;
    uint32_t gen;      /* membership generation the state was merged at */
    uint32_t ver;      /* bumped whenever the merged state may change */
    uint32_t *deps;    /* slots whose merge read this one's state */
    uint32_t ndeps, capdeps;
    entity_t *state;   /* cached merged state, NULL when not cached */
    uint8_t *coalition; /* readable: the private coalition (32 bytes) */
    uint16_t kinds;    /* bit per kind among its edits */
    uint8_t kind;      /* rec_kind_t of the earliest edit seen so far */
    bool dirty;        /* the cached state needs re-merging */
    bool busy;         /* being merged (guards reference cycles) */
    bool readable;     /* sealed edits of it were opened with a known key */
} slot_t;

/* An edit stored but held aside: dated too far ahead of the wall clock
 * (hlc_too_far), so it is not indexed, merged, offered or relayed until
 * the wall clock catches up (repo_release_held). */
typedef struct {
    uint32_t idx;         /* store index */
    uint64_t hlc;
    uint8_t author[32];
} held_t;

/* An edit an admin declared void (mesh settings "void"): it counts as void
 * only when dated more than the skew bound beyond the declaration. */
typedef struct {
    uint8_t id[32];
    uint64_t hlc;         /* clock of the declaring edit */
} void_t;

#define REPO_TMP 8           /* repo_entity_peek: states merged, not cached */
#define REPO_CACHE_MAX 24576 /* repo_trim: cached states kept at most */

struct repo_t {
    char *home;          /* home directory path */
    char *name;          /* node name from config */
    nodekey_t key;       /* node identity */
    store_t *store;      /* the edit log */
    store_report_t report; /* what store_open found */
    slot_t *ents;        /* entity slots, first-seen order */
    size_t nents, cap;
    uint32_t *tab;       /* hash: slot index + 1, 0 = empty */
    size_t tabsize;      /* power of two */
    uint64_t hlc;        /* highest clock seen */
    repo_listener_fn *listener; /* told of every newly stored edit */
    void *listener_ctx;
    bool in_mesh;        /* config names a mesh: edits are authorised */
    uint8_t mesh[32];    /* its id (the founder's key) */
    members_t members;   /* membership timeline, valid when members_ok */
    bool members_ok;
    uint32_t gen;        /* bumped whenever membership changes */
    uint32_t *orphans;   /* slots whose merge looked up a missing entity */
    uint32_t norphans, caporphans;
    uint32_t epoch;      /* bumped when a purge renumbered the store */
    ckey_t *keys;        /* private coalition keys this node can read */
    size_t nkeys;
    bool keys_ok;
    const uint8_t *seal_for; /* repo_edit_private: coalition to seal for */
    uint64_t serial;     /* distinct for every repo_open of this process */
    size_t ncached;      /* slots with a cached state */
    entity_t tmp[REPO_TMP]; /* repo_entity_peek's ring */
    unsigned tmppos;
    held_t *held;        /* held edits, in store order */
    size_t nheld, capheld;
    void_t *voids;       /* edits declared void by admins, sorted by id */
    size_t nvoids;
    bool voids_ok;       /* voids reflects the mesh settings */
    uint64_t now_ms;     /* wall time of the current index pass */
    uint64_t clock_ms;   /* repo_set_clock: the time to use, 0 = the wall clock */
    uint64_t version;    /* repo_version */
    quota_t *quota;      /* edits per author stored, per hour and in all */
};

static int s_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Adds slot x to a set of slots (deps, orphans). The same slot is added
 * again each time a merge repeats (a peek, or a merge after repo_trim), so
 * a full array is first sorted and deduplicated, and grows only when it
 * is still mostly full: the array stays within twice its distinct count. */
static void s_push32(uint32_t **v, uint32_t *n, uint32_t *cap, uint32_t x)
{
    if (*n > 0 && (*v)[*n - 1] == x)
        return;
    if (*n == *cap) {
        if (*n > 0) {
            qsort(*v, *n, sizeof **v, s_cmp_u32);
            uint32_t k = 1;
            for (uint32_t i = 1; i < *n; i++)
                if ((*v)[i] != (*v)[k - 1])
                    (*v)[k++] = (*v)[i];
            *n = k;
        }
        if (*n * 4 >= *cap * 3) {
            *cap = *cap ? *cap * 2 : 2;
            *v = xrealloc(*v, *cap * sizeof **v);
        }
    }
    (*v)[(*n)++] = x;
}

static const uint32_t *s_recs(const slot_t *s)
{
    return s->cap ? s->rv.many : &s->rv.one;
}

static void s_add_rec(slot_t *s, uint32_t idx)
{
    if (s->n == 0 && s->cap == 0) {
        s->rv.one = idx;
    } else if (s->cap == 0) {
        uint32_t one = s->rv.one;
        s->cap = 4;
        s->rv.many = xmalloc(s->cap * sizeof *s->rv.many);
        s->rv.many[0] = one;
    } else if (s->n == s->cap) {
        s->cap *= 2;
        s->rv.many = xrealloc(s->rv.many, s->cap * sizeof *s->rv.many);
    }
    if (s->cap)
        s->rv.many[s->n] = idx;
    s->n++;
}

static void s_uncache(repo_t *r, slot_t *s)
{
    if (!s->state)
        return;
    entity_clear(s->state);
    free(s->state);
    s->state = NULL;
    r->ncached--;
}

static void s_slot_free(repo_t *r, slot_t *s)
{
    if (s->cap)
        free(s->rv.many);
    free(s->deps);
    free(s->coalition);
    s_uncache(r, s);
}

static void s_touch(slot_t *s)
{
    s->dirty = true;
    s->ver++;
}

/* Marks a slot for re-merging, and every slot whose merge read it, and
 * every slot whose merge read one of those, and so on: a verdict that
 * changes can change what a record is, and so the verdicts of records
 * that read it. Each list is emptied as it is followed (the merges that
 * follow register again), so a cycle ends. */
static void s_dirty(struct repo_t *r, size_t i)
{
    uint32_t *todo = NULL, n = 0, cap = 0;
    s_touch(&r->ents[i]);
    s_push32(&todo, &n, &cap, (uint32_t)i);
    while (n > 0) {
        slot_t *s = &r->ents[todo[--n]];
        uint32_t *deps = s->deps, nd = s->ndeps;
        s->deps = NULL;
        s->ndeps = s->capdeps = 0;
        for (uint32_t k = 0; k < nd; k++) {
            slot_t *d = &r->ents[deps[k]];
            if (d->ndeps)
                s_push32(&todo, &n, &cap, deps[k]);
            s_touch(d);
        }
        free(deps);
    }
    free(todo);
}

uint64_t repo_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    /* tests: a node whose clock is wrong by this much */
    const char *off = getenv("BUURT_CLOCK_OFFSET_MS");
    if (off && *off)
        ms += strtoll(off, NULL, 10);
    return ms > 0 ? (uint64_t)ms : 0;
}

static uint64_t s_hash(const uint8_t id[32])
{
    return le64_load(id); /* ids are hashes or random: any 8 bytes spread well */
}

static long s_lookup(const repo_t *r, const uint8_t id[32])
{
    if (r->tabsize == 0)
        return -1;
    size_t mask = r->tabsize - 1;
    for (size_t i = s_hash(id) & mask;; i = (i + 1) & mask) {
        uint32_t v = r->tab[i];
        if (v == 0)
            return -1;
        if (memcmp(r->ents[v - 1].id, id, 32) == 0)
            return (long)v - 1;
    }
}

static void s_tab_insert(repo_t *r, size_t slot)
{
    size_t mask = r->tabsize - 1;
    size_t i = s_hash(r->ents[slot].id) & mask;
    while (r->tab[i] != 0)
        i = (i + 1) & mask;
    r->tab[i] = (uint32_t)slot + 1;
}

static void s_grow_tab(repo_t *r)
{
    if ((r->nents + 1) * 2 <= r->tabsize)
        return;
    size_t size = r->tabsize ? r->tabsize * 2 : 1024;
    free(r->tab);
    r->tab = xcalloc(size, sizeof *r->tab);
    r->tabsize = size;
    for (size_t i = 0; i < r->nents; i++)
        s_tab_insert(r, i);
}

/* Adds store record idx (already validated) to the index. */
static void s_index(repo_t *r, size_t idx, const edit_head_t *h)
{
    long at = s_lookup(r, h->entity);
    slot_t *s;
    if (at < 0) {
        s_grow_tab(r);
        if (r->nents == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 256;
            r->ents = xrealloc(r->ents, r->cap * sizeof *r->ents);
        }
        s = &r->ents[r->nents];
        memset(s, 0, sizeof *s);
        memcpy(s->id, h->entity, 32);
        s->kind = (uint8_t)h->kind;
        s->first = h->hlc;
        s_tab_insert(r, r->nents++);
        /* merges that found no such entity may now decide otherwise */
        for (size_t k = 0; k < r->norphans; k++)
            s_dirty(r, r->orphans[k]);
        r->norphans = 0;
        at = (long)r->nents - 1;
    } else {
        s = &r->ents[at];
        if (h->hlc < s->first) {
            s->first = h->hlc;
            s->kind = (uint8_t)h->kind;
        }
    }
    s_add_rec(s, (uint32_t)idx);
    r->version++;
    s->kinds |= (uint16_t)(1u << h->kind);
    s_dirty(r, (size_t)at);
    if (h->kind == REC_MESH || h->kind == REC_MEMBER)
        r->voids_ok = false; /* a declaration, or who may declare, changed */
    if (h->kind == REC_MEMBER || h->kind == REC_KEYS) {
        /* every verdict, or what this node can read, may change */
        r->members_ok = r->members_ok && h->kind != REC_MEMBER;
        r->keys_ok = false; /* a keys record counts only if its author may write it */
        r->gen++;
    }
    if (h->hlc > r->hlc)
        r->hlc = h->hlc;
}

static void s_hold(repo_t *r, size_t idx, const edit_head_t *h)
{
    if (r->nheld == r->capheld) {
        r->capheld = r->capheld ? r->capheld * 2 : 16;
        r->held = xrealloc(r->held, r->capheld * sizeof *r->held);
    }
    held_t *x = &r->held[r->nheld++];
    x->idx = (uint32_t)idx;
    x->hlc = h->hlc;
    memcpy(x->author, h->author, 32);
}

/* Indexes a stored record, or holds it when it is dated too far ahead. */
static bool s_index_or_hold(repo_t *r, size_t idx, const edit_head_t *h)
{
    quota_add(r->quota, h->author, h->hlc, +1);
    if (hlc_too_far(h->hlc, r->now_ms)) {
        s_hold(r, idx, h);
        return false;
    }
    s_index(r, idx, h);
    return true;
}

static int s_index_rec(void *ctx, size_t i, const uint8_t *rec, size_t len)
{
    edit_head_t h;
    if (edit_peek(rec, len, &h) == 0) /* else not an edit we understand: kept, not indexed */
        s_index_or_hold(ctx, i, &h);
    return 0;
}

/* Drops the entity index and builds it again from the store. */
static void s_reindex(repo_t *r)
{
    for (size_t i = 0; i < r->nents; i++)
        s_slot_free(r, &r->ents[i]);
    r->nents = 0;
    r->norphans = 0;
    r->nheld = 0;
    r->hlc = 0;
    r->voids_ok = false;
    r->now_ms = repo_now(r);
    quota_reset(r->quota);
    if (r->tabsize)
        memset(r->tab, 0, r->tabsize * sizeof *r->tab);
    r->members_ok = false;
    r->keys_ok = false;
    r->gen++;
    /* at most one entity per record: size the arrays once, so loading
     * never holds an old and a new copy of them (a realloc peak) */
    size_t n = store_count(r->store);
    if (n > r->cap) {
        free(r->ents);
        r->cap = n;
        r->ents = xmalloc(r->cap * sizeof *r->ents);
    }
    if (2 * n > r->tabsize) {
        size_t size = 1024;
        while (size < 2 * n)
            size *= 2;
        free(r->tab);
        r->tab = xcalloc(size, sizeof *r->tab);
        r->tabsize = size;
    }
    char *cause = NULL;
    if (store_scan(r->store, s_index_rec, r, &cause) < 0) {
        fprintf(stderr, "buurt: %s\n", cause); /* a read error: what was read stays indexed */
        free(cause);
    }
}

static int s_read_config(repo_t *r, char **cause)
{
    char *path = home_path(r->home, HOME_CONFIG);
    int ok = access(path, R_OK) == 0;
    free(path);
    if (!ok)
        return bu_fail(cause, BU_EIO, "cannot read %s/config: %s", r->home, strerror(errno));
    r->name = config_get(r->home, "name");
    if (r->name == NULL)
        r->name = xstrdup("");
    char *mesh = config_get(r->home, "mesh");
    r->in_mesh = mesh && hex_decode(mesh, r->mesh, 32) == 0;
    free(mesh);
    return 0;
}

int repo_open(const char *home, repo_t **out, char **cause)
{
    return repo_open_wait(home, 0, out, cause);
}

int repo_open_wait(const char *home, int wait_ms, repo_t **out, char **cause)
{
    static uint64_t serial;
    repo_t *r = xcalloc(1, sizeof *r);
    r->serial = ++serial;
    r->home = xstrdup(home);
    r->quota = quota_new();
    char *kp = home_path(home, HOME_KEY);
    char *sp = home_path(home, HOME_STORE);
    int rc = key_load(kp, &r->key, cause);
    if (rc == BU_ENOENT) {
        rc = bu_fail(cause, BU_ENOENT, "no node at %s: check --home or BUURT_HOME (buurt --home %s init would make a new node, with a new identity)",
                     home, home);
        goto fail;
    }
    if (rc < 0 || (rc = s_read_config(r, cause)) < 0)
        goto fail;
    if ((rc = store_open_wait(sp, wait_ms, &r->store, &r->report, cause)) < 0)
        goto fail;
    s_reindex(r);
    free(kp);
    free(sp);
    *out = r;
    return 0;
fail:
    free(kp);
    free(sp);
    repo_close(&r);
    return rc;
}

void repo_close(repo_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    repo_t *r = *self_p;
    for (size_t i = 0; i < r->nents; i++)
        s_slot_free(r, &r->ents[i]);
    for (size_t i = 0; i < REPO_TMP; i++)
        entity_clear(&r->tmp[i]);
    free(r->orphans);
    free(r->held);
    free(r->voids);
    quota_free(&r->quota);
    members_clear(&r->members);
    if (r->keys)
        sodium_memzero(r->keys, r->nkeys * sizeof *r->keys);
    free(r->keys);
    free(r->ents);
    free(r->tab);
    store_close(&r->store);
    sodium_memzero(&r->key, sizeof r->key);
    free(r->home);
    free(r->name);
    free(r);
    *self_p = NULL;
}

const nodekey_t *repo_key(const repo_t *self) { return &self->key; }

void repo_set_clock(repo_t *self, uint64_t now_ms) { self->clock_ms = now_ms; }

uint64_t repo_edit_now(const repo_t *self)
{
    uint64_t now = repo_now(self), seen = hlc_ms(self->hlc);
    return seen > now ? seen : now;
}

uint64_t repo_reserve_hlc(repo_t *self)
{
    self->hlc = hlc_next(self->hlc, repo_now(self));
    return self->hlc;
}

uint64_t repo_now(const repo_t *self)
{
    return self->clock_ms ? self->clock_ms : repo_wall_ms();
}
const char *repo_name(const repo_t *self) { return self->name; }
const char *repo_home(const repo_t *self) { return self->home; }
const store_report_t *repo_report(const repo_t *self) { return &self->report; }

int repo_compact(repo_t *self, char **cause)
{
    int rc = store_compact(self->store, cause);
    if (rc == 0) {
        self->report.corrupt_regions = 0;
        self->report.corrupt_bytes = 0;
    }
    return rc;
}
size_t repo_edit_count(const repo_t *self) { return store_count(self->store); }
size_t repo_entity_count(const repo_t *self) { return self->nents; }

/* ---------------------------------------------------------------- private coalitions */

static size_t s_decode_slot(repo_t *r, const slot_t *s, edit_t ***out);
static const entity_t *s_state(repo_t *r, slot_t *s);
static const members_t *s_members(repo_t *r);
static void s_merge_slot(repo_t *r, slot_t *s, edit_t **edits, size_t n, uint8_t *verdicts,
                         entity_t *out);

/* Opens every keys record sealed to this node (once per change). */
static void s_keys(repo_t *r)
{
    if (r->keys_ok)
        return;
    r->keys_ok = true;
    r->nkeys = 0;
    uint8_t cpk[32], csk[32];
    key_curve(&r->key, cpk, csk);
    for (size_t i = 0; i < r->nents; i++) {
        slot_t *s = &r->ents[i];
        if (!(s->kinds & (1u << REC_KEYS)))
            continue;
        edit_t **edits;
        size_t n = s_decode_slot(r, s, &edits);
        entity_t st = {0};
        uint8_t *verdict = xcalloc(n ? n : 1, 1);
        if (n > 0) {
            s_members(r);
            s_merge_slot(r, s, edits, n, verdict, &st);
        }
        /* every applied edit counts, not only the newest: a reader keeps
         * the keys it was once given (it may have read with them) */
        for (size_t x = 0; x < n; x++) {
        const pv_t *boxes = verdict[x] == MERGE_APPLIED && edits[x]->kind == REC_KEYS
                                ? pv_map_get(edits[x]->fields, "boxes") : NULL;
        for (size_t b = 0; boxes && b < boxes->u.a.n; b++) {
            uint8_t coal[32], (*ks)[32] = NULL;
            size_t nk = 0;
            if (seal_keys_open(boxes->u.a.items[b], cpk, csk, coal, &ks, &nk) < 0)
                continue;
            for (size_t j = 0; j < nk; j++) {
                uint8_t kid[SEAL_KEY_ID_LEN];
                seal_key_id(ks[j], kid);
                bool have = false;
                for (size_t q = 0; q < r->nkeys && !have; q++)
                    have = memcmp(r->keys[q].id, kid, 8) == 0;
                if (have)
                    continue;
                r->keys = xrealloc(r->keys, (r->nkeys + 1) * sizeof *r->keys);
                ckey_t *c = &r->keys[r->nkeys++];
                memcpy(c->key, ks[j], 32);
                memcpy(c->id, kid, 8);
                memcpy(c->coalition, coal, 32);
                memcpy(c->record, s->id, 32);
                c->epoch = (uint32_t)j;
            }
            sodium_memzero(ks, nk * 32);
            free(ks);
        }
        }
        free(verdict);
        entity_clear(&st);
        for (size_t j = 0; j < n; j++)
            edit_free(&edits[j]);
        free(edits);
    }
    sodium_memzero(csk, sizeof csk);
}

static const ckey_t *s_key_by_id(repo_t *r, const uint8_t id[8])
{
    s_keys(r);
    for (size_t i = 0; i < r->nkeys; i++)
        if (memcmp(r->keys[i].id, id, 8) == 0)
            return &r->keys[i];
    return NULL;
}

/* The newest key of a coalition, or NULL when this node has none. */
static const ckey_t *s_key_latest(repo_t *r, const uint8_t coalition[32])
{
    s_keys(r);
    const ckey_t *best = NULL;
    for (size_t i = 0; i < r->nkeys; i++)
        if (memcmp(r->keys[i].coalition, coalition, 32) == 0 &&
            (!best || r->keys[i].epoch > best->epoch))
            best = &r->keys[i];
    return best;
}

/* Replaces a sealed edit's kind and fields by what it holds, when this
 * node has the key; otherwise leaves it sealed. */
static void s_unseal(repo_t *r, slot_t *s, edit_t *e)
{
    const uint8_t *kid = seal_key_of(e->fields);
    const ckey_t *k = kid ? s_key_by_id(r, kid) : NULL;
    rec_kind_t kind;
    pv_t *fields = NULL;
    if (k == NULL || seal_open(k->key, e->fields, e->entity, e->author, e->hlc, &kind, &fields) < 0)
        return;
    pv_free(&e->fields);
    e->fields = fields;
    e->kind = kind;
    s->readable = true;
    if (!s->coalition)
        s->coalition = xmalloc(32);
    memcpy(s->coalition, k->coalition, 32);
}

/* Seals e (kind and fields) with the coalition's newest key, in place. */
static int s_seal(repo_t *r, edit_t *e, const uint8_t coalition[32], char **cause)
{
    const ckey_t *k = s_key_latest(r, coalition);
    if (k == NULL)
        return bu_fail(cause, BU_EPERM, "this node holds no key of that private coalition");
    e->fields = seal_fields(k->key, e->kind, e->fields, e->entity, e->author, e->hlc);
    e->kind = REC_SEALED; /* caller frees the fields */
    return 0;
}

bool repo_private_of(repo_t *self, const uint8_t id[32], uint8_t coalition[32])
{
    long at = s_lookup(self, id);
    if (at < 0)
        return false;
    s_state(self, &self->ents[at]);
    if (!self->ents[at].readable)
        return false;
    if (coalition)
        memcpy(coalition, self->ents[at].coalition, 32);
    return true;
}

int repo_private_keys(repo_t *self, const uint8_t coalition[32], const uint8_t (*readers)[32],
                      size_t n, bool rotate, char **cause)
{
    s_keys(self);
    /* the coalition's keys so far, in epoch order, and their record */
    uint8_t (*keys)[32] = xmalloc((self->nkeys + 1) * 32);
    size_t nk = 0;
    const uint8_t *record = NULL;
    for (uint32_t ep = 0;; ep++) {
        bool found = false;
        for (size_t i = 0; i < self->nkeys; i++)
            if (memcmp(self->keys[i].coalition, coalition, 32) == 0 && self->keys[i].epoch == ep) {
                memcpy(keys[nk++], self->keys[i].key, 32);
                record = self->keys[i].record;
                found = true;
                break;
            }
        if (!found)
            break;
    }
    if (nk == 0 || rotate)
        randombytes_buf(keys[nk++], 32);
    pv_t *boxes = pv_arr();
    for (size_t i = 0; i < n; i++) {
        uint8_t cpk[32];
        if (key_curve_pk(readers[i], cpk) == 0)
            pv_arr_push(boxes, seal_keys_box(cpk, coalition, (const uint8_t(*)[32])keys, nk));
    }
    sodium_memzero(keys, (nk ? nk : 1) * 32);
    free(keys);
    int rc;
    if (boxes->u.a.n == 0 || boxes->u.a.n > 64 || nk > SEAL_MAX_KEYS) {
        rc = bu_fail(cause, BU_EINVAL, "a private coalition has 1 to 64 readers and at most 10 key changes");
        pv_free(&boxes);
        return rc;
    }
    pv_t *f = pv_map();
    pv_map_set(f, "boxes", boxes);
    uint8_t rec[32];
    if (record)
        memcpy(rec, record, 32);
    rc = repo_edit(self, REC_KEYS, record ? rec : NULL, f, NULL, cause);
    pv_free(&f);
    return rc;
}

/* Decodes the edits of a slot (no signature check: stored edits were
 * verified on the way in). Returns the count; *out is allocated. */
static size_t s_decode_slot(repo_t *r, const slot_t *s, edit_t ***out)
{
    edit_t **v = xmalloc((s->n ? s->n : 1) * sizeof *v);
    size_t k = 0;
    const uint32_t *recs = s_recs(s);
    buf_t b = {0};
    for (size_t i = 0; i < s->n; i++) {
        b.len = 0;
        if (store_read(r->store, recs[i], &b) < 0)
            continue; /* a read error: the edit is left out of this merge */
        if (edit_decode(b.data, b.len, EDIT_TRUSTED, &v[k], NULL) == 0) {
            if (v[k]->kind == REC_SEALED)
                s_unseal(r, (slot_t *)s, v[k]);
            k++;
        }
    }
    buf_free(&b);
    *out = v;
    return k;
}

/* The membership timeline, loaded on first use after a change; NULL when
 * the node is in no mesh (then every edit counts). */
static const members_t *s_members(repo_t *r)
{
    if (!r->in_mesh)
        return NULL;
    if (!r->members_ok) {
        members_clear(&r->members);
        repo_members_for(r, r->mesh, &r->members);
        r->members_ok = true;
    }
    return &r->members;
}

void repo_members_for(repo_t *self, const uint8_t founder[32], members_t *out)
{
    edit_t **all = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < self->nents; i++) {
        /* the index knows each entity's kinds: only certificates are read */
        slot_t *s = &self->ents[i];
        if (!(s->kinds & (1u << REC_MEMBER)))
            continue;
        edit_t **h = NULL;
        size_t k = s_decode_slot(self, s, &h);
        if (n + k > cap) {
            cap = (n + k) * 2;
            all = xrealloc(all, cap * sizeof *all);
        }
        if (k) /* a damaged slot decodes to nothing: no memcpy from NULL */
            memcpy(all + n, h, k * sizeof *h);
        n += k;
        free(h);
    }
    members_build(all, n, founder, out);
    for (size_t i = 0; i < n; i++)
        edit_free(&all[i]);
    free(all);
}

const uint8_t *repo_mesh(const repo_t *self)
{
    return self->in_mesh ? self->mesh : NULL;
}

typedef struct {
    repo_t *r;
    size_t slot; /* the slot being merged */
} lookup_ctx_t;

static const entity_t *s_state(repo_t *r, slot_t *s);

/* auth lookup: another entity's state, remembering that this slot read it */
static const entity_t *s_lookup_dep(void *ctx, const uint8_t id[32])
{
    lookup_ctx_t *lc = ctx;
    repo_t *r = lc->r;
    long at = s_lookup(r, id);
    if (at < 0) {
        s_push32(&r->orphans, &r->norphans, &r->caporphans, (uint32_t)lc->slot);
        return NULL;
    }
    slot_t *t = &r->ents[at];
    if (t->busy)
        return NULL; /* a reference cycle: treat as unknown */
    s_push32(&t->deps, &t->ndeps, &t->capdeps, (uint32_t)lc->slot);
    return s_state(r, t);
}

/* Merges a slot's edits with the authorization rules. */
static void s_merge_slot(repo_t *r, slot_t *s, edit_t **edits, size_t n, uint8_t *verdicts,
                         entity_t *out)
{
    lookup_ctx_t lc = {r, (size_t)(s - r->ents)};
    auth_t a = {s_members(r), s_lookup_dep, &lc, NULL};
    s->busy = true;
    if (verdicts)
        merge_entity_ex(edits, n, auth_check, &a, verdicts, out);
    else
        merge_entity_take(edits, n, auth_check, &a, out); /* the edits are freed next */
    s->busy = false;
}

/* Merges a slot's edits into out (overwritten). */
static void s_merge_into(repo_t *r, slot_t *s, entity_t *out)
{
    /* membership first: loading it may index nothing but reads slots */
    s_members(r);
    edit_t **edits;
    size_t n = s_decode_slot(r, s, &edits);
    if (n > 0) {
        s_merge_slot(r, s, edits, n, NULL, out);
    } else {
        memset(out, 0, sizeof *out);
        out->kind = (rec_kind_t)s->kind;
        memcpy(out->entity, s->id, 32);
        out->fields = pv_map();
    }
    for (size_t i = 0; i < n; i++)
        edit_free(&edits[i]);
    free(edits);
    if (s->readable && out->edits > 0)
        s->kind = (uint8_t)out->kind; /* a private record this node can read */
}

static bool s_stale(const repo_t *r, const slot_t *s)
{
    return s->dirty || (r->in_mesh && s->gen != r->gen);
}

/* The slot's merged state, cached in the slot until repo_trim. */
static const entity_t *s_state(repo_t *r, slot_t *s)
{
    if (s->state && !s_stale(r, s))
        return s->state;
    if (s->state) {
        entity_clear(s->state);
    } else {
        s->state = xcalloc(1, sizeof *s->state);
        r->ncached++;
    }
    /* fresh from here: a change found while merging marks it dirty again */
    s->dirty = false;
    s->gen = r->gen;
    s_merge_into(r, s, s->state);
    /* cached: one block instead of a malloc per value */
    pv_t *packed = pv_pack(s->state->fields);
    pv_free(&s->state->fields);
    s->state->fields = packed;
    return s->state;
}

const entity_t *repo_entity_at(repo_t *self, size_t i)
{
    return i < self->nents ? s_state(self, &self->ents[i]) : NULL;
}

const entity_t *repo_entity_peek(repo_t *self, size_t i)
{
    if (i >= self->nents)
        return NULL;
    slot_t *s = &self->ents[i];
    if (s->state)
        return s_state(self, s);
    entity_t *t = &self->tmp[self->tmppos];
    self->tmppos = (self->tmppos + 1) % REPO_TMP;
    entity_clear(t);
    s_merge_into(self, s, t);
    return t;
}

uint64_t repo_entity_version(const repo_t *self, size_t i)
{
    return (uint64_t)(self->in_mesh ? self->gen : 0) << 32 | self->ents[i].ver;
}

void repo_trim(repo_t *self)
{
    if (self->ncached <= REPO_CACHE_MAX)
        return;
    /* keep what merges of other records look up often and is few */
    for (size_t i = 0; i < self->nents && self->ncached; i++) {
        slot_t *s = &self->ents[i];
        if (s->state && s->kind != REC_MEMBER && s->kind != REC_MESH && s->kind != REC_KEYS &&
            s->kind != REC_COALITION)
            s_uncache(self, s);
    }
}

rec_kind_t repo_entity_kind(const repo_t *self, size_t i)
{
    return self->ents[i].kind;
}

unsigned repo_entity_kinds(const repo_t *self, size_t i)
{
    return self->ents[i].kinds;
}

const uint8_t *repo_entity_id(const repo_t *self, size_t i)
{
    return self->ents[i].id;
}

long repo_entity_index(const repo_t *self, const uint8_t id[32])
{
    return s_lookup(self, id);
}

const entity_t *repo_entity(repo_t *self, const uint8_t id[32])
{
    long at = s_lookup(self, id);
    return at < 0 ? NULL : s_state(self, &self->ents[at]);
}

static int s_cmp_edit(const void *a, const void *b)
{
    return edit_cmp(*(edit_t *const *)a, *(edit_t *const *)b);
}

size_t repo_history(repo_t *self, const uint8_t id[32], edit_t ***out)
{
    long at = s_lookup(self, id);
    *out = NULL;
    if (at < 0)
        return 0;
    size_t n = s_decode_slot(self, &self->ents[at], out);
    if (n)
        qsort(*out, n, sizeof **out, s_cmp_edit); /* merge order */
    return n;
}

size_t repo_history_verdicts(repo_t *self, const uint8_t id[32], edit_t ***out,
                             uint8_t **verdicts)
{
    long at = s_lookup(self, id);
    *out = NULL;
    *verdicts = NULL;
    if (at < 0)
        return 0;
    slot_t *s = &self->ents[at];
    s_members(self);
    size_t n = s_decode_slot(self, s, out);
    *verdicts = xcalloc(n ? n : 1, 1);
    if (n > 0) {
        entity_t tmp;
        s_merge_slot(self, s, *out, n, *verdicts, &tmp);
        entity_clear(&tmp);
    }
    return n;
}

size_t repo_merge_before(repo_t *self, const uint8_t id[32], size_t pos, entity_t *out)
{
    memset(out, 0, sizeof *out);
    long at = s_lookup(self, id);
    if (at < 0)
        return 0;
    slot_t *s = &self->ents[at];
    s_members(self);
    edit_t **v;
    size_t n = s_decode_slot(self, s, &v), k = 0;
    for (size_t i = 0; i < n; i++) {
        long idx = store_find(self->store, v[i]->id);
        if (idx >= 0 && (size_t)idx < pos)
            v[k++] = v[i];
        else
            edit_free(&v[i]);
    }
    if (k > 0)
        s_merge_slot(self, s, v, k, NULL, out);
    for (size_t i = 0; i < k; i++)
        edit_free(&v[i]);
    free(v);
    return k;
}

const members_t *repo_members(repo_t *self)
{
    return s_members(self);
}

void repo_set_mesh(repo_t *self, const uint8_t mesh[32])
{
    self->in_mesh = mesh != NULL;
    if (mesh)
        memcpy(self->mesh, mesh, 32);
    self->members_ok = false;
    self->gen++;
}

int repo_resolve(repo_t *self, const char *prefix, int kind, uint8_t out[32], char **cause)
{
    size_t pl = strlen(prefix);
    if (pl == 0 || pl > 64 || !hex_is(prefix))
        return bu_fail(cause, BU_EINVAL, "'%s' is not an id (ids are hex, e.g. from `buurt list`)",
                       prefix);
    char lower[65];
    for (size_t i = 0; i <= pl; i++)
        lower[i] = (char)((prefix[i] >= 'A' && prefix[i] <= 'F') ? prefix[i] + 32 : prefix[i]);
    long found = -1;
    size_t matches = 0;
    char hex[65];
    for (size_t i = 0; i < self->nents; i++) {
        if (kind >= 0 && self->ents[i].kind == REC_SEALED)
            s_state(self, &self->ents[i]); /* may be a private record we can read */
        if (kind >= 0 && self->ents[i].kind != (rec_kind_t)kind)
            continue;
        hex_encode(self->ents[i].id, 32, hex);
        if (strncmp(hex, lower, pl) == 0) {
            matches++;
            found = (long)i;
        }
    }
    const char *what = kind >= 0 ? rec_kind_name((rec_kind_t)kind) : "record";
    if (matches == 0)
        return bu_fail(cause, BU_ENOENT, "no %s with id %s; see `buurt list`", what, prefix);
    if (matches > 1)
        return bu_fail(cause, BU_EAMBIG, "id %s matches %zu %ss; give more digits", prefix,
                       matches, what);
    memcpy(out, self->ents[found].id, 32);
    return 0;
}

/* Stores validated wire bytes and indexes them. */
static int s_store(repo_t *r, const uint8_t *wire, size_t len, char **cause)
{
    edit_head_t h;
    if (edit_peek(wire, len, &h) < 0)
        return bu_fail(cause, BU_EINVAL, "edit has an unexpected layout");
    int rc = store_put(r->store, wire, len, NULL, cause);
    r->now_ms = repo_now(r);
    if (rc == 1 && s_index_or_hold(r, store_count(r->store) - 1, &h) && r->listener)
        r->listener(r->listener_ctx, store_count(r->store) - 1, &h);
    return rc;
}

static const entity_t *s_lookup_plain(void *ctx, const uint8_t id[32])
{
    repo_t *r = ctx;
    long at = s_lookup(r, id);
    return at < 0 ? NULL : s_state(r, &r->ents[at]);
}

/* Refuses, before signing, a local edit that would not count anywhere. */
static int s_authorise_local(repo_t *r, const edit_t *e, char **cause)
{
    const members_t *m = s_members(r);
    if (m == NULL)
        return 0;
    const member_t *me = members_find(m, e->author);
    if (me == NULL)
        return 0; /* no certificate here yet: it may still be on its way */
    int role = members_role_at(m, e->author, e->hlc);
    quota_limits_t lim;
    repo_quota_limits(r, &lim);
    if (role >= 0 && role != ROLE_ADMIN && !quota_allows(r->quota, e->author, e->hlc, &lim))
        return bu_fail(cause, BU_EPERM,
                       "this node has made as many edits as the mesh allows a member (%u in an hour, %u in all: "
                       "buurt mesh show); try again later, or ask an admin",
                       lim.per_hour, lim.total);
    if (role < 0) {
        if (me->revoked)
            return bu_fail(cause, BU_EPERM, "this node was revoked from the mesh%s%s; its edits no longer count",
                           me->reason[0] ? ": " : "", me->reason);
        return bu_fail(cause, BU_EPERM, "this node is not a member of the mesh yet; an admin must run: buurt member add %s --name NAME",
                       r->key.id);
    }
    entity_t empty = {0};
    const entity_t *st = &empty;
    long at = s_lookup(r, e->entity);
    if (at >= 0)
        st = s_state(r, &r->ents[at]);
    auth_t a = {m, s_lookup_plain, r, NULL};
    if (!auth_check(&a, st, e))
        return bu_fail(cause, BU_EPERM, "not allowed: %s", a.why);
    return 0;
}

static int s_edit(repo_t *self, rec_kind_t kind, const uint8_t *entity, uint64_t at_hlc,
                  const uint8_t *seal_for, const pv_t *fields, uint8_t entity_out[32], char **cause)
{
    edit_t e = {0};
    buf_t wire = {0};
    int rc;
    bool creating = entity == NULL;
    uint8_t coalition[32];
    const uint8_t *seal = seal_for;
    e.kind = kind;
    memcpy(e.author, self->key.pk, 32);
    e.hlc = at_hlc ? at_hlc : hlc_next(self->hlc, repo_now(self));
    if (entity == NULL) {
        edit_bound_id(e.author, e.hlc, e.entity); /* docs/protocol.md §7.6 */
    } else {
        long at = s_lookup(self, entity);
        if (at >= 0)
            s_state(self, &self->ents[at]); /* learns the kind of a private record */
        if (at < 0 && (kind == REC_MEMBER || kind == REC_MESH))
            creating = true; /* named entities: a member's key, the mesh settings */
        else if (at < 0)
            return bu_fail(cause, BU_ENOENT, "no such %s", rec_kind_name(kind));
        else if (self->ents[at].kind != (uint8_t)kind && kind != REC_MEMBER)
            return bu_fail(cause, BU_EINVAL, "that id is a %s, not a %s",
                           rec_kind_name((rec_kind_t)self->ents[at].kind), rec_kind_name(kind));
        if (at >= 0 && self->ents[at].readable) {
            /* a private record stays private */
            memcpy(coalition, self->ents[at].coalition, 32);
            seal = coalition;
        }
        memcpy(e.entity, entity, 32);
    }
    e.fields = (pv_t *)fields;
    if ((rc = s_authorise_local(self, &e, cause)) < 0)
        return rc;
    pv_t *sealed = NULL;
    if (seal) {
        if ((rc = rec_validate(kind, fields, creating, cause)) < 0)
            return rc;
        if ((rc = s_seal(self, &e, seal, cause)) < 0)
            return rc;
        sealed = e.fields;
    }
    rc = edit_sign(&e, self->key.sk, creating ? EDIT_CREATING : 0, &wire, cause);
    pv_free(&sealed);
    if (rc == 0)
        rc = s_store(self, wire.data, wire.len, cause);
    if (rc >= 0) {
        rc = 0;
        if (entity_out)
            memcpy(entity_out, e.entity, 32);
    }
    buf_free(&wire);
    return rc;
}

int repo_edit(repo_t *self, rec_kind_t kind, const uint8_t *entity, const pv_t *fields,
              uint8_t entity_out[32], char **cause)
{
    return s_edit(self, kind, entity, 0, NULL, fields, entity_out, cause);
}

int repo_edit_private(repo_t *self, rec_kind_t kind, uint64_t at_hlc,
                      const uint8_t coalition[32], const pv_t *fields, uint8_t entity_out[32],
                      char **cause)
{
    return s_edit(self, kind, NULL, at_hlc, coalition, fields, entity_out, cause);
}

int repo_ingest(repo_t *self, const uint8_t *wire, size_t len, char **cause)
{
    uint8_t id[32];
    store_hash(wire, len, id);
    if (store_find(self->store, id) >= 0 || store_is_purged(self->store, id))
        return 0;
    edit_t *e = NULL;
    int rc = edit_decode(wire, len, EDIT_VERIFY, &e, cause);
    if (rc < 0)
        return rc;
    edit_free(&e);
    return s_store(self, wire, len, cause);
}

void repo_set_listener(repo_t *self, repo_listener_fn *fn, void *ctx)
{
    self->listener = fn;
    self->listener_ctx = ctx;
}

int repo_read(const repo_t *self, size_t idx, buf_t *out)
{
    return store_read(self->store, idx, out);
}

size_t repo_record_len(const repo_t *self, size_t idx)
{
    return store_len(self->store, idx);
}

int repo_scan(const repo_t *self, store_scan_fn *fn, void *ctx, char **cause)
{
    return store_scan(self->store, fn, ctx, cause);
}

const uint8_t *repo_record_id(const repo_t *self, size_t idx)
{
    return store_id(self->store, idx);
}

long repo_find_record(const repo_t *self, const uint8_t id[32])
{
    return store_find(self->store, id);
}

static int s_cmp_void(const void *a, const void *b)
{
    const void_t *x = a, *y = b;
    int c = memcmp(x->id, y->id, 32);
    return c ? c : (x->hlc < y->hlc ? -1 : x->hlc > y->hlc);
}

/* Loads the void declarations: every applied mesh-settings edit's "void"
 * list (not only the newest: like keys, each declaration stands). */
static void s_voids(repo_t *r)
{
    if (r->voids_ok)
        return;
    r->voids_ok = true;
    free(r->voids);
    r->voids = NULL;
    r->nvoids = 0;
    if (!r->in_mesh)
        return;
    uint8_t id[32];
    rec_mesh_settings_id(r->mesh, id);
    edit_t **edits;
    uint8_t *verdicts;
    size_t n = repo_history_verdicts(r, id, &edits, &verdicts), cap = 0;
    for (size_t i = 0; i < n; i++) {
        const pv_t *l = verdicts[i] == MERGE_APPLIED && edits[i]->kind == REC_MESH
                            ? pv_map_get(edits[i]->fields, "void") : NULL;
        for (size_t j = 0; l && l->type == PV_ARR && j < l->u.a.n; j++) {
            const pv_t *x = l->u.a.items[j];
            if (r->nvoids == cap) {
                cap = cap ? cap * 2 : 64;
                r->voids = xrealloc(r->voids, cap * sizeof *r->voids);
            }
            void_t *v = &r->voids[r->nvoids];
            if (x->type == PV_STR && hex_decode(x->u.s.p, v->id, 32) == 0) {
                v->hlc = edits[i]->hlc;
                r->nvoids++;
            }
        }
        edit_free(&edits[i]);
    }
    free(edits);
    free(verdicts);
    /* sorted by id, the earliest declaration first: that one decides */
    if (r->nvoids > 1)
        qsort(r->voids, r->nvoids, sizeof *r->voids, s_cmp_void);
}

int64_t repo_mesh_setting(repo_t *r, const char *field, int64_t dflt)
{
    if (!r->in_mesh)
        return dflt;
    uint8_t id[32];
    rec_mesh_settings_id(r->mesh, id);
    long at = s_lookup(r, id);
    if (at < 0)
        return dflt;
    const entity_t *e = s_state(r, &r->ents[at]);
    if (e->kind != REC_MESH || e->edits == 0)
        return dflt;
    return pv_get_int(e->fields, field, dflt);
}

void repo_quota_limits(repo_t *r, quota_limits_t *lim)
{
    lim->per_hour = QUOTA_PER_HOUR_DEFAULT;
    lim->total = QUOTA_TOTAL_DEFAULT;
    if (!r->in_mesh)
        return;
    uint8_t id[32];
    rec_mesh_settings_id(r->mesh, id);
    long at = s_lookup(r, id);
    if (at < 0)
        return;
    const entity_t *e = s_state(r, &r->ents[at]);
    if (e->kind != REC_MESH || e->edits == 0)
        return;
    lim->per_hour = (uint32_t)pv_get_int(e->fields, "member_edits_per_hour", lim->per_hour);
    lim->total = (uint32_t)pv_get_int(e->fields, "member_edits_max", lim->total);
}

/* True when an edit of author at hlc fits its quota; admins have none. */
static bool s_quota_ok(repo_t *r, const uint8_t author[32], uint64_t hlc, const quota_limits_t *lim)
{
    const members_t *m = s_members(r);
    if (m == NULL || members_role_at(m, author, hlc) == ROLE_ADMIN)
        return true;
    return quota_allows(r->quota, author, hlc, lim);
}

const quota_t *repo_quota(const repo_t *self) { return self->quota; }

typedef struct {
    const uint8_t *author;
    uint64_t newest;
    bool any;
} s_newest_t;

static int s_newest_rec(void *ctx, size_t i, const uint8_t *rec, size_t len)
{
    (void)i;
    s_newest_t *x = ctx;
    edit_head_t h;
    if (edit_peek(rec, len, &h) == 0 && memcmp(h.author, x->author, 32) == 0 &&
        (!x->any || h.hlc > x->newest)) {
        x->newest = h.hlc;
        x->any = true;
    }
    return 0;
}

bool repo_author_newest(const repo_t *self, const uint8_t author[32], uint64_t *hlc)
{
    s_newest_t x = {author, 0, false};
    repo_scan(self, s_newest_rec, &x, NULL);
    *hlc = x.newest;
    return x.any;
}

bool repo_quota_allows(repo_t *self, const quota_limits_t *lim, const uint8_t author[32],
                       uint64_t hlc)
{
    return s_quota_ok(self, author, hlc, lim);
}

/* True when an edit (id, clock) is void: declared so by an admin and
 * dated more than the skew bound beyond that declaration. */
static bool s_is_void(const repo_t *r, const uint8_t id[32], uint64_t hlc)
{
    size_t lo = 0, hi = r->nvoids;
    while (lo < hi) { /* first entry with this id */
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(r->voids[mid].id, id, 32) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->nvoids && memcmp(r->voids[lo].id, id, 32) == 0 &&
           hlc > r->voids[lo].hlc + ((uint64_t)HLC_MAX_SKEW_MS << 16);
}

int repo_apply_voids(repo_t *self, size_t *removed, char **cause)
{
    *removed = 0;
    s_voids(self);
    uint8_t (*ids)[32] = NULL;
    size_t k = 0;
    buf_t b = {0};
    for (size_t i = 0; i < self->nvoids; i++) {
        long idx = store_find(self->store, self->voids[i].id);
        edit_head_t h;
        b.len = 0;
        if (idx < 0 || store_read(self->store, (size_t)idx, &b) < 0 ||
            edit_peek(b.data, b.len, &h) < 0 || !s_is_void(self, self->voids[i].id, h.hlc))
            continue;
        if (k > 0 && memcmp(ids[k - 1], self->voids[i].id, 32) == 0)
            continue; /* declared twice */
        ids = xrealloc(ids, (k + 1) * 32);
        memcpy(ids[k++], self->voids[i].id, 32);
    }
    buf_free(&b);
    if (k == 0)
        return 0;
    int rc = store_purge(self->store, (const uint8_t(*)[32])ids, k, cause);
    free(ids);
    s_reindex(self);
    self->epoch++;
    if (rc == 0)
        *removed = k;
    return rc;
}

size_t repo_held_ids(const repo_t *self, uint64_t after, uint8_t (**out)[32])
{
    *out = xmalloc((self->nheld ? self->nheld : 1) * 32);
    size_t k = 0;
    for (size_t i = 0; i < self->nheld; i++)
        if (self->held[i].hlc > after)
            memcpy((*out)[k++], store_id(self->store, self->held[i].idx), 32);
    return k;
}

/* Held edits of author, and in all. */
static size_t s_held_by(const repo_t *r, const uint8_t author[32])
{
    size_t k = 0;
    for (size_t i = 0; i < r->nheld; i++)
        k += memcmp(r->held[i].author, author, 32) == 0;
    return k;
}

int repo_ingest_many(repo_t *self, const store_rec_t *recs, size_t n, uint8_t *added,
                     char **cause)
{
    repo_in_t *in = xcalloc(n ? n : 1, sizeof *in);
    size_t k = 0;
    uint8_t *sub = xcalloc(n ? n : 1, 1);
    size_t *pos = xmalloc((n ? n : 1) * sizeof *pos);
    for (size_t i = 0; i < n; i++) {
        if (edit_peek(recs[i].data, recs[i].len, &in[k].head) < 0)
            continue; /* not an edit this node understands: not stored */
        in[k].data = recs[i].data;
        in[k].len = recs[i].len;
        store_hash(recs[i].data, recs[i].len, in[k].id);
        pos[k++] = i;
    }
    int rc = repo_ingest_checked(self, in, k, sub, cause);
    if (added) {
        memset(added, REPO_KNOWN, n);
        for (size_t j = 0; j < k; j++)
            added[pos[j]] = sub[j];
    }
    free(pos);
    free(sub);
    free(in);
    return rc;
}

int repo_ingest_checked(repo_t *self, const repo_in_t *in, size_t n, uint8_t *added, char **cause)
{
    self->now_ms = repo_now(self);
    /* edits to be held count against the caps before anything is stored */
    store_rec_t *take = xmalloc((n ? n : 1) * sizeof *take);
    uint8_t (*ids)[32] = xmalloc((n ? n : 1) * 32);
    uint8_t *fate = xcalloc(n ? n : 1, 1);
    size_t *pos = xmalloc((n ? n : 1) * sizeof *pos);
    size_t nt = 0, will_hold = 0;
    quota_limits_t lim;
    s_voids(self);
    repo_quota_limits(self, &lim);
    for (size_t i = 0; i < n; i++) {
        const edit_head_t *h = &in[i].head;
        if (self->nvoids && s_is_void(self, in[i].id, h->hlc)) {
            fate[i] = REPO_VOID;
            continue;
        }
        if (!s_quota_ok(self, h->author, h->hlc, &lim)) {
            fate[i] = REPO_QUOTA;
            continue;
        }
        if (hlc_too_far(h->hlc, self->now_ms)) {
            size_t mine = s_held_by(self, h->author);
            for (size_t j = 0; j < nt; j++)
                mine += fate[pos[j]] == REPO_HELD &&
                        memcmp(in[pos[j]].head.author, h->author, 32) == 0;
            if (self->nheld + will_hold >= REPO_HELD_MAX || mine >= REPO_HELD_PER_AUTHOR) {
                fate[i] = REPO_REFUSED;
                continue;
            }
            fate[i] = REPO_HELD;
            will_hold++;
        }
        pos[nt] = i;
        take[nt] = (store_rec_t){in[i].data, in[i].len};
        memcpy(ids[nt++], in[i].id, 32);
        /* counted for the rest of this batch; stored ones count for good
         * when they are indexed (s_index_or_hold) */
        quota_add(self->quota, h->author, h->hlc, +1);
    }
    for (size_t j = 0; j < nt; j++)
        quota_add(self->quota, in[pos[j]].head.author, in[pos[j]].head.hlc, -1);
    uint8_t *got = xcalloc(nt ? nt : 1, 1);
    int rc = store_put_many_ids(self->store, take, (const uint8_t(*)[32])ids, nt, got, cause);
    if (rc >= 0) {
        size_t base = store_count(self->store) - (size_t)rc, k = 0;
        for (size_t j = 0; j < nt; j++) {
            size_t i = pos[j];
            if (!got[j]) {
                fate[i] = REPO_KNOWN;
                continue;
            }
            if (s_index_or_hold(self, base + k, &in[i].head)) {
                fate[i] = REPO_ADDED;
                if (self->listener)
                    self->listener(self->listener_ctx, base + k, &in[i].head);
            } else {
                fate[i] = REPO_HELD;
            }
            k++;
        }
    }
    if (added)
        memcpy(added, fate, n);
    free(got);
    free(pos);
    free(fate);
    free(ids);
    free(take);
    return rc;
}

size_t repo_held_count(const repo_t *self)
{
    return self->nheld;
}

uint64_t repo_held_max(const repo_t *self)
{
    uint64_t m = 0;
    for (size_t i = 0; i < self->nheld; i++)
        if (self->held[i].hlc > m)
            m = self->held[i].hlc;
    return m;
}

bool repo_is_held(const repo_t *self, size_t idx)
{
    size_t lo = 0, hi = self->nheld;
    while (lo < hi) { /* held is in store order */
        size_t mid = lo + (hi - lo) / 2;
        if (self->held[mid].idx == idx)
            return true;
        if (self->held[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

size_t repo_release_held(repo_t *self, uint64_t now_ms)
{
    self->now_ms = now_ms;
    size_t k = 0, released = 0;
    for (size_t i = 0; i < self->nheld; i++) {
        held_t x = self->held[i];
        if (hlc_too_far(x.hlc, now_ms)) {
            self->held[k++] = x;
            continue;
        }
        buf_t b = {0};
        edit_head_t h;
        if (store_read(self->store, x.idx, &b) == 0 && edit_peek(b.data, b.len, &h) == 0) {
            s_index(self, x.idx, &h);
            if (self->listener)
                self->listener(self->listener_ctx, x.idx, &h);
            released++;
        }
        buf_free(&b);
    }
    self->nheld = k;
    return released;
}

/* ---------------------------------------------------------------- retention */

int repo_purge(repo_t *self, const size_t *ents, size_t n, size_t *edits_out, char **cause)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += self->ents[ents[i]].n;
    if (edits_out)
        *edits_out = total;
    if (total == 0)
        return 0;
    uint8_t (*ids)[32] = xmalloc(total * 32);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const slot_t *s = &self->ents[ents[i]];
        for (size_t j = 0; j < s->n; j++)
            memcpy(ids[k++], store_id(self->store, s_recs(s)[j]), 32);
    }
    int rc = store_purge(self->store, (const uint8_t(*)[32])ids, k, cause);
    free(ids);
    s_reindex(self); /* store indices changed (also after a failure) */
    self->epoch++;
    return rc;
}

uint32_t repo_epoch(const repo_t *self) { return self->epoch; }

uint64_t repo_version(const repo_t *self)
{
    /* every indexed edit bumps the entity's ver and gen follows membership */
    return self->version + ((uint64_t)self->gen << 40) + ((uint64_t)self->epoch << 56);
}

uint64_t repo_serial(const repo_t *self) { return self->serial; }

void repo_stats(const repo_t *self, repo_stats_t *out)
{
    memset(out, 0, sizeof *out);
    out->cached = self->ncached;
    out->orphans = self->norphans;
    for (size_t i = 0; i < self->nents; i++)
        out->deps += self->ents[i].ndeps;
}

bool repo_is_purged(const repo_t *self, const uint8_t id[32])
{
    return store_is_purged(self->store, id);
}
