/*
 * test_bundle.c -- behaviour tests for node/bundle.c: a bundle made from
 * one home and applied to another stores exactly the source's edits;
 * applying it twice stores nothing; a cut or bit-flipped bundle applies
 * every intact edit and names the damaged bytes; a bundle of another mesh
 * is refused whole; forged edits and edits of non-members are rejected
 * with a reason, as from a peer; --area and --since select what the
 * issue says, always with the certificates.
 *
 * Each test makes two fresh homes under /tmp in the mesh founded by a
 * fixed seeded key F (repo_set_mesh), fills the source with edits signed
 * by seeded keys at explicit clocks (repo_ingest), and works on the
 * bundle's bytes in memory. Deterministic; about a second.
 */
#include "node/bundle.h"
#include "node/home.h"
#include "node/repo.h"
#include "node/setup.h"

#include "proto/edit.h"
#include "proto/err.h"
#include "proto/util.h"
#include "proto/value.h"
#include "tests/lib/fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BASE UINT64_C(1700000000000)
#define H(n) ((S_BASE + (uint64_t)(n)) << 16)

static fx_key_t F, M, X; /* F founds the mesh, M is admitted, X never is */
static char s_root[64];
static repo_t *s_src, *s_dst;

static repo_t *s_home(const char *name, const uint8_t *mesh)
{
    char *path = xasprintf("%s/%s", s_root, name), *cause = NULL;
    int rc = home_init(path, name, NULL, &cause);
    cr_assert_eq(rc, 0, "home_init: %s", cause ? cause : "");
    repo_t *r = NULL;
    rc = repo_open(path, &r, &cause);
    cr_assert_eq(rc, 0, "repo_open: %s", cause ? cause : "");
    free(path);
    if (mesh)
        repo_set_mesh(r, mesh);
    return r;
}

static void s_setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    fx_key(0x31, &F);
    fx_key(0x32, &M);
    fx_key(0x33, &X);
    strcpy(s_root, "/tmp/buurt-test-bundle-XXXXXX");
    cr_assert_not_null(mkdtemp(s_root));
    s_src = s_home("src", F.pk);
    s_dst = s_home("dst", F.pk);
}

static void s_teardown(void)
{
    repo_close(&s_src);
    repo_close(&s_dst);
    fx_rm_tree(s_root);
}

TestSuite(bundle, .init = s_setup, .fini = s_teardown);

/* ---- helpers ---------------------------------------------------------- */

/* A record created by k at hlc: its bound id into id. */
static void s_new(repo_t *r, rec_kind_t kind, const fx_key_t *k, uint64_t hlc, pv_t *fields,
                  uint8_t id[32])
{
    edit_bound_id(k->pk, hlc, id);
    fx_put(r, kind, id, k, hlc, fields);
}

#define s_place(name, area)                                                                    \
    fx_fields("name", pv_str(name), "kinds", fx_list1("food"), "area", pv_str(area), NULL)

/* The source's records (s_fill). */
static uint8_t s_p1[32], s_p2[32], s_coal[32], s_need[32], s_offer[32], s_bull[32];
#define S_FILL_EDITS 9

/*
 * M admitted at H(1); places of M in Noord and Zuid, a coalition of F in
 * Zuid, a need in Noord addressed to it, an offer of the Noord place, a
 * status change, a bulletin for every area.
 */
static void s_fill(repo_t *r)
{
    fx_put(r, REC_MEMBER, M.pk, &F, H(1), fx_fields("name", pv_str("M"), "role", pv_str("member"), NULL));
    s_new(r, REC_PLACE, &M, H(10), s_place("Buurthuis", "Noord"), s_p1);
    s_new(r, REC_PLACE, &M, H(11), s_place("Bieb", "Zuid"), s_p2);
    pv_t *coord = pv_arr();
    pv_arr_push(coord, pv_str(M.hex));
    s_new(r, REC_COALITION, &F, H(12),
          fx_fields("name", pv_str("Voedselhulp"), "area", pv_str("Zuid"), "coordinators", coord, NULL),
          s_coal);
    s_new(r, REC_NEED, &M, H(13),
          fx_fields("category", pv_str("food"), "summary", pv_str("groceries"), "area", pv_str("Noord"),
              "status", pv_str("open"), "coalition", fx_hexid(s_coal), NULL),
          s_need);
    s_new(r, REC_OFFER, &M, H(14),
          fx_fields("provider", fx_hexid(s_p1), "categories", fx_list1("food"), NULL), s_offer);
    fx_put(r, REC_PLACE, s_p1, &M, H(15), fx_fields("status", pv_str("limited"), NULL));
    s_new(r, REC_BULLETIN, &F, H(16),
          fx_fields("title", pv_str("Water"), "body", pv_str("water is safe again"), NULL), s_bull);
    fx_put(r, REC_PLACE, s_p2, &M, H(17), fx_fields("status", pv_str("closed"), NULL));
    cr_assert_eq(repo_edit_count(r), S_FILL_EDITS);
}

/* A bundle of r by sel (NULL: everything) into b. */
static void s_make(repo_t *r, const bundle_sel_t *sel, buf_t *b, bundle_made_t *st)
{
    bundle_sel_t all = {0};
    bundle_made_t dummy;
    char *cause = NULL;
    int rc = bundle_make(r, sel ? sel : &all, S_BASE + 1000, b, st ? st : &dummy, &cause);
    cr_assert_eq(rc, 0, "bundle_make: %s", cause ? cause : "");
}

/* Reads and applies bytes to r; the result into *res (cleared by caller). */
static int s_apply(repo_t *r, const uint8_t *data, size_t len, bundle_t *b, bundle_result_t *res)
{
    char *cause = NULL;
    int rc = bundle_read(data, len, b, &cause);
    cr_assert_eq(rc, 0, "bundle_read: %s", cause ? cause : "");
    rc = bundle_apply(r, b, res, &cause);
    free(cause);
    return rc;
}

/* True when every edit of a is stored in b. */
static bool s_has_all(const repo_t *a, const repo_t *b)
{
    for (size_t i = 0; i < repo_edit_count(a); i++)
        if (repo_find_record(b, repo_record_id(a, i)) < 0)
            return false;
    return true;
}

/* ---- round trip --------------------------------------------------------- */

Test(bundle, round_trip_stores_every_edit_and_the_records_merge_the_same)
{
    s_fill(s_src);
    buf_t b = {0};
    bundle_made_t st;
    s_make(s_src, NULL, &b, &st);
    cr_expect_eq(st.edits, S_FILL_EDITS);
    cr_expect_eq(st.certs, 1);
    bundle_t bd;
    bundle_result_t res;
    cr_assert_eq(s_apply(s_dst, b.data, b.len, &bd, &res), 0);
    cr_expect(bd.head_ok && bd.ended && bd.ndamage == 0);
    cr_expect_eq(bd.declared, S_FILL_EDITS);
    cr_expect_eq(res.edits, S_FILL_EDITS);
    cr_expect_eq(res.added, S_FILL_EDITS);
    cr_expect_eq(res.known + res.rejected + res.held, 0);
    cr_expect_eq(repo_edit_count(s_dst), S_FILL_EDITS);
    cr_expect(s_has_all(s_src, s_dst));
    /* the need counts on the other side: its coalition came along */
    const entity_t *n = repo_entity(s_dst, s_need);
    cr_assert_not_null(n);
    cr_expect_eq(n->denied, 0);
    cr_expect_str_eq(pv_get_str(repo_entity(s_dst, s_p1)->fields, "status"), "limited");
    bundle_result_clear(&res);
    bundle_clear(&bd);
    buf_free(&b);
}

Test(bundle, certificates_come_first_in_the_file)
{
    s_fill(s_src);
    buf_t b = {0};
    s_make(s_src, NULL, &b, NULL);
    bundle_t bd;
    cr_assert_eq(bundle_read(b.data, b.len, &bd, NULL), 0);
    edit_head_t h;
    cr_assert_eq(edit_peek(bd.items[0].data, bd.items[0].len, &h), 0);
    cr_expect_eq(h.kind, REC_MEMBER);
    cr_expect_eq(bd.items[0].off, BUNDLE_HEAD_LEN);
    bundle_clear(&bd);
    buf_free(&b);
}

Test(bundle, applying_the_same_bundle_twice_changes_nothing)
{
    s_fill(s_src);
    buf_t b = {0};
    s_make(s_src, NULL, &b, NULL);
    bundle_t bd;
    bundle_result_t res;
    cr_assert_eq(s_apply(s_dst, b.data, b.len, &bd, &res), 0);
    bundle_result_clear(&res);
    bundle_clear(&bd);
    uint64_t v = repo_version(s_dst);
    cr_assert_eq(s_apply(s_dst, b.data, b.len, &bd, &res), 0);
    cr_expect_eq(res.added, 0);
    cr_expect_eq(res.known, S_FILL_EDITS);
    cr_expect_eq(res.rejected, 0);
    cr_expect_eq(repo_edit_count(s_dst), S_FILL_EDITS);
    cr_expect_eq(repo_version(s_dst), v, "a second apply must not touch the repo");
    bundle_result_clear(&res);
    bundle_clear(&bd);
    buf_free(&b);
}

Test(bundle, an_edit_listed_before_its_authors_certificate_still_verifies)
{
    /* another implementation may not sort: the reader stores
     * certificates first whatever their place in the file */
    buf_t e = {0}, c = {0}, b = {0};
    uint8_t id[32];
    edit_bound_id(M.pk, H(10), id);
    fx_sign(REC_PLACE, id, &M, H(10), s_place("Buurthuis", "Noord"), &e);
    fx_sign(REC_MEMBER, M.pk, &F, H(1), fx_fields("name", pv_str("M"), "role", pv_str("member"), NULL), &c);
    bundle_head(&b, F.pk);
    bundle_put(&b, e.data, e.len);
    bundle_put(&b, c.data, c.len);
    bundle_end(&b, F.pk, 2, S_BASE);
    bundle_t bd;
    bundle_result_t res;
    cr_assert_eq(s_apply(s_dst, b.data, b.len, &bd, &res), 0);
    cr_expect_eq(res.added, 2);
    cr_expect_eq(res.rejected, 0);
    bundle_result_clear(&res);
    bundle_clear(&bd);
    buf_free(&e);
    buf_free(&c);
    buf_free(&b);
}

/* ---- damage ------------------------------------------------------------ */

Test(bundle, a_flipped_bit_in_the_middle_loses_only_that_edit_and_names_its_bytes)
{
    s_fill(s_src);
    buf_t b = {0};
    s_make(s_src, NULL, &b, NULL);
    bundle_t whole;
    cr_assert_eq(bundle_read(b.data, b.len, &whole, NULL), 0);
    size_t k = 4; /* a frame in the middle */
    uint64_t from = whole.items[k].off, to = whole.items[k + 1].off;
    uint8_t lost[32];
    store_hash(whole.items[k].data, whole.items[k].len, lost);
    b.data[from + STORE_FRAME_HDR + whole.items[k].len / 2] ^= 0x08;
    bundle_t bd;
    bundle_result_t res;
    cr_assert_eq(s_apply(s_dst, b.data, b.len, &bd, &res), 0);
    cr_expect_eq(bd.nitems, S_FILL_EDITS - 1);
    cr_assert_eq(bd.ndamage, 1);
    cr_expect_eq(bd.damage[0].from, from);
    cr_expect_eq(bd.damage[0].to, to, "the damage is exactly that frame");
    cr_expect(bd.ended);
    cr_expect_eq(bd.declared, S_FILL_EDITS, "the end frame tells one is missing");
    cr_expect_eq(res.added, S_FILL_EDITS - 1);
    cr_expect_eq(res.rejected, 0);
    cr_expect_lt(repo_find_record(s_dst, lost), 0);
    bundle_result_clear(&res);
    bundle_clear(&bd);
    bundle_clear(&whole);
    buf_free(&b);
}

Test(bundle, a_bundle_cut_anywhere_applies_every_whole_frame_before_the_cut)
{
    s_fill(s_src);
    buf_t b = {0};
    s_make(s_src, NULL, &b, NULL);
    bundle_t whole;
    cr_assert_eq(bundle_read(b.data, b.len, &whole, NULL), 0);
    for (size_t cut = BUNDLE_HEAD_LEN; cut < b.len; cut++) {
        bundle_t bd;
        cr_assert_eq(bundle_read(b.data, cut, &bd, NULL), 0, "cut at %zu", cut);
        size_t want = 0;
        while (want < whole.nitems &&
               whole.items[want].off + STORE_FRAME_HDR + whole.items[want].len <= cut)
            want++;
        cr_assert_eq(bd.nitems, want, "cut at %zu", cut);
        cr_assert(!bd.ended, "cut at %zu: the end frame cannot be there", cut);
        uint64_t end = bd.nitems ? bd.items[bd.nitems - 1].off + STORE_FRAME_HDR +
                                       bd.items[bd.nitems - 1].len
                                 : BUNDLE_HEAD_LEN;
        if (end < cut) { /* a torn frame: named */
            cr_assert_eq(bd.ndamage, 1, "cut at %zu", cut);
            cr_assert_eq(bd.damage[0].from, end);
            cr_assert_eq(bd.damage[0].to, cut);
        } else {
            cr_assert_eq(bd.ndamage, 0);
        }
        bundle_clear(&bd);
    }
    /* and applying one such cut stores exactly those */
    size_t cut = whole.items[6].off + 5;
    bundle_t bd;
    bundle_result_t res;
    cr_assert_eq(s_apply(s_dst, b.data, cut, &bd, &res), 0);
    cr_expect_eq(res.added, 6);
    cr_expect_eq(repo_edit_count(s_dst), 6);
    bundle_result_clear(&res);
    bundle_clear(&bd);
    bundle_clear(&whole);
    buf_free(&b);
}

Test(bundle, a_damaged_head_takes_the_mesh_from_the_end_frame)
{
    s_fill(s_src);
    buf_t b = {0};
    s_make(s_src, NULL, &b, NULL);
    b.data[20] ^= 0x01; /* inside the mesh id */
    bundle_t bd;
    bundle_result_t res;
    cr_assert_eq(s_apply(s_dst, b.data, b.len, &bd, &res), 0);
    cr_expect(!bd.head_ok);
    cr_expect(bd.have_mesh);
    cr_expect_eq(memcmp(bd.mesh, F.pk, 32), 0);
    cr_assert_eq(bd.ndamage, 1);
    cr_expect_eq(bd.damage[0].from, 0);
    cr_expect_eq(bd.damage[0].to, BUNDLE_HEAD_LEN);
    cr_expect_eq(res.added, S_FILL_EDITS);
    bundle_result_clear(&res);
    bundle_clear(&bd);
    buf_free(&b);
}

Test(bundle, random_damage_never_crashes_and_every_stored_edit_verifies)
{
    s_fill(s_src);
    buf_t b = {0};
    s_make(s_src, NULL, &b, NULL);
    uint64_t st = 42;
    for (int round = 0; round < 200; round++) {
        buf_t d = {0};
        buf_append(&d, b.data, b.len);
        for (int k = 0; k < 1 + round % 5; k++) {
            st = st * 6364136223846793005u + 1442695040888963407u;
            d.data[(st >> 33) % d.len] ^= (uint8_t)(1u << ((st >> 20) % 8));
        }
        st = st * 6364136223846793005u + 1442695040888963407u;
        size_t len = round % 3 == 0 ? (size_t)((st >> 33) % d.len) : d.len;
        bundle_t bd;
        if (bundle_read(d.data, len, &bd, NULL) == 0) {
            for (size_t i = 0; i < bd.nitems; i++)
                cr_assert_leq(bd.items[i].off + STORE_FRAME_HDR + bd.items[i].len, len);
            bundle_clear(&bd);
        }
        buf_free(&d);
    }
    buf_free(&b);
}

/* ---- refusals ---------------------------------------------------------- */

Test(bundle, a_bundle_of_another_mesh_is_refused_whole)
{
    s_fill(s_src);
    buf_t b = {0};
    s_make(s_src, NULL, &b, NULL);
    repo_t *other = s_home("other", X.pk);
    bundle_t bd;
    bundle_result_t res;
    char *cause = NULL;
    cr_assert_eq(bundle_read(b.data, b.len, &bd, NULL), 0);
    cr_expect_eq(bundle_apply(other, &bd, &res, &cause), BU_EPERM);
    cr_expect_not_null(cause && strstr(cause, "another mesh"), "cause: %s", cause ? cause : "");
    cr_expect_eq(repo_edit_count(other), 0, "nothing is stored, certificates included");
    free(cause);
    cause = NULL;
    repo_t *none = s_home("none", NULL);
    cr_expect_eq(bundle_apply(none, &bd, &res, &cause), BU_EPERM);
    cr_expect_not_null(cause && strstr(cause, "no mesh"));
    free(cause);
    repo_close(&none);
    repo_close(&other);
    bundle_clear(&bd);
    buf_free(&b);
}

Test(bundle, bytes_that_are_not_a_bundle_are_refused)
{
    const char junk[] = "this is just some text on a stick, no frames at all here";
    bundle_t bd;
    char *cause = NULL;
    cr_expect_eq(bundle_read((const uint8_t *)junk, sizeof junk, &bd, &cause), BU_EINVAL);
    cr_expect_not_null(cause);
    free(cause);
    cause = NULL;
    cr_expect_eq(bundle_read((const uint8_t *)"", 0, &bd, &cause), BU_EINVAL);
    free(cause);
    cause = NULL;
    buf_t log = {0};
    buf_append(&log, "BUURTLG1", 8);
    store_frame_append(&log, (const uint8_t *)"x", 1);
    cr_expect_eq(bundle_read(log.data, log.len, &bd, &cause), BU_EINVAL);
    cr_expect_not_null(cause && strstr(cause, "edit log"));
    free(cause);
    buf_free(&log);
}

Test(bundle, a_forged_and_a_non_members_edit_are_rejected_with_their_reasons)
{
    s_fill(s_src);
    buf_t b = {0};
    s_make(s_src, NULL, &b, NULL);
    bundle_t good;
    cr_assert_eq(bundle_read(b.data, b.len, &good, NULL), 0);
    /* a new bundle: the good edits, one forged copy of a place, one edit
     * by X who is no member, and the end */
    buf_t f = {0}, x = {0}, nb = {0};
    uint8_t id[32];
    edit_bound_id(M.pk, H(30), id);
    fx_sign(REC_PLACE, id, &M, H(30), s_place("Vervalst", "Noord"), &f);
    f.data[f.len - 1] ^= 0x01; /* the signature's last byte */
    edit_bound_id(X.pk, H(31), id);
    fx_sign(REC_PLACE, id, &X, H(31), s_place("Indringer", "Noord"), &x);
    bundle_head(&nb, F.pk);
    for (size_t i = 0; i < good.nitems; i++)
        bundle_put(&nb, good.items[i].data, good.items[i].len);
    uint64_t forged_at = nb.len;
    bundle_put(&nb, f.data, f.len);
    bundle_put(&nb, x.data, x.len);
    bundle_end(&nb, F.pk, good.nitems + 2, S_BASE);
    bundle_t bd;
    bundle_result_t res;
    cr_assert_eq(s_apply(s_dst, nb.data, nb.len, &bd, &res), 0);
    cr_expect_eq(res.added, S_FILL_EDITS);
    cr_expect_eq(res.rejected, 2);
    cr_assert_eq(res.nrej, 2);
    cr_expect_eq(res.rej[0].off, forged_at);
    cr_expect_eq(res.rej[0].kind, REC_PLACE);
    cr_expect_not_null(strstr(res.rej[0].why, "signature"), "why: %s", res.rej[0].why);
    cr_expect_not_null(strstr(res.rej[1].why, "not a member"), "why: %s", res.rej[1].why);
    cr_expect_eq(repo_edit_count(s_dst), S_FILL_EDITS);
    bundle_result_clear(&res);
    bundle_clear(&bd);
    bundle_clear(&good);
    buf_free(&f);
    buf_free(&x);
    buf_free(&nb);
    buf_free(&b);
}

Test(bundle, an_edit_dated_before_its_authors_admission_is_rejected)
{
    buf_t c = {0}, e = {0}, b = {0};
    uint8_t id[32];
    fx_sign(REC_MEMBER, M.pk, &F, H(100), fx_fields("name", pv_str("M"), "role", pv_str("member"), NULL),
           &c);
    edit_bound_id(M.pk, H(50), id);
    fx_sign(REC_PLACE, id, &M, H(50), s_place("Te vroeg", "Noord"), &e);
    bundle_head(&b, F.pk);
    bundle_put(&b, c.data, c.len);
    bundle_put(&b, e.data, e.len);
    bundle_end(&b, F.pk, 2, S_BASE);
    bundle_t bd;
    bundle_result_t res;
    cr_assert_eq(s_apply(s_dst, b.data, b.len, &bd, &res), 0);
    cr_expect_eq(res.added, 1);
    cr_expect_eq(res.rejected, 1);
    cr_expect_not_null(strstr(res.rej[0].why, "not a member"));
    bundle_result_clear(&res);
    bundle_clear(&bd);
    buf_free(&c);
    buf_free(&e);
    buf_free(&b);
}

/* ---- what goes in ------------------------------------------------------ */

static bool s_in(const bundle_t *bd, repo_t *r, const uint8_t ent[32], size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < bd->nitems; i++) {
        edit_head_t h;
        if (edit_peek(bd->items[i].data, bd->items[i].len, &h) == 0 &&
            memcmp(h.entity, ent, 32) == 0)
            (*n)++;
    }
    (void)r;
    return *n > 0;
}

Test(bundle, an_area_bundle_holds_that_area_what_it_names_and_every_certificate)
{
    s_fill(s_src);
    buf_t b = {0};
    bundle_sel_t sel = {.area = "noord"};
    bundle_made_t st;
    s_make(s_src, &sel, &b, &st);
    bundle_t bd;
    cr_assert_eq(bundle_read(b.data, b.len, &bd, NULL), 0);
    size_t n;
    cr_expect(s_in(&bd, s_src, M.pk, &n), "the certificate");
    cr_expect(s_in(&bd, s_src, s_p1, &n) && n == 2, "the Noord place, both edits");
    cr_expect(s_in(&bd, s_src, s_need, &n), "the Noord need");
    cr_expect(s_in(&bd, s_src, s_offer, &n), "the offer of the Noord place");
    cr_expect(s_in(&bd, s_src, s_coal, &n), "the Zuid coalition the need is addressed to");
    cr_expect(s_in(&bd, s_src, s_bull, &n), "a bulletin for every area");
    cr_expect(!s_in(&bd, s_src, s_p2, &n), "not the Zuid place");
    cr_expect_eq(st.edits, S_FILL_EDITS - 2);
    /* and on the other side the need counts: its coalition came along */
    bundle_result_t res;
    cr_assert_eq(bundle_apply(s_dst, &bd, &res, NULL), 0);
    cr_expect_eq(res.added, S_FILL_EDITS - 2);
    cr_expect_eq(repo_entity(s_dst, s_need)->denied, 0);
    bundle_result_clear(&res);
    bundle_clear(&bd);
    buf_free(&b);
}

Test(bundle, since_a_position_holds_later_edits_and_every_certificate)
{
    s_fill(s_src);
    bundle_mark_t m;
    bundle_mark_now(s_src, S_BASE, &m);
    fx_put(s_src, REC_PLACE, s_p1, &M, H(40), fx_fields("status", pv_str("open"), NULL));
    bool lost;
    bundle_sel_t sel = {.since_pos = bundle_mark_pos(s_src, &m, &lost)};
    cr_expect(!lost);
    cr_expect_eq(sel.since_pos, S_FILL_EDITS);
    buf_t b = {0};
    bundle_made_t st;
    s_make(s_src, &sel, &b, &st);
    cr_expect_eq(st.edits, 2, "the new edit and the certificate");
    cr_expect_eq(st.certs, 1);
    buf_free(&b);
    /* by time: edits dated at or after H(16)'s millisecond */
    bundle_sel_t by_time = {.since_ms = S_BASE + 16};
    s_make(s_src, &by_time, &b, &st);
    cr_expect_eq(st.edits, 4, "bulletin, closed, open and the certificate");
    buf_free(&b);
}

Test(bundle, the_mark_survives_a_reload_and_a_missing_edit_means_everything)
{
    s_fill(s_src);
    bundle_mark_t m, back;
    bundle_mark_now(s_src, S_BASE + 5, &m);
    char *cause = NULL;
    cr_assert_eq(bundle_mark_save(repo_home(s_src), &m, &cause), 0, "%s", cause ? cause : "");
    bundle_mark_load(repo_home(s_src), &back);
    cr_expect_eq(back.ms, m.ms);
    cr_expect_eq(back.count, m.count);
    cr_expect_eq(memcmp(back.rec, m.rec, 32), 0);
    bool lost;
    cr_expect_eq(bundle_mark_pos(s_src, &back, &lost), S_FILL_EDITS);
    back.rec[0] ^= 1; /* an edit this store no longer holds */
    cr_expect_eq(bundle_mark_pos(s_src, &back, &lost), 0);
    cr_expect(lost);
    bundle_mark_load(repo_home(s_dst), &back); /* never written */
    cr_expect_eq(back.ms, 0);
}
