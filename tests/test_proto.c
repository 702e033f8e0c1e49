/*
 * test_proto.c -- behaviour tests for proto/: the canonical value codec
 * (value.c), the record schema (record.c), signed edits (edit.c) and the
 * personal-data scan (rec_privacy_scan).
 *
 * Golden vectors: tests/vectors/<kind>.hex holds the exact wire bytes
 * (lowercase hex, one line) of one fixed, deterministic edit per record kind
 * (fixed Ed25519 seed, entity bytes, clock and fields; Ed25519 signatures
 * are deterministic), and tests/vectors/<kind>.id its id. The tests compare
 * freshly signed bytes with those files, so any change to the wire format
 * fails here. After a deliberate format change, regenerate them from the
 * repository root with
 *
 *     BUURT_WRITE_VECTORS=1 build/tests/test_proto --filter 'edit/wire_bytes*'
 *
 * and review the diff. Tests are run from the repository root (the vectors
 * are found at the relative path tests/vectors/).
 *
 * Every random test uses a fixed-seed PRNG, so failures reproduce. The
 * whole file runs in a few seconds (minutes under valgrind).
 */
#include "proto/edit.h"
#include "proto/err.h"
#include "proto/record.h"
#include "proto/util.h"
#include "proto/value.h"

#include <criterion/criterion.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <valgrind/valgrind.h>

#define S_VECTORS "tests/vectors/"

/* ---- helpers ---------------------------------------------------------- */

/* splitmix64: a tiny deterministic PRNG for the randomised tests. */
static uint64_t s_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Decodes lowercase hex into a new buffer; *n gets the byte count. */
static uint8_t *s_unhex(const char *hex, size_t *n)
{
    size_t len = strlen(hex);
    cr_assert(len % 2 == 0, "odd hex length in test data: %s", hex);
    uint8_t *out = xmalloc(len / 2 + 1);
    cr_assert_eq(hex_decode(hex, out, len / 2), 0, "bad hex in test data: %s", hex);
    *n = len / 2;
    return out;
}

/* pv_decode of hex input; returns the code and frees any value. */
static int s_decode_hex(const char *hex)
{
    size_t n;
    uint8_t *b = s_unhex(hex, &n);
    pv_t *v = (pv_t *)1;
    int rc = pv_decode(b, n, &v);
    if (rc < 0)
        cr_assert_null(v, "pv_decode must leave *out NULL on failure (%s)", hex);
    pv_free(&v);
    free(b);
    return rc;
}

/* Encodes v, checks the bytes equal want_hex (when given), decodes them back
 * and checks the result is equal and re-encodes to the same bytes. */
static void s_round_trip(const pv_t *v, const char *want_hex)
{
    buf_t a = {0}, b = {0};
    pv_encode(v, &a);
    if (want_hex) {
        char *hex = xmalloc(2 * a.len + 1);
        hex_encode(a.data, a.len, hex);
        cr_assert_str_eq(hex, want_hex);
        free(hex);
    }
    pv_t *back = NULL;
    int rc = pv_decode(a.data, a.len, &back);
    cr_assert_eq(rc, 0, "decode of own encoding failed: %s", bu_strerror(rc));
    cr_assert(pv_equal(v, back), "decoded value differs");
    pv_encode(back, &b);
    cr_assert_eq(a.len, b.len);
    cr_assert(memcmp(a.data, b.data, a.len) == 0, "re-encoding differs");
    pv_free(&back);
    buf_free(&a);
    buf_free(&b);
}

static pv_t *s_strs(const char *const *items)
{
    pv_t *a = pv_arr();
    for (; *items; items++)
        pv_arr_push(a, pv_str(*items));
    return a;
}
#define S_LIST(...) s_strs((const char *const[]){__VA_ARGS__, NULL})

/* ---- suite value ------------------------------------------------------ */

Test(value, scalars_round_trip_with_exact_bytes)
{
    pv_t *v;
    v = pv_nil(); s_round_trip(v, "c0"); pv_free(&v);
    v = pv_bool(true); s_round_trip(v, "c3"); pv_free(&v);
    v = pv_bool(false); s_round_trip(v, "c2"); pv_free(&v);
    v = pv_str(""); s_round_trip(v, "a0"); pv_free(&v);
    v = pv_str("abc"); s_round_trip(v, "a3616263"); pv_free(&v);
    v = pv_bin("", 0); s_round_trip(v, "c400"); pv_free(&v);
    v = pv_bin("\0\1\xff", 3); s_round_trip(v, "c4030001ff"); pv_free(&v);
    /* UTF-8: e-acute (2 bytes), euro sign (3 bytes), G clef (4 bytes). */
    v = pv_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e");
    s_round_trip(v, "ae636166c3a920e282ac20f09d849e");
    cr_assert_eq(v->u.s.n, 14);
    pv_free(&v);
}

Test(value, integers_use_their_shortest_form_and_round_trip)
{
    static const struct { int64_t i; const char *hex; } cases[] = {
        {0, "00"},
        {1, "01"},
        {127, "7f"},
        {128, "cc80"},
        {255, "ccff"},
        {256, "cd0100"},
        {65535, "cdffff"},
        {65536, "ce00010000"},
        {INT64_C(4294967295), "ceffffffff"},
        {INT64_C(4294967296), "cf0000000100000000"},
        {INT64_MAX, "cf7fffffffffffffff"},
        {-1, "ff"},
        {-32, "e0"},
        {-33, "d0df"},
        {-128, "d080"},
        {-129, "d1ff7f"},
        {-32768, "d18000"},
        {-32769, "d2ffff7fff"},
        {INT32_MIN, "d280000000"},
        {(int64_t)INT32_MIN - 1, "d3ffffffff7fffffff"},
        {INT64_MIN, "d38000000000000000"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pv_t *v = pv_int(cases[k].i);
        s_round_trip(v, cases[k].hex);
        pv_free(&v);
    }
}

Test(value, strings_and_bins_of_every_length_class_round_trip)
{
    static const size_t lens[] = {0, 1, 31, 32, 255, 256, 65535, 65536, 70000};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        char *s = xmalloc(lens[k] + 1);
        for (size_t i = 0; i < lens[k]; i++)
            s[i] = (char)('a' + i % 26);
        pv_t *v = pv_strn(s, lens[k]);
        s_round_trip(v, NULL);
        pv_free(&v);
        for (size_t i = 0; i < lens[k]; i++)
            s[i] = (char)(i * 7); /* includes NUL bytes: fine in bin */
        v = pv_bin(s, lens[k]);
        s_round_trip(v, NULL);
        pv_free(&v);
        free(s);
    }
}

Test(value, nested_maps_and_arrays_round_trip)
{
    pv_t *m = pv_map();
    pv_map_set(m, "zeta", pv_int(-5));
    pv_map_set(m, "alpha", S_LIST("x", "y"));
    pv_t *inner = pv_map();
    pv_map_set(inner, "empty-map", pv_map());
    pv_map_set(inner, "empty-arr", pv_arr());
    pv_map_set(inner, "bin", pv_bin("\x00\x01", 2));
    pv_map_set(inner, "\xc3\xa9t\xc3\xa9", pv_str("\xe2\x98\x95"));
    pv_map_set(m, "inner", inner);
    pv_t *arr = pv_arr();
    pv_arr_push(arr, pv_nil());
    pv_arr_push(arr, pv_bool(true));
    pv_arr_push(arr, pv_int(INT64_MIN));
    pv_arr_push(arr, pv_int(INT64_MAX));
    pv_arr_push(arr, pv_dup(m));
    pv_map_set(m, "arr", arr);
    s_round_trip(m, NULL);

    /* PV_MAX_DEPTH levels of containers are accepted. */
    pv_t *deep = pv_int(7);
    for (int d = 0; d < PV_MAX_DEPTH; d++) {
        pv_t *c = d % 2 ? pv_arr() : pv_map();
        if (c->type == PV_ARR)
            pv_arr_push(c, deep);
        else
            pv_map_set(c, "k", deep);
        deep = c;
    }
    s_round_trip(deep, NULL);
    pv_free(&deep);
    pv_free(&m);
}

Test(value, map_keys_encode_in_byte_order_whatever_the_insertion_order)
{
    pv_t *m = pv_map();
    pv_map_set(m, "b", pv_int(1));
    pv_map_set(m, "ab", pv_int(2));
    pv_map_set(m, "a", pv_int(3));
    pv_map_set(m, "\xc3\xa9", pv_int(4)); /* high bytes sort last */
    pv_map_set(m, "B", pv_int(5));
    s_round_trip(m, "85a142""05""a161""03""a26162""02""a162""01""a2c3a9""04");
    pv_map_set(m, "b", pv_int(6)); /* replace keeps one entry */
    pv_map_del(m, "ab");
    pv_map_del(m, "missing");
    s_round_trip(m, "84a142""05""a161""03""a162""06""a2c3a9""04");
    cr_assert_eq(pv_get_int(m, "b", 0), 6);
    cr_assert_eq(pv_get_int(m, "zz", 42), 42);
    cr_assert_null(pv_get_str(m, "b"));
    pv_free(&m);
    pv_free(&m); /* NULL-safe */
}

/* A random tree of depth <= PV_MAX_DEPTH. */
static pv_t *s_random_tree(uint64_t *r, int depth)
{
    int t = (int)(s_rand(r) % (depth >= PV_MAX_DEPTH ? 5 : 7));
    switch (t) {
    case 0: return pv_nil();
    case 1: return pv_bool(s_rand(r) & 1);
    case 2: {
        uint64_t u = s_rand(r) >> (s_rand(r) % 64);
        return pv_int((int64_t)(s_rand(r) & 1 ? ~u : u)); /* small and large, both signs */
    }
    case 3: {
        static const char *const words[] = {"", "a", "hello", "\xc3\xa9t\xc3\xa9",
                                            "\xf0\x9f\x8d\x9e bread", "groceries"};
        return pv_str(words[s_rand(r) % 6]);
    }
    case 4: {
        uint8_t b[40];
        size_t n = s_rand(r) % sizeof b;
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)s_rand(r);
        return pv_bin(b, n);
    }
    case 5: {
        pv_t *a = pv_arr();
        for (int n = (int)(s_rand(r) % 5); n > 0; n--)
            pv_arr_push(a, s_random_tree(r, depth + 1));
        return a;
    }
    default: {
        pv_t *m = pv_map();
        for (int n = (int)(s_rand(r) % 5); n > 0; n--) {
            char key[8];
            snprintf(key, sizeof key, "k%d", (int)(s_rand(r) % 10));
            pv_map_set(m, key, s_random_tree(r, depth + 1));
        }
        return m;
    }
    }
}

Test(value, random_trees_round_trip)
{
    uint64_t r = 42;
    for (int i = 0; i < 500; i++) {
        pv_t *v = s_random_tree(&r, 1);
        pv_t *copy = pv_dup(v);
        cr_assert(pv_equal(v, copy));
        s_round_trip(copy, NULL);
        pv_free(&copy);
        pv_free(&v);
    }
}

Test(value, non_shortest_integers_are_rejected)
{
    cr_assert_eq(s_decode_hex("cc05"), BU_ECANON);            /* uint8 5 */
    cr_assert_eq(s_decode_hex("cd0005"), BU_ECANON);          /* uint16 5 */
    cr_assert_eq(s_decode_hex("cd00ff"), BU_ECANON);          /* uint16 255 */
    cr_assert_eq(s_decode_hex("ce0000ffff"), BU_ECANON);
    cr_assert_eq(s_decode_hex("cf00000000ffffffff"), BU_ECANON);
    cr_assert_eq(s_decode_hex("d005"), BU_ECANON);            /* int8 +5 */
    cr_assert_eq(s_decode_hex("d0ff"), BU_ECANON);            /* int8 -1 */
    cr_assert_eq(s_decode_hex("d1ff80"), BU_ECANON);          /* int16 -128 */
    cr_assert_eq(s_decode_hex("d3ffffffffffffffff"), BU_ECANON);
    cr_assert_eq(s_decode_hex("cc80"), 0);                    /* 128 needs uint8 */
}

Test(value, long_forms_for_short_strings_bins_and_containers_are_rejected)
{
    cr_assert_eq(s_decode_hex("d903616263"), BU_ECANON);      /* str8 "abc" */
    cr_assert_eq(s_decode_hex("da0003616263"), BU_ECANON);    /* str16 "abc" */
    cr_assert_eq(s_decode_hex("c5000101"), BU_ECANON);        /* bin16, 1 byte */
    cr_assert_eq(s_decode_hex("dc000101"), BU_ECANON);        /* array16 [1] */
    cr_assert_eq(s_decode_hex("dd0000000101"), BU_ECANON);    /* array32 [1] */
    cr_assert_eq(s_decode_hex("de0001a16101"), BU_ECANON);    /* map16 {a:1} */
}

Test(value, unsorted_and_duplicate_map_keys_are_rejected)
{
    cr_assert_eq(s_decode_hex("82a16101a16202"), 0);          /* {a:1, b:2} */
    cr_assert_eq(s_decode_hex("82a16202a16101"), BU_ECANON);  /* {b:2, a:1} */
    cr_assert_eq(s_decode_hex("82a26162""01""a161""02"), BU_ECANON); /* ab before a */
    cr_assert_eq(s_decode_hex("82a16101a16102"), BU_ECANON);  /* {a:1, a:2} */
    cr_assert_eq(s_decode_hex("82a16101a16101"), BU_ECANON);  /* {a:1, a:1} */
    cr_assert_eq(s_decode_hex("810101"), BU_EINVAL);          /* int key */
    cr_assert_eq(s_decode_hex("81c40161""01"), BU_EINVAL);    /* bin key */
}

Test(value, trailing_bytes_floats_and_ext_are_rejected)
{
    cr_assert_eq(s_decode_hex("0102"), BU_EINVAL);
    cr_assert_eq(s_decode_hex("9101""00"), BU_EINVAL);
    cr_assert_eq(s_decode_hex("ca3f800000"), BU_EINVAL);      /* float32 1.0 */
    cr_assert_eq(s_decode_hex("cb3ff0000000000000"), BU_EINVAL);
    cr_assert_eq(s_decode_hex("d40100"), BU_EINVAL);          /* fixext1 */
    cr_assert_eq(s_decode_hex("d8010000000000000000000000000000000000"), BU_EINVAL);
    cr_assert_eq(s_decode_hex("c7010100"), BU_EINVAL);        /* ext8 */
    cr_assert_eq(s_decode_hex("c1"), BU_EINVAL);              /* never used */
    cr_assert_eq(s_decode_hex("91ca3f800000"), BU_EINVAL);    /* nested float */
    cr_assert_eq(s_decode_hex("cf8000000000000000"), BU_EINVAL); /* > INT64_MAX */
}

Test(value, invalid_utf8_and_nul_in_text_are_rejected)
{
    cr_assert_eq(s_decode_hex("a1ff"), BU_EINVAL);
    cr_assert_eq(s_decode_hex("a1c3"), BU_EINVAL);            /* cut sequence */
    cr_assert_eq(s_decode_hex("a2c328"), BU_EINVAL);          /* bad continuation */
    cr_assert_eq(s_decode_hex("a2c0af"), BU_EINVAL);          /* overlong '/' */
    cr_assert_eq(s_decode_hex("a2c080"), BU_EINVAL);          /* overlong NUL */
    cr_assert_eq(s_decode_hex("a3e08080"), BU_EINVAL);        /* overlong 3-byte */
    cr_assert_eq(s_decode_hex("a3eda080"), BU_EINVAL);        /* surrogate */
    cr_assert_eq(s_decode_hex("a4f4908080"), BU_EINVAL);      /* > U+10FFFF */
    cr_assert_eq(s_decode_hex("a1""80"), BU_EINVAL);          /* lone continuation */
    cr_assert_eq(s_decode_hex("a3610062"), BU_EINVAL);        /* NUL inside */
    cr_assert_eq(s_decode_hex("a100"), BU_EINVAL);
    cr_assert_eq(s_decode_hex("81a2ff61""01"), BU_EINVAL);    /* bad key */
    cr_assert_eq(s_decode_hex("81a26100""01"), BU_EINVAL);    /* NUL in key */
    cr_assert_eq(s_decode_hex("a4f09d849e"), 0);              /* valid 4-byte */
    cr_assert_eq(s_decode_hex("c403610062"), 0);              /* NUL fine in bin */
}

/* n nested one-element arrays around a 1 (scalar_inner) or an empty array. */
static int s_nested(int n, bool scalar_inner)
{
    uint8_t b[64];
    int len = 0;
    for (int i = 0; i < n; i++)
        b[len++] = 0x91;
    if (scalar_inner)
        b[len++] = 0x01;
    else
        b[len - 1] = 0x90;
    pv_t *v = NULL;
    int rc = pv_decode(b, (size_t)len, &v);
    pv_free(&v);
    return rc;
}

Test(value, nesting_deeper_than_max_depth_is_rejected)
{
    cr_assert_eq(s_nested(PV_MAX_DEPTH, true), 0);
    cr_assert_eq(s_nested(PV_MAX_DEPTH, false), 0);
    cr_assert_eq(s_nested(PV_MAX_DEPTH + 1, true), BU_EINVAL);
    cr_assert_eq(s_nested(PV_MAX_DEPTH + 1, false), BU_EINVAL);
    cr_assert_eq(s_nested(60, true), BU_EINVAL);
    /* a map nested in arrays counts too */
    cr_assert_eq(s_decode_hex("9191919191919181a16101"), 0);            /* 8 levels */
    cr_assert_eq(s_decode_hex("919191919191919181a16101"), BU_EINVAL);   /* 9 */
}

Test(value, huge_element_counts_in_tiny_input_fail_fast_without_allocating)
{
    /* Cap the address space so that trying to allocate for the claimed
     * counts would abort the test (valgrind and ASan manage their own). */
#if defined(__SANITIZE_ADDRESS__)
    bool cap = false;
#else
    bool cap = !RUNNING_ON_VALGRIND;
#endif
    if (cap) {
        struct rlimit rl = {256u << 20, 256u << 20};
        cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
    }
    static const char *const claims[] = {
        "ddffffffff",          /* array32 of 4294967295 items */
        "ddffffffff0102",
        "dfffffffff",          /* map32 */
        "dfffffffffa16101",
        "dbffffffff61",        /* str32 */
        "c6ffffffff00",        /* bin32 */
        "dd00ffffff01",        /* 16M items */
        "dcffff01",            /* array16 */
        "9fdd7fffffff",        /* inside a fixarray */
        "81a161ddffffffff",    /* as a map value */
    };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t k = 0; k < sizeof claims / sizeof claims[0]; k++)
        cr_assert_eq(s_decode_hex(claims[k]), BU_ETRUNC, "%s", claims[k]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert_lt(s, 1.0, "decoding ten tiny inputs took %.3f s", s);
}

Test(value, every_truncation_of_a_value_is_rejected)
{
    pv_t *m = pv_map();
    pv_map_set(m, "name", pv_str("Buurthuis"));
    pv_map_set(m, "n", pv_int(-100000));
    pv_map_set(m, "list", S_LIST("a", "bb", "ccc"));
    pv_map_set(m, "bin", pv_bin("\x01\x02\x03\x04", 4));
    buf_t b = {0};
    pv_encode(m, &b);
    for (size_t n = 0; n < b.len; n++) {
        pv_t *v = NULL;
        int rc = pv_decode(b.data, n, &v);
        cr_assert_lt(rc, 0, "prefix of %zu/%zu bytes decoded", n, b.len);
        cr_assert_null(v);
    }
    buf_free(&b);
    pv_free(&m);
}

Test(value, empty_and_oversized_input_are_rejected)
{
    pv_t *v = NULL;
    cr_assert_eq(pv_decode((const uint8_t *)"", 0, &v), BU_ETRUNC);
    size_t n = PV_MAX_INPUT + 1;
    uint8_t *big = xcalloc(1, n);
    cr_assert_eq(pv_decode(big, n, &v), BU_ETOOBIG);
    cr_assert_null(v);
    free(big);
}

Test(value, random_bytes_never_crash_and_what_decodes_is_canonical)
{
    uint64_t r = 7;
    uint8_t b[64];
    for (int i = 0; i < 20000; i++) {
        size_t n = s_rand(&r) % sizeof b;
        for (size_t k = 0; k < n; k++)
            b[k] = (uint8_t)s_rand(&r);
        pv_t *v = NULL;
        int rc = pv_decode(b, n, &v);
        if (rc < 0) {
            cr_assert_null(v);
            continue;
        }
        buf_t again = {0};
        pv_encode(v, &again);
        cr_assert(again.len == n && memcmp(again.data, b, n) == 0,
                  "case %d: accepted input does not re-encode to itself", i);
        buf_free(&again);
        pv_free(&v);
    }
}

Test(value, json_output_escapes_text_and_hexes_bins)
{
    pv_t *m = pv_map();
    pv_map_set(m, "s", pv_str("a\"b\\c\nd\x01"));
    pv_map_set(m, "b", pv_bin("\xab\x01", 2));
    pv_map_set(m, "a", pv_arr());
    pv_arr_push((pv_t *)pv_map_get(m, "a"), pv_int(-3));
    pv_arr_push((pv_t *)pv_map_get(m, "a"), pv_nil());
    pv_arr_push((pv_t *)pv_map_get(m, "a"), pv_bool(false));
    buf_t out = {0};
    pv_to_json(m, &out);
    cr_assert_str_eq(buf_cstr(&out), "{\"a\":[-3,null,false],\"b\":\"ab01\","
                                     "\"s\":\"a\\\"b\\\\c\\nd\\u0001\"}");
    buf_free(&out);
    pv_free(&m);
}

/* ---- fixed edits (shared by suites edit and record) ------------------- */

/* The kinds with a fixed edit and golden vector. REC_MEMBER (membership
 * certificates) is newer and not covered here yet. */
static const rec_kind_t s_kinds[] = {REC_PLACE, REC_COALITION, REC_NEED, REC_OFFER,
                                     REC_BULLETIN};
#define S_NKINDS (sizeof s_kinds / sizeof s_kinds[0])

static uint8_t s_pk[32], s_sk[64];

static void s_keys(void)
{
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(0xa0 + i);
    cr_assert_eq(sodium_init() < 0, 0);
    crypto_sign_seed_keypair(s_pk, s_sk, seed);
}

static void s_entity(rec_kind_t kind, uint8_t out[32])
{
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(0x11 * (kind + 1) ^ (i * 3));
}

static void s_entity_hex(rec_kind_t kind, char out[65])
{
    uint8_t id[32];
    s_entity(kind, id);
    hex_encode(id, 32, out);
}

/* The fixed, schema-valid, creating field map for kind. */
static pv_t *s_fixed_fields(rec_kind_t kind)
{
    char place[65], coal[65], offer[65], bull[65], author[65];
    s_entity_hex(REC_PLACE, place);
    s_entity_hex(REC_COALITION, coal);
    s_entity_hex(REC_OFFER, offer);
    s_entity_hex(REC_BULLETIN, bull);
    hex_encode(s_pk, 32, author);
    pv_t *m = pv_map();
    switch (kind) {
    case REC_PLACE:
        pv_map_set(m, "name", pv_str("Buurthuis De Klinker \xe2\x80\x93 Caf\xc3\xa9"));
        pv_map_set(m, "kinds", S_LIST("community-centre", "food"));
        pv_map_set(m, "address", pv_str("Klinkerstraat 12"));
        pv_map_set(m, "area", pv_str("Feijenoord"));
        pv_map_set(m, "lat", pv_int(51903000));
        pv_map_set(m, "lon", pv_int(4497000));
        pv_map_set(m, "langs", S_LIST("nl", "en", "tr"));
        pv_map_set(m, "hours", pv_str("ma-vr 10-18"));
        pv_map_set(m, "access", pv_str("drempelvrij, lift"));
        pv_map_set(m, "functions", S_LIST("inform", "serve"));
        pv_map_set(m, "contact", pv_str("balie in het buurthuis"));
        pv_map_set(m, "status", pv_str("limited"));
        pv_map_set(m, "status_note", pv_str("alleen ochtenden"));
        pv_map_set(m, "status_at", pv_int(INT64_C(1795428000000)));
        pv_map_set(m, "capacity", pv_int(40));
        pv_map_set(m, "channels", S_LIST("doorstep", "phone"));
        pv_map_set(m, "reaches", S_LIST("ouderen", "nieuwkomers"));
        pv_map_set(m, "hub", pv_bool(true));
        pv_map_set(m, "deleted", pv_bool(false));
        break;
    case REC_COALITION: {
        char key[80];
        pv_map_set(m, "name", pv_str("Voedselnetwerk Zuid"));
        pv_map_set(m, "purpose", pv_str("pakketten eerlijk verdelen"));
        pv_map_set(m, "area", pv_str("Rotterdam-Zuid"));
        pv_map_set(m, "functions", S_LIST("connect", "mobilise"));
        pv_map_set(m, "contact", pv_str("via het buurthuis"));
        pv_map_set(m, "coordinators", S_LIST(author));
        pv_t *mem = pv_map();
        pv_map_set(mem, "role", pv_str("lead"));
        pv_map_set(mem, "reaches", S_LIST("ouderen"));
        snprintf(key, sizeof key, "member:%s", place);
        pv_map_set(m, key, mem);
        mem = pv_map();
        pv_map_set(mem, "role", pv_str("provide"));
        snprintf(key, sizeof key, "member:%s", offer);
        pv_map_set(m, key, mem);
        break;
    }
    case REC_NEED:
        pv_map_set(m, "category", pv_str("food"));
        pv_map_set(m, "summary", pv_str("groceries for 3 elderly residents"));
        pv_map_set(m, "area", pv_str("Afrikaanderwijk"));
        pv_map_set(m, "langs", S_LIST("nl", "ar"));
        pv_map_set(m, "urgency", pv_str("high"));
        pv_map_set(m, "people", pv_int(3));
        pv_map_set(m, "status", pv_str("open"));
        pv_map_set(m, "claimed_by", pv_str(offer));
        pv_map_set(m, "expires", pv_int(INT64_C(1795514400000)));
        pv_map_set(m, "coalition", pv_str(coal));
        break;
    case REC_OFFER:
        pv_map_set(m, "provider", pv_str(place));
        pv_map_set(m, "categories", S_LIST("food", "errands"));
        pv_map_set(m, "area", pv_str("Feijenoord"));
        pv_map_set(m, "langs", S_LIST("nl"));
        pv_map_set(m, "capacity", pv_int(20));
        pv_map_set(m, "until", pv_int(INT64_C(1796000000000)));
        pv_map_set(m, "note", pv_str("100 food parcels"));
        break;
    case REC_BULLETIN:
        pv_map_set(m, "title", pv_str("Uitdeelpunt verplaatst"));
        pv_map_set(m, "body", pv_str("Vanaf maandag in de sporthal, 2026-11-23 10:00.\n"
                                     "\xd8\xa7\xd9\x84\xd8\xb3\xd9\x88\xd9\x82"));
        pv_map_set(m, "langs", S_LIST("nl", "ar"));
        pv_map_set(m, "source", pv_str("gemeente"));
        pv_map_set(m, "replaces", pv_str(bull));
        break;
    default:
        cr_assert_fail("no fixed fields for kind %d", (int)kind);
    }
    return m;
}

/* A new, unsigned fixed edit of kind. */
static edit_t *s_fixed_edit(rec_kind_t kind)
{
    edit_t *e = xcalloc(1, sizeof *e);
    e->kind = kind;
    s_entity(kind, e->entity);
    memcpy(e->author, s_pk, 32);
    e->hlc = (UINT64_C(1795428000000) << 16) | (uint64_t)(kind + 1);
    e->fields = s_fixed_fields(kind);
    return e;
}

/* Signs the fixed edit of kind; returns it and appends its wire bytes. */
static edit_t *s_fixed_signed(rec_kind_t kind, buf_t *wire)
{
    edit_t *e = s_fixed_edit(kind);
    char *cause = NULL;
    int rc = edit_sign(e, s_sk, EDIT_CREATING, wire, &cause);
    cr_assert_eq(rc, 0, "%s: %s", rec_kind_name(kind), cause ? cause : "");
    return e;
}

/*
 * Wire bytes of an edit built by hand, without edit_sign's checks: body is
 * [version, kind, entity(elen bytes), author, hlc, fields], signed with sk.
 * Takes ownership of fields.
 */
static void s_forge(int64_t version, const char *kind, size_t elen, int64_t hlc,
                    pv_t *fields, const uint8_t sk[64], buf_t *wire)
{
    uint8_t entity[40] = {0}; /* elen may exceed 32 */
    s_entity(REC_PLACE, entity);
    pv_t *body = pv_arr();
    pv_arr_push(body, pv_int(version));
    pv_arr_push(body, pv_str(kind));
    pv_arr_push(body, pv_bin(entity, elen));
    pv_arr_push(body, pv_bin(sk + 32, 32));
    pv_arr_push(body, pv_int(hlc));
    pv_arr_push(body, fields);
    buf_t b = {0}, msg = {0};
    pv_encode(body, &b);
    buf_append(&msg, EDIT_SIG_DOMAIN, strlen(EDIT_SIG_DOMAIN));
    buf_append(&msg, b.data, b.len);
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, msg.data, msg.len, sk);
    pv_t *outer = pv_arr();
    pv_arr_push(outer, pv_bin(b.data, b.len));
    pv_arr_push(outer, pv_bin(sig, 64));
    pv_encode(outer, wire);
    pv_free(&outer);
    pv_free(&body);
    buf_free(&b);
    buf_free(&msg);
}

static int s_decode(const buf_t *wire, unsigned flags)
{
    edit_t *e = NULL;
    char *cause = NULL;
    int rc = edit_decode(wire->data, wire->len, flags, &e, &cause);
    if (rc < 0) {
        cr_assert_null(e);
        cr_assert_not_null(cause, "failure without a cause (%s)", bu_strerror(rc));
    }
    free(cause);
    edit_free(&e);
    return rc;
}

/* ---- suite edit ------------------------------------------------------- */

TestSuite(edit, .init = s_keys);

Test(edit, every_kind_signs_and_decodes_with_all_fields_intact)
{
    for (size_t ki = 0; ki < S_NKINDS; ki++) {
        rec_kind_t k = s_kinds[ki];
        buf_t wire = {0};
        edit_t *e = s_fixed_signed(k, &wire);
        uint8_t id[32];
        crypto_generichash(id, 32, wire.data, wire.len, NULL, 0);
        cr_assert(memcmp(e->id, id, 32) == 0, "%s: id is not BLAKE2b of the wire",
                  rec_kind_name(k));

        edit_t *d = NULL;
        char *cause = NULL;
        int rc = edit_decode(wire.data, wire.len, EDIT_VERIFY | EDIT_CREATING, &d, &cause);
        cr_assert_eq(rc, 0, "%s: %s", rec_kind_name(k), cause ? cause : "");
        cr_assert_eq(d->kind, e->kind);
        cr_assert(memcmp(d->entity, e->entity, 32) == 0);
        cr_assert(memcmp(d->author, s_pk, 32) == 0);
        cr_assert_eq(d->hlc, e->hlc);
        cr_assert(pv_equal(d->fields, e->fields), "%s: fields differ", rec_kind_name(k));
        cr_assert(memcmp(d->sig, e->sig, 64) == 0);
        cr_assert(memcmp(d->id, e->id, 32) == 0);
        cr_assert_eq(edit_cmp(d, e), 0);
        edit_free(&d);
        edit_free(&d); /* NULL-safe */
        edit_free(&e);
        buf_free(&wire);
    }
}

Test(edit, wire_bytes_match_golden_vectors)
{
    const char *w = getenv("BUURT_WRITE_VECTORS");
    bool writing = w && strcmp(w, "1") == 0;
    for (size_t ki = 0; ki < S_NKINDS; ki++) {
        rec_kind_t k = s_kinds[ki];
        buf_t wire = {0};
        edit_t *e = s_fixed_signed(k, &wire);
        char *hex = xmalloc(2 * wire.len + 1), idhex[65];
        hex_encode(wire.data, wire.len, hex);
        hex_encode(e->id, 32, idhex);
        const char *want[2] = {hex, idhex};
        const char *ext[2] = {"hex", "id"};
        for (int f = 0; f < 2; f++) {
            char path[128];
            snprintf(path, sizeof path, S_VECTORS "%s.%s", rec_kind_name(k), ext[f]);
            if (writing) {
                FILE *fp = fopen(path, "w");
                cr_assert_not_null(fp, "cannot write %s (run from the repo root)", path);
                fprintf(fp, "%s\n", want[f]);
                cr_assert_eq(fclose(fp), 0);
                continue;
            }
            FILE *fp = fopen(path, "r");
            cr_assert_not_null(fp, "cannot read %s (run from the repo root, or generate "
                                   "with BUURT_WRITE_VECTORS=1)", path);
            buf_t got = {0};
            char chunk[4096];
            size_t n;
            while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
                buf_append(&got, chunk, n);
            fclose(fp);
            while (got.len > 0 && (got.data[got.len - 1] == '\n' || got.data[got.len - 1] == '\r'))
                got.len--;
            cr_assert_str_eq(buf_cstr(&got), want[f],
                             "%s: wire format changed (see the top of this file)", path);
            buf_free(&got);
        }
        free(hex);
        edit_free(&e);
        buf_free(&wire);
    }
}

Test(edit, golden_vectors_decode_and_verify)
{
    for (size_t ki = 0; ki < S_NKINDS; ki++) {
        rec_kind_t k = s_kinds[ki];
        char path[128], line[EDIT_MAX_WIRE * 2 + 8], idline[80];
        snprintf(path, sizeof path, S_VECTORS "%s.hex", rec_kind_name(k));
        FILE *fp = fopen(path, "r");
        cr_assert_not_null(fp, "cannot read %s", path);
        cr_assert_not_null(fgets(line, sizeof line, fp));
        fclose(fp);
        snprintf(path, sizeof path, S_VECTORS "%s.id", rec_kind_name(k));
        fp = fopen(path, "r");
        cr_assert_not_null(fp, "cannot read %s", path);
        cr_assert_not_null(fgets(idline, sizeof idline, fp));
        fclose(fp);
        line[strcspn(line, "\r\n")] = '\0';
        idline[strcspn(idline, "\r\n")] = '\0';
        size_t n;
        uint8_t *wire = s_unhex(line, &n);
        edit_t *e = NULL;
        cr_assert_eq(edit_decode(wire, n, EDIT_VERIFY | EDIT_CREATING, &e, NULL), 0);
        cr_assert_eq(e->kind, k);
        char idhex[65];
        hex_encode(e->id, 32, idhex);
        cr_assert_str_eq(idhex, idline);
        edit_free(&e);
        free(wire);
    }
}

Test(edit, every_truncated_prefix_is_rejected)
{
    for (size_t ki = 0; ki < S_NKINDS; ki++) {
        rec_kind_t k = s_kinds[ki];
        buf_t wire = {0};
        edit_t *e = s_fixed_signed(k, &wire);
        uint8_t *copy = xmalloc(wire.len);
        memcpy(copy, wire.data, wire.len);
        for (size_t n = 0; n < wire.len; n++) {
            edit_t *d = NULL;
            int rc = edit_decode(copy, n, 0, &d, NULL);
            cr_assert_lt(rc, 0, "%s: prefix %zu/%zu decoded", rec_kind_name(k), n, wire.len);
            cr_assert_null(d);
        }
        free(copy);
        edit_free(&e);
        buf_free(&wire);
    }
}

Test(edit, every_single_bit_flip_fails_verification)
{
    for (size_t ki = 0; ki < S_NKINDS; ki++) {
        rec_kind_t k = s_kinds[ki];
        buf_t wire = {0};
        edit_t *e = s_fixed_signed(k, &wire);
        uint8_t *copy = xmalloc(wire.len);
        size_t sig_at = wire.len - 64; /* the signature bin is last */
        for (size_t i = 0; i < wire.len; i++) {
            for (int bit = 0; bit < 8; bit++) {
                memcpy(copy, wire.data, wire.len);
                copy[i] ^= (uint8_t)(1u << bit);
                edit_t *d = NULL;
                int rc = edit_decode(copy, wire.len, EDIT_VERIFY, &d, NULL);
                cr_assert_lt(rc, 0, "%s: flip of byte %zu bit %d verified",
                             rec_kind_name(k), i, bit);
                cr_assert_null(d);
                if (i >= sig_at) {
                    /* structurally fine, so only the signature check catches it */
                    cr_assert_eq(rc, BU_ESIG, "%s: sig byte %zu bit %d", rec_kind_name(k), i,
                                 bit);
                    cr_assert_eq(edit_decode(copy, wire.len, 0, &d, NULL), 0);
                    cr_assert(memcmp(d->id, e->id, 32) != 0, "id must cover the signature");
                    edit_free(&d);
                }
            }
        }
        free(copy);
        edit_free(&e);
        buf_free(&wire);
    }
}

Test(edit, random_garbage_is_rejected_without_crashing)
{
    uint64_t r = 20261123;
    buf_t golden = {0};
    edit_t *e = s_fixed_signed(REC_NEED, &golden);
    uint8_t *b = xmalloc(golden.len + 310);
    for (int i = 0; i < 4000; i++) {
        size_t n = s_rand(&r) % 301;
        int mode = (int)(s_rand(&r) % 4);
        for (size_t k = 0; k < n; k++)
            b[k] = (uint8_t)s_rand(&r);
        if (mode == 1 && n >= 4) {
            /* plausible outer header: [bin8 body, ...] */
            b[0] = 0x92;
            b[1] = 0xc4;
            b[2] = (uint8_t)(s_rand(&r) % n);
        } else if (mode == 2) {
            /* the golden edit with a few random bytes changed */
            n = golden.len;
            memcpy(b, golden.data, n);
            for (int m = 1 + (int)(s_rand(&r) % 4); m > 0; m--)
                b[s_rand(&r) % n] ^= (uint8_t)(1 + s_rand(&r) % 255);
        } else if (mode == 3) {
            /* the golden edit cut short and padded with noise */
            n = s_rand(&r) % golden.len;
            memcpy(b, golden.data, n);
            size_t pad = s_rand(&r) % 8;
            for (size_t k = 0; k < pad; k++)
                b[n++] = (uint8_t)s_rand(&r);
        }
        edit_t *d = NULL;
        int rc = edit_decode(b, n, EDIT_VERIFY, &d, NULL);
        cr_assert_lt(rc, 0, "case %d (mode %d, %zu bytes) verified", i, mode, n);
        cr_assert_null(d);
        if (mode < 2) { /* edits with noise in the signature still decode */
            rc = edit_decode(b, n, 0, &d, NULL);
            cr_assert_lt(rc, 0, "case %d (mode %d, %zu bytes) decoded", i, mode, n);
        }
        edit_free(&d);
    }
    free(b);
    edit_free(&e);
    buf_free(&golden);
}

Test(edit, signing_key_must_match_author)
{
    edit_t *e = s_fixed_edit(REC_PLACE);
    e->author[0] ^= 1;
    buf_t wire = {0};
    char *cause = NULL;
    cr_assert_eq(edit_sign(e, s_sk, EDIT_CREATING, &wire, &cause), BU_EINVAL);
    cr_assert_not_null(cause);
    cr_assert_eq(wire.len, 0, "nothing is written on failure");
    free(cause);
    edit_free(&e);
}

Test(edit, clock_beyond_int64_is_refused)
{
    edit_t *e = s_fixed_edit(REC_PLACE);
    e->hlc = (uint64_t)INT64_MAX + 1;
    buf_t wire = {0};
    cr_assert_eq(edit_sign(e, s_sk, 0, &wire, NULL), BU_EINVAL);
    e->hlc = (uint64_t)INT64_MAX;
    cr_assert_eq(edit_sign(e, s_sk, 0, &wire, NULL), 0);
    edit_t *d = NULL;
    cr_assert_eq(edit_decode(wire.data, wire.len, EDIT_VERIFY, &d, NULL), 0);
    cr_assert_eq(d->hlc, (uint64_t)INT64_MAX);
    edit_free(&d);
    edit_free(&e);
    buf_free(&wire);
}

Test(edit, text_that_decoding_would_refuse_is_not_signed)
{
    edit_t *e = s_fixed_edit(REC_PLACE);
    buf_t wire = {0};
    pv_map_set(e->fields, "area", pv_strn("Feij\xff", 5));
    cr_assert_eq(edit_sign(e, s_sk, 0, &wire, NULL), BU_ESCHEMA);
    pv_map_set(e->fields, "area", pv_strn("Fe\0ij", 5));
    cr_assert_eq(edit_sign(e, s_sk, 0, &wire, NULL), BU_ESCHEMA);
    cr_assert_eq(wire.len, 0);
    edit_free(&e);
}

Test(edit, oversized_edits_are_refused)
{
    /* A coalition of 60 members, each reaching 16 long-named groups. */
    edit_t *e = s_fixed_edit(REC_COALITION);
    pv_free(&e->fields);
    e->fields = pv_map();
    for (int m = 0; m < 60; m++) {
        uint8_t id[32] = {0};
        char key[80], hex[65], group[81];
        id[0] = (uint8_t)m;
        hex_encode(id, 32, hex);
        snprintf(key, sizeof key, "member:%s", hex);
        pv_t *mem = pv_map();
        pv_map_set(mem, "role", pv_str("provide"));
        pv_t *reaches = pv_arr();
        for (int g = 0; g < 16; g++) {
            memset(group, 'a' + g, 80);
            group[80] = '\0';
            pv_arr_push(reaches, pv_str(group));
        }
        pv_map_set(mem, "reaches", reaches);
        pv_map_set(e->fields, key, mem);
    }
    buf_t wire = {0};
    char *cause = NULL;
    cr_assert_eq(edit_sign(e, s_sk, 0, &wire, &cause), BU_ETOOBIG);
    cr_assert_not_null(cause);
    free(cause);
    cr_assert_eq(wire.len, 0);

    uint8_t *big = xcalloc(1, EDIT_MAX_WIRE + 1);
    edit_t *d = NULL;
    cr_assert_eq(edit_decode(big, EDIT_MAX_WIRE + 1, 0, &d, NULL), BU_ETOOBIG);
    free(big);
    edit_free(&e);
}

Test(edit, forged_signature_decodes_only_without_verify)
{
    uint8_t seed[32] = {1}, opk[32], osk[64];
    crypto_sign_seed_keypair(opk, osk, seed);
    /* signed by another key but claiming s_pk as author */
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("x"));
    buf_t good = {0};
    s_forge(1, "place", 32, 5, f, s_sk, &good);
    cr_assert_eq(s_decode(&good, EDIT_VERIFY), 0);
    /* swap in another key's signature over the same body */
    buf_t bad = {0};
    f = pv_map();
    pv_map_set(f, "name", pv_str("x"));
    uint8_t sk2[64];
    memcpy(sk2, osk, 32);
    memcpy(sk2 + 32, s_pk, 32); /* sign with osk's seed, author s_pk */
    s_forge(1, "place", 32, 5, f, sk2, &bad);
    cr_assert_eq(s_decode(&bad, 0), 0);
    cr_assert_eq(s_decode(&bad, EDIT_VERIFY), BU_ESIG);
    buf_free(&good);
    buf_free(&bad);
}

Test(edit, bad_version_kind_entity_clock_and_shape_are_rejected)
{
    struct { int64_t version; const char *kind; size_t elen; int64_t hlc; } cases[] = {
        {0, "place", 32, 5},
        {2, "place", 32, 5},
        {1, "places", 32, 5},
        {1, "Place", 32, 5},
        {1, "castle", 32, 5},
        {1, "", 32, 5},
        {1, "place", 31, 5},
        {1, "place", 33, 5},
        {1, "place", 32, -1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pv_t *f = pv_map();
        pv_map_set(f, "name", pv_str("x"));
        buf_t wire = {0};
        s_forge(cases[k].version, cases[k].kind, cases[k].elen, cases[k].hlc, f, s_sk, &wire);
        cr_assert_eq(s_decode(&wire, EDIT_VERIFY), BU_EINVAL, "case %zu", k);
        buf_free(&wire);
    }
    /* fields that are not a map */
    buf_t wire = {0};
    s_forge(1, "place", 32, 5, pv_arr(), s_sk, &wire);
    cr_assert_eq(s_decode(&wire, 0), BU_EINVAL);
    buf_reset(&wire);
    /* outer shapes: not an array, 1 or 3 items, short signature */
    static const char *const shapes[] = {"c0", "91c400", "93c400c400c400", "92c400c40100",
                                         "92c400c440" /* sig cut */};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        size_t n;
        uint8_t *b = s_unhex(shapes[k], &n);
        edit_t *d = NULL;
        cr_assert_lt(edit_decode(b, n, 0, &d, NULL), 0, "%s", shapes[k]);
        free(b);
    }
    buf_free(&wire);
}

/* What edit_decode makes of an edit's outer [body, signature], by the
 * value codec alone: 0 when it is the canonical 2-array of a bin and a
 * 64-byte bin, else the error (the outer form is read without building
 * values; this checks it accepts exactly what pv_decode does). */
static int s_outer_ref(const uint8_t *b, size_t n)
{
    pv_t *o = NULL;
    int rc = pv_decode(b, n, &o);
    if (rc == 0 && (o->type != PV_ARR || o->u.a.n != 2 || o->u.a.items[0]->type != PV_BIN ||
                    o->u.a.items[1]->type != PV_BIN || o->u.a.items[1]->u.s.n != 64))
        rc = BU_EINVAL;
    pv_free(&o);
    return rc;
}

Test(edit, outer_form_is_accepted_exactly_as_the_value_codec_accepts_it)
{
    /* a short body (bin8 header) and a long one (bin16) */
    for (int big = 0; big < 2; big++) {
        buf_t w = {0};
        if (big) {
            edit_t *e = s_fixed_edit(REC_BULLETIN);
            cr_assert_eq(edit_sign(e, s_sk, EDIT_CREATING, &w, NULL), 0);
            edit_free(&e);
        } else {
            pv_t *f = pv_map();
            pv_map_set(f, "name", pv_str("x"));
            s_forge(1, "place", 32, 5, f, s_sk, &w);
        }
        cr_assert_eq(w.data[1], big ? 0xc5 : 0xc4, "the header class under test (%d: %02x, %zu B)", big, w.data[1], w.len);
        edit_t *d = NULL;
        cr_assert_eq(edit_decode(w.data, w.len, EDIT_VERIFY, &d, NULL), 0);
        edit_free(&d);
        /* every value of every framing byte: the two bin headers, the array
         * header, the last byte of the signature */
        size_t hb = big ? 4 : 3, sigh = w.len - 66;
        size_t pos[] = {0, 1, 2, hb - 1, sigh, sigh + 1, w.len - 1};
        uint8_t *c = xmalloc(w.len + 8);
        for (size_t k = 0; k < sizeof pos / sizeof pos[0]; k++)
            for (int v = 0; v < 256; v++) {
                memcpy(c, w.data, w.len);
                c[pos[k]] = (uint8_t)v;
                int ref = s_outer_ref(c, w.len);
                int rc = edit_decode(c, w.len, 0, &d, NULL);
                edit_free(&d);
                if (ref < 0)
                    cr_assert_eq(rc, ref, "byte %zu = %02x: %d, the codec says %d", pos[k], v, rc, ref);
                else if (pos[k] != w.len - 1)
                    cr_assert_eq(rc, 0, "byte %zu = %02x: refused, the codec takes it", pos[k], v);
            }
        /* longer headers than needed, a byte more or less, array16 */
        size_t bn = w.len - hb - 66;
        const uint8_t *body = w.data + hb;
        buf_t x = {0};
        for (int form = 0; form < 5; form++) {
            buf_reset(&x);
            if (form == 4)
                buf_append(&x, (const uint8_t[]){0xdc, 0, 2}, 3);
            else
                buf_putc(&x, 0x92);
            if (form == 0 && !big) /* bin16 for a short body */
                buf_append(&x, (const uint8_t[]){0xc5, 0, (uint8_t)bn}, 3);
            else if (form == 0 || form == 1) /* bin32 */
                buf_append(&x, (const uint8_t[]){0xc6, 0, 0, (uint8_t)(bn >> 8), (uint8_t)bn}, 5);
            else
                buf_append(&x, w.data + 1, hb - 1);
            buf_append(&x, body, bn);
            buf_append(&x, w.data + w.len - 66, form == 3 ? 65 : 66);
            if (form == 2)
                buf_putc(&x, 0);
            int ref = s_outer_ref(x.data, x.len);
            cr_assert_lt(ref, 0, "form %d", form);
            cr_assert_eq(edit_decode(x.data, x.len, 0, &d, NULL), ref, "form %d", form);
        }
        buf_free(&x);
        free(c);
        buf_free(&w);
    }
}

Test(edit, schema_is_enforced_on_decode_even_with_a_valid_signature)
{
    pv_t *f = pv_map();
    pv_map_set(f, "colour", pv_str("red"));
    buf_t wire = {0};
    s_forge(1, "place", 32, 5, f, s_sk, &wire);
    cr_assert_eq(s_decode(&wire, EDIT_VERIFY), BU_ESCHEMA);
    buf_reset(&wire);

    /* a valid update that lacks what a creating edit needs */
    f = pv_map();
    pv_map_set(f, "area", pv_str("Zuid"));
    s_forge(1, "place", 32, 5, f, s_sk, &wire);
    cr_assert_eq(s_decode(&wire, EDIT_VERIFY), 0);
    cr_assert_eq(s_decode(&wire, EDIT_VERIFY | EDIT_CREATING), BU_ESCHEMA);
    buf_reset(&wire);

    /* no fields at all */
    s_forge(1, "place", 32, 5, pv_map(), s_sk, &wire);
    cr_assert_eq(s_decode(&wire, 0), BU_ESCHEMA);
    buf_free(&wire);
}

Test(edit, order_is_clock_then_author_then_id)
{
    edit_t a = {0}, b = {0};
    a.hlc = 1;
    b.hlc = 2;
    memset(a.author, 0xff, 32);
    cr_assert_lt(edit_cmp(&a, &b), 0);
    cr_assert_gt(edit_cmp(&b, &a), 0);
    b.hlc = 1;
    cr_assert_gt(edit_cmp(&a, &b), 0);
    memset(b.author, 0xff, 32);
    b.id[31] = 1;
    cr_assert_lt(edit_cmp(&a, &b), 0);
    a.id[31] = 1;
    cr_assert_eq(edit_cmp(&a, &b), 0);
    a.hlc = UINT64_C(1) << 63; /* unsigned comparison */
    cr_assert_gt(edit_cmp(&a, &b), 0);
}

Test(edit, clock_moves_forward_and_tracks_wall_time)
{
    uint64_t now = UINT64_C(1795428000000);
    uint64_t h = hlc_next(0, now);
    cr_assert_eq(h, now << 16);
    cr_assert_eq(hlc_ms(h), now);
    uint64_t h2 = hlc_next(h, now);       /* same millisecond */
    cr_assert_eq(h2, h + 1);
    uint64_t h3 = hlc_next(h2, now - 5000); /* wall clock stepped back */
    cr_assert_eq(h3, h2 + 1);
    uint64_t h4 = hlc_next(h3, now + 1);
    cr_assert_eq(h4, (now + 1) << 16);
    cr_assert_gt(h4, h3);
}

/* ---- suite record (schema) -------------------------------------------- */

TestSuite(record, .init = s_keys);

/* rec_validate of fields (owned) for kind; the cause must name `names`. */
static int s_check(rec_kind_t kind, pv_t *fields, int creating, const char *names)
{
    char *cause = NULL;
    int rc = rec_validate(kind, fields, creating, &cause);
    if (rc < 0) {
        cr_assert_not_null(cause);
        if (names)
            cr_assert_not_null(strstr(cause, names), "cause '%s' does not name '%s'", cause,
                               names);
    } else {
        cr_assert_null(cause);
    }
    free(cause);
    pv_free(&fields);
    return rc;
}

/* The fixed place fields with one field set to v (NULL: removed). */
static pv_t *s_place_with(const char *name, pv_t *v)
{
    pv_t *f = s_fixed_fields(REC_PLACE);
    if (v)
        pv_map_set(f, name, v);
    else
        pv_map_del(f, name);
    return f;
}

/* Reads the codes of the language list in docs/protocol.md §8.1.1: the
 * fenced block whose first line starts with "aa ab". */
static size_t s_doc_langs(char codes[][3], size_t max)
{
    FILE *fp = fopen("docs/protocol.md", "r");
    cr_assert_not_null(fp, "cannot read docs/protocol.md (run from the repo root)");
    char line[512];
    bool in = false;
    size_t n = 0;
    while (fgets(line, sizeof line, fp)) {
        if (!in && strncmp(line, "aa ab ", 6) == 0)
            in = true;
        if (!in)
            continue;
        if (strncmp(line, "```", 3) == 0)
            break;
        for (char *t = strtok(line, " \n"); t; t = strtok(NULL, " \n")) {
            cr_assert_lt(n, max);
            snprintf(codes[n++], 3, "%s", t);
        }
    }
    fclose(fp);
    return n;
}

Test(record, language_codes_are_exactly_the_183_of_the_protocol)
{
    /* every pair of lowercase letters: the table accepts 183 */
    size_t accepted = 0;
    char code[3] = {0};
    for (char a = 'a'; a <= 'z'; a++)
        for (char b = 'a'; b <= 'z'; b++) {
            code[0] = a;
            code[1] = b;
            accepted += rec_lang_ok(code) != 0;
        }
    cr_assert_eq(accepted, 183);
    /* the first and last, and the deprecated ones */
    cr_assert(rec_lang_ok("aa"));
    cr_assert(rec_lang_ok("zu"));
    cr_assert(rec_lang_ok("nl"));
    const char *refused[] = {"bh", "in", "iw", "ji", "jw", "mo", "sh", "AA", "Nl", "a",
                             "aaa", "", "zz", "a1"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        cr_assert(!rec_lang_ok(refused[i]), "'%s' must be refused", refused[i]);
    /* the list in the protocol document is the table */
    char doc[200][3];
    size_t n = s_doc_langs(doc, 200);
    cr_assert_eq(n, 183, "docs/protocol.md §8.1.1 lists %zu codes", n);
    for (size_t i = 0; i < n; i++) {
        cr_assert(rec_lang_ok(doc[i]), "'%s' is in the document, not in the table", doc[i]);
        if (i > 0)
            cr_assert_lt(strcmp(doc[i - 1], doc[i]), 0, "the list is sorted and unique");
    }
    /* and so is tests/vectors/langs.txt */
    FILE *fp = fopen(S_VECTORS "langs.txt", "r");
    cr_assert_not_null(fp);
    char line[16];
    size_t k = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        cr_assert_lt(k, n);
        cr_assert_str_eq(line, doc[k], "langs.txt line %zu", k + 1);
        k++;
    }
    fclose(fp);
    cr_assert_eq(k, n);
}

Test(record, fixed_fields_of_every_kind_are_valid)
{
    for (size_t ki = 0; ki < S_NKINDS; ki++) {
        rec_kind_t k = s_kinds[ki];
        cr_assert_eq(s_check(k, s_fixed_fields(k), 1, NULL), 0,
                     "%s", rec_kind_name(k));
    }
}

Test(record, unknown_field_is_refused)
{
    cr_assert_eq(s_check(REC_PLACE, s_place_with("colour", pv_str("red")), 0, "colour"),
                 BU_ESCHEMA);
    /* a field of another kind */
    cr_assert_eq(s_check(REC_PLACE, s_place_with("summary", pv_str("x")), 0, "summary"),
                 BU_ESCHEMA);
    /* member entries exist only in coalitions */
    char key[80], hex[65];
    s_entity_hex(REC_PLACE, hex);
    snprintf(key, sizeof key, "member:%s", hex);
    pv_t *mem = pv_map();
    pv_map_set(mem, "role", pv_str("lead"));
    cr_assert_eq(s_check(REC_PLACE, s_place_with(key, mem), 0, "member:"), BU_ESCHEMA);
}

Test(record, wrong_type_is_refused)
{
    cr_assert_eq(s_check(REC_PLACE, s_place_with("name", pv_int(5)), 0, "name"), BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("capacity", pv_str("5")), 0, "capacity"),
                 BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("hub", pv_int(1)), 0, "hub"), BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("kinds", pv_str("food")), 0, "kinds"),
                 BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("name", pv_bin("x", 1)), 0, "name"),
                 BU_ESCHEMA);
    cr_assert_eq(s_check(REC_OFFER, s_fixed_fields(REC_OFFER), 1, NULL), 0);
    pv_t *f = s_fixed_fields(REC_OFFER);
    pv_map_set(f, "provider", pv_str("ABCDEF"));
    cr_assert_eq(s_check(REC_OFFER, f, 0, "provider"), BU_ESCHEMA);
    f = s_fixed_fields(REC_OFFER);
    char upper[65];
    s_entity_hex(REC_PLACE, upper);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    pv_map_set(f, "provider", pv_str(upper));
    cr_assert_eq(s_check(REC_OFFER, f, 0, "provider"), BU_ESCHEMA, "ids are lowercase hex");
    f = pv_map();
    pv_map_set(f, "coordinators", S_LIST("00"));
    cr_assert_eq(s_check(REC_COALITION, f, 0, "coordinators"), BU_ESCHEMA);
    cr_assert_eq(rec_validate(REC_PLACE, NULL, 0, NULL), BU_ESCHEMA);
    pv_t *arr = pv_arr();
    cr_assert_eq(s_check(REC_PLACE, arr, 0, NULL), BU_ESCHEMA);
    cr_assert_eq(s_check((rec_kind_t)REC__COUNT, s_fixed_fields(REC_PLACE), 0, NULL),
                 BU_ESCHEMA);
}

Test(record, unknown_enum_token_is_refused)
{
    cr_assert_eq(s_check(REC_PLACE, s_place_with("status", pv_str("maybe")), 0, "status"),
                 BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("status", pv_str("Open")), 0, "status"),
                 BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("kinds", S_LIST("food", "castle")), 0,
                         "castle"),
                 BU_ESCHEMA);
    pv_t *f = pv_map();
    pv_map_set(f, "urgency", pv_str("urgent"));
    cr_assert_eq(s_check(REC_NEED, f, 0, "urgency"), BU_ESCHEMA);
}

Test(record, over_long_and_empty_text_is_refused)
{
    char s[202];
    memset(s, 'x', sizeof s);
    s[120] = '\0';
    cr_assert_eq(s_check(REC_PLACE, s_place_with("name", pv_str(s)), 0, NULL), 0);
    s[120] = 'x';
    s[121] = '\0';
    cr_assert_eq(s_check(REC_PLACE, s_place_with("name", pv_str(s)), 0, "name"), BU_ESCHEMA);
    /* the limit counts characters, not bytes: 120 two-byte letters fit, 121 do not */
    buf_t b = {0};
    for (int i = 0; i < 121; i++)
        buf_append(&b, "\xc3\xa9", 2);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("name", pv_strn((char *)b.data, 240)), 0,
                         NULL),
                 0);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("name", pv_strn((char *)b.data, 242)), 0,
                         "name"),
                 BU_ESCHEMA);
    buf_free(&b);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("name", pv_str("")), 0, "name"), BU_ESCHEMA);
    memset(s, 'y', 81);
    s[81] = '\0';
    cr_assert_eq(s_check(REC_PLACE, s_place_with("reaches", S_LIST("ok", s)), 0, "reaches"),
                 BU_ESCHEMA);
}

Test(record, out_of_range_numbers_and_bad_lists_are_refused)
{
    cr_assert_eq(s_check(REC_PLACE, s_place_with("lat", pv_int(90000000)), 0, NULL), 0);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("lat", pv_int(90000001)), 0, "lat"),
                 BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("capacity", pv_int(-1)), 0, "capacity"),
                 BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("kinds", pv_arr()), 0, "kinds"), BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("kinds", S_LIST("food", "food")), 0,
                         "kinds"),
                 BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE,
                         s_place_with("functions", S_LIST("inform", "signal", "connect",
                                                          "mobilise", "serve")),
                         0, NULL),
                 0);
}

Test(record, language_must_be_an_iso_639_1_code)
{
    static const char *const bad[] = {"NL", "Nl", "nld", "n", "", "n1", "1n", "n-",
                                      "\xc3\xa9", "zz", "xx", NULL};
    for (int i = 0; bad[i]; i++)
        cr_assert_eq(s_check(REC_PLACE, s_place_with("langs", S_LIST("nl", bad[i])), 0,
                             "langs"),
                     BU_ESCHEMA, "'%s' accepted", bad[i]);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("langs", S_LIST("nl", "ar", "tr", "aa", "zu")), 0,
                         NULL),
                 0);
    pv_t *l = pv_arr();
    pv_arr_push(l, pv_int(1));
    cr_assert_eq(s_check(REC_PLACE, s_place_with("langs", l), 0, "langs"), BU_ESCHEMA);
}

Test(record, required_fields_are_needed_only_when_creating)
{
    static const struct { rec_kind_t kind; const char *field; } req[] = {
        {REC_PLACE, "name"},       {REC_PLACE, "kinds"},     {REC_COALITION, "name"},
        {REC_NEED, "category"},    {REC_NEED, "summary"},    {REC_OFFER, "provider"},
        {REC_OFFER, "categories"}, {REC_BULLETIN, "title"},  {REC_BULLETIN, "body"},
    };
    for (size_t k = 0; k < sizeof req / sizeof req[0]; k++) {
        pv_t *f = s_fixed_fields(req[k].kind);
        pv_map_del(f, req[k].field);
        pv_t *g = pv_dup(f);
        cr_assert_eq(s_check(req[k].kind, f, 1, req[k].field), BU_ESCHEMA, "%s.%s",
                     rec_kind_name(req[k].kind), req[k].field);
        cr_assert_eq(s_check(req[k].kind, g, 0, NULL), 0, "%s.%s",
                     rec_kind_name(req[k].kind), req[k].field);
    }
}

Test(record, nil_unsets_optional_fields_but_never_required_ones)
{
    cr_assert_eq(s_check(REC_PLACE, s_place_with("area", pv_nil()), 0, NULL), 0);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("name", pv_nil()), 0, "name"), BU_ESCHEMA);
    cr_assert_eq(s_check(REC_PLACE, s_place_with("kinds", pv_nil()), 1, "kinds"), BU_ESCHEMA);
    pv_t *f = pv_map();
    pv_map_set(f, "summary", pv_nil());
    cr_assert_eq(s_check(REC_NEED, f, 0, "summary"), BU_ESCHEMA);
    f = pv_map();
    cr_assert_eq(s_check(REC_NEED, f, 0, NULL), BU_ESCHEMA, "an empty edit changes nothing");
}

Test(record, member_entries_need_an_id_key_and_a_known_role)
{
    char hex[65], key[90];
    s_entity_hex(REC_PLACE, hex);
    snprintf(key, sizeof key, "member:%s", hex);
    struct { const char *role; bool extra; bool ok; } cases[] = {
        {"lead", false, true},  {"coordinate", false, true}, {"facilitate", false, true},
        {"provide", false, true}, {"boss", false, false},    {"Lead", false, false},
        {NULL, false, false},   {"lead", true, false},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pv_t *mem = pv_map();
        if (cases[k].role)
            pv_map_set(mem, "role", pv_str(cases[k].role));
        if (cases[k].extra)
            pv_map_set(mem, "since", pv_int(2020));
        pv_t *f = pv_map();
        pv_map_set(f, key, mem);
        int rc = s_check(REC_COALITION, f, 0, cases[k].ok ? NULL : "member:");
        cr_assert_eq(rc, cases[k].ok ? 0 : BU_ESCHEMA, "case %zu", k);
    }
    /* role of the wrong type, member not a map, unset member */
    pv_t *f = pv_map(), *mem = pv_map();
    pv_map_set(mem, "role", pv_int(1));
    pv_map_set(f, key, mem);
    cr_assert_eq(s_check(REC_COALITION, f, 0, "member:"), BU_ESCHEMA);
    f = pv_map();
    pv_map_set(f, key, pv_str("lead"));
    cr_assert_eq(s_check(REC_COALITION, f, 0, "member:"), BU_ESCHEMA);
    f = pv_map();
    pv_map_set(f, key, pv_nil());
    cr_assert_eq(s_check(REC_COALITION, f, 0, NULL), 0);
    /* keys that are not member:<64 lowercase hex> */
    static const char *const badkeys[] = {
        "member:", "member:abc",
        "member:0000000000000000000000000000000000000000000000000000000000000000a",
        "member:000000000000000000000000000000000000000000000000000000000000000G",
        "member:000000000000000000000000000000000000000000000000000000000000000A", NULL};
    for (int i = 0; badkeys[i]; i++) {
        f = pv_map();
        mem = pv_map();
        pv_map_set(mem, "role", pv_str("lead"));
        pv_map_set(f, badkeys[i], mem);
        cr_assert_eq(s_check(REC_COALITION, f, 0, "member:"), BU_ESCHEMA, "%s", badkeys[i]);
    }
    /* reaches must be a list of short texts */
    f = pv_map();
    mem = pv_map();
    pv_map_set(mem, "role", pv_str("lead"));
    pv_map_set(mem, "reaches", pv_str("ouderen"));
    pv_map_set(f, key, mem);
    cr_assert_eq(s_check(REC_COALITION, f, 0, "member:"), BU_ESCHEMA);
}

Test(record, schema_errors_reach_edit_sign)
{
    edit_t *e = s_fixed_edit(REC_NEED);
    pv_map_set(e->fields, "urgency", pv_str("whenever"));
    buf_t wire = {0};
    char *cause = NULL;
    cr_assert_eq(edit_sign(e, s_sk, 0, &wire, &cause), BU_ESCHEMA);
    cr_assert_not_null(strstr(cause, "urgency"), "%s", cause);
    free(cause);
    pv_map_set(e->fields, "urgency", pv_str("low"));
    pv_map_del(e->fields, "category");
    cr_assert_eq(edit_sign(e, s_sk, EDIT_CREATING, &wire, NULL), BU_ESCHEMA);
    cr_assert_eq(edit_sign(e, s_sk, 0, &wire, NULL), 0, "an update needs no category");
    edit_free(&e);
    buf_free(&wire);
}

Test(record, kind_names_parse_singular_and_plural)
{
    for (int k = 0; k < REC__COUNT; k++) {
        char plural[32];
        snprintf(plural, sizeof plural, "%ss", rec_kind_name(k));
        cr_assert_eq(rec_kind_parse(rec_kind_name(k)), k);
        cr_assert_eq(rec_kind_parse(plural), k);
    }
    cr_assert_eq(rec_kind_parse("coalitions"), REC_COALITION);
    cr_assert_eq(rec_kind_parse("castle"), -1);
    cr_assert_eq(rec_kind_parse("placess"), -1);
    cr_assert_eq(rec_kind_parse(""), -1);
    cr_assert_null(rec_kind_name(REC__COUNT));
    cr_assert_null(rec_kind_name((rec_kind_t)-1));
    cr_assert_eq(rec_field(REC_PLACE, "name")->type, FT_STR);
    cr_assert_null(rec_field(REC_PLACE, "nope"));
    cr_assert_eq(rec_field(REC_COALITION, "member:xyz")->type, FT_MEMBER);
}

/* ---- suite privacy ---------------------------------------------------- */

static int s_scan(const char *text)
{
    char *cause = NULL;
    int rc = rec_privacy_scan(text, &cause);
    if (rc < 0)
        cr_assert_not_null(cause, "refusal of '%s' gives no reason", text);
    else
        cr_assert_null(cause);
    free(cause);
    return rc;
}

Test(privacy, phone_numbers_are_refused)
{
    static const char *const texts[] = {
        "+31 6 12345678",
        "06-12345678",
        "010 123 4567",
        "bel 0612345678",
        "call 06 12 34 56 78 after 6",
        "+31 (0)6 1234 5678",
        "(010) 123 4567",
        "06 - 12345678",
        "010.123.4567",
        "0031 6 12345678",
        "0612345678",
        NULL};
    for (int i = 0; texts[i]; i++)
        cr_assert_eq(s_scan(texts[i]), BU_EPRIVACY, "'%s' accepted", texts[i]);
}

Test(privacy, email_addresses_are_refused)
{
    static const char *const texts[] = {"mail jan@example.nl", "jan.de-vries+hulp@mail.example.com",
                                        "x@y.org please", NULL};
    for (int i = 0; texts[i]; i++)
        cr_assert_eq(s_scan(texts[i]), BU_EPRIVACY, "'%s' accepted", texts[i]);
}

Test(privacy, bsn_like_numbers_are_refused)
{
    /* 111222333 passes the 11-test: 9+8+7+12+10+8+9+6-3 = 66 */
    cr_assert_eq(s_scan("111222333"), BU_EPRIVACY);
    cr_assert_eq(s_scan("bsn 111222333."), BU_EPRIVACY);
    cr_assert_eq(s_scan("1112.22.333"), BU_EPRIVACY);
    cr_assert_eq(s_scan("123456782"), BU_EPRIVACY); /* also passes */
    /* nine digits failing the 11-test are no BSN, but still a 9-digit number */
    char *cause = NULL;
    cr_assert_eq(rec_privacy_scan("order 123456789", &cause), BU_EPRIVACY);
    cr_assert(strstr(cause, "9-digit number") != NULL, "cause: %s", cause);
    free(cause);
}

Test(privacy, ordinary_need_text_is_accepted)
{
    static const char *const texts[] = {
        "groceries for 3 elderly residents",
        "ma-vr 10-18",
        "2026-11-23 10:00",
        "postcode 3072 AB",
        "100 food parcels",
        "open 09:00 - 17:00, 2 x 25 kg",
        "room 12, floor 3",
        "a@b",
        "",
        NULL};
    for (int i = 0; texts[i]; i++)
        cr_assert_eq(s_scan(texts[i]), 0, "'%s' refused", texts[i]);
}

/* The rule table of proto/privacy.c, both ways: each text with the word
 * its cause must contain, or NULL where it must pass. The texts that pass
 * are what bulletins, status notes and needs in the example neighbourhood
 * look like, in Dutch, English, Turkish, Arabic and Tigrinya. */
static const struct {
    const char *text;
    const char *want; /* part of the cause, NULL: accepted */
} s_privacy_cases[] = {
    /* street addresses with a house number */
    {"Kerkstraat 12", "street address"},
    {"woont op de Kerkstraat 12, 2e etage", "street address"},
    {"kerkstraat 12", "street address"},
    {"Laan van Meerdervoort 5a", "street address"},
    {"Putselaan nr. 118", "street address"},
    {"Stieltjesplein 4-hs", "street address"},
    {"12 High Street", "street address"},
    {"5a Church Road, Leeds", "street address"},
    {"Gül Sokak No: 5", "street address"},
    {"Atatürk Cad. 12", "street address"},
    {"Cumhuriyet Mahallesi 7", "street address"},
    /* dates of birth */
    {"geboren 12-03-1980", "date of birth"},
    {"born 1980-03-12", "date of birth"},
    {"geb. 12/3/1980", "date of birth"},
    {"DOB: 12.03.80", "date of birth"},
    {"geboortedatum 1 januari 1990", "date of birth"},
    {"born on March 12, 1980", "date of birth"},
    {"do\xc4\x9fum tarihi 12.03.1980", "date of birth"},
    {"\xd8\xaa\xd8\xa7\xd8\xb1\xd9\x8a\xd8\xae \xd8\xa7\xd9\x84\xd9\x85\xd9\x8a\xd9\x84\xd8\xa7\xd8\xaf 12/03/1980", "date of birth"},
    {"\xe1\x88\x8d\xe1\x8b\xb0\xe1\x89\xb5 12/03/1980", "date of birth"},
    /* e-mail written out */
    {"mail jan (at) example.nl", "e-mail"},
    {"jan[at]example.nl", "e-mail"},
    {"jan at example.nl", "e-mail"},
    {"j.devries (at) mail (dot) example (dot) com", "e-mail"},
    {"jan@example.nl.", "e-mail"},
    /* nine digits without a leading 0 */
    {"612345678", "9-digit"},
    {"client 123 456 789", "9-digit"},
    {"123.456.789", "9-digit"},
    /* phone numbers in Arabic-Indic digits */
    {"\xd9\xa0\xd9\xa6\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8", "phone"},
    /* names */
    {"mevrouw Jansen", "name"},
    {"mevrouw van Dijk heeft hulp nodig", "name"},
    {"Mw. J. de Vries", "name"},
    {"dhr. A. Yilmaz", "name"},
    {"meneer K.", "name"},
    {"Fatima B.", "name"},
    {"Ay\xc5\x9f" "e K. asked for help", "name"},
    {"Bay Y\xc4\xb1lmaz", "name"},
    {"Mr Smith needs shopping", "name"},

    /* what must pass: bulletins, notes and needs */
    {"Voedselbank open 10:00-14:00, Kerkstraat", NULL},
    {"Voedselbank open di en do 10:00-14:00 aan de Kerkstraat", NULL},
    {"De testbus staat op het Afrikaanderplein van 9 tot 16 uur", NULL},
    {"Test bus on the Afrikaanderplein, Mon-Fri 9-16", NULL},
    {"From Monday the GGD test bus stands on the Putselaan by the library, Monday to Saturday 9:00-17:00. Book by phone via the number in the GGD letter; library staff can help.", NULL},
    {"Kerkstraat 10-14 uur", NULL},
    {"Putselaan 9:00", NULL},
    {"op het Afrikaanderplein 3 dagen per week", NULL},
    {"Laan van Meerdervoort", NULL},
    {"training outdoors on the Stieltjesplein, groups of 8", NULL},
    {"laptops, an iPad 2 and a printer", NULL},
    {"open on 12-03", NULL},
    {"vanaf 1 december", NULL},
    {"vanaf 1 december 2026 elke dinsdag", NULL},
    {"Inloopspreekuur 2026-11-23 10:00", NULL},
    {"geboren in 1980", NULL},
    {"pasgeboren baby's: luiers op 12-03-2026", NULL},
    {"Open ma t/m vr 9.00-17.00, za 10.00-12.00", NULL},
    {"100 food parcels, 2 x 25 kg", NULL},
    {"12 Turkish families", NULL},
    {"More information at rotterdam.nl", NULL},
    {"Register at www.ggd.nl", NULL},
    {"Ask at ggd.nl/vaccinatie", NULL},
    {"Lessen via MS Teams", NULL},
    {"Zaal B. is open", NULL},
    {"Vitamine D.", NULL},
    {"Dank aan de Heer", NULL},
    {"Vraag het aan de meneer. De bus komt om 10 uur.", NULL},
    {"we have a plan B.", NULL},
    {"edit 123456789abcdef, need 1a2b3c4d5e", NULL},
    {"order 1234567890", NULL},
    {"room 12, floor 3", NULL},
    {"postcode 3072 AB", NULL},
    {"closed; help by phone and doorstep", NULL},
    {"closed for prayers; help desk by phone after Asr", NULL},
    {"Warm meals for older Turkish-speaking residents who cannot go out and cannot cook", NULL},
    {"Cuma g\xc3\xbcnleri 10:00-14:00 aras\xc4\xb1 g\xc4\xb1" "da paketi da\xc4\x9f\xc4\xb1t\xc4\xb1m\xc4\xb1", NULL},
    {"A\xc5\x9f\xc4\xb1 randevusu i\xc3\xa7in k\xc3\xbct\xc3\xbcphaneye gelin, Pazartesi-Cuma 9-17", NULL},
    /* Arabic: food parcels on Friday from 10 to 14; help for families of newborns */
    {"\xd8\xaa\xd9\x88\xd8\xb2\xd9\x8a\xd8\xb9 \xd8\xa7\xd9\x84\xd8\xb7\xd8\xb1\xd9\x88\xd8\xaf \xd9\x8a\xd9\x88\xd9\x85 \xd8\xa7\xd9\x84\xd8\xac\xd9\x85\xd8\xb9\xd8\xa9 10-14", NULL},
    {"\xd9\x85\xd8\xb3\xd8\xa7\xd8\xb9\xd8\xaf\xd8\xa9 \xd9\x84\xd8\xb9\xd8\xa7\xd8\xa6\xd9\x84\xd8\xa7\xd8\xaa \xd8\xa7\xd9\x84\xd9\x85\xd9\x88\xd8\xa7\xd9\x84\xd9\x8a\xd8\xaf \xd8\xa7\xd9\x84\xd8\xac\xd8\xaf\xd8\xaf", NULL},
    /* Tigrinya: help for families at the library from 10 to 14 */
    {"\xe1\x88\x93\xe1\x8c\x88\xe1\x8b\x9d \xe1\x8a\x95\xe1\x88\xb5\xe1\x8b\xb5\xe1\x88\xab\xe1\x89\xa4\xe1\x89\xb3\xe1\x89\xb5 10-14", NULL},
    {"", NULL},
};

Test(privacy, rule_table_refuses_personal_data_and_lets_ordinary_text_pass)
{
    for (size_t i = 0; i < sizeof s_privacy_cases / sizeof *s_privacy_cases; i++) {
        const char *text = s_privacy_cases[i].text, *want = s_privacy_cases[i].want;
        char *cause = NULL;
        int rc = rec_privacy_scan(text, &cause);
        if (want == NULL) {
            cr_expect_eq(rc, 0, "'%s' refused: %s", text, cause ? cause : "");
        } else {
            cr_expect_eq(rc, BU_EPRIVACY, "'%s' accepted, want a refusal for %s", text, want);
            cr_expect(cause == NULL || strstr(cause, want) != NULL, "'%s': cause '%s', want '%s'",
                      text, cause, want);
            cr_expect(cause == NULL || strchr(cause, '\n') == NULL, "causes are one line");
        }
        free(cause);
    }
}

/* ---- suite value: pv_pack --------------------------------------------- */

/* New allocations filled with a non-zero byte (glibc), so a terminator
 * pv_pack forgets to write is not supplied by chance by fresh memory. */
static void s_perturb(void)
{
#ifdef __GLIBC__
    mallopt(M_PERTURB, 0x5a);
#endif
}

/* Checks that p is a packed copy of v: an equal tree with the same bytes,
 * sharing no memory with v (v is read after p was made). */
static void s_same_pack(const pv_t *v, const pv_t *p)
{
    cr_assert_not_null(p);
    cr_assert_neq(p, v, "pv_pack must copy");
    cr_assert(p->packed, "the root of a packed copy says so");
    cr_assert(pv_equal(v, p), "packed copy differs");
    cr_assert(pv_equal(p, v));
    buf_t a = {0}, b = {0};
    pv_encode(v, &a);
    pv_encode(p, &b);
    cr_assert_eq(a.len, b.len);
    cr_assert(memcmp(a.data, b.data, a.len) == 0, "packed copy encodes differently");
    buf_free(&a);
    buf_free(&b);
}

Test(value, pack_of_a_nested_tree_is_equal_and_encodes_to_the_same_bytes)
{
    pv_t *m = pv_map();
    pv_map_set(m, "name", pv_str("Buurthuis De Hoek"));
    pv_map_set(m, "area", pv_str("\xc3\xa9t\xc3\xa9"));
    pv_map_set(m, "capacity", pv_int(-129));
    pv_map_set(m, "big", pv_int(INT64_MIN));
    pv_map_set(m, "hub", pv_bool(true));
    pv_map_set(m, "closed", pv_bool(false));
    pv_map_set(m, "gone", pv_nil());
    pv_map_set(m, "key", pv_bin("\x00\x01\xff\x00", 4));
    pv_map_set(m, "kinds", S_LIST("library", "school", "a"));
    pv_t *inner = pv_map();
    pv_map_set(inner, "empty-map", pv_map());
    pv_map_set(inner, "empty-arr", pv_arr());
    pv_map_set(inner, "empty-str", pv_str(""));
    pv_map_set(inner, "empty-bin", pv_bin("", 0));
    pv_t *arr = pv_arr();
    pv_arr_push(arr, pv_nil());
    pv_arr_push(arr, pv_int(7));
    pv_arr_push(arr, pv_dup(inner));
    pv_arr_push(arr, S_LIST("x"));
    pv_map_set(inner, "arr", arr);
    pv_map_set(m, "inner", inner);

    pv_t *p = pv_pack(m);
    s_same_pack(m, p);
    /* the copy is independent of the original */
    pv_map_set(m, "name", pv_str("changed"));
    pv_map_del(m, "inner");
    cr_assert_str_eq(pv_get_str(p, "name"), "Buurthuis De Hoek");
    cr_assert_not_null(pv_map_get(p, "inner"));
    pv_free(&m);
    buf_t b = {0};
    pv_encode(p, &b);
    pv_t *back = NULL;
    cr_assert_eq(pv_decode(b.data, b.len, &back), 0, "a packed copy encodes canonically");
    cr_assert(pv_equal(back, p));
    /* a pack of a packed copy, and a normal copy of one */
    pv_t *pp = pv_pack(p), *dup = pv_dup(p);
    s_same_pack(p, pp);
    cr_assert(!dup->packed, "pv_dup gives an ordinary tree");
    cr_assert(pv_equal(dup, back));
    pv_map_set(dup, "name", pv_str("an ordinary tree can change")); /* and is freed value by value */
    pv_free(&dup);
    pv_free(&pp);
    pv_free(&back);
    buf_free(&b);
    pv_free(&p);
    cr_assert_null(p, "pv_free of a packed tree sets the pointer to NULL");
    pv_free(&p); /* NULL-safe */
}

Test(value, typed_getters_read_a_packed_copy)
{
    s_perturb();
    pv_t *m = pv_map();
    pv_map_set(m, "status", pv_str("open"));
    pv_map_set(m, "people", pv_int(12));
    pv_map_set(m, "hub", pv_bool(true));
    pv_map_set(m, "kinds", S_LIST("food", "health"));
    pv_map_set(m, "id", pv_bin("\x01\x02\x03", 3));
    pv_t *p = pv_pack(m);
    pv_free(&m);
    cr_assert_str_eq(pv_get_str(p, "status"), "open");
    cr_assert_eq(pv_get_int(p, "people", -1), 12);
    cr_assert_eq(pv_get_bool(p, "hub", false), true);
    cr_assert_null(pv_get_str(p, "people"), "getters still check the type");
    cr_assert_eq(pv_get_int(p, "status", 42), 42);
    cr_assert_eq(pv_get_bool(p, "missing", true), true);
    cr_assert_null(pv_map_get(p, "missing"));
    const pv_t *kinds = pv_map_get(p, "kinds");
    cr_assert_not_null(kinds);
    cr_assert_eq(kinds->type, PV_ARR);
    cr_assert_eq(kinds->u.a.n, 2);
    cr_assert_str_eq(kinds->u.a.items[1]->u.s.p, "health");
    const pv_t *id = pv_map_get(p, "id");
    cr_assert_eq(id->type, PV_BIN);
    cr_assert_eq(id->u.s.n, 3);
    cr_assert(memcmp(id->u.s.p, "\x01\x02\x03", 3) == 0);
    cr_assert_eq(id->u.s.p[3], '\0', "bins stay NUL-terminated in a pack too");
    /* map keys stay sorted: binary search still finds every one */
    static const char *const keys[] = {"hub", "id", "kinds", "people", "status"};
    cr_assert_eq(p->u.m.n, 5);
    for (size_t i = 0; i < 5; i++)
        cr_assert_str_eq(p->u.m.keys[i], keys[i]);
    /* parts are 8-byte aligned (one block holds pv_t, pointers and text) */
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq((uintptr_t)p->u.m.vals[i] % 8, 0, "value %zu misaligned", i);
    cr_assert_eq((uintptr_t)p->u.m.keys % 8, 0);
    cr_assert_eq((uintptr_t)p->u.m.vals % 8, 0);
    pv_free(&p);
    cr_assert_null(p);
}

Test(value, empty_containers_strings_and_scalars_pack)
{
    s_perturb();
    pv_t *vals[] = {pv_map(),      pv_arr(),     pv_str(""),      pv_bin("", 0),
                    pv_nil(),      pv_bool(true), pv_bool(false), pv_int(0),
                    pv_int(INT64_MAX), pv_str("x"), pv_bin("\0", 1)};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        pv_t *p = pv_pack(vals[i]);
        s_same_pack(vals[i], p);
        cr_assert_eq(p->type, vals[i]->type, "value %zu", i);
        if (p->type == PV_STR || p->type == PV_BIN) {
            cr_assert_not_null(p->u.s.p, "value %zu", i);
            cr_assert_eq(p->u.s.p[p->u.s.n], '\0', "value %zu: text stays NUL-terminated", i);
        }
        if (p->type == PV_MAP) {
            cr_assert_eq(p->u.m.n, 0);
            cr_assert_null(pv_map_get(p, "x"), "lookup in an empty packed map");
        }
        if (p->type == PV_ARR)
            cr_assert_eq(p->u.a.n, 0);
        pv_free(&p);
        cr_assert_null(p);
        pv_free(&vals[i]);
    }
    /* an empty string in a map, an empty map in an array */
    pv_t *m = pv_map(), *a = pv_arr();
    pv_arr_push(a, pv_map());
    pv_arr_push(a, pv_str(""));
    pv_map_set(m, "", pv_str(""));
    pv_map_set(m, "list", a);
    pv_t *p = pv_pack(m);
    s_same_pack(m, p);
    cr_assert_str_eq(pv_get_str(p, ""), "");
    pv_free(&p);
    pv_free(&m);
}

Test(value, random_trees_pack_to_equal_copies)
{
    uint64_t r = 4242;
    for (int i = 0; i < 500; i++) {
        pv_t *v = s_random_tree(&r, 1);
        pv_t *p = pv_pack(v);
        s_same_pack(v, p);
        pv_free(&v); /* the copy outlives its original */
        s_round_trip(p, NULL);
        pv_free(&p);
        cr_assert_null(p);
    }
}

/* buurtd's replies to the CLI carry a command's whole output: a local
 * reader may accept more than the wire's 4 MiB, the wire may not. */
Test(value, decode_max_accepts_large_local_input_that_decode_refuses)
{
    size_t n = PV_MAX_INPUT + 1000;
    char *big = malloc(n);
    cr_assert_not_null(big);
    memset(big, 'x', n);
    pv_t *m = pv_map();
    pv_map_set(m, "out", pv_bin(big, n));
    buf_t b = {0};
    pv_encode(m, &b);
    pv_t *got = NULL;
    cr_assert_eq(pv_decode(b.data, b.len, &got), BU_ETOOBIG);
    cr_assert_null(got);
    cr_assert_eq(pv_decode_max(b.data, b.len, b.len, &got), 0);
    cr_assert(pv_equal(got, m));
    pv_free(&got);
    cr_assert_eq(pv_decode_max(b.data, b.len, b.len - 1, &got), BU_ETOOBIG);
    buf_free(&b);
    pv_free(&m);
    free(big);
}

/* ---- suite value: decoding work --------------------------------------- */

/* pv_decode_work counts what a decode did (values built, map keys
 * compared), so these tests check that the work follows the input and stops
 * at the first bad key without timing anything. */

/* Appends one msgpack str (fixstr/str8, as the encoder writes them). */
static void s_put_str(buf_t *b, const char *s)
{
    size_t n = strlen(s);
    cr_assert_lt(n, 256);
    if (n < 32) {
        buf_putc(b, (uint8_t)(0xa0 | n));
    } else {
        buf_putc(b, 0xd9);
        buf_putc(b, (uint8_t)n);
    }
    buf_append(b, s, n);
}

/* Appends a map header for n entries, in its shortest form. */
static void s_put_map(buf_t *b, size_t n)
{
    if (n < 16) {
        buf_putc(b, (uint8_t)(0x80 | n));
    } else if (n < 65536) {
        uint8_t h[3] = {0xde, (uint8_t)(n >> 8), (uint8_t)n};
        buf_append(b, h, 3);
    } else {
        uint8_t h[5] = {0xdf, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                        (uint8_t)n};
        buf_append(b, h, 5);
    }
}

/* The raw bytes of a map whose entries are keys[i] -> i, in the order given
 * (which need not be sorted: this is how a hostile sender writes a map). */
static void s_raw_map(buf_t *b, const char *const *keys, size_t n)
{
    s_put_map(b, n);
    for (size_t i = 0; i < n; i++) {
        s_put_str(b, keys[i]);
        cr_assert_lt(i, 128);
        buf_putc(b, (uint8_t)i); /* positive fixint */
    }
}

/* A 4 MiB-class frame: a map of n six-digit keys to nil, in increasing key
 * order or reversed. 8 bytes an entry: 500,000 keys take 4,000,005 bytes. */
static void s_key_frame(buf_t *b, size_t n, bool reversed)
{
    s_put_map(b, n);
    for (size_t i = 0; i < n; i++) {
        char key[24];
        snprintf(key, sizeof key, "%06zu", reversed ? n - 1 - i : i);
        s_put_str(b, key);
        buf_putc(b, 0xc0);
    }
}

Test(value, a_map_with_keys_out_of_order_is_refused_at_the_first_bad_key)
{
    enum { N = 100 };
    char names[N][24];
    const char *keys[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "k%03zu", i);
        keys[i] = names[i];
    }
    pv_work_t w;
    pv_t *v = NULL;
    buf_t b = {0};
    s_raw_map(&b, keys, N);
    cr_assert_eq(pv_decode_work(b.data, b.len, PV_MAX_INPUT, &v, &w), 0);
    cr_assert_eq(w.compared, N - 1, "each key is compared once, with the one before");
    cr_assert_eq(w.built, N + 1, "one value per entry and the map");
    pv_free(&v);
    for (size_t j = 1; j < N; j++) {
        for (int dup = 0; dup < 2; dup++) {
            /* swap keys j-1 and j, or repeat key j-1 at j: j is the first bad key */
            const char *bad[N];
            memcpy(bad, keys, sizeof bad);
            bad[j] = keys[j - 1];
            if (!dup)
                bad[j - 1] = keys[j];
            buf_reset(&b);
            s_raw_map(&b, bad, N);
            v = (pv_t *)1;
            cr_assert_eq(pv_decode_work(b.data, b.len, PV_MAX_INPUT, &v, &w), BU_ECANON,
                         "bad key at %zu (%s)", j, dup ? "duplicate" : "swapped");
            cr_assert_null(v);
            cr_assert_eq(w.compared, j, "bad key at %zu: compared %zu keys", j, w.compared);
            cr_assert_eq(w.built, j + 1, "bad key at %zu: built %zu values", j, w.built);
        }
    }
    /* a bad key in a nested map ends the building of everything around it */
    buf_reset(&b);
    buf_append(&b, "\xdc\x03\xe8", 3); /* array16 of 1000 */
    buf_append(&b, "\x82\xa1\x62\x01\xa1\x61\x02", 7); /* {b:1, a:2} */
    for (int i = 1; i < 1000; i++)
        buf_putc(&b, 0x91), buf_putc(&b, 0x01); /* [1] */
    cr_assert_eq(pv_decode_work(b.data, b.len, PV_MAX_INPUT, &v, &w), BU_ECANON);
    cr_assert_eq(w.compared, 1);
    cr_assert_eq(w.built, 3, "the array, the inner map and its first value");
    buf_free(&b);
}

Test(value, a_4_mib_frame_of_reverse_sorted_keys_is_refused_after_one_comparison)
{
    size_t n = 500000;
    buf_t b = {0};
    s_key_frame(&b, n, true);
    cr_assert_leq(b.len, PV_MAX_INPUT);
    cr_assert_gt(b.len, PV_MAX_INPUT - (PV_MAX_INPUT >> 3), "a frame close to the limit");
    pv_work_t w;
    pv_t *v = NULL;
    cr_assert_eq(pv_decode_work(b.data, b.len, PV_MAX_INPUT, &v, &w), BU_ECANON);
    cr_assert_null(v);
    cr_assert_eq(w.compared, 1, "the second key is already out of order");
    cr_assert_eq(w.built, 2, "the map and the first value, nothing more");
    /* the same keys in order: each compared once, one value each */
    buf_reset(&b);
    s_key_frame(&b, n, false);
    cr_assert_eq(pv_decode_work(b.data, b.len, PV_MAX_INPUT, &v, &w), 0);
    cr_assert_eq(w.compared, n - 1);
    cr_assert_eq(w.built, n + 1);
    cr_assert_eq(v->u.m.n, n);
    cr_assert_str_eq(v->u.m.keys[0], "000000");
    cr_assert_str_eq(v->u.m.keys[n - 1], "499999");
    cr_assert_not_null(pv_map_get(v, "250000"));
    cr_assert_null(pv_map_get(v, "500000"));
    pv_free(&v);
    buf_free(&b);
}

/* A map of three random keys over a small alphabet (prefixes, equal keys,
 * high bytes): the model, a map built with pv_map_set, says what must come
 * out: the same map when the keys strictly increase, else BU_ECANON with
 * the comparisons stopping at the first key not above its predecessor. */
Test(value, random_maps_decode_as_a_sorted_model_says)
{
    static const char *const words[] = {"", "a", "ab", "abc", "b", "B", "\xc3\xa9",
                                        "\xc3\xa9t", "a\x7f", "z"};
    uint64_t r = 99;
    for (int round = 0; round < 5000; round++) {
        size_t n = s_rand(&r) % 6;
        const char *keys[6];
        for (size_t i = 0; i < n; i++)
            keys[i] = words[s_rand(&r) % (sizeof words / sizeof *words)];
        size_t bad = 0; /* index of the first key not above its predecessor */
        for (size_t i = 1; i < n && !bad; i++)
            if (strcmp(keys[i - 1], keys[i]) >= 0)
                bad = i;
        pv_t *model = pv_map();
        for (size_t i = 0; i < n; i++)
            pv_map_set(model, keys[i], pv_int((int64_t)i));
        buf_t b = {0};
        s_raw_map(&b, keys, n);
        pv_work_t w;
        pv_t *v = NULL;
        int rc = pv_decode_work(b.data, b.len, PV_MAX_INPUT, &v, &w);
        if (bad) {
            cr_assert_eq(rc, BU_ECANON, "round %d", round);
            cr_assert_eq(w.compared, bad, "round %d", round);
            cr_assert_eq(w.built, bad + 1, "round %d", round);
        } else {
            cr_assert_eq(rc, 0, "round %d: %s", round, bu_strerror(rc));
            cr_assert(pv_equal(v, model), "round %d", round);
            cr_assert_eq(w.compared, n ? n - 1 : 0);
            buf_t again = {0};
            pv_encode(model, &again);
            cr_assert(again.len == b.len && memcmp(again.data, b.data, b.len) == 0,
                      "round %d: the model encodes to the same bytes", round);
            buf_free(&again);
        }
        pv_free(&v);
        pv_free(&model);
        buf_free(&b);
    }
}

/* Building stops at a bad key, but what follows is still checked: input
 * that is malformed is BU_EINVAL as it always was, whatever the key order. */
Test(value, malformed_input_after_a_key_out_of_order_is_still_invalid)
{
    cr_assert_eq(s_decode_hex("82a16201a161a1ff"), BU_EINVAL);        /* {b:1, a:"\xff"} */
    cr_assert_eq(s_decode_hex("82a16201a161cf8000000000000000"), BU_EINVAL); /* > INT64_MAX */
    cr_assert_eq(s_decode_hex("83a16201a16102""0101"), BU_EINVAL);    /* then an int key */
    cr_assert_eq(s_decode_hex("83a16201a16102""a2610001"), BU_EINVAL); /* then NUL in a key */
    cr_assert_eq(s_decode_hex("82a16201a16191a3610062"), BU_EINVAL); /* NUL in text, nested */
    cr_assert_eq(s_decode_hex("9282a16201a1610181a1ff01"), BU_EINVAL); /* next item's bad key */
    cr_assert_eq(s_decode_hex("82a16201a16191a3616263"), BU_ECANON); /* all valid: ECANON */
    cr_assert_eq(s_decode_hex("82a16201a161cc05"), BU_ECANON);         /* and non-shortest */
}

/* Lengths, counts, depth and trailing bytes are checked on the raw bytes
 * before anything is built, wherever the fault lies in the input. */
Test(value, bad_lengths_depth_and_trailing_bytes_are_refused_before_anything_is_built)
{
    enum { N = 100000 };
    buf_t b = {0};
    buf_append(&b, "\xdd\x00\x01\x86\xa1", 5); /* array32 of 100001 */
    for (int i = 0; i < N; i++)
        buf_putc(&b, 0xc0);
    size_t prefix = b.len;
    static const struct { const char *tail; size_t n; int rc; } last[] = {
        {"\x91\x91\x91\x91\x91\x91\x91\x91\x01", 9, BU_EINVAL}, /* 9 levels deep */
        {"\xdb\x00\x01\x00\x00", 5, BU_ETRUNC},                  /* str32 past the end */
        {"\xca\x00\x00\x00\x00", 5, BU_EINVAL},                  /* float */
        {"\xc0\xc0", 2, BU_EINVAL},                              /* trailing byte */
    };
    for (size_t k = 0; k < sizeof last / sizeof *last; k++) {
        b.len = prefix;
        buf_append(&b, last[k].tail, last[k].n);
        pv_work_t w = {1, 1};
        pv_t *v = NULL;
        cr_assert_eq(pv_decode_work(b.data, b.len, PV_MAX_INPUT, &v, &w), last[k].rc, "%zu", k);
        cr_assert_null(v);
        cr_assert_eq(w.built, 0, "case %zu: %zu values built", k, w.built);
        cr_assert_eq(w.compared, 0);
    }
    b.len = prefix;
    buf_putc(&b, 0xc0);
    pv_work_t w;
    pv_t *v = NULL;
    cr_assert_eq(pv_decode_work(b.data, b.len, PV_MAX_INPUT, &v, &w), 0);
    cr_assert_eq(w.built, N + 2);
    cr_assert_eq(v->u.a.n, N + 1);
    pv_free(&v);
    pv_work_t big = {1, 1};
    cr_assert_eq(pv_decode_work(b.data, b.len, b.len - 1, &v, &big), BU_ETOOBIG);
    cr_assert_eq(big.built, 0);
    buf_free(&b);
}

/* Arrays and maps grow by doubling; a decoded, copied or shrunk tree must
 * keep growing correctly (ASan and valgrind see any write past the room). */
Test(value, decoded_copied_and_shrunk_trees_grow_and_keep_every_item)
{
    for (size_t n = 0; n < 70; n++) {
        pv_t *a = pv_arr(), *m = pv_map();
        for (size_t i = 0; i < n; i++) {
            char key[24];
            snprintf(key, sizeof key, "k%03zu", n - i); /* inserted at the front */
            pv_arr_push(a, pv_int((int64_t)i));
            pv_map_set(m, key, pv_int((int64_t)i));
        }
        buf_t ea = {0}, em = {0};
        pv_encode(a, &ea);
        pv_encode(m, &em);
        pv_t *da = NULL, *dm = NULL;
        cr_assert_eq(pv_decode(ea.data, ea.len, &da), 0);
        cr_assert_eq(pv_decode(em.data, em.len, &dm), 0);
        pv_t *ca = pv_dup(da), *cm = pv_dup(dm);
        pv_t *trees[][2] = {{a, m}, {da, dm}, {ca, cm}};
        for (size_t t = 0; t < 3; t++) {
            pv_t *ta = trees[t][0], *tm = trees[t][1];
            /* shrink the map by half, then grow both by 40 */
            for (size_t i = 1; i <= n; i += 2) {
                char key[24];
                snprintf(key, sizeof key, "k%03zu", i);
                pv_map_del(tm, key);
            }
            for (size_t i = 0; i < 40; i++) {
                char key[24];
                snprintf(key, sizeof key, "x%03zu", 40 - i);
                pv_arr_push(ta, pv_int(-(int64_t)i));
                pv_map_set(tm, key, pv_int(-(int64_t)i));
            }
            cr_assert_eq(ta->u.a.n, n + 40);
            cr_assert_eq(tm->u.m.n, n / 2 + 40);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(ta->u.a.items[i]->u.i, (int64_t)i);
            for (size_t i = 1; i < tm->u.m.n; i++)
                cr_assert_lt(strcmp(tm->u.m.keys[i - 1], tm->u.m.keys[i]), 0);
            s_round_trip(ta, NULL);
            s_round_trip(tm, NULL);
        }
        cr_assert(pv_equal(a, da) && pv_equal(da, ca));
        cr_assert(pv_equal(m, dm) && pv_equal(dm, cm));
        for (size_t t = 0; t < 3; t++) {
            pv_free(&trees[t][0]);
            pv_free(&trees[t][1]);
        }
        buf_free(&ea);
        buf_free(&em);
    }
}

/* docs/protocol.md §7.6: the id of node A's record made at 2026-01-01. */
Test(edit, bound_id_vector)
{
    uint8_t a[32], id[32], want[32];
    cr_assert_eq(hex_decode("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8", a, 32), 0);
    cr_assert_eq(hex_decode("f1540fbd34313ad67a946b0b25f7c7e931026e0ee644cc0a3f8d461ffb047d80", want, 32), 0);
    uint64_t hlc = UINT64_C(1767225600000) << 16;
    edit_bound_id(a, hlc, id);
    cr_assert(memcmp(id, want, 32) == 0, "the bound id of the worked example");
    cr_assert(edit_binds(id, a, hlc));
    cr_assert_not(edit_binds(id, a, hlc + 1), "another clock binds another id");
    a[0] ^= 1;
    cr_assert_not(edit_binds(id, a, hlc), "another author binds another id");
}

/* Issue 9.8: nothing of an edit whose signature fails reaches a cause (and
 * so a log line): the signature is checked before the schema. */
Test(edit, an_unsigned_edit_with_a_forged_field_name_fails_on_its_signature)
{
    uint8_t entity[32] = {1}, sig[64] = {0};
    pv_t *fields = pv_map();
    pv_map_set(fields, "\x1b[2Jbuurtd 12:00:00 peer ok\nname", pv_str("x"));
    pv_t *body = pv_arr();
    pv_arr_push(body, pv_int(EDIT_VERSION));
    pv_arr_push(body, pv_str("place"));
    pv_arr_push(body, pv_bin(entity, 32));
    pv_arr_push(body, pv_bin(s_pk, 32));
    pv_arr_push(body, pv_int(1));
    pv_arr_push(body, fields);
    buf_t bb = {0}, wire = {0};
    pv_encode(body, &bb);
    pv_t *outer = pv_arr();
    pv_arr_push(outer, pv_bin(bb.data, bb.len));
    pv_arr_push(outer, pv_bin(sig, 64));
    pv_encode(outer, &wire);
    edit_t *d = NULL;
    char *cause = NULL;
    int rc = edit_decode(wire.data, wire.len, EDIT_VERIFY, &d, &cause);
    cr_assert_eq(rc, BU_ESIG, "rejected for its signature, not its schema: %s", cause ? cause : "");
    cr_assert_null(strchr(cause, '\x1b'));
    cr_assert_null(strstr(cause, "peer ok"));
    free(cause);
    pv_free(&body);
    pv_free(&outer);
    buf_free(&bb);
    buf_free(&wire);
}

Test(edit, text_escape_keeps_utf8_and_removes_controls)
{
    buf_t b = {0};
    text_escape(&b, "Moskee Ayasofya \xc3\xa7 \xd8\xb3 ok");
    cr_assert_str_eq(buf_cstr(&b), "Moskee Ayasofya \xc3\xa7 \xd8\xb3 ok", "UTF-8 text passes");
    b.len = 0;
    text_escape(&b, "a\x1b[31mb\nc\x7f\xc2\x9b\xff\xe2\x80\xae" "d");
    cr_assert_str_eq(buf_cstr(&b), "a\\x1b[31mb\\x0ac\\x7f\\x9b\\xff\\u{202e}d");
    buf_free(&b);
}

/* Issue 11: lengths count characters, not bytes: 280 Tigrinya characters
 * (840 bytes) fit a 280-character summary, 281 do not. */
Test(record, text_lengths_count_characters_not_bytes)
{
    buf_t b = {0};
    for (int i = 0; i < 280; i++)
        buf_append(&b, "\xe1\x88\xb0", 3); /* U+1230 ETHIOPIC SYLLABLE SA */
    pv_t *f = pv_map();
    pv_map_set(f, "summary", pv_str(buf_cstr(&b)));
    char *cause = NULL;
    cr_assert_eq(rec_validate(REC_NEED, f, false, &cause), 0, "280 characters: %s", cause ? cause : "");
    buf_append(&b, "\xe1\x88\xb0", 3);
    pv_map_set(f, "summary", pv_str(buf_cstr(&b)));
    cr_assert_lt(rec_validate(REC_NEED, f, false, &cause), 0, "281 characters are too many");
    cr_assert_not_null(strstr(cause, "characters"), "%s", cause);
    free(cause);
    pv_free(&f);
    buf_free(&b);
}
