/*
 * test_merge.c -- behaviour tests for node/merge.c, the per-field
 * last-writer-wins state of one entity.
 *
 * Edits are real signed edits (edit_sign), so their ids are the real
 * BLAKE2b ids that break clock-and-author ties. The randomised tests use a
 * fixed-seed PRNG and print the seed of a failing case; they check that the
 * merged bytes do not depend on arrival order and agree with a naive model
 * (for each field, the value of the greatest (hlc, author, id) edit that
 * carries it). The whole file runs in well under a second.
 */
#include "node/merge.h"

#include "proto/edit.h"
#include "proto/err.h"
#include "proto/util.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

typedef struct {
    uint8_t pk[32];
    uint8_t sk[64];
} s_key_t;

static uint64_t s_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void s_key(uint8_t tag, s_key_t *k)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

static void s_init(void)
{
    cr_assert_geq(sodium_init(), 0);
}

TestSuite(merge, .init = s_init);

static const uint8_t s_entity[32] = {0xe1, 0x71, 0x17};

/* Signs a new edit of kind for s_entity (or entity when given); takes
 * ownership of fields. */
static edit_t *s_edit_of(rec_kind_t kind, const uint8_t *entity, const s_key_t *k,
                         uint64_t hlc, pv_t *fields)
{
    edit_t *e = xcalloc(1, sizeof *e);
    e->kind = kind;
    memcpy(e->entity, entity ? entity : s_entity, 32);
    memcpy(e->author, k->pk, 32);
    e->hlc = hlc;
    e->fields = fields;
    buf_t wire = {0};
    char *cause = NULL;
    int rc = edit_sign(e, k->sk, 0, &wire, &cause);
    cr_assert_eq(rc, 0, "test edit does not sign: %s", cause ? cause : "");
    buf_free(&wire);
    return e;
}

static edit_t *s_edit(const s_key_t *k, uint64_t hlc, pv_t *fields)
{
    return s_edit_of(REC_PLACE, NULL, k, hlc, fields);
}

/* A field map with one field (v owned). */
static pv_t *s_one(const char *name, pv_t *v)
{
    pv_t *m = pv_map();
    pv_map_set(m, name, v);
    return m;
}

/* merge_entity of the edits in the given order (the caller's array is
 * left as it is); returns the merge_encode bytes and fills *out. */
static void s_merge(edit_t *const *edits, size_t n, entity_t *out, buf_t *bytes)
{
    edit_t **copy = xmalloc(n * sizeof *copy);
    memcpy(copy, edits, n * sizeof *copy);
    merge_entity(copy, n, out);
    free(copy);
    if (bytes)
        merge_encode(out, bytes);
}

static void s_free_all(edit_t **edits, size_t n)
{
    for (size_t i = 0; i < n; i++)
        edit_free(&edits[i]);
}

/* ---- fixed cases ------------------------------------------------------ */

Test(merge, later_clock_wins_whatever_the_order)
{
    s_key_t a, b;
    s_key(1, &a);
    s_key(2, &b);
    edit_t *e[2] = {s_edit(&a, 100, s_one("name", pv_str("Old"))),
                    s_edit(&b, 200, s_one("name", pv_str("New")))};
    edit_t *rev[2] = {e[1], e[0]};
    entity_t x, y;
    buf_t bx = {0}, by = {0};
    s_merge(e, 2, &x, &bx);
    s_merge(rev, 2, &y, &by);
    cr_assert_str_eq(pv_get_str(x.fields, "name"), "New");
    cr_assert_str_eq(pv_get_str(y.fields, "name"), "New");
    cr_assert_eq(bx.len, by.len);
    cr_assert(memcmp(bx.data, by.data, bx.len) == 0);
    cr_assert_eq(x.kind, REC_PLACE);
    cr_assert(memcmp(x.entity, s_entity, 32) == 0);
    cr_assert(memcmp(x.creator, a.pk, 32) == 0);
    cr_assert_eq(x.created, 100);
    cr_assert_eq(x.updated, 200);
    cr_assert(memcmp(x.updated_by, b.pk, 32) == 0);
    cr_assert_eq(x.edits, 2);
    cr_assert_eq(x.ignored, 0);
    cr_assert(!entity_deleted(&x));
    entity_clear(&x);
    entity_clear(&x); /* safe twice */
    entity_clear(&y);
    buf_free(&bx);
    buf_free(&by);
    s_free_all(e, 2);
}

Test(merge, fields_merge_independently)
{
    s_key_t a;
    s_key(1, &a);
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("Buurthuis"));
    pv_map_set(f, "area", pv_str("Noord"));
    edit_t *e[3] = {s_edit(&a, 10, f), s_edit(&a, 20, s_one("area", pv_str("Zuid"))),
                    s_edit(&a, 30, s_one("capacity", pv_int(12)))};
    entity_t x;
    s_merge(e, 3, &x, NULL);
    cr_assert_eq(x.fields->u.m.n, 3);
    cr_assert_str_eq(pv_get_str(x.fields, "name"), "Buurthuis");
    cr_assert_str_eq(pv_get_str(x.fields, "area"), "Zuid");
    cr_assert_eq(pv_get_int(x.fields, "capacity", -1), 12);
    entity_clear(&x);
    s_free_all(e, 3);
}

Test(merge, equal_clock_larger_author_key_wins)
{
    s_key_t a, b;
    s_key(1, &a);
    s_key(2, &b);
    const s_key_t *hi = memcmp(a.pk, b.pk, 32) > 0 ? &a : &b;
    const s_key_t *lo = hi == &a ? &b : &a;
    edit_t *e[2] = {s_edit(hi, 500, s_one("area", pv_str("from-larger-key"))),
                    s_edit(lo, 500, s_one("area", pv_str("from-smaller-key")))};
    for (int order = 0; order < 2; order++) {
        edit_t *in[2] = {e[order], e[1 - order]};
        entity_t x;
        s_merge(in, 2, &x, NULL);
        cr_assert_str_eq(pv_get_str(x.fields, "area"), "from-larger-key", "order %d", order);
        cr_assert(memcmp(x.updated_by, hi->pk, 32) == 0);
        cr_assert(memcmp(x.creator, lo->pk, 32) == 0);
        entity_clear(&x);
    }
    s_free_all(e, 2);
}

Test(merge, equal_clock_and_author_larger_id_wins)
{
    s_key_t a;
    s_key(1, &a);
    edit_t *e[2] = {s_edit(&a, 500, s_one("area", pv_str("one"))),
                    s_edit(&a, 500, s_one("area", pv_str("two")))};
    const char *want = memcmp(e[0]->id, e[1]->id, 32) > 0 ? "one" : "two";
    for (int order = 0; order < 2; order++) {
        edit_t *in[2] = {e[order], e[1 - order]};
        entity_t x;
        s_merge(in, 2, &x, NULL);
        cr_assert_str_eq(pv_get_str(x.fields, "area"), want, "order %d", order);
        entity_clear(&x);
    }
    s_free_all(e, 2);
}

Test(merge, nil_value_unsets_a_field)
{
    s_key_t a;
    s_key(1, &a);
    edit_t *e[3] = {s_edit(&a, 10, s_one("area", pv_str("Noord"))),
                    s_edit(&a, 20, s_one("area", pv_nil())),
                    s_edit(&a, 30, s_one("status", pv_str("open")))};
    entity_t x;
    s_merge(e, 3, &x, NULL);
    cr_assert_null(pv_map_get(x.fields, "area"), "unset field must be absent, not nil");
    cr_assert_str_eq(pv_get_str(x.fields, "status"), "open");
    cr_assert_eq(x.fields->u.m.n, 1);
    entity_clear(&x);
    /* a nil older than the value has no effect */
    e[1]->hlc = 5; /* merge only reads hlc; the order changes, that is all */
    s_merge(e, 3, &x, NULL);
    cr_assert_str_eq(pv_get_str(x.fields, "area"), "Noord");
    cr_assert_eq(x.created, 5);
    entity_clear(&x);
    s_free_all(e, 3);
}

Test(merge, deleted_flag_is_reported_and_can_be_undone)
{
    s_key_t a;
    s_key(1, &a);
    edit_t *e[3] = {s_edit(&a, 10, s_one("name", pv_str("X"))),
                    s_edit(&a, 20, s_one("deleted", pv_bool(true))),
                    s_edit(&a, 30, s_one("deleted", pv_nil()))};
    entity_t x;
    s_merge(e, 2, &x, NULL);
    cr_assert(entity_deleted(&x));
    entity_clear(&x);
    s_merge(e, 3, &x, NULL);
    cr_assert(!entity_deleted(&x));
    entity_clear(&x);
    s_free_all(e, 3);
}

Test(merge, edit_of_another_kind_is_ignored_and_counted)
{
    s_key_t a, b;
    s_key(1, &a);
    s_key(2, &b);
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("Buurthuis"));
    pv_map_set(f, "area", pv_str("Noord"));
    edit_t *e[3] = {s_edit(&a, 100, f),
                    s_edit_of(REC_NEED, NULL, &b, 200, s_one("area", pv_str("Zuid"))),
                    s_edit(&a, 300, s_one("capacity", pv_int(3)))};
    for (int order = 0; order < 3; order++) {
        edit_t *in[3] = {e[order], e[(order + 1) % 3], e[(order + 2) % 3]};
        entity_t x;
        s_merge(in, 3, &x, NULL);
        cr_assert_eq(x.kind, REC_PLACE);
        cr_assert_str_eq(pv_get_str(x.fields, "area"), "Noord");
        cr_assert_eq(x.edits, 2);
        cr_assert_eq(x.ignored, 1);
        cr_assert_eq(x.updated, 300);
        entity_clear(&x);
    }
    /* the first edit in clock order decides the kind */
    e[1]->hlc = 50;
    entity_t y;
    s_merge(e, 3, &y, NULL);
    cr_assert_eq(y.kind, REC_NEED);
    cr_assert_str_eq(pv_get_str(y.fields, "area"), "Zuid");
    cr_assert_eq(y.fields->u.m.n, 1);
    cr_assert_eq(y.edits, 1);
    cr_assert_eq(y.ignored, 2);
    cr_assert_eq(y.updated, 50);
    cr_assert(memcmp(y.creator, b.pk, 32) == 0);
    entity_clear(&y);
    s_free_all(e, 3);
}

Test(merge, single_edit_gives_its_own_fields)
{
    s_key_t a;
    s_key(1, &a);
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("Bieb"));
    pv_map_set(f, "kinds", pv_arr());
    pv_arr_push((pv_t *)pv_map_get(f, "kinds"), pv_str("library"));
    edit_t *e = s_edit(&a, 7, f);
    entity_t x;
    s_merge(&e, 1, &x, NULL);
    cr_assert(pv_equal(x.fields, e->fields));
    cr_assert_eq(x.created, 7);
    cr_assert_eq(x.updated, 7);
    cr_assert_eq(x.edits, 1);
    entity_clear(&x);
    edit_free(&e);
}

/* ---- randomised: order independence and a naive model ----------------- */

static const char *const s_fields[] = {"name", "area", "status", "capacity"};
#define S_NFIELDS 4

/* A random value for field f, or nil (never for the required "name"). */
static pv_t *s_random_value(uint64_t *r, int f)
{
    static const char *const names[] = {"Buurthuis", "Bieb", "Moskee", "Sporthal"};
    static const char *const areas[] = {"Noord", "Zuid", "Oost", "West", "Centrum"};
    if (f != 0 && s_rand(r) % 5 == 0)
        return pv_nil();
    switch (f) {
    case 0: return pv_str(names[s_rand(r) % 4]);
    case 1: return pv_str(areas[s_rand(r) % 5]);
    case 2: return pv_str(REC_PLACE_STATUS[s_rand(r) % 5]);
    default: return pv_int((int64_t)(s_rand(r) % 100));
    }
}

/* Naive order: (hlc, author, id) compared field by field. */
static bool s_later(const edit_t *a, const edit_t *b)
{
    if (a->hlc != b->hlc)
        return a->hlc > b->hlc;
    int c = memcmp(a->author, b->author, 32);
    if (c != 0)
        return c > 0;
    return memcmp(a->id, b->id, 32) > 0;
}

/* The model's entity: built without sorting, by scanning for maxima. */
static void s_model(edit_t *const *edits, size_t n, entity_t *out)
{
    memset(out, 0, sizeof *out);
    const edit_t *first = edits[0];
    for (size_t i = 1; i < n; i++)
        if (s_later(first, edits[i]))
            first = edits[i];
    out->kind = first->kind;
    memcpy(out->entity, first->entity, 32);
    memcpy(out->creator, first->author, 32);
    out->created = first->hlc;
    out->fields = pv_map();
    const edit_t *last = NULL;
    for (size_t i = 0; i < n; i++) {
        if (edits[i]->kind != out->kind) {
            out->ignored++;
            continue;
        }
        out->edits++;
        if (last == NULL || s_later(edits[i], last))
            last = edits[i];
    }
    out->updated = last->hlc;
    memcpy(out->updated_by, last->author, 32);
    /* every field name any applied edit carries */
    for (size_t i = 0; i < n; i++) {
        if (edits[i]->kind != out->kind)
            continue;
        const pv_t *f = edits[i]->fields;
        for (size_t k = 0; k < f->u.m.n; k++) {
            const char *name = f->u.m.keys[k];
            const edit_t *win = NULL;
            for (size_t j = 0; j < n; j++)
                if (edits[j]->kind == out->kind && pv_map_get(edits[j]->fields, name) &&
                    (win == NULL || s_later(edits[j], win)))
                    win = edits[j];
            const pv_t *v = pv_map_get(win->fields, name);
            if (v->type == PV_NIL)
                pv_map_del(out->fields, name);
            else
                pv_map_set(out->fields, name, pv_dup(v));
        }
    }
}

static void s_shuffle(uint64_t *r, edit_t **a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = s_rand(r) % i;
        edit_t *t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

Test(merge, state_is_independent_of_arrival_order_and_matches_a_naive_model)
{
    s_key_t keys[3];
    for (int k = 0; k < 3; k++)
        s_key((uint8_t)(0x40 + k), &keys[k]);

    for (uint64_t seed = 1; seed <= 200; seed++) {
        uint64_t r = seed;
        uint8_t entity[32];
        for (int i = 0; i < 32; i++)
            entity[i] = (uint8_t)s_rand(&r);
        size_t n = 2 + s_rand(&r) % 39; /* 2..40 edits */
        bool tight = s_rand(&r) % 2;   /* clocks drawn from a tiny range: many ties */
        edit_t *edits[40];
        for (size_t i = 0; i < n; i++) {
            const s_key_t *k = &keys[s_rand(&r) % 3];
            uint64_t hlc = (UINT64_C(1795428000000) << 16) +
                           (tight ? s_rand(&r) % 4 : s_rand(&r) % 100000);
            pv_t *f = pv_map();
            /* now and then an edit of another kind for the same entity */
            if (s_rand(&r) % 12 == 0) {
                pv_map_set(f, "area", pv_str(s_rand(&r) % 2 ? "Noord" : "Elders"));
                if (s_rand(&r) % 2)
                    pv_map_set(f, "urgency", pv_str("high"));
                edits[i] = s_edit_of(REC_NEED, entity, k, hlc, f);
                continue;
            }
            unsigned mask = 0;
            while (mask == 0)
                mask = (unsigned)(s_rand(&r) % (1u << S_NFIELDS));
            for (int fi = 0; fi < S_NFIELDS; fi++)
                if (mask & (1u << fi))
                    pv_map_set(f, s_fields[fi], s_random_value(&r, fi));
            edits[i] = s_edit_of(REC_PLACE, entity, k, hlc, f);
        }

        entity_t want, got;
        buf_t first = {0};
        s_merge(edits, n, &got, &first);
        s_model(edits, n, &want);
        cr_assert_eq(got.kind, want.kind, "seed %llu", (unsigned long long)seed);
        cr_assert(pv_equal(got.fields, want.fields),
                  "seed %llu: merged fields differ from the model", (unsigned long long)seed);
        cr_assert_eq(got.edits, want.edits, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(got.ignored, want.ignored, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(got.created, want.created, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(got.updated, want.updated, "seed %llu", (unsigned long long)seed);
        cr_assert(memcmp(got.creator, want.creator, 32) == 0, "seed %llu",
                  (unsigned long long)seed);
        cr_assert(memcmp(got.updated_by, want.updated_by, 32) == 0, "seed %llu",
                  (unsigned long long)seed);
        cr_assert(memcmp(got.entity, entity, 32) == 0, "seed %llu", (unsigned long long)seed);
        buf_t model = {0};
        merge_encode(&want, &model);
        cr_assert(model.len == first.len && memcmp(model.data, first.data, first.len) == 0,
                  "seed %llu: encoded state differs from the model's", (unsigned long long)seed);
        buf_free(&model);
        entity_clear(&want);
        entity_clear(&got);

        edit_t *order[40];
        memcpy(order, edits, n * sizeof *order);
        for (int s = 0; s < 5; s++) {
            s_shuffle(&r, order, n);
            buf_t again = {0};
            s_merge(order, n, &got, &again);
            cr_assert(again.len == first.len && memcmp(again.data, first.data, first.len) == 0,
                      "seed %llu shuffle %d: state depends on arrival order",
                      (unsigned long long)seed, s);
            entity_clear(&got);
            buf_free(&again);
        }
        buf_free(&first);
        s_free_all(edits, n);
    }
}

Test(merge, encoded_state_is_canonical_and_covers_every_part)
{
    s_key_t a;
    s_key(1, &a);
    edit_t *e = s_edit(&a, 9, s_one("name", pv_str("X")));
    entity_t x;
    buf_t b = {0};
    s_merge(&e, 1, &x, &b);
    pv_t *v = NULL;
    cr_assert_eq(pv_decode(b.data, b.len, &v), 0, "merge_encode output must be canonical");
    cr_assert_str_eq(pv_get_str(v, "kind"), "place");
    cr_assert_eq(pv_get_int(v, "created", -1), 9);
    cr_assert_eq(pv_get_int(v, "updated", -1), 9);
    cr_assert_eq(pv_get_int(v, "edits", -1), 1);
    cr_assert(pv_equal(pv_map_get(v, "fields"), x.fields));
    pv_free(&v);
    /* every part of the state changes the bytes */
    for (int part = 0; part < 4; part++) {
        entity_t y = x;
        y.fields = pv_dup(x.fields);
        switch (part) {
        case 0: y.updated++; break;
        case 1: y.updated_by[5] ^= 1; break;
        case 2: y.creator[0] ^= 1; break;
        default: pv_map_set(y.fields, "area", pv_str("Zuid")); break;
        }
        buf_t c = {0};
        merge_encode(&y, &c);
        cr_assert(c.len != b.len || memcmp(c.data, b.data, b.len) != 0, "part %d", part);
        buf_free(&c);
        entity_clear(&y);
    }
    entity_clear(&x);
    buf_free(&b);
    edit_free(&e);
}

/* ---- merge_entity_take: the same state as merge_entity_ex ------------- */

/* A copy of an edit with its own fields map. */
static edit_t *s_edit_copy(const edit_t *e)
{
    edit_t *c = xmalloc(sizeof *c);
    *c = *e;
    c->fields = pv_dup(e->fields);
    return c;
}

/* Every field of two merged states, and their merge_encode bytes. */
static void s_expect_same(const entity_t *x, const entity_t *y, const char *what)
{
    cr_expect_eq(x->kind, y->kind, "%s: kind", what);
    cr_expect(memcmp(x->entity, y->entity, 32) == 0, "%s: entity", what);
    cr_expect(memcmp(x->creator, y->creator, 32) == 0, "%s: creator", what);
    cr_expect_eq(x->created, y->created, "%s: created", what);
    cr_expect_eq(x->updated, y->updated, "%s: updated", what);
    cr_expect(memcmp(x->updated_by, y->updated_by, 32) == 0, "%s: updated_by", what);
    cr_expect_eq(x->edits, y->edits, "%s: edits", what);
    cr_expect_eq(x->ignored, y->ignored, "%s: ignored", what);
    cr_expect_eq(x->denied, y->denied, "%s: denied", what);
    cr_expect_eq(x->claimed, y->claimed, "%s: claimed", what);
    cr_expect(memcmp(x->claimer, y->claimer, 32) == 0, "%s: claimer", what);
    cr_assert(pv_equal(x->fields, y->fields), "%s: fields differ", what);
    buf_t a = {0}, b = {0};
    merge_encode(x, &a);
    merge_encode(y, &b);
    cr_expect(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "%s: encoded state", what);
    buf_free(&a);
    buf_free(&b);
}

/*
 * Merges copies of edits (in the given order) with merge_entity_ex into *ex
 * and with merge_entity_take into *tk; checks both sort the same way, the
 * verdicts (when wanted, n entries) and that take emptied the fields of
 * the edits it applied and left the others as they were.
 */
static void s_ex_and_take(edit_t *const *edits, size_t n, merge_check_fn *check, void *ctx,
                          entity_t *ex, entity_t *tk, uint8_t *verdicts)
{
    edit_t **a = xmalloc(n * sizeof *a), **b = xmalloc(n * sizeof *b);
    for (size_t i = 0; i < n; i++) {
        a[i] = s_edit_copy(edits[i]);
        b[i] = s_edit_copy(edits[i]);
    }
    uint8_t *v = xcalloc(n, 1);
    merge_entity_ex(a, n, check, ctx, v, ex);
    merge_entity_take(b, n, check, ctx, tk);
    for (size_t i = 0; i < n; i++) {
        cr_assert(memcmp(a[i]->id, b[i]->id, 32) == 0, "both sort into edit_cmp order (%zu)", i);
        const pv_t *f = b[i]->fields;
        cr_assert_not_null(f, "take leaves a fields map in edit %zu", i);
        cr_assert_eq(f->type, PV_MAP);
        if (v[i] == MERGE_APPLIED) {
            for (size_t k = 0; k < f->u.m.n; k++)
                cr_expect_eq(f->u.m.vals[k]->type, PV_NIL,
                             "applied edit %zu: field %s should be moved out", i, f->u.m.keys[k]);
        } else {
            cr_expect(pv_equal(f, a[i]->fields), "edit %zu was not applied: fields untouched", i);
        }
    }
    if (verdicts)
        memcpy(verdicts, v, n);
    free(v);
    s_free_all(a, n);
    s_free_all(b, n);
    free(a);
    free(b);
}

/* ex and take agree; fills *out with take's state (caller clears). */
static void s_take_checked(edit_t *const *edits, size_t n, merge_check_fn *check, void *ctx,
                           entity_t *out, const char *what)
{
    entity_t ex;
    s_ex_and_take(edits, n, check, ctx, &ex, out, NULL);
    s_expect_same(&ex, out, what);
    entity_clear(&ex);
}

Test(merge, take_of_a_single_edit_equals_merge_entity_ex)
{
    s_key_t a;
    s_key(1, &a);
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("Bieb"));
    pv_map_set(f, "kinds", pv_arr());
    pv_arr_push((pv_t *)pv_map_get(f, "kinds"), pv_str("library"));
    pv_map_set(f, "capacity", pv_int(40));
    pv_map_set(f, "hub", pv_bool(false));
    edit_t *e = s_edit(&a, 7, f);
    entity_t x;
    s_take_checked(&e, 1, NULL, NULL, &x, "single edit");
    cr_assert(pv_equal(x.fields, e->fields), "the state holds the edit's own fields");
    cr_assert_eq(x.edits, 1);
    cr_assert_eq(x.created, 7);
    cr_assert_eq(x.updated, 7);
    cr_assert(memcmp(x.creator, a.pk, 32) == 0);
    cr_assert(memcmp(x.updated_by, a.pk, 32) == 0);
    entity_clear(&x);
    entity_clear(&x); /* safe twice */

    /* the original edit given to take directly: its map moves into the state */
    edit_t *c = s_edit_copy(e);
    entity_t y;
    merge_entity_take(&c, 1, NULL, NULL, &y);
    cr_assert(pv_equal(y.fields, e->fields));
    cr_assert_not_null(c->fields);
    cr_assert_eq(c->fields->u.m.n, 0, "a one-edit merge takes the whole map");
    edit_free(&c); /* the edit frees on its own after take */
    entity_clear(&y);
    edit_free(&e);
}

Test(merge, take_with_several_edits_and_an_unset_field_equals_merge_entity_ex)
{
    s_key_t a, b;
    s_key(1, &a);
    s_key(2, &b);
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("Buurthuis"));
    pv_map_set(f, "area", pv_str("Noord"));
    pv_map_set(f, "capacity", pv_int(12));
    pv_t *g = pv_map();
    pv_map_set(g, "status", pv_str("open"));
    pv_map_set(g, "capacity", pv_int(3));
    pv_t *h = pv_map();
    pv_map_set(h, "hours", pv_str("ma-vr 9-17"));
    pv_map_set(h, "capacity", pv_nil());
    edit_t *e[6] = {s_edit(&a, 10, f),
                    s_edit(&b, 20, s_one("area", pv_nil())),
                    s_edit(&a, 30, g),
                    s_edit_of(REC_NEED, NULL, &b, 35, s_one("area", pv_str("Zuid"))),
                    s_edit(&b, 40, h),
                    s_edit(&a, 50, s_one("area", pv_str("Oost")))};
    entity_t x;
    s_take_checked(e, 5, NULL, NULL, &x, "five edits");
    cr_assert_null(pv_map_get(x.fields, "area"), "unset field is absent");
    cr_assert_null(pv_map_get(x.fields, "capacity"), "unset field is absent");
    cr_assert_str_eq(pv_get_str(x.fields, "status"), "open");
    cr_assert_str_eq(pv_get_str(x.fields, "name"), "Buurthuis");
    cr_assert_str_eq(pv_get_str(x.fields, "hours"), "ma-vr 9-17");
    cr_assert_eq(x.fields->u.m.n, 3);
    cr_assert_eq(x.edits, 4);
    cr_assert_eq(x.ignored, 1);
    cr_assert_eq(x.updated, 40);
    cr_assert(memcmp(x.updated_by, b.pk, 32) == 0);
    entity_clear(&x);
    /* a field unset and set again */
    s_take_checked(e, 6, NULL, NULL, &x, "six edits");
    cr_assert_str_eq(pv_get_str(x.fields, "area"), "Oost");
    entity_clear(&x);
    /* a first edit that itself unsets a field */
    pv_t *k = pv_map();
    pv_map_set(k, "area", pv_nil());
    pv_map_set(k, "name", pv_str("Met nil"));
    edit_t *first[2] = {s_edit(&a, 5, k), s_edit(&a, 6, s_one("capacity", pv_int(1)))};
    s_take_checked(first, 1, NULL, NULL, &x, "one edit with a nil");
    cr_assert_eq(x.fields->u.m.n, 1, "a nil in the first edit leaves no field");
    entity_clear(&x);
    s_take_checked(first, 2, NULL, NULL, &x, "a nil, then a value");
    cr_assert_eq(x.fields->u.m.n, 2);
    entity_clear(&x);
    s_free_all(first, 2);
    s_free_all(e, 6);
}

Test(merge, take_of_concurrent_edits_in_any_order_equals_merge_entity_ex)
{
    s_key_t k[3];
    for (int i = 0; i < 3; i++)
        s_key((uint8_t)(0x30 + i), &k[i]);
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("Sporthal"));
    pv_map_set(f, "area", pv_str("West"));
    pv_t *g = pv_map();
    pv_map_set(g, "area", pv_str("Centrum"));
    pv_map_set(g, "capacity", pv_int(80));
    pv_t *h = pv_map();
    pv_map_set(h, "area", pv_nil());
    pv_map_set(h, "status", pv_str("limited"));
    /* three edits at one clock (ties broken by author, then id) and one
     * from the same author at the same clock */
    edit_t *e[4] = {s_edit(&k[0], 100, f), s_edit(&k[1], 200, g), s_edit(&k[2], 200, h),
                    s_edit(&k[1], 200, s_one("capacity", pv_int(5)))};
    entity_t want;
    s_take_checked(e, 4, NULL, NULL, &want, "given order");
    buf_t wb = {0};
    merge_encode(&want, &wb);
    int perm[4] = {0, 1, 2, 3};
    for (int p = 0; p < 24; p++) {
        /* the p-th permutation (factorial number system) */
        int pool[4] = {0, 1, 2, 3}, left = 4, q = p;
        for (int i = 0; i < 4; i++) {
            int f_ = 1;
            for (int j = 2; j < left; j++)
                f_ *= j;
            int at = q / f_;
            q %= f_;
            perm[i] = pool[at];
            for (int j = at; j < left - 1; j++)
                pool[j] = pool[j + 1];
            left--;
        }
        edit_t *in[4] = {e[perm[0]], e[perm[1]], e[perm[2]], e[perm[3]]};
        char what[32];
        snprintf(what, sizeof what, "permutation %d", p);
        entity_t x;
        s_take_checked(in, 4, NULL, NULL, &x, what);
        s_expect_same(&want, &x, what);
        buf_t xb = {0};
        merge_encode(&x, &xb);
        cr_assert(xb.len == wb.len && memcmp(xb.data, wb.data, wb.len) == 0, "%s", what);
        buf_free(&xb);
        entity_clear(&x);
    }
    buf_free(&wb);
    entity_clear(&want);
    s_free_all(e, 4);
}

/* A check that reads the state so far: edits by `banned` never count, nor
 * edits by anyone but the creator once the state has status "closed". It
 * logs the state it was shown so two merges can be compared call by call. */
typedef struct {
    const uint8_t *banned;
    buf_t log;
    size_t calls;
} s_check_ctx_t;

static bool s_check(void *ctx, const entity_t *st, const edit_t *e)
{
    s_check_ctx_t *c = ctx;
    c->calls++;
    buf_append(&c->log, e->id, 32);
    buf_append(&c->log, &st->edits, sizeof st->edits);
    pv_encode(st->fields, &c->log);
    if (c->banned && memcmp(e->author, c->banned, 32) == 0)
        return false;
    const char *s = pv_get_str(st->fields, "status");
    if (st->edits > 0 && s && strcmp(s, "closed") == 0 && memcmp(e->author, st->creator, 32) != 0)
        return false;
    return true;
}

Test(merge, take_skips_denied_edits_like_merge_entity_ex)
{
    s_key_t a, b, c;
    s_key(1, &a);
    s_key(2, &b);
    s_key(3, &c);
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("Moskee"));
    pv_map_set(f, "area", pv_str("Noord"));
    edit_t *e[5] = {s_edit(&c, 5, s_one("name", pv_str("by the banned author, first"))),
                    s_edit(&a, 10, f),
                    s_edit(&b, 20, s_one("status", pv_str("closed"))),
                    s_edit(&b, 30, s_one("area", pv_str("Zuid"))), /* denied: closed */
                    s_edit(&a, 40, s_one("hours", pv_str("vr 12-14")))};
    s_check_ctx_t cx = {c.pk, {0}, 0}, ct = {c.pk, {0}, 0};
    entity_t ex, tk;
    uint8_t v[5];
    edit_t *rev[5] = {e[4], e[3], e[2], e[1], e[0]};
    /* ex and take each with their own log of what the check saw */
    edit_t **a1 = xmalloc(5 * sizeof *a1), **b1 = xmalloc(5 * sizeof *b1);
    for (int i = 0; i < 5; i++) {
        a1[i] = s_edit_copy(rev[i]);
        b1[i] = s_edit_copy(rev[i]);
    }
    merge_entity_ex(a1, 5, s_check, &cx, v, &ex);
    merge_entity_take(b1, 5, s_check, &ct, &tk);
    s_expect_same(&ex, &tk, "denied edits");
    cr_assert_eq(cx.calls, 5);
    cr_assert_eq(ct.calls, cx.calls, "the check runs once per edit in both");
    cr_assert(cx.log.len == ct.log.len && memcmp(cx.log.data, ct.log.data, cx.log.len) == 0,
              "the check is shown the same states in both merges");
    cr_assert_eq(v[0], MERGE_DENIED, "the banned first edit");
    cr_assert_eq(v[3], MERGE_DENIED, "the edit after closing");
    cr_assert_eq(tk.denied, 2);
    cr_assert_eq(tk.edits, 3);
    cr_assert(memcmp(tk.creator, a.pk, 32) == 0, "creator from the first allowed edit");
    cr_assert_eq(tk.created, 10);
    cr_assert_eq(tk.updated, 40);
    cr_assert_str_eq(pv_get_str(tk.fields, "name"), "Moskee");
    cr_assert_str_eq(pv_get_str(tk.fields, "area"), "Noord");
    cr_assert_str_eq(pv_get_str(tk.fields, "status"), "closed");
    cr_assert_str_eq(pv_get_str(tk.fields, "hours"), "vr 12-14");
    cr_assert_str_eq(pv_get_str(b1[0]->fields, "name"), "by the banned author, first",
                     "a denied edit keeps its fields");
    cr_assert_str_eq(pv_get_str(b1[3]->fields, "area"), "Zuid");
    s_free_all(a1, 5);
    s_free_all(b1, 5);
    free(a1);
    free(b1);
    buf_free(&cx.log);
    buf_free(&ct.log);
    entity_clear(&ex);
    entity_clear(&tk);

    /* every edit denied: no state, like merge_entity_ex */
    s_check_ctx_t all = {a.pk, {0}, 0};
    edit_t *only[1] = {e[1]};
    s_take_checked(only, 1, s_check, &all, &tk, "all denied");
    cr_assert_eq(tk.edits, 0);
    cr_assert_eq(tk.denied, 1);
    cr_assert_eq(tk.fields->u.m.n, 0);
    cr_assert(entity_deleted(&tk), "a state no edit counts in is hidden");
    entity_clear(&tk);
    buf_free(&all.log);
    s_free_all(e, 5);
}

Test(merge, take_follows_claims_of_a_need_like_merge_entity_ex)
{
    s_key_t a, b, c;
    s_key(1, &a);
    s_key(2, &b);
    s_key(3, &c);
    pv_t *need = pv_map();
    pv_map_set(need, "category", pv_str("food"));
    pv_map_set(need, "summary", pv_str("groceries for 3"));
    pv_map_set(need, "status", pv_str("open"));
    pv_t *claim_b = pv_map();
    pv_map_set(claim_b, "status", pv_str("claimed"));
    char hex[65];
    hex_encode(b.pk, 32, hex);
    pv_map_set(claim_b, "claimed_by", pv_str(hex));
    pv_t *release = pv_map();
    pv_map_set(release, "status", pv_str("open"));
    pv_map_set(release, "claimed_by", pv_nil());
    pv_t *claim_c = pv_map();
    pv_map_set(claim_c, "status", pv_str("claimed"));
    hex_encode(c.pk, 32, hex);
    pv_map_set(claim_c, "claimed_by", pv_str(hex));
    edit_t *e[5] = {s_edit_of(REC_NEED, NULL, &a, 10, need),
                    s_edit_of(REC_NEED, NULL, &b, 20, claim_b),
                    s_edit_of(REC_NEED, NULL, &b, 30, release),
                    s_edit_of(REC_NEED, NULL, &c, 40, claim_c),
                    s_edit_of(REC_NEED, NULL, &a, 50, s_one("urgency", pv_str("high")))};
    entity_t x;
    s_take_checked(e, 2, NULL, NULL, &x, "claimed by b");
    cr_assert(x.claimed);
    cr_assert(memcmp(x.claimer, b.pk, 32) == 0);
    entity_clear(&x);
    s_take_checked(e, 3, NULL, NULL, &x, "released");
    cr_assert(!x.claimed);
    cr_assert_null(pv_map_get(x.fields, "claimed_by"));
    entity_clear(&x);
    edit_t *rev[5] = {e[4], e[3], e[2], e[1], e[0]};
    s_take_checked(rev, 5, NULL, NULL, &x, "claimed by c, then an edit without status");
    cr_assert(x.claimed, "an edit without status keeps the claim");
    cr_assert(memcmp(x.claimer, c.pk, 32) == 0);
    cr_assert_str_eq(pv_get_str(x.fields, "claimed_by"), hex);
    cr_assert_eq(x.kind, REC_NEED);
    entity_clear(&x);
    s_free_all(e, 5);
}

/* Denies, by a fixed rule on the edit id and the state so far, about one
 * edit in four. */
static bool s_check_random(void *ctx, const entity_t *st, const edit_t *e)
{
    (void)ctx;
    return (e->id[0] + st->edits + (pv_get_str(st->fields, "area") ? 1 : 0)) % 4 != 0;
}

Test(merge, take_equals_merge_entity_ex_on_random_edit_sets)
{
    s_key_t keys[3];
    for (int k = 0; k < 3; k++)
        s_key((uint8_t)(0x50 + k), &keys[k]);
    for (uint64_t seed = 1; seed <= 100; seed++) {
        uint64_t r = seed * 7919;
        uint8_t entity[32];
        for (int i = 0; i < 32; i++)
            entity[i] = (uint8_t)s_rand(&r);
        size_t n = 1 + s_rand(&r) % 20;
        bool tight = s_rand(&r) % 2;
        edit_t *edits[20];
        for (size_t i = 0; i < n; i++) {
            const s_key_t *k = &keys[s_rand(&r) % 3];
            uint64_t hlc = 1000 + (tight ? s_rand(&r) % 3 : s_rand(&r) % 1000);
            pv_t *f = pv_map();
            if (s_rand(&r) % 10 == 0) {
                pv_map_set(f, "area", pv_str("Elders"));
                edits[i] = s_edit_of(REC_NEED, entity, k, hlc, f);
                continue;
            }
            unsigned mask = 0;
            while (mask == 0)
                mask = (unsigned)(s_rand(&r) % (1u << S_NFIELDS));
            for (int fi = 0; fi < S_NFIELDS; fi++)
                if (mask & (1u << fi))
                    pv_map_set(f, s_fields[fi], s_random_value(&r, fi));
            if (s_rand(&r) % 8 == 0)
                pv_map_set(f, "hours", pv_nil());
            edits[i] = s_edit_of(REC_PLACE, entity, k, hlc, f);
        }
        for (int check = 0; check < 2; check++) {
            s_shuffle(&r, edits, n);
            char what[48];
            snprintf(what, sizeof what, "seed %llu check %d", (unsigned long long)seed, check);
            entity_t x;
            s_take_checked(edits, n, check ? s_check_random : NULL, NULL, &x, what);
            entity_clear(&x);
        }
        s_free_all(edits, n);
    }
}

/* ---- creator-bound ids ------------------------------------------------ */

static bool s_deny_author(void *ctx, const entity_t *st, const edit_t *e)
{
    (void)st;
    return memcmp(e->author, ctx, 32) != 0;
}

Test(merge, a_bound_id_is_created_by_its_binding_edit_and_nothing_before_it_counts)
{
    s_key_t a, b;
    s_key(1, &a);
    s_key(2, &b);
    uint8_t id[32];
    edit_bound_id(a.pk, 100, id);
    edit_t *e[4] = {s_edit_of(REC_PLACE, id, &b, 50, s_one("name", pv_str("backdated"))),
                    s_edit_of(REC_COALITION, id, &b, 100, s_one("name", pv_str("same clock"))),
                    s_edit_of(REC_PLACE, id, &a, 100, s_one("name", pv_str("Bieb"))),
                    s_edit_of(REC_PLACE, id, &b, 200, s_one("status", pv_str("open")))};
    entity_t st;
    uint8_t v[4];
    edit_t *copy[4] = {e[3], e[1], e[0], e[2]};
    merge_entity_ex(copy, 4, NULL, NULL, v, &st);
    cr_assert(st.bound);
    cr_assert_eq(st.kind, REC_PLACE, "the kind of the binding edit");
    cr_assert(memcmp(st.creator, a.pk, 32) == 0, "the creator the id names");
    cr_assert_eq(st.created, 100);
    cr_assert_str_eq(pv_get_str(st.fields, "name"), "Bieb");
    cr_assert_str_eq(pv_get_str(st.fields, "status"), "open", "later edits count");
    cr_assert_eq(st.edits, 2);
    for (int i = 0; i < 4; i++)
        if (copy[i] == e[0])
            cr_assert_eq(v[i], MERGE_DENIED, "an edit dated before the creation is denied");
    entity_clear(&st);

    /* the binding edit denied: nothing else may create the record instead */
    edit_t *c2[4] = {e[0], e[1], e[2], e[3]};
    merge_entity_ex(c2, 4, s_deny_author, a.pk, NULL, &st);
    cr_assert_eq(st.edits, 0, "no edit counts when the creating one does not");
    cr_assert(entity_deleted(&st));
    entity_clear(&st);

    /* an id no edit binds: the first edit creates it, as before */
    edit_t *u[2] = {s_edit(&b, 50, s_one("name", pv_str("first"))),
                    s_edit(&a, 60, s_one("status", pv_str("open")))};
    merge_entity(u, 2, &st);
    cr_assert_not(st.bound);
    cr_assert(memcmp(st.creator, b.pk, 32) == 0);
    cr_assert_eq(st.edits, 2);
    entity_clear(&st);
    s_free_all(u, 2);
    s_free_all(e, 4);
}
