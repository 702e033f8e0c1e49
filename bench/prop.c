/*
 * bench/prop.c -- the stopwatch of the propagation row. It talks to
 * running buurtd daemons over their control sockets (<home>/control.sock),
 * with the same requests the CLI sends, so waiting never means sleeping a
 * fixed time and timing needs no process start per poll.
 *
 *   prop ready TIMEOUT_S HOME:DEGREE...
 *       waits until every daemon lists at least DEGREE connected peers and
 *       all report the same edit count (the mesh is up and in sync).
 *       Prints {"ok":true,"ms":...,"edits":...}; exit 1 on timeout.
 *   prop edit TIMEOUT_S HOME0 HOME...
 *       makes one edit on HOME0's daemon (a forwarded `place add`, exactly
 *       as the CLI sends it) and polls the edit count of every daemon that
 *       lacks it, all requests in flight at once, sweep after sweep
 *       (POLL_US apart), until each counts one more than before. Prints
 *       {"id":ENTITY,"ms":[arrival per home, ms after the edit was sent;
 *       -1 if it never came],"sweep_ms":mean time between sweeps}; exit 1
 *       on timeout. HOME0's arrival is when its daemon answered the edit.
 *
 * An arrival is known within one sweep (sweep_ms: a fraction of a
 * millisecond for 20 homes on loopback). The edit count is a proxy for
 * "has the edit": run.sh checks afterwards with `buurt show ID` on every
 * home.
 */
#include "proto/util.h"
#include "proto/control.h"
#include "proto/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define POLL_US 250 /* pause between sweeps of edit polls */
#define MAX_HOMES 256

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *s_ctx;

/* A DEALER connected to home's control socket. */
static void *s_open(const char *home)
{
    char *abs = realpath(home, NULL);
    char *ep = xasprintf("ipc://%s/control.sock", abs ? abs : home);
    void *s = zmq_socket(s_ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(s, ep) != 0) {
        fprintf(stderr, "prop: cannot connect to %s: %s\n", ep, zmq_strerror(zmq_errno()));
        exit(1);
    }
    free(abs);
    free(ep);
    return s;
}

static void s_send(void *s, const buf_t *b)
{
    zmq_send(s, b->data, b->len, 0);
}

/* Receives one control message if one is waiting within timeout_ms: 0 and
 * *m (ctl_clear it), or -1. */
static int s_recv(void *s, int timeout_ms, ctl_msg_t *m)
{
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    memset(m, 0, sizeof *m);
    if (zmq_poll(&it, 1, timeout_ms) <= 0)
        return -1;
    zmq_msg_t z;
    zmq_msg_init(&z);
    int rc = zmq_msg_recv(&z, s, 0) < 0 ? -1 : ctl_decode(zmq_msg_data(&z), zmq_msg_size(&z), m);
    zmq_msg_close(&z);
    return rc < 0 ? -1 : 0;
}

/* Edit count in a peers reply, -1 if it is not one. */
static long long s_count(const ctl_msg_t *rep)
{
    return rep->type == CTL_PEERS_REPLY ? pv_get_int(rep->node, "edits", -1) : -1;
}

static int s_connected(const ctl_msg_t *rep)
{
    int k = 0;
    const pv_t *l = rep->type == CTL_PEERS_REPLY ? rep->peers : NULL;
    for (size_t i = 0; l && l->type == PV_ARR && i < l->u.a.n; i++)
        k += pv_get_bool(l->u.a.items[i], "connected", false);
    return k;
}

/* Sends a peers request to every socket with want[i], then collects the
 * replies (up to timeout_ms in all); counts[i] / conn[i] get -1 when none. */
static void s_sweep(void **s, int n, const bool *want, long long *counts, int *conn,
                    int timeout_ms)
{
    buf_t req = {0};
    ctl_peers(&req);
    for (int i = 0; i < n; i++) {
        counts[i] = -1;
        if (conn)
            conn[i] = -1;
        if (want[i])
            s_send(s[i], &req);
    }
    buf_free(&req);
    double deadline = now_ms() + timeout_ms;
    for (int i = 0; i < n; i++) {
        if (!want[i])
            continue;
        double left = deadline - now_ms();
        ctl_msg_t rep;
        if (s_recv(s[i], left > 0 ? (int)left : 0, &rep) < 0)
            continue;
        counts[i] = s_count(&rep);
        if (conn)
            conn[i] = s_connected(&rep);
        ctl_clear(&rep);
    }
}

static int s_ready(double timeout_ms, int n, char **spec)
{
    void *s[MAX_HOMES];
    int deg[MAX_HOMES], conn[MAX_HOMES];
    long long counts[MAX_HOMES];
    bool want[MAX_HOMES] = {0};
    for (int i = 0; i < n; i++) {
        char *colon = strrchr(spec[i], ':');
        deg[i] = colon ? atoi(colon + 1) : 1;
        if (colon)
            *colon = '\0';
        s[i] = s_open(spec[i]);
        want[i] = true;
    }
    double t0 = now_ms();
    int rc = 1;
    long long edits = -1;
    while (now_ms() - t0 < timeout_ms) {
        s_sweep(s, n, want, counts, conn, 2000);
        bool ok = true;
        for (int i = 0; i < n && ok; i++)
            ok = counts[i] >= 0 && counts[i] == counts[0] && conn[i] >= deg[i];
        if (ok) {
            edits = counts[0];
            rc = 0;
            break;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (rc == 0) {
        printf("{\"ok\":true,\"ms\":%.0f,\"edits\":%lld}\n", now_ms() - t0, edits);
    } else {
        printf("{\"ok\":false,\"ms\":%.0f,\"state\":[", now_ms() - t0);
        for (int i = 0; i < n; i++)
            printf("%s{\"home\":\"%s\",\"edits\":%lld,\"connected\":%d,\"want\":%d}", i ? "," : "",
                   spec[i], counts[i], conn[i], deg[i]);
        printf("]}\n");
    }
    for (int i = 0; i < n; i++)
        zmq_close(s[i]);
    return rc;
}

static int s_edit(double timeout_ms, int n, char **homes)
{
    void *s[MAX_HOMES];
    long long base[MAX_HOMES], counts[MAX_HOMES];
    double at[MAX_HOMES];
    bool want[MAX_HOMES] = {0};
    for (int i = 0; i < n; i++) {
        s[i] = s_open(homes[i]);
        want[i] = true;
        at[i] = -1;
    }
    s_sweep(s, n, want, base, NULL, 5000);
    for (int i = 0; i < n; i++)
        if (base[i] < 0) {
            fprintf(stderr, "prop: no answer from buurtd in %s\n", homes[i]);
            return 1;
        }
    /* the edit: `buurt place add ...` forwarded to HOME0's daemon */
    static char *const args[] = {"place", "add", "--name", "Propagation probe", "--kind",
                                 "other", "--area", "Bench"};
    buf_t req = {0};
    ctl_exec(&req, (int)(sizeof args / sizeof args[0]), args, false, -1, 0);
    double t0 = now_ms();
    s_send(s[0], &req);
    buf_free(&req);
    /* the output (the new id) in OUT chunks, then RESULT */
    char id[65] = "";
    size_t idlen = 0;
    int code = -1;
    ctl_msg_t rep;
    while (code < 0 && s_recv(s[0], (int)timeout_ms, &rep) == 0) {
        if (rep.type == CTL_OUT && rep.stream == 1)
            for (size_t k = 0; k < rep.len && idlen < 64; k++)
                id[idlen++] = (char)rep.data[k];
        else if (rep.type == CTL_RESULT)
            code = rep.code;
        ctl_clear(&rep);
    }
    at[0] = now_ms() - t0;
    want[0] = false;
    id[idlen] = '\0';
    id[strcspn(id, " \n")] = '\0';
    if (code != 0 || !id[0]) {
        fprintf(stderr, "prop: the edit on %s failed\n", homes[0]);
        return 1;
    }
    int left = n - 1, sweeps = 0;
    double t1 = now_ms();
    while (left > 0 && now_ms() - t0 < timeout_ms) {
        s_sweep(s, n, want, counts, NULL, 2000);
        sweeps++;
        double t = now_ms() - t0;
        for (int i = 1; i < n; i++)
            if (want[i] && counts[i] > base[i]) {
                at[i] = t;
                want[i] = false;
                left--;
            }
        if (left > 0) {
            struct timespec ts = {0, POLL_US * 1000L};
            nanosleep(&ts, NULL);
        }
    }
    printf("{\"id\":\"%s\",\"ms\":[", id);
    for (int i = 0; i < n; i++)
        printf("%s%.2f", i ? "," : "", at[i]);
    printf("],\"sweep_ms\":%.2f}\n", sweeps ? (now_ms() - t1) / sweeps : 0);
    for (int i = 0; i < n; i++)
        zmq_close(s[i]);
    return left == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc - 3 > MAX_HOMES ||
        (strcmp(argv[1], "ready") != 0 && strcmp(argv[1], "edit") != 0)) {
        fprintf(stderr, "usage: prop ready TIMEOUT_S HOME:DEGREE...\n"
                        "       prop edit TIMEOUT_S HOME0 HOME...\n");
        return 2;
    }
    double timeout_ms = atof(argv[2]) * 1000;
    s_ctx = zmq_ctx_new();
    int rc = strcmp(argv[1], "ready") == 0 ? s_ready(timeout_ms, argc - 3, argv + 3)
                                           : s_edit(timeout_ms, argc - 3, argv + 3);
    zmq_ctx_term(s_ctx);
    return rc;
}
