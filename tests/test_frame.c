/*
 * test_frame.c -- a message of exactly MSG_MAX_BYTES crosses a CURVE link
 * set up as the node sets up its sockets (ZMQ_MAXMSGSIZE =
 * MSG_WIRE_MAX_BYTES), and one a byte over is refused by msg_decode
 * (issue 9.11). Loopback only, a port picked by the kernel.
 */
#include "proto/msg.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Sends len bytes from a CURVE client to a CURVE server whose sockets
 * carry ZMQ_MAXMSGSIZE = max; returns the size received, or -1 when
 * nothing arrived within ten seconds (with a limit of MSG_MAX_BYTES, as
 * before, libzmq drops the connection: the CURVE frame is 33 bytes longer
 * than the message). */
static long s_cross(size_t len, int64_t max)
{
    uint8_t spk[32], ssk[32], cpk[32], csk[32];
    crypto_box_keypair(spk, ssk);
    crypto_box_keypair(cpk, csk);
    void *ctx = zmq_ctx_new();
    void *r = zmq_socket(ctx, ZMQ_ROUTER), *d = zmq_socket(ctx, ZMQ_DEALER);
    int one = 1, linger = 0;
    zmq_setsockopt(r, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(r, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt(d, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt(r, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(r, ZMQ_CURVE_SECRETKEY, ssk, 32);
    zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, spk, 32);
    zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, cpk, 32);
    zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, csk, 32);
    cr_assert_eq(zmq_bind(r, "tcp://127.0.0.1:*"), 0);
    char ep[256];
    size_t el = sizeof ep;
    zmq_getsockopt(r, ZMQ_LAST_ENDPOINT, ep, &el);
    cr_assert_eq(zmq_connect(d, ep), 0);
    uint8_t *buf = xcalloc(1, len);
    cr_assert_eq(zmq_send(d, buf, len, 0), (int)len);
    long got = -1;
    zmq_pollitem_t it = {r, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, 10000) == 1) {
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        zmq_msg_init(&body);
        zmq_msg_recv(&rid, r, 0);
        zmq_msg_recv(&body, r, 0);
        got = (long)zmq_msg_size(&body);
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
    }
    free(buf);
    zmq_close(d);
    zmq_close(r);
    zmq_ctx_term(ctx);
    return got;
}

Test(frame, a_message_of_exactly_the_documented_maximum_crosses_a_curve_link)
{
    cr_assert_geq(sodium_init(), 0);
    cr_assert_eq(s_cross(MSG_MAX_BYTES, MSG_WIRE_MAX_BYTES), (long)MSG_MAX_BYTES,
                 "a 4 MiB message must arrive");
    uint8_t *big = xcalloc(1, MSG_MAX_BYTES + 1);
    msg_t m;
    cr_assert_lt(msg_decode(big, MSG_MAX_BYTES + 1, &m), 0, "one byte over is refused");
    free(big);
}
