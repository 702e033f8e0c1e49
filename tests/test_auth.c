/*
 * test_auth.c -- behaviour tests for node/auth.c and node/members.c: who
 * may make which edit, as decided when a repo merges an entity.
 *
 * Each test opens a fresh home under /tmp whose mesh is founded by a fixed
 * seeded key F (not the home's own key, except where a test says so), feeds
 * it edits signed by other seeded keys with explicit clocks through
 * repo_ingest (which verifies but does not authorise), and checks the merged
 * state (repo_entity), the per-edit verdicts (repo_history_verdicts) and the
 * membership timeline (repo_members). One test per row of the table; each
 * has the allowed and the denied case. Deterministic; the file runs in well
 * under a second.
 */
#include "node/auth.h"
#include "node/members.h"
#include "node/home.h"
#include "node/setup.h"
#include "node/repo.h"

#include "proto/edit.h"
#include "proto/err.h"
#include "proto/util.h"
#include "tests/lib/fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Clocks: H(n) is n milliseconds after a fixed base, counter 0. */
#define S_BASE UINT64_C(1700000000000)
#define H(n) ((S_BASE + (uint64_t)(n)) << 16)

/* F founds the mesh; A admin, C and D coordinators, M and N members (all
 * admitted by s_mesh_home); X and Y are admitted only where a test says. */
static fx_key_t F, A, C, D, M, N, X, Y;
static uint8_t s_ent[16][32]; /* fixed entity ids: ID(0)..ID(15) */
#define ID(n) (s_ent[n])

static char s_root[64];
static repo_t *s_repos[4];
static size_t s_nrepos;

static void s_setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    fx_key_t *keys[] = {&F, &A, &C, &D, &M, &N, &X, &Y};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        fx_key((uint8_t)(0x10 + i), keys[i]);
    for (int i = 0; i < 16; i++) {
        memset(s_ent[i], 0x5a, 32);
        s_ent[i][0] = (uint8_t)(0xe0 + i);
    }
    strcpy(s_root, "/tmp/buurt-test-auth-XXXXXX");
    cr_assert_not_null(mkdtemp(s_root));
    s_nrepos = 0;
}

static void s_teardown(void)
{
    for (size_t i = 0; i < s_nrepos; i++)
        repo_close(&s_repos[i]);
    fx_rm_tree(s_root);
}

TestSuite(auth, .init = s_setup, .fini = s_teardown);

/* ---- helpers ---------------------------------------------------------- */

/* A fresh home in the mesh founded by founder (no edits yet). */
static repo_t *s_home(const char *name, const uint8_t founder[32])
{
    char *home = xasprintf("%s/%s", s_root, name);
    char *cause = NULL;
    int rc = home_init(home, name, NULL, &cause);
    cr_assert_eq(rc, 0, "home_init: %s", cause ? cause : "");
    repo_t *r = NULL;
    rc = repo_open(home, &r, &cause);
    cr_assert_eq(rc, 0, "repo_open: %s", cause ? cause : "");
    free(home);
    cr_assert_lt(s_nrepos, 4);
    s_repos[s_nrepos++] = r;
    if (founder)
        repo_set_mesh(r, founder);
    return r;
}

/* A field map from key, value pairs ending with NULL; takes the values. */
/* A list of node ids (hex) from keys ending with NULL. */
static pv_t *s_ids(const fx_key_t *k, ...)
{
    pv_t *l = pv_arr();
    va_list ap;
    va_start(ap, k);
    for (; k; k = va_arg(ap, const fx_key_t *))
        pv_arr_push(l, pv_str(k->hex));
    va_end(ap);
    return l;
}

static pv_t *s_place(const char *name, pv_t *editors)
{
    pv_t *f = fx_fields("name", pv_str(name), "kinds", fx_list1("library"), NULL);
    if (editors)
        pv_map_set(f, "editors", editors);
    return f;
}

#define s_coalition(name, coord) fx_fields("name", pv_str(name), "coordinators", coord, NULL)
#define s_offer(prov) fx_fields("provider", fx_hexid(prov), "categories", fx_list1("food"), NULL)
#define s_bulletin(body) fx_fields("title", pv_str("Notice"), "body", pv_str(body), NULL)
#define s_role_f(role) fx_fields("name", pv_str("org"), "role", pv_str(role), NULL)
#define s_one(key, val) fx_fields(key, pv_str(val), NULL)
#define s_deleted() fx_fields("deleted", pv_bool(true), NULL)
#define s_claim(by) fx_fields("status", pv_str("claimed"), "claimed_by", pv_str((by)->hex), NULL)
#define s_release() fx_fields("status", pv_str("open"), "claimed_by", pv_nil(), NULL)

static pv_t *s_need(const char *summary, const uint8_t *coalition)
{
    pv_t *f = fx_fields("category", pv_str("food"), "summary", pv_str(summary), NULL);
    if (coalition)
        pv_map_set(f, "coalition", fx_hexid(coalition));
    return f;
}

static void s_ingest(repo_t *r, const buf_t *w)
{
    char *cause = NULL;
    int rc = repo_ingest(r, w->data, w->len, &cause);
    cr_assert_eq(rc, 1, "repo_ingest: %d %s", rc, cause ? cause : "");
}

/* Signs an edit and ingests it into r. */
static void s_put(repo_t *r, rec_kind_t kind, const uint8_t ent[32], const fx_key_t *k,
                  uint64_t hlc, pv_t *fields)
{
    buf_t w = {0};
    fx_sign(kind, ent, k, hlc, fields, &w);
    s_ingest(r, &w);
    buf_free(&w);
}

/* Revokes who at clock hlc; at_ms > 0 backdates it with revoked_at. */
static void s_revoke(repo_t *r, const fx_key_t *by, const uint8_t who[32], uint64_t hlc,
                     uint64_t at_ms)
{
    pv_t *f = fx_fields("revoked", pv_bool(true), "reason", pv_str("lost laptop"), NULL);
    if (at_ms)
        pv_map_set(f, "revoked_at", pv_int((int64_t)at_ms));
    s_put(r, REC_MEMBER, who, by, hlc, f);
}

/* A home in F's mesh with A admin, C and D coordinators, M and N members. */
static repo_t *s_mesh_home(void)
{
    repo_t *r = s_home("a", F.pk);
    const fx_key_t *who[] = {&A, &C, &D, &M, &N};
    const char *role[] = {"admin", "coordinator", "coordinator", "member", "member"};
    for (int i = 0; i < 5; i++)
        s_put(r, REC_MEMBER, who[i]->pk, &F, H(i + 1), s_role_f(role[i]));
    return r;
}

/* The verdict of the edit of ent at clock hlc, or -1 when there is none. */
static int s_verdict(repo_t *r, const uint8_t ent[32], uint64_t hlc)
{
    edit_t **h = NULL;
    uint8_t *v = NULL;
    size_t n = repo_history_verdicts(r, ent, &h, &v);
    int out = -1;
    for (size_t i = 0; i < n; i++) {
        if (h[i]->hlc == hlc)
            out = v[i];
        edit_free(&h[i]);
    }
    free(h);
    free(v);
    return out;
}

/* A text field of the merged entity, or "-" when unset. */
static const char *s_str(repo_t *r, const uint8_t ent[32], const char *key)
{
    const entity_t *e = repo_entity(r, ent);
    cr_assert_not_null(e);
    const char *s = pv_get_str(e->fields, key);
    return s ? s : "-";
}

static int s_role(repo_t *r, const fx_key_t *k, uint64_t hlc)
{
    const members_t *m = repo_members(r);
    cr_assert_not_null(m);
    return members_role_at(m, k->pk, hlc);
}

/* Ingests an edit and expects its verdict now; s_check repeats the check
 * after later edits. */
typedef struct {
    const uint8_t *ent;
    uint64_t hlc;
    int want, line;
} s_want_t;
static s_want_t s_wants[64];
static size_t s_nwants;

static void s_try(repo_t *r, int want, rec_kind_t kind, const uint8_t *ent, const fx_key_t *k,
                  int n, pv_t *fields, int line)
{
    s_put(r, kind, ent, k, H(n), fields);
    cr_expect_eq(s_verdict(r, ent, H(n)), want, "line %d: edit at H(%d) should be %s", line, n,
                 want == MERGE_APPLIED ? "applied" : "denied");
    cr_assert_lt(s_nwants, 64);
    s_wants[s_nwants++] = (s_want_t){ent, H(n), want, line};
}
#define S_OK(r, kind, ent, k, n, f) s_try(r, MERGE_APPLIED, kind, ent, k, n, f, __LINE__)
#define S_NO(r, kind, ent, k, n, f) s_try(r, MERGE_DENIED, kind, ent, k, n, f, __LINE__)

static void s_check(repo_t *r)
{
    for (size_t i = 0; i < s_nwants; i++)
        cr_expect_eq(s_verdict(r, s_wants[i].ent, s_wants[i].hlc), s_wants[i].want,
                     "line %d: verdict changed by later edits", s_wants[i].line);
}

static bool s_gone(repo_t *r, const uint8_t ent[32])
{
    const entity_t *e = repo_entity(r, ent);
    cr_assert_not_null(e);
    return entity_deleted(e);
}

/* ---- row 1: membership at the edit's clock ---------------------------- */

Test(auth, edits_count_only_while_their_author_is_a_member)
{
    repo_t *r = s_mesh_home();
    S_NO(r, REC_BULLETIN, ID(0), &M, 3, s_bulletin("before admission")); /* M joins at 4 */
    S_OK(r, REC_BULLETIN, ID(1), &M, 10, s_bulletin("first"));
    S_OK(r, REC_BULLETIN, ID(1), &M, 15, s_one("body", "before revocation"));
    s_revoke(r, &F, M.pk, H(20), 0);
    S_NO(r, REC_BULLETIN, ID(1), &M, 20, s_one("body", "at revocation"));
    S_NO(r, REC_BULLETIN, ID(1), &M, 25, s_one("body", "after revocation"));
    S_NO(r, REC_BULLETIN, ID(2), &X, 10, s_bulletin("never a member"));
    /* N is revoked at clock 40, backdated to ms 12 */
    S_OK(r, REC_BULLETIN, ID(3), &N, 11, s_bulletin("kept"));
    s_put(r, REC_BULLETIN, ID(3), &N, H(13), s_one("body", "after revoked_at"));
    cr_expect_str_eq(s_str(r, ID(3), "body"), "after revoked_at", "not revoked yet");
    s_revoke(r, &F, N.pk, H(40), S_BASE + 12);
    cr_expect_eq(s_verdict(r, ID(3), H(13)), MERGE_DENIED, "backdated revocation");
    cr_expect_str_eq(s_str(r, ID(3), "body"), "kept");
    s_check(r);

    cr_expect(s_gone(r, ID(0)), "a record nobody could create is hidden");
    cr_expect(s_gone(r, ID(2)));
    cr_expect_str_eq(s_str(r, ID(1), "body"), "before revocation");
    cr_expect_eq(repo_entity(r, ID(1))->edits, 2);
    cr_expect_eq(repo_entity(r, ID(1))->denied, 2);
    cr_expect_eq(s_role(r, &M, H(3)), -1);
    cr_expect_eq(s_role(r, &M, H(4)), ROLE_MEMBER);
    cr_expect_eq(s_role(r, &M, H(20) - 1), ROLE_MEMBER);
    cr_expect_eq(s_role(r, &M, H(20)), -1);
    cr_expect_eq(s_role(r, &N, H(12) - 1), ROLE_MEMBER);
    cr_expect_eq(s_role(r, &N, H(12)), -1);
    cr_expect_eq(s_role(r, &X, H(10)), -1);
    cr_expect_eq(s_role(r, &F, 0), ROLE_ADMIN, "the founder is an admin at every clock");
}

/* ---- row 2: membership certificates ----------------------------------- */

Test(auth, member_certificates_count_only_from_the_founder_or_an_active_admin)
{
    repo_t *r = s_mesh_home();
    S_NO(r, REC_MEMBER, X.pk, &C, 10, s_role_f("member"));     /* a coordinator admits */
    S_NO(r, REC_MEMBER, M.pk, &M, 11, s_role_f("admin"));      /* a member promotes itself */
    S_OK(r, REC_MEMBER, X.pk, &A, 12, s_role_f("member"));     /* an admin admits */
    S_OK(r, REC_MEMBER, C.pk, &A, 14, s_one("role", "admin")); /* and changes a role */
    S_NO(r, REC_MEMBER, F.pk, &A, 16, s_one("name", "hijacked"));
    S_OK(r, REC_MEMBER, F.pk, &F, 17, s_one("name", "Founder"));
    s_revoke(r, &F, A.pk, H(20), 0);
    S_NO(r, REC_MEMBER, M.pk, &A, 21, fx_fields("revoked", pv_bool(true), NULL)); /* revoked admin */
    S_NO(r, REC_MEMBER, X.pk, &A, 22, s_one("role", "admin"));
    S_OK(r, REC_MEMBER, N.pk, &C, 24, fx_fields("revoked", pv_bool(true), NULL)); /* promoted admin */
    S_NO(r, REC_MEMBER, D.pk, &M, 25, fx_fields("revoked", pv_bool(true), NULL)); /* a member */
    s_check(r);

    cr_expect_eq(s_role(r, &X, H(11)), -1);
    cr_expect_eq(s_role(r, &X, H(12)), ROLE_MEMBER);
    cr_expect_eq(s_role(r, &X, H(30)), ROLE_MEMBER);
    cr_expect_eq(s_role(r, &M, H(30)), ROLE_MEMBER);
    cr_expect_eq(s_role(r, &C, H(13)), ROLE_COORDINATOR);
    cr_expect_eq(s_role(r, &C, H(14)), ROLE_ADMIN);
    cr_expect_eq(s_role(r, &A, H(19)), ROLE_ADMIN);
    cr_expect_eq(s_role(r, &A, H(20)), -1);
    cr_expect_eq(s_role(r, &N, H(24)), -1);
    cr_expect_eq(s_role(r, &D, H(30)), ROLE_COORDINATOR);
    const members_t *m = repo_members(r);
    const member_t *f = members_find(m, F.pk);
    cr_assert_not_null(f);
    cr_expect_str_eq(f->name, "Founder");
    cr_expect(members_active(m, M.pk) && members_active(m, X.pk));
    cr_expect(!members_active(m, A.pk) && !members_active(m, N.pk));
}

Test(auth, a_key_no_certificate_gave_a_role_is_not_a_member)
{
    repo_t *r = s_mesh_home();
    /* a name and revoked: false, but no role: no admission */
    s_put(r, REC_MEMBER, X.pk, &F, H(10), fx_fields("name", pv_str("x"), "revoked", pv_bool(false), NULL));
    /* a revocation of a key never admitted */
    s_put(r, REC_MEMBER, Y.pk, &F, H(11), fx_fields("revoked", pv_bool(true), NULL));
    const members_t *m = repo_members(r);
    cr_expect_null(members_find(m, X.pk), "no role: not in the member list");
    cr_expect(!members_active(m, X.pk), "no role: not active (ZAP refuses it)");
    cr_expect_null(members_find(m, Y.pk), "revoked before admission: unknown, not 'revoked'");
    cr_expect_eq(s_role(r, &X, H(20)), -1);
    /* the role admits it, at that clock; the earlier name stays */
    s_put(r, REC_MEMBER, X.pk, &F, H(30), s_one("role", "member"));
    m = repo_members(r);
    cr_assert(members_active(m, X.pk));
    cr_expect_str_eq(members_find(m, X.pk)->name, "x");
    cr_expect_eq(members_find(m, X.pk)->admitted, H(30));
    cr_expect_eq(s_role(r, &X, H(29)), -1);
    cr_expect_eq(s_role(r, &X, H(30)), ROLE_MEMBER);
    /* Y was revoked before its role came: admitted in the revoked state */
    s_put(r, REC_MEMBER, Y.pk, &F, H(31), s_one("role", "member"));
    m = repo_members(r);
    cr_assert_not_null(members_find(m, Y.pk));
    cr_expect(!members_active(m, Y.pk), "its latest applied revoked is true");
    cr_expect_eq(s_role(r, &Y, H(40)), -1);
}

Test(auth, member_certificates_signed_at_or_after_the_signers_revocation_do_not_count)
{
    repo_t *r = s_mesh_home();
    /* A's revocation at clock 20 is backdated to ms 10 */
    s_put(r, REC_MEMBER, Y.pk, &A, H(8), s_role_f("member"));  /* before revoked_at */
    s_put(r, REC_MEMBER, X.pk, &A, H(15), s_role_f("member")); /* after it */
    s_revoke(r, &F, A.pk, H(20), S_BASE + 10);
    cr_expect_eq(s_verdict(r, Y.pk, H(8)), MERGE_APPLIED);
    cr_expect_eq(s_verdict(r, X.pk, H(15)), MERGE_DENIED);
    cr_expect_eq(s_role(r, &A, H(10)), -1);
    cr_expect_eq(s_role(r, &Y, H(30)), ROLE_MEMBER);
    cr_expect_eq(s_role(r, &X, H(16)), -1,
                 "X was admitted by an admin already revoked (revoked_at) when it signed");
    s_put(r, REC_BULLETIN, ID(0), &X, H(16), s_bulletin("from X"));
    cr_expect_eq(s_verdict(r, ID(0), H(16)), MERGE_DENIED, "X's edits must not count");
    /* a certificate signed at the very clock of its signer's revocation
     * (Y's key sorts before F's, so it comes first in edit order) */
    cr_assert_lt(memcmp(Y.pk, F.pk, 32), 0);
    s_put(r, REC_MEMBER, Y.pk, &F, H(30), s_one("role", "admin"));
    s_revoke(r, &F, Y.pk, H(40), 0);
    s_put(r, REC_MEMBER, D.pk, &Y, H(40), fx_fields("revoked", pv_bool(true), NULL));
    cr_expect_eq(s_verdict(r, D.pk, H(40)), MERGE_DENIED);
    cr_expect_eq(s_role(r, &D, H(50)), ROLE_COORDINATOR,
                 "a revocation signed at its signer's revocation clock must not count");
}

Test(auth, member_certificate_counts_despite_an_older_edit_of_another_kind_on_its_entity)
{
    repo_t *r = s_mesh_home();
    /* an outsider's (denied) place edit using M's node id as entity id,
     * with a clock before M's admission */
    S_NO(r, REC_PLACE, M.pk, &X, 0, s_place("squat", NULL));
    cr_expect_eq(s_role(r, &M, H(10)), ROLE_MEMBER,
                 "a denied edit of another kind must not hide M's certificate");
    s_put(r, REC_BULLETIN, ID(0), &M, H(10), s_bulletin("still here"));
    cr_expect_eq(s_verdict(r, ID(0), H(10)), MERGE_APPLIED);
}

/* ---- row 3: creation --------------------------------------------------- */

Test(auth, any_member_may_create_a_place_coalition_need_or_bulletin)
{
    repo_t *r = s_mesh_home();
    S_OK(r, REC_PLACE, ID(0), &M, 10, s_place("Bieb", NULL));
    S_OK(r, REC_COALITION, ID(1), &M, 11, s_coalition("Noord helpt", s_ids(&M, NULL)));
    S_OK(r, REC_NEED, ID(2), &M, 12, s_need("groceries", NULL));
    S_OK(r, REC_BULLETIN, ID(3), &M, 13, s_bulletin("water off"));
    S_NO(r, REC_PLACE, ID(4), &X, 10, s_place("X place", NULL));
    S_NO(r, REC_COALITION, ID(5), &X, 11, s_coalition("X", s_ids(&X, NULL)));
    S_NO(r, REC_NEED, ID(6), &X, 12, s_need("X need", NULL));
    S_NO(r, REC_BULLETIN, ID(7), &X, 13, s_bulletin("X says"));
    for (int i = 0; i < 4; i++) {
        cr_expect(!s_gone(r, ID(i)), "record %d", i);
        cr_expect(memcmp(repo_entity(r, ID(i))->creator, M.pk, 32) == 0);
        cr_expect(s_gone(r, ID(4 + i)), "record %d", 4 + i);
    }
}

/* ---- row 4: offers ----------------------------------------------------- */

Test(auth, offer_creation_needs_a_provider_its_author_acts_for)
{
    repo_t *r = s_mesh_home();
    s_put(r, REC_PLACE, ID(0), &M, H(10), s_place("M's place", s_ids(&N, NULL)));
    s_put(r, REC_PLACE, ID(1), &N, H(11), s_place("N's place", NULL));
    s_put(r, REC_COALITION, ID(2), &N, H(12), s_coalition("K", s_ids(&C, &M, NULL)));
    S_OK(r, REC_OFFER, ID(3), &M, 20, s_offer(ID(0)));   /* place creator */
    S_OK(r, REC_OFFER, ID(4), &N, 21, s_offer(ID(0)));   /* place editor */
    S_NO(r, REC_OFFER, ID(5), &M, 22, s_offer(ID(1)));   /* someone else's place */
    S_OK(r, REC_OFFER, ID(6), &C, 23, s_offer(ID(2)));   /* listed coordinator */
    S_NO(r, REC_OFFER, ID(7), &M, 24, s_offer(ID(2)));   /* listed, role member */
    S_OK(r, REC_OFFER, ID(8), &N, 25, s_offer(ID(2)));   /* coalition creator */
    S_OK(r, REC_OFFER, ID(9), &A, 26, s_offer(ID(1)));   /* admin */
    S_NO(r, REC_OFFER, ID(10), &D, 27, s_offer(ID(2)));  /* coordinator, not listed */
    S_NO(r, REC_OFFER, ID(11), &M, 28, s_offer(ID(15))); /* unknown provider */
    s_check(r);
    cr_expect(s_gone(r, ID(5)));
    cr_expect(!s_gone(r, ID(6)));
}

/* ---- row 5: admins and creators ---------------------------------------- */

Test(auth, admins_edit_anything_and_creators_their_own_records)
{
    repo_t *r = s_mesh_home();
    s_put(r, REC_PLACE, ID(0), &M, H(10), s_place("Bieb", NULL));
    S_OK(r, REC_PLACE, ID(0), &M, 11,
         fx_fields("name", pv_str("Bibliotheek"), "area", pv_str("Noord"), "hours", pv_str("9-5"), NULL));
    S_OK(r, REC_PLACE, ID(0), &A, 12, s_one("area", "Zuid"));
    S_NO(r, REC_PLACE, ID(0), &N, 13, s_one("area", "Oost"));
    S_NO(r, REC_PLACE, ID(0), &C, 14, fx_fields("hours", pv_nil(), NULL));
    s_put(r, REC_NEED, ID(1), &N, H(10), s_need("blankets", NULL));
    S_OK(r, REC_NEED, ID(1), &A, 15, s_one("urgency", "high"));
    S_NO(r, REC_PLACE, ID(0), &N, 16, s_deleted());
    cr_expect_str_eq(s_str(r, ID(0), "name"), "Bibliotheek");
    cr_expect_str_eq(s_str(r, ID(0), "area"), "Zuid");
    cr_expect_str_eq(s_str(r, ID(0), "hours"), "9-5");
    cr_expect_str_eq(s_str(r, ID(1), "urgency"), "high");
    cr_expect(!s_gone(r, ID(0)));
    S_OK(r, REC_PLACE, ID(0), &M, 17, s_deleted());
    cr_expect(s_gone(r, ID(0)));
    s_check(r);
}

/* ---- row 6: place editors ---------------------------------------------- */

Test(auth, place_editors_may_change_only_the_status_fields)
{
    repo_t *r = s_mesh_home();
    pv_t *p = s_place("Buurthuis", s_ids(&N, NULL));
    pv_map_set(p, "status", pv_str("open"));
    s_put(r, REC_PLACE, ID(0), &M, H(10), p);
    S_OK(r, REC_PLACE, ID(0), &N, 11,
         fx_fields("status", pv_str("limited"), "status_note", pv_str("no heating"), "status_at",
             pv_int((int64_t)S_BASE), "capacity", pv_int(20), "channels", fx_list1("doorstep"),
             NULL));
    S_NO(r, REC_PLACE, ID(0), &N, 12, s_one("name", "N's now"));
    S_NO(r, REC_PLACE, ID(0), &N, 13, s_deleted());
    S_NO(r, REC_PLACE, ID(0), &N, 14, fx_fields("status", pv_str("closed"), "name", pv_str("X"), NULL));
    S_NO(r, REC_PLACE, ID(0), &C, 15, s_one("status", "overloaded")); /* not an editor */
    S_NO(r, REC_PLACE, ID(0), &N, 16, fx_fields("editors", s_ids(&N, &C, NULL), NULL));
    s_check(r);
    cr_expect_str_eq(s_str(r, ID(0), "name"), "Buurthuis");
    cr_expect_str_eq(s_str(r, ID(0), "status"), "limited");
    cr_expect_str_eq(s_str(r, ID(0), "status_note"), "no heating");
    cr_expect_eq(pv_get_int(repo_entity(r, ID(0))->fields, "capacity", -1), 20);
    cr_expect(!s_gone(r, ID(0)));
}

/* ---- row 7: coalitions -------------------------------------------------- */

Test(auth, coalition_is_edited_by_listed_coordinators_holding_the_coordinator_role)
{
    repo_t *r = s_mesh_home();
    s_put(r, REC_COALITION, ID(0), &N, H(10), s_coalition("K", s_ids(&C, &M, NULL)));
    S_OK(r, REC_COALITION, ID(0), &C, 11, s_one("purpose", "by C"));
    S_NO(r, REC_COALITION, ID(0), &M, 12, s_one("purpose", "by M"));  /* listed, member */
    S_NO(r, REC_COALITION, ID(0), &D, 13, s_one("purpose", "by D"));  /* not listed */
    S_OK(r, REC_COALITION, ID(0), &A, 14, s_one("area", "by A"));     /* admin */
    S_OK(r, REC_COALITION, ID(0), &N, 15, s_one("contact", "by N"));  /* creator */
    cr_expect_str_eq(s_str(r, ID(0), "purpose"), "by C");
    cr_expect_str_eq(s_str(r, ID(0), "area"), "by A");
    s_put(r, REC_MEMBER, M.pk, &A, H(20), s_one("role", "coordinator"));
    S_OK(r, REC_COALITION, ID(0), &M, 21, s_one("purpose", "by M later"));
    s_check(r); /* M's edit at 12 stays denied */
    cr_expect_str_eq(s_str(r, ID(0), "purpose"), "by M later");
}

/* ---- row 8: needs addressed to a coalition ----------------------------- */

Test(auth, coordinators_of_the_addressed_coalition_may_edit_its_needs)
{
    repo_t *r = s_mesh_home();
    s_put(r, REC_COALITION, ID(0), &N, H(10), s_coalition("K", s_ids(&C, &M, NULL)));
    s_put(r, REC_NEED, ID(1), &N, H(11), s_need("soup", ID(0)));
    s_put(r, REC_NEED, ID(2), &N, H(11), s_need("not addressed", NULL));
    S_OK(r, REC_NEED, ID(1), &C, 12,
         fx_fields("summary", pv_str("soup for 20"), "urgency", pv_str("high"), NULL));
    S_NO(r, REC_NEED, ID(1), &D, 13, s_one("summary", "by D"));   /* not listed */
    S_NO(r, REC_NEED, ID(1), &M, 14, s_one("urgency", "low"));    /* listed, member */
    S_NO(r, REC_NEED, ID(2), &C, 15, s_one("summary", "by C"));   /* not addressed to K */
    S_OK(r, REC_NEED, ID(1), &C, 16, s_one("status", "done"));
    s_check(r);
    cr_expect_str_eq(s_str(r, ID(1), "summary"), "soup for 20");
    cr_expect_str_eq(s_str(r, ID(1), "urgency"), "high");
    cr_expect_str_eq(s_str(r, ID(1), "status"), "done");
    cr_expect_str_eq(s_str(r, ID(2), "summary"), "not addressed");
}

/* ---- row 9: claims ----------------------------------------------------- */

Test(auth, any_member_claims_an_open_need_and_only_the_claimer_finishes_it)
{
    repo_t *r = s_mesh_home();
    s_put(r, REC_NEED, ID(0), &N, H(10), s_need("a ride", NULL));
    S_OK(r, REC_NEED, ID(0), &M, 11, s_claim(&M));
    S_NO(r, REC_NEED, ID(0), &D, 12, s_claim(&D));            /* already claimed */
    S_NO(r, REC_NEED, ID(0), &D, 13, s_one("status", "done")); /* not the claimer */
    S_NO(r, REC_NEED, ID(0), &M, 14, s_one("summary", "by M")); /* not a claim field */
    S_OK(r, REC_NEED, ID(0), &M, 15, s_one("status", "done"));
    S_NO(r, REC_NEED, ID(0), &C, 16, s_claim(&C));            /* done */
    cr_expect_str_eq(s_str(r, ID(0), "status"), "done");
    cr_expect_str_eq(s_str(r, ID(0), "claimed_by"), M.hex);
    cr_expect_str_eq(s_str(r, ID(0), "summary"), "a ride");
    S_OK(r, REC_NEED, ID(0), &N, 17, s_one("status", "open")); /* the creator, always */
    cr_expect_str_eq(s_str(r, ID(0), "status"), "open");

    /* release: only the claimer reopens it; then another member may claim */
    s_put(r, REC_NEED, ID(1), &N, H(20), s_need("a bed", NULL));
    S_OK(r, REC_NEED, ID(1), &M, 21, s_claim(&M));
    S_NO(r, REC_NEED, ID(1), &D, 22, s_release());
    S_OK(r, REC_NEED, ID(1), &M, 23, s_release());
    S_OK(r, REC_NEED, ID(1), &D, 24, s_claim(&D));
    S_NO(r, REC_NEED, ID(1), &M, 25, s_one("status", "done")); /* no longer the claimer */
    s_check(r);
    cr_expect_str_eq(s_str(r, ID(1), "status"), "claimed");
    cr_expect_str_eq(s_str(r, ID(1), "claimed_by"), D.hex);
    cr_expect(memcmp(repo_entity(r, ID(1))->claimer, D.pk, 32) == 0);
}

/* ---- row 10: bulletins ------------------------------------------------- */

Test(auth, bulletin_is_edited_only_by_its_creator_or_an_admin)
{
    repo_t *r = s_mesh_home();
    s_put(r, REC_BULLETIN, ID(0), &M, H(10), s_bulletin("v1"));
    S_OK(r, REC_BULLETIN, ID(0), &M, 11, s_one("body", "v2"));
    S_NO(r, REC_BULLETIN, ID(0), &N, 12, s_one("body", "by N"));
    S_NO(r, REC_BULLETIN, ID(0), &C, 13, s_one("body", "by C"));
    S_OK(r, REC_BULLETIN, ID(0), &A, 14, s_one("source", "gemeente"));
    S_NO(r, REC_BULLETIN, ID(0), &N, 15, s_deleted());
    cr_expect_str_eq(s_str(r, ID(0), "body"), "v2");
    cr_expect_str_eq(s_str(r, ID(0), "source"), "gemeente");
    cr_expect(!s_gone(r, ID(0)));
    S_OK(r, REC_BULLETIN, ID(0), &M, 16, s_deleted());
    cr_expect(s_gone(r, ID(0)));
    s_check(r);
}

/* ---- row 11: order independence ---------------------------------------- */

#define S_NW 15

Test(auth, verdicts_do_not_depend_on_the_order_edits_arrive_in)
{
    buf_t w[S_NW] = {{0}};
    int k = 0;
    fx_sign(REC_MEMBER, A.pk, &F, H(1), s_role_f("admin"), &w[k++]);
    fx_sign(REC_MEMBER, C.pk, &F, H(2), s_role_f("coordinator"), &w[k++]);
    fx_sign(REC_MEMBER, M.pk, &F, H(4), s_role_f("member"), &w[k++]);
    fx_sign(REC_MEMBER, N.pk, &F, H(5), s_role_f("member"), &w[k++]);
    fx_sign(REC_COALITION, ID(0), &N, H(10), s_coalition("K", s_ids(&N, NULL)), &w[k++]);
    fx_sign(REC_NEED, ID(1), &M, H(12), s_need("soup", ID(0)), &w[k++]);
    const int c_edit = k; /* C edits the need: counts only once C is listed */
    fx_sign(REC_NEED, ID(1), &C, H(13), s_one("summary", "soup by C"), &w[k++]);
    const int k_edit = k; /* N lists C as coordinator (earlier clock, arrives later) */
    fx_sign(REC_COALITION, ID(0), &N, H(11), fx_fields("coordinators", s_ids(&N, &C, NULL), NULL),
           &w[k++]);
    fx_sign(REC_PLACE, ID(2), &M, H(14), s_place("P", s_ids(&N, NULL)), &w[k++]);
    fx_sign(REC_OFFER, ID(3), &N, H(15), s_offer(ID(2)), &w[k++]);
    fx_sign(REC_PLACE, ID(2), &N, H(16), s_one("status", "closed"), &w[k++]);
    fx_sign(REC_MEMBER, N.pk, &F, H(30),
           fx_fields("revoked", pv_bool(true), "revoked_at", pv_int((int64_t)S_BASE + 16), NULL),
           &w[k++]);
    fx_sign(REC_NEED, ID(1), &M, H(17), s_claim(&M), &w[k++]);
    fx_sign(REC_NEED, ID(1), &D, H(18), s_one("status", "done"), &w[k++]); /* not a member */
    fx_sign(REC_BULLETIN, ID(4), &X, H(19), s_bulletin("spam"), &w[k++]);
    cr_assert_eq(k, S_NW);

    /* as listed, reversed, and a fixed shuffle */
    int order[3][S_NW];
    for (int i = 0; i < S_NW; i++) {
        order[0][i] = i;
        order[1][i] = S_NW - 1 - i;
        order[2][i] = (i * 7 + 3) % S_NW;
    }
    const char *names[3] = {"h0", "h1", "h2"};
    repo_t *homes[3];
    for (int h = 0; h < 3; h++) {
        homes[h] = s_home(names[h], F.pk);
        for (int i = 0; i < S_NW; i++) {
            s_ingest(homes[h], &w[order[h][i]]);
            /* read every entity, so stale cached states would show */
            for (size_t e = 0; e < repo_entity_count(homes[h]); e++)
                cr_assert_not_null(repo_entity_at(homes[h], e));
            if (h == 0 && i == c_edit)
                cr_expect_str_eq(s_str(homes[0], ID(1), "summary"), "soup",
                                 "C is not yet listed in the coalition");
            if (h == 0 && i == k_edit)
                cr_expect_str_eq(s_str(homes[0], ID(1), "summary"), "soup by C",
                                 "the need must be re-merged when its coalition changes");
        }
    }
    const uint8_t *ents[] = {A.pk, C.pk, M.pk, N.pk, ID(0), ID(1), ID(2), ID(3), ID(4)};
    for (size_t e = 0; e < sizeof ents / sizeof *ents; e++) {
        buf_t b0 = {0};
        merge_encode(repo_entity(homes[0], ents[e]), &b0);
        for (int h = 1; h < 3; h++) {
            buf_t bh = {0};
            merge_encode(repo_entity(homes[h], ents[e]), &bh);
            cr_expect(bh.len == b0.len && memcmp(bh.data, b0.data, b0.len) == 0,
                      "entity %zu differs between home 0 and home %d", e, h);
            buf_free(&bh);
        }
        buf_free(&b0);
    }
    for (int h = 0; h < 3; h++) {
        repo_t *r = homes[h];
        cr_expect_str_eq(s_str(r, ID(1), "summary"), "soup by C", "home %d", h);
        cr_expect_str_eq(s_str(r, ID(1), "status"), "claimed", "home %d", h);
        cr_expect_eq(s_verdict(r, ID(3), H(15)), MERGE_APPLIED, "home %d", h);
        cr_expect_eq(s_verdict(r, ID(2), H(16)), MERGE_DENIED, "home %d", h);
        cr_expect(s_gone(r, ID(4)), "home %d", h);
    }
    for (int i = 0; i < S_NW; i++)
        buf_free(&w[i]);
}

/* ---- row 12: local edits ----------------------------------------------- */

/* repo_edit of fields (borrowed) on ent (NULL: create); returns its code. */
static int s_local(repo_t *r, const uint8_t *ent, pv_t *fields, uint8_t *out, char **why)
{
    free(*why);
    *why = NULL;
    return repo_edit(r, REC_PLACE, ent, fields, out, why);
}

Test(auth, local_edit_that_would_be_denied_is_refused_with_eperm)
{
    repo_t *r = s_mesh_home();
    repo_set_clock(r, 1700000000100); /* local clocks from H(100) */
    const nodekey_t *me = repo_key(r);
    s_put(r, REC_MEMBER, me->pk, &F, H(6), s_role_f("member"));
    s_put(r, REC_PLACE, ID(0), &M, H(10), s_place("M's place", NULL));
    pv_t *eds = pv_arr();
    pv_arr_push(eds, pv_str(me->id));
    s_put(r, REC_PLACE, ID(1), &M, H(11), s_place("M's other place", eds));
    pv_t *status = s_one("status", "closed"), *name = s_one("name", "mine now");
    pv_t *place = s_place("my place", NULL);
    uint8_t own[32];
    char *why = NULL;
    size_t before = repo_edit_count(r);
    cr_expect_eq(s_local(r, ID(0), status, NULL, &why), BU_EPERM, "another member's place");
    cr_expect_not_null(why);
    cr_expect_eq(repo_edit_count(r), before, "a refused edit is not stored");
    cr_expect_eq(s_local(r, ID(1), status, NULL, &why), 0, "as its editor: %s", why);
    cr_expect_eq(s_local(r, ID(1), name, NULL, &why), BU_EPERM, "an editor renames it");
    cr_expect_eq(s_local(r, NULL, place, own, &why), 0, "create: %s", why);
    cr_expect_eq(s_local(r, own, name, NULL, &why), 0, "rename its own: %s", why);
    cr_expect_eq(repo_edit_count(r), before + 3);
    cr_expect_str_eq(s_str(r, own, "name"), "mine now");
    cr_expect_str_eq(s_str(r, ID(1), "status"), "closed");

    /* revoked after those edits: they keep counting, new ones are refused */
    s_revoke(r, &F, me->pk, H(200), 0);
    before = repo_edit_count(r);
    cr_expect_eq(s_local(r, own, status, NULL, &why), BU_EPERM, "a revoked node's own edit");
    cr_expect(why && strstr(why, "revoked"), "cause: %s", why ? why : "(none)");
    cr_expect_eq(repo_edit_count(r), before);
    cr_expect_str_eq(s_str(r, own, "name"), "mine now");
    cr_expect_eq(repo_entity(r, own)->denied, 0);
    free(why);
    pv_free(&status);
    pv_free(&name);
    pv_free(&place);
}

/* Issue 11, hand-off: a coordinator claims a need for a mosque's offer;
 * the mosque (the offer's creator, or its place's editors) may then mark
 * it done or release it, others still may not. */
Test(auth, the_organisation_a_need_is_claimed_for_may_finish_or_release_it)
{
    repo_t *r = s_mesh_home();
    s_put(r, REC_PLACE, ID(2), &D, H(5), s_place("Moskee", s_ids(&C, NULL)));
    s_put(r, REC_OFFER, ID(3), &D, H(6),
          fx_fields("provider", fx_hexid(ID(2)), "categories", fx_list1("food"), NULL));
    s_put(r, REC_NEED, ID(0), &N, H(10), s_need("warm meals", NULL));
    S_OK(r, REC_NEED, ID(0), &M, 11,
         fx_fields("status", pv_str("claimed"), "claimed_by", fx_hexid(ID(3)), NULL)); /* M claims for the mosque */
    S_NO(r, REC_NEED, ID(0), &X, 12, s_one("status", "done"));   /* not involved */
    S_OK(r, REC_NEED, ID(0), &D, 13, s_one("status", "done"));   /* the offer's creator */
    cr_expect_str_eq(s_str(r, ID(0), "status"), "done");

    s_put(r, REC_NEED, ID(1), &N, H(20), s_need("a lift", NULL));
    S_OK(r, REC_NEED, ID(1), &M, 21,
         fx_fields("status", pv_str("claimed"), "claimed_by", fx_hexid(ID(3)), NULL));
    S_NO(r, REC_NEED, ID(1), &X, 22, s_claim(&X));               /* already claimed */
    S_NO(r, REC_NEED, ID(1), &C, 23, s_one("summary", "mine"));  /* the place's editor: only claim fields */
    S_OK(r, REC_NEED, ID(1), &C, 24, s_release());               /* the place's editor releases it */
    cr_expect_str_eq(s_str(r, ID(1), "status"), "open");
    s_check(r);
}
