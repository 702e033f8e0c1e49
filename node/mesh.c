/*
 * mesh.c -- founding, joining, this node's role (see mesh.h).
 */
#include "node/mesh.h"
#include "node/config.h"
#include "proto/err.h"
#include "proto/util.h"

#include <stdlib.h>
#include <string.h>

int mesh_join(repo_t *r, const uint8_t mesh[32], const char *mesh_name, char **cause)
{
    const uint8_t *cur = repo_mesh(r);
    char hex[65];
    if (cur && memcmp(cur, mesh, 32) != 0) {
        hex_encode(cur, 32, hex);
        return bu_fail(cause, BU_EEXIST, "this node is already in mesh %s", hex);
    }
    hex_encode(mesh, 32, hex);
    int rc = config_set(repo_home(r), "mesh", hex, cause);
    if (rc == 0 && mesh_name && *mesh_name)
        rc = config_set(repo_home(r), "mesh_name", mesh_name, cause);
    if (rc == 0)
        repo_set_mesh(r, mesh);
    return rc;
}

int mesh_create(repo_t *r, const char *name, char **cause)
{
    const uint8_t *cur = repo_mesh(r);
    if (cur) {
        char hex[65];
        hex_encode(cur, 32, hex);
        return bu_fail(cause, BU_EEXIST, "this node is already in mesh %s", hex);
    }
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str(repo_name(r)[0] ? repo_name(r) : "founder"));
    pv_map_set(f, "role", pv_str(members_role_name(ROLE_ADMIN)));
    pv_map_set(f, "mesh_name", pv_str(name));
    int rc = repo_edit(r, REC_MEMBER, repo_key(r)->pk, f, NULL, cause);
    pv_free(&f);
    if (rc == 0)
        rc = mesh_join(r, repo_key(r)->pk, name, cause);
    return rc;
}

int mesh_my_role(repo_t *r)
{
    const members_t *m = repo_members(r);
    const member_t *me = m ? members_find(m, repo_key(r)->pk) : NULL;
    if (!me || me->revoked)
        return -1;
    return (int)me->role;
}

int mesh_require_admin(repo_t *r, const char *what, char **cause)
{
    if (mesh_my_role(r) == ROLE_ADMIN)
        return 0;
    return bu_fail(cause, BU_EPERM, "only an admin of the mesh can %s; this node is not one", what);
}
