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
 *       {"id":ENTITY,"seen_ms":[arrival per home, ms after the edit was
 *       sent; -1 if it never came],"ms":[the same as each daemon saw it:
 *       its stored_at_ms, exact where a sweep of many homes is slow],
 *       "sweep_ms":mean time between sweeps}; exit 1 on timeout. HOME0's arrival is when its daemon answered the edit.
 *       Then waits until the links are quiet (no node's bytes_sent moves
 *       for QUIET_MS) and adds "bytes" and "msgs": the sum over every
 *       node and peer of bytes_sent and msgs_sent (message frames, without
 *       the CURVE/ZMTP framing; PINGs left out: pings_sent) since just
 *       before the edit, and "twice": edits pushed to a node that held
 *       them (pushed_twice, peers that announce).
 *   prop flood TIMEOUT_S PER HOME...
 *       makes PER edits on every daemon at once (each daemon's next edit
 *       sent as soon as its previous one is answered, all daemons in
 *       flight together), then waits until every daemon counts
 *       PER x HOMES more edits than before. Prints {"ok":...,"write_ms":
 *       last edit answered,"ms":converged,"edits":final count}.
 *   prop count TIMEOUT_S HOME EDITS
 *       polls HOME's daemon every COUNT_POLL_US (10 ms) until it counts at least EDITS
 *       edits (it may still be starting). Prints {"ok":...,"ms":since
 *       prop started,"edits":...}; exit 1 on timeout. A catch-up row
 *       waits with it: a `buurt peers --json | python3` per poll took a
 *       good part of a core from the catch-up it measured. With
 *       PROP_TRACE set in the environment it writes "prop: MS ms N edits"
 *       to stderr each time the count moves (where does the time go).
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
#include <unistd.h>
#include <zmq.h>

#define POLL_US 250 /* pause between sweeps of edit polls */
#define COUNT_POLL_US 10000 /* prop count: one peers request per 10 ms */
#define QUIET_MS 300 /* no bytes moved this long: the edit's traffic is over */
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

/* Sums a field of every peer in a peers reply. */
static long long s_sum(const ctl_msg_t *rep, const char *field)
{
    long long k = 0;
    const pv_t *l = rep->type == CTL_PEERS_REPLY ? rep->peers : NULL;
    for (size_t i = 0; l && l->type == PV_ARR && i < l->u.a.n; i++)
        k += pv_get_int(l->u.a.items[i], field, 0);
    return k;
}

static long long s_bytes_sum, s_msgs_sum, s_twice_sum; /* of the last sweep */
static long long s_stored_at[MAX_HOMES];  /* of the last sweep: latest stored_at_ms, per home */

static long long s_max(const ctl_msg_t *rep, const char *field)
{
    long long k = 0;
    const pv_t *l = rep->type == CTL_PEERS_REPLY ? rep->peers : NULL;
    for (size_t i = 0; l && l->type == PV_ARR && i < l->u.a.n; i++) {
        long long v = pv_get_int(l->u.a.items[i], field, 0);
        k = v > k ? v : k;
    }
    return k;
}

/* Sends a peers request to every socket with want[i], then collects the
 * replies (up to timeout_ms in all); counts[i] / conn[i] get -1 when none.
 * s_bytes_sum, s_msgs_sum: bytes_sent and msgs_sent of every peer of
 * every daemon that answered, PINGs left out. */
static void s_sweep(void **s, int n, const bool *want, long long *counts, int *conn,
                    int timeout_ms)
{
    s_bytes_sum = s_msgs_sum = s_twice_sum = 0;
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
        s_stored_at[i] = s_max(&rep, "stored_at_ms");
        /* PINGs ([5], 2 bytes) keep idle links alive, whatever the edit */
        long long pings = s_sum(&rep, "pings_sent");
        s_bytes_sum += s_sum(&rep, "bytes_sent") - 2 * pings;
        s_msgs_sum += s_sum(&rep, "msgs_sent") - pings;
        s_twice_sum += s_sum(&rep, "pushed_twice");
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

/* The edit: `buurt place add ...` as the CLI forwards it to a daemon. */
static void s_edit_req(buf_t *req)
{
    static char *const args[] = {"place", "add", "--name", "Propagation probe", "--kind",
                                 "other", "--area", "Bench"};
    ctl_exec(req, (int)(sizeof args / sizeof args[0]), args, false, -1, 0);
}

/* Reads one control message; true when it is the RESULT of an exec (its
 * code in *code). */
static bool s_result(void *s, int timeout_ms, int *code)
{
    ctl_msg_t rep;
    if (s_recv(s, timeout_ms, &rep) < 0)
        return false;
    bool done = rep.type == CTL_RESULT;
    if (done)
        *code = rep.code;
    ctl_clear(&rep);
    return done;
}

static int s_flood(double timeout_ms, int per, int n, char **homes)
{
    void *s[MAX_HOMES];
    long long base[MAX_HOMES], counts[MAX_HOMES];
    int made[MAX_HOMES] = {0}, failed = 0;
    bool want[MAX_HOMES] = {0};
    for (int i = 0; i < n; i++) {
        s[i] = s_open(homes[i]);
        want[i] = true;
    }
    s_sweep(s, n, want, base, NULL, 5000);
    for (int i = 0; i < n; i++)
        if (base[i] < 0 || base[i] != base[0]) {
            fprintf(stderr, "prop: %s does not answer or is not in sync\n", homes[i]);
            return 1;
        }
    buf_t req = {0};
    s_edit_req(&req);
    double t0 = now_ms();
    for (int i = 0; i < n; i++)
        s_send(s[i], &req);
    int left = n;
    while (left > 0 && now_ms() - t0 < timeout_ms) {
        zmq_pollitem_t it[MAX_HOMES];
        for (int i = 0; i < n; i++)
            it[i] = (zmq_pollitem_t){s[i], 0, made[i] < per ? ZMQ_POLLIN : 0, 0};
        if (zmq_poll(it, n, 1000) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            int code = -1;
            if (!(it[i].revents & ZMQ_POLLIN) || !s_result(s[i], 0, &code))
                continue;
            failed += code != 0;
            if (++made[i] < per)
                s_send(s[i], &req);
            else
                left--;
        }
    }
    buf_free(&req);
    double write_ms = now_ms() - t0;
    long long goal = base[0] + (long long)per * n - failed;
    bool ok = false;
    while (left == 0 && !ok && now_ms() - t0 < timeout_ms) {
        s_sweep(s, n, want, counts, NULL, 5000);
        ok = true;
        for (int i = 0; i < n && ok; i++)
            ok = counts[i] == goal;
        if (!ok) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    printf("{\"ok\":%s,\"write_ms\":%.0f,\"ms\":%.0f,\"edits\":%lld,\"failed\":%d}\n",
           ok ? "true" : "false", write_ms, now_ms() - t0, goal, failed);
    if (!ok) {
        fprintf(stderr, "prop: counts:");
        for (int i = 0; i < n; i++)
            fprintf(stderr, " %lld", counts[i]);
        fprintf(stderr, " (want %lld)\n", goal);
    }
    for (int i = 0; i < n; i++)
        zmq_close(s[i]);
    return ok && failed == 0 ? 0 : 1;
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
    long long bytes0 = s_bytes_sum, msgs0 = s_msgs_sum, twice0 = s_twice_sum;
    /* the edit: `buurt place add ...` forwarded to HOME0's daemon */
    buf_t req = {0};
    s_edit_req(&req);
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
    double sweep_ms = sweeps ? (now_ms() - t1) / sweeps : 0;
    /* the traffic the edit caused: until no link moves for QUIET_MS */
    for (int i = 0; i < n; i++)
        want[i] = true;
    long long last = -1;
    double quiet = now_ms();
    while (now_ms() - t0 < timeout_ms) {
        s_sweep(s, n, want, counts, NULL, 2000);
        if (s_bytes_sum != last) {
            last = s_bytes_sum;
            quiet = now_ms();
        } else if (now_ms() - quiet >= QUIET_MS) {
            break;
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* arrivals as the daemons saw them (stored_at_ms, the same monotonic
     * clock as t0, ms): exact to a millisecond, where a sweep of many
     * homes takes longer than that */
    printf("{\"id\":\"%s\",\"seen_ms\":[", id);
    for (int i = 0; i < n; i++)
        printf("%s%.2f", i ? "," : "", at[i]);
    printf("],\"ms\":[%.2f", at[0]);
    for (int i = 1; i < n; i++)
        printf(",%.2f", left == 0 && s_stored_at[i] > 0 ? (double)s_stored_at[i] - t0 : at[i]);
    printf("],\"sweep_ms\":%.2f,\"bytes\":%lld,\"msgs\":%lld,\"twice\":%lld}\n", sweep_ms,
           s_bytes_sum - bytes0, s_msgs_sum - msgs0, s_twice_sum - twice0);
    for (int i = 0; i < n; i++)
        zmq_close(s[i]);
    return left == 0 ? 0 : 1;
}

static int s_count_until(double timeout_ms, const char *home, long long want)
{
    double t0 = now_ms();
    void *s = s_open(home);
    bool ask = true;
    long long got = -1, last = -2;
    bool trace = getenv("PROP_TRACE") != NULL;
    while (now_ms() - t0 < timeout_ms) {
        s_sweep(&s, 1, &ask, &got, NULL, 1000);
        if (trace && got != last)
            fprintf(stderr, "prop: %.1f ms %lld edits\n", now_ms() - t0, got);
        last = got;
        if (got >= want)
            break;
        usleep(COUNT_POLL_US);
    }
    printf("{\"ok\":%s,\"ms\":%.1f,\"edits\":%lld}\n", got >= want ? "true" : "false",
           now_ms() - t0, got);
    zmq_close(s);
    return got >= want ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "count") == 0) {
        s_ctx = zmq_ctx_new();
        int rc = s_count_until(atof(argv[2]) * 1000, argv[3], atoll(argv[4]));
        zmq_ctx_term(s_ctx);
        return rc;
    }
    bool flood = argc >= 5 && strcmp(argv[1], "flood") == 0;
    if (argc < 4 || argc - 3 - flood > MAX_HOMES ||
        (strcmp(argv[1], "ready") != 0 && strcmp(argv[1], "edit") != 0 && !flood)) {
        fprintf(stderr, "usage: prop ready TIMEOUT_S HOME:DEGREE...\n"
                        "       prop edit TIMEOUT_S HOME0 HOME...\n"
                        "       prop flood TIMEOUT_S PER HOME...\n"
                        "       prop count TIMEOUT_S HOME EDITS\n");
        return 2;
    }
    double timeout_ms = atof(argv[2]) * 1000;
    s_ctx = zmq_ctx_new();
    int rc = flood                             ? s_flood(timeout_ms, atoi(argv[3]), argc - 4, argv + 4)
             : strcmp(argv[1], "ready") == 0 ? s_ready(timeout_ms, argc - 3, argv + 3)
                                             : s_edit(timeout_ms, argc - 3, argv + 3);
    zmq_ctx_term(s_ctx);
    return rc;
}
