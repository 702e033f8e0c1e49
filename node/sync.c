/*
 * sync.c -- the sorted item set and the reconciliation step (see sync.h).
 *
 * The set is an array of (hlc, id): a sorted, duplicate-free prefix and a
 * tail of items added since. Additions in clock order (the common case: new
 * edits) extend the sorted prefix at once; others go to the tail, and the
 * next query sorts the tail and merges it in from the position of its
 * lowest item. Alongside the array the set keeps block prefix sums of the
 * ids: sums[k] is the sum modulo 2^256 of the ids of the first
 * k * S_BLOCK items, so the id sum of any range is a difference of two
 * prefixes, each at most S_BLOCK - 1 additions from a stored one. The sums
 * are brought up to date lazily, from the lowest position that changed.
 *
 * Invariants: items[0..nsorted) is sorted by (hlc, id) with no duplicates;
 * sums[0..nsums) are current and nsums <= nsorted / S_BLOCK + 1; a query
 * (sync_reply, sync_start, count, has, remove) first makes nsorted == n.
 *
 * Workload: one sync_reply() costs O(log n) per incoming range (one binary
 * search, two prefix sums, one BLAKE2b), O(m log m) for m incoming ids, and
 * never more than SYNC_GIVE_MAX ids given; see sync_work_max() for the
 * exact bound on the work it reports.
 */
#include "node/sync.h"
#include "proto/util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Items per block of the prefix sums: a range fingerprint adds at most
 * 2 * (S_BLOCK - 1) ids; the sums take 32 / S_BLOCK bytes per item. */
#define S_BLOCK 16

typedef struct {
    uint64_t hlc;
    uint8_t id[32];
} item_t;

/* A sum of ids modulo 2^256, as four 64-bit words, least significant
 * first. The words are host integers; they are read from the ids and
 * written into the fingerprint's input only through le64_load and
 * le64_store, so the fingerprint is the same on every host. */
typedef struct {
    uint64_t w[4];
} sum_t;

struct sync_set {
    item_t *items;   /* sorted by (hlc, id) below nsorted, then added since */
    size_t n, cap;   /* items used, allocated */
    size_t nsorted;  /* length of the sorted, duplicate-free prefix */
    sum_t *sums;     /* sums[k]: sum of the ids of items[0 .. k * S_BLOCK) */
    size_t nsums;    /* sums[0..nsums) are current */
    size_t sums_cap; /* sums allocated */
};

static int s_item_cmp(const void *a, const void *b)
{
    const item_t *x = a, *y = b;
    if (x->hlc != y->hlc)
        return x->hlc < y->hlc ? -1 : 1;
    return memcmp(x->id, y->id, 32);
}

/* ------------------------------------------------------------------ sums */

static void s_sum_add_id(sum_t *a, const uint8_t id[32])
{
    unsigned __int128 carry = 0;
    for (int w = 0; w < 4; w++) {
        uint64_t x = le64_load(id + 8 * w); /* the id is a little-endian integer */
        unsigned __int128 s = (unsigned __int128)a->w[w] + x + carry;
        a->w[w] = (uint64_t)s;
        carry = s >> 64;
    }
}

/* a -= b modulo 2^256 */
static void s_sum_sub(sum_t *a, const sum_t *b)
{
    uint64_t borrow = 0;
    for (int w = 0; w < 4; w++) {
        uint64_t x = a->w[w], y = b->w[w];
        uint64_t d = x - y - borrow;
        borrow = (x < y) || (x == y && borrow) ? 1 : 0;
        a->w[w] = d;
    }
}

/* The fingerprint of a list of `count` items whose ids sum to *sum. */
static void s_fp_of_sum(const sum_t *sum, uint64_t count, uint8_t fp[16])
{
    uint8_t in[40];
    for (int w = 0; w < 4; w++)
        le64_store(in + 8 * w, sum->w[w]); /* the sum as 32 little-endian bytes */
    le64_store(in + 32, count);
    uint8_t h[32];
    crypto_generichash(h, 32, in, sizeof in, NULL, 0);
    memcpy(fp, h, 16);
}

void sync_fingerprint(const uint8_t (*ids)[32], size_t n, uint8_t fp[16])
{
    sum_t s = {{0}};
    for (size_t i = 0; i < n; i++)
        s_sum_add_id(&s, ids[i]);
    s_fp_of_sum(&s, n, fp);
}

/* ------------------------------------------------------------------- set */

/* Merges the tail items[nsorted..n) into the sorted prefix. */
static void s_sort(sync_set_t *s)
{
    if (s->nsorted == s->n)
        return;
    size_t h = s->nsorted, k = s->n - h;
    item_t *tail = s->items + h;
    qsort(tail, k, sizeof *tail, s_item_cmp);
    size_t w = 0;
    for (size_t i = 0; i < k; i++)
        if (w == 0 || s_item_cmp(&tail[w - 1], &tail[i]) != 0)
            tail[w++] = tail[i];
    k = w;
    /* pos: where the lowest new item lands; everything below stays put */
    size_t lo = 0, hi = h;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s_item_cmp(&s->items[mid], &tail[0]) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t pos = lo;
    if (pos < h) {
        /* merge from the back; an item equal to one of the prefix lands
         * right after it and is dropped below */
        item_t *t = xmalloc(k * sizeof *t);
        memcpy(t, tail, k * sizeof *t);
        size_t i = h, j = k, o = h + k;
        while (j > 0) {
            if (i > pos && s_item_cmp(&s->items[i - 1], &t[j - 1]) > 0)
                s->items[--o] = s->items[--i];
            else
                s->items[--o] = t[--j];
        }
        free(t);
        w = pos > 0 ? pos : 1;
        for (size_t x = w; x < h + k; x++)
            if (s_item_cmp(&s->items[w - 1], &s->items[x]) != 0)
                s->items[w++] = s->items[x];
        s->n = w;
    } else {
        s->n = h + k;
    }
    s->nsorted = s->n;
    if (s->nsums > pos / S_BLOCK + 1)
        s->nsums = pos / S_BLOCK + 1;
}

/* Brings the prefix sums up to date (after s_sort). */
static void s_index(sync_set_t *s)
{
    size_t want = s->n / S_BLOCK + 1;
    if (s->nsums >= want)
        return;
    if (want > s->sums_cap) {
        s->sums_cap = want + want / 2 + 16;
        s->sums = xrealloc(s->sums, s->sums_cap * sizeof *s->sums);
    }
    if (s->nsums == 0) {
        memset(&s->sums[0], 0, sizeof s->sums[0]);
        s->nsums = 1;
    }
    for (size_t k = s->nsums; k < want; k++) {
        sum_t acc = s->sums[k - 1];
        for (size_t i = (k - 1) * S_BLOCK; i < k * S_BLOCK; i++)
            s_sum_add_id(&acc, s->items[i].id);
        s->sums[k] = acc;
    }
    s->nsums = want;
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
    free((*self_p)->sums);
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
    /* still sorted when it goes above the last item */
    if (self->nsorted == self->n &&
        (self->n == 0 || s_item_cmp(&self->items[self->n - 1], it) < 0))
        self->nsorted++;
    self->n++;
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
    self->nsorted = self->n;
    if (self->nsums > (size_t)at / S_BLOCK + 1)
        self->nsums = (size_t)at / S_BLOCK + 1;
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

/* Sum of the ids of items[0..i), from the nearest stored block below. */
static sum_t s_prefix(const sync_set_t *s, size_t i, size_t *work)
{
    size_t k = i / S_BLOCK;
    sum_t acc = s->sums[k];
    for (size_t j = k * S_BLOCK; j < i; j++)
        s_sum_add_id(&acc, s->items[j].id);
    *work += i - k * S_BLOCK;
    return acc;
}

/* Fingerprint of items[lo..hi) in O(S_BLOCK), whatever the range's size. */
static void s_fp_range(const sync_set_t *s, size_t lo, size_t hi, uint8_t fp[16], size_t *work)
{
    sum_t sum;
    if (hi - lo < 2 * S_BLOCK) {
        memset(&sum, 0, sizeof sum);
        for (size_t i = lo; i < hi; i++)
            s_sum_add_id(&sum, s->items[i].id);
        *work += hi - lo;
    } else {
        sum = s_prefix(s, hi, work);
        sum_t below = s_prefix(s, lo, work);
        s_sum_sub(&sum, &below);
    }
    s_fp_of_sum(&sum, hi - lo, fp);
}

/* Index of the first item in items[lo..n) not below bound b. */
static size_t s_lower(const sync_set_t *s, size_t lo, const bound_t *b, size_t *work)
{
    size_t hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        (*work)++;
        if (bound_cmp_item(b, s->items[mid].hlc, s->items[mid].id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
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
                       ranges_t *rs, size_t *work)
{
    size_t n = hi - lo;
    if (n <= SYNC_IDS_MAX) {
        range_t *r = s_push(rs, upper, RANGE_IDS);
        r->ids = xmalloc((n ? n : 1) * 32);
        r->nids = n;
        for (size_t i = 0; i < n; i++)
            memcpy(r->ids[i], s->items[lo + i].id, 32);
        *work += n;
        return;
    }
    size_t start = lo;
    sum_t below = s_prefix(s, lo, work);
    for (int k = 0; k < SYNC_SPLIT; k++) {
        size_t end = lo + n * (size_t)(k + 1) / SYNC_SPLIT;
        bound_t b = *upper;
        if (k < SYNC_SPLIT - 1) {
            b = s_between(&s->items[end - 1], &s->items[end]);
            *work += 2;
        }
        range_t *r = s_push(rs, &b, RANGE_FP);
        sum_t upto = s_prefix(s, end, work), sum = upto;
        s_sum_sub(&sum, &below);
        r->count = end - start;
        s_fp_of_sum(&sum, r->count, r->fp);
        below = upto;
        start = end;
    }
}

void sync_start(sync_set_t *self, buf_t *out)
{
    s_sort(self);
    s_index(self);
    ranges_t rs = {0};
    size_t work = 0;
    s_describe(self, 0, self->n, &s_inf, &rs, &work);
    msg_recon(out, rs.v, rs.n);
    s_ranges_free(&rs);
}

/* ------------------------------------------------------------- answering */

/* One sync_reply() call in progress. */
typedef struct {
    const sync_set_t *set;
    sync_out_t *out;
    ranges_t rs;     /* the reply so far */
    size_t gcap;     /* out->give allocated */
    size_t ncap;     /* out->need allocated */
    size_t budget;   /* ids this call may still give (0 once one did not fit) */
} step_t;

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

/* The gives of items[lo..hi) do not fit: describe them and give no more. */
static void s_refuse(step_t *st, size_t lo, size_t hi, const bound_t *upper)
{
    s_describe(st->set, lo, hi, upper, &st->rs, &st->out->work);
    st->budget = 0;
}

/* FP with count 0 or an empty IDS list: the peer says it has nothing in
 * the range. Gives what fits, in item order, and hands the rest back as one
 * fingerprint for the peer to answer (with its empty IDS list, again). */
static void s_answer_empty(step_t *st, size_t lo, size_t hi, const bound_t *upper)
{
    size_t nown = hi - lo, k = nown < st->budget ? nown : st->budget;
    for (size_t i = lo; i < lo + k; i++)
        s_add_id(&st->out->give, &st->out->ngive, &st->gcap, st->set->items[i].id);
    st->out->work += k;
    st->budget -= k;
    if (k == nown) {
        s_push(&st->rs, upper, RANGE_SKIP);
        return;
    }
    if (k > 0) {
        bound_t b = s_between(&st->set->items[lo + k - 1], &st->set->items[lo + k]);
        st->out->work += 2;
        s_push(&st->rs, &b, RANGE_SKIP);
    }
    range_t *r = s_push(&st->rs, upper, RANGE_FP);
    r->count = hi - lo - k;
    s_fp_range(st->set, lo + k, hi, r->fp, &st->out->work);
}

/* IDS list: give ours not listed, need listed not ours, by binary search in
 * the sorted list; or describe ours when the gives would not fit. */
static void s_answer_ids(step_t *st, size_t lo, size_t hi, const range_t *in)
{
    sync_out_t *out = st->out;
    size_t nown = hi - lo, m = in->nids;
    if (m == 0) {
        s_answer_empty(st, lo, hi, &in->upper);
        return;
    }
    /* at most m of ours can be listed, so more than m + budget cannot fit */
    if (nown > m + st->budget) {
        s_refuse(st, lo, hi, &in->upper);
        return;
    }
    uint8_t (*theirs)[32] = xmalloc(m * 32);
    bool *seen = xcalloc(m, sizeof *seen);
    memcpy(theirs, in->ids, m * 32);
    qsort(theirs, m, 32, s_id_cmp);
    out->work += m;
    size_t g0 = out->ngive;
    bool over = false;
    for (size_t k = lo; k < hi && !over; k++) {
        const uint8_t *id = st->set->items[k].id;
        out->work++;
        size_t a = 0, b = m; /* first listed id not below ours */
        while (a < b) {
            size_t mid = a + (b - a) / 2;
            if (memcmp(theirs[mid], id, 32) < 0)
                a = mid + 1;
            else
                b = mid;
        }
        if (a < m && memcmp(theirs[a], id, 32) == 0) {
            /* mark every copy of a listed id once */
            for (size_t c = a; c < m && !seen[c] && memcmp(theirs[c], id, 32) == 0; c++) {
                seen[c] = true;
                out->work++;
            }
        } else if (out->ngive - g0 == st->budget) {
            over = true;
        } else {
            s_add_id(&out->give, &out->ngive, &st->gcap, id);
        }
    }
    if (over) {
        out->ngive = g0;
        s_refuse(st, lo, hi, &in->upper);
    } else {
        st->budget -= out->ngive - g0;
        for (size_t c = 0; c < m; c++)
            if (!seen[c])
                s_add_id(&out->need, &out->nneed, &st->ncap, theirs[c]);
        out->work += m;
        s_push(&st->rs, &in->upper, RANGE_SKIP);
    }
    free(seen);
    free(theirs);
}

void sync_reply(sync_set_t *self, const msg_t *m, sync_out_t *out)
{
    memset(out, 0, sizeof *out);
    if (m->nranges == 0) {
        out->in_sync = true;
        return;
    }
    s_sort(self);
    s_index(self);
    step_t st = {.set = self, .out = out, .budget = SYNC_GIVE_MAX};
    size_t lo = 0;
    for (size_t i = 0; i < m->nranges; i++) {
        const range_t *in = &m->ranges[i];
        /* Keep the reply within MSG_MAX_RANGES: once a split might not fit,
         * describe all that is left as one fingerprint for the peer to split. */
        if (i + 1 < m->nranges && st.rs.n + SYNC_SPLIT + 1 > MSG_MAX_RANGES) {
            const bound_t *last = &m->ranges[m->nranges - 1].upper;
            size_t end = s_lower(self, lo, last, &out->work);
            range_t *r = s_push(&st.rs, last, RANGE_FP);
            r->count = end - lo;
            s_fp_range(self, lo, end, r->fp, &out->work);
            break;
        }
        size_t hi = s_lower(self, lo, &in->upper, &out->work);
        size_t nown = hi - lo;
        switch (in->mode) {
        case RANGE_SKIP:
            s_push(&st.rs, &in->upper, RANGE_SKIP);
            break;
        case RANGE_FP:
            if (in->count == 0) {
                s_answer_empty(&st, lo, hi, &in->upper);
            } else {
                uint8_t fp[16];
                s_fp_range(self, lo, hi, fp, &out->work);
                if (memcmp(fp, in->fp, 16) == 0 && nown == in->count)
                    s_push(&st.rs, &in->upper, RANGE_SKIP);
                else
                    s_describe(self, lo, hi, &in->upper, &st.rs, &out->work);
            }
            break;
        case RANGE_IDS:
            s_answer_ids(&st, lo, hi, in);
            break;
        }
        lo = hi;
    }
    if (st.rs.n == 1 && st.rs.v[0].mode == RANGE_SKIP) {
        msg_recon(&out->reply, NULL, 0);
        out->in_sync = true;
    } else {
        msg_recon(&out->reply, st.rs.v, st.rs.n);
    }
    s_ranges_free(&st.rs);
}

void sync_out_clear(sync_out_t *out)
{
    buf_free(&out->reply);
    free(out->give);
    free(out->need);
    memset(out, 0, sizeof *out);
}

/*
 * The bound, term by term, for a set of n items (probes = the most steps of
 * one binary search over at most n + 1 positions):
 *   every range        a binary search, then a fingerprint (at most
 *                      2 * S_BLOCK items) or an IDS description (at most
 *                      SYNC_IDS_MAX ids copied) or one more id examined
 *                      after the give cap was reached;
 *   split descriptions each at most (SYNC_SPLIT + 1) prefixes of at most
 *                      S_BLOCK - 1 items, plus 2 items per inner bound; a
 *                      reply holds at most MSG_MAX_RANGES / SYNC_SPLIT of
 *                      them, plus the overflow fingerprint (a search and
 *                      a fingerprint);
 *   incoming ids       sorted, matched to at most one own item each (ids
 *                      are unique in the set), marked, scanned: 4 per id;
 *   gives              at most SYNC_GIVE_MAX given, plus at most
 *                      SYNC_GIVE_MAX own items examined in the one range
 *                      that did not fit.
 */
size_t sync_work_max(size_t n, size_t nranges, size_t nids)
{
    size_t probes = 1;
    for (size_t x = n + 1; x > 1; x = (x + 1) / 2)
        probes++;
    size_t per_range = probes + 2 * S_BLOCK + SYNC_IDS_MAX + 1;
    size_t per_split = (SYNC_SPLIT + 1) * (S_BLOCK - 1) + 2 * (SYNC_SPLIT - 1);
    size_t splits = MSG_MAX_RANGES / SYNC_SPLIT + 1;
    return nranges * per_range + splits * per_split + probes + 2 * S_BLOCK + 4 * nids +
           2 * SYNC_GIVE_MAX;
}
