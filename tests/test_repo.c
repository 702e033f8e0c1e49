/*
 * test_repo.c -- behaviour tests for node/repo.c: reading stored records
 * back (repo_read, repo_record_len, repo_scan), merged states without
 * caching (repo_entity_peek), state versions (repo_entity_version),
 * dropping cached states (repo_trim) and reopening a home.
 *
 * Each test makes a fresh home under /tmp. Most use a node on its own (no
 * mesh: every edit counts, and merges read no other record) filled with
 * local edits through repo_edit (s_fill). The version tests that need a
 * merge to read another record (an offer's provider) put the home in a
 * mesh founded by a fixed seeded key, as tests/test_auth.c does, and ingest
 * edits signed by seeded keys with explicit clocks. One test builds a home
 * of more records than repo_trim keeps cached, with one group commit
 * (repo_ingest_many). Deterministic apart from the random entity ids of
 * repo_edit; the file runs in about a second.
 */
#include "node/match.h"
#include "node/members.h"
#include "node/private.h"
#include "node/home.h"
#include "node/setup.h"
#include "node/repo.h"

#include "proto/edit.h"
#include "proto/err.h"
#include "proto/seal.h"
#include "proto/util.h"
#include "tests/lib/fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Clocks: H(n) is n milliseconds after a fixed base, counter 0. */
#define S_BASE UINT64_C(1700000000000)
#define H(n) ((S_BASE + (uint64_t)(n)) << 16)

#define S_CACHE_MAX 24576 /* repo_trim keeps at most this many states cached */

static fx_key_t F, M, N, X; /* F founds the mesh; M, N, X are members where a test says */
static char s_root[64];
static char *s_path;  /* the test's home */
static repo_t *s_repo; static void s_setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    fx_key(0x21, &F);
    fx_key(0x22, &M);
    fx_key(0x23, &N);
    fx_key(0x24, &X);
    strcpy(s_root, "/tmp/buurt-test-repo-XXXXXX");
    cr_assert_not_null(mkdtemp(s_root));
    s_path = xasprintf("%s/home", s_root);
    s_repo = NULL;
}

static void s_teardown(void)
{
    repo_close(&s_repo);
    fx_rm_tree(s_root);
    free(s_path);
}

TestSuite(repo, .init = s_setup, .fini = s_teardown);

/* ---- helpers ---------------------------------------------------------- */

static repo_t *s_open(void)
{
    char *cause = NULL;
    repo_t *r = NULL;
    int rc = repo_open(s_path, &r, &cause);
    cr_assert_eq(rc, 0, "repo_open: %s", cause ? cause : "");
    return r;
}

/* A fresh home outside any mesh, open in s_repo. */
static repo_t *s_home(void)
{
    char *cause = NULL;
    int rc = home_init(s_path, "test", NULL, &cause);
    cr_assert_eq(rc, 0, "home_init: %s", cause ? cause : "");
    s_repo = s_open();
    return s_repo;
}

/* A field map from key, value pairs ending with NULL; takes the values. */
/* repo_edit of fields (taken) on ent (NULL: create into out). */
static void s_edit(repo_t *r, rec_kind_t kind, const uint8_t *ent, pv_t *fields, uint8_t *out)
{
    char *cause = NULL;
    int rc = repo_edit(r, kind, ent, fields, out, &cause);
    cr_assert_eq(rc, 0, "repo_edit of a %s: %s", rec_kind_name(kind), cause ? cause : "");
    pv_free(&fields);
}

/* The entities s_fill makes. */
enum { S_PLACE, S_GONE, S_COAL, S_NEED, S_NEED2, S_OFFER, S_NOTICE, S_ME, S_NENTS };
static uint8_t s_ids[S_NENTS][32];
#define S_FILL_EDITS 15

/*
 * Local edits of every common kind: several edits of one entity, an unset
 * field, a deleted place, a claimed need, an offer of a place and this
 * node's own member record.
 */
static void s_fill(repo_t *r)
{
    s_edit(r, REC_PLACE, NULL,
           fx_fields("name", pv_str("Buurthuis"), "kinds", fx_list1("community-centre"), "area",
               pv_str("Noord"), "capacity", pv_int(10), NULL),
           s_ids[S_PLACE]);
    s_edit(r, REC_PLACE, NULL, fx_fields("name", pv_str("Bieb"), "kinds", fx_list1("library"), NULL),
           s_ids[S_GONE]);
    s_edit(r, REC_PLACE, s_ids[S_PLACE], fx_fields("area", pv_nil(), "status", pv_str("open"), NULL),
           NULL);
    pv_t *coord = pv_arr();
    pv_arr_push(coord, pv_str(repo_key(r)->id));
    s_edit(r, REC_COALITION, NULL, fx_fields("name", pv_str("Voedselhulp"), "coordinators", coord, NULL),
           s_ids[S_COAL]);
    s_edit(r, REC_NEED, NULL,
           fx_fields("category", pv_str("food"), "summary", pv_str("groceries for 3"), "status",
               pv_str("open"), "coalition", fx_hexid(s_ids[S_COAL]), NULL),
           s_ids[S_NEED]);
    s_edit(r, REC_OFFER, NULL,
           fx_fields("provider", fx_hexid(s_ids[S_PLACE]), "categories", fx_list1("food"), NULL),
           s_ids[S_OFFER]);
    s_edit(r, REC_NEED, s_ids[S_NEED],
           fx_fields("status", pv_str("claimed"), "claimed_by", fx_hexid(s_ids[S_OFFER]), NULL), NULL);
    s_edit(r, REC_NEED, NULL,
           fx_fields("category", pv_str("errands"), "summary", pv_str("a lift"), "urgency",
               pv_str("high"), NULL),
           s_ids[S_NEED2]);
    s_edit(r, REC_NEED, s_ids[S_NEED2], fx_fields("urgency", pv_nil(), NULL), NULL);
    s_edit(r, REC_OFFER, s_ids[S_OFFER], fx_fields("capacity", pv_int(5), NULL), NULL);
    s_edit(r, REC_BULLETIN, NULL,
           fx_fields("title", pv_str("Notice"), "body", pv_str("water is safe again"), NULL),
           s_ids[S_NOTICE]);
    s_edit(r, REC_PLACE, s_ids[S_GONE], fx_fields("deleted", pv_bool(true), NULL), NULL);
    memcpy(s_ids[S_ME], repo_key(r)->pk, 32);
    s_edit(r, REC_MEMBER, s_ids[S_ME], fx_fields("name", pv_str("Wijkteam"), "role", pv_str("admin"), NULL),
           NULL);
    s_edit(r, REC_PLACE, s_ids[S_PLACE], fx_fields("capacity", pv_int(12), NULL), NULL);
    s_edit(r, REC_BULLETIN, s_ids[S_NOTICE], fx_fields("body", pv_str("water is safe"), NULL), NULL);
    cr_assert_eq(repo_edit_count(r), S_FILL_EDITS);
    cr_assert_eq(repo_entity_count(r), S_NENTS);
}

/* Everything a merged state holds, as bytes: merge_encode plus the counts
 * and the claim it leaves out. */
static void s_state_bytes(const entity_t *e, buf_t *out)
{
    cr_assert_not_null(e);
    out->len = 0;
    merge_encode(e, out);
    uint64_t counts[3] = {e->ignored, e->denied, e->claimed};
    buf_append(out, counts, sizeof counts);
    buf_append(out, e->claimer, 32);
}

static bool s_same_state(const entity_t *a, const entity_t *b)
{
    buf_t x = {0}, y = {0};
    s_state_bytes(a, &x);
    s_state_bytes(b, &y);
    bool same = x.len == y.len && memcmp(x.data, y.data, x.len) == 0 &&
                pv_equal(a->fields, b->fields);
    buf_free(&x);
    buf_free(&y);
    return same;
}

/* The states of all entities, as bytes (n entries; free with s_states_free). */
static buf_t *s_states(repo_t *r, size_t *n)
{
    *n = repo_entity_count(r);
    buf_t *v = xcalloc(*n ? *n : 1, sizeof *v);
    for (size_t i = 0; i < *n; i++)
        s_state_bytes(repo_entity_at(r, i), &v[i]);
    return v;
}

static void s_states_free(buf_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_free(&v[i]);
    free(v);
}

static void s_expect_states(repo_t *r, const buf_t *want, size_t n, const char *when)
{
    cr_assert_eq(repo_entity_count(r), n, "%s: entity count", when);
    buf_t got = {0};
    for (size_t i = 0; i < n; i++) {
        s_state_bytes(repo_entity_at(r, i), &got);
        cr_expect(got.len == want[i].len && memcmp(got.data, want[i].data, got.len) == 0,
                  "%s: entity %zu merges differently", when, i);
    }
    buf_free(&got);
}

/* A state merged here from the entity's history (no check: outside a mesh
 * every edit counts); clear it with entity_clear. */
static void s_reference(repo_t *r, size_t i, entity_t *out)
{
    edit_t **h = NULL;
    size_t n = repo_history(r, repo_entity_id(r, i), &h);
    cr_assert_gt(n, 0);
    merge_entity(h, n, out);
    for (size_t k = 0; k < n; k++)
        edit_free(&h[k]);
    free(h);
}

#define s_role(role) fx_fields("name", pv_str("org"), "role", pv_str(role), NULL)

/* A home in F's mesh with M and N members (admitted at H(1), H(2)). */
static repo_t *s_mesh_home(void)
{
    repo_t *r = s_home();
    repo_set_mesh(r, F.pk);
    fx_put(r, REC_MEMBER, M.pk, &F, H(1), s_role("member"));
    fx_put(r, REC_MEMBER, N.pk, &F, H(2), s_role("member"));
    return r;
}

static pv_t *s_place_of(const char *name, const fx_key_t *editor)
{
    pv_t *f = fx_fields("name", pv_str(name), "kinds", fx_list1("food"), NULL);
    if (editor)
        pv_map_set(f, "editors", fx_list1(editor->hex));
    return f;
}

#define s_offer_of(prov) fx_fields("provider", fx_hexid(prov), "categories", fx_list1("food"), NULL)

static long s_at(repo_t *r, const uint8_t id[32])
{
    long at = repo_entity_index(r, id);
    cr_assert_geq(at, 0, "entity not indexed");
    return at;
}

/* ---- reading records back --------------------------------------------- */

Test(repo, read_returns_the_exact_bytes_of_every_record)
{
    repo_t *r = s_home();
    s_fill(r);
    size_t n = repo_edit_count(r);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        buf_t b = {0};
        buf_append(&b, "prefix", 6);
        cr_assert_eq(repo_read(r, i, &b), 0, "record %zu", i);
        cr_assert(memcmp(b.data, "prefix", 6) == 0, "repo_read appends");
        const uint8_t *rec = b.data + 6;
        size_t len = b.len - 6;
        cr_assert_eq(len, repo_record_len(r, i), "record %zu: length", i);
        uint8_t id[32];
        store_hash(rec, len, id);
        cr_assert(memcmp(id, repo_record_id(r, i), 32) == 0,
                  "record %zu: the bytes read hash to its id", i);
        cr_assert_eq(repo_find_record(r, id), (long)i);
        edit_t *e = NULL;
        char *cause = NULL;
        cr_assert_eq(edit_decode(rec, len, EDIT_VERIFY, &e, &cause), 0, "record %zu: %s", i,
                     cause ? cause : "");
        cr_assert_eq(e->author[0], repo_key(r)->pk[0]);
        edit_free(&e);
        total += len;
        buf_free(&b);
    }
    cr_assert_gt(total, 0);
    /* the same after reopening: the bytes come from the log */
    repo_close(&s_repo);
    r = s_repo = s_open();
    cr_assert_eq(repo_edit_count(r), n);
    for (size_t i = 0; i < n; i++) {
        buf_t b = {0};
        cr_assert_eq(repo_read(r, i, &b), 0);
        cr_assert_eq(b.len, repo_record_len(r, i));
        uint8_t id[32];
        store_hash(b.data, b.len, id);
        cr_assert(memcmp(id, repo_record_id(r, i), 32) == 0, "record %zu after reopen", i);
        buf_free(&b);
    }
}

typedef struct {
    repo_t *r;
    size_t next;  /* index expected next */
    size_t stop;  /* stop (return 7) after this many calls; 0: never */
} s_scan_t;

static int s_scan_one(void *ctx, size_t i, const uint8_t *data, size_t len)
{
    s_scan_t *s = ctx;
    cr_assert_eq(i, s->next, "records in store order, each once");
    s->next++;
    cr_assert_eq(len, repo_record_len(s->r, i));
    uint8_t id[32];
    store_hash(data, len, id);
    cr_assert(memcmp(id, repo_record_id(s->r, i), 32) == 0, "record %zu: bytes match its id", i);
    buf_t b = {0};
    cr_assert_eq(repo_read(s->r, i, &b), 0);
    cr_assert(b.len == len && memcmp(b.data, data, len) == 0, "scan and read agree on %zu", i);
    buf_free(&b);
    return s->stop && s->next == s->stop ? 7 : 0;
}

Test(repo, scan_visits_every_record_once_in_store_order)
{
    repo_t *r = s_home();
    s_scan_t s = {r, 0, 0};
    char *cause = NULL;
    cr_assert_eq(repo_scan(r, s_scan_one, &s, &cause), 0, "an empty store");
    cr_assert_eq(s.next, 0);
    s_fill(r);
    cr_assert_eq(repo_scan(r, s_scan_one, &s, &cause), 0, "%s", cause ? cause : "");
    cr_assert_eq(s.next, repo_edit_count(r), "every record visited");
    /* fn's non-zero value stops the scan and is returned */
    s = (s_scan_t){r, 0, 3};
    cr_assert_eq(repo_scan(r, s_scan_one, &s, &cause), 7);
    cr_assert_eq(s.next, 3);
    /* records added since are scanned too */
    s_edit(r, REC_BULLETIN, s_ids[S_NOTICE], fx_fields("title", pv_str("Update"), NULL), NULL);
    s = (s_scan_t){r, 0, 0};
    cr_assert_eq(repo_scan(r, s_scan_one, &s, &cause), 0);
    cr_assert_eq(s.next, S_FILL_EDITS + 1);
}

/* ---- peek -------------------------------------------------------------- */

Test(repo, peek_gives_the_state_of_repo_entity_at_and_changes_nothing)
{
    repo_t *r = s_home();
    s_fill(r);
    repo_close(&s_repo); /* reopened: no state cached yet */
    r = s_repo = s_open();
    size_t n = repo_entity_count(r);
    cr_assert_eq(n, S_NENTS);
    /* first peeks: merged into scratch entries, each equal to a merge of
     * the entity's history */
    buf_t *peeked = xcalloc(n, sizeof *peeked);
    for (size_t i = 0; i < n; i++) {
        const entity_t *p = repo_entity_peek(r, i);
        entity_t ref;
        s_reference(r, i, &ref);
        cr_assert(s_same_state(p, &ref), "peek of entity %zu differs from its history's merge", i);
        entity_clear(&ref);
        s_state_bytes(p, &peeked[i]);
    }
    /* peeked states stay valid for 7 more peeks */
    const entity_t *held[S_NENTS];
    for (size_t i = 0; i < n; i++)
        held[i] = repo_entity_peek(r, i);
    for (size_t i = 0; i < n; i++) {
        buf_t b = {0};
        s_state_bytes(held[i], &b);
        cr_expect(b.len == peeked[i].len && memcmp(b.data, peeked[i].data, b.len) == 0,
                  "peek %zu changed by the peeks after it", i);
        buf_free(&b);
    }
    /* repo_entity_at afterwards: the same states */
    size_t m;
    buf_t *at = s_states(r, &m);
    cr_assert_eq(m, n);
    for (size_t i = 0; i < n; i++)
        cr_expect(at[i].len == peeked[i].len && memcmp(at[i].data, peeked[i].data, at[i].len) == 0,
                  "entity %zu: repo_entity_at differs from the peek before it", i);
    /* a cached state is what peek returns; more peeks leave it as it was */
    const entity_t *cached[S_NENTS];
    for (size_t i = 0; i < n; i++)
        cached[i] = repo_entity_at(r, i);
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < n; i++)
            cr_expect_eq(repo_entity_peek(r, i), cached[i], "entity %zu: peek of a cached state", i);
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(repo_entity_at(r, i), cached[i], "entity %zu: still cached", i);
        buf_t b = {0};
        s_state_bytes(cached[i], &b);
        cr_expect(b.len == at[i].len && memcmp(b.data, at[i].data, b.len) == 0,
                  "entity %zu changed by peeks", i);
        buf_free(&b);
    }
    cr_expect_null(repo_entity_peek(r, n), "out of range");
    cr_expect_null(repo_entity_at(r, n), "out of range");
    /* named ones agree too */
    cr_expect_str_eq(pv_get_str(repo_entity_peek(r, (size_t)s_at(r, s_ids[S_PLACE]))->fields,
                                "status"),
                     "open");
    cr_expect(entity_deleted(repo_entity_peek(r, (size_t)s_at(r, s_ids[S_GONE]))));
    const entity_t *need = repo_entity_peek(r, (size_t)s_at(r, s_ids[S_NEED]));
    cr_expect(need->claimed);
    cr_expect(memcmp(need->claimer, repo_key(r)->pk, 32) == 0);
    cr_expect_null(pv_map_get(repo_entity_peek(r, (size_t)s_at(r, s_ids[S_NEED2]))->fields,
                              "urgency"));
    s_states_free(at, n);
    s_states_free(peeked, n);
}

Test(repo, peek_after_an_edit_gives_the_new_state)
{
    repo_t *r = s_home();
    s_fill(r);
    size_t i = (size_t)s_at(r, s_ids[S_OFFER]);
    cr_expect_eq(pv_get_int(repo_entity_peek(r, i)->fields, "capacity", -1), 5, "not cached");
    s_edit(r, REC_OFFER, s_ids[S_OFFER], fx_fields("capacity", pv_int(6), NULL), NULL);
    cr_expect_eq(pv_get_int(repo_entity_peek(r, i)->fields, "capacity", -1), 6);
    cr_expect_eq(pv_get_int(repo_entity_at(r, i)->fields, "capacity", -1), 6, "cached");
    s_edit(r, REC_OFFER, s_ids[S_OFFER], fx_fields("capacity", pv_int(7), NULL), NULL);
    cr_expect_eq(pv_get_int(repo_entity_peek(r, i)->fields, "capacity", -1), 7,
                 "a cached state re-merged after an edit");
    cr_expect_eq(repo_entity_peek(r, i)->edits, 4);
}

/* ---- versions ---------------------------------------------------------- */

Test(repo, version_changes_with_an_edit_of_that_entity_only)
{
    repo_t *r = s_home();
    s_fill(r);
    size_t n = repo_entity_count(r);
    uint64_t v[S_NENTS + 1];
    for (size_t i = 0; i < n; i++)
        v[i] = repo_entity_version(r, i);
    /* reading states does not change versions */
    size_t m;
    buf_t *all = s_states(r, &m);
    s_states_free(all, m);
    for (size_t i = 0; i < n; i++)
        (void)repo_entity_peek(r, i);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(repo_entity_version(r, i), v[i], "entity %zu: read, not changed", i);

    size_t place = (size_t)s_at(r, s_ids[S_PLACE]);
    s_edit(r, REC_PLACE, s_ids[S_PLACE], fx_fields("capacity", pv_int(30), NULL), NULL);
    for (size_t i = 0; i < n; i++) {
        if (i == place)
            cr_expect_neq(repo_entity_version(r, i), v[i], "the edited entity");
        else
            cr_expect_eq(repo_entity_version(r, i), v[i], "entity %zu: not edited", i);
    }
    v[place] = repo_entity_version(r, place);
    /* an edit that changes no field still counts as a change */
    s_edit(r, REC_PLACE, s_ids[S_PLACE], fx_fields("capacity", pv_int(30), NULL), NULL);
    cr_expect_neq(repo_entity_version(r, place), v[place]);
    v[place] = repo_entity_version(r, place);
    /* a new entity leaves the others' versions alone */
    uint8_t id[32];
    s_edit(r, REC_BULLETIN, NULL, fx_fields("title", pv_str("New"), "body", pv_str("text"), NULL), id);
    cr_assert_eq(repo_entity_count(r), n + 1);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(repo_entity_version(r, i), v[i], "entity %zu after a new entity", i);
    v[n] = repo_entity_version(r, n);
    (void)repo_entity_at(r, n);
    s_edit(r, REC_BULLETIN, id, fx_fields("body", pv_str("more text"), NULL), NULL);
    cr_expect_neq(repo_entity_version(r, n), v[n]);
    cr_expect_str_eq(pv_get_str(repo_entity_at(r, n)->fields, "body"), "more text");
    /* outside a mesh no merge reads another record: the offer of the
     * place kept its version through the place's edits */
    size_t io = (size_t)s_at(r, s_ids[S_OFFER]);
    cr_expect_eq(repo_entity_version(r, io), v[io]);
}

Test(repo, version_of_an_offer_changes_when_its_provider_place_changes)
{
    repo_t *r = s_mesh_home();
    uint8_t place[32], offer[32], notice[32];
    memset(place, 0xa1, 32);
    memset(offer, 0xa2, 32);
    memset(notice, 0xa3, 32);
    /* N's place, M may edit it; so M may offer help on its behalf */
    fx_put(r, REC_PLACE, place, &N, H(10), s_place_of("N's food bank", &M));
    fx_put(r, REC_OFFER, offer, &M, H(11), s_offer_of(place));
    fx_put(r, REC_BULLETIN, notice, &M, H(12),
          fx_fields("title", pv_str("Notice"), "body", pv_str("text"), NULL));
    size_t io = (size_t)s_at(r, offer), ip = (size_t)s_at(r, place), ib = (size_t)s_at(r, notice);
    const entity_t *o = repo_entity_at(r, io); /* its merge reads the place */
    cr_assert_eq(o->edits, 1, "M edits the provider: the offer counts");
    cr_assert_eq(o->denied, 0);
    uint64_t vo = repo_entity_version(r, io), vp = repo_entity_version(r, ip),
             vb = repo_entity_version(r, ib);

    /* N takes M off the place's editors: the offer no longer counts */
    fx_put(r, REC_PLACE, place, &N, H(20), fx_fields("editors", fx_list1(N.hex), NULL));
    cr_expect_neq(repo_entity_version(r, ip), vp, "the edited place");
    cr_expect_neq(repo_entity_version(r, io), vo, "the offer whose merge read the place");
    cr_expect_eq(repo_entity_version(r, ib), vb, "an unrelated record");
    o = repo_entity_at(r, io);
    cr_expect_eq(o->edits, 0);
    cr_expect_eq(o->denied, 1);
    cr_expect(entity_deleted(o), "an offer no edit of counts is hidden");
    cr_expect(s_same_state(repo_entity_peek(r, io), o));

    /* merged by a peek only (reopened: nothing cached): the dependency is
     * recorded too */
    repo_close(&s_repo);
    r = s_repo = s_open();
    repo_set_mesh(r, F.pk);
    vo = repo_entity_version(r, io);
    vb = repo_entity_version(r, ib);
    cr_expect(entity_deleted(repo_entity_peek(r, io)), "after reopening");
    fx_put(r, REC_PLACE, place, &N, H(30), fx_fields("editors", fx_list1(M.hex), NULL));
    cr_expect_neq(repo_entity_version(r, io), vo, "an offer merged by repo_entity_peek");
    cr_expect_eq(repo_entity_version(r, ib), vb);
    cr_expect(!entity_deleted(repo_entity_peek(r, io)), "M is an editor again");
    cr_expect_eq(repo_entity_at(r, io)->edits, 1);

    /* an edit of the offer leaves the place's version alone */
    vp = repo_entity_version(r, ip);
    vo = repo_entity_version(r, io);
    fx_put(r, REC_OFFER, offer, &M, H(31), fx_fields("capacity", pv_int(3), NULL));
    cr_expect_neq(repo_entity_version(r, io), vo);
    cr_expect_eq(repo_entity_version(r, ip), vp);
}

Test(repo, version_changes_when_a_missing_provider_arrives)
{
    repo_t *r = s_mesh_home();
    uint8_t place[32], offer[32];
    memset(place, 0xb1, 32);
    memset(offer, 0xb2, 32);
    fx_put(r, REC_OFFER, offer, &M, H(11), s_offer_of(place)); /* the place is not here yet */
    size_t io = (size_t)s_at(r, offer);
    cr_expect(entity_deleted(repo_entity_peek(r, io)), "no provider: the offer does not count");
    uint64_t vo = repo_entity_version(r, io);
    fx_put(r, REC_PLACE, place, &N, H(10), s_place_of("late place", &M));
    cr_expect_neq(repo_entity_version(r, io), vo, "the place its merge looked for arrived");
    cr_expect(!entity_deleted(repo_entity_peek(r, io)));
    cr_expect_eq(repo_entity_at(r, io)->edits, 1);
}

Test(repo, version_of_every_entity_changes_with_membership)
{
    repo_t *r = s_mesh_home();
    uint8_t place[32];
    memset(place, 0xc1, 32);
    fx_put(r, REC_PLACE, place, &X, H(10), s_place_of("X's place", NULL));
    size_t ip = (size_t)s_at(r, place), n = repo_entity_count(r);
    cr_expect(entity_deleted(repo_entity_at(r, ip)), "X is no member yet");
    uint64_t v[8];
    cr_assert_leq(n, 8);
    for (size_t i = 0; i < n; i++)
        v[i] = repo_entity_version(r, i);
    fx_put(r, REC_MEMBER, X.pk, &F, H(5), s_role("member"));
    for (size_t i = 0; i < n; i++)
        cr_expect_neq(repo_entity_version(r, i), v[i], "entity %zu: membership changed", i);
    cr_expect(!entity_deleted(repo_entity_at(r, ip)), "X was a member at H(10)");
    cr_expect(!entity_deleted(repo_entity_peek(r, ip)));
}

/* ---- trim -------------------------------------------------------------- */

Test(repo, trim_of_a_small_repo_keeps_every_state)
{
    repo_t *r = s_home();
    s_fill(r);
    size_t n;
    buf_t *want = s_states(r, &n);
    const entity_t *cached[S_NENTS];
    for (size_t i = 0; i < n; i++)
        cached[i] = repo_entity_at(r, i);
    repo_trim(r);
    repo_trim(r);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(repo_entity_peek(r, i), cached[i], "entity %zu: few states, kept cached", i);
    s_expect_states(r, want, n, "after trim");
    /* edits after a trim merge as before */
    s_edit(r, REC_PLACE, s_ids[S_PLACE], fx_fields("capacity", pv_int(99), NULL), NULL);
    repo_trim(r);
    size_t ip = (size_t)s_at(r, s_ids[S_PLACE]);
    cr_expect_eq(pv_get_int(repo_entity_at(r, ip)->fields, "capacity", -1), 99);
    entity_t ref;
    s_reference(r, ip, &ref);
    cr_expect(s_same_state(repo_entity_at(r, ip), &ref));
    entity_clear(&ref);
    s_states_free(want, n);
}

/* More entities than repo_trim keeps cached, stored with one group commit:
 * bulletins signed by M (outside a mesh every edit counts). */
#define S_MANY (S_CACHE_MAX + 200)

Test(repo, trim_over_the_limit_drops_states_that_then_merge_again_equal)
{
    repo_t *r = s_home();
    s_fill(r);
    buf_t *w = xcalloc(S_MANY, sizeof *w);
    store_rec_t *recs = xcalloc(S_MANY, sizeof *recs);
    for (size_t i = 0; i < S_MANY; i++) {
        uint8_t ent[32] = {0x77};
        memcpy(ent + 1, &i, sizeof i);
        char body[32];
        snprintf(body, sizeof body, "notice %zu", i);
        fx_sign(REC_BULLETIN, ent, &M, H(100 + i),
               fx_fields("title", pv_str("Notice"), "body", pv_str(body), NULL), &w[i]);
        recs[i] = (store_rec_t){w[i].data, w[i].len};
    }
    uint8_t *added = xcalloc(S_MANY, 1);
    char *cause = NULL;
    cr_assert_eq(repo_ingest_many(r, recs, S_MANY, added, &cause), S_MANY, "%s",
                 cause ? cause : "");
    free(added);
    for (size_t i = 0; i < S_MANY; i++)
        buf_free(&w[i]);
    free(w);
    free(recs);
    size_t n = repo_entity_count(r);
    cr_assert_eq(n, S_NENTS + S_MANY);

    buf_t *want = s_states(r, &n); /* caches every state */
    const entity_t *coal = repo_entity_at(r, (size_t)s_at(r, s_ids[S_COAL]));
    const entity_t *me = repo_entity_at(r, (size_t)s_at(r, s_ids[S_ME]));
    size_t ip = (size_t)s_at(r, s_ids[S_PLACE]), last = n - 1;
    cr_assert_eq(repo_entity_peek(r, ip), repo_entity_at(r, ip), "cached before the trim");
    repo_trim(r);
    /* kept: coalitions and members (the same cached state); dropped: the
     * rest, which peek now merges into scratch entries */
    cr_expect_eq(repo_entity_peek(r, (size_t)s_at(r, s_ids[S_COAL])), coal, "coalition kept");
    cr_expect_eq(repo_entity_peek(r, (size_t)s_at(r, s_ids[S_ME])), me, "member kept");
    for (size_t i = 0; i < n; i += n / 64) {
        if (i == (size_t)s_at(r, s_ids[S_COAL]) || i == (size_t)s_at(r, s_ids[S_ME]))
            continue;
        const entity_t *a = repo_entity_peek(r, i), *b = repo_entity_peek(r, i);
        cr_expect_neq(a, b, "entity %zu: not cached after the trim", i);
    }
    cr_expect_neq(repo_entity_peek(r, last), repo_entity_peek(r, last));
    /* every state merges again to what it was */
    s_expect_states(r, want, n, "after trim");
    char body[32];
    snprintf(body, sizeof body, "notice %d", S_MANY - 1);
    cr_expect_str_eq(pv_get_str(repo_entity_at(r, last)->fields, "body"), body);
    /* a second trim, after an edit, is just as safe */
    s_edit(r, REC_PLACE, s_ids[S_PLACE], fx_fields("capacity", pv_int(99), NULL), NULL);
    s_state_bytes(repo_entity_at(r, ip), &want[ip]);
    repo_trim(r);
    s_expect_states(r, want, n, "after a second trim");
    cr_expect_eq(pv_get_int(repo_entity_at(r, ip)->fields, "capacity", -1), 99);
    s_states_free(want, n);
}

/* ---- reopen ------------------------------------------------------------ */

Test(repo, reopen_keeps_counts_records_and_merged_states)
{
    repo_t *r = s_home();
    s_fill(r);
    size_t edits = repo_edit_count(r), n;
    buf_t *want = s_states(r, &n);
    uint8_t (*rid)[32] = xmalloc(edits * 32);
    for (size_t i = 0; i < edits; i++)
        memcpy(rid[i], repo_record_id(r, i), 32);
    uint8_t (*eid)[32] = xmalloc(n * 32);
    unsigned kinds[S_NENTS];
    for (size_t i = 0; i < n; i++) {
        memcpy(eid[i], repo_entity_id(r, i), 32);
        kinds[i] = repo_entity_kinds(r, i);
    }
    repo_close(&s_repo);
    cr_assert_null(s_repo);
    r = s_repo = s_open();
    cr_assert_eq(repo_edit_count(r), edits);
    cr_assert_eq(repo_entity_count(r), n);
    for (size_t i = 0; i < edits; i++)
        cr_expect(memcmp(repo_record_id(r, i), rid[i], 32) == 0, "record %zu", i);
    for (size_t i = 0; i < n; i++) {
        cr_expect(memcmp(repo_entity_id(r, i), eid[i], 32) == 0, "entity %zu: first-seen order", i);
        cr_expect_eq(repo_entity_kinds(r, i), kinds[i]);
    }
    /* peeks first (nothing cached), then the cached states */
    buf_t b = {0};
    for (size_t i = 0; i < n; i++) {
        s_state_bytes(repo_entity_peek(r, i), &b);
        cr_expect(b.len == want[i].len && memcmp(b.data, want[i].data, b.len) == 0,
                  "entity %zu: peek after reopen", i);
    }
    buf_free(&b);
    s_expect_states(r, want, n, "after reopen");
    /* and it takes new edits as before */
    s_edit(r, REC_NEED, s_ids[S_NEED], fx_fields("status", pv_str("done"), NULL), NULL);
    cr_expect_str_eq(pv_get_str(repo_entity(r, s_ids[S_NEED])->fields, "status"), "done");
    cr_expect_eq(repo_edit_count(r), edits + 1);
    free(rid);
    free(eid);
    s_states_free(want, n);
}

/* ---- invalidation reaches every record a change can affect ------------- */

/* Need X is addressed to Y, whose first edit is an offer for place C (not
 * counted at first: its author does not act for C) and whose second makes
 * it a coalition coordinated by N, so N may mark X done. When C's creator
 * makes the offer's author an editor of C, Y's first edit counts, Y is an
 * offer, and N's edit of X no longer may: a change two look-ups away. */
Test(repo, a_change_two_lookups_away_re_merges_and_bumps_the_version)
{
    repo_t *r = s_mesh_home();
    fx_put(r, REC_MEMBER, N.pk, &F, H(3), s_role("coordinator"));
    uint8_t C[32], Y[32], Xn[32];
    randombytes_buf(C, 32);
    randombytes_buf(Y, 32);
    randombytes_buf(Xn, 32);
    fx_put(r, REC_PLACE, C, &N, H(10), s_place_of("Place C", NULL));
    fx_put(r, REC_OFFER, Y, &M, H(11), s_offer_of(C));
    fx_put(r, REC_COALITION, Y, &M, H(12),
          fx_fields("name", pv_str("Coalition Y"), "coordinators", fx_list1(N.hex), NULL));
    fx_put(r, REC_NEED, Xn, &M, H(13),
          fx_fields("category", pv_str("food"), "summary", pv_str("bread"), "coalition", fx_hexid(Y), NULL));
    fx_put(r, REC_NEED, Xn, &N, H(14), fx_fields("status", pv_str("done"), NULL));
    const entity_t *x = repo_entity(r, Xn);
    cr_assert_str_eq(pv_get_str(x->fields, "status"), "done");
    cr_assert_eq(x->denied, 0);
    uint64_t v0 = repo_entity_version(r, (size_t)s_at(r, Xn));

    fx_put(r, REC_PLACE, C, &N, H(15), fx_fields("editors", fx_list1(M.hex), NULL));
    cr_assert_eq(repo_entity(r, Y)->kind, REC_OFFER, "Y's first edit should count now");
    cr_assert_neq(repo_entity_version(r, (size_t)s_at(r, Xn)), v0,
                  "the need's version must change: what it reads changed");
    x = repo_entity(r, Xn);
    cr_assert_null(pv_get_str(x->fields, "status"), "N's edit must no longer count");
    cr_assert_eq(x->denied, 1);

    /* and a fresh open agrees */
    repo_close(&s_repo);
    r = s_repo = s_open();
    repo_set_mesh(r, F.pk);
    x = repo_entity(r, Xn);
    cr_assert_null(pv_get_str(x->fields, "status"));
    cr_assert_eq(x->denied, 1);
}

/* Scans merge without caching, so the same merges repeat; the lists of
 * who read what must not grow with every scan. */
Test(repo, repeated_scans_do_not_grow_reader_or_orphan_lists)
{
    repo_t *r = s_mesh_home();
    uint8_t P[32], missing[32];
    randombytes_buf(P, 32);
    randombytes_buf(missing, 32);
    fx_put(r, REC_PLACE, P, &M, H(10), s_place_of("Place", NULL));
    for (int i = 0; i < 3; i++) {
        uint8_t o[32];
        randombytes_buf(o, 32);
        fx_put(r, REC_OFFER, o, &M, H(11 + i), s_offer_of(P));
        randombytes_buf(o, 32);
        fx_put(r, REC_OFFER, o, &N, H(21 + i), s_offer_of(missing)); /* an orphan */
    }
    repo_stats_t st;
    for (int round = 0; round < 500; round++)
        for (size_t i = 0; i < repo_entity_count(r); i++)
            (void)repo_entity_peek(r, i);
    repo_stats(r, &st);
    cr_assert_leq(st.deps, 8, "reader registrations grew to %zu after 500 scans", st.deps);
    cr_assert_leq(st.orphans, 8, "orphans grew to %zu after 500 scans", st.orphans);
}

/* The facts table belongs to one open repo: a repo opened later (maybe
 * at the same address) gets its own facts. */
Test(repo, facts_table_is_not_shared_by_repos_opened_in_turn)
{
    repo_t *r = s_home();
    s_edit(r, REC_PLACE, NULL, s_place_of("Place", NULL), NULL);
    const match_fact_t *fa = match_facts(r, 1u << REC_PLACE);
    cr_assert_eq(fa[0].kind, REC_PLACE);
    repo_close(&s_repo);
    /* a second home with a need as its first entity */
    char *other = xasprintf("%s/other", s_root);
    char *cause = NULL;
    cr_assert_eq(home_init(other, "other", NULL, &cause), 0, "%s", cause ? cause : "");
    repo_t *r2 = NULL;
    cr_assert_eq(repo_open(other, &r2, &cause), 0, "%s", cause ? cause : "");
    pv_t *f = fx_fields("category", pv_str("food"), "summary", pv_str("bread"), NULL);
    cr_assert_eq(repo_edit(r2, REC_NEED, NULL, f, NULL, &cause), 0, "%s", cause ? cause : "");
    pv_free(&f);
    fa = match_facts(r2, 1u << REC_NEED);
    cr_assert_eq(fa[0].kind, REC_NEED, "facts of the first repo served for the second");
    repo_close(&r2);
    free(other);
}

/* Warming the facts table in slices (what an idle buurtd does) ends with
 * the same table a single match_facts builds, and says when it is done. */
Test(repo, facts_warmed_in_slices_match_a_full_build)
{
    repo_t *r = s_home();
    for (int i = 0; i < 7; i++) {
        char name[24];
        snprintf(name, sizeof name, "Place %d", i);
        s_edit(r, REC_PLACE, NULL, s_place_of(name, NULL), NULL);
    }
    unsigned all = (1u << REC__COUNT) - 1;
    int calls = 1;
    while (!match_facts_warm(r, all, 3))
        calls++;
    cr_assert_eq(calls, 3, "7 entities in slices of 3 took %d calls", calls);
    cr_assert(match_facts_warm(r, all, 3), "nothing is left once warm");
    size_t n = repo_entity_count(r);
    match_fact_t *warm = xmalloc(n * sizeof *warm);
    memcpy(warm, match_facts(r, all), n * sizeof *warm);
    for (size_t i = 0; i < n; i++) {
        cr_assert(warm[i].read, "entity %zu was not read while warming", i);
        cr_assert_eq(warm[i].kind, REC_PLACE);
        cr_assert_eq(warm[i].ver, repo_entity_version(r, i));
    }
    /* a new entity after warming: the next warm reads just that one */
    s_edit(r, REC_PLACE, NULL, s_place_of("Later", NULL), NULL);
    cr_assert(match_facts_warm(r, all, 1), "one new entity fits a slice of 1");
    cr_assert(match_facts(r, all)[n].read);
    free(warm);
}

/* ---- the clock bound (HLC_MAX_SKEW_MS) -------------------------------- */

/* The id of the record stored last. */
static const uint8_t *store_id_of_last(repo_t *r)
{
    return repo_record_id(r, repo_edit_count(r) - 1);
}

/* A home in F's mesh where this node (its own key) is an admin and M, N
 * members; F is not this node, so F's edits arrive as from a peer. */
static repo_t *s_admin_home(void)
{
    repo_t *r = s_mesh_home();
    fx_put(r, REC_MEMBER, repo_key(r)->pk, &F, H(3), s_role("admin"));
    return r;
}

/* Ingests one signed edit with repo_ingest_many; returns its fate. */
static int s_ingest_fate(repo_t *r, rec_kind_t kind, const uint8_t ent[32], const fx_key_t *k,
                         uint64_t hlc, pv_t *fields)
{
    buf_t w = {0};
    fx_sign(kind, ent, k, hlc, fields, &w);
    store_rec_t rec = {w.data, w.len};
    uint8_t fate = 0xff;
    char *cause = NULL;
    int rc = repo_ingest_many(r, &rec, 1, &fate, &cause);
    cr_assert_geq(rc, 0, "repo_ingest_many: %s", cause ? cause : "");
    buf_free(&w);
    return fate;
}

static uint64_t s_wall(void)
{
    return repo_wall_ms();
}

/* The clock of the newest edit of an entity. */
static uint64_t s_last_hlc(repo_t *r, const uint8_t id[32])
{
    edit_t **h = NULL;
    size_t n = repo_history(r, id, &h);
    cr_assert_gt(n, 0);
    uint64_t hlc = h[n - 1]->hlc;
    for (size_t i = 0; i < n; i++)
        edit_free(&h[i]);
    free(h);
    return hlc;
}

/* The attack of the hardening issue: one validly signed edit at clock
 * 2^63-2 used to become every node's clock, so the next local edit
 * overflowed ("clock value out of range"), even the revocation of its
 * author. It is held instead: not counted, and writing goes on. */
Test(repo, a_far_future_edit_is_held_and_writing_and_revoking_go_on)
{
    repo_t *r = s_admin_home();
    uint8_t p[32] = {0xaa};
    int fate = s_ingest_fate(r, REC_PLACE, p, &M, (uint64_t)INT64_MAX - 1,
                             s_place_of("Tomorrow forever", NULL));
    cr_assert_eq(fate, REPO_HELD, "fate %d, want held", fate);
    cr_assert_eq(repo_held_count(r), 1);
    cr_assert_null(repo_entity(r, p), "a held edit must not be merged");
    long idx = repo_find_record(r, store_id_of_last(r));
    cr_assert(repo_is_held(r, (size_t)idx), "the record is stored and marked held");

    uint8_t q[32];
    s_edit(r, REC_PLACE, NULL, s_place_of("Buurthuis", NULL), q);
    uint64_t hlc = s_last_hlc(r, q);
    cr_assert_leq(hlc, hlc_ceiling(s_wall() + 1000), "own clock ran ahead: %" PRIu64, hlc);

    s_edit(r, REC_MEMBER, M.pk, fx_fields("revoked", pv_bool(true), NULL), NULL);
    const members_t *m = repo_members(r);
    cr_assert_not(members_active(m, M.pk), "the admin revoked the attacker");

    /* the same after reopening: held again, the clock sane */
    repo_close(&s_repo);
    s_repo = r = s_open();
    cr_assert_eq(repo_held_count(r), 1);
    cr_assert_null(repo_entity(r, p));
    s_edit(r, REC_PLACE, q, fx_fields("status", pv_str("open"), NULL), NULL);
    cr_assert_leq(s_last_hlc(r, q), hlc_ceiling(s_wall() + 1000));
}

static size_t s_told;
static void s_count_new(void *ctx, size_t idx, const edit_head_t *h)
{
    (void)ctx;
    (void)idx;
    (void)h;
    s_told++;
}

/* An edit dated an hour ahead (an honest node whose clock is fast, or
 * this node's clock is slow) is not lost: it is held, stays held across a
 * reopen, and counts once the wall clock reaches it. Within the bound an
 * edit counts at once. */
Test(repo, an_edit_an_hour_ahead_counts_once_the_clock_gets_there)
{
    repo_t *r = s_admin_home();
    uint64_t now = s_wall();
    uint8_t near[32] = {0x01}, far[32] = {0x02};
    cr_assert_eq(s_ingest_fate(r, REC_PLACE, near, &M, (now + HLC_MAX_SKEW_MS / 2) << 16,
                               s_place_of("Near", NULL)), REPO_ADDED);
    cr_assert_not_null(repo_entity(r, near));
    cr_assert_eq(s_ingest_fate(r, REC_PLACE, far, &M, (now + 3600000) << 16,
                               s_place_of("Far", NULL)), REPO_HELD);
    repo_close(&s_repo);
    s_repo = r = s_open();
    cr_assert_eq(repo_held_count(r), 1);
    cr_assert_null(repo_entity(r, far));
    repo_set_listener(r, s_count_new, NULL);
    s_told = 0;
    cr_assert_eq(repo_release_held(r, now + 1000), 0, "not due yet");
    cr_assert_eq(repo_release_held(r, now + 3600000 - HLC_MAX_SKEW_MS + 1000), 1);
    cr_assert_eq(s_told, 1, "the listener hears of the released edit");
    cr_assert_eq(repo_held_count(r), 0);
    const entity_t *e = repo_entity(r, far);
    cr_assert_not_null(e);
    cr_assert_str_eq(pv_get_str(e->fields, "name"), "Far");
}

/* One author cannot fill the node with held edits. */
Test(repo, held_edits_are_capped_per_author)
{
    repo_t *r = s_admin_home();
    uint64_t t = (s_wall() + 86400000) << 16;
    size_t held = 0, refused = 0;
    for (int i = 0; i < REPO_HELD_PER_AUTHOR + 10; i++) {
        uint8_t e[32] = {0x30, (uint8_t)i, (uint8_t)(i >> 8)};
        int fate = s_ingest_fate(r, REC_PLACE, e, &M, t + (uint64_t)i, s_place_of("x", NULL));
        held += fate == REPO_HELD;
        refused += fate == REPO_REFUSED;
    }
    cr_assert_eq(held, REPO_HELD_PER_AUTHOR);
    cr_assert_eq(refused, 10);
    /* another author still has room */
    uint8_t e[32] = {0x31};
    cr_assert_eq(s_ingest_fate(r, REC_PLACE, e, &N, t, s_place_of("y", NULL)), REPO_HELD);
}

/* An admin's void declaration removes a far-future edit everywhere it is
 * applied and refuses it later, but cannot remove an edit that was not
 * from the future when the declaration was made. */
Test(repo, a_void_declaration_removes_future_edits_only)
{
    repo_t *r = s_admin_home();
    uint8_t fut[32] = {0x41}, past[32] = {0x42};
    cr_assert_eq(s_ingest_fate(r, REC_PLACE, fut, &M, (uint64_t)INT64_MAX - 1,
                               s_place_of("Future", NULL)), REPO_HELD);
    uint8_t fut_id[32], past_id[32];
    memcpy(fut_id, store_id_of_last(r), 32);
    cr_assert_eq(s_ingest_fate(r, REC_PLACE, past, &M, H(10), s_place_of("Past", NULL)), REPO_ADDED);
    memcpy(past_id, store_id_of_last(r), 32);
    size_t before = repo_edit_count(r);

    uint8_t settings[32];
    rec_mesh_settings_id(F.pk, settings);
    pv_t *l = pv_arr();
    pv_arr_push(l, fx_hexid(fut_id));
    pv_arr_push(l, fx_hexid(past_id));
    s_edit(r, REC_MESH, settings, fx_fields("void", l, NULL), NULL);
    size_t removed = 99;
    char *cause = NULL;
    cr_assert_eq(repo_apply_voids(r, &removed, &cause), 0, "%s", cause ? cause : "");
    cr_assert_eq(removed, 1, "removed %zu, want only the future edit", removed);
    cr_assert_eq(repo_edit_count(r), before, "one removed, the declaration added");
    cr_assert_lt(repo_find_record(r, fut_id), 0);
    cr_assert_geq(repo_find_record(r, past_id), 0, "the honest edit stays");
    cr_assert_not_null(repo_entity(r, past));
    cr_assert_eq(repo_held_count(r), 0);
    /* it never comes back */
    cr_assert_eq(s_ingest_fate(r, REC_PLACE, fut, &M, (uint64_t)INT64_MAX - 1,
                               s_place_of("Future", NULL)), REPO_VOID);
    cr_assert_lt(repo_find_record(r, fut_id), 0);
    repo_close(&s_repo);
    s_repo = r = s_open();
    cr_assert_lt(repo_find_record(r, fut_id), 0);
}

/* A void declaration by a plain member counts for nothing. */
Test(repo, a_void_declaration_by_a_member_is_ignored)
{
    repo_t *r = s_admin_home();
    uint8_t fut[32] = {0x51};
    cr_assert_eq(s_ingest_fate(r, REC_PLACE, fut, &M, (uint64_t)INT64_MAX - 1,
                               s_place_of("Future", NULL)), REPO_HELD);
    uint8_t fut_id[32], settings[32];
    memcpy(fut_id, store_id_of_last(r), 32);
    rec_mesh_settings_id(F.pk, settings);
    pv_t *l = pv_arr();
    pv_arr_push(l, fx_hexid(fut_id));
    cr_assert_eq(s_ingest_fate(r, REC_MESH, settings, &N, H(20), fx_fields("void", l, NULL)), REPO_ADDED);
    size_t removed = 99;
    cr_assert_eq(repo_apply_voids(r, &removed, NULL), 0);
    cr_assert_eq(removed, 0);
    cr_assert_geq(repo_find_record(r, fut_id), 0);
}

/* ---- creator-bound ids (issue 9.3, docs/protocol.md §7.6) -------------- */

/* How many boxes of the keys records open for k: what k could read. */
static size_t s_boxes_for(repo_t *r, const fx_key_t *k)
{
    uint8_t cpk[32], csk[32];
    cr_assert_eq(crypto_sign_ed25519_pk_to_curve25519(cpk, k->pk), 0);
    cr_assert_eq(crypto_sign_ed25519_sk_to_curve25519(csk, k->sk), 0);
    size_t opened = 0;
    for (size_t i = 0; i < repo_entity_count(r); i++) {
        const entity_t *e = repo_entity_at(r, i);
        if (e->kind != REC_KEYS)
            continue;
        const pv_t *boxes = pv_map_get(e->fields, "boxes");
        for (size_t b = 0; boxes && b < boxes->u.a.n; b++) {
            uint8_t coal[32], (*ks)[32] = NULL;
            size_t nk = 0;
            if (seal_keys_open(boxes->u.a.items[b], cpk, csk, coal, &ks, &nk) == 0)
                opened++;
            free(ks);
        }
    }
    return opened;
}

Test(repo, new_records_get_ids_bound_to_their_creating_edit)
{
    repo_t *r = s_home();
    uint8_t id[32];
    s_edit(r, REC_PLACE, NULL, s_place_of("Buurthuis", NULL), id);
    const entity_t *e = repo_entity(r, id);
    cr_assert_not_null(e);
    cr_assert(e->bound, "the id is bound to the creating edit");
    cr_assert(edit_binds(id, repo_key(r)->pk, e->created));
    cr_assert(memcmp(e->creator, repo_key(r)->pk, 32) == 0);
}

Test(repo, a_backdated_edit_does_not_make_a_member_the_creator_or_a_reader_of_a_private_coalition)
{
    repo_t *r = s_admin_home();
    /* this node creates a private coalition read by itself and N */
    uint8_t id[32];
    pv_t *nodes = pv_arr();
    pv_arr_push(nodes, pv_str(N.hex));
    pv_t *f = fx_fields("name", pv_str("Stille hulp"), "private", pv_bool(true), "nodes", nodes, NULL);
    char *cause = NULL;
    cr_assert_eq(private_create(r, f, id, &cause), 0, "%s", cause ? cause : "");
    pv_free(&f);
    const entity_t *e = repo_entity(r, id);
    cr_assert_not_null(e);
    cr_assert(e->bound);
    uint64_t created = e->created;
    cr_assert_eq(s_boxes_for(r, &M), 0, "M is no reader");
    cr_assert_eq(s_boxes_for(r, &N), 1);
    /* M, a member but no reader, dates a plain coalition edit of the same
     * id just before its creation to become its merged creator */
    fx_put(r, REC_COALITION, id, &M, created - 1, fx_fields("name", pv_str("mine now"), NULL));
    e = repo_entity(r, id);
    cr_assert(memcmp(e->creator, repo_key(r)->pk, 32) == 0, "the creator stays the one the id names");
    cr_assert_eq(e->created, created);
    cr_assert_str_eq(pv_get_str(e->fields, "name"), "Stille hulp", "the backdated edit counts for nothing");
    cr_assert_geq(e->denied, 1);
    /* the creator removes N: the new key goes to the readers, never to M */
    f = fx_fields("nodes", pv_nil(), NULL);
    cr_assert_eq(repo_edit(r, REC_COALITION, id, f, NULL, &cause), 0, "%s", cause ? cause : "");
    cr_assert_eq(private_after_edit(r, id, f, &cause), 0, "%s", cause ? cause : "");
    pv_free(&f);
    cr_assert_eq(s_boxes_for(r, &M), 0, "no key of the coalition is sealed to M");
    uint8_t coal[32];
    cr_assert(repo_private_of(r, id, coal), "the creator still reads its coalition");
}

/* ---- quotas (issue 9.7) ------------------------------------------------ */

#define S_HOUR (UINT64_C(3600000) << 16)

/* n new places by k at clock t, t+1, ...; returns how many were added. */
static int s_flood(repo_t *r, const fx_key_t *k, uint64_t t, int n, uint8_t tag, int *quota)
{
    int added = 0;
    for (int i = 0; i < n; i++) {
        uint8_t e[32] = {tag, (uint8_t)i, (uint8_t)(i >> 8)};
        int fate = s_ingest_fate(r, REC_PLACE, e, k, t + (uint64_t)i, s_place_of("x", NULL));
        added += fate == REPO_ADDED;
        *quota += fate == REPO_QUOTA;
    }
    return added;
}

Test(repo, a_member_over_its_quota_is_refused_and_an_admin_is_not)
{
    repo_t *r = s_admin_home();
    uint8_t settings[32];
    rec_mesh_settings_id(F.pk, settings);
    fx_put(r, REC_MESH, settings, &F, H(5),
          fx_fields("member_edits_per_hour", pv_int(5), "member_edits_max", pv_int(8), NULL));
    quota_limits_t lim;
    repo_quota_limits(r, &lim);
    cr_assert_eq(lim.per_hour, 5);
    cr_assert_eq(lim.total, 8);
    int q = 0;
    uint64_t t = H(100);
    cr_assert_eq(s_flood(r, &M, t, 7, 0x40, &q), 5, "5 per hour of M's clock");
    cr_assert_eq(q, 2);
    q = 0;
    cr_assert_eq(s_flood(r, &M, t + S_HOUR, 7, 0x41, &q), 3, "the next hour: up to 8 in all");
    cr_assert_eq(q, 4);
    q = 0;
    cr_assert_eq(s_flood(r, &F, t, 20, 0x42, &q), 20, "an admin has no quota");
    cr_assert_eq(q, 0);
    q = 0;
    cr_assert_eq(s_flood(r, &N, t, 3, 0x43, &q), 3, "another member has its own");
    /* the counts are those of the store: the same after reopening */
    repo_close(&s_repo);
    r = s_repo = s_open();
    repo_set_mesh(r, F.pk); /* s_mesh_home's mesh is not in the config */
    q = 0;
    cr_assert_eq(s_flood(r, &M, t + 5 * S_HOUR, 1, 0x44, &q), 0);
    cr_assert_eq(q, 1, "still over its total after a restart");
    /* an admin raises the quota: M may write again */
    fx_put(r, REC_MESH, settings, &F, H(6), fx_fields("member_edits_max", pv_int(100), NULL));
    q = 0;
    cr_assert_eq(s_flood(r, &M, t + 6 * S_HOUR, 2, 0x45, &q), 2);
}

Test(repo, a_node_over_its_quota_cannot_edit_locally)
{
    repo_t *r = s_mesh_home();
    fx_put(r, REC_MEMBER, repo_key(r)->pk, &F, H(3), s_role("member"));
    uint8_t settings[32];
    rec_mesh_settings_id(F.pk, settings);
    fx_put(r, REC_MESH, settings, &F, H(5), fx_fields("member_edits_per_hour", pv_int(3), NULL));
    for (int i = 0; i < 3; i++)
        s_edit(r, REC_PLACE, NULL, s_place_of("mijn plek", NULL), NULL);
    char *cause = NULL;
    pv_t *f = s_place_of("nog een", NULL);
    int rc = repo_edit(r, REC_PLACE, NULL, f, NULL, &cause);
    pv_free(&f);
    cr_assert_eq(rc, BU_EPERM, "the 4th edit in an hour is refused here already");
    cr_assert_not_null(strstr(cause, "as many edits as the mesh allows"), "%s", cause);
    free(cause);
}

/* ---- revocation names what its admin held (issue 17, clocks that lie) -- */

Test(repo, a_revoked_member_cannot_write_before_its_revocation_with_a_slow_clock)
{
    repo_t *r = s_mesh_home(); /* F's mesh, M and N members; this node is neither */
    uint8_t p[32] = {0x50};
    fx_put(r, REC_PLACE, p, &M, H(10), s_place_of("Buurthuis", &N));
    fx_put(r, REC_PLACE, p, &M, H(20), fx_fields("status", pv_str("open"), NULL));
    /* F revokes M at H(100), naming M's newest edit it held: H(20) */
    fx_put(r, REC_MEMBER, M.pk, &F, H(100),
          fx_fields("revoked", pv_bool(true), "known_until", pv_int((int64_t)H(20)), NULL));
    const members_t *m = repo_members(r);
    cr_assert_eq(members_role_at(m, M.pk, H(20)), ROLE_MEMBER, "what F held still counts");
    cr_assert_eq(members_role_at(m, M.pk, H(50)), -1, "dated before the revocation, but unseen by F");
    cr_assert_eq(members_role_at(m, M.pk, H(150)), -1);
    /* M's clock is behind: it writes at H(50), "before" its revocation */
    fx_put(r, REC_PLACE, p, &M, H(50), fx_fields("status", pv_str("closed"), NULL));
    const entity_t *e = repo_entity(r, p);
    cr_assert_str_eq(pv_get_str(e->fields, "status"), "open", "the late edit does not count");
    cr_assert_geq(e->denied, 1);
    /* N, never revoked, is not affected */
    cr_assert_eq(members_role_at(m, N.pk, H(50)), ROLE_MEMBER);
}

Test(repo, a_revoked_node_with_a_slow_clock_knows_it_is_revoked)
{
    repo_t *r = s_mesh_home();
    fx_put(r, REC_MEMBER, repo_key(r)->pk, &F, H(3), s_role("member"));
    repo_set_clock(r, S_BASE + 10);
    s_edit(r, REC_PLACE, NULL, s_place_of("mijn plek", NULL), NULL); /* at H(10) */
    uint64_t newest = 0;
    cr_assert(repo_author_newest(r, repo_key(r)->pk, &newest));
    fx_put(r, REC_MEMBER, repo_key(r)->pk, &F, H(100),
          fx_fields("revoked", pv_bool(true), "known_until", pv_int((int64_t)newest), NULL));
    repo_set_clock(r, S_BASE + 50); /* its clock is behind the revocation */
    char *cause = NULL;
    pv_t *f = s_place_of("nog een", NULL);
    int rc = repo_edit(r, REC_PLACE, NULL, f, NULL, &cause);
    pv_free(&f);
    cr_assert_eq(rc, BU_EPERM, "refused before signing");
    cr_assert_not_null(strstr(cause, "revoked"), "%s", cause);
    free(cause);
}
