/*
 * daemon.c -- talking to a running buurtd over <home>/control.sock: one
 * request, one reply, each a msgpack array, with a timeout. The socket
 * lives in the home directory (mode 0700) and is created with umask 077,
 * so only the owner can reach it.
 *
 * Is a daemon there? buurtd takes the store lock first and writes
 * buurtd.pid last, once control.sock is bound. So: a daemon is *ready*
 * when buurtd.pid names a live process and control.sock accepts a
 * connection (a pid file left by a killed daemon, or whose pid was reused
 * after a power cut, fails the second test at once); a daemon may be
 * *starting* while the store is locked and it is not ready yet, and then
 * the CLI waits for it (cli_daemon_wait) instead of failing. While a
 * forwarded command runs, the CLI checks every 200 ms that the daemon's
 * process is still alive, so a daemon that dies is noticed at once.
 */
#include "cli/cli.h"
#include "node/home.h"
#include "node/store.h"
#include "proto/value.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define DAEMON_MAX_REPLY ((size_t)256 << 20) /* bytes: a reply from buurtd */
#define DAEMON_STEP_MS 200                    /* liveness checks while waiting */

/* The pid in buurtd.pid when that process is alive, else 0. */
static long s_pid(const char *home)
{
    char *path = home_path(home, HOME_PID);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return 0;
    long pid = 0;
    int ok = fscanf(f, "%ld", &pid) == 1;
    fclose(f);
    return ok && pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM) ? pid : 0;
}

/* True when something accepts connections on home's control socket. */
static bool s_socket_answers(const char *home)
{
    char *path = home_path(home, HOME_CONTROL);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    bool ok = false;
    if (strlen(path) < sizeof a.sun_path) {
        memcpy(a.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0) {
            ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
            close(fd);
        }
    } else {
        ok = true; /* too long to probe: let ZeroMQ try */
    }
    free(path);
    return ok;
}

bool cli_daemon_running(const char *home)
{
    return s_pid(home) > 0 && s_socket_answers(home);
}

static void s_pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint64_t s_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int cli_wait_ms(void)
{
    const char *e = getenv("BUURT_WAIT_MS");
    char *end = NULL;
    long v = e && *e ? strtol(e, &end, 10) : -1;
    return e && *e && end && *end == '\0' && v >= 0 && v <= 600000 ? (int)v : 30000;
}

bool cli_daemon_wait(const char *home, int timeout_ms)
{
    char *store = home_path(home, HOME_STORE);
    uint64_t start = s_mono(), until = start + (uint64_t)timeout_ms;
    bool ready = false, told = false;
    for (;;) {
        if (cli_daemon_running(home)) {
            ready = true;
            break;
        }
        /* nobody holds the store: no daemon is starting either */
        if (!store_is_locked(store) || s_mono() >= until)
            break;
        if (!told && isatty(STDERR_FILENO) && s_mono() - start > 1000) {
            fputs("buurt: waiting for the store (buurtd is starting, or another buurt command "
                  "is using it)...\n", stderr);
            told = true;
        }
        s_pause_ms(50);
    }
    free(store);
    return ready;
}

int cli_daemon_call(const char *home, const pv_t *req, int timeout_ms, pv_t **reply, char **cause)
{
    return cli_daemon_call_ex(home, req, timeout_ms, NULL, NULL, reply, cause);
}

int cli_daemon_call_ex(const char *home, const pv_t *req, int timeout_ms,
                       void (*tick)(void *ctx), void *ctx_tick, pv_t **reply, char **cause)
{
    *reply = NULL;
    /* a buurtd that is starting is waited for */
    if (!cli_daemon_running(home))
        cli_daemon_wait(home, timeout_ms < cli_wait_ms() ? timeout_ms : cli_wait_ms());
    long pid = s_pid(home);
    if (!pid || !s_socket_answers(home))
        return bu_fail(cause, BU_ENOENT, "buurtd is not running for %s; start it: buurtd --home %s",
                       home, home);
    char *abs = realpath(home, NULL);
    char *ep = xasprintf("ipc://%s/control.sock", abs ? abs : home);
    free(abs);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, rc = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    buf_t b = {0};
    pv_encode(req, &b);
    if (zmq_connect(s, ep) != 0 || zmq_send(s, b.data, b.len, 0) < 0) {
        rc = bu_fail(cause, BU_EIO, "cannot reach buurtd at %s: %s", ep, zmq_strerror(errno));
        goto done;
    }
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    uint64_t start = s_mono(), next_tick = start + 500;
    int r = 0;
    for (;;) {
        uint64_t now = s_mono();
        if (now - start >= (uint64_t)timeout_ms)
            break;
        uint64_t left = (uint64_t)timeout_ms - (now - start);
        r = zmq_poll(&it, 1, (long)(left < DAEMON_STEP_MS ? left : DAEMON_STEP_MS));
        if (r > 0)
            break;
        if (r < 0 && errno != EINTR)
            break;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            rc = bu_fail(cause, BU_EIO,
                         "buurtd (pid %ld) stopped before it answered; the command may or may not "
                         "have taken effect: check, then run it again",
                         pid);
            goto done;
        }
        if (tick && s_mono() >= next_tick) {
            tick(ctx_tick);
            next_tick = s_mono() + 500;
        }
    }
    if (r <= 0) {
        rc = bu_fail(cause, BU_EIO, "buurtd did not answer within %d s on %s; is it stuck?",
                     timeout_ms / 1000, ep);
        goto done;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    /* the reply carries the command's whole output (a full listing can be
     * tens of megabytes); the socket is local, owner-only */
    if (zmq_msg_recv(&m, s, 0) < 0 ||
        pv_decode_max(zmq_msg_data(&m), zmq_msg_size(&m), DAEMON_MAX_REPLY, reply) < 0) {
        rc = bu_fail(cause, BU_EIO, "bad reply from buurtd on %s", ep);
        *reply = NULL;
    }
    zmq_msg_close(&m);
done:
    buf_free(&b);
    free(ep);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}
