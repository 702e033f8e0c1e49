/*
 * main.c -- `buurt`, the command-line client: global options, then either
 * runs the command itself (opening the store) or, when a buurtd runs for
 * this home, forwards it over the control socket so the daemon, which holds
 * the store, runs the same code and pushes the change to its peers.
 *
 * Home directory: --home DIR, else $BUURT_HOME, else $XDG_DATA_HOME/buurt,
 * else ~/.local/share/buurt.
 */
#include "cli/cli.h"
#include "node/config.h"
#include "node/home.h"
#include "proto/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUURT_VERSION "0.2.0"

/* Commands that never go through the daemon. */
static bool s_local_only(const char *cmd)
{
    return !strcmp(cmd, "init") || !strcmp(cmd, "id") || !strcmp(cmd, "help") ||
           !strcmp(cmd, "peers") || !strcmp(cmd, "sync") || !strcmp(cmd, "join");
}

static int s_forward(cli_t *c, int argc, char **argv)
{
    pv_t *req = pv_arr(), *args = pv_arr(), *env = pv_map(), *rep = NULL;
    pv_arr_push(req, pv_str("exec"));
    if (c->json)
        pv_arr_push(args, pv_str("--json"));
    for (int i = 0; i < argc; i++)
        pv_arr_push(args, pv_str(argv[i]));
    pv_arr_push(req, args);
    const char *now = getenv("BUURT_NOW_MS");
    if (now && *now)
        pv_map_set(env, "BUURT_NOW_MS", pv_str(now));
    pv_arr_push(req, env);
    char *cause = NULL;
    int rc = cli_daemon_call(c->home, req, 60000, &rep, &cause);
    pv_free(&req);
    if (rc < 0)
        return cli_fail(rc, cause);
    int code = EXIT_FAIL;
    if (rep->type == PV_ARR && rep->u.a.n == 4 && rep->u.a.items[1]->type == PV_INT &&
        rep->u.a.items[2]->type == PV_BIN && rep->u.a.items[3]->type == PV_BIN) {
        code = (int)rep->u.a.items[1]->u.i;
        fwrite(rep->u.a.items[2]->u.s.p, 1, rep->u.a.items[2]->u.s.n, stdout);
        fwrite(rep->u.a.items[3]->u.s.p, 1, rep->u.a.items[3]->u.s.n, stderr);
    } else {
        fputs("buurt: buurtd sent an unexpected reply; is it the same version?\n", stderr);
    }
    pv_free(&rep);
    return code;
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
    if (!s_local_only(argv[i]) && cli_daemon_wait(home, cli_wait_ms())) {
        rc = s_forward(&c, argc - i, argv + i);
    } else {
        rc = cli_dispatch(&c, argc - i, argv + i);
        /* buurtd became ready while the command waited for the store:
         * nothing was done locally, so it goes to buurtd */
        if (c.forward)
            rc = s_forward(&c, argc - i, argv + i);
    }
    if (!c.borrowed)
        repo_close(&c.repo);
    free(home);
    return rc;
}
