/*
 * garbage.c -- test helper for tests/mesh.sh: a member node that speaks
 * CURVE correctly but then sends a frame that is not a buurt message.
 *
 * usage: garbage HOME ENDPOINT SERVER-NODE-ID
 *
 * Loads HOME's node key (a member of the server's mesh, so ZAP admits it),
 * connects a DEALER to ENDPOINT with the server's CURVE key, sends one
 * malformed frame and waits (up to 5 s) for it to be delivered. Exit 0 when
 * sent, 1 on failure, 2 on a usage error.
 */
#include "node/key.h"
#include "proto/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: garbage HOME ENDPOINT SERVER-NODE-ID\n");
        return 2;
    }
    nodekey_t k;
    uint8_t server_ed[32], server[32], pk[32], sk[32];
    char *kp = xasprintf("%s/node.key", argv[1]);
    char *cause = NULL;
    if (key_load(kp, &k, &cause) < 0 || hex_decode(argv[3], server_ed, 32) < 0 ||
        key_curve_pk(server_ed, server) < 0 || key_curve(&k, pk, sk) < 0) {
        fprintf(stderr, "garbage: bad key or id: %s\n", cause ? cause : "");
        return 1;
    }
    free(kp);
    void *ctx = zmq_ctx_new(), *d = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 5000;
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, server, 32);
    zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, pk, 32);
    zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, sk, 32);
    if (zmq_connect(d, argv[2]) != 0) {
        fprintf(stderr, "garbage: cannot connect to %s\n", argv[2]);
        return 1;
    }
    static const char junk[] = "\xc1 this is not msgpack";
    int rc = zmq_send(d, junk, sizeof junk - 1, 0) < 0;
    zmq_close(d);
    zmq_ctx_term(ctx); /* waits up to the linger time for delivery */
    return rc;
}
