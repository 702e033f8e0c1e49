/*
 * bench/lat.c -- how long a busy buurtd keeps people waiting (the rows
 * "answers during a catch-up"). Until STOP_FILE exists (or MAX_S pass) it
 * repeats, one after the other:
 *
 *   - a control request: `peers` on HOME's control socket, as the CLI
 *     sends it, timed from send to reply;
 *   - a ZAP verdict: a CURVE handshake with the node at ENDPOINT (node id
 *     NODE_ID) from a fresh key pair, timed from connect until the socket
 *     monitor reports the handshake done or refused; the node's ZAP
 *     handler decides either way, so this is its answer time plus one
 *     handshake on loopback;
 *
 * with PAUSE_MS between rounds, and prints
 *   {"control": {"n":..,"p50":..,"p99":..,"max":..}, "zap": {...}}
 * in ms. A request not answered within 30 s counts as 30,000 ms.
 *
 *   lat HOME ENDPOINT NODE_ID STOP_FILE MAX_S [PAUSE_MS]
 */
#include "node/key.h"
#include "proto/control.h"
#include "proto/util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define LAT_WAIT_MS 30000
#define LAT_MAX_SAMPLES 100000

static double s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct {
    double v[LAT_MAX_SAMPLES];
    size_t n;
} samples_t;

static void s_add(samples_t *s, double v)
{
    if (s->n < LAT_MAX_SAMPLES)
        s->v[s->n++] = v;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of the samples, sorted in place. */
static double s_quantile(samples_t *s, double q)
{
    if (s->n == 0)
        return -1;
    qsort(s->v, s->n, sizeof *s->v, s_cmp);
    size_t k = (size_t)(q * (double)s->n + 0.999999);
    return s->v[k == 0 ? 0 : k - 1];
}

static void s_print(const char *name, samples_t *s, const char *sep)
{
    double p50 = s_quantile(s, 0.5), p99 = s_quantile(s, 0.99); /* sorts */
    printf("\"%s\": {\"n\": %zu, \"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f}%s", name, s->n, p50,
           p99, s->n ? s->v[s->n - 1] : -1.0, sep);
}

/* One `peers` round trip on the control socket, ms. */
static double s_control(void *ctl)
{
    buf_t req = {0};
    ctl_peers(&req);
    double t0 = s_ms();
    zmq_send(ctl, req.data, req.len, 0);
    buf_free(&req);
    zmq_pollitem_t it = {ctl, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, LAT_WAIT_MS) <= 0)
        return LAT_WAIT_MS;
    zmq_msg_t z;
    zmq_msg_init(&z);
    zmq_msg_recv(&z, ctl, 0);
    zmq_msg_close(&z);
    return s_ms() - t0;
}

/* One CURVE handshake with a fresh key, until the node's verdict, ms. */
static double s_zap(void *zctx, const char *ep, const uint8_t server[32], int round)
{
    uint8_t pk[32], sk[32];
    crypto_box_keypair(pk, sk);
    void *d = zmq_socket(zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, server, 32);
    zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, pk, 32);
    zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, sk, 32);
    char mon[64];
    snprintf(mon, sizeof mon, "inproc://lat-%d", round);
    zmq_socket_monitor(d, mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                   ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                   ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    void *m = zmq_socket(zctx, ZMQ_PAIR);
    zmq_connect(m, mon);
    double t0 = s_ms(), took = LAT_WAIT_MS;
    zmq_connect(d, ep);
    zmq_pollitem_t it = {m, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, LAT_WAIT_MS) > 0)
        took = s_ms() - t0;
    zmq_msg_t z;
    for (int more = 1; more && zmq_poll(&it, 1, 0) > 0;) { /* the event's two frames */
        zmq_msg_init(&z);
        zmq_msg_recv(&z, m, 0);
        more = zmq_msg_more(&z);
        zmq_msg_close(&z);
    }
    zmq_socket_monitor(d, NULL, 0);
    zmq_close(m);
    zmq_close(d);
    return took;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: lat HOME ENDPOINT NODE_ID STOP_FILE MAX_S [PAUSE_MS]\n");
        return 2;
    }
    uint8_t id[32], server[32];
    if (sodium_init() < 0 || hex_decode(argv[3], id, 32) < 0 || key_curve_pk(id, server) < 0) {
        fprintf(stderr, "lat: bad node id %s\n", argv[3]);
        return 2;
    }
    double max_ms = atof(argv[5]) * 1000, pause_ms = argc > 6 ? atof(argv[6]) : 20;
    void *zctx = zmq_ctx_new();
    char *abs = realpath(argv[1], NULL);
    char *cep = xasprintf("ipc://%s/control.sock", abs ? abs : argv[1]);
    void *ctl = zmq_socket(zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(ctl, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(ctl, cep) != 0) {
        fprintf(stderr, "lat: cannot connect to %s\n", cep);
        return 1;
    }
    static samples_t control, zap;
    double t0 = s_ms();
    for (int round = 0; s_ms() - t0 < max_ms && access(argv[4], F_OK) != 0; round++) {
        s_add(&control, s_control(ctl));
        s_add(&zap, s_zap(zctx, argv[2], server, round));
        usleep((useconds_t)(pause_ms * 1000));
    }
    printf("{");
    s_print("control", &control, ", ");
    s_print("zap", &zap, "}\n");
    zmq_close(ctl);
    free(cep);
    free(abs);
    zmq_ctx_term(zctx);
    return 0;
}
