/*
 * main.c -- `buurt`, the command-line client: global options, the command
 * table and dispatch. Commands live in cmd_*.c; shared helpers in util.c.
 *
 * Home directory: --home DIR, else $BUURT_HOME, else $XDG_DATA_HOME/buurt,
 * else ~/.local/share/buurt.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUURT_VERSION "0.1.0"

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
    {NULL, NULL, NULL},
};

static void s_help(FILE *f)
{
    fputs("usage: buurt [--home DIR] [--json] COMMAND [ARGS]\n\n"
          "buurt keeps a neighbourhood's shared directory of places, needs, offers,\n"
          "coalitions and bulletins, signed by each organisation's node.\n\n"
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

static char *s_default_home(void)
{
    const char *h = getenv("BUURT_HOME");
    if (h && *h)
        return xstrdup(h);
    h = getenv("XDG_DATA_HOME");
    if (h && *h)
        return xasprintf("%s/buurt", h);
    h = getenv("HOME");
    return xasprintf("%s/.local/share/buurt", h && *h ? h : ".");
}

int main(int argc, char **argv)
{
    cli_t c = {0};
    char *home = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--home") == 0) {
            if (i + 1 >= argc) {
                fputs("buurt: --home needs a directory; see buurt --help\n", stderr);
                return EXIT_USAGE;
            }
            free(home);
            home = xstrdup(argv[++i]);
        } else if (strncmp(a, "--home=", 7) == 0) {
            free(home);
            home = xstrdup(a + 7);
        } else if (strcmp(a, "--json") == 0) {
            c.json = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_help(stdout);
            free(home);
            return EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("buurt %s\n", BUURT_VERSION);
            free(home);
            return EXIT_OK;
        } else if (a[0] == '-') {
            fprintf(stderr, "buurt: unknown option %s; see buurt --help\n", a);
            free(home);
            return EXIT_USAGE;
        } else {
            break;
        }
    }
    if (i >= argc) {
        s_help(stderr);
        free(home);
        return EXIT_USAGE;
    }
    if (home == NULL)
        home = s_default_home();
    c.home = home;
    const command_t *cmd = NULL;
    for (const command_t *k = s_commands; k->name; k++)
        if (strcmp(k->name, argv[i]) == 0)
            cmd = k;
    if (strcmp(argv[i], "help") == 0) {
        s_help(stdout);
        free(home);
        return EXIT_OK;
    }
    int rc;
    if (cmd == NULL) {
        fprintf(stderr, "buurt: unknown command '%s'; see buurt --help\n", argv[i]);
        rc = EXIT_USAGE;
    } else {
        c.cmd = cmd->name;
        rc = cmd->fn(&c, argc - i, argv + i);
    }
    repo_close(&c.repo);
    free(home);
    return rc;
}
