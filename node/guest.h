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

#include "node/repo.h"

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
 * Answers one frame from a guest whose connection authenticated with the
 * CURVE key guest_curve. Returns 1 and the JOINED frame in *reply, or 0
 * when the frame is not a JOIN (guests may say nothing else: no answer).
 */
int guest_answer(const guest_env_t *env, const uint8_t guest_curve[32], const uint8_t *frame,
                 size_t len, buf_t *reply);

#endif
