/*
 * cmd_print.c -- `buurt print`: the printed sheet of the outage kit (issue
 * 12, part 2), one A4 page per area for the door of a closed place, the
 * library's phone round and a coordinator's clipboard.
 *
 * The sheet is node/board.c's BOARD_SHEET, the same renderer as the web
 * board's print view, so paper and phone never disagree. `print` itself
 * runs in the CLI (it may write a file and start a browser, neither of
 * which belongs in buurtd); it gets the HTML from `print-html`, a read
 * that runs where reads run (in buurtd's reader when a buurtd holds the
 * store, else here on the store).
 *
 * Output: self-contained HTML with print CSS (no external resource, the
 * QR code an inline SVG) on stdout or in -o FILE; with -o FILE.pdf the
 * same HTML printed to PDF by headless Chromium ($BUURT_CHROMIUM, else
 * chromium, chromium-browser, google-chrome on PATH). Chromium and not a
 * PDF library: the sheet must look the same on paper from any browser and
 * from -o file.pdf, and a second layout engine would drift from the HTML;
 * Chromium is a Debian package (`chromium`) and only this option needs it.
 */
#include "cli/cli.h"
#include "node/board.h"
#include "node/home.h"
#include "node/query.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_PDF_TIMEOUT_S 90

typedef struct {
    const char *area, *lang, *url, *out;
    bool help;
} popts_t;

static int s_parse(cli_t *c, int argc, char **argv, popts_t *o, bool full)
{
    static const struct option lo[] = {{"area", required_argument, NULL, 'a'},
                                       {"lang", required_argument, NULL, 'L'},
                                       {"url", required_argument, NULL, 'u'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":ho:", lo, NULL)) != -1) {
        switch (ch) {
        case 'a': o->area = optarg; break;
        case 'L': o->lang = optarg; break;
        case 'u': o->url = optarg; break;
        case 'o':
            if (!full)
                return cli_usage(c, "print-html writes to stdout; use buurt print -o FILE");
            o->out = optarg;
            break;
        case 'h': o->help = true; break;
        case ':': return cli_usage(c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage(c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage(c, "unexpected argument '%s'", argv[optind]);
    if (o->lang && board_lang_parse(o->lang) < 0)
        return cli_usage(c, "--lang takes nl, en, tr or ar, not '%s'", o->lang);
    if (o->area && (!*o->area || strlen(o->area) > BOARD_AREA_MAX))
        return cli_usage(c, "--area takes an area name of 1 to %d bytes", BOARD_AREA_MAX);
    if (o->url && strcmp(o->url, "none") != 0 && strncmp(o->url, "http://", 7) != 0 &&
        strncmp(o->url, "https://", 8) != 0)
        return cli_usage(c, "--url takes the board's address (http://HOST:PORT/) or 'none'");
    return 0;
}

/* The areas of the visible places, for the message about an unknown one. */
static void s_areas(repo_t *r, uint64_t now, buf_t *out)
{
    query_t q = {REC_PLACE, NULL, NULL, NULL, false, now};
    const entity_t **v = NULL;
    size_t n = query_list(r, &q, &v), k = 0;
    for (size_t i = 0; i < n && k < 20; i++) {
        const char *a = pv_get_str(v[i]->fields, "area");
        if (!a || strstr(buf_cstr(out), a))
            continue;
        buf_printf(out, "%s%s", k++ ? ", " : "", a);
    }
    free(v);
}

int cmd_print_html(cli_t *c, int argc, char **argv)
{
    popts_t o;
    int rc = s_parse(c, argc, argv, &o, false);
    if (rc)
        return rc;
    if (o.help) {
        fprintf(c->out, "usage: buurt print-html [--area AREA] [--lang nl|en|tr|ar] [--url URL]\n\n"
                        "The printed sheet as HTML on stdout; buurt print uses it.\n");
        return EXIT_OK;
    }
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    uint64_t now = cli_now(c);
    if (o.area) {
        query_t q = {REC_PLACE, o.area, NULL, NULL, false, now};
        const entity_t **v = NULL;
        size_t n = query_list(r, &q, &v);
        free(v);
        if (n == 0) {
            buf_t a = {0};
            s_areas(r, now, &a);
            cli_err(c, EXIT_FAIL, "no places in area '%s'; areas with places: %s", o.area,
                    a.len ? buf_cstr(&a) : "none");
            buf_free(&a);
            return EXIT_FAIL;
        }
    }
    board_req_t q = {.page = BOARD_SHEET,
                     .lang = o.lang ? (lang_t)board_lang_parse(o.lang) : LANG_NL,
                     .area = o.area,
                     .now_ms = now,
                     .url = o.url && strcmp(o.url, "none") != 0 ? o.url : NULL};
    buf_t b = {0};
    board_render(r, &q, &b);
    fwrite(b.data, 1, b.len, c->out);
    buf_free(&b);
    return EXIT_OK;
}

/* A LAN address of this machine (IPv4, up, not loopback) into out. */
static bool s_lan_addr(char *out, size_t n)
{
    struct ifaddrs *ifs = NULL, *i;
    bool found = false;
    if (getifaddrs(&ifs) != 0)
        return false;
    for (i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
            (i->ifa_flags & IFF_LOOPBACK))
            continue;
        found = inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out,
                          (socklen_t)n) != NULL;
    }
    freeifaddrs(ifs);
    return found;
}

/* The address of the web board of the buurtd running for home (from
 * buurtd.http; a wildcard address replaced by one of this machine's), or
 * NULL. Allocated. */
static char *s_board_url(const char *home)
{
    if (!cli_daemon_running(home))
        return NULL;
    char *f = home_path(home, HOME_HTTP);
    FILE *fp = fopen(f, "r");
    free(f);
    if (!fp)
        return NULL;
    char line[256] = "";
    bool ok = fgets(line, sizeof line, fp) != NULL;
    fclose(fp);
    line[strcspn(line, "\r\n")] = 0;
    if (!ok || strncmp(line, "http://", 7) != 0)
        return NULL;
    const char *wild[] = {"http://0.0.0.0:", "http://[::]:"};
    for (int w = 0; w < 2; w++)
        if (strncmp(line, wild[w], strlen(wild[w])) == 0) {
            char addr[64];
            if (!s_lan_addr(addr, sizeof addr))
                return NULL;
            return xasprintf("http://%s:%s", addr, line + strlen(wild[w]));
        }
    return xstrdup(line);
}

static bool s_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* The Chromium to print with, or NULL. Allocated. */
static char *s_chromium(void)
{
    const char *env = getenv("BUURT_CHROMIUM");
    if (env && *env)
        return access(env, X_OK) == 0 ? xstrdup(env) : NULL;
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome",
                                        "google-chrome-stable"};
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char *p = xstrdup(path), *save = NULL;
        for (char *d = strtok_r(p, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
            char *cand = xasprintf("%s/%s", *d ? d : ".", names[k]);
            if (access(cand, X_OK) == 0) {
                free(p);
                return cand;
            }
            free(cand);
        }
        free(p);
    }
    return NULL;
}

static int s_write_file(cli_t *c, const char *path, const buf_t *b)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return cli_err(c, EXIT_FAIL, "cannot write %s: %s", path, strerror(errno));
    size_t w = fwrite(b->data, 1, b->len, f);
    int e = errno;
    if (fclose(f) != 0 || w != b->len) {
        unlink(path);
        return cli_err(c, EXIT_FAIL, "cannot write %s: %s", path, strerror(e ? e : EIO));
    }
    return EXIT_OK;
}

/* Prints html to the PDF file out with headless Chromium. */
static int s_pdf(cli_t *c, const buf_t *html, const char *out)
{
    char *chrome = s_chromium();
    if (!chrome)
        return cli_err(c, EXIT_FAIL,
                       "a PDF needs Chromium (Debian: apt install chromium; or set "
                       "BUURT_CHROMIUM); write HTML instead with -o %.*s.html and print it from "
                       "any browser",
                       (int)(strlen(out) - 4), out);
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/buurt-print-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int code = EXIT_FAIL;
    char *page = NULL, *arg_pdf = NULL, *arg_prof = NULL, *url = NULL;
    if (!mkdtemp(dir)) {
        code = cli_err(c, EXIT_FAIL, "cannot make a temporary directory for the PDF: %s",
                       strerror(errno));
        goto done;
    }
    page = xasprintf("%s/sheet.html", dir);
    if ((code = s_write_file(c, page, html)) != EXIT_OK)
        goto done;
    char *abs_out = NULL;
    if (out[0] != '/') {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd)) {
            code = cli_err(c, EXIT_FAIL, "cannot find the current directory: %s", strerror(errno));
            goto done;
        }
        abs_out = xasprintf("%s/%s", cwd, out);
    }
    arg_pdf = xasprintf("--print-to-pdf=%s", abs_out ? abs_out : out);
    free(abs_out);
    arg_prof = xasprintf("--user-data-dir=%s/profile", dir);
    url = xasprintf("file://%s", page);
    unlink(out);
    const char *argv[16];
    int k = 0;
    argv[k++] = chrome;
    argv[k++] = "--headless";
    argv[k++] = "--disable-gpu";
    argv[k++] = "--no-first-run";
    argv[k++] = "--no-pdf-header-footer";
    argv[k++] = "--print-to-pdf-no-header";
    argv[k++] = arg_prof;
    argv[k++] = arg_pdf;
    if (geteuid() == 0)
        argv[k++] = "--no-sandbox"; /* Chromium refuses to run as root with its sandbox */
    argv[k++] = url;
    argv[k] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execv(chrome, (char *const *)argv);
        _exit(127);
    }
    if (pid < 0) {
        code = cli_err(c, EXIT_FAIL, "cannot start %s: %s", chrome, strerror(errno));
        goto done;
    }
    int status = 0;
    time_t t0 = time(NULL);
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (time(NULL) - t0 > S_PDF_TIMEOUT_S) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            code = cli_err(c, EXIT_FAIL, "%s did not finish the PDF in %d s; print the HTML "
                                         "(-o FILE.html) from a browser instead",
                           chrome, S_PDF_TIMEOUT_S);
            goto done;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    struct stat st;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || stat(out, &st) != 0 || st.st_size < 5) {
        code = cli_err(c, EXIT_FAIL, "%s could not make %s (exit %d); print the HTML (-o FILE.html) "
                                     "from a browser instead",
                       chrome, out, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        goto done;
    }
    code = EXIT_OK;
done:
    if (page)
        unlink(page);
    if (dir[0]) {
        /* the profile Chromium left behind */
        char *cmd_argv[] = {"rm", "-rf", dir, NULL};
        pid_t rm = fork();
        if (rm == 0) {
            execvp("rm", cmd_argv);
            _exit(127);
        }
        if (rm > 0)
            waitpid(rm, NULL, 0);
    }
    free(page);
    free(arg_pdf);
    free(arg_prof);
    free(url);
    free(dir);
    free(chrome);
    return code;
}

int cmd_print(cli_t *c, int argc, char **argv)
{
    popts_t o;
    int rc = s_parse(c, argc, argv, &o, true);
    if (rc)
        return rc;
    if (o.help) {
        fprintf(c->out,
                "usage: buurt print [--area AREA] [--lang nl|en|tr|ar] [--url URL] [-o FILE]\n\n"
                "The sheet for the door of a closed place, the phone round and the\n"
                "clipboard: one A4 page per area (two at most for a large one) with the\n"
                "places, their status and since when, the channels that still work,\n"
                "opening hours, open needs counted by category, who offers what, current\n"
                "bulletins, the time and this node's name, and a QR code to the web board\n"
                "when buurtd serves one (buurtd --http).\n\n"
                "options:\n"
                "  --area AREA   only this area (default: every area, one page each)\n"
                "  --lang LL     nl (default), en, tr or ar\n"
                "  --url URL     the board's address for the QR code (default: the board\n"
                "                of the running buurtd; 'none' for no QR code)\n"
                "  -o FILE       write FILE instead of stdout: HTML, or a PDF when FILE ends\n"
                "                in .pdf (needs Chromium: apt install chromium)\n");
        return EXIT_OK;
    }
    char *url = o.url ? xstrdup(o.url) : s_board_url(c->home);
    const char *args[10];
    int n = 0;
    args[n++] = "print-html";
    if (o.area) {
        args[n++] = "--area";
        args[n++] = o.area;
    }
    if (o.lang) {
        args[n++] = "--lang";
        args[n++] = o.lang;
    }
    if (url) {
        args[n++] = "--url";
        args[n++] = url;
    }
    args[n] = NULL;
    /* the HTML, from buurtd's reader or from the store here */
    buf_t html = {0};
    char *mem = NULL;
    size_t memlen = 0;
    FILE *ms = open_memstream(&mem, &memlen);
    cli_t sub = *c;
    sub.out = ms;
    sub.cmd = "print";
    int code;
    if (cli_daemon_running(c->home)) {
        char *cause = NULL;
        code = cli_daemon_exec(&sub, n, (char **)args, &cause);
        if (code < 0)
            code = cli_fail(c, code, cause);
    } else {
        code = cmd_print_html(&sub, n, (char **)args);
        c->repo = sub.repo;
        c->repo_failed = sub.repo_failed;
        if (sub.forward) { /* a buurtd became ready while we waited for the store */
            char *cause = NULL;
            code = cli_daemon_exec(&sub, n, (char **)args, &cause);
            if (code < 0)
                code = cli_fail(c, code, cause);
        }
    }
    fclose(ms);
    buf_append(&html, mem, memlen);
    free(mem);
    free(url);
    if (code == EXIT_OK) {
        if (!o.out)
            fwrite(html.data, 1, html.len, c->out);
        else if (s_ends_with(o.out, ".pdf"))
            code = s_pdf(c, &html, o.out);
        else
            code = s_write_file(c, o.out, &html);
        if (code == EXIT_OK && o.out)
            fprintf(c->err, "buurt: wrote %s\n", o.out);
    }
    buf_free(&html);
    return code;
}
