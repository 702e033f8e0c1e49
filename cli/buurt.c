/*
 * buurt.c -- `buurt`, the command-line client: global options, then either
 * runs the command itself (opening the store) or, when a buurtd runs for
 * this home, sends it over the control socket so the daemon, which holds
 * the store, runs the same code and pushes the change to its peers. Which
 * commands go where is a field of the command table (commands.c).
 *
 * Home directory: --home DIR, else $BUURT_HOME, else $XDG_DATA_HOME/buurt,
 * else ~/.local/share/buurt. BUURT_NOW_MS (tests) fixes the command's time.
 */
#include "cli/cli.h"
#include "node/home.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUURT_VERSION "0.3.0"

static int s_forward(cli_t *c, int argc, char **argv)
{
    char *cause = NULL;
    /* buurtd's working directory is not ours: file names go absolute */
    char **args = cli_forward_args(argc, argv);
    int rc = cli_daemon_exec(c, argc, args, &cause);
    cli_forward_free(argc, args);
    return rc < 0 ? cli_fail(c, rc, cause) : rc;
}

int main(int argc, char **argv)
{
    cli_t c = {.out = stdout, .err = stderr, .width = cli_terminal_width(STDOUT_FILENO)};
    const char *now = getenv("BUURT_NOW_MS");
    if (now && *now)
        c.now_ms = strtoull(now, NULL, 10);
    char *home = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--home") == 0) {
            if (i + 1 >= argc) {
                fputs("buurt: --home needs a directory; see buurt --help\n", stderr);
                free(home);
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
            cli_help(stdout);
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
        fputs("buurt: no command given; see buurt --help for the list\n", stderr);
        free(home);
        return EXIT_USAGE;
    }
    if (home == NULL)
        home = home_default();
    c.home = home;
    int rc;
    cmd_where_t where = cli_command_where(argv[i]);
    if ((where == CMD_READ || where == CMD_WRITE) && cli_daemon_wait(home, cli_wait_ms())) {
        rc = s_forward(&c, argc - i, argv + i);
    } else {
        rc = cli_dispatch(&c, argc - i, argv + i);
        /* buurtd became ready while the command waited for the store:
         * nothing was done here, so it goes to buurtd */
        if (c.forward)
            rc = s_forward(&c, argc - i, argv + i);
    }
    if (!c.borrowed)
        repo_close(&c.repo);
    free(home);
    return rc;
}
