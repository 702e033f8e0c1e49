/*
 * buurtd.c -- the buurt daemon's main: parses options, starts the node
 * (node/node.c), runs its loop until SIGINT/SIGTERM, then closes
 * everything cleanly. Every acknowledged edit is already on disk
 * (store.c fsyncs before it answers), so stopping loses nothing.
 *
 * It lives in cli/, at the top of the layering, because the daemon serves
 * the `buurt` CLI over <home>/control.sock by running the very same
 * command code (cli_run, from commands.c), so commands behave the same
 * with or without a daemon; node/ itself never includes cli/.
 */
#include "cli/cli.h"
#include "node/home.h"
#include "node/node.h"
#include "proto/err.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static node_t *s_node;

static void s_on_signal(int sig)
{
    (void)sig;
    if (s_node)
        node_stop(s_node);
}

/* True when stderr is the journal's stream: systemd sets JOURNAL_STREAM to
 * "DEVICE:INODE" of the stream it connects stderr to (systemd.exec(5)), so
 * a JOURNAL_STREAM inherited by a process whose stderr goes elsewhere (a
 * terminal, a file) does not count. */
static bool s_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
           (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void s_usage(FILE *f)
{
    fputs("usage: buurtd [--home DIR] [--listen tcp://HOST:PORT] [options]\n\n"
          "Runs a buurt node: syncs the shared directory with the mesh's other nodes\n"
          "over CURVE-encrypted ZeroMQ and serves the buurt CLI. Runs in the\n"
          "foreground and logs to stderr unless --daemon.\n\n"
          "options:\n"
          "  --home DIR               node home (default $BUURT_HOME, $XDG_DATA_HOME/buurt,\n"
          "                           ~/.local/share/buurt)\n"
          "  --listen ENDPOINT        where peers connect (default tcp://0.0.0.0:4836;\n"
          "                           'none' to only connect out)\n"
          "  --no-beacon              do not announce or discover peers on the LAN\n"
          "  --beacon-interface IF    announce only on this interface (default: every\n"
          "                           interface that is up and can broadcast)\n"
          "  --beacon-port N          UDP port of beacons (default 4836)\n"
          "  --beacon-interval MS     how often to announce (default 2000)\n"
          "  --sync-interval MS       periodic reconciliation with each peer (default 30000)\n"
          "  --verify-threads N       threads that verify received edits (default: one\n"
          "                           per core)\n"
          "  --no-compress            do not compress edits sent to peers (zstd), nor\n"
          "                           accept compressed ones\n"
          "  --http ADDR:PORT         serve the read-only web board for phones there, e.g.\n"
          "                           0.0.0.0:8080 on the organisation's Wi-Fi (default: off)\n"
          "  --daemon                 detach and log to HOME/buurtd.log\n"
          "  --verbose                log every connection and round\n"
          "  --journal                start log lines with their syslog priority (<3>\n"
          "                           error, <4> warning, <6> info) for systemd's journal;\n"
          "                           the default when stderr is the journal\n"
          "  --help                   this help\n",
          f);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"home", required_argument, NULL, 'H'},       {"listen", required_argument, NULL, 'l'},
        {"no-beacon", no_argument, NULL, 'n'},        {"beacon-interface", required_argument, NULL, 'i'},
        {"beacon-port", required_argument, NULL, 'p'}, {"beacon-interval", required_argument, NULL, 'b'},
        {"sync-interval", required_argument, NULL, 's'}, {"daemon", no_argument, NULL, 'd'},
        {"verbose", no_argument, NULL, 'v'},          {"journal", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},             {"http", required_argument, NULL, 'w'},
        {"verify-threads", required_argument, NULL, 't'},
        {"no-compress", no_argument, NULL, 'z'},
        {NULL, 0, NULL, 0}};
    node_opts_t o = {.beacon = true,
                     .exec = {cli_run, cli_runs_in_child, cli_prepare_child, cli_warm, cli_reader_warm, cli_stop}};
    char *home = NULL;
    const char *listen = "tcp://0.0.0.0:4836";
    bool daemonize = false;
    int ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (ch) {
        case 'H': free(home); home = xstrdup(optarg); break;
        case 'l': listen = strcmp(optarg, "none") == 0 ? NULL : optarg; break;
        case 'n': o.beacon = false; break;
        case 'z': o.no_compress = true; break;
        case 'i': o.beacon_iface = optarg; break;
        case 'p': o.beacon_port = atoi(optarg); break;
        case 'b': o.beacon_interval_ms = atoi(optarg); break;
        case 's': o.recon_interval_ms = atoi(optarg); break;
        case 'd': daemonize = true; break;
        case 'v': o.verbose = true; break;
        case 'w': o.http = optarg; break;
        case 'j': o.log_priority = true; break;
        case 't':
            o.verify_threads = atoi(optarg);
            if (o.verify_threads < 1 || o.verify_threads > 64) {
                fprintf(stderr, "buurtd: --verify-threads takes 1 to 64, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': s_usage(stdout); return 0;
        case ':':
            fprintf(stderr, "buurtd: option %s needs a value; see buurtd --help\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "buurtd: unknown option %s; see buurtd --help\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "buurtd: unexpected argument '%s'; see buurtd --help\n", argv[optind]);
        return 2;
    }
    if (!home)
        home = home_default();
    o.home = home;
    o.listen = listen;
    signal(SIGPIPE, SIG_IGN);
    if (daemonize) {
        char *log = home_path(home, HOME_LOG);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        free(log);
        if (fd < 0 || daemon(1, 1) != 0) {
            fprintf(stderr, "buurtd: cannot detach: %s\n", strerror(errno));
            return 1;
        }
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    if (s_stderr_is_journal())
        o.log_priority = true;
    char *cause = NULL;
    int rc = node_start(&o, &s_node, &cause);
    if (rc < 0) {
        fprintf(stderr, "%sbuurtd: %s\n", o.log_priority ? "<3>" : "", cause ? cause : bu_strerror(rc));
        free(cause);
        free(home);
        return 1;
    }
    struct sigaction sa = {.sa_handler = s_on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    node_run(s_node);
    node_destroy(&s_node);
    free(home);
    return 0;
}
