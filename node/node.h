/*
 * node.h -- the running mesh node inside buurtd: one poll loop over the
 * CURVE ROUTER (inbound peers), one DEALER per outbound peer, the ZAP
 * handler, the UDP beacon and the local control socket.
 *
 * Everything here runs on one thread. Messages and timer ticks come in,
 * messages and store writes go out; reconciliation itself is the pure
 * function in sync.c. The ZAP handler is bound before the ROUTER binds, so
 * no connection is ever accepted without it, and it admits only CURVE keys
 * of current members of this node's mesh (fail closed: anything else, or
 * any malformed request, is refused).
 */
#ifndef BUURT_NODE_H
#define BUURT_NODE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct node node_t;

/* Function the control socket uses to run a CLI command in-process: it
 * gets the open repo and argv and returns the exit code, printing to
 * stdout/stderr (which the node captures). */
typedef int node_exec_fn(void *repo, int argc, char **argv);

typedef struct {
    const char *home;
    const char *listen;        /* tcp://host:port, or NULL for none */
    bool beacon;               /* send and listen for UDP beacons */
    const char *beacon_iface;  /* interface whose broadcast address to use */
    int beacon_port;           /* UDP port, default BEACON_DEFAULT_PORT */
    int beacon_interval_ms;    /* default 2000 */
    int recon_interval_ms;     /* periodic reconciliation, default 30000 */
    node_exec_fn *exec;        /* runs CLI commands for the control socket */
    bool verbose;
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
