/*
 * repo.c -- home directory, entity index and lazy merge (see repo.h).
 *
 * Index: `ents` is an array of slots in first-seen order, each holding the
 * store indices of its edits and a cached merged state (valid unless
 * `dirty`). `tab` is an open-addressing hash table from entity id to slot
 * number + 1, kept at most half full.
 */
#include "node/repo.h"
#include "node/config.h"
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

typedef struct {
    uint8_t id[32];
    rec_kind_t kind;   /* kind of the earliest edit seen so far */
    uint64_t first;    /* its hlc */
    uint32_t *recs;    /* store indices of this entity's edits */
    size_t n, cap;
    bool dirty;        /* state needs re-merging */
    entity_t state;
} slot_t;

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
};

uint64_t repo_now_ms(void)
{
    const char *fake = getenv("BUURT_NOW_MS");
    if (fake && *fake)
        return strtoull(fake, NULL, 10);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t s_hash(const uint8_t id[32])
{
    uint64_t h;
    memcpy(&h, id, 8); /* ids are hashes or random: any 8 bytes spread well */
    return h;
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
        s->kind = h->kind;
        s->first = h->hlc;
        s_tab_insert(r, r->nents++);
    } else {
        s = &r->ents[at];
        if (h->hlc < s->first) {
            s->first = h->hlc;
            s->kind = h->kind;
        }
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 2;
        s->recs = xrealloc(s->recs, s->cap * sizeof *s->recs);
    }
    s->recs[s->n++] = (uint32_t)idx;
    s->dirty = true;
    if (h->hlc > r->hlc)
        r->hlc = h->hlc;
}

static int s_read_config(repo_t *r, char **cause)
{
    char *path = xasprintf("%s/config", r->home);
    int ok = access(path, R_OK) == 0;
    free(path);
    if (!ok)
        return bu_fail(cause, BU_EIO, "cannot read %s/config: %s", r->home, strerror(errno));
    r->name = config_get(r->home, "name");
    if (r->name == NULL)
        r->name = xstrdup("");
    return 0;
}

/* mkdir -p: creates missing parents (0700), tolerates existing ones. */
static int s_mkdirs(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; *s && rc == 0; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            rc = -1;
        *s = '/';
    }
    if (rc == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
        rc = -1;
    free(p);
    return rc;
}

int repo_init(const char *home, const char *name, nodekey_t *key_out, char **cause)
{
    if (s_mkdirs(home) != 0)
        return bu_fail(cause, BU_EIO, "cannot create %s: %s", home, strerror(errno));
    char *kp = xasprintf("%s/node.key", home);
    char *cp = xasprintf("%s/config", home);
    char *tmp = xasprintf("%s/config.tmp", home);
    int rc = 0;
    if (access(kp, F_OK) == 0) {
        rc = bu_fail(cause, BU_EEXIST, "%s is already a buurt home (it has node.key)", home);
        goto done;
    }
    if (strchr(name, '\n') != NULL || strlen(name) == 0 || strlen(name) > 120) {
        rc = bu_fail(cause, BU_EINVAL, "node name must be 1 to 120 characters on one line");
        goto done;
    }
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "name=%s\n", name) < 0 || fflush(f) != 0 ||
        fsync(fileno(f)) != 0) {
        rc = bu_fail(cause, BU_EIO, "cannot write %s: %s", tmp, strerror(errno));
        if (f)
            fclose(f);
        goto done;
    }
    fclose(f);
    if (rename(tmp, cp) != 0) {
        rc = bu_fail(cause, BU_EIO, "cannot write %s: %s", cp, strerror(errno));
        goto done;
    }
    /* create the empty store now, so a fresh home is complete */
    char *sp = xasprintf("%s/store", home);
    store_t *st = NULL;
    rc = store_open(sp, &st, NULL, cause);
    free(sp);
    store_close(&st);
    if (rc < 0)
        goto done;
    nodekey_t k;
    if ((rc = key_create(kp, &k, cause)) < 0)
        goto done;
    if (key_out)
        *key_out = k;
    sodium_memzero(&k, sizeof k);
done:
    free(kp);
    free(cp);
    free(tmp);
    return rc;
}

int repo_open(const char *home, repo_t **out, char **cause)
{
    repo_t *r = xcalloc(1, sizeof *r);
    r->home = xstrdup(home);
    char *kp = xasprintf("%s/node.key", home);
    char *sp = xasprintf("%s/store", home);
    int rc = key_load(kp, &r->key, cause);
    if (rc == BU_ENOENT) {
        rc = bu_fail(cause, BU_ENOENT, "%s is not a buurt home; run: buurt --home %s init --name NAME",
                     home, home);
        goto fail;
    }
    if (rc < 0 || (rc = s_read_config(r, cause)) < 0)
        goto fail;
    if ((rc = store_open(sp, &r->store, &r->report, cause)) < 0)
        goto fail;
    size_t n = store_count(r->store);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *rec = store_get(r->store, i, &len);
        edit_head_t h;
        if (edit_peek(rec, len, &h) < 0)
            continue; /* not an edit we understand: kept, not indexed */
        s_index(r, i, &h);
    }
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
    for (size_t i = 0; i < r->nents; i++) {
        free(r->ents[i].recs);
        entity_clear(&r->ents[i].state);
    }
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
const char *repo_name(const repo_t *self) { return self->name; }
const char *repo_home(const repo_t *self) { return self->home; }
const store_report_t *repo_report(const repo_t *self) { return &self->report; }
size_t repo_edit_count(const repo_t *self) { return store_count(self->store); }
size_t repo_entity_count(const repo_t *self) { return self->nents; }

/* Decodes the edits of a slot (no signature check: stored edits were
 * verified on the way in). Returns the count; *out is allocated. */
static size_t s_decode_slot(repo_t *r, const slot_t *s, edit_t ***out)
{
    edit_t **v = xmalloc(s->n * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        size_t len;
        const uint8_t *rec = store_get(r->store, s->recs[i], &len);
        if (edit_decode(rec, len, 0, &v[k], NULL) == 0)
            k++;
    }
    *out = v;
    return k;
}

static const entity_t *s_state(repo_t *r, slot_t *s)
{
    if (s->dirty) {
        edit_t **edits;
        size_t n = s_decode_slot(r, s, &edits);
        entity_clear(&s->state);
        if (n > 0) {
            merge_entity(edits, n, &s->state);
        } else {
            memset(&s->state, 0, sizeof s->state);
            s->state.kind = s->kind;
            memcpy(s->state.entity, s->id, 32);
            s->state.fields = pv_map();
        }
        for (size_t i = 0; i < n; i++)
            edit_free(&edits[i]);
        free(edits);
        s->dirty = false;
    }
    return &s->state;
}

const entity_t *repo_entity_at(repo_t *self, size_t i)
{
    return i < self->nents ? s_state(self, &self->ents[i]) : NULL;
}

rec_kind_t repo_entity_kind(const repo_t *self, size_t i)
{
    return self->ents[i].kind;
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

size_t repo_history(repo_t *self, const uint8_t id[32], edit_t ***out)
{
    long at = s_lookup(self, id);
    *out = NULL;
    if (at < 0)
        return 0;
    size_t n = s_decode_slot(self, &self->ents[at], out);
    /* merge order */
    entity_t tmp;
    if (n > 0) {
        merge_entity(*out, n, &tmp);
        entity_clear(&tmp);
    }
    return n;
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
    if (rc == 1) {
        s_index(r, store_count(r->store) - 1, &h);
        if (r->listener)
            r->listener(r->listener_ctx, store_count(r->store) - 1, &h);
    }
    return rc;
}

int repo_edit(repo_t *self, rec_kind_t kind, const uint8_t *entity, const pv_t *fields,
              uint8_t entity_out[32], char **cause)
{
    edit_t e = {0};
    buf_t wire = {0};
    int rc;
    bool creating = entity == NULL;
    e.kind = kind;
    if (entity == NULL) {
        randombytes_buf(e.entity, 32);
    } else {
        long at = s_lookup(self, entity);
        if (at < 0 && kind == REC_MEMBER)
            creating = true; /* member entities are named by the member's key */
        else if (at < 0)
            return bu_fail(cause, BU_ENOENT, "no such %s", rec_kind_name(kind));
        else if (self->ents[at].kind != kind)
            return bu_fail(cause, BU_EINVAL, "that id is a %s, not a %s",
                           rec_kind_name(self->ents[at].kind), rec_kind_name(kind));
        memcpy(e.entity, entity, 32);
    }
    memcpy(e.author, self->key.pk, 32);
    e.hlc = hlc_next(self->hlc, repo_now_ms());
    e.fields = (pv_t *)fields;
    rc = edit_sign(&e, self->key.sk, creating ? EDIT_CREATING : 0, &wire, cause);
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

int repo_ingest(repo_t *self, const uint8_t *wire, size_t len, char **cause)
{
    uint8_t id[32];
    store_hash(wire, len, id);
    if (store_find(self->store, id) >= 0)
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

const uint8_t *repo_record(const repo_t *self, size_t idx, size_t *len)
{
    return store_get(self->store, idx, len);
}

const uint8_t *repo_record_id(const repo_t *self, size_t idx)
{
    return store_id(self->store, idx);
}

long repo_find_record(const repo_t *self, const uint8_t id[32])
{
    return store_find(self->store, id);
}

int repo_ingest_many(repo_t *self, const store_rec_t *recs, size_t n, uint8_t *added,
                     char **cause)
{
    int rc = store_put_many(self->store, recs, n, added, cause);
    if (rc < 0)
        return rc;
    size_t base = store_count(self->store) - (size_t)rc, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!added[i])
            continue;
        edit_head_t h;
        if (edit_peek(recs[i].data, recs[i].len, &h) == 0) {
            s_index(self, base + k, &h);
            if (self->listener)
                self->listener(self->listener_ctx, base + k, &h);
        }
        k++;
    }
    return rc;
}
