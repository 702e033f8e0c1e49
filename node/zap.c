/*
 * zap.c -- the ZAP handler (see zap.h).
 */
#include "node/zap.h"
#include "proto/err.h"
#include "proto/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define ZAP_LOG_MS 60000 /* one line about refusals per minute */

struct zap {
    void *rep;   /* REP socket bound at inproc://zeromq.zap.01 */
    uint64_t logged_at, unlogged;
};

int zap_open(void *zctx, zap_t **out, char **cause)
{
    *out = NULL;
    void *s = zmq_socket(zctx, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(s, "inproc://zeromq.zap.01") != 0) {
        int e = errno;
        zmq_close(s);
        return bu_fail(cause, BU_EIO, "cannot start ZAP handler: %s", zmq_strerror(e));
    }
    zap_t *z = xcalloc(1, sizeof *z);
    z->rep = s;
    *out = z;
    return 0;
}

void zap_close(zap_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    zmq_close((*self_p)->rep);
    free(*self_p);
    *self_p = NULL;
}

void *zap_socket(const zap_t *self)
{
    return self->rep;
}

/* One request: version, request id, domain, address, identity,
 * mechanism, credentials (RFC 27); answers it. False when none waits. */
static bool s_one(zap_t *z, zap_decide_fn *decide, void *ctx,
                  void (*log)(void *ctx, const char *line), bool verbose)
{
    zmq_msg_t f[8];
    int nf = 0, more = 1;
    while (more && nf < 8) {
        zmq_msg_init(&f[nf]);
        if (zmq_msg_recv(&f[nf], z->rep, nf == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&f[nf]);
            break;
        }
        more = zmq_msg_more(&f[nf]);
        nf++;
    }
    if (nf == 0)
        return false;
    while (more) { /* drain an over-long request */
        zmq_msg_t x;
        zmq_msg_init(&x);
        zmq_msg_recv(&x, z->rep, 0);
        more = zmq_msg_more(&x);
        zmq_msg_close(&x);
    }
    const char *status = "400", *text = "not a member of this mesh";
    char user[80] = "";
    if (nf >= 7 && zmq_msg_size(&f[0]) == 3 && memcmp(zmq_msg_data(&f[0]), "1.0", 3) == 0 &&
        zmq_msg_size(&f[5]) == 5 && memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 &&
        zmq_msg_size(&f[6]) == 32) {
        uint8_t node[32];
        const char *why = NULL;
        zap_verdict_t v = decide(ctx, zmq_msg_data(&f[6]), node, &why);
        if (v == ZAP_MEMBER) {
            status = "200";
            text = "OK";
            hex_encode(node, 32, user);
        } else if (v == ZAP_REVOKED) {
            /* only to be told it was revoked (node.c) */
            status = "200";
            text = "revoked member";
            memcpy(user, "revoked:", 8);
            hex_encode(node, 32, user + 8);
        } else if (v == ZAP_GUEST) {
            /* a guest may only send JOIN (node/guest.c) */
            status = "200";
            text = "guest (invite open)";
            memcpy(user, "guest:", 6);
            hex_encode(zmq_msg_data(&f[6]), 32, user + 6);
        } else if (why) {
            text = why;
        }
    }
    if (log && (verbose || status[0] != '2')) {
        /* anyone can knock: one line a minute, counting the rest */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
        if (verbose || z->logged_at == 0 || now - z->logged_at >= ZAP_LOG_MS) {
            char line[200];
            if (z->unlogged)
                snprintf(line, sizeof line, "ZAP %s: %s (and %llu refusals not logged in the last minute)",
                         status, text, (unsigned long long)z->unlogged);
            else
                snprintf(line, sizeof line, "ZAP %s: %s", status, text);
            log(ctx, line);
            z->logged_at = now;
            z->unlogged = 0;
        } else {
            z->unlogged++;
        }
    }
    const void *rid = nf >= 2 ? zmq_msg_data(&f[1]) : "";
    size_t rlen = nf >= 2 ? zmq_msg_size(&f[1]) : 0;
    zmq_send(z->rep, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(z->rep, rid, rlen, ZMQ_SNDMORE);
    zmq_send(z->rep, status, 3, ZMQ_SNDMORE);
    zmq_send(z->rep, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(z->rep, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(z->rep, "", 0, 0);
    for (int i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
    return true;
}

void zap_handle(zap_t *self, zap_decide_fn *decide, void *ctx,
                void (*log)(void *ctx, const char *line), bool verbose)
{
    /* ZAP requests come one at a time per handshake; answer all waiting */
    for (int i = 0; i < 64 && s_one(self, decide, ctx, log, verbose); i++)
        ;
}
