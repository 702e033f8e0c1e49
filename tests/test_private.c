/*
 * test_private.c -- behaviour tests for node/private.c: the readers of a
 * private coalition, and a new key for the current readers when they
 * change (so a removed reader cannot read what is written afterwards).
 */
#include "node/home.h"
#include "node/setup.h"
#include "node/key.h"
#include "node/private.h"
#include "proto/err.h"
#include "proto/seal.h"
#include "tests/lib/fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static char s_root[64];
static repo_t *s_r;

static void s_setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    strcpy(s_root, "/tmp/buurt-test-private-XXXXXX");
    cr_assert_not_null(mkdtemp(s_root));
    char *home = xasprintf("%s/h", s_root), *cause = NULL;
    cr_assert_eq(home_init(home, "h", NULL, &cause), 0, "%s", cause ? cause : "");
    cr_assert_eq(repo_open(home, &s_r, &cause), 0, "%s", cause ? cause : "");
    free(home);
}

static void s_teardown(void)
{
    repo_close(&s_r);
    fx_rm_tree(s_root);
}

TestSuite(private, .init = s_setup, .fini = s_teardown);

static pv_t *s_ids(const uint8_t (*k)[32], size_t n)
{
    pv_t *l = pv_arr();
    for (size_t i = 0; i < n; i++) {
        char hex[65];
        hex_encode(k[i], 32, hex);
        pv_arr_push(l, pv_str(hex));
    }
    return l;
}

Test(private, readers_are_creator_coordinators_and_nodes_each_once)
{
    uint8_t c[32] = {1}, k[3][32] = {{1}, {2}, {3}}, out[8][32];
    pv_t *f = pv_map();
    pv_map_set(f, "coordinators", s_ids((const uint8_t(*)[32])k, 2)); /* the creator again, and 2 */
    pv_map_set(f, "nodes", s_ids((const uint8_t(*)[32])k + 1, 2));    /* 2 again, and 3 */
    size_t n = private_readers(c, f, out, 8);
    cr_assert_eq(n, 3);
    cr_assert(memcmp(out[0], c, 32) == 0, "the creator first");
    cr_assert(memcmp(out[1], k[1], 32) == 0 && memcmp(out[2], k[2], 32) == 0);
    cr_assert_eq(private_readers(c, f, out, 2), 2, "never more than max");
    pv_free(&f);
}

/* The newest key of the coalition, as the keys record gives it to this node. */
static size_t s_keys_of(const uint8_t id[32])
{
    const entity_t *e = NULL;
    for (size_t i = 0; i < repo_entity_count(s_r); i++) {
        const entity_t *x = repo_entity_at(s_r, i);
        if (x->kind == REC_KEYS)
            e = x;
    }
    cr_assert_not_null(e, "no keys record");
    const pv_t *boxes = pv_map_get(e->fields, "boxes");
    uint8_t cpk[32], csk[32], coal[32], (*ks)[32] = NULL;
    size_t nk = 0;
    key_curve(repo_key(s_r), cpk, csk);
    for (size_t b = 0; boxes && b < boxes->u.a.n; b++) {
        if (seal_keys_open(boxes->u.a.items[b], cpk, csk, coal, &ks, &nk) == 0) {
            cr_assert(memcmp(coal, id, 32) == 0);
            free(ks);
            return nk;
        }
        free(ks);
    }
    cr_assert_fail("the keys record holds no box for this node");
    return 0;
}

Test(private, a_change_of_readers_rotates_the_key_and_other_edits_do_not)
{
    uint8_t other[32] = {9}, id[32];
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("Stille hulp"));
    pv_map_set(f, "private", pv_bool(true));
    pv_map_set(f, "nodes", s_ids((const uint8_t(*)[32])other, 1));
    char *cause = NULL;
    cr_assert_eq(private_create(s_r, f, id, &cause), 0, "%s", cause ? cause : "");
    pv_free(&f);
    uint8_t coal[32];
    cr_assert(repo_private_of(s_r, id, coal), "the coalition is private and readable here");
    cr_assert_eq(s_keys_of(id), 1);
    /* an edit that keeps the readers: no new key */
    f = pv_map();
    pv_map_set(f, "purpose", pv_str("boodschappen"));
    cr_assert_eq(repo_edit(s_r, REC_COALITION, id, f, NULL, NULL), 0);
    cr_assert_eq(private_after_edit(s_r, id, f, NULL), 0);
    cr_assert_eq(s_keys_of(id), 1, "no rotation without a change of readers");
    pv_free(&f);
    /* the other node is removed from the readers: a second key */
    f = pv_map();
    pv_map_set(f, "nodes", pv_nil());
    cr_assert_eq(repo_edit(s_r, REC_COALITION, id, f, NULL, NULL), 0);
    cr_assert_eq(private_after_edit(s_r, id, f, &cause), 0, "%s", cause ? cause : "");
    cr_assert_eq(s_keys_of(id), 2, "a removed reader means a new key");
    pv_free(&f);
    /* a need addressed to it is sealed for it */
    f = pv_map();
    char hex[65];
    hex_encode(id, 32, hex);
    pv_map_set(f, "coalition", pv_str(hex));
    cr_assert(private_target(s_r, REC_NEED, f, coal));
    cr_assert(memcmp(coal, id, 32) == 0);
    cr_assert_not(private_target(s_r, REC_PLACE, f, coal));
    pv_free(&f);
}
