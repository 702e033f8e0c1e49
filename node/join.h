/*
 * join.h -- joining a mesh with an invite code (the joining side).
 *
 * Finds the inviting node (a static address and node id, or a UDP beacon
 * whose mesh id starts with the code's mesh prefix), connects to it over
 * CURVE with this node's own key, sends JOIN and waits for JOINED. On
 * success every certificate received is verified and stored, the mesh is
 * written to the config and the inviting node becomes a static peer. The
 * certificates are checked to chain back to a founder whose id starts with
 * the code's prefix and to admit this node, so a look-alike node answering
 * a beacon cannot make us join another mesh.
 */
#ifndef BUURT_JOIN_H
#define BUURT_JOIN_H

#include "node/repo.h"

typedef struct {
    const char *code;       /* the invite code as typed */
    const char *peer_addr;  /* tcp://HOST:PORT, or NULL to listen for beacons */
    const uint8_t *peer_key;/* that node's id (with peer_addr) */
    int beacon_port;        /* UDP port of beacons (default 4836) */
    int timeout_ms;
} join_opts_t;

typedef struct {
    uint8_t mesh[32];
    char mesh_name[121];
    char role[16];
    uint8_t inviter[32];
    char inviter_addr[200];
} join_result_t;

/* Returns 0, or a negative BU_ code with a one-line *cause for a person. */
int join_run(repo_t *r, const join_opts_t *o, join_result_t *res, char **cause);

#endif
