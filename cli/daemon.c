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
#include "proto/control.h"
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

/*
 * One request, then replies until one that ends it (done() true). tick is
 * called about every 500 ms while waiting. The daemon's pid is checked
 * every DAEMON_STEP_MS: a daemon that dies is reported at once.
 */
typedef bool s_on_reply_fn(void *ctx, const ctl_msg_t *m);

static int s_call(const char *home, const buf_t *req, int timeout_ms, void (*tick)(void *),
                  void *tick_ctx, s_on_reply_fn *on_reply, void *ctx, char **cause)
{
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
    void *zctx = zmq_ctx_new();
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    int linger = 0, rc = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(s, ep) != 0 || zmq_send(s, req->data, req->len, 0) < 0) {
        rc = bu_fail(cause, BU_EIO, "cannot reach buurtd at %s: %s", ep, zmq_strerror(errno));
        goto done;
    }
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    uint64_t start = s_mono(), next_tick = start + 500;
    for (;;) {
        uint64_t now = s_mono();
        if (now - start >= (uint64_t)timeout_ms) {
            rc = bu_fail(cause, BU_EIO, "buurtd did not answer within %d s on %s; is it stuck?",
                         timeout_ms / 1000, ep);
            goto done;
        }
        uint64_t left = (uint64_t)timeout_ms - (now - start);
        int r = zmq_poll(&it, 1, (long)(left < DAEMON_STEP_MS ? left : DAEMON_STEP_MS));
        if (r < 0 && errno != EINTR) {
            rc = bu_fail(cause, BU_EIO, "cannot wait for buurtd: %s", zmq_strerror(errno));
            goto done;
        }
        if (r > 0) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            ctl_msg_t m;
            if (zmq_msg_recv(&msg, s, 0) < 0 ||
                ctl_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &m) < 0) {
                zmq_msg_close(&msg);
                rc = bu_fail(cause, BU_EIO, "bad reply from buurtd on %s; is it the same version?", ep);
                goto done;
            }
            zmq_msg_close(&msg);
            bool end = on_reply(ctx, &m);
            ctl_clear(&m);
            if (end)
                goto done;
            start = s_mono(); /* the daemon is working: the timeout is between replies */
            continue;
        }
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            rc = bu_fail(cause, BU_EIO,
                         "buurtd (pid %ld) stopped before it answered; the command may or may not "
                         "have taken effect: check, then run it again",
                         pid);
            goto done;
        }
        if (tick && s_mono() >= next_tick) {
            tick(tick_ctx);
            next_tick = s_mono() + 500;
        }
    }
done:
    free(ep);
    zmq_close(s);
    zmq_ctx_term(zctx);
    return rc;
}

typedef struct {
    cli_t *c;
    int code;
    bool got;
} s_exec_t;

static bool s_on_exec(void *ctx, const ctl_msg_t *m)
{
    s_exec_t *x = ctx;
    if (m->type == CTL_OUT) {
        fwrite(m->data, 1, m->len, m->stream == 1 ? x->c->out : x->c->err);
        return false;
    }
    if (m->type == CTL_RESULT) {
        x->code = m->code;
        x->got = true;
    }
    return true;
}

int cli_daemon_exec(cli_t *c, int argc, char **argv, char **cause)
{
    buf_t req = {0};
    ctl_exec(&req, argc, argv, c->json, c->now_ms ? (int64_t)c->now_ms : -1, c->width);
    s_exec_t x = {c, EXIT_FAIL, false};
    int rc = s_call(c->home, &req, CLI_EXEC_TIMEOUT_MS, NULL, NULL, s_on_exec, &x, cause);
    buf_free(&req);
    if (rc < 0)
        return rc;
    if (!x.got)
        return bu_fail(cause, BU_EIO, "buurtd sent an unexpected reply; is it the same version?");
    return x.code;
}

typedef struct {
    ctl_msg_t *out;
    ctl_type_t want;
} s_one_t;

static bool s_on_one(void *ctx, const ctl_msg_t *m)
{
    s_one_t *o = ctx;
    if (m->type == o->want) {
        *o->out = *m;
        memset((ctl_msg_t *)m, 0, sizeof *m); /* moved: ctl_clear frees nothing */
    }
    return true;
}

int cli_daemon_peers(const char *home, int timeout_ms, ctl_msg_t *reply, char **cause)
{
    memset(reply, 0, sizeof *reply);
    buf_t req = {0};
    ctl_peers(&req);
    s_one_t o = {reply, CTL_PEERS_REPLY};
    int rc = s_call(home, &req, timeout_ms, NULL, NULL, s_on_one, &o, cause);
    buf_free(&req);
    if (rc == 0 && reply->type != CTL_PEERS_REPLY)
        rc = bu_fail(cause, BU_EIO, "buurtd sent an unexpected reply; is it the same version?");
    return rc;
}

int cli_daemon_sync(const char *home, bool wait, int timeout_ms, void (*tick)(void *ctx), void *ctx,
                    ctl_msg_t *reply, char **cause)
{
    memset(reply, 0, sizeof *reply);
    buf_t req = {0};
    ctl_sync(&req, wait, timeout_ms);
    s_one_t o = {reply, CTL_SYNCED};
    int rc = s_call(home, &req, timeout_ms + 5000, tick, ctx, s_on_one, &o, cause);
    buf_free(&req);
    if (rc == 0 && reply->type != CTL_SYNCED)
        rc = bu_fail(cause, BU_EIO, "buurtd sent an unexpected reply; is it the same version?");
    return rc;
}
