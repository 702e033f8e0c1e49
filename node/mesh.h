/*
 * mesh.h -- a node's place in its mesh: founding one, joining one, and
 * what this node may do in it. The one place these rules are written (the
 * CLI, buurtd and `buurt join` call them).
 *
 * Joining means trusting the founder's key as the root of membership: the
 * mesh id is the founder's node id. It is written to the home's config
 * (mesh, and mesh_name when known) and told to the open repo, so
 * authorisation starts at once.
 */
#ifndef BUURT_MESH_H
#define BUURT_MESH_H

#include "node/members.h"
#include "node/repo.h"

/* Founds a mesh named name with this node as its first admin: signs this
 * node's own certificate (role admin, mesh_name) and joins it. BU_EEXIST
 * when the node is already in a mesh (*cause names it). */
int mesh_create(repo_t *r, const char *name, char **cause);

/* Joins the mesh founded by mesh (mesh_name may be NULL). BU_EEXIST when
 * the node is already in another mesh. */
int mesh_join(repo_t *r, const uint8_t mesh[32], const char *mesh_name, char **cause);

/* This node's role in its mesh now: ROLE_* or -1 when it is in no mesh,
 * not admitted yet or revoked. */
int mesh_my_role(repo_t *r);

/* 0 when this node is an admin of its mesh now, else BU_EPERM with a
 * cause saying who may do what ("only an admin of the mesh can <what>;
 * this node is not one"). */
int mesh_require_admin(repo_t *r, const char *what, char **cause);

#endif
