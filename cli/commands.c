/*
 * commands.c -- the command table of `buurt` and its dispatcher. The same
 * dispatcher runs in the CLI process and inside buurtd, which runs the
 * commands the CLI sends it (cli_run, called by cli/buurtd.c), so a
 * command behaves the same with or without a daemon.
 *
 * `where` says where a command runs when a buurtd holds the store:
 * CMD_LOCAL and CMD_DAEMON always run in the CLI (CMD_DAEMON ones ask
 * buurtd themselves); CMD_READ and CMD_WRITE are sent to buurtd, which
 * runs a read in a child process (so a long listing never holds up its
 * peers) and a write in its loop (it must be the one writer).
 */
#include "cli/cli.h"
#include "node/home.h"
#include "node/match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(cli_t *, int, char **);
    cmd_where_t where;
    const char *summary;
} command_t;

static const command_t s_commands[] = {
    {"init", cmd_init, CMD_LOCAL, "create this node's key and store"},
    {"id", cmd_id, CMD_LOCAL, "print this node's id"},
    {"place", cmd_place, CMD_WRITE, "add a place, set its status, edit it"},
    {"need", cmd_need, CMD_WRITE, "add a need, claim it, mark it done or cancelled"},
    {"offer", cmd_offer, CMD_WRITE, "add an offer of help"},
    {"coalition", cmd_coalition, CMD_WRITE, "add a coalition, add or remove members"},
    {"bulletin", cmd_bulletin, CMD_WRITE, "add a short verified message"},
    {"delete", cmd_delete, CMD_WRITE, "delete any record by id"},
    {"list", cmd_list, CMD_READ, "list places, needs, offers, coalitions or bulletins"},
    {"show", cmd_show, CMD_READ, "show one record, optionally with its edit history"},
    {"edits", cmd_edits, CMD_READ, "list every stored edit's id, clock, kind, entity and author"},
    {"search", cmd_search, CMD_READ, "find records whose text contains a word"},
    {"who-can-help", cmd_who, CMD_READ, "rank offers and places that fit a need"},
    {"mesh", cmd_mesh, CMD_WRITE, "create or join a mesh, show it"},
    {"member", cmd_member, CMD_WRITE, "admit a node to the mesh, list members"},
    {"peer", cmd_peer, CMD_WRITE, "add a static peer beyond the LAN"},
    {"peers", cmd_peers, CMD_DAEMON, "list peers: connected, last seen, edits sent/received"},
    {"sync", cmd_sync, CMD_DAEMON, "reconcile with every reachable peer now (--wait)"},
    {"invite", cmd_invite, CMD_WRITE, "make a one-time code that lets a new node join (admins)"},
    {"join", cmd_join, CMD_LOCAL, "join a mesh with an invite code"},
    {"purge", cmd_purge, CMD_WRITE, "remove needs past the retention period (--dry-run)"},
    {"changes", cmd_changes, CMD_READ, "what arrived since the last sync, conflicts marked"},
    {"conflicts", cmd_conflicts, CMD_WRITE, "your edits that lost to another's: list, accept, keep-mine"},
    {"overview", cmd_overview, CMD_READ, "one screen for a coordinator: counts by status, category, area"},
    {"export", cmd_export, CMD_READ, "write places and offers as HSDS, HXL, GeoJSON or CSV"},
    {"import", cmd_import, CMD_WRITE, "read places and offers from HSDS or a spreadsheet (CSV)"},
    {"doctor", cmd_doctor, CMD_DAEMON, "check this node: permissions, disk, buurtd, store, clock, peers"},
    {"bundle", cmd_bundle, CMD_WRITE, "write edits to a file for a USB stick, or apply one"},
    {"print", cmd_print, CMD_LOCAL, "the A4 sheet per area for doors and phone rounds (HTML or PDF)"},
    {"print-html", cmd_print_html, CMD_READ, "the printed sheet as HTML on stdout (used by print)"},
    {NULL, NULL, CMD_LOCAL, NULL},
};

void cli_help(FILE *f)
{
    fputs("usage: buurt [--home DIR] [--json] COMMAND [ARGS]\n\n"
          "buurt keeps a neighbourhood's shared directory of places, needs, offers,\n"
          "coalitions and bulletins, signed by each organisation's node and synced\n"
          "over an encrypted mesh by buurtd.\n\n"
          "commands:\n",
          f);
    for (const command_t *c = s_commands; c->name; c++)
        fprintf(f, "  %-13s %s\n", c->name, c->summary);
    fputs("\noptions:\n"
          "  --home DIR    node home (default $BUURT_HOME, $XDG_DATA_HOME/buurt or\n"
          "                ~/.local/share/buurt)\n"
          "  --json        print one JSON document (see docs/cli.md)\n"
          "  --help        this help; `buurt COMMAND --help` for a command\n"
          "  --version     print the version\n",
          f);
}

static const command_t *s_find(const char *name)
{
    for (const command_t *k = s_commands; k->name; k++)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

cmd_where_t cli_command_where(const char *name)
{
    const command_t *k = s_find(name);
    return k ? k->where : CMD_LOCAL; /* help, and unknown ones: say so here */
}

int cli_dispatch(cli_t *c, int argc, char **argv)
{
    if (strcmp(argv[0], "help") == 0) {
        cli_help(c->out);
        return EXIT_OK;
    }
    const command_t *k = s_find(argv[0]);
    if (!k) {
        fprintf(c->err, "buurt: unknown command '%s'; see buurt --help\n", argv[0]);
        return EXIT_USAGE;
    }
    c->cmd = k->name;
    return k->fn(c, argc, argv);
}

int cli_run(repo_t *repo, const ctl_msg_t *exec, FILE *out, FILE *err)
{
    cli_t c = {.repo = repo, .borrowed = true, .in_daemon = true, .out = out, .err = err,
               .json = exec->json, .width = exec->width,
               .now_ms = exec->now_ms > 0 ? (uint64_t)exec->now_ms : 0};
    c.home = repo_home(repo);
    if (exec->argc < 1)
        return EXIT_USAGE;
    /* a command that talks to buurtd itself (peers, sync, doctor) or needs
     * no daemon (init, join) is never run inside it: peers would ask the
     * daemon that runs it and wait for itself (issue 9.11) */
    cmd_where_t w = cli_command_where(exec->argv[0]);
    if ((w == CMD_LOCAL || w == CMD_DAEMON) && strcmp(exec->argv[0], "help") != 0 &&
        s_find(exec->argv[0])) {
        fprintf(err, "buurt: '%s' is not run by buurtd; run it with the buurt command\n",
                exec->argv[0]);
        fflush(err);
        return EXIT_USAGE;
    }
    /* the command's time dates its edits; the daemon's own work uses the wall clock */
    repo_set_clock(repo, c.now_ms);
    int code = cli_dispatch(&c, exec->argc, exec->argv);
    repo_set_clock(repo, 0);
    fflush(out);
    fflush(err);
    return code;
}

bool cli_runs_in_child(const ctl_msg_t *exec)
{
    if (exec->argc >= 1 && strcmp(exec->argv[0], "conflicts") == 0) {
        /* listing reads; accept and keep-mine write */
        for (int i = 1; i < exec->argc; i++)
            if (strcmp(exec->argv[i], "accept") == 0 || strcmp(exec->argv[i], "keep-mine") == 0)
                return false;
        return true;
    }
    return exec->argc >= 1 && cli_command_where(exec->argv[0]) == CMD_READ;
}

/* The facts table of buurtd's process is complete (cli_warm finished, or
 * it was loaded from the home's facts.cache). */
static bool s_warm;
/* facts.cache was tried (once, at the first hook after start) */
static bool s_tried;

/* Loads the facts a previous buurtd saved for this very repo (match.h:
 * a stale or damaged file is ignored), so the first read after a restart
 * does not wait for the table to be built. */
static void s_load(repo_t *repo)
{
    if (s_tried)
        return;
    s_tried = true;
    char *path = home_path(repo_home(repo), HOME_FACTS);
    s_warm = match_facts_load(repo, path);
    free(path);
}

static void s_save(repo_t *repo)
{
    char *path = home_path(repo_home(repo), HOME_FACTS);
    (void)match_facts_save(repo, path, NULL); /* a cache: without it the table is built */
    free(path);
}

void cli_prepare_child(repo_t *repo)
{
    /* the facts table queries read: once buurtd has built it (cli_warm)
     * or loaded it, it is brought up to date here, which costs only what
     * changed, so each child inherits it instead of building it again.
     * Until then a child that needs it builds its own, and one that does
     * not (show) does not wait for it. */
    s_load(repo);
    if (s_warm)
        (void)match_facts(repo, (1u << REC__COUNT) - 1);
}

bool cli_warm(repo_t *repo)
{
    s_load(repo);
    /* 1,000 entities is about 5 ms on a small board's core: the loop
     * stays responsive while an idle daemon builds the table; once
     * built, it is saved for the next start */
    if (!s_warm && (s_warm = match_facts_warm(repo, (1u << REC__COUNT) - 1, 1000)))
        s_save(repo);
    return s_warm;
}

bool cli_reader_warm(repo_t *repo)
{
    /* who-can-help reads the place of every candidate offer and the
     * places that serve the need's category, whatever the category:
     * merged here, in the reader forked at start, a slice at a time while
     * no read waits, so the first who-can-help after a start merges only
     * its offers. At most 16,000 cached states, leaving room for a
     * who-can-help's offers and a listing's needs under repo_trim's
     * bound (the reader drops every cached state between reads once it
     * holds more than 24,576, and the next query starts cold). In the
     * reader's own memory, given back when it is retired. */
    static size_t next, cached;
    if (next == 0) { /* what is cached already (repo_stats walks every entity: once) */
        repo_stats_t st;
        repo_stats(repo, &st);
        cached = st.cached;
    }
    size_t total = repo_entity_count(repo), end = next + 512 < total ? next + 512 : total;
    for (; next < end && cached < 16000; next++)
        if (repo_entity_kinds(repo, next) & (1u << REC_PLACE)) {
            (void)repo_entity_at(repo, next);
            cached++; /* places read few other records: a close count */
        }
    return cached >= 16000 || next >= total;
}

void cli_stop(repo_t *repo)
{
    /* the table as it is now, for the next start (only when it was built:
     * building it here would delay the stop) */
    if (s_warm)
        s_save(repo);
}
