/*
 * exec.h -- how buurtd runs the CLI's commands: the hooks the node and its
 * control socket (node/control.h) call, supplied by cli/buurtd.c. A header
 * of its own so that node.c and control.c both use it without including
 * each other.
 */
#ifndef BUURT_EXEC_H
#define BUURT_EXEC_H

#include "node/repo.h"
#include "proto/control.h"

#include <stdbool.h>
#include <stdio.h>

/* How buurtd runs the CLI's commands (cli/buurtd.c supplies the CLI's
 * command table): node/ knows nothing of cli/. */
typedef struct {
    /* runs one EXEC against the repo, printing to out and err; the exit code */
    int (*run)(repo_t *repo, const ctl_msg_t *exec, FILE *out, FILE *err);
    /* true when the command only reads: it runs in a child process */
    bool (*in_child)(const ctl_msg_t *exec);
    /* called before a child is forked (e.g. to refresh shared caches) */
    void (*prepare_child)(repo_t *repo);
    /* does a slice of prepare_child's work while the node is idle; true
     * once there is none left (NULL: nothing to warm) */
    bool (*warm)(repo_t *repo);
    /* does a slice of warming in the reader child forked at start, while
     * it waits for its first reads; true once there is none left (NULL:
     * nothing to warm) */
    bool (*reader_warm)(repo_t *repo);
    /* called once as the node stops, its repo still open (NULL: nothing) */
    void (*stop)(repo_t *repo);
} node_exec_t;

#endif
