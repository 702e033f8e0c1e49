/*
 * sync.c -- the sorted item set and the reconciliation step (see sync.h).
 *
 * The set is an array of (hlc, id) kept sorted lazily: additions append and
 * mark it unsorted; the next query sorts and drops duplicates. Every query
 * is a binary search, so one reconciliation step costs O(items in the
 * ranges that differ) plus O(log n) per range.
 */
#include "node/sync.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t hlc;
    uint8_t id[32];
} item_t;

struct sync_set {
    item_t *items;   /* sorted by (hlc, id) when !unsorted */
    size_t n, cap;
    bool unsorted;   /* appended since the last sort */
};

static int s_item_cmp(const void *a, const void *b)
{
    const item_t *x = a, *y = b;
    if (x->hlc != y->hlc)
        return x->hlc < y->hlc ? -1 : 1;
    return memcmp(x->id, y->id, 32);
}

static void s_sort(sync_set_t *s)
{
    if (!s->unsorted)
        return;
    qsort(s->items, s->n, sizeof *s->items, s_item_cmp);
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++)
        if (w == 0 || s_item_cmp(&s->items[w - 1], &s->items[i]) != 0)
            s->items[w++] = s->items[i];
    s->n = w;
    s->unsorted = false;
}

sync_set_t *sync_set_new(void)
{
    return xcalloc(1, sizeof(sync_set_t));
}

void sync_set_free(sync_set_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    free((*self_p)->items);
    free(*self_p);
    *self_p = NULL;
}

void sync_set_add(sync_set_t *self, uint64_t hlc, const uint8_t id[32])
{
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 1024;
        self->items = xrealloc(self->items, self->cap * sizeof *self->items);
    }
    item_t *it = &self->items[self->n];
    it->hlc = hlc;
    memcpy(it->id, id, 32);
    if (self->n > 0 && !self->unsorted && s_item_cmp(&self->items[self->n - 1], it) >= 0)
        self->unsorted = true;
    self->n++;
}

/* Index of the first item not below bound (lower_bound). */
static size_t s_lower(const sync_set_t *s, const bound_t *b)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (bound_cmp_item(b, s->items[mid].hlc, s->items[mid].id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static long s_find(sync_set_t *s, uint64_t hlc, const uint8_t id[32])
{
    s_sort(s);
    item_t key = {.hlc = hlc};
    memcpy(key.id, id, 32);
    item_t *hit = bsearch(&key, s->items, s->n, sizeof *s->items, s_item_cmp);
    return hit ? hit - s->items : -1;
}

void sync_set_remove(sync_set_t *self, uint64_t hlc, const uint8_t id[32])
{
    long at = s_find(self, hlc, id);
    if (at < 0)
        return;
    memmove(self->items + at, self->items + at + 1, (self->n - (size_t)at - 1) * sizeof(item_t));
    self->n--;
}

size_t sync_set_count(sync_set_t *self)
{
    s_sort(self);
    return self->n;
}

bool sync_set_has(sync_set_t *self, uint64_t hlc, const uint8_t id[32])
{
    return s_find(self, hlc, id) >= 0;
}

/* ---------------------------------------------------------------- ranges */

static void s_fp_items(const item_t *items, size_t n, uint8_t fp[16])
{
    uint64_t acc[4] = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned __int128 carry = 0;
        for (int w = 0; w < 4; w++) {
            uint64_t x;
            memcpy(&x, items[i].id + 8 * w, 8); /* little-endian hosts */
            unsigned __int128 s = (unsigned __int128)acc[w] + x + carry;
            acc[w] = (uint64_t)s;
            carry = s >> 64;
        }
    }
    uint8_t in[40];
    memcpy(in, acc, 32);
    uint64_t cnt = n;
    memcpy(in + 32, &cnt, 8);
    uint8_t h[32];
    crypto_generichash(h, 32, in, sizeof in, NULL, 0);
    memcpy(fp, h, 16);
}

void sync_fingerprint(const uint8_t (*ids)[32], size_t n, uint8_t fp[16])
{
    item_t *tmp = xmalloc((n ? n : 1) * sizeof *tmp);
    for (size_t i = 0; i < n; i++)
        memcpy(tmp[i].id, ids[i], 32);
    s_fp_items(tmp, n, fp);
    free(tmp);
}

static const bound_t s_inf = {.hlc = MSG_INF_HLC, .len = 0};

/* The shortest bound above a and at or below b (a < b). */
static bound_t s_between(const item_t *a, const item_t *b)
{
    bound_t r = {.hlc = b->hlc};
    if (a->hlc != b->hlc)
        return r;
    size_t k = 0;
    while (k < 32 && a->id[k] == b->id[k])
        k++;
    r.len = (uint8_t)(k + 1 <= 32 ? k + 1 : 32);
    memcpy(r.prefix, b->id, r.len);
    return r;
}

typedef struct {
    range_t *v;
    size_t n, cap;
} ranges_t;

static range_t *s_push(ranges_t *rs, const bound_t *upper, range_mode_t mode)
{
    /* merge adjacent SKIPs: widen the previous one */
    if (mode == RANGE_SKIP && rs->n > 0 && rs->v[rs->n - 1].mode == RANGE_SKIP) {
        rs->v[rs->n - 1].upper = *upper;
        return &rs->v[rs->n - 1];
    }
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 32;
        rs->v = xrealloc(rs->v, rs->cap * sizeof *rs->v);
    }
    range_t *r = &rs->v[rs->n++];
    memset(r, 0, sizeof *r);
    r->upper = *upper;
    r->mode = mode;
    return r;
}

static void s_ranges_free(ranges_t *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free(rs->v[i].ids);
    free(rs->v);
}

/* Describes items[lo..hi) (upper bound `upper`) as IDS or split FPs. */
static void s_describe(const sync_set_t *s, size_t lo, size_t hi, const bound_t *upper,
                       ranges_t *rs)
{
    size_t n = hi - lo;
    if (n <= SYNC_IDS_MAX) {
        range_t *r = s_push(rs, upper, RANGE_IDS);
        r->ids = xmalloc((n ? n : 1) * 32);
        r->nids = n;
        for (size_t i = 0; i < n; i++)
            memcpy(r->ids[i], s->items[lo + i].id, 32);
        return;
    }
    size_t start = lo;
    for (int k = 0; k < SYNC_SPLIT; k++) {
        size_t end = lo + n * (size_t)(k + 1) / SYNC_SPLIT;
        bound_t b = k == SYNC_SPLIT - 1 ? *upper : s_between(&s->items[end - 1], &s->items[end]);
        range_t *r = s_push(rs, &b, RANGE_FP);
        s_fp_items(s->items + start, end - start, r->fp);
        r->count = end - start;
        start = end;
    }
}

void sync_start(sync_set_t *self, buf_t *out)
{
    s_sort(self);
    ranges_t rs = {0};
    s_describe(self, 0, self->n, &s_inf, &rs);
    msg_recon(out, rs.v, rs.n);
    s_ranges_free(&rs);
}

static void s_add_id(uint8_t (**v)[32], size_t *n, size_t *cap, const uint8_t id[32])
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = xrealloc(*v, *cap * 32);
    }
    memcpy((*v)[(*n)++], id, 32);
}

static int s_id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

void sync_reply(sync_set_t *self, const msg_t *m, sync_out_t *out)
{
    memset(out, 0, sizeof *out);
    s_sort(self);
    if (m->nranges == 0) {
        out->in_sync = true;
        return;
    }
    ranges_t rs = {0};
    size_t gcap = 0, ncap = 0, lo = 0;
    for (size_t i = 0; i < m->nranges; i++) {
        const range_t *in = &m->ranges[i];
        /* Keep the reply within MSG_MAX_RANGES: once a split might not fit,
         * describe all that is left as one fingerprint for the peer to split. */
        if (i + 1 < m->nranges && rs.n + SYNC_SPLIT + 1 > MSG_MAX_RANGES) {
            const bound_t *last = &m->ranges[m->nranges - 1].upper;
            size_t end = s_lower(self, last);
            range_t *r = s_push(&rs, last, RANGE_FP);
            r->count = end > lo ? end - lo : 0;
            s_fp_items(self->items + lo, r->count, r->fp);
            break;
        }
        size_t hi = s_lower(self, &in->upper);
        if (hi < lo)
            hi = lo;
        const item_t *own = self->items + lo;
        size_t nown = hi - lo;
        switch (in->mode) {
        case RANGE_SKIP:
            s_push(&rs, &in->upper, RANGE_SKIP);
            break;
        case RANGE_FP: {
            uint8_t fp[16];
            s_fp_items(own, nown, fp);
            if (in->count == 0) {
                for (size_t k = 0; k < nown; k++)
                    s_add_id(&out->give, &out->ngive, &gcap, own[k].id);
                s_push(&rs, &in->upper, RANGE_SKIP);
            } else if (memcmp(fp, in->fp, 16) == 0 && nown == in->count) {
                s_push(&rs, &in->upper, RANGE_SKIP);
            } else {
                s_describe(self, lo, hi, &in->upper, &rs);
            }
            break;
        }
        case RANGE_IDS: {
            /* sort their ids for lookups */
            uint8_t (*theirs)[32] = xmalloc((in->nids ? in->nids : 1) * 32);
            memcpy(theirs, in->ids, in->nids * 32);
            qsort(theirs, in->nids, 32, s_id_cmp);
            for (size_t k = 0; k < nown; k++)
                if (!bsearch(own[k].id, theirs, in->nids, 32, s_id_cmp))
                    s_add_id(&out->give, &out->ngive, &gcap, own[k].id);
            for (size_t k = 0; k < in->nids; k++) {
                bool have = false;
                for (size_t j = 0; j < nown && !have; j++)
                    have = memcmp(own[j].id, theirs[k], 32) == 0;
                if (!have)
                    s_add_id(&out->need, &out->nneed, &ncap, theirs[k]);
            }
            free(theirs);
            s_push(&rs, &in->upper, RANGE_SKIP);
            break;
        }
        }
        lo = hi;
    }
    if (rs.n == 1 && rs.v[0].mode == RANGE_SKIP) {
        msg_recon(&out->reply, NULL, 0);
        out->in_sync = true;
    } else {
        msg_recon(&out->reply, rs.v, rs.n);
    }
    s_ranges_free(&rs);
}

void sync_out_clear(sync_out_t *out)
{
    buf_free(&out->reply);
    free(out->give);
    free(out->need);
    memset(out, 0, sizeof *out);
}
