/*
 * test_sync.c -- behaviour tests for the sync message codec (proto/msg.c)
 * and the stateless range-based set reconciliation (node/sync.c).
 *
 * No sockets: run_exchange() drives two sync_set_t values against each
 * other by passing encoded RECON frames back and forth (sync_start on A,
 * then sync_reply alternating B, A, B, ...), decoding every frame with
 * msg_decode as a real peer would, until one side has nothing to send. It
 * collects every id either side would give or fetch. s_apply() then copies
 * those items across (the test keeps its own id -> hlc table, the universe),
 * and the two sets must be equal and a second exchange must end at once.
 *
 * The randomised cases compare the result with a naive model: the union of
 * everything given and needed must be exactly the symmetric difference of
 * the two sets, each id reported once, by the side that can act on it.
 *
 * A second model, s_naive_reply(), answers one message by the rule table of
 * sync.h read literally (linear scans, fingerprints summed id by id, IDS
 * lists matched all-pairs, the give cap applied to whole ranges): random,
 * hostile and honest messages must get byte-identical replies and the same
 * give and need lists from sync_reply(), with `work` within
 * sync_work_max(). The cost tests assert on `work`, never on time.
 *
 * Every random test uses a fixed-seed PRNG and names its seed in failure
 * messages, so failures reproduce. The file runs in a few seconds.
 */
#include "node/sync.h"
#include "proto/err.h"
#include "proto/msg.h"
#include "proto/util.h"
#include "proto/value.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* ---- helpers ---------------------------------------------------------- */

/* splitmix64: a tiny deterministic PRNG for the randomised tests. */
static uint64_t s_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void s_rand_bytes(uint64_t *state, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = s_rand(state);
        memcpy(out + i, &r, n - i < 8 ? n - i : 8);
    }
}

/* A realistic clock: 2023-11 in ms, shifted left by 16 bits. */
#define S_HLC0 (UINT64_C(1700000000000) << 16)

/* Context for failure messages of the current randomised case. */
static char s_ctx[160] = "scripted";

/* A growable list of ids. */
typedef struct {
    uint8_t (*v)[32];
    size_t n, cap;
} ids_t;

static void s_ids_add(ids_t *l, const uint8_t id[32])
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = xrealloc(l->v, l->cap * 32);
    }
    memcpy(l->v[l->n++], id, 32);
}

static void s_ids_free(ids_t *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* What one exchange did. Side 0 is A (the starter), side 1 is B. */
typedef struct {
    size_t msgs;           /* RECON frames sent, including sync_start's */
    size_t bytes;          /* their total size */
    size_t max_ranges;     /* most ranges in one frame */
    bool first_in_sync;    /* B's reply to sync_start was RECON [] */
    ids_t give[2], need[2];
} xstats_t;

static void s_stats_free(xstats_t *st)
{
    for (int k = 0; k < 2; k++) {
        s_ids_free(&st->give[k]);
        s_ids_free(&st->need[k]);
    }
}

/* Decodes a frame the way a peer would; it must be a valid RECON. */
static void s_decode_recon(const buf_t *frame, msg_t *m)
{
    int rc = msg_decode(frame->data, frame->len, m);
    cr_assert_eq(rc, 0, "[%s] peer cannot decode a RECON we produced (%zu bytes): %s", s_ctx,
                 frame->len, bu_strerror(rc));
    cr_assert_eq(m->type, MSG_RECON, "[%s] frame is not a RECON", s_ctx);
}

#define S_MAX_ROUNDS 64

/*
 * Runs one reconciliation round from sync_start(a) until a side produces no
 * reply, accumulating give/need of both sides into *st (zeroed here).
 */
static void run_exchange(sync_set_t *a, sync_set_t *b, xstats_t *st)
{
    memset(st, 0, sizeof *st);
    sync_set_t *side[2] = {a, b};
    buf_t cur = {0};
    sync_start(a, &cur);
    cr_assert_gt(cur.len, 0, "[%s] sync_start produced nothing", s_ctx);
    st->msgs = 1;
    st->bytes = cur.len;
    int turn = 1;
    for (int round = 0;; round++) {
        cr_assert_lt(round, S_MAX_ROUNDS, "[%s] exchange did not finish in %d messages", s_ctx,
                     S_MAX_ROUNDS);
        msg_t m;
        s_decode_recon(&cur, &m);
        if (m.nranges > st->max_ranges)
            st->max_ranges = m.nranges;
        bool got_empty = m.nranges == 0;
        sync_out_t out;
        sync_reply(side[turn], &m, &out);
        msg_clear(&m);
        buf_free(&cur);
        for (size_t i = 0; i < out.ngive; i++)
            s_ids_add(&st->give[turn], out.give[i]);
        for (size_t i = 0; i < out.nneed; i++)
            s_ids_add(&st->need[turn], out.need[i]);
        if (got_empty) {
            cr_assert(out.in_sync, "[%s] RECON [] must report in_sync", s_ctx);
            cr_assert_eq(out.reply.len, 0, "[%s] RECON [] must get no reply", s_ctx);
            cr_assert_eq(out.ngive + out.nneed, 0, "[%s] RECON [] gives or needs ids", s_ctx);
        }
        if (out.reply.len == 0) {
            cr_assert(out.in_sync, "[%s] a side stopped without being in sync", s_ctx);
            sync_out_clear(&out);
            break;
        }
        st->msgs++;
        st->bytes += out.reply.len;
        cur = out.reply;
        out.reply = (buf_t){0};
        /* in_sync on a reply means the reply itself is RECON [] */
        if (out.in_sync) {
            msg_t e;
            s_decode_recon(&cur, &e);
            cr_assert_eq(e.nranges, 0, "[%s] in_sync reply is not RECON []", s_ctx);
            msg_clear(&e);
        }
        if (round == 0)
            st->first_in_sync = out.in_sync;
        sync_out_clear(&out);
        turn ^= 1;
    }
}

/* ---- the model: a universe of items, each in A, B or both ------------ */

enum { IN_A = 1, IN_B = 2, IN_BOTH = 3 };

typedef struct {
    uint8_t id[32];
    uint64_t hlc;
    int where;      /* IN_A, IN_B or IN_BOTH */
    int reported;   /* times the exchange named it in a give or need */
} uitem_t;

typedef struct {
    uitem_t *v;     /* sorted by id: the id -> hlc side table */
    size_t n;
} universe_t;

static int s_uitem_cmp(const void *x, const void *y)
{
    return memcmp(((const uitem_t *)x)->id, ((const uitem_t *)y)->id, 32);
}

static uitem_t *s_lookup(universe_t *u, const uint8_t id[32])
{
    uitem_t key;
    memcpy(key.id, id, 32);
    return bsearch(&key, u->v, u->n, sizeof *u->v, s_uitem_cmp);
}

typedef enum {
    HLC_SPREAD,     /* distinct-ish clocks over a wide range */
    HLC_FEW,        /* clocks from a pool of 20: many collisions */
    HLC_SAME,       /* every item has the same clock: bounds need id prefixes */
} hlc_kind_t;

typedef struct {
    uint64_t seed;
    size_t shared, only_a, only_b;
    hlc_kind_t hlc;
    bool long_prefix;   /* half the ids share a 29-byte prefix */
} case_t;

/* Builds the universe and both sets for a case. */
static void s_build(const case_t *c, universe_t *u, sync_set_t **a, sync_set_t **b)
{
    uint64_t st = c->seed;
    size_t total = c->shared + c->only_a + c->only_b;
    u->v = xcalloc(total ? total : 1, sizeof *u->v);
    uint8_t common[32];
    s_rand_bytes(&st, common, 32);
    for (size_t i = 0; i < total; i++) {
        uitem_t *it = &u->v[i];
        s_rand_bytes(&st, it->id, 32);
        if (c->long_prefix && s_rand(&st) % 2)
            memcpy(it->id, common, 29);
        switch (c->hlc) {
        case HLC_SPREAD: it->hlc = S_HLC0 + s_rand(&st) % (UINT64_C(1) << 40); break;
        case HLC_FEW: it->hlc = S_HLC0 + s_rand(&st) % 20; break;
        case HLC_SAME: it->hlc = S_HLC0; break;
        }
    }
    /* drop duplicate ids (only plausible with long_prefix) */
    qsort(u->v, total, sizeof *u->v, s_uitem_cmp);
    size_t w = 0;
    for (size_t i = 0; i < total; i++)
        if (w == 0 || s_uitem_cmp(&u->v[w - 1], &u->v[i]) != 0)
            u->v[w++] = u->v[i];
    u->n = w;
    /* membership: shuffle the planned A / B / both labels over the ids */
    int *where = xmalloc((total ? total : 1) * sizeof *where);
    for (size_t i = 0; i < total; i++)
        where[i] = i < c->shared ? IN_BOTH : i < c->shared + c->only_a ? IN_A : IN_B;
    for (size_t i = total; i > 1; i--) {
        size_t j = s_rand(&st) % i;
        int t = where[i - 1];
        where[i - 1] = where[j];
        where[j] = t;
    }
    *a = sync_set_new();
    *b = sync_set_new();
    /* ids are inserted in id order, not (hlc, id) order: the lazy sort works */
    for (size_t i = 0; i < u->n; i++) {
        u->v[i].where = where[i];
        if (where[i] & IN_A)
            sync_set_add(*a, u->v[i].hlc, u->v[i].id);
        if (where[i] & IN_B)
            sync_set_add(*b, u->v[i].hlc, u->v[i].id);
    }
    free(where);
}

/* Checks one list of reported ids: each must be in the universe with the
 * expected membership; counts reports. */
static void s_check_list(universe_t *u, const ids_t *l, int want, const char *what)
{
    for (size_t i = 0; i < l->n; i++) {
        uitem_t *it = s_lookup(u, l->v[i]);
        cr_assert_not_null(it, "[%s] %s names an id in neither set", s_ctx, what);
        cr_assert_eq(it->where, want, "[%s] %s names an id that is %s", s_ctx, what,
                     it->where == IN_BOTH ? "in both sets" : "on the wrong side");
        it->reported++;
    }
}

/* Adds the items in l (looked up in the side table) to set s. */
static void s_apply(universe_t *u, const ids_t *l, sync_set_t *s)
{
    for (size_t i = 0; i < l->n; i++) {
        uitem_t *it = s_lookup(u, l->v[i]);
        sync_set_add(s, it->hlc, it->id);
    }
}

/* Builds a case, reconciles, checks against the model, applies, and checks
 * that the sets are then equal and a second exchange ends at once. */
static void s_run_case(const case_t *c, xstats_t *out_stats)
{
    snprintf(s_ctx, sizeof s_ctx,
             "seed %llu shared %zu only_a %zu only_b %zu hlc %d long_prefix %d",
             (unsigned long long)c->seed, c->shared, c->only_a, c->only_b, (int)c->hlc,
             (int)c->long_prefix);
    universe_t u;
    sync_set_t *a, *b;
    s_build(c, &u, &a, &b);

    xstats_t st;
    run_exchange(a, b, &st);

    /* A gives and B needs what only A has; B gives and A needs what only B has */
    s_check_list(&u, &st.give[0], IN_A, "A's give");
    s_check_list(&u, &st.need[1], IN_A, "B's need");
    s_check_list(&u, &st.give[1], IN_B, "B's give");
    s_check_list(&u, &st.need[0], IN_B, "A's need");
    size_t diff = 0;
    for (size_t i = 0; i < u.n; i++) {
        if (u.v[i].where == IN_BOTH)
            continue;
        diff++;
        cr_assert_neq(u.v[i].reported, 0, "[%s] an id only in %s was never reported", s_ctx,
                      u.v[i].where == IN_A ? "A" : "B");
        cr_assert_eq(u.v[i].reported, 1, "[%s] an id was reported %d times", s_ctx,
                     u.v[i].reported);
    }
    size_t nrep = st.give[0].n + st.give[1].n + st.need[0].n + st.need[1].n;
    cr_assert_eq(nrep, diff, "[%s] reported %zu ids for a difference of %zu", s_ctx, nrep, diff);
    if (diff == 0)
        cr_assert(st.first_in_sync && st.msgs == 2,
                  "[%s] equal sets took %zu messages", s_ctx, st.msgs);

    s_apply(&u, &st.give[0], b);
    s_apply(&u, &st.need[1], b);
    s_apply(&u, &st.give[1], a);
    s_apply(&u, &st.need[0], a);
    cr_assert_eq(sync_set_count(a), u.n, "[%s] A has %zu of %zu items after apply", s_ctx,
                 sync_set_count(a), u.n);
    cr_assert_eq(sync_set_count(b), u.n, "[%s] B has %zu of %zu items after apply", s_ctx,
                 sync_set_count(b), u.n);

    xstats_t again;
    run_exchange(a, b, &again);
    cr_assert(again.first_in_sync, "[%s] second exchange did not start in sync", s_ctx);
    cr_assert_eq(again.msgs, 2, "[%s] second exchange took %zu messages", s_ctx, again.msgs);
    cr_assert_eq(again.give[0].n + again.give[1].n + again.need[0].n + again.need[1].n, 0);
    s_stats_free(&again);

    if (out_stats)
        *out_stats = st;
    else
        s_stats_free(&st);
    sync_set_free(&a);
    sync_set_free(&b);
    cr_assert_null(a);
    free(u.v);
}

/* A random case: sizes 0..max_shared, a difference 0..max_diff split
 * randomly between the sides. */
static case_t s_random_case(uint64_t seed, size_t max_shared, size_t max_diff)
{
    uint64_t st = seed;
    case_t c = {.seed = seed};
    c.shared = s_rand(&st) % (max_shared + 1);
    size_t d = s_rand(&st) % (max_diff + 1);
    c.only_a = d ? s_rand(&st) % (d + 1) : 0;
    c.only_b = d - c.only_a;
    return c;
}

/* ---- suite sync: randomised against the model ------------------------- */

Test(sync, random_sets_reconcile_to_exactly_their_symmetric_difference)
{
    for (uint64_t seed = 1; seed <= 50; seed++) {
        case_t c = s_random_case(seed, 5000, 300);
        s_run_case(&c, NULL);
    }
}

Test(sync, small_random_sets_reconcile_around_the_ids_threshold)
{
    /* sizes near SYNC_IDS_MAX and SYNC_SPLIT, where the describe logic turns */
    for (uint64_t seed = 100; seed < 130; seed++) {
        case_t c = s_random_case(seed, 40, 40);
        s_run_case(&c, NULL);
    }
}

Test(sync, clock_collisions_reconcile_with_prefix_bounds)
{
    for (uint64_t seed = 200; seed < 210; seed++) {
        case_t c = s_random_case(seed, 5000, 300);
        c.hlc = seed % 2 ? HLC_FEW : HLC_SAME;
        s_run_case(&c, NULL);
    }
}

Test(sync, ids_sharing_29_byte_prefixes_under_one_clock_reconcile)
{
    /* bounds between such ids need prefixes of 30..32 bytes */
    for (uint64_t seed = 300; seed < 306; seed++) {
        case_t c = s_random_case(seed, 3000, 200);
        c.hlc = HLC_SAME;
        c.long_prefix = true;
        s_run_case(&c, NULL);
    }
}

Test(sync, empty_side_catches_up_with_everything)
{
    for (uint64_t seed = 400; seed < 404; seed++) {
        uint64_t st = seed;
        case_t c = {.seed = seed, .hlc = seed % 3};
        size_t n = s_rand(&st) % 5001;
        if (seed % 2)
            c.only_a = n; /* the starter has everything */
        else
            c.only_b = n; /* the starter is the empty one */
        xstats_t xs;
        s_run_case(&c, &xs);
        if (seed % 2)
            cr_assert_eq(xs.give[0].n + xs.need[1].n, n, "[%s]", s_ctx);
        else
            cr_assert_eq(xs.give[1].n + xs.need[0].n, n, "[%s]", s_ctx);
        s_stats_free(&xs);
    }
}

Test(sync, both_empty_agree_in_two_messages)
{
    case_t c = {.seed = 500};
    xstats_t xs;
    s_run_case(&c, &xs);
    cr_assert_eq(xs.msgs, 2);
    cr_assert(xs.first_in_sync);
    s_stats_free(&xs);
}

Test(sync, identical_random_sets_agree_in_two_messages)
{
    for (uint64_t seed = 600; seed < 604; seed++) {
        uint64_t st = seed;
        case_t c = {.seed = seed, .shared = s_rand(&st) % 5001, .hlc = seed % 3};
        xstats_t xs;
        s_run_case(&c, &xs);
        cr_assert_eq(xs.msgs, 2, "[%s]", s_ctx);
        s_stats_free(&xs);
    }
}

Test(sync, large_difference_keeps_every_message_within_limits)
{
    /* a difference spread over every range makes replies fan out */
    case_t c = {.seed = 700, .shared = 20000, .only_a = 1500, .only_b = 1500};
    xstats_t xs;
    s_run_case(&c, &xs);
    cr_assert_leq(xs.max_ranges, MSG_MAX_RANGES, "[%s]", s_ctx);
    cr_assert_geq(xs.max_ranges, MSG_MAX_RANGES - SYNC_SPLIT - 1,
                  "[%s] the range cap was not reached; the test is weak", s_ctx);
    cr_assert_leq(xs.msgs, 32, "[%s] took %zu messages", s_ctx, xs.msgs);
    s_stats_free(&xs);
}

/* ---- suite sync: scripted --------------------------------------------- */

/* A set of n items with distinct clocks S_HLC0 + 10*i and seeded ids. */
static sync_set_t *s_seq_set(size_t n, uint64_t seed, uint8_t (*ids)[32])
{
    sync_set_t *s = sync_set_new();
    uint64_t st = seed;
    for (size_t i = 0; i < n; i++) {
        uint8_t id[32];
        s_rand_bytes(&st, id, 32);
        sync_set_add(s, S_HLC0 + 10 * i, id);
        if (ids)
            memcpy(ids[i], id, 32);
    }
    return s;
}

static bool s_ids_has(const uint8_t (*v)[32], size_t n, const uint8_t id[32])
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(v[i], id, 32) == 0)
            return true;
    return false;
}

static bool s_is_inf(const bound_t *b)
{
    return b->hlc == MSG_INF_HLC && b->len == 0;
}

Test(sync, identical_sets_of_1000_get_recon_empty_in_reply_to_start)
{
    sync_set_t *a = s_seq_set(1000, 1, NULL), *b = s_seq_set(1000, 1, NULL);
    buf_t f = {0};
    sync_start(a, &f);
    msg_t m;
    s_decode_recon(&f, &m);
    cr_assert_eq(m.nranges, SYNC_SPLIT, "1000 items start as SYNC_SPLIT fingerprints");
    uint64_t total = 0;
    for (size_t i = 0; i < m.nranges; i++) {
        cr_assert_eq(m.ranges[i].mode, RANGE_FP);
        total += m.ranges[i].count;
    }
    cr_assert_eq(total, 1000);
    cr_assert(s_is_inf(&m.ranges[m.nranges - 1].upper));

    sync_out_t out;
    sync_reply(b, &m, &out);
    cr_assert(out.in_sync);
    cr_assert_eq(out.ngive + out.nneed, 0);
    msg_t r;
    s_decode_recon(&out.reply, &r);
    cr_assert_eq(r.nranges, 0, "reply must be RECON []");
    msg_clear(&r);
    msg_clear(&m);
    sync_out_clear(&out);
    buf_free(&f);

    xstats_t xs;
    run_exchange(a, b, &xs);
    cr_assert_eq(xs.msgs, 2, "exactly sync_start and RECON []");
    s_stats_free(&xs);
    sync_set_free(&a);
    sync_set_free(&b);
}

Test(sync, ten_items_against_empty_start_with_one_ids_range)
{
    uint8_t ids[10][32];
    sync_set_t *a = s_seq_set(10, 2, ids), *b = sync_set_new();
    buf_t f = {0};
    sync_start(a, &f);
    msg_t m;
    s_decode_recon(&f, &m);
    cr_assert_eq(m.nranges, 1);
    cr_assert_eq(m.ranges[0].mode, RANGE_IDS);
    cr_assert_eq(m.ranges[0].nids, 10);
    cr_assert(s_is_inf(&m.ranges[0].upper));
    for (size_t i = 0; i < 10; i++)
        cr_assert(s_ids_has(m.ranges[0].ids, 10, ids[i]));

    /* the empty side needs all ten, gives none, and is then in sync */
    sync_out_t out;
    sync_reply(b, &m, &out);
    cr_assert_eq(out.nneed, 10);
    cr_assert_eq(out.ngive, 0);
    cr_assert(out.in_sync);
    msg_clear(&m);
    sync_out_clear(&out);
    buf_free(&f);
    sync_set_free(&a);
    sync_set_free(&b);
}

Test(sync, empty_set_starts_with_an_empty_ids_range_and_the_peer_gives_all)
{
    uint8_t ids[40][32];
    sync_set_t *a = sync_set_new(), *b = s_seq_set(40, 3, ids);
    buf_t f = {0};
    sync_start(a, &f);
    msg_t m;
    s_decode_recon(&f, &m);
    cr_assert_eq(m.nranges, 1);
    cr_assert_eq(m.ranges[0].mode, RANGE_IDS);
    cr_assert_eq(m.ranges[0].nids, 0);
    sync_out_t out;
    sync_reply(b, &m, &out);
    cr_assert_eq(out.ngive, 40);
    cr_assert_eq(out.nneed, 0);
    for (size_t i = 0; i < 40; i++)
        cr_assert(s_ids_has((const uint8_t(*)[32])out.give, out.ngive, ids[i]));
    cr_assert(out.in_sync);
    msg_clear(&m);
    sync_out_clear(&out);
    buf_free(&f);
    sync_set_free(&a);
    sync_set_free(&b);
}

/* A decoded-style RECON built by hand: FP count 0 below `mid`, SKIP above. */
Test(sync, fingerprint_with_count_zero_gives_everything_in_its_range)
{
    uint8_t ids[50][32];
    sync_set_t *b = s_seq_set(50, 4, ids); /* clocks S_HLC0 + 10*i */
    range_t r[2] = {0};
    r[0].upper.hlc = S_HLC0 + 10 * 20; /* items 0..19 are below */
    r[0].mode = RANGE_FP;
    r[0].count = 0;
    sync_fingerprint(NULL, 0, r[0].fp);
    r[1].upper.hlc = MSG_INF_HLC;
    r[1].mode = RANGE_SKIP;
    buf_t f = {0};
    msg_recon(&f, r, 2);
    msg_t m;
    s_decode_recon(&f, &m);
    sync_out_t out;
    sync_reply(b, &m, &out);
    cr_assert_eq(out.ngive, 20);
    cr_assert_eq(out.nneed, 0);
    for (size_t i = 0; i < 20; i++)
        cr_assert(s_ids_has((const uint8_t(*)[32])out.give, out.ngive, ids[i]),
                  "item %zu below the bound was not given", i);
    cr_assert(out.in_sync, "FP count 0 is answered with SKIP, so all SKIPs: RECON []");
    msg_t rr;
    s_decode_recon(&out.reply, &rr);
    cr_assert_eq(rr.nranges, 0);
    msg_clear(&rr);
    msg_clear(&m);
    sync_out_clear(&out);
    buf_free(&f);
    sync_set_free(&b);
}

Test(sync, ids_range_gives_ours_not_listed_and_needs_theirs_not_ours)
{
    uint8_t ids[10][32];
    sync_set_t *b = s_seq_set(10, 5, ids);
    uint8_t extra[2][32];
    memset(extra[0], 0xaa, 32);
    memset(extra[1], 0xbb, 32);
    /* list: ours 0..5 plus two unknown; we lack 6..9 in the list */
    range_t r = {.upper = {.hlc = MSG_INF_HLC}, .mode = RANGE_IDS};
    uint8_t list[8][32];
    memcpy(list, ids, 6 * 32);
    memcpy(list[6], extra[0], 32);
    memcpy(list[7], extra[1], 32);
    r.ids = list;
    r.nids = 8;
    buf_t f = {0};
    msg_recon(&f, &r, 1);
    msg_t m;
    s_decode_recon(&f, &m);
    sync_out_t out;
    sync_reply(b, &m, &out);
    cr_assert_eq(out.ngive, 4);
    for (size_t i = 6; i < 10; i++)
        cr_assert(s_ids_has((const uint8_t(*)[32])out.give, out.ngive, ids[i]));
    cr_assert_eq(out.nneed, 2);
    cr_assert(s_ids_has((const uint8_t(*)[32])out.need, out.nneed, extra[0]));
    cr_assert(s_ids_has((const uint8_t(*)[32])out.need, out.nneed, extra[1]));
    cr_assert(out.in_sync);
    msg_clear(&m);
    sync_out_clear(&out);
    buf_free(&f);
    sync_set_free(&b);
}

Test(sync, recon_empty_gets_no_reply)
{
    sync_set_t *b = s_seq_set(30, 6, NULL);
    buf_t f = {0};
    msg_recon(&f, NULL, 0);
    msg_t m;
    s_decode_recon(&f, &m);
    sync_out_t out;
    sync_reply(b, &m, &out);
    cr_assert(out.in_sync);
    cr_assert_eq(out.reply.len, 0);
    cr_assert_eq(out.ngive + out.nneed, 0);
    msg_clear(&m);
    sync_out_clear(&out);
    buf_free(&f);
    sync_set_free(&b);
}

Test(sync, differing_fingerprint_over_few_items_is_answered_with_their_ids)
{
    uint8_t ids[16][32];
    sync_set_t *b = s_seq_set(SYNC_IDS_MAX, 7, ids);
    range_t r = {.upper = {.hlc = MSG_INF_HLC}, .mode = RANGE_FP, .count = 3};
    memset(r.fp, 0x5a, 16);
    buf_t f = {0};
    msg_recon(&f, &r, 1);
    msg_t m;
    s_decode_recon(&f, &m);
    sync_out_t out;
    sync_reply(b, &m, &out);
    cr_assert(!out.in_sync);
    cr_assert_eq(out.ngive + out.nneed, 0);
    msg_t rr;
    s_decode_recon(&out.reply, &rr);
    cr_assert_eq(rr.nranges, 1);
    cr_assert_eq(rr.ranges[0].mode, RANGE_IDS);
    cr_assert_eq(rr.ranges[0].nids, SYNC_IDS_MAX);
    for (size_t i = 0; i < SYNC_IDS_MAX; i++)
        cr_assert(s_ids_has(rr.ranges[0].ids, rr.ranges[0].nids, ids[i]));
    msg_clear(&rr);
    msg_clear(&m);
    sync_out_clear(&out);
    buf_free(&f);
    sync_set_free(&b);
}

Test(sync, differing_fingerprint_over_many_items_splits_into_equal_fingerprints)
{
    enum { N = 1000 };
    uint8_t(*ids)[32] = xmalloc(N * 32);
    sync_set_t *b = s_seq_set(N, 8, ids);
    /* the range below S_HLC0 + 10*800 holds items 0..799; the rest is SKIP */
    range_t r[2] = {{.upper = {.hlc = S_HLC0 + 10 * 800}, .mode = RANGE_FP, .count = 799},
                    {.upper = {.hlc = MSG_INF_HLC}, .mode = RANGE_SKIP}};
    sync_fingerprint(ids, 799, r[0].fp); /* off by one item: differs */
    buf_t f = {0};
    msg_recon(&f, r, 2);
    msg_t m;
    s_decode_recon(&f, &m);
    sync_out_t out;
    sync_reply(b, &m, &out);
    msg_t rr;
    s_decode_recon(&out.reply, &rr);
    cr_assert_eq(rr.nranges, SYNC_SPLIT + 1, "SYNC_SPLIT fingerprints then the SKIP");
    size_t at = 0;
    for (size_t k = 0; k < SYNC_SPLIT; k++) {
        const range_t *x = &rr.ranges[k];
        cr_assert_eq(x->mode, RANGE_FP);
        cr_assert_eq(x->count, 800 / SYNC_SPLIT, "sub-ranges have equal counts");
        uint8_t fp[16];
        sync_fingerprint((const uint8_t(*)[32])ids + at, x->count, fp);
        cr_assert(memcmp(fp, x->fp, 16) == 0, "sub-range %zu fingerprint", k);
        at += x->count;
    }
    cr_assert_eq(rr.ranges[SYNC_SPLIT - 1].upper.hlc, S_HLC0 + 10 * 800,
                 "the last sub-range keeps the incoming bound");
    cr_assert_eq(rr.ranges[SYNC_SPLIT].mode, RANGE_SKIP);
    msg_clear(&rr);
    msg_clear(&m);
    sync_out_clear(&out);
    buf_free(&f);
    sync_set_free(&b);
    free(ids);
}

Test(sync, matching_fingerprint_with_other_count_is_not_a_match)
{
    /* FP equal but count different must not be taken as equal */
    uint8_t ids[20][32];
    sync_set_t *b = s_seq_set(20, 9, ids);
    range_t r = {.upper = {.hlc = MSG_INF_HLC}, .mode = RANGE_FP, .count = 21};
    sync_fingerprint(ids, 20, r.fp);
    buf_t f = {0};
    msg_recon(&f, &r, 1);
    msg_t m;
    s_decode_recon(&f, &m);
    sync_out_t out;
    sync_reply(b, &m, &out);
    cr_assert(!out.in_sync);
    msg_clear(&m);
    sync_out_clear(&out);
    /* and with the right count it is a match */
    buf_reset(&f);
    r.count = 20;
    msg_recon(&f, &r, 1);
    s_decode_recon(&f, &m);
    sync_reply(b, &m, &out);
    cr_assert(out.in_sync);
    msg_clear(&m);
    sync_out_clear(&out);
    buf_free(&f);
    sync_set_free(&b);
}

Test(sync, three_differences_in_a_hundred_thousand_finish_in_8_messages_and_8_kb)
{
    for (uint64_t seed = 800; seed < 803; seed++) {
        uint64_t st = seed;
        case_t c = {.seed = seed, .shared = 100000 - 3};
        c.only_a = s_rand(&st) % 4;
        c.only_b = 3 - c.only_a;
        xstats_t xs;
        s_run_case(&c, &xs);
        cr_assert_leq(xs.msgs, 8, "[%s] took %zu messages", s_ctx, xs.msgs);
        cr_assert_leq(xs.bytes, 8192, "[%s] took %zu bytes", s_ctx, xs.bytes);
        s_stats_free(&xs);
    }
}

/* ---- suite sync: the set and the fingerprint -------------------------- */

Test(sync, set_ignores_duplicates_and_removes_items)
{
    sync_set_t *s = sync_set_new();
    uint8_t x[32], y[32];
    memset(x, 1, 32);
    memset(y, 2, 32);
    sync_set_add(s, 5, y);
    sync_set_add(s, 5, x);
    sync_set_add(s, 5, y);
    cr_assert_eq(sync_set_count(s), 2);
    cr_assert(sync_set_has(s, 5, x));
    cr_assert(!sync_set_has(s, 6, x), "the clock is part of the item");
    sync_set_remove(s, 5, x);
    sync_set_remove(s, 5, x); /* absent: ignored */
    cr_assert_eq(sync_set_count(s), 1);
    cr_assert(!sync_set_has(s, 5, x));
    cr_assert(sync_set_has(s, 5, y));
    sync_set_free(&s);
    cr_assert_null(s);
    sync_set_free(&s); /* NULL: no-op */
    sync_set_free(NULL);
}

Test(sync, fingerprint_is_blake2b_of_the_modular_id_sum_and_count)
{
    /* 0xff..ff + 1 wraps to 0 modulo 2^256 */
    uint8_t ids[2][32] = {{0}};
    memset(ids[0], 0xff, 32);
    ids[1][0] = 1;
    uint8_t in[40] = {0}, h[32], fp[16];
    in[32] = 2;
    crypto_generichash(h, 32, in, 40, NULL, 0);
    sync_fingerprint(ids, 2, fp);
    cr_assert(memcmp(fp, h, 16) == 0, "carry must propagate through all 256 bits");

    /* order does not matter; the count does */
    uint8_t rev[2][32];
    memcpy(rev[0], ids[1], 32);
    memcpy(rev[1], ids[0], 32);
    uint8_t fp2[16];
    sync_fingerprint(rev, 2, fp2);
    cr_assert(memcmp(fp, fp2, 16) == 0);
    uint8_t zero[1][32] = {{0}}, fp0[16], fpe[16];
    sync_fingerprint(zero, 1, fp0);
    sync_fingerprint(NULL, 0, fpe);
    cr_assert(memcmp(fp0, fpe, 16) != 0, "an all-zero id still changes the count");

    /* a single id: sum is the id itself, little-endian words */
    uint8_t one[1][32];
    for (int i = 0; i < 32; i++)
        one[0][i] = (uint8_t)(i * 9 + 1);
    memcpy(in, one[0], 32);
    memset(in + 32, 0, 8);
    in[32] = 1;
    crypto_generichash(h, 32, in, 40, NULL, 0);
    sync_fingerprint(one, 1, fp);
    cr_assert(memcmp(fp, h, 16) == 0);
}

/*
 * Byte order (docs/protocol.md §2, §11.2). Two independent models of the
 * fingerprint that never load a host integer from memory: one adds the ids
 * byte by byte as 256-bit little-endian numbers; the other plays a
 * big-endian host, whose plain 8-byte load reads a word most significant
 * byte first, and so has to swap each word to get the little-endian value.
 * Both must give the published vectors and what sync_fingerprint gives
 * here; the unswapped big-endian load (what a memcpy into a uint64_t does
 * on such a host) must not.
 */
static void s_fp_bytewise(const uint8_t (*ids)[32], size_t n, uint8_t fp[16])
{
    uint8_t in[40] = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned carry = 0;
        for (int b = 0; b < 32; b++) {
            unsigned t = in[b] + ids[i][b] + carry;
            in[b] = (uint8_t)t;
            carry = t >> 8;
        }
    }
    for (int b = 0; b < 8; b++)
        in[32 + b] = (uint8_t)((uint64_t)n >> (8 * b));
    uint8_t h[32];
    crypto_generichash(h, 32, in, 40, NULL, 0);
    memcpy(fp, h, 16);
}

/* What a big-endian host's plain load of 8 bytes gives. */
static uint64_t s_be_host_load(const uint8_t p[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static uint64_t s_bswap64(uint64_t v)
{
    uint64_t r = 0;
    for (int i = 0; i < 8; i++, v >>= 8)
        r = r << 8 | (v & 0xff);
    return r;
}

/* The fingerprint as a big-endian host computes it: plain loads, then a
 * swap to little-endian (swap false: the host-order bug). */
static void s_fp_be_host(const uint8_t (*ids)[32], size_t n, bool swap, uint8_t fp[16])
{
    uint64_t w[4] = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned __int128 carry = 0;
        for (int k = 0; k < 4; k++) {
            uint64_t x = s_be_host_load(ids[i] + 8 * k);
            if (swap)
                x = s_bswap64(x);
            unsigned __int128 t = (unsigned __int128)w[k] + x + carry;
            w[k] = (uint64_t)t;
            carry = t >> 64;
        }
    }
    /* a big-endian host's plain store of a word is most significant byte
     * first; swapping first makes it little-endian */
    uint8_t in[40];
    for (int k = 0; k < 4; k++) {
        uint64_t x = swap ? s_bswap64(w[k]) : w[k];
        for (int b = 0; b < 8; b++)
            in[8 * k + b] = (uint8_t)(x >> (8 * (7 - b)));
    }
    uint64_t c = swap ? s_bswap64((uint64_t)n) : (uint64_t)n;
    for (int b = 0; b < 8; b++)
        in[32 + b] = (uint8_t)(c >> (8 * (7 - b)));
    uint8_t h[32];
    crypto_generichash(h, 32, in, 40, NULL, 0);
    memcpy(fp, h, 16);
}

Test(sync, fingerprint_does_not_depend_on_the_host_byte_order)
{
    /* docs/protocol.md §11.2 and §14.3: the empty list; item 0; items 15
     * and 16 (ids: BLAKE2b-256 of "item 0", "item 15", "item 16") */
    struct {
        const char *items[2];
        size_t n;
        const char *fp;
    } v[] = {
        {{NULL, NULL}, 0, "4a1931803561f431decab002e7425f0a"},
        {{"item 0", NULL}, 1, "985b64e3fa8f2322d816b49a58a4f1b8"},
        {{"item 15", "item 16"}, 2, "c24ec86a4389e082220ae1ca10fcc361"},
    };
    for (size_t t = 0; t < sizeof v / sizeof v[0]; t++) {
        uint8_t ids[2][32];
        for (size_t i = 0; i < v[t].n; i++)
            crypto_generichash(ids[i], 32, (const uint8_t *)v[t].items[i],
                               strlen(v[t].items[i]), NULL, 0);
        uint8_t a[16], b[16], c[16], bug[16];
        char hex[33];
        sync_fingerprint((const uint8_t(*)[32])ids, v[t].n, a);
        s_fp_bytewise((const uint8_t(*)[32])ids, v[t].n, b);
        s_fp_be_host((const uint8_t(*)[32])ids, v[t].n, true, c);
        s_fp_be_host((const uint8_t(*)[32])ids, v[t].n, false, bug);
        hex_encode(a, 16, hex);
        cr_assert_str_eq(hex, v[t].fp, "vector %zu: sync_fingerprint", t);
        hex_encode(b, 16, hex);
        cr_assert_str_eq(hex, v[t].fp, "vector %zu: byte-wise model", t);
        hex_encode(c, 16, hex);
        cr_assert_str_eq(hex, v[t].fp, "vector %zu: big-endian host model", t);
        if (v[t].n > 0) /* zeros look the same in either order */
            cr_assert(memcmp(bug, a, 16) != 0, "vector %zu: host order must matter to the bug", t);
    }
}

Test(sync, byte_order_helpers_write_the_documented_bytes)
{
    uint8_t b[8];
    le64_store(b, UINT64_C(0x0102030405060708));
    cr_assert(memcmp(b, "\x08\x07\x06\x05\x04\x03\x02\x01", 8) == 0);
    cr_assert_eq(le64_load(b), UINT64_C(0x0102030405060708));
    be64_store(b, UINT64_C(0x0102030405060708));
    cr_assert(memcmp(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0);
    cr_assert_eq(be64_load(b), UINT64_C(0x0102030405060708));
    le32_store(b, 0xB0B1E5EDu);
    cr_assert(memcmp(b, "\xed\xe5\xb1\xb0", 4) == 0);
    cr_assert_eq(le32_load(b), 0xB0B1E5EDu);
    be16_store(b, 4836);
    cr_assert(memcmp(b, "\x12\xe4", 2) == 0);
    cr_assert_eq(be16_load(b), 4836);
}

/* ---- suite sync: cost and the give cap, against a naive model --------- */

/*
 * The naive model of sync_reply(): the rule table of sync.h (docs/protocol.md
 * §11.4) read literally over a plain sorted array. Each range is found by a
 * linear scan, each fingerprint by summing its ids, each IDS list is matched
 * all-pairs, and the give cap is applied to the whole give list of a range:
 * where the peer has nothing (FP count 0, empty IDS list) the items that fit
 * are given and the rest handed back as one FP; an IDS list whose gives do
 * not fit is answered by describing the range, and no later range gives.
 * give_max = SIZE_MAX is the rule set from before the cap. sync_reply()
 * must produce the same reply bytes and the same give and need lists (as
 * multisets) for every message.
 */
typedef struct {
    uint64_t hlc;
    uint8_t id[32];
} nitem_t;

typedef struct {
    nitem_t *v;             /* sorted by (hlc, id), no duplicates */
    uint8_t (*ids)[32];     /* the same ids, in the same order */
    size_t n;
} model_t;

static int s_nitem_cmp(const void *x, const void *y)
{
    const nitem_t *a = x, *b = y;
    if (a->hlc != b->hlc)
        return a->hlc < b->hlc ? -1 : 1;
    return memcmp(a->id, b->id, 32);
}

/* Sorts and deduplicates md->v[0..n) and fills md->ids. */
static void s_model_seal(model_t *md)
{
    qsort(md->v, md->n, sizeof *md->v, s_nitem_cmp);
    size_t w = 0;
    for (size_t i = 0; i < md->n; i++)
        if (w == 0 || s_nitem_cmp(&md->v[w - 1], &md->v[i]) != 0)
            md->v[w++] = md->v[i];
    md->n = w;
    free(md->ids);
    md->ids = xmalloc((w ? w : 1) * 32);
    for (size_t i = 0; i < w; i++)
        memcpy(md->ids[i], md->v[i].id, 32);
}

/* The model of one side of a universe (IN_A or IN_B). */
static void s_model_of(const universe_t *u, int side, model_t *md)
{
    memset(md, 0, sizeof *md);
    md->v = xmalloc((u->n ? u->n : 1) * sizeof *md->v);
    for (size_t i = 0; i < u->n; i++)
        if (u->v[i].where & side) {
            md->v[md->n].hlc = u->v[i].hlc;
            memcpy(md->v[md->n].id, u->v[i].id, 32);
            md->n++;
        }
    s_model_seal(md);
}

static void s_model_free(model_t *md)
{
    free(md->v);
    free(md->ids);
    memset(md, 0, sizeof *md);
}

typedef struct {
    range_t *v;
    size_t n, cap;
} nranges_t;

static range_t *s_npush(nranges_t *rs, const bound_t *upper, range_mode_t mode)
{
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

/* §11.3: the shortest bound above x and at or below y. */
static bound_t s_nbetween(const nitem_t *x, const nitem_t *y)
{
    bound_t bd = {.hlc = y->hlc};
    if (x->hlc == y->hlc) {
        size_t j = 0;
        while (j < 32 && x->id[j] == y->id[j])
            j++;
        bd.len = (uint8_t)(j + 1 < 32 ? j + 1 : 32);
        memcpy(bd.prefix, y->id, bd.len);
    }
    return bd;
}

/* §11.3: describe v[lo..hi) with upper bound U. */
static void s_ndescribe(const model_t *md, size_t lo, size_t hi, const bound_t *U,
                        nranges_t *rs)
{
    size_t n = hi - lo;
    if (n <= SYNC_IDS_MAX) {
        range_t *r = s_npush(rs, U, RANGE_IDS);
        r->ids = xmalloc((n ? n : 1) * 32);
        memcpy(r->ids, md->ids + lo, n * 32);
        r->nids = n;
        return;
    }
    for (size_t k = 0; k < SYNC_SPLIT; k++) {
        size_t a = lo + n * k / SYNC_SPLIT, b = lo + n * (k + 1) / SYNC_SPLIT;
        bound_t bd = k + 1 < SYNC_SPLIT ? s_nbetween(&md->v[b - 1], &md->v[b]) : *U;
        range_t *r = s_npush(rs, &bd, RANGE_FP);
        r->count = b - a;
        sync_fingerprint((const uint8_t(*)[32])md->ids + a, b - a, r->fp);
    }
}

static bool s_nbelow(const bound_t *b, const nitem_t *it)
{
    return bound_cmp_item(b, it->hlc, it->id) < 0;
}

static bool s_nhas(const uint8_t (*v)[32], size_t lo, size_t hi, const uint8_t id[32])
{
    for (size_t i = lo; i < hi; i++)
        if (memcmp(v[i], id, 32) == 0)
            return true;
    return false;
}

static void s_naive_reply(const model_t *md, const msg_t *m, size_t give_max, sync_out_t *out)
{
    memset(out, 0, sizeof *out);
    if (m->nranges == 0) {
        out->in_sync = true;
        return;
    }
    nranges_t rs = {0};
    ids_t give = {0}, need = {0};
    size_t lo = 0, budget = give_max;
    for (size_t i = 0; i < m->nranges; i++) {
        const range_t *in = &m->ranges[i];
        if (i + 1 < m->nranges && rs.n + SYNC_SPLIT + 1 > MSG_MAX_RANGES) {
            const bound_t *last = &m->ranges[m->nranges - 1].upper;
            size_t end = lo;
            while (end < md->n && s_nbelow(last, &md->v[end]))
                end++;
            range_t *r = s_npush(&rs, last, RANGE_FP);
            r->count = end - lo;
            sync_fingerprint((const uint8_t(*)[32])md->ids + lo, end - lo, r->fp);
            break;
        }
        size_t hi = lo;
        while (hi < md->n && s_nbelow(&in->upper, &md->v[hi]))
            hi++;
        size_t nown = hi - lo;
        if (in->mode == RANGE_SKIP) {
            s_npush(&rs, &in->upper, RANGE_SKIP);
        } else if ((in->mode == RANGE_FP && in->count == 0) ||
                   (in->mode == RANGE_IDS && in->nids == 0)) {
            /* the peer has nothing here: what fits, then the rest as one FP */
            size_t k = nown < budget ? nown : budget;
            for (size_t j = lo; j < lo + k; j++)
                s_ids_add(&give, md->ids[j]);
            budget -= k;
            if (k == nown) {
                s_npush(&rs, &in->upper, RANGE_SKIP);
            } else {
                if (k > 0) {
                    bound_t bd = s_nbetween(&md->v[lo + k - 1], &md->v[lo + k]);
                    s_npush(&rs, &bd, RANGE_SKIP);
                }
                range_t *r = s_npush(&rs, &in->upper, RANGE_FP);
                r->count = hi - lo - k;
                sync_fingerprint((const uint8_t(*)[32])md->ids + lo + k, r->count, r->fp);
            }
        } else if (in->mode == RANGE_FP) {
            uint8_t fp[16];
            sync_fingerprint((const uint8_t(*)[32])md->ids + lo, nown, fp);
            if (memcmp(fp, in->fp, 16) == 0 && in->count == nown)
                s_npush(&rs, &in->upper, RANGE_SKIP);
            else
                s_ndescribe(md, lo, hi, &in->upper, &rs);
        } else {
            ids_t g = {0};
            for (size_t k = lo; k < hi; k++)
                if (!s_nhas((const uint8_t(*)[32])in->ids, 0, in->nids, md->ids[k]))
                    s_ids_add(&g, md->ids[k]);
            if (g.n <= budget) {
                for (size_t k = 0; k < g.n; k++)
                    s_ids_add(&give, g.v[k]);
                for (size_t k = 0; k < in->nids; k++)
                    if (!s_nhas((const uint8_t(*)[32])md->ids, lo, hi, in->ids[k]))
                        s_ids_add(&need, in->ids[k]);
                budget -= g.n;
                s_npush(&rs, &in->upper, RANGE_SKIP);
            } else {
                s_ndescribe(md, lo, hi, &in->upper, &rs);
                budget = 0;
            }
            s_ids_free(&g);
        }
        lo = hi;
    }
    if (rs.n == 1 && rs.v[0].mode == RANGE_SKIP) {
        msg_recon(&out->reply, NULL, 0);
        out->in_sync = true;
    } else {
        msg_recon(&out->reply, rs.v, rs.n);
    }
    for (size_t i = 0; i < rs.n; i++)
        free(rs.v[i].ids);
    free(rs.v);
    out->give = give.v;
    out->ngive = give.n;
    out->need = need.v;
    out->nneed = need.n;
}

/* The model of sync_start(): the whole set described under infinity. */
static void s_naive_start(const model_t *md, buf_t *f)
{
    nranges_t rs = {0};
    bound_t inf = {.hlc = MSG_INF_HLC};
    s_ndescribe(md, 0, md->n, &inf, &rs);
    msg_recon(f, rs.v, rs.n);
    for (size_t i = 0; i < rs.n; i++)
        free(rs.v[i].ids);
    free(rs.v);
}

static int s_id32_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* Two id lists hold the same ids the same number of times. */
static bool s_same_multiset(const uint8_t (*x)[32], size_t nx, const uint8_t (*y)[32], size_t ny)
{
    if (nx != ny)
        return false;
    if (nx == 0)
        return true;
    uint8_t(*a)[32] = xmalloc(nx * 32), (*b)[32] = xmalloc(nx * 32);
    memcpy(a, x, nx * 32);
    memcpy(b, y, nx * 32);
    qsort(a, nx, 32, s_id32_cmp);
    qsort(b, nx, 32, s_id32_cmp);
    bool same = memcmp(a, b, nx * 32) == 0;
    free(a);
    free(b);
    return same;
}

static size_t s_msg_ids(const msg_t *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->nranges; i++)
        k += m->ranges[i].nids;
    return k;
}

/* What the differential cases covered, so that a weak test shows. */
static size_t s_seen_capped, s_seen_full_reply;

/* Answers m with sync_reply(s) and with the model; they must agree, and the
 * work reported must be within sync_work_max(). The real answer is left in
 * *out (sync_out_clear after). */
static void s_diff_reply(sync_set_t *s, const model_t *md, const msg_t *m, sync_out_t *out,
                         const char *what)
{
    sync_out_t nv, uncapped;
    sync_reply(s, m, out);
    s_naive_reply(md, m, SYNC_GIVE_MAX, &nv);
    s_naive_reply(md, m, SIZE_MAX, &uncapped);
    if (uncapped.reply.len != nv.reply.len ||
        (nv.reply.len && memcmp(uncapped.reply.data, nv.reply.data, nv.reply.len) != 0))
        s_seen_capped++;
    sync_out_clear(&uncapped);
    cr_assert_eq(out->reply.len, nv.reply.len,
                 "[%s] %s: reply of %zu bytes, the model's %zu (%zu ranges in, set of %zu)",
                 s_ctx, what, out->reply.len, nv.reply.len, m->nranges, md->n);
    cr_assert(out->reply.len == 0 || memcmp(out->reply.data, nv.reply.data, nv.reply.len) == 0,
              "[%s] %s: reply differs from the model's", s_ctx, what);
    cr_assert_eq(out->in_sync, nv.in_sync, "[%s] %s: in_sync", s_ctx, what);
    if (out->reply.len) {
        msg_t rr;
        s_decode_recon(&out->reply, &rr);
        if (rr.nranges > MSG_MAX_RANGES - SYNC_SPLIT - 1)
            s_seen_full_reply++;
        msg_clear(&rr);
    }
    cr_assert(s_same_multiset((const uint8_t(*)[32])out->give, out->ngive,
                              (const uint8_t(*)[32])nv.give, nv.ngive),
              "[%s] %s: gives %zu ids, the model %zu", s_ctx, what, out->ngive, nv.ngive);
    cr_assert(s_same_multiset((const uint8_t(*)[32])out->need, out->nneed,
                              (const uint8_t(*)[32])nv.need, nv.nneed),
              "[%s] %s: needs %zu ids, the model %zu", s_ctx, what, out->nneed, nv.nneed);
    cr_assert_leq(out->ngive, SYNC_GIVE_MAX, "[%s] %s: over the give cap", s_ctx, what);
    size_t bound = sync_work_max(md->n, m->nranges, s_msg_ids(m));
    cr_assert_leq(out->work, bound, "[%s] %s: work %zu over sync_work_max %zu", s_ctx, what,
                  out->work, bound);
    sync_out_clear(&nv);
}

/* A random bound near item `at` of md (or anywhere): clock equal, one
 * above or random, prefix of a random length of the item's id or random. */
static bound_t s_rand_bound(uint64_t *st, const model_t *md)
{
    bound_t b = {0};
    uint64_t r = s_rand(st) % 8;
    if (md->n == 0 || r == 0) {
        b.hlc = S_HLC0 + s_rand(st) % (UINT64_C(1) << 41);
        return b;
    }
    const nitem_t *it = &md->v[s_rand(st) % md->n];
    b.hlc = it->hlc + (r == 1);
    if (r >= 3) {
        b.len = (uint8_t)(s_rand(st) % 33);
        memcpy(b.prefix, it->id, b.len);
        if (b.len > 0 && r == 7)
            b.prefix[b.len - 1] ^= (uint8_t)(1u << (s_rand(st) % 8));
    }
    return b;
}

static int s_bound_cmp(const void *x, const void *y)
{
    const bound_t *a = x, *b = y;
    if (a->hlc != b->hlc)
        return a->hlc < b->hlc ? -1 : 1;
    uint8_t pa[32] = {0}, pb[32] = {0};
    memcpy(pa, a->prefix, a->len);
    memcpy(pb, b->prefix, b->len);
    return memcmp(pa, pb, 32);
}

/* A random, valid and often hostile RECON against a set like md: strictly
 * increasing bounds ending at infinity; SKIP, FP (right, wrong, count 0,
 * absurd counts) and IDS ranges (ours in the range, ours elsewhere,
 * strangers, repeats, empty). Encoded and decoded as a peer would. */
static void s_rand_recon(uint64_t *st, const model_t *md, size_t max_ranges, size_t max_ids,
                         msg_t *m)
{
    size_t nb = 1 + s_rand(st) % max_ranges;
    /* with many ranges allowed, every other message is evenly spread
     * wrong fingerprints, so that the reply reaches MSG_MAX_RANGES */
    bool spread = max_ranges >= 100 && md->n >= 100 && s_rand(st) % 2;
    if (spread)
        nb = 70 + s_rand(st) % 60;
    bound_t *b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; i + 1 < nb; i++) {
        if (spread)
            b[i].hlc = md->v[md->n * (i + 1) / nb].hlc;
        else
            b[i] = s_rand_bound(st, md);
    }
    qsort(b, nb - 1, sizeof *b, s_bound_cmp);
    size_t w = 0;
    for (size_t i = 0; i + 1 < nb; i++)
        if (w == 0 || s_bound_cmp(&b[w - 1], &b[i]) != 0)
            b[w++] = b[i];
    memset(&b[w], 0, sizeof b[w]);
    b[w].hlc = MSG_INF_HLC;
    nb = w + 1;
    range_t *r = xcalloc(nb, sizeof *r);
    size_t lo = 0, ids_left = 100000; /* the frame stays under MSG_MAX_BYTES */
    for (size_t i = 0; i < nb; i++) {
        r[i].upper = b[i];
        size_t hi = lo;
        while (hi < md->n && s_nbelow(&b[i], &md->v[hi]))
            hi++;
        switch (spread && s_rand(st) % 4 ? 4 : s_rand(st) % 9) {
        case 0:
            r[i].mode = RANGE_SKIP;
            break;
        case 1: /* the right fingerprint: a match */
        case 2: /* right fingerprint, wrong count */
            r[i].mode = RANGE_FP;
            sync_fingerprint((const uint8_t(*)[32])md->ids + lo, hi - lo, r[i].fp);
            r[i].count = hi - lo;
            if (s_rand(st) % 9 == 2 || r[i].count == 0)
                r[i].count += 1 + s_rand(st) % 3;
            break;
        case 3: /* "I have nothing here" */
            r[i].mode = RANGE_FP;
            r[i].count = 0;
            sync_fingerprint(NULL, 0, r[i].fp);
            break;
        case 4: /* wrong fingerprint, absurd count */
            r[i].mode = RANGE_FP;
            s_rand_bytes(st, r[i].fp, 16);
            r[i].count = s_rand(st) % 2 ? s_rand(st) >> 1 : 1 + s_rand(st) % 20;
            break;
        default: { /* IDS */
            r[i].mode = RANGE_IDS;
            size_t k = s_rand(st) % 4 == 0 ? 0 : s_rand(st) % (max_ids + 1);
            k = k < ids_left ? k : ids_left;
            ids_left -= k;
            r[i].ids = xmalloc((k ? k : 1) * 32);
            r[i].nids = k;
            for (size_t j = 0; j < k; j++) {
                uint64_t how = s_rand(st) % 8;
                if (how < 4 && hi > lo)
                    memcpy(r[i].ids[j], md->ids[lo + s_rand(st) % (hi - lo)], 32);
                else if (how == 4 && md->n > 0)
                    memcpy(r[i].ids[j], md->ids[s_rand(st) % md->n], 32);
                else if (how == 5 && j > 0)
                    memcpy(r[i].ids[j], r[i].ids[s_rand(st) % j], 32);
                else
                    s_rand_bytes(st, r[i].ids[j], 32);
            }
            break;
        }
        }
        lo = hi;
    }
    buf_t f = {0};
    msg_recon(&f, r, nb);
    s_decode_recon(&f, m);
    buf_free(&f);
    for (size_t i = 0; i < nb; i++)
        free(r[i].ids);
    free(r);
    free(b);
}

/* A set and its model from a case's side A. */
static void s_case_side(const case_t *c, universe_t *u, sync_set_t **a, model_t *ma)
{
    sync_set_t *b;
    s_build(c, u, a, &b);
    sync_set_free(&b);
    s_model_of(u, IN_A, ma);
}

Test(sync, replies_equal_a_naive_all_pairs_model_for_random_and_hostile_messages)
{
    for (uint64_t seed = 1000; seed < 1048; seed++) {
        uint64_t st = seed;
        /* mostly small sets; every fourth large enough for the give cap */
        size_t max = seed % 4 == 0 ? 9000 : 3000;
        case_t c = {.seed = seed, .hlc = seed % 3, .long_prefix = seed % 5 == 0};
        c.only_a = s_rand(&st) % (max + 1);
        snprintf(s_ctx, sizeof s_ctx, "seed %llu items %zu hlc %d", (unsigned long long)seed,
                 c.only_a, (int)c.hlc);
        universe_t u;
        sync_set_t *s;
        model_t md;
        s_case_side(&c, &u, &s, &md);
        for (int k = 0; k < 12; k++) {
            msg_t m;
            size_t max_ranges = k % 4 == 3 ? MSG_MAX_RANGES : 40;
            s_rand_recon(&st, &md, max_ranges, k % 6 == 5 ? 300 : 60, &m);
            sync_out_t out;
            char what[64];
            snprintf(what, sizeof what, "message %d (%zu ranges)", k, m.nranges);
            s_diff_reply(s, &md, &m, &out, what);
            sync_out_clear(&out);
            msg_clear(&m);
        }
        sync_set_free(&s);
        s_model_free(&md);
        free(u.v);
    }
    cr_assert_gt(s_seen_capped, 3, "the give cap changed no reply; the test is weak");
    cr_assert_gt(s_seen_full_reply, 3, "no reply reached the range limit; the test is weak");
}

/* Every step of an honest exchange between two random sets, answered by
 * sync_reply and by the model on the same input. */
Test(sync, honest_exchanges_equal_the_naive_model_step_by_step)
{
    for (uint64_t seed = 1100; seed < 1130; seed++) {
        case_t c = s_random_case(seed, seed % 3 == 0 ? 9000 : 2000, seed % 3 == 0 ? 6000 : 200);
        c.hlc = seed % 3;
        snprintf(s_ctx, sizeof s_ctx, "seed %llu shared %zu only_a %zu only_b %zu",
                 (unsigned long long)seed, c.shared, c.only_a, c.only_b);
        universe_t u;
        sync_set_t *side[2];
        model_t md[2];
        s_build(&c, &u, &side[0], &side[1]);
        s_model_of(&u, IN_A, &md[0]);
        s_model_of(&u, IN_B, &md[1]);
        buf_t cur = {0}, nstart = {0};
        sync_start(side[0], &cur);
        s_naive_start(&md[0], &nstart);
        cr_assert(cur.len == nstart.len && memcmp(cur.data, nstart.data, cur.len) == 0,
                  "[%s] sync_start differs from the model", s_ctx);
        buf_free(&nstart);
        int turn = 1;
        for (int step = 0;; step++) {
            cr_assert_lt(step, 200, "[%s] no end after 200 messages", s_ctx);
            msg_t m;
            s_decode_recon(&cur, &m);
            buf_free(&cur);
            sync_out_t out;
            s_diff_reply(side[turn], &md[turn], &m, &out, "exchange step");
            msg_clear(&m);
            if (out.reply.len == 0) {
                sync_out_clear(&out);
                break;
            }
            cur = out.reply;
            out.reply = (buf_t){0};
            sync_out_clear(&out);
            turn ^= 1;
        }
        for (int k = 0; k < 2; k++) {
            sync_set_free(&side[k]);
            s_model_free(&md[k]);
        }
        free(u.v);
    }
}

/* The prefix sums behind the fingerprints follow additions out of clock
 * order, repeated additions and removals. */
Test(sync, fingerprints_stay_right_after_additions_out_of_order_and_removals)
{
    uint64_t st = 1200;
    snprintf(s_ctx, sizeof s_ctx, "seed 1200");
    sync_set_t *s = sync_set_new();
    model_t md = {0};
    size_t cap = 0;
    for (int batch = 0; batch < 60; batch++) {
        size_t k = s_rand(&st) % 400;
        for (size_t i = 0; i < k; i++) {
            if (md.n == cap) {
                cap = cap ? cap * 2 : 256;
                md.v = xrealloc(md.v, cap * sizeof *md.v);
            }
            nitem_t it;
            uint64_t how = s_rand(&st) % 10;
            if (how == 0 && md.n > 0) {
                it = md.v[s_rand(&st) % md.n]; /* again */
            } else if (how < 5) {
                s_rand_bytes(&st, it.id, 32); /* newest: appended in order */
                it.hlc = S_HLC0 + 100000 * (uint64_t)batch + 100 * i;
            } else {
                s_rand_bytes(&st, it.id, 32); /* anywhere in the past */
                it.hlc = S_HLC0 + s_rand(&st) % (100000 * (uint64_t)(batch + 1));
            }
            sync_set_add(s, it.hlc, it.id);
            md.v[md.n++] = it;
        }
        s_model_seal(&md);
        /* remove a few, present or not */
        size_t nrm = md.n ? s_rand(&st) % 20 : 0;
        for (size_t i = 0; i < nrm && md.n > 0; i++) {
            size_t at = s_rand(&st) % md.n;
            sync_set_remove(s, md.v[at].hlc, md.v[at].id);
            memmove(md.v + at, md.v + at + 1, (md.n - at - 1) * sizeof *md.v);
            md.n--;
            uint8_t stranger[32];
            s_rand_bytes(&st, stranger, 32);
            sync_set_remove(s, S_HLC0, stranger);
        }
        s_model_seal(&md);
        cr_assert_eq(sync_set_count(s), md.n, "batch %d", batch);
        buf_t f = {0}, g = {0};
        sync_start(s, &f);
        s_naive_start(&md, &g);
        cr_assert(f.len == g.len && memcmp(f.data, g.data, f.len) == 0,
                  "batch %d: sync_start differs from the model over %zu items", batch, md.n);
        buf_free(&f);
        buf_free(&g);
        for (int j = 0; j < 3; j++) {
            msg_t m;
            s_rand_recon(&st, &md, 60, 40, &m);
            sync_out_t out;
            s_diff_reply(s, &md, &m, &out, "after changes");
            sync_out_clear(&out);
            msg_clear(&m);
        }
    }
    sync_set_free(&s);
    s_model_free(&md);
}

/* The all-pairs version compared every listed id with every item in the
 * range: 4096 ids against 100,000 items were 409,600,000 comparisons. */
Test(sync, an_ids_range_of_max_ids_against_100000_items_costs_work_linear_in_both)
{
    enum { N = 100000 };
    uint8_t(*ids)[32] = xmalloc(N * 32);
    sync_set_t *s = s_seq_set(N, 13, ids); /* item i has clock S_HLC0 + 10 i */
    uint64_t st = 13;
    uint8_t(*list)[32] = xmalloc(MSG_MAX_IDS * 32);
    for (int c = 0; c < 5; c++) {
        /* c 0: strangers over everything; 1: ours over everything; 2: half
         * ours over a range of 8192 (4096 to give: fits); 3: the same over
         * 8193 (does not fit); 4: exactly the 4096 items of the range */
        size_t from = 0, to = N;
        if (c >= 2) {
            from = 50000;
            to = from + (c == 2 ? 8192 : c == 3 ? 8193 : MSG_MAX_IDS);
        }
        for (size_t j = 0; j < MSG_MAX_IDS; j++) {
            if (c == 0)
                s_rand_bytes(&st, list[j], 32);
            else if (c == 1)
                memcpy(list[j], ids[s_rand(&st) % N], 32);
            else
                memcpy(list[j], ids[from + (c == 4 ? j : 2 * j)], 32);
        }
        range_t r[3] = {0};
        r[0].upper.hlc = S_HLC0 + 10 * from;
        r[0].mode = RANGE_SKIP;
        r[1].upper.hlc = to == N ? MSG_INF_HLC : S_HLC0 + 10 * to;
        r[1].mode = RANGE_IDS;
        r[1].ids = list;
        r[1].nids = MSG_MAX_IDS;
        r[2].upper.hlc = MSG_INF_HLC;
        r[2].mode = RANGE_SKIP;
        size_t nr = from == 0 ? 1 : to == N ? 2 : 3;
        buf_t f = {0};
        msg_recon(&f, from == 0 ? r + 1 : r, nr);
        msg_t m;
        s_decode_recon(&f, &m);
        sync_out_t out;
        sync_reply(s, &m, &out);
        cr_assert_leq(out.work, N + 4 * MSG_MAX_IDS, "case %d: work %zu", c, out.work);
        cr_assert_leq(out.work, sync_work_max(N, nr, MSG_MAX_IDS), "case %d", c);
        cr_assert_gt(out.work, 0, "case %d: no work reported", c);
        cr_assert_leq(out.ngive, SYNC_GIVE_MAX, "case %d", c);
        if (c == 2) {
            cr_assert_eq(out.ngive, SYNC_GIVE_MAX, "the other half of 8192 fits the cap");
            cr_assert(out.in_sync);
            cr_assert_geq(out.work, 8192, "every item of the range was looked at");
        } else if (c == 4) {
            cr_assert_eq(out.ngive + out.nneed, 0);
            cr_assert(out.in_sync);
        } else {
            /* too much to give: the range is split for the peer instead */
            cr_assert_eq(out.ngive, 0, "case %d", c);
            cr_assert(!out.in_sync, "case %d", c);
            msg_t rr;
            s_decode_recon(&out.reply, &rr);
            cr_assert_geq(rr.nranges, SYNC_SPLIT, "case %d", c);
            msg_clear(&rr);
        }
        sync_out_clear(&out);
        msg_clear(&m);
        buf_free(&f);
    }
    free(list);
    free(ids);
    sync_set_free(&s);
}

/* The peer has nothing in the range (an empty IDS list, or FP count 0):
 * everything up to the cap is given, and the rest handed back as one FP. */
Test(sync, a_peer_with_nothing_gets_the_first_give_max_items_and_the_rest_as_one_fingerprint)
{
    for (size_t n = SYNC_GIVE_MAX; n <= SYNC_GIVE_MAX + 100; n += 100) {
        for (int fp0 = 0; fp0 < 2; fp0++) {
            uint8_t(*ids)[32] = xmalloc(n * 32);
            sync_set_t *s = s_seq_set(n, 14, ids); /* clocks S_HLC0 + 10 i */
            range_t r = {.upper = {.hlc = MSG_INF_HLC}, .mode = fp0 ? RANGE_FP : RANGE_IDS};
            sync_fingerprint(NULL, 0, r.fp);
            buf_t f = {0};
            msg_recon(&f, &r, 1);
            msg_t m;
            s_decode_recon(&f, &m);
            sync_out_t out;
            sync_reply(s, &m, &out);
            cr_assert_eq(out.ngive, SYNC_GIVE_MAX, "n %zu", n);
            cr_assert(memcmp(out.give, ids, SYNC_GIVE_MAX * 32) == 0, "the first items, in order");
            if (n == SYNC_GIVE_MAX) {
                cr_assert(out.in_sync);
            } else {
                msg_t rr;
                s_decode_recon(&out.reply, &rr);
                cr_assert_eq(rr.nranges, 2, "SKIP what was given, FP the rest");
                cr_assert_eq(rr.ranges[0].mode, RANGE_SKIP);
                cr_assert_eq(rr.ranges[0].upper.hlc, S_HLC0 + 10 * SYNC_GIVE_MAX);
                cr_assert_eq(rr.ranges[1].mode, RANGE_FP);
                cr_assert_eq(rr.ranges[1].count, n - SYNC_GIVE_MAX);
                uint8_t fp[16];
                sync_fingerprint((const uint8_t(*)[32])ids + SYNC_GIVE_MAX, n - SYNC_GIVE_MAX,
                                 fp);
                cr_assert(memcmp(fp, rr.ranges[1].fp, 16) == 0);
                cr_assert(s_is_inf(&rr.ranges[1].upper));
                msg_clear(&rr);
            }
            sync_out_clear(&out);
            msg_clear(&m);
            buf_free(&f);
            free(ids);
            sync_set_free(&s);
        }
    }
}

/* A lying "FP count 0" over everything: bounded gives per message, and an
 * honest (empty) peer answering the replies still gets every item once. */
Test(sync, count_zero_over_everything_gives_at_most_the_cap_and_an_honest_peer_converges)
{
    enum { N = 100000 };
    uint8_t(*ids)[32] = xmalloc(N * 32);
    sync_set_t *b = s_seq_set(N, 15, ids), *a = sync_set_new();
    /* sorted copy for lookups, and a report count per id */
    uint8_t(*sorted)[32] = xmalloc(N * 32);
    memcpy(sorted, ids, N * 32);
    qsort(sorted, N, 32, s_id32_cmp);
    int *seen = xcalloc(N, sizeof *seen);

    range_t r = {.upper = {.hlc = MSG_INF_HLC}, .mode = RANGE_FP, .count = 0};
    sync_fingerprint(NULL, 0, r.fp);
    buf_t cur = {0};
    msg_recon(&cur, &r, 1);
    sync_set_t *side[2] = {a, b};
    int turn = 1; /* b answers the lie first */
    size_t msgs = 0, reported = 0;
    for (;;) {
        cr_assert_lt(msgs, 400, "no end after 400 messages");
        msg_t m;
        s_decode_recon(&cur, &m);
        buf_free(&cur);
        sync_out_t out;
        sync_reply(side[turn], &m, &out);
        msgs++;
        cr_assert_leq(out.ngive, SYNC_GIVE_MAX, "message %zu", msgs);
        size_t wmax = sync_work_max(sync_set_count(side[turn]), m.nranges, s_msg_ids(&m));
        cr_assert_leq(out.work, wmax, "message %zu", msgs);
        msg_clear(&m);
        /* b gives, a (empty) needs what b lists */
        cr_assert(turn == 1 ? out.nneed == 0 : out.ngive == 0);
        uint8_t(*v)[32] = turn == 1 ? out.give : out.need;
        size_t nv = turn == 1 ? out.ngive : out.nneed;
        for (size_t i = 0; i < nv; i++) {
            uint8_t(*hit)[32] = bsearch(v[i], sorted, N, 32, s_id32_cmp);
            cr_assert_not_null(hit);
            seen[hit - sorted]++;
        }
        reported += nv;
        if (msgs == 1)
            cr_assert_eq(out.ngive, SYNC_GIVE_MAX, "the lie still gets the first items");
        if (out.reply.len == 0) {
            sync_out_clear(&out);
            break;
        }
        cur = out.reply;
        out.reply = (buf_t){0};
        sync_out_clear(&out);
        turn ^= 1;
    }
    cr_assert_eq(reported, N, "reported %zu of %d", reported, N);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(seen[i], 1, "an id was reported %d times", seen[i]);
    /* one round trip per SYNC_GIVE_MAX ids */
    cr_assert_geq(msgs, 2 * (N / SYNC_GIVE_MAX), "took %zu messages", msgs);
    cr_assert_leq(msgs, 2 * (N / SYNC_GIVE_MAX) + 24, "took %zu messages", msgs);
    free(seen);
    free(sorted);
    free(ids);
    sync_set_free(&a);
    sync_set_free(&b);
}

/* Frames of a whole exchange answered by f on both sides. */
typedef void (*answer_fn)(sync_set_t *s, const model_t *md, const msg_t *m, sync_out_t *out);

static void s_answer_real(sync_set_t *s, const model_t *md, const msg_t *m, sync_out_t *out)
{
    (void)md;
    sync_reply(s, m, out);
}

static void s_answer_uncapped(sync_set_t *s, const model_t *md, const msg_t *m, sync_out_t *out)
{
    (void)s;
    s_naive_reply(md, m, SIZE_MAX, out);
}

/* Runs a whole exchange with `answer`; returns the concatenated frames. */
static void s_exchange_frames(sync_set_t *side[2], const model_t md[2], answer_fn answer,
                              buf_t *all, size_t *msgs)
{
    buf_t cur = {0};
    sync_start(side[0], &cur);
    *msgs = 1;
    buf_append(all, cur.data, cur.len);
    int turn = 1;
    for (;;) {
        cr_assert_lt(*msgs, S_MAX_ROUNDS, "[%s] no end", s_ctx);
        msg_t m;
        s_decode_recon(&cur, &m);
        buf_free(&cur);
        sync_out_t out;
        answer(side[turn], &md[turn], &m, &out);
        msg_clear(&m);
        if (out.reply.len == 0) {
            sync_out_clear(&out);
            break;
        }
        (*msgs)++;
        buf_append(all, out.reply.data, out.reply.len);
        cur = out.reply;
        out.reply = (buf_t){0};
        sync_out_clear(&out);
        turn ^= 1;
    }
}

/* Below the give cap nothing changed: the same frames as the rules from
 * before it, so the same round trips and bytes (bench/recon.c: 1,000,000
 * items differing in 3 take 3 round trips and 6,742 bytes). */
Test(sync, small_differences_take_the_same_messages_as_before_the_give_cap)
{
    struct {
        size_t n, d;
    } cases[] = {{100000, 3}, {100000, 3}, {10000, 30}, {1000, 300}, {20000, 3000}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        case_t c = {.seed = 1300 + k, .shared = cases[k].n};
        c.only_a = cases[k].d / 2;
        c.only_b = cases[k].d - c.only_a;
        snprintf(s_ctx, sizeof s_ctx, "seed %llu n %zu d %zu", (unsigned long long)c.seed,
                 cases[k].n, cases[k].d);
        universe_t u;
        sync_set_t *side[2];
        model_t md[2];
        s_build(&c, &u, &side[0], &side[1]);
        s_model_of(&u, IN_A, &md[0]);
        s_model_of(&u, IN_B, &md[1]);
        buf_t now = {0}, before = {0};
        size_t mnow, mbefore;
        s_exchange_frames(side, md, s_answer_real, &now, &mnow);
        s_exchange_frames(side, md, s_answer_uncapped, &before, &mbefore);
        cr_assert_eq(mnow, mbefore, "[%s] %zu messages, %zu before the cap", s_ctx, mnow,
                     mbefore);
        cr_assert_eq(now.len, before.len, "[%s] %zu bytes, %zu before the cap", s_ctx, now.len,
                     before.len);
        cr_assert(memcmp(now.data, before.data, now.len) == 0, "[%s] frames differ", s_ctx);
        if (cases[k].d == 3)
            cr_assert_leq(mnow, 6, "[%s] 3 round trips", s_ctx);
        buf_free(&now);
        buf_free(&before);
        for (int j = 0; j < 2; j++) {
            sync_set_free(&side[j]);
            s_model_free(&md[j]);
        }
        free(u.v);
    }
}

/* ---- suite msg: bound_cmp_item ---------------------------------------- */

Test(msg, bound_orders_by_clock_then_by_zero_padded_prefix)
{
    uint8_t id[32] = {0};
    bound_t b = {.hlc = 100, .len = 0};
    cr_assert_lt(bound_cmp_item(&b, 99, id), 0);
    cr_assert_geq(bound_cmp_item(&b, 100, id), 0, "the all-zero id sits at an empty-prefix bound");
    cr_assert_geq(bound_cmp_item(&b, 101, id), 0);
    memset(id, 0xff, 32);
    cr_assert_lt(bound_cmp_item(&b, 99, id), 0, "lower clock is below whatever the id");

    /* prefix "ab": padded to ab 00 00 ... */
    bound_t p = {.hlc = 100, .len = 2, .prefix = {0xab, 0xcd}};
    uint8_t at[32] = {0xab, 0xcd};
    cr_assert_geq(bound_cmp_item(&p, 100, at), 0, "an id equal to the padded prefix is at it");
    uint8_t above[32] = {0xab, 0xcd};
    above[31] = 1;
    cr_assert_geq(bound_cmp_item(&p, 100, above), 0);
    uint8_t below[32];
    memset(below, 0xff, 32);
    below[0] = 0xab;
    below[1] = 0xcc;
    cr_assert_lt(bound_cmp_item(&p, 100, below), 0);
    cr_assert_geq(bound_cmp_item(&p, 101, below), 0);

    /* trailing zero bytes in a prefix change nothing */
    bound_t pz = {.hlc = 100, .len = 5, .prefix = {0xab, 0xcd}};
    cr_assert_geq(bound_cmp_item(&pz, 100, at), 0);
    cr_assert_lt(bound_cmp_item(&pz, 100, below), 0);

    /* a full 32-byte prefix */
    bound_t full = {.hlc = 7, .len = 32};
    memset(full.prefix, 0x42, 32);
    uint8_t same[32], less[32];
    memset(same, 0x42, 32);
    memcpy(less, same, 32);
    less[31] = 0x41;
    cr_assert_geq(bound_cmp_item(&full, 7, same), 0);
    cr_assert_lt(bound_cmp_item(&full, 7, less), 0);

    /* infinity is above every real clock */
    bound_t inf = {.hlc = MSG_INF_HLC};
    cr_assert_lt(bound_cmp_item(&inf, MSG_INF_HLC - 1, id), 0);
}

/* ---- suite msg: round trips ------------------------------------------- */

/* Decodes frame, re-encodes with enc() and expects the same bytes. */
static void s_expect_ok(const buf_t *f, msg_t *m)
{
    int rc = msg_decode(f->data, f->len, m);
    cr_assert_eq(rc, 0, "valid frame rejected: %s", bu_strerror(rc));
}

/* msg_edits writes msgpack by hand: the same bytes as the canonical
 * encoding of the value, for every header size of the list and the bins. */
Test(msg, edits_encode_as_the_canonical_value)
{
    static const size_t counts[] = {0, 1, 15, 16, 300, 70000};
    static const size_t sizes[] = {1, 255, 256, 65535, 65536};
    uint8_t *big = xcalloc(65536 + 8, 1); /* blobs start up to 6 bytes in */
    for (size_t i = 0; i < 65536 + 8; i++)
        big[i] = (uint8_t)(i * 31);
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        size_t n = counts[c];
        msg_blob_t *b = xcalloc(n ? n : 1, sizeof *b);
        pv_t *a = pv_arr(), *l = pv_arr();
        pv_arr_push(a, pv_int(MSG_EDITS));
        for (size_t i = 0; i < n; i++) {
            size_t len = n > 300 ? 1 + i % 3 : sizes[i % 5];
            b[i] = (msg_blob_t){big + i % 7, len};
            pv_arr_push(l, pv_bin(b[i].data, len));
        }
        pv_arr_push(a, l);
        pv_arr_push(a, pv_bool(n % 2 == 1));
        buf_t want = {0}, got = {0};
        pv_encode(a, &want);
        msg_edits(&got, b, n, n % 2 == 1);
        cr_assert(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
                  "%zu edits: %zu bytes, the value encodes to %zu", n, got.len, want.len);
        pv_free(&a);
        buf_free(&want);
        buf_free(&got);
        free(b);
    }
    free(big);
}

Test(msg, hello_round_trips)
{
    uint8_t mesh[32];
    for (int i = 0; i < 32; i++)
        mesh[i] = (uint8_t)(200 - i);
    buf_t f = {0};
    msg_hello(&f, mesh, "de-wijk", 1767225600123ULL);
    msg_t m;
    s_expect_ok(&f, &m);
    cr_assert_eq(m.type, MSG_HELLO);
    cr_assert_eq(m.version, PROTO_VERSION);
    cr_assert(memcmp(m.mesh, mesh, 32) == 0);
    cr_assert_str_eq(m.name, "de-wijk");
    cr_assert_eq(m.time_ms, 1767225600123LL, "the sender's wall clock travels in HELLO");
    msg_clear(&m);
    cr_assert_null(m.name, "msg_clear resets the message");
    buf_free(&f);
}

/* "caps" names optional features: known names become bits, unknown ones
 * are ignored, a HELLO without caps has none (and the same bytes as
 * msg_hello), and caps of the wrong type or over the limits is refused. */
static void s_hello_with_caps(buf_t *f, pv_t *caps)
{
    uint8_t mesh[32] = {7};
    pv_t *a = pv_arr(), *ext = pv_map();
    pv_arr_push(a, pv_int(MSG_HELLO));
    pv_arr_push(a, pv_int(PROTO_VERSION));
    pv_arr_push(a, pv_bin(mesh, 32));
    pv_arr_push(a, pv_str("n"));
    pv_map_set(ext, "caps", caps);
    pv_arr_push(a, ext);
    pv_encode(a, f);
    pv_free(&a);
}

Test(msg, hello_caps_name_features_and_unknown_ones_are_ignored)
{
    uint8_t mesh[32] = {7};
    buf_t f = {0}, g = {0};
    msg_t m;
    msg_hello_caps(&f, mesh, "n", 5, MSG_CAP_ZSTD | MSG_CAP_ANNOUNCE);
    s_expect_ok(&f, &m);
    cr_assert_eq(m.caps, MSG_CAP_ZSTD | MSG_CAP_ANNOUNCE);
    msg_clear(&m);
    buf_free(&f);
    msg_hello_caps(&f, mesh, "n", 5, 0);
    msg_hello(&g, mesh, "n", 5);
    cr_assert(f.len == g.len && memcmp(f.data, g.data, f.len) == 0, "no caps: no caps key");
    s_expect_ok(&f, &m);
    cr_assert_eq(m.caps, 0u);
    msg_clear(&m);
    buf_free(&f);
    buf_free(&g);
    cr_assert_str_eq(msg_cap_name(MSG_CAP_ZSTD), "zstd");
    cr_assert_str_eq(msg_cap_name(MSG_CAP_ANNOUNCE), "announce");
    cr_assert_null(msg_cap_name(1u << 20));

    pv_t *c = pv_arr();
    pv_arr_push(c, pv_str("teleport"));
    pv_arr_push(c, pv_str("announce"));
    s_hello_with_caps(&f, c);
    s_expect_ok(&f, &m);
    cr_assert_eq(m.caps, MSG_CAP_ANNOUNCE, "unknown names are ignored");
    msg_clear(&m);
    buf_free(&f);

    s_hello_with_caps(&f, pv_str("zstd"));
    cr_assert_lt(msg_decode(f.data, f.len, &m), 0, "caps must be a list");
    msg_clear(&m);
    buf_free(&f);
    c = pv_arr();
    for (int i = 0; i <= MSG_CAPS_MAX; i++)
        pv_arr_push(c, pv_str("x"));
    s_hello_with_caps(&f, c);
    cr_assert_lt(msg_decode(f.data, f.len, &m), 0, "at most MSG_CAPS_MAX names");
    msg_clear(&m);
    buf_free(&f);
    c = pv_arr();
    pv_arr_push(c, pv_int(1));
    s_hello_with_caps(&f, c);
    cr_assert_lt(msg_decode(f.data, f.len, &m), 0, "names are strings");
    msg_clear(&m);
    buf_free(&f);
}

/* HELLO's fifth element is an extension map: a HELLO without it (four
 * elements) is still valid, unknown keys are ignored, and a "time" that
 * is not a non-negative integer is refused. */
Test(msg, hello_extensions_are_optional_and_unknown_keys_ignored)
{
    uint8_t mesh[32] = {9};
    pv_t *a = pv_arr();
    pv_arr_push(a, pv_int(MSG_HELLO));
    pv_arr_push(a, pv_int(PROTO_VERSION));
    pv_arr_push(a, pv_bin(mesh, 32));
    pv_arr_push(a, pv_str("oud"));
    buf_t f = {0};
    pv_encode(a, &f);
    msg_t m;
    s_expect_ok(&f, &m);
    cr_assert_eq(m.time_ms, -1, "no time sent");
    msg_clear(&m);

    pv_t *ext = pv_map();
    pv_map_set(ext, "future", pv_str("ignored"));
    pv_map_set(ext, "time", pv_int(42));
    pv_arr_push(a, ext);
    f.len = 0;
    pv_encode(a, &f);
    s_expect_ok(&f, &m);
    cr_assert_eq(m.time_ms, 42);
    msg_clear(&m);

    pv_map_set(ext, "time", pv_str("noon"));
    f.len = 0;
    pv_encode(a, &f);
    cr_assert_lt(msg_decode(f.data, f.len, &m), 0, "a time that is not a number is refused");
    pv_free(&a);
    buf_free(&f);
}

Test(msg, recon_with_every_range_mode_round_trips_byte_for_byte)
{
    uint8_t ids[3][32];
    for (int k = 0; k < 3; k++)
        memset(ids[k], 0x10 * (k + 1), 32);
    range_t r[4] = {0};
    r[0].upper = (bound_t){.hlc = 5, .len = 0};
    r[0].mode = RANGE_SKIP;
    r[1].upper = (bound_t){.hlc = 5, .len = 3, .prefix = {1, 2, 3}};
    r[1].mode = RANGE_FP;
    memset(r[1].fp, 0x77, 16);
    r[1].count = 123456;
    r[2].upper = (bound_t){.hlc = S_HLC0, .len = 32};
    memset(r[2].upper.prefix, 0xee, 32);
    r[2].mode = RANGE_IDS;
    r[2].ids = ids;
    r[2].nids = 3;
    r[3].upper = (bound_t){.hlc = MSG_INF_HLC};
    r[3].mode = RANGE_IDS; /* empty IDS list */
    buf_t f = {0};
    msg_recon(&f, r, 4);
    msg_t m;
    s_expect_ok(&f, &m);
    cr_assert_eq(m.type, MSG_RECON);
    cr_assert_eq(m.nranges, 4);
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(m.ranges[k].mode, r[k].mode);
        cr_assert_eq(m.ranges[k].upper.hlc, r[k].upper.hlc);
        cr_assert_eq(m.ranges[k].upper.len, r[k].upper.len);
        cr_assert(memcmp(m.ranges[k].upper.prefix, r[k].upper.prefix, r[k].upper.len) == 0);
    }
    cr_assert(memcmp(m.ranges[1].fp, r[1].fp, 16) == 0);
    cr_assert_eq(m.ranges[1].count, 123456);
    cr_assert_eq(m.ranges[2].nids, 3);
    cr_assert(memcmp(m.ranges[2].ids, ids, 96) == 0);
    cr_assert_eq(m.ranges[3].nids, 0);
    buf_t g = {0};
    msg_recon(&g, m.ranges, m.nranges);
    cr_assert_eq(g.len, f.len);
    cr_assert(memcmp(g.data, f.data, f.len) == 0, "re-encoding differs");
    msg_clear(&m);
    buf_free(&f);
    buf_free(&g);

    /* RECON [] */
    msg_recon(&f, NULL, 0);
    s_expect_ok(&f, &m);
    cr_assert_eq(m.type, MSG_RECON);
    cr_assert_eq(m.nranges, 0);
    msg_clear(&m);
    buf_free(&f);
}

Test(msg, want_round_trips_up_to_the_id_limit)
{
    size_t counts[] = {0, 1, 15, 16, MSG_MAX_IDS};
    uint8_t(*ids)[32] = xmalloc(MSG_MAX_IDS * 32);
    uint64_t st = 11;
    s_rand_bytes(&st, (uint8_t *)ids, MSG_MAX_IDS * 32);
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        buf_t f = {0};
        msg_want(&f, (const uint8_t(*)[32])ids, counts[k]);
        msg_t m;
        s_expect_ok(&f, &m);
        cr_assert_eq(m.type, MSG_WANT);
        cr_assert_eq(m.nids, counts[k]);
        cr_assert(counts[k] == 0 || memcmp(m.ids, ids, counts[k] * 32) == 0);
        msg_clear(&m);
        buf_free(&f);
    }
    free(ids);
}

Test(msg, edits_round_trip_with_blobs_pointing_into_the_frame)
{
    /* blob sizes covering bin8, bin16 and bin32 headers; > 15 entries for
     * the array16 header */
    size_t sizes[20] = {0, 1, 255, 256, 65535, 65536, 70000};
    for (int i = 7; i < 20; i++)
        sizes[i] = (size_t)i * 3;
    msg_blob_t blobs[20];
    uint8_t *store[20];
    for (int i = 0; i < 20; i++) {
        store[i] = xmalloc(sizes[i] + 1);
        for (size_t j = 0; j < sizes[i]; j++)
            store[i][j] = (uint8_t)(j * 31 + (size_t)i);
        blobs[i] = (msg_blob_t){store[i], sizes[i]};
    }
    size_t ns[] = {0, 1, 7, 20};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        buf_t f = {0};
        msg_edits(&f, blobs, ns[k], k % 2 == 1);
        msg_t m;
        s_expect_ok(&f, &m);
        cr_assert_eq(m.type, MSG_EDITS);
        cr_assert_eq(m.nedits, ns[k]);
        cr_assert_eq(m.reply, k % 2 == 1);
        for (size_t i = 0; i < ns[k]; i++) {
            cr_assert_eq(m.edits[i].len, sizes[i]);
            cr_assert(m.edits[i].data >= f.data && m.edits[i].data + sizes[i] <= f.data + f.len,
                      "blob %zu does not point into the frame", i);
            cr_assert(memcmp(m.edits[i].data, store[i], sizes[i]) == 0);
        }
        msg_clear(&m);
        buf_free(&f);
    }
    for (int i = 0; i < 20; i++)
        free(store[i]);
}

Test(msg, ping_round_trips)
{
    buf_t f = {0};
    msg_ping(&f);
    msg_t m;
    s_expect_ok(&f, &m);
    cr_assert_eq(m.type, MSG_PING);
    msg_clear(&m);
    buf_free(&f);
}

/* ---- suite msg: rejects ----------------------------------------------- */

/* Encodes v (taking it), expects msg_decode to fail and leave m clear. */
/* ---- ZEDITS (protocol.md §10.7) */

static void s_rejects_pv(pv_t *v, const char *what);

/* An EDITS of n example-like, compressible edits (text that repeats). */
static void s_plain_edits(buf_t *f, size_t n, bool reply, uint8_t **store, msg_blob_t *blobs)
{
    for (size_t i = 0; i < n; i++) {
        char *t = xasprintf("{\"title\":\"Soup kitchen shift %zu\",\"where\":\"Community "
                            "centre, Main Street\",\"when\":\"2026-12-%02zu 12:00\",\"status\":"
                            "\"open\",\"note\":\"bring an apron\"}",
                            i, i % 28 + 1);
        store[i] = (uint8_t *)t;
        blobs[i] = (msg_blob_t){store[i], strlen(t)};
    }
    msg_edits(f, blobs, n, reply);
}

/* [8, bin z] around raw bytes z. */
static void s_zframe(buf_t *f, const void *z, size_t n)
{
    pv_t *v = pv_arr();
    pv_arr_push(v, pv_int(MSG_ZEDITS));
    pv_arr_push(v, pv_bin(z, n));
    pv_encode(v, f);
    pv_free(&v);
}

/* [8, zstd(plain)], with or without the content size in the frame. */
static void s_zwrap(buf_t *f, const void *plain, size_t n, bool size)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, size ? 1 : 0);
    size_t cap = ZSTD_compressBound(n);
    uint8_t *z = xmalloc(cap);
    size_t zn;
    if (size) {
        zn = ZSTD_compress2(c, z, cap, plain, n);
    } else {
        /* streaming without a pledged size: the frame cannot state it */
        ZSTD_outBuffer o = {z, cap, 0};
        ZSTD_inBuffer in = {plain, n, 0};
        size_t left = ZSTD_compressStream2(c, &o, &in, ZSTD_e_end);
        cr_assert_eq(left, 0);
        zn = o.pos;
        cr_assert_eq(ZSTD_getFrameContentSize(z, zn), ZSTD_CONTENTSIZE_UNKNOWN);
    }
    cr_assert(!ZSTD_isError(zn));
    s_zframe(f, z, zn);
    free(z);
    ZSTD_freeCCtx(c);
}

static void s_zrejects(const buf_t *f, const char *what)
{
    msg_t m;
    int rc = msg_decode(f->data, f->len, &m);
    cr_assert_lt(rc, 0, "accepted: %s", what);
    cr_assert(m.edits == NULL && m.plain == NULL, "failed decode left allocations: %s", what);
}

Test(msg, zedits_round_trip_to_the_edits_they_hold)
{
    uint8_t *store[64];
    msg_blob_t blobs[64];
    size_t ns[] = {2, 3, 64};
    msg_zc_t *z = msg_zc_new(MSG_ZSTD_LEVEL);
    for (size_t k = 0; k < 3; k++) {
        buf_t plain = {0}, f = {0};
        s_plain_edits(&plain, ns[k], k == 1, store, blobs);
        size_t zn = msg_zedits(&f, z, plain.data, plain.len);
        cr_assert_gt(zn, 0, "%zu edits did not get smaller", ns[k]);
        cr_assert_eq(zn, f.len);
        cr_assert_lt(f.len, plain.len);
        msg_t m;
        s_expect_ok(&f, &m);
        cr_assert_eq(m.type, MSG_ZEDITS);
        cr_assert_eq(m.nedits, ns[k]);
        cr_assert_eq(m.reply, k == 1);
        cr_assert_eq(m.plain_len, plain.len);
        cr_assert(memcmp(m.plain, plain.data, plain.len) == 0);
        for (size_t i = 0; i < ns[k]; i++) {
            cr_assert_eq(m.edits[i].len, blobs[i].len);
            cr_assert(m.edits[i].data >= m.plain && m.edits[i].data + m.edits[i].len <= m.plain + m.plain_len,
                      "edit %zu does not point into the decompressed message", i);
            cr_assert(memcmp(m.edits[i].data, blobs[i].data, blobs[i].len) == 0);
        }
        /* the edits outlive the frame: they live in the message */
        buf_free(&f);
        cr_assert(memcmp(m.edits[0].data, blobs[0].data, blobs[0].len) == 0);
        msg_clear(&m);
        cr_assert(m.plain == NULL && m.edits == NULL);
        for (size_t i = 0; i < ns[k]; i++)
            free(store[i]);
        buf_free(&plain);
    }
    msg_zc_destroy(&z);
    cr_assert_null(z);
    msg_zc_destroy(&z); /* NULL: nothing */
}

/* A ZEDITS made against a link's history: far smaller for an edit like
 * the ones before it, left closed by msg_decode, opened only with a
 * history of the same total (else BU_ENOENT, nothing is wrong with it). */
Test(msg, zedits_against_a_history_open_only_with_that_history)
{
    uint8_t *store[8], *past[8];
    msg_blob_t blobs[8], pblobs[8];
    msg_zc_t *zc = msg_zc_new(MSG_ZSTD_LEVEL);
    msg_hist_t h = {0}, other = {0};
    buf_t earlier = {0}, one = {0}, f = {0}, alone = {0};
    s_plain_edits(&earlier, 8, false, past, pblobs);
    msg_hist_add(&h, earlier.data, earlier.len);
    s_plain_edits(&one, 1, false, store, blobs);
    cr_assert_gt(msg_zedits_hist(&f, zc, one.data, one.len, &h), 0);
    size_t without = msg_zedits(&alone, zc, one.data, one.len);
    cr_assert(without == 0 || f.len < alone.len, "history did not help: %zu vs %zu", f.len, alone.len);
    cr_assert_lt(f.len * 2, one.len, "one edit like the last ones: %zu of %zu bytes", f.len, one.len);
    msg_t m;
    s_expect_ok(&f, &m);
    cr_assert_eq(m.type, MSG_ZEDITS);
    cr_assert(m.zhist && m.zhist_total == earlier.len && m.nedits == 0 && m.plain == NULL);
    /* another history of another total: cannot be read here */
    msg_hist_add(&other, earlier.data, earlier.len - 1);
    cr_assert_eq(msg_zedits_open(&m, &other), BU_ENOENT);
    cr_assert_eq(msg_zedits_open(&m, &h), 0);
    cr_assert_eq(m.nedits, 1);
    cr_assert_eq(m.edits[0].len, blobs[0].len);
    cr_assert(memcmp(m.edits[0].data, blobs[0].data, blobs[0].len) == 0);
    cr_assert_eq(msg_zedits_open(&m, &h), BU_EINVAL, "opened twice");
    msg_clear(&m);
    /* the same total with other bytes: garbage, never the edit */
    msg_hist_reset(&other);
    uint8_t *noise = xmalloc(earlier.len);
    for (size_t i = 0; i < earlier.len; i++)
        noise[i] = (uint8_t)(i * 7 + 3);
    msg_hist_add(&other, noise, earlier.len);
    s_expect_ok(&f, &m);
    int rc = msg_zedits_open(&m, &other);
    cr_assert(rc < 0 || m.nedits != 1 || memcmp(m.edits[0].data, blobs[0].data, blobs[0].len) != 0);
    msg_clear(&m);
    free(noise);
    /* a history keeps the last MSG_ZHIST_BYTES and counts them all */
    msg_hist_reset(&h);
    uint8_t *big = xmalloc(MSG_ZHIST_BYTES + 5000);
    for (size_t i = 0; i < MSG_ZHIST_BYTES + 5000; i++)
        big[i] = (uint8_t)(i % 251);
    msg_hist_add(&h, big, 3000);
    msg_hist_add(&h, big + 3000, MSG_ZHIST_BYTES);
    msg_hist_add(&h, big + 3000 + MSG_ZHIST_BYTES, 2000);
    cr_assert_eq(h.total, MSG_ZHIST_BYTES + 5000);
    cr_assert_eq(h.len, MSG_ZHIST_BYTES);
    cr_assert(memcmp(h.b, big + 5000, MSG_ZHIST_BYTES) == 0);
    msg_hist_add(&h, big, MSG_ZHIST_BYTES + 1);
    cr_assert(memcmp(h.b, big + 1, MSG_ZHIST_BYTES) == 0);
    free(big);
    for (size_t i = 0; i < 8; i++)
        free(past[i]);
    free(store[0]);
    msg_hist_free(&h);
    msg_hist_free(&other);
    buf_free(&earlier);
    buf_free(&one);
    buf_free(&f);
    buf_free(&alone);
    msg_zc_destroy(&zc);
}

Test(msg, zedits_is_not_made_when_it_would_not_be_smaller)
{
    msg_zc_t *z = msg_zc_new(MSG_ZSTD_LEVEL);
    uint8_t rnd[300];
    randombytes_buf(rnd, sizeof rnd);
    msg_blob_t b = {rnd, sizeof rnd};
    buf_t plain = {0}, f = {0};
    msg_edits(&plain, &b, 1, false);
    cr_assert_eq(msg_zedits(&f, z, plain.data, plain.len), 0);
    cr_assert_eq(f.len, 0);
    buf_reset(&plain);
    msg_edits(&plain, NULL, 0, true); /* 3 bytes */
    cr_assert_eq(msg_zedits(&f, z, plain.data, plain.len), 0);
    buf_free(&plain);
    msg_zc_destroy(&z);
}

Test(msg, zedits_without_a_content_size_or_over_the_limit_is_rejected)
{
    uint8_t *store[8];
    msg_blob_t blobs[8];
    buf_t plain = {0}, f = {0};
    s_plain_edits(&plain, 8, false, store, blobs);
    s_zwrap(&f, plain.data, plain.len, true);
    msg_t m;
    s_expect_ok(&f, &m); /* the same content with its size is fine */
    msg_clear(&m);
    buf_reset(&f);
    s_zwrap(&f, plain.data, plain.len, false);
    s_zrejects(&f, "no content size");
    /* a bomb: MSG_MAX_BYTES + 1 zero bytes is a small frame */
    uint8_t *big = xcalloc(MSG_MAX_BYTES + 1, 1);
    buf_reset(&f);
    s_zwrap(&f, big, MSG_MAX_BYTES + 1, true);
    cr_assert_lt(f.len, 1024);
    cr_assert_eq(msg_decode(f.data, f.len, &m), BU_ETOOBIG);
    free(big);
    for (size_t i = 0; i < 8; i++)
        free(store[i]);
    buf_free(&plain);
    buf_free(&f);
}

Test(msg, zedits_whose_frame_lies_about_its_size_is_rejected)
{
    uint8_t *store[1];
    msg_blob_t blobs[1];
    buf_t plain = {0};
    s_plain_edits(&plain, 1, false, store, blobs);
    cr_assert_lt(plain.len, 256);
    uint8_t z[512];
    size_t zn = ZSTD_compress(z, sizeof z, plain.data, plain.len, 3);
    cr_assert(!ZSTD_isError(zn));
    /* one-shot, small: a single-segment frame whose content size is the
     * one byte after the magic and the descriptor */
    cr_assert_eq(z[4] & 0xe0, 0x20, "not a single-segment frame with a 1-byte size");
    cr_assert_eq(z[5], plain.len);
    int deltas[] = {-1, 1, 40};
    for (size_t i = 0; i < 3; i++) {
        uint8_t lie[512];
        memcpy(lie, z, zn);
        lie[5] = (uint8_t)(plain.len + deltas[i]);
        buf_t f = {0};
        s_zframe(&f, lie, zn);
        s_zrejects(&f, "content size lies");
        buf_free(&f);
    }
    free(store[0]);
    buf_free(&plain);
}

Test(msg, zedits_of_garbage_or_more_than_one_frame_is_rejected)
{
    uint8_t *store[4];
    msg_blob_t blobs[4];
    buf_t plain = {0}, f = {0};
    s_plain_edits(&plain, 4, false, store, blobs);
    uint8_t z[2048];
    size_t zn = ZSTD_compress(z, sizeof z, plain.data, plain.len, 3);
    cr_assert(!ZSTD_isError(zn));
    uint8_t rnd[200];
    randombytes_buf(rnd, sizeof rnd);
    s_zframe(&f, rnd, sizeof rnd);
    s_zrejects(&f, "random bytes");
    buf_reset(&f);
    s_zframe(&f, "", 0);
    s_zrejects(&f, "empty frame");
    buf_reset(&f);
    s_zframe(&f, z, zn - 1);
    s_zrejects(&f, "truncated frame");
    uint8_t two[4096];
    memcpy(two, z, zn);
    memcpy(two + zn, z, zn);
    buf_reset(&f);
    s_zframe(&f, two, 2 * zn);
    s_zrejects(&f, "two frames");
    two[zn] = 0;
    buf_reset(&f);
    s_zframe(&f, two, zn + 1);
    s_zrejects(&f, "a frame and a byte");
    /* a frame made with a dictionary (none is defined) */
    {
        static const char dict[] = "Soup kitchen shift Community centre, Main Street apron open";
        ZSTD_CCtx *c = ZSTD_createCCtx();
        uint8_t zd[2048];
        size_t zdn = ZSTD_compress_usingDict(c, zd, sizeof zd, plain.data, plain.len, dict,
                                             sizeof dict - 1, 3);
        cr_assert(!ZSTD_isError(zdn));
        ZSTD_freeCCtx(c);
        buf_reset(&f);
        s_zframe(&f, zd, zdn);
        s_zrejects(&f, "a frame that needs a dictionary");
    }
    /* a content checksum that fails */
    {
        ZSTD_CCtx *c = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
        uint8_t zc[2048];
        size_t zcn = ZSTD_compress2(c, zc, sizeof zc, plain.data, plain.len);
        cr_assert(!ZSTD_isError(zcn));
        ZSTD_freeCCtx(c);
        buf_reset(&f);
        s_zframe(&f, zc, zcn);
        msg_t ok;
        s_expect_ok(&f, &ok); /* with its checksum right */
        msg_clear(&ok);
        zc[zcn - 1] ^= 1;
        buf_reset(&f);
        s_zframe(&f, zc, zcn);
        s_zrejects(&f, "a checksum that fails");
    }
    /* a skippable frame states no content */
    uint8_t skip[12] = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
    buf_reset(&f);
    s_zframe(&f, skip, sizeof skip);
    s_zrejects(&f, "skippable frame");
    /* shapes */
    pv_t *v = pv_arr();
    pv_arr_push(v, pv_int(MSG_ZEDITS));
    s_rejects_pv(v, "ZEDITS without its frame");
    v = pv_arr();
    pv_arr_push(v, pv_int(MSG_ZEDITS));
    pv_arr_push(v, pv_str("x"));
    s_rejects_pv(v, "ZEDITS frame not a bin");
    v = pv_arr();
    pv_arr_push(v, pv_int(MSG_ZEDITS));
    pv_arr_push(v, pv_bin(z, zn));
    pv_arr_push(v, pv_bool(true));
    s_rejects_pv(v, "ZEDITS whose hist is not a count");
    v = pv_arr();
    pv_arr_push(v, pv_int(MSG_ZEDITS));
    pv_arr_push(v, pv_bin(z, zn));
    pv_arr_push(v, pv_int(3));
    pv_arr_push(v, pv_int(3));
    s_rejects_pv(v, "ZEDITS with an extra field");
    for (size_t i = 0; i < 4; i++)
        free(store[i]);
    buf_free(&plain);
    buf_free(&f);
}

Test(msg, zedits_must_hold_exactly_one_valid_edits)
{
    msg_zc_t *zc = msg_zc_new(MSG_ZSTD_LEVEL);
    uint8_t *store[16];
    msg_blob_t blobs[16];
    buf_t plain = {0}, f = {0}, inner = {0};
    s_plain_edits(&plain, 16, false, store, blobs);
    /* a PING, a RECON, bytes that are no message */
    buf_t other = {0};
    msg_ping(&other);
    s_zwrap(&f, other.data, other.len, true);
    s_zrejects(&f, "a PING inside");
    buf_reset(&other);
    msg_recon(&other, NULL, 0);
    buf_reset(&f);
    s_zwrap(&f, other.data, other.len, true);
    s_zrejects(&f, "a RECON inside");
    buf_reset(&f);
    s_zwrap(&f, "hello, world: not msgpack at all", 32, true);
    s_zrejects(&f, "not a message inside");
    /* an EDITS and a trailing byte */
    buf_t more = {0};
    buf_append(&more, plain.data, plain.len);
    buf_putc(&more, 0xc0);
    buf_reset(&f);
    s_zwrap(&f, more.data, more.len, true);
    s_zrejects(&f, "an EDITS and a byte inside");
    /* a ZEDITS inside a ZEDITS */
    cr_assert_gt(msg_zedits(&inner, zc, plain.data, plain.len), 0);
    buf_reset(&f);
    s_zwrap(&f, inner.data, inner.len, true);
    s_zrejects(&f, "a ZEDITS inside");
    for (size_t i = 0; i < 16; i++)
        free(store[i]);
    buf_free(&plain);
    buf_free(&f);
    buf_free(&inner);
    buf_free(&other);
    buf_free(&more);
    msg_zc_destroy(&zc);
}

static void s_rejects_pv(pv_t *v, const char *what)
{
    buf_t f = {0};
    pv_encode(v, &f);
    pv_free(&v);
    msg_t m;
    int rc = msg_decode(f.data, f.len, &m);
    cr_assert_lt(rc, 0, "accepted: %s", what);
    cr_assert(m.ranges == NULL && m.ids == NULL && m.edits == NULL && m.name == NULL,
              "failed decode left allocations: %s", what);
    msg_clear(&m); /* harmless on a cleared message */
    buf_free(&f);
}

static pv_t *s_arr2(pv_t *a, pv_t *b)
{
    pv_t *v = pv_arr();
    pv_arr_push(v, a);
    if (b)
        pv_arr_push(v, b);
    return v;
}

/* [4, list, false] */
static pv_t *s_edits_pv(pv_t *l)
{
    pv_t *v = s_arr2(pv_int(MSG_EDITS), l);
    pv_arr_push(v, pv_bool(false));
    return v;
}

/* [hlc, prefix, mode, payload] */
static pv_t *s_range_pv(int64_t hlc, const void *prefix, size_t plen, int64_t mode, pv_t *payload)
{
    pv_t *e = pv_arr();
    pv_arr_push(e, pv_int(hlc));
    pv_arr_push(e, pv_bin(prefix, plen));
    pv_arr_push(e, pv_int(mode));
    pv_arr_push(e, payload);
    return e;
}

static pv_t *s_skip_inf(void)
{
    return s_range_pv(MSG_INF_HLC, "", 0, RANGE_SKIP, pv_nil());
}

static pv_t *s_fp_payload(size_t fplen, int64_t count)
{
    uint8_t fp[32] = {0};
    return s_arr2(pv_bin(fp, fplen), pv_int(count));
}

/* [2, [ranges...]] from up to three ranges (NULL-terminated). */
static pv_t *s_recon_pv(pv_t *r0, pv_t *r1, pv_t *r2)
{
    pv_t *rs = pv_arr();
    if (r0)
        pv_arr_push(rs, r0);
    if (r1)
        pv_arr_push(rs, r1);
    if (r2)
        pv_arr_push(rs, r2);
    return s_arr2(pv_int(MSG_RECON), rs);
}

static pv_t *s_id_list(size_t n, size_t idlen)
{
    pv_t *l = pv_arr();
    uint8_t id[40] = {0};
    for (size_t i = 0; i < n; i++) {
        memcpy(id, &i, sizeof i);
        pv_arr_push(l, pv_bin(id, idlen));
    }
    return l;
}

Test(msg, unknown_types_and_wrong_shapes_are_rejected)
{
    s_rejects_pv(pv_int(5), "top level not an array");
    s_rejects_pv(pv_arr(), "empty array");
    s_rejects_pv(s_arr2(pv_str("x"), NULL), "type not an int");
    s_rejects_pv(s_arr2(pv_int(0), NULL), "type 0");
    s_rejects_pv(s_arr2(pv_int(6), NULL), "type 6");
    s_rejects_pv(s_arr2(pv_int(-1), NULL), "type -1");
    s_rejects_pv(s_arr2(pv_int(INT64_MAX), NULL), "huge type");
    s_rejects_pv(s_arr2(pv_int(MSG_PING), pv_nil()), "PING with a field");
    s_rejects_pv(s_arr2(pv_int(MSG_RECON), NULL), "RECON without ranges");
    pv_t *v = s_recon_pv(NULL, NULL, NULL);
    pv_arr_push(v, pv_nil());
    s_rejects_pv(v, "RECON with an extra field");
    s_rejects_pv(s_arr2(pv_int(MSG_RECON), pv_nil()), "RECON ranges not an array");
    s_rejects_pv(s_arr2(pv_int(MSG_WANT), NULL), "WANT without ids");
    s_rejects_pv(s_arr2(pv_int(MSG_WANT), pv_bin("", 0)), "WANT ids not an array");
    s_rejects_pv(s_arr2(pv_int(MSG_EDITS), NULL), "EDITS without list");
    s_rejects_pv(s_arr2(pv_int(MSG_EDITS), pv_int(1)), "EDITS list not an array");
    s_rejects_pv(s_edits_pv(pv_int(1)), "EDITS list not an array, with the flag");
    s_rejects_pv(s_arr2(pv_int(MSG_EDITS), pv_arr()), "EDITS without the reply flag");
    pv_t *e4 = s_edits_pv(pv_arr());
    pv_arr_push(e4, pv_nil());
    s_rejects_pv(e4, "EDITS with an extra field");
    pv_t *e3 = s_arr2(pv_int(MSG_EDITS), pv_arr());
    pv_arr_push(e3, pv_int(1));
    s_rejects_pv(e3, "EDITS reply flag not a bool");
    s_rejects_pv(s_arr2(pv_int(MSG_HELLO), pv_int(1)), "HELLO short");

    uint8_t mesh[32] = {0};
    v = pv_arr();
    pv_arr_push(v, pv_int(MSG_HELLO));
    pv_arr_push(v, pv_int(1));
    pv_arr_push(v, pv_bin(mesh, 31));
    pv_arr_push(v, pv_str("n"));
    s_rejects_pv(v, "HELLO mesh of 31 bytes");
    v = pv_arr();
    pv_arr_push(v, pv_int(MSG_HELLO));
    pv_arr_push(v, pv_int(1));
    pv_arr_push(v, pv_bin(mesh, 32));
    pv_arr_push(v, pv_bin("n", 1));
    s_rejects_pv(v, "HELLO name not a str");
    char longname[122];
    memset(longname, 'x', 121);
    longname[121] = 0;
    v = pv_arr();
    pv_arr_push(v, pv_int(MSG_HELLO));
    pv_arr_push(v, pv_int(1));
    pv_arr_push(v, pv_bin(mesh, 32));
    pv_arr_push(v, pv_str(longname));
    s_rejects_pv(v, "HELLO name over 120 bytes");
}

Test(msg, malformed_ranges_are_rejected)
{
    s_rejects_pv(s_recon_pv(s_arr2(pv_int(1), NULL), NULL, NULL), "range of arity 1");
    pv_t *e = s_skip_inf();
    pv_arr_push(e, pv_nil());
    s_rejects_pv(s_recon_pv(e, NULL, NULL), "range of arity 5");
    s_rejects_pv(s_recon_pv(pv_nil(), NULL, NULL), "range not an array");
    s_rejects_pv(s_recon_pv(s_range_pv(-1, "", 0, RANGE_SKIP, pv_nil()), s_skip_inf(), NULL),
                 "negative clock");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, 3, pv_nil()), NULL, NULL),
                 "unknown mode 3");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, -1, pv_nil()), NULL, NULL),
                 "mode -1");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_SKIP, pv_int(0)), NULL, NULL),
                 "SKIP payload not nil");
    uint8_t pre[40] = {0};
    pre[0] = 1;
    s_rejects_pv(s_recon_pv(s_range_pv(5, pre, 33, RANGE_SKIP, pv_nil()), s_skip_inf(), NULL),
                 "prefix of 33 bytes");
    pv_t *bad = pv_arr();
    pv_arr_push(bad, pv_int(5));
    pv_arr_push(bad, pv_str("ab"));
    pv_arr_push(bad, pv_int(RANGE_SKIP));
    pv_arr_push(bad, pv_nil());
    s_rejects_pv(s_recon_pv(bad, s_skip_inf(), NULL), "prefix a str");

    /* FP payloads */
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_FP, s_fp_payload(15, 1)),
                            NULL, NULL),
                 "FP of 15 bytes");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_FP, s_fp_payload(17, 1)),
                            NULL, NULL),
                 "FP of 17 bytes");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_FP, s_fp_payload(16, -1)),
                            NULL, NULL),
                 "FP count negative");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_FP, pv_nil()), NULL, NULL),
                 "FP payload nil");
    pv_t *p3 = s_fp_payload(16, 1);
    pv_arr_push(p3, pv_nil());
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_FP, p3), NULL, NULL),
                 "FP payload of arity 3");

    /* IDS payloads */
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_IDS, s_id_list(3, 31)), NULL,
                            NULL),
                 "IDS with 31-byte ids");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_IDS, s_id_list(3, 33)), NULL,
                            NULL),
                 "IDS with 33-byte ids");
    pv_t *mixed = s_id_list(3, 32);
    pv_arr_push(mixed, pv_str("not an id"));
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_IDS, mixed), NULL, NULL),
                 "IDS with a str among ids");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_IDS,
                                       s_id_list(MSG_MAX_IDS + 1, 32)),
                            NULL, NULL),
                 "IDS over MSG_MAX_IDS");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "", 0, RANGE_IDS, pv_nil()), NULL, NULL),
                 "IDS payload nil");
    /* an IDS range failing after an earlier one decoded must not leak */
    s_rejects_pv(s_recon_pv(s_range_pv(5, "", 0, RANGE_IDS, s_id_list(4, 32)),
                            s_range_pv(MSG_INF_HLC, "", 0, RANGE_IDS, s_id_list(2, 31)), NULL),
                 "second IDS range malformed");
}

Test(msg, bounds_must_increase_and_end_at_infinity)
{
    s_rejects_pv(s_recon_pv(s_range_pv(5, "", 0, RANGE_SKIP, pv_nil()), NULL, NULL),
                 "last bound a real clock");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC, "a", 1, RANGE_SKIP, pv_nil()), NULL, NULL),
                 "last bound infinity with a prefix");
    s_rejects_pv(s_recon_pv(s_range_pv(MSG_INF_HLC - 1, "", 0, RANGE_SKIP, pv_nil()), NULL,
                            NULL),
                 "last bound just below infinity");
    s_rejects_pv(s_recon_pv(s_range_pv(7, "", 0, RANGE_SKIP, pv_nil()),
                            s_range_pv(7, "", 0, RANGE_FP, s_fp_payload(16, 1)), s_skip_inf()),
                 "equal bounds");
    s_rejects_pv(s_recon_pv(s_range_pv(8, "", 0, RANGE_SKIP, pv_nil()),
                            s_range_pv(7, "\xff", 1, RANGE_FP, s_fp_payload(16, 1)),
                            s_skip_inf()),
                 "decreasing clock");
    s_rejects_pv(s_recon_pv(s_range_pv(7, "\x20", 1, RANGE_SKIP, pv_nil()),
                            s_range_pv(7, "\x10\xff", 2, RANGE_FP, s_fp_payload(16, 1)),
                            s_skip_inf()),
                 "decreasing prefix");
    s_rejects_pv(s_recon_pv(s_range_pv(7, "\x20", 1, RANGE_SKIP, pv_nil()),
                            s_range_pv(7, "\x20\x00\x00", 3, RANGE_FP, s_fp_payload(16, 1)),
                            s_skip_inf()),
                 "prefixes equal once padded");
    s_rejects_pv(s_recon_pv(s_skip_inf(), s_range_pv(MSG_INF_HLC, "", 0, RANGE_SKIP, pv_nil()),
                            NULL),
                 "a range after infinity");

    /* while increasing ones are fine */
    pv_t *ok = s_recon_pv(s_range_pv(7, "\x20", 1, RANGE_SKIP, pv_nil()),
                          s_range_pv(7, "\x20\x01", 2, RANGE_FP, s_fp_payload(16, 1)),
                          s_skip_inf());
    buf_t f = {0};
    pv_encode(ok, &f);
    pv_free(&ok);
    msg_t m;
    s_expect_ok(&f, &m);
    cr_assert_eq(m.nranges, 3);
    msg_clear(&m);
    buf_free(&f);
}

Test(msg, too_many_ranges_or_ids_are_rejected)
{
    pv_t *rs = pv_arr();
    for (int i = 0; i < MSG_MAX_RANGES; i++)
        pv_arr_push(rs, s_range_pv(i + 1, "", 0, RANGE_SKIP, pv_nil()));
    pv_arr_push(rs, s_skip_inf());
    s_rejects_pv(s_arr2(pv_int(MSG_RECON), rs), "MSG_MAX_RANGES + 1 ranges");

    s_rejects_pv(s_arr2(pv_int(MSG_WANT), s_id_list(MSG_MAX_IDS + 1, 32)),
                 "WANT over MSG_MAX_IDS");
    s_rejects_pv(s_arr2(pv_int(MSG_WANT), s_id_list(2, 16)), "WANT with 16-byte ids");

    pv_t *l = pv_arr();
    for (int i = 0; i <= MSG_MAX_EDITS; i++)
        pv_arr_push(l, pv_bin("e", 1));
    s_rejects_pv(s_edits_pv(l), "EDITS over MSG_MAX_EDITS");

    /* a frame over MSG_MAX_BYTES is refused before decoding */
    uint8_t *big = xcalloc(1, MSG_MAX_BYTES + 1);
    msg_t m;
    cr_assert_lt(msg_decode(big, MSG_MAX_BYTES + 1, &m), 0);
    free(big);
}

Test(msg, announce_round_trips_up_to_the_id_limit)
{
    size_t counts[] = {0, 1, 32, MSG_MAX_IDS};
    uint8_t(*ids)[32] = xmalloc(MSG_MAX_IDS * 32);
    uint64_t st = 12;
    s_rand_bytes(&st, (uint8_t *)ids, MSG_MAX_IDS * 32);
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        buf_t f = {0};
        msg_announce(&f, (const uint8_t(*)[32])ids, counts[k]);
        /* the wire form of §10.8: [9, [bin(32)...]] */
        cr_assert_eq(f.data[0], 0x92);
        cr_assert_eq(f.data[1], MSG_ANNOUNCE);
        msg_t m;
        s_expect_ok(&f, &m);
        cr_assert_eq(m.type, MSG_ANNOUNCE);
        cr_assert_eq(m.nids, counts[k]);
        cr_assert(counts[k] == 0 || memcmp(m.ids, ids, counts[k] * 32) == 0);
        msg_clear(&m);
        buf_free(&f);
    }
    /* one id: 37 bytes (what a push of one edit costs a link instead of the edit) */
    buf_t f = {0};
    msg_announce(&f, (const uint8_t(*)[32])ids, 1);
    cr_assert_eq(f.len, 37);
    buf_free(&f);
    free(ids);
}

Test(msg, malformed_announces_are_rejected)
{
    s_rejects_pv(s_arr2(pv_int(MSG_ANNOUNCE), NULL), "ANNOUNCE without ids");
    s_rejects_pv(s_arr2(pv_int(MSG_ANNOUNCE), pv_bin("", 0)), "ANNOUNCE ids not an array");
    s_rejects_pv(s_arr2(pv_int(MSG_ANNOUNCE), s_id_list(MSG_MAX_IDS + 1, 32)),
                 "ANNOUNCE over MSG_MAX_IDS");
    s_rejects_pv(s_arr2(pv_int(MSG_ANNOUNCE), s_id_list(2, 8)), "ANNOUNCE with 8-byte ids");
    pv_t *v = s_arr2(pv_int(MSG_ANNOUNCE), s_id_list(1, 32));
    pv_arr_push(v, pv_nil());
    s_rejects_pv(v, "ANNOUNCE with an extra field");
    /* 8 (ZEDITS) is not this codec's */
    s_rejects_pv(s_arr2(pv_int(8), s_id_list(1, 32)), "type 8");
}

Test(msg, edits_whose_entries_are_not_bins_are_rejected)
{
    pv_t *l = pv_arr();
    pv_arr_push(l, pv_bin("ok", 2));
    pv_arr_push(l, pv_str("text"));
    s_rejects_pv(s_edits_pv(l), "EDITS with a str");
    l = pv_arr();
    pv_arr_push(l, pv_int(3));
    s_rejects_pv(s_edits_pv(l), "EDITS with an int");
    l = pv_arr();
    pv_arr_push(l, pv_bin("ok", 2));
    pv_arr_push(l, s_arr2(pv_bin("nested", 6), NULL));
    s_rejects_pv(s_edits_pv(l), "EDITS with a nested array");
    l = pv_arr();
    for (int i = 0; i < 20; i++)
        pv_arr_push(l, i == 19 ? pv_nil() : pv_bin("x", 1));
    s_rejects_pv(s_edits_pv(l), "EDITS (array16) ending with nil");
}

/* A RECON using every mode and prefix lengths, for truncation and fuzzing. */
static void s_sample_recon(buf_t *f)
{
    uint8_t ids[2][32];
    memset(ids[0], 0x31, 32);
    memset(ids[1], 0x32, 32);
    range_t r[4] = {0};
    r[0].upper = (bound_t){.hlc = S_HLC0, .len = 0};
    r[0].mode = RANGE_SKIP;
    r[1].upper = (bound_t){.hlc = S_HLC0, .len = 2, .prefix = {0x80, 0x01}};
    r[1].mode = RANGE_FP;
    memset(r[1].fp, 0x99, 16);
    r[1].count = 300;
    r[2].upper = (bound_t){.hlc = S_HLC0 + 1};
    r[2].mode = RANGE_IDS;
    r[2].ids = ids;
    r[2].nids = 2;
    r[3].upper = (bound_t){.hlc = MSG_INF_HLC};
    r[3].mode = RANGE_SKIP;
    msg_recon(f, r, 4);
}

Test(msg, every_truncation_of_a_recon_is_rejected)
{
    buf_t f = {0};
    s_sample_recon(&f);
    msg_t m;
    s_expect_ok(&f, &m);
    msg_clear(&m);
    for (size_t n = 0; n < f.len; n++) {
        /* a private copy so valgrind sees any read past the prefix */
        uint8_t *p = xmalloc(n ? n : 1);
        memcpy(p, f.data, n);
        int rc = msg_decode(p, n, &m);
        cr_assert_lt(rc, 0, "prefix of %zu of %zu bytes accepted", n, f.len);
        free(p);
    }
    buf_free(&f);
}

Test(msg, random_and_mutated_frames_never_crash)
{
    uint64_t st = 4242;
    uint8_t mesh[32] = {7};
    buf_t samples[5] = {{0}};
    s_sample_recon(&samples[0]);
    msg_hello(&samples[1], mesh, "buurt", 1767225600123ULL);
    uint8_t ids[3][32] = {{1}, {2}, {3}};
    msg_want(&samples[2], (const uint8_t(*)[32])ids, 3);
    msg_blob_t blobs[2] = {{(const uint8_t *)"abc", 3}, {(const uint8_t *)"defgh", 5}};
    msg_edits(&samples[3], blobs, 2, true);
    msg_ping(&samples[4]);
    sync_set_t *s = s_seq_set(100, 12, NULL);
    size_t accepted = 0;
    for (int iter = 0; iter < 6000; iter++) {
        size_t n;
        uint8_t *p;
        if (iter % 2 == 0) {
            /* pure garbage, biased towards small arrays and ints */
            n = s_rand(&st) % 48;
            p = xmalloc(n ? n : 1);
            s_rand_bytes(&st, p, n);
            if (n > 0 && s_rand(&st) % 2)
                p[0] = (uint8_t)(0x90 | (s_rand(&st) % 5));
            if (n > 1 && s_rand(&st) % 2)
                p[1] = (uint8_t)(s_rand(&st) % 7);
        } else {
            /* a valid frame with a few bytes flipped, cut or extended */
            const buf_t *src = &samples[s_rand(&st) % 5];
            n = src->len + s_rand(&st) % 3;
            p = xcalloc(1, n);
            memcpy(p, src->data, src->len);
            int flips = 1 + (int)(s_rand(&st) % 3);
            for (int k = 0; k < flips; k++)
                p[s_rand(&st) % n] ^= (uint8_t)(1u << (s_rand(&st) % 8));
            if (s_rand(&st) % 4 == 0)
                n = s_rand(&st) % (n + 1);
        }
        msg_t m;
        int rc = msg_decode(p, n, &m);
        if (rc == 0) {
            accepted++;
            if (m.type == MSG_RECON) {
                /* whatever decodes must be safe to reconcile against */
                sync_out_t out;
                sync_reply(s, &m, &out);
                sync_out_clear(&out);
            }
            msg_clear(&m);
        } else {
            cr_assert(m.ranges == NULL && m.ids == NULL && m.edits == NULL && m.name == NULL);
        }
        free(p);
    }
    cr_assert_gt(accepted, 0, "the mutations never produced a valid frame; the test is weak");
    for (int k = 0; k < 5; k++)
        buf_free(&samples[k]);
    sync_set_free(&s);
}
