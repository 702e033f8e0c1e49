/*
 * control.h -- buurtd's side of the local control socket (the protocol is
 * proto/control.h; the CLI's side is cli/daemon.c).
 *
 * EXEC runs a CLI command with the node's repo. A read (node_exec_t's
 * in_child says which) runs in a child process: the reader, a long-lived
 * child that keeps what it merged and is replaced once the store has
 * changed, or, while the reader is busy, a child forked for that read. It
 * sees the store as it was at the fork (the reader is also retired after
 * CONTROL_READER_IDLE_MS unused, giving back what it cached), and the node passes its output on
 * in OUT chunks as it arrives, then RESULT with its exit code. So a long listing never holds up ZAP, sync or
 * other commands, and its output is never held whole by buurtd. A write
 * runs in the node's loop (the node is the store's one writer) with its
 * output captured, then sent the same way. PEERS and SYNC are answered by
 * the node through hooks.
 *
 * Bounds: at most CONTROL_CHILDREN reads run at once (more wait in line);
 * a reader that stops reading its socket stops its child (a full pipe),
 * and one that goes away gets its child killed.
 */
#ifndef BUURT_NODE_CONTROL_H
#define BUURT_NODE_CONTROL_H

#include "node/exec.h"

#include <zmq.h>

#define CONTROL_CHILDREN 8
#define CONTROL_QUEUE 64      /* commands waiting for a child slot */
#define CONTROL_READER_IDLE_MS 60000 /* an unused reader is retired after this */

typedef struct control control_t;

typedef struct {
    node_exec_t exec;
    repo_t *repo;
    /* PEERS: the peers list (PV_ARR) and the node's own state (PV_MAP) */
    void (*peers)(void *ctx, pv_t **peers, pv_t **node);
    /* SYNC: starts a round with every connected peer; returns how many */
    size_t (*sync_start)(void *ctx, uint64_t now);
    /* true when every connected peer finished a round since `since` and
     * nothing is queued; *peers and *pending count them */
    bool (*sync_done)(void *ctx, uint64_t since, uint64_t now, size_t *peers, size_t *pending);
    /* a write command ran in the loop */
    void (*after_write)(void *ctx);
    /* called before a command runs and before SYNC and its waiters are
     * answered: the node stores what it received and is still verifying,
     * so an answer sees every edit received before the request (NULL:
     * nothing to do) */
    void (*settle)(void *ctx);
    void (*log)(void *ctx, const char *line);
    void *ctx;
} control_hooks_t;

/* Binds ipc://<home>/control.sock (umask 077) in the ZeroMQ context. */
int control_open(void *zctx, const char *home, const control_hooks_t *hooks, control_t **out,
                 char **cause);
/* Kills running children, closes the socket. */
void control_close(control_t **self_p);

/* The items to poll: the socket, and the pipes of running children.
 * Returns how many were written to items (at most max). */
size_t control_poll_items(control_t *self, zmq_pollitem_t *items, size_t max);
/* Handles what the poll found on those items (same order), then
 * waiters of SYNC --wait and pending output. now: monotonic ms. */
void control_handle(control_t *self, const zmq_pollitem_t *items, size_t n, uint64_t now);
/* How soon (ms) control_handle wants to run again without input: -1 for
 * no hurry, small while output waits for a full socket or SYNC waiters
 * wait. */
long control_timeout(const control_t *self);

#endif
