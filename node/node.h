/*
 * node.h -- the running mesh node inside buurtd: one poll loop over the
 * CURVE ROUTER (inbound peers), one DEALER per outbound peer, the ZAP
 * handler (node/zap.c), the UDP beacon (node/lan.c) and the local control
 * socket (node/control.c). Each peer's protocol is a socket-free session
 * (node/session.c); this module owns the sockets, links and timers and
 * the path of a received edit into the store.
 *
 * Everything here runs on one thread. The ZAP handler is bound before the
 * ROUTER binds, so no connection is ever accepted without it, and it
 * admits only CURVE keys of current members of this node's mesh (fail
 * closed: anything else, or any malformed request, is refused).
 */
#ifndef BUURT_NODE_H
#define BUURT_NODE_H

#include "node/exec.h"
#include "node/repo.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct node node_t;


typedef struct {
    const char *home;
    const char *listen;        /* tcp://host:port, or NULL for none */
    bool beacon;               /* send and listen for UDP beacons */
    const char *beacon_iface;  /* only this interface */
    int beacon_port;           /* UDP port, default BEACON_DEFAULT_PORT */
    int beacon_interval_ms;    /* default 2000 */
    int recon_interval_ms;     /* periodic reconciliation, default 30000 */
    node_exec_t exec;          /* runs CLI commands for the control socket */
    bool verbose;
    const char *http;          /* ADDR:PORT of the read-only web board
                                  (node/http.h), or NULL for none */
    int verify_threads;        /* threads verifying received edits, the loop's
                                * included (0: one per core) */
    bool no_compress;          /* do not offer zstd (compressed EDITS) in HELLO */
    bool log_priority;         /* log lines start with "<N>", their syslog priority
                                * (sd-daemon(3)): 3 error, 4 warning, 6 info */
} node_opts_t;

/* Opens the home, binds everything; returns 0 or an error with *cause. */
int node_start(const node_opts_t *opts, node_t **out, char **cause);

/* Runs the loop until node_stop is called (e.g. from a signal handler). */
int node_run(node_t *self);

/* Async-signal-safe request to stop. */
void node_stop(node_t *self);

/* Flushes, closes every socket and the store. Accepts NULL. */
void node_destroy(node_t **self_p);

#endif
