/*
 * commands.c -- the command table of `buurt` and its dispatcher. The same
 * dispatcher runs in the CLI process (no daemon) and inside buurtd when the
 * CLI forwards a command over the control socket (cli_exec), which is what
 * makes commands behave identically with or without a running daemon.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(cli_t *, int, char **);
    const char *summary;
} command_t;

static const command_t s_commands[] = {
    {"init", cmd_init, "create this node's key and store"},
    {"id", cmd_id, "print this node's id"},
    {"place", cmd_place, "add a place, set its status, edit it"},
    {"need", cmd_need, "add a need, claim it, mark it done or cancelled"},
    {"offer", cmd_offer, "add an offer of help"},
    {"coalition", cmd_coalition, "add a coalition, add or remove members"},
    {"bulletin", cmd_bulletin, "add a short verified message"},
    {"delete", cmd_delete, "delete any record by id"},
    {"list", cmd_list, "list places, needs, offers, coalitions or bulletins"},
    {"show", cmd_show, "show one record, optionally with its edit history"},
    {"search", cmd_search, "find records whose text contains a word"},
    {"who-can-help", cmd_who, "rank offers and places that fit a need"},
    {"mesh", cmd_mesh, "create or join a mesh, show it"},
    {"member", cmd_member, "admit a node to the mesh, list members"},
    {"peer", cmd_peer, "add a static peer beyond the LAN"},
    {"peers", cmd_peers, "list peers: connected, last seen, edits sent/received"},
    {"sync", cmd_sync, "reconcile with every reachable peer now (--wait)"},
    {"invite", cmd_invite, "make a one-time code that lets a new node join (admins)"},
    {"join", cmd_join, "join a mesh with an invite code"},
    {"purge", cmd_purge, "remove needs past the retention period (--dry-run)"},
    {NULL, NULL, NULL},
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

int cli_dispatch(cli_t *c, int argc, char **argv)
{
    if (strcmp(argv[0], "help") == 0) {
        cli_help(stdout);
        return EXIT_OK;
    }
    for (const command_t *k = s_commands; k->name; k++)
        if (strcmp(k->name, argv[0]) == 0) {
            c->cmd = k->name;
            return k->fn(c, argc, argv);
        }
    fprintf(stderr, "buurt: unknown command '%s'; see buurt --help\n", argv[0]);
    return EXIT_USAGE;
}

int cli_exec(void *repo, int argc, char **argv)
{
    cli_t c = {.repo = repo, .borrowed = true, .in_daemon = true};
    c.home = repo_home(repo);
    int i = 0;
    if (i < argc && strcmp(argv[i], "--json") == 0) {
        c.json = true;
        i++;
    }
    if (i >= argc)
        return EXIT_USAGE;
    return cli_dispatch(&c, argc - i, argv + i);
}
