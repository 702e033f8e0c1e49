/*
 * hostile.c -- test helper for tests/hostile.sh: a member node that speaks
 * CURVE and the buurt protocol but misbehaves on purpose, one attack per
 * mode. It is what a stolen laptop or a buggy fork could send.
 *
 * usage: hostile HOME ENDPOINT SERVER-NODE-ID MODE [ARG]
 *
 * HOME is a node home (its key must belong to a member of the server's
 * mesh, so ZAP admits it; its config names the mesh). Modes:
 *
 *   future HLC   sends HELLO, then one EDITS with a new place signed by
 *                HOME's key at clock HLC (decimal); prints the edit's id.
 *                The same HOME and HLC always give the same edit.
 *   flood N      sends HELLO, then N valid new places signed by HOME's key
 *                at the current clock, 256 per EDITS; prints N.
 *   badsig N     sends HELLO, then N edits whose signatures do not verify
 *                and whose one field name holds a terminal escape and a
 *                forged log line, 64 per EDITS; prints N.
 *
 * Exit 0 when the attack was sent, 1 on failure, 2 on a usage error.
 */
#include "node/config.h"
#include "node/key.h"
#include "proto/edit.h"
#include "proto/msg.h"
#include "proto/util.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

typedef struct {
    nodekey_t key;
    uint8_t mesh[32];
    void *ctx, *d;
} hostile_t;

static uint64_t s_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int s_send(hostile_t *h, const buf_t *b)
{
    return zmq_send(h->d, b->data, b->len, 0) < 0 ? -1 : 0;
}

static void s_hello(hostile_t *h)
{
    buf_t b = {0};
    msg_hello(&b, h->mesh, "hostile", s_wall());
    s_send(h, &b);
    buf_free(&b);
}

/* A new place signed at clock hlc, sent in one EDITS. */
static int s_future(hostile_t *h, uint64_t hlc)
{
    edit_t e = {0};
    e.kind = REC_PLACE;
    /* the same clock gives the same edit (Ed25519 is deterministic), so
     * sending it to two nodes sends one edit */
    crypto_generichash(e.entity, 32, (const uint8_t *)&hlc, sizeof hlc, h->key.pk, 32);
    memcpy(e.author, h->key.pk, 32);
    e.hlc = hlc;
    e.fields = pv_map();
    pv_map_set(e.fields, "name", pv_str("From the future"));
    pv_t *kinds = pv_arr();
    pv_arr_push(kinds, pv_str("other"));
    pv_map_set(e.fields, "kinds", kinds);
    buf_t w = {0};
    char *cause = NULL;
    if (edit_sign(&e, h->key.sk, EDIT_CREATING, &w, &cause) < 0) {
        fprintf(stderr, "hostile: cannot sign: %s\n", cause ? cause : "?");
        pv_free(&e.fields);
        return 1;
    }
    pv_free(&e.fields);
    s_hello(h);
    msg_blob_t blob = {w.data, w.len};
    buf_t b = {0};
    msg_edits(&b, &blob, 1, false);
    int rc = s_send(h, &b);
    char hex[65];
    hex_encode(e.id, 32, hex);
    printf("%s\n", hex);
    buf_free(&b);
    buf_free(&w);
    return rc < 0;
}

/* Sends the k edits laid end to end in raw (edit j at off[j], blobs[j].len
 * bytes) in one EDITS, and frees raw. */
static int s_send_edits(hostile_t *h, buf_t *raw, msg_blob_t *blobs, const size_t *off, size_t k)
{
    for (size_t j = 0; j < k; j++)
        blobs[j].data = raw->data + off[j];
    buf_t b = {0};
    msg_edits(&b, blobs, k, false);
    int rc = s_send(h, &b);
    buf_free(&b);
    buf_free(raw);
    return rc;
}

/* n valid new places, all in the current hour of the clock. */
static int s_flood(hostile_t *h, long n)
{
    uint64_t t0 = s_wall() << 16;
    s_hello(h);
    for (long i = 0; i < n;) {
        buf_t raw = {0};
        msg_blob_t blobs[256];
        size_t off[256], k = 0;
        for (; k < 256 && i < n; k++, i++) {
            edit_t e = {0};
            e.kind = REC_PLACE;
            memcpy(e.author, h->key.pk, 32);
            e.hlc = t0 + (uint64_t)i;
            edit_bound_id(e.author, e.hlc, e.entity);
            e.fields = pv_map();
            char name[48];
            snprintf(name, sizeof name, "Vloed %ld", i);
            pv_map_set(e.fields, "name", pv_str(name));
            pv_t *kinds = pv_arr();
            pv_arr_push(kinds, pv_str("other"));
            pv_map_set(e.fields, "kinds", kinds);
            off[k] = raw.len;
            char *cause = NULL;
            int rc = edit_sign(&e, h->key.sk, EDIT_CREATING, &raw, &cause);
            pv_free(&e.fields);
            if (rc < 0) {
                fprintf(stderr, "hostile: cannot sign: %s\n", cause ? cause : "?");
                buf_free(&raw);
                return 1;
            }
            blobs[k].len = raw.len - off[k];
        }
        if (s_send_edits(h, &raw, blobs, off, k) < 0)
            return 1;
    }
    printf("%ld\n", n);
    return 0;
}

/* n edits that do not verify, each with a field name made to forge log
 * lines and clear a terminal. */
static int s_badsig(hostile_t *h, long n)
{
    uint8_t sig[64] = {0};
    s_hello(h);
    for (long i = 0; i < n;) {
        buf_t raw = {0};
        msg_blob_t blobs[64];
        size_t off[64], k = 0;
        for (; k < 64 && i < n; k++, i++) {
            uint8_t entity[32];
            randombytes_buf(entity, 32);
            pv_t *fields = pv_map();
            pv_map_set(fields, "\x1b[2J\nbuurtd 12:00:00 forged line\x1b]0;owned\x07", pv_str("x"));
            pv_t *body = pv_arr();
            pv_arr_push(body, pv_int(EDIT_VERSION));
            pv_arr_push(body, pv_str("place"));
            pv_arr_push(body, pv_bin(entity, 32));
            pv_arr_push(body, pv_bin(h->key.pk, 32));
            pv_arr_push(body, pv_int((int64_t)s_wall() << 16));
            pv_arr_push(body, fields);
            buf_t bb = {0};
            pv_encode(body, &bb);
            pv_t *outer = pv_arr();
            pv_arr_push(outer, pv_bin(bb.data, bb.len));
            pv_arr_push(outer, pv_bin(sig, 64));
            off[k] = raw.len;
            pv_encode(outer, &raw);
            blobs[k].len = raw.len - off[k];
            pv_free(&outer);
            pv_free(&body);
            buf_free(&bb);
        }
        if (s_send_edits(h, &raw, blobs, off, k) < 0)
            return 1;
    }
    printf("%ld\n", n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: hostile HOME ENDPOINT SERVER-NODE-ID MODE [ARG]\n");
        return 2;
    }
    hostile_t h = {0};
    uint8_t server_ed[32], server[32], pk[32], sk[32];
    char *kp = xasprintf("%s/node.key", argv[1]);
    char *mesh = config_get(argv[1], "mesh");
    char *cause = NULL;
    if (sodium_init() < 0 || key_load(kp, &h.key, &cause) < 0 || !mesh ||
        hex_decode(mesh, h.mesh, 32) < 0 || hex_decode(argv[3], server_ed, 32) < 0 ||
        key_curve_pk(server_ed, server) < 0 || key_curve(&h.key, pk, sk) < 0) {
        fprintf(stderr, "hostile: bad home, mesh, key or server id: %s\n", cause ? cause : "");
        return 1;
    }
    free(kp);
    free(mesh);
    h.ctx = zmq_ctx_new();
    h.d = zmq_socket(h.ctx, ZMQ_DEALER);
    int linger = 5000;
    zmq_setsockopt(h.d, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(h.d, ZMQ_CURVE_SERVERKEY, server, 32);
    zmq_setsockopt(h.d, ZMQ_CURVE_PUBLICKEY, pk, 32);
    zmq_setsockopt(h.d, ZMQ_CURVE_SECRETKEY, sk, 32);
    if (zmq_connect(h.d, argv[2]) != 0) {
        fprintf(stderr, "hostile: cannot connect to %s: %s\n", argv[2], zmq_strerror(errno));
        return 1;
    }
    int rc;
    const char *mode = argv[4];
    if (strcmp(mode, "future") == 0 && argc == 6) {
        rc = s_future(&h, strtoull(argv[5], NULL, 10));
    } else if (strcmp(mode, "flood") == 0 && argc == 6) {
        rc = s_flood(&h, strtol(argv[5], NULL, 10));
    } else if (strcmp(mode, "badsig") == 0 && argc == 6) {
        rc = s_badsig(&h, strtol(argv[5], NULL, 10));
    } else {
        fprintf(stderr, "hostile: unknown mode or missing argument: %s\n", mode);
        rc = 2;
    }
    zmq_close(h.d);
    zmq_ctx_term(h.ctx); /* waits up to the linger time for delivery */
    return rc;
}
