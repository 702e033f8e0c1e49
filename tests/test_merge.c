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
