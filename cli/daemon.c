/*
 * daemon.c -- talking to a running buurtd over <home>/control.sock: one
 * request, one reply, each a msgpack array, with a timeout. The socket
 * lives in the home directory (mode 0700) and is created with umask 077,
 * so only the owner can reach it.
 */
#include "cli/cli.h"
#include "proto/value.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define DAEMON_MAX_REPLY ((size_t)256 << 20) /* bytes: a reply from buurtd */

bool cli_daemon_running(const char *home)
{
    char *path = xasprintf("%s/buurtd.pid", home);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return false;
    long pid = 0;
    int ok = fscanf(f, "%ld", &pid) == 1;
    fclose(f);
    return ok && pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

int cli_daemon_call(const char *home, const pv_t *req, int timeout_ms, pv_t **reply, char **cause)
{
    return cli_daemon_call_ex(home, req, timeout_ms, NULL, NULL, reply, cause);
}

int cli_daemon_call_ex(const char *home, const pv_t *req, int timeout_ms,
                       void (*tick)(void *ctx), void *ctx_tick, pv_t **reply, char **cause)
{
    *reply = NULL;
    if (!cli_daemon_running(home))
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
    int r, waited = 0, step = tick ? 500 : timeout_ms;
    do {
        r = zmq_poll(&it, 1, step < timeout_ms - waited ? step : timeout_ms - waited);
        if (r == 0) {
            waited += step;
            if (tick && waited < timeout_ms) {
                tick(ctx_tick);
                r = -1;
                errno = EINTR; /* poll again */
            }
        }
    } while (r < 0 && errno == EINTR);
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
