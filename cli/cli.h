/*
 * cli.h -- shared pieces of the `buurt` command: the invocation context,
 * option helpers and output helpers. Each cmd_*.c file implements a group
 * of commands as `int cmd_x(cli_t *c, int argc, char **argv)` returning the
 * process exit code: 0 ok, 1 failure, 2 usage error.
 */
#ifndef BUURT_CLI_H
#define BUURT_CLI_H

#include "node/repo.h"
#include "proto/control.h"
#include "proto/err.h"
#include "proto/util.h"

#include <stdbool.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_NOPEER = 3 };

typedef struct {
    const char *home;  /* resolved home directory */
    FILE *out, *err;   /* where the command prints (stdout and stderr of
                          the buurt process, or buurtd's capture) */
    uint64_t now_ms;   /* the command's time (BUURT_NOW_MS), 0 = the clock */
    int width;         /* columns tables must fit (cli_terminal_width),
                          0 = no limit */
    bool json;         /* --json: one JSON document on stdout */
    repo_t *repo;      /* opened on demand by cli_repo() */
    bool repo_failed;  /* cli_repo said why it could not: not again */
    const char *cmd;   /* command path for messages, e.g. "place add" */
    bool borrowed;     /* repo belongs to buurtd: do not close it */
    bool in_daemon;    /* running inside buurtd for a forwarded command */
    bool forward;      /* cli_repo found a buurtd that became ready: the
                          command must be sent to it instead */
} cli_t;

/* Where a command runs when a buurtd holds the store (commands.c). */
typedef enum {
    CMD_LOCAL,  /* always in the CLI (init, id, help, join) */
    CMD_DAEMON, /* in the CLI, asking buurtd itself (peers, sync) */
    CMD_READ,   /* sent to buurtd, run in a child process there */
    CMD_WRITE,  /* sent to buurtd, run in its loop */
} cmd_where_t;
cmd_where_t cli_command_where(const char *name);

/* Runs one command (argv[0] is its name); returns the exit code. */
int cli_dispatch(cli_t *c, int argc, char **argv);
/* For buurtd: runs a command the CLI sent (an EXEC) against its open
 * repo, printing to out and err; returns the exit code. */
int cli_run(repo_t *repo, const ctl_msg_t *exec, FILE *out, FILE *err);
/* True when buurtd runs that command in a child process (a read). */
bool cli_runs_in_child(const ctl_msg_t *exec);
/* Called by buurtd before it forks a child for a read. */
void cli_prepare_child(repo_t *repo);
/* Builds part of what cli_prepare_child brings up to date; true when done
 * (buurtd calls it while idle). */
bool cli_warm(repo_t *repo);
/* Merges the next slice of what the first queries read, in buurtd's
 * reader child while it is idle after start; true when done. */
bool cli_reader_warm(repo_t *repo);
/* Saves what cli_warm built for the next start (buurtd calls it as it
 * stops). */
void cli_stop(repo_t *repo);
/* Prints the top-level help. */
void cli_help(FILE *f);

/* Opens the home's repo (once); prints the error and returns NULL on failure. */
repo_t *cli_repo(cli_t *c);

/* Prints "buurt: <msg>" to c->err and returns code. */
int cli_err(cli_t *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints a usage error naming the command and a --help hint; returns 2. */
int cli_usage(cli_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports a BU_ error with its cause (freeing it); returns 1. */
int cli_fail(cli_t *c, int rc, char *cause);
/* The command's time in ms since 1970: c->now_ms, else the wall clock. */
uint64_t cli_now(const cli_t *c);
/* The clock of this node's next edit (repo_edit_now): what durations in
 * an edit (--expires 24h, --since 2h) count from. */
uint64_t cli_edit_now(cli_t *c);
/* Columns the tables printed to fd must fit: $BUURT_COLUMNS when set (0 =
 * no limit, also on a terminal); else, when fd is a terminal, its width
 * (or $COLUMNS when the terminal does not say); else 0, no limit, so
 * pipes and files get whole rows. */
int cli_terminal_width(int fd);

/* argv of a command buurtd will run, with the file names in it made
 * absolute (buurtd's working directory is not ours): the values of -o,
 * --output and --map, and the files import and bundle apply read. argc
 * allocated strings and a NULL; free with cli_forward_free. */
char **cli_forward_args(int argc, char **argv);
void cli_forward_free(int argc, char **args);

/* Parses "a,b,c" into a PV_ARR of trimmed strings (empty items dropped). */
pv_t *cli_list(const char *csv);
/* Checks each item of a list against an enumeration; on a bad token prints
 * a usage error listing the allowed values and returns 2, else 0. */
int cli_check_tokens(cli_t *c, const char *opt, const pv_t *list, const char *const *tokens);
/* Parses a non-negative integer option; returns 0 or prints usage and 2. */
int cli_int(cli_t *c, const char *opt, const char *s, int64_t min, int64_t max, int64_t *out);
/* Parses a time: duration from now ("14d", "24h", "90m") or a date
 * "YYYY-MM-DD[THH:MM]" (UTC). Returns ms since 1970, or -1. */
int64_t cli_time(const char *s, uint64_t now_ms);

/* Prints one JSON document (the buffer) with a newline to c->out. */
void cli_print_json(cli_t *c, buf_t *b);
/* Appends an entity as JSON (now_ms decides whether a need is expired). */
void cli_entity_json(const entity_t *e, uint64_t now_ms, buf_t *out);
/* The stale threshold of places cli_entity_json uses (query_stale_ms). */
void cli_set_stale(uint64_t ms);
uint64_t cli_stale_ms(void);
/* How long ago, for people: "just now", "12 min ago", "3 h ago", "4 days ago". */
void cli_age(int64_t ms, char *out, size_t n);
/* Formats ms since 1970 as "YYYY-MM-DD HH:MM" UTC into out (>= 20 bytes). */
void cli_fmt_time(uint64_t ms, char *out, size_t n);
/* Short display id: first 10 hex digits. out >= 11 bytes. */
void cli_short_id(const uint8_t id[32], char *out);
/* A node for people: "Name (0123456789)" from the membership, else the
 * short id. */
void cli_node_name(repo_t *r, const uint8_t key[32], char *out, size_t n);
/* A record named by its hex id, for people: its label, or "offer of
 * PROVIDER" for an offer; "(unknown)" when not held. Valid until the next
 * call. */
const char *cli_ref_name(repo_t *r, const char *hex);
/* A list field joined with commas into out. */
void cli_join(const pv_t *list, char *out, size_t n);

/* A simple text table: add rows of cells, then print with aligned columns. */
typedef struct table table_t;
table_t *table_new(int ncols, const char *const *headers);
void table_row(table_t *t, const char *const *cells);
/* Prints to c->out with columns aligned in terminal columns, fitting
 * c->width when it is set (util.c says how). */
void table_print(cli_t *c, table_t *t);
/* The same table with its rows kept compactly by the caller (a listing
 * sorts them before printing): table_keep appends a row's cells, escaped,
 * to kept and returns where they start; then table_start prints the
 * headers, and table_emit one kept row (kept->data + that offset), in any
 * order. The output is byte for byte table_row of the same rows, in the
 * order given to table_emit, then table_print; at most 32 columns. */
size_t table_keep(table_t *t, const char *const *cells, buf_t *kept);
void table_start(cli_t *c, table_t *t);
void table_emit(cli_t *c, table_t *t, const char *kept);
void table_free(table_t **t);

int cmd_init(cli_t *c, int argc, char **argv);
int cmd_id(cli_t *c, int argc, char **argv);
int cmd_place(cli_t *c, int argc, char **argv);
int cmd_need(cli_t *c, int argc, char **argv);
int cmd_offer(cli_t *c, int argc, char **argv);
int cmd_coalition(cli_t *c, int argc, char **argv);
int cmd_bulletin(cli_t *c, int argc, char **argv);
int cmd_delete(cli_t *c, int argc, char **argv);
int cmd_list(cli_t *c, int argc, char **argv);
int cmd_show(cli_t *c, int argc, char **argv);
int cmd_search(cli_t *c, int argc, char **argv);
int cmd_who(cli_t *c, int argc, char **argv);
int cmd_mesh(cli_t *c, int argc, char **argv);
int cmd_member(cli_t *c, int argc, char **argv);
int cmd_peer(cli_t *c, int argc, char **argv);
int cmd_peers(cli_t *c, int argc, char **argv);
int cmd_sync(cli_t *c, int argc, char **argv);
int cmd_purge(cli_t *c, int argc, char **argv);
int cmd_edits(cli_t *c, int argc, char **argv);
int cmd_invite(cli_t *c, int argc, char **argv);
int cmd_join(cli_t *c, int argc, char **argv);
int cmd_doctor(cli_t *c, int argc, char **argv);
int cmd_changes(cli_t *c, int argc, char **argv);
int cmd_conflicts(cli_t *c, int argc, char **argv);
int cmd_overview(cli_t *c, int argc, char **argv);
int cmd_export(cli_t *c, int argc, char **argv);
int cmd_import(cli_t *c, int argc, char **argv);
int cmd_bundle(cli_t *c, int argc, char **argv);
int cmd_print(cli_t *c, int argc, char **argv);
int cmd_print_html(cli_t *c, int argc, char **argv);

/* The control protocol's client side (proto/control.h). Each waits for a
 * buurtd that is starting, and reports one that dies at once. */
#define CLI_EXEC_TIMEOUT_MS 60000 /* between two replies of a command */
/* Runs argv in buurtd, printing its output to c->out and c->err as it
 * comes: the command's exit code, or a negative BU_ code with *cause. */
int cli_daemon_exec(cli_t *c, int argc, char **argv, char **cause);
/* PEERS: 0 and *reply (ctl_clear it), BU_ENOENT when no daemon runs. */
int cli_daemon_peers(const char *home, int timeout_ms, ctl_msg_t *reply, char **cause);
/* SYNC; tick(ctx) is called about every 500 ms while waiting. */
int cli_daemon_sync(const char *home, bool wait, int timeout_ms, void (*tick)(void *ctx), void *ctx,
                    ctl_msg_t *reply, char **cause);
/* True when a buurtd is ready for home: its pid file names a live process
 * and its control socket accepts connections. */
bool cli_daemon_running(const char *home);
/* Waits up to timeout_ms while the store of home is locked and no buurtd
 * is ready yet (a buurtd starting, or another buurt command): true as soon
 * as a buurtd is ready, false when none runs (the store is free) or the
 * time is up. Says once on a terminal that it is waiting. */
bool cli_daemon_wait(const char *home, int timeout_ms);
/* How long a command waits for a store another process holds (buurtd
 * starting, another command): $BUURT_WAIT_MS, default 30000. */
int cli_wait_ms(void);

#endif
