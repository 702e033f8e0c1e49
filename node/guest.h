/*
 * guest.h -- the inviting side of joining by invite (docs/protocol.md
 * §10.6): a guest is a connection from a key that is not a member, let in
 * by the ZAP handler only while an invite is open (node/zap.c), and it
 * may only send JOIN. guest_answer checks the JOIN against the invites
 * this node made (node/invites.h) and the connection's CURVE key, admits
 * the joiner with a signed certificate when all is right (marking the
 * invite used first, durably), and makes the JOINED answer: every
 * certificate and the mesh settings of the store on success, a status and
 * a reason otherwise. No sockets: the node sends the answer.
 */
#ifndef BUURT_GUEST_H
#define BUURT_GUEST_H

#include "node/invites.h"
#include "node/repo.h"
#include "proto/invite.h"

typedef struct {
    repo_t *repo;                /* the inviting node's repo (written) */
    const uint8_t *mesh;         /* its mesh id */
    const char *mesh_name;
    const uint8_t *curve_pk;     /* its CURVE public key (the JOIN proof binds it) */
    uint64_t now_ms;             /* wall clock: invite expiry */
    void (*log)(void *ctx, const char *line);
    void *ctx;
} guest_env_t;

/*
 * The status the inviting node answers a decoded JOIN with, checked in
 * the order of docs/protocol.md §10.6: mesh_prefix against env->mesh
 * (WRONG_MESH), inv (NULL: this node holds no invite with j->id; an inv
 * whose id is not j->id counts as none: UNKNOWN), the CURVE key derived
 * from j->node against guest_curve and then the proof, in constant time
 * (BAD_PROOF), inv->used (USED), inv->expires <= env->now_ms (EXPIRED);
 * JOIN_OK when all pass. Uses only env's mesh, curve_pk and now_ms: no
 * I/O, nothing recorded. *text gets the static reason JOINED carries.
 */
int guest_verdict(const guest_env_t *env, const uint8_t guest_curve[32], const join_msg_t *j,
                  const invite_t *inv, const char **text);

/*
 * Answers one frame from a guest whose connection authenticated with the
 * CURVE key guest_curve. Returns 1 and the JOINED frame in *reply, or 0
 * when the frame is not a JOIN (guests may say nothing else: no answer).
 */
int guest_answer(const guest_env_t *env, const uint8_t guest_curve[32], const uint8_t *frame,
                 size_t len, buf_t *reply);

#endif
