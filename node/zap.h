/*
 * zap.h -- the ZAP handler of buurtd (ZeroMQ RFC 27): every CURVE
 * handshake on the node's ROUTER is decided here before the connection is
 * accepted. It is bound (inproc://zeromq.zap.01) before the ROUTER binds,
 * so no connection is ever accepted without it, and it fails closed: a
 * malformed request, another mechanism, or a key the decision function
 * does not admit is refused (status 400).
 *
 * The decision itself belongs to the node (is this CURVE key an active
 * member, not banned; or may a guest come in because an invite is open);
 * this module reads requests, asks, and writes replies whose User-Id is
 * the member's node id in hex, "guest:" and the guest's CURVE key, or
 * "revoked:" and a revoked member's node id (it is let in only to be told
 * that it was revoked). Refusals are logged at most once a minute (with
 * how many were not), so connection attempts cannot flood the log.
 */
#ifndef BUURT_ZAP_H
#define BUURT_ZAP_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { ZAP_REFUSE = 0, ZAP_MEMBER = 1, ZAP_GUEST = 2, ZAP_REVOKED = 3 } zap_verdict_t;

/* Decides one CURVE key: ZAP_MEMBER or ZAP_REVOKED (and the member's node
 * id in node_id), ZAP_GUEST, or ZAP_REFUSE with *why (a short text). */
typedef zap_verdict_t zap_decide_fn(void *ctx, const uint8_t curve[32], uint8_t node_id[32],
                                    const char **why);

typedef struct zap zap_t;

/* Binds the handler in the ZeroMQ context zctx. */
int zap_open(void *zctx, zap_t **out, char **cause);
void zap_close(zap_t **self_p);
/* The socket to poll for input. */
void *zap_socket(const zap_t *self);
/* Answers the waiting requests. log (may be NULL) is told of refusals. */
void zap_handle(zap_t *self, zap_decide_fn *decide, void *ctx,
                void (*log)(void *ctx, const char *line), bool verbose);

#endif
