/*
 * test_mesh.c -- behaviour tests for node/mesh.c: founding and joining a
 * mesh (config and repo agree afterwards, a second mesh is refused) and
 * the admin check every admin-only command uses.
 */
#include "node/config.h"
#include "node/home.h"
#include "node/setup.h"
#include "node/mesh.h"
#include "node/guest.h"
#include "node/invites.h"
#include "node/key.h"
#include "proto/invite.h"
#include "proto/err.h"
#include "tests/lib/fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static char s_root[64];
static repo_t *s_a, *s_b;

static repo_t *s_home(const char *name)
{
    char *home = xasprintf("%s/%s", s_root, name), *cause = NULL;
    cr_assert_eq(home_init(home, name, NULL, &cause), 0, "%s", cause ? cause : "");
    repo_t *r = NULL;
    cr_assert_eq(repo_open(home, &r, &cause), 0, "%s", cause ? cause : "");
    free(home);
    return r;
}

static void s_setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    strcpy(s_root, "/tmp/buurt-test-mesh-XXXXXX");
    cr_assert_not_null(mkdtemp(s_root));
    s_a = s_home("a");
    s_b = s_home("b");
}

static void s_teardown(void)
{
    repo_close(&s_a);
    repo_close(&s_b);
    fx_rm_tree(s_root);
}

TestSuite(mesh, .init = s_setup, .fini = s_teardown);

Test(mesh, create_makes_this_node_the_founding_admin_in_config_and_repo)
{
    char *cause = NULL;
    cr_assert_lt(mesh_require_admin(s_a, "invite", &cause), 0, "no mesh: not an admin");
    cr_assert(strstr(cause, "only an admin of the mesh can invite"), "%s", cause);
    free(cause);
    cause = NULL;
    cr_assert_eq(mesh_create(s_a, "Rotterdam-Zuid", &cause), 0, "%s", cause ? cause : "");
    cr_assert_not_null(repo_mesh(s_a));
    cr_assert(memcmp(repo_mesh(s_a), repo_key(s_a)->pk, 32) == 0, "the mesh id is the founder's id");
    char *m = config_get(repo_home(s_a), "mesh"), *mn = config_get(repo_home(s_a), "mesh_name");
    cr_assert_str_eq(m, repo_key(s_a)->id);
    cr_assert_str_eq(mn, "Rotterdam-Zuid");
    free(m);
    free(mn);
    cr_assert_eq(mesh_my_role(s_a), ROLE_ADMIN);
    cr_assert_eq(mesh_require_admin(s_a, "invite", NULL), 0);
    cr_assert_eq(mesh_create(s_a, "Another", &cause), BU_EEXIST);
    cr_assert(strstr(cause, "already in mesh"), "%s", cause);
    free(cause);
}

Test(mesh, join_records_the_mesh_and_refuses_a_second_one)
{
    char *cause = NULL;
    cr_assert_eq(mesh_create(s_a, "Zuid", NULL), 0);
    cr_assert_eq(mesh_join(s_b, repo_key(s_a)->pk, NULL, &cause), 0, "%s", cause ? cause : "");
    cr_assert(memcmp(repo_mesh(s_b), repo_key(s_a)->pk, 32) == 0);
    char *m = config_get(repo_home(s_b), "mesh");
    cr_assert_str_eq(m, repo_key(s_a)->id);
    free(m);
    cr_assert_eq(mesh_join(s_b, repo_key(s_a)->pk, NULL, NULL), 0, "joining the same mesh again is fine");
    cr_assert_eq(mesh_join(s_b, repo_key(s_b)->pk, NULL, &cause), BU_EEXIST);
    free(cause);
    /* joined but not admitted: no role, not an admin */
    cr_assert_eq(mesh_my_role(s_b), -1);
    cr_assert_eq(mesh_require_admin(s_b, "admit members", NULL), BU_EPERM);
}

/* Issue 9.10: a JOIN that does not prove the code learns nothing of the
 * mesh (any key may send one while an invite is open); one that does
 * gets the mesh id and name. */
Test(mesh, a_wrong_join_is_not_told_the_mesh_id_or_name)
{
    char *cause = NULL;
    cr_assert_eq(mesh_create(s_a, "Rotterdam-Zuid", &cause), 0, "%s", cause ? cause : "");
    const uint8_t *mesh = repo_mesh(s_a);
    uint8_t secret[INVITE_SECRET_LEN] = {0x40, 0x41}, a_curve[32], a_sk[32], b_curve[32], b_sk[32];
    invite_t inv = {0};
    invite_derive(secret, inv.id, inv.key);
    strcpy(inv.role, "member");
    inv.expires = UINT64_MAX / 2;
    cr_assert_eq(invites_add(repo_home(s_a), &inv, &cause), 0, "%s", cause ? cause : "");
    key_curve(repo_key(s_a), a_curve, a_sk);
    key_curve(repo_key(s_b), b_curve, b_sk);
    guest_env_t env = {s_a, mesh, "Rotterdam-Zuid", a_curve, 1767225600000ULL, NULL, NULL};
    join_msg_t j = {0};
    memcpy(j.mesh_prefix, mesh, INVITE_PREFIX_LEN);
    memcpy(j.id, inv.id, 16);
    memcpy(j.node, repo_key(s_b)->pk, 32);
    strcpy(j.name, "Bieb");
    memset(j.proof, 7, 32); /* not the proof */
    buf_t in = {0}, out = {0};
    invite_join_encode(&j, &in);
    cr_assert_eq(guest_answer(&env, b_curve, in.data, in.len, &out), 1);
    joined_msg_t d;
    cr_assert_eq(invite_joined_decode(out.data, out.len, &d), 0);
    static const uint8_t zero[32];
    cr_assert_eq(d.status, JOIN_BAD_PROOF);
    cr_assert(memcmp(d.mesh, zero, 32) == 0, "a wrong proof is not told the mesh id");
    cr_assert_str_eq(d.mesh_name, "", "nor its name");
    invite_joined_free(&d);
    /* with the proof: admitted, and told */
    invite_proof(inv.key, j.node, b_curve, a_curve, j.proof);
    buf_reset(&in);
    buf_reset(&out);
    invite_join_encode(&j, &in);
    cr_assert_eq(guest_answer(&env, b_curve, in.data, in.len, &out), 1);
    cr_assert_eq(invite_joined_decode(out.data, out.len, &d), 0);
    cr_assert_eq(d.status, JOIN_OK, "%s", d.text);
    cr_assert(memcmp(d.mesh, mesh, 32) == 0);
    cr_assert_str_eq(d.mesh_name, "Rotterdam-Zuid");
    invite_joined_free(&d);
    buf_free(&in);
    buf_free(&out);
}
