/*
 * util.c -- helpers shared by the buurt commands: opening the repo once,
 * one-line errors, list/number/time option parsing, JSON and tables.
 */
#include "cli/cli.h"
#include "node/members.h"
#include "node/match.h"
#include "node/query.h"
#include "proto/text.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

repo_t *cli_repo(cli_t *c)
{
    if (c->repo || c->repo_failed)
        return c->repo;
    if (!c->in_daemon && cli_daemon_running(c->home)) {
        fprintf(c->err, "buurt: buurtd is running for %s; it holds the store\n", c->home);
        return NULL;
    }
    char *cause = NULL;
    int rc = repo_open(c->home, &c->repo, &cause);
    if (rc == BU_ELOCKED && !c->in_daemon) {
        /* a buurtd starting (it takes the store before it answers), or
         * another command: wait for either, never fail for a race */
        free(cause);
        cause = NULL;
        if (cli_daemon_wait(c->home, cli_wait_ms())) {
            c->forward = true;
            return NULL;
        }
        rc = repo_open(c->home, &c->repo, &cause);
        if (rc == BU_ELOCKED) {
            free(cause);
            cause = xasprintf("the store of %s is locked by another process (waited %d s); is a "
                              "buurt command stuck?",
                              c->home, cli_wait_ms() / 1000);
        }
    }
    if (rc < 0) {
        if (rc == BU_ELOCKED)
            fprintf(c->err, "buurt: %s\n", cause ? cause : "store is locked");
        else
            fprintf(c->err, "buurt: %s\n", cause ? cause : bu_strerror(rc));
        free(cause);
        c->repo_failed = true;
        return NULL;
    }
    repo_set_clock(c->repo, c->now_ms); /* BUURT_NOW_MS dates this command's edits */
    const store_report_t *rep = repo_report(c->repo);
    if (rep->corrupt_regions > 0)
        fprintf(c->err,
                "buurt: warning: store has %zu damaged region(s) (%llu bytes, first at offset "
                "%llu); those edits were skipped and will be fetched again from peers\n",
                rep->corrupt_regions, (unsigned long long)rep->corrupt_bytes,
                (unsigned long long)rep->first_corrupt_at);
    if (rep->tail_cut_bytes > 0)
        fprintf(c->err, "buurt: note: cut %llu bytes of an unfinished write from the store's end\n",
                (unsigned long long)rep->tail_cut_bytes);
    return c->repo;
}

int cli_err(cli_t *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("buurt: ", c->err);
    vfprintf(c->err, fmt, ap);
    fputc('\n', c->err);
    va_end(ap);
    return code;
}

int cli_usage(cli_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(c->err, "buurt %s: ", c->cmd ? c->cmd : "");
    vfprintf(c->err, fmt, ap);
    fprintf(c->err, "; see buurt %s --help\n", c->cmd ? c->cmd : "");
    va_end(ap);
    return EXIT_USAGE;
}

int cli_fail(cli_t *c, int rc, char *cause)
{
    fprintf(c->err, "buurt: %s\n", cause ? cause : bu_strerror(rc));
    free(cause);
    /* a value the schema refuses (too long, out of range) is a usage error */
    return rc == BU_ESCHEMA ? EXIT_USAGE : EXIT_FAIL;
}

pv_t *cli_list(const char *csv)
{
    pv_t *arr = pv_arr();
    const char *p = csv;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *s = p;
        while (n > 0 && isspace((unsigned char)*s)) {
            s++;
            n--;
        }
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            n--;
        if (n > 0) {
            pv_t *item = pv_strn(s, n);
            bool dup = false;
            for (size_t i = 0; i < arr->u.a.n; i++)
                dup |= pv_equal(arr->u.a.items[i], item);
            if (dup)
                pv_free(&item);
            else
                pv_arr_push(arr, item);
        }
        if (!e)
            break;
        p = e + 1;
    }
    return arr;
}

int cli_check_tokens(cli_t *c, const char *opt, const pv_t *list, const char *const *tokens)
{
    for (size_t i = 0; i < list->u.a.n; i++) {
        const char *t = list->u.a.items[i]->u.s.p;
        if (!rec_token_ok(tokens, t)) {
            char allowed[512] = "";
            for (const char *const *k = tokens; *k; k++) {
                strncat(allowed, *k, sizeof allowed - strlen(allowed) - 1);
                if (k[1])
                    strncat(allowed, ", ", sizeof allowed - strlen(allowed) - 1);
            }
            return cli_usage(c, "%s: unknown value '%s' (one of: %s)", opt, t, allowed);
        }
    }
    if (list->u.a.n == 0)
        return cli_usage(c, "%s needs at least one value", opt);
    return 0;
}

int cli_int(cli_t *c, const char *opt, const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max)
        return cli_usage(c, "%s must be a whole number from %lld to %lld", opt, (long long)min,
                         (long long)max);
    *out = v;
    return 0;
}

int64_t cli_time(const char *s, uint64_t now_ms)
{
    char *end = NULL;
    if (isdigit((unsigned char)*s)) {
        long long v = strtoll(s, &end, 10);
        int64_t unit = 0;
        if (strcmp(end, "d") == 0)
            unit = 86400000;
        else if (strcmp(end, "h") == 0)
            unit = 3600000;
        else if (strcmp(end, "m") == 0)
            unit = 60000;
        if (unit && v >= 0 && v <= 36500)
            return (int64_t)now_ms + v * unit;
    }
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%d", &tm);
    if (rest == NULL)
        return -1;
    if (*rest == 'T' || *rest == ' ') {
        rest = strptime(rest + 1, "%H:%M", &tm);
        if (rest == NULL)
            return -1;
    }
    if (*rest != '\0')
        return -1;
    time_t t = timegm(&tm);
    return t < 0 ? -1 : (int64_t)t * 1000;
}

void cli_print_json(cli_t *c, buf_t *b)
{
    fwrite(b->data, 1, b->len, c->out);
    fputc('\n', c->out);
}

/* cli_set_stale: the threshold cli_entity_json marks stale places by. */
static uint64_t s_stale_ms = (uint64_t)QUERY_STALE_HOURS_DEFAULT * 3600000u;

void cli_set_stale(uint64_t ms)
{
    s_stale_ms = ms;
}

uint64_t cli_stale_ms(void)
{
    return s_stale_ms;
}

void cli_age(int64_t ms, char *out, size_t n)
{
    if (ms < 60000)
        snprintf(out, n, "just now");
    else if (ms < 7200000)
        snprintf(out, n, "%lld min ago", (long long)(ms / 60000));
    else if (ms < 2 * 86400000LL)
        snprintf(out, n, "%lld h ago", (long long)(ms / 3600000));
    else
        snprintf(out, n, "%lld days ago", (long long)(ms / 86400000));
}

void cli_entity_json(const entity_t *e, uint64_t now_ms, buf_t *out)
{
    char hex[65];
    hex_encode(e->entity, 32, hex);
    buf_printf(out, "{\"id\":\"%s\",\"kind\":\"%s\",", hex, rec_kind_name(e->kind));
    hex_encode(e->creator, 32, hex);
    buf_printf(out, "\"creator\":\"%s\",", hex);
    hex_encode(e->updated_by, 32, hex);
    buf_printf(out, "\"updated_by\":\"%s\",\"created_ms\":%llu,\"updated_ms\":%llu,\"edits\":%zu,",
               hex, (unsigned long long)hlc_ms(e->created), (unsigned long long)hlc_ms(e->updated),
               e->edits);
    if (e->kind == REC_NEED)
        buf_printf(out, "\"status_now\":\"%s\",", need_status_now(e, now_ms));
    int64_t age = query_status_age(e, now_ms);
    if (age >= 0)
        buf_printf(out, "\"status_age_ms\":%lld,\"stale\":%s,", (long long)age,
                   (uint64_t)age > s_stale_ms ? "true" : "false");
    buf_printf(out, "\"deleted\":%s,", entity_deleted(e) ? "true" : "false");
    buf_append(out, "\"fields\":", 9);
    pv_to_json(e->fields, out);
    buf_putc(out, '}');
}

void cli_fmt_time(uint64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

void cli_node_name(repo_t *r, const uint8_t key[32], char *out, size_t n)
{
    const members_t *m = repo_members(r);
    const member_t *x = m ? members_find(m, key) : NULL;
    char hex[65];
    hex_encode(key, 32, hex);
    if (x && x->name[0])
        snprintf(out, n, "%s (%.10s)", x->name, hex);
    else if (memcmp(key, repo_key(r)->pk, 32) == 0 && repo_name(r) && repo_name(r)[0])
        snprintf(out, n, "%s (%.10s)", repo_name(r), hex);
    else
        snprintf(out, n, "%.10s", hex);
}

const char *cli_ref_name(repo_t *r, const char *hex)
{
    uint8_t id[32];
    if (!hex || hex_decode(hex, id, 32) < 0)
        return "";
    const entity_t *e = repo_entity(r, id);
    if (e && e->kind == REC_OFFER) {
        static char label[160];
        const char *prov = pv_get_str(e->fields, "provider");
        uint8_t pid[32];
        const entity_t *p = prov && hex_decode(prov, pid, 32) == 0 ? repo_entity(r, pid) : NULL;
        snprintf(label, sizeof label, "offer of %s", p ? query_label(p) : "(unknown)");
        return label;
    }
    return e ? query_label(e) : "(unknown)";
}

void cli_short_id(const uint8_t id[32], char *out)
{
    hex_encode(id, 5, out);
}

void cli_join(const pv_t *list, char *out, size_t n)
{
    out[0] = '\0';
    if (list == NULL || list->type != PV_ARR)
        return;
    for (size_t i = 0; i < list->u.a.n; i++) {
        if (list->u.a.items[i]->type != PV_STR)
            continue;
        if (i)
            strncat(out, ",", n - strlen(out) - 1);
        strncat(out, list->u.a.items[i]->u.s.p, n - strlen(out) - 1);
    }
}

/* ---------------------------------------------------------------- table */

struct table {
    int ncols;
    char **cells; /* rows * ncols, row 0 = headers (streamed: only it) */
    size_t rows;
    size_t *w;    /* streamed: widest cell of each column measured so far */
    size_t *fit;  /* streamed: the widths rows are printed at (table_start) */
};

table_t *table_new(int ncols, const char *const *headers)
{
    table_t *t = xcalloc(1, sizeof *t);
    t->ncols = ncols;
    table_row(t, headers);
    return t;
}

void table_row(table_t *t, const char *const *cells)
{
    t->cells = xrealloc(t->cells, (t->rows + 1) * (size_t)t->ncols * sizeof(char *));
    for (int i = 0; i < t->ncols; i++) {
        /* names and text come from other members: no terminal controls */
        buf_t b = {0};
        text_escape(&b, cells[i] ? cells[i] : "");
        t->cells[t->rows * (size_t)t->ncols + (size_t)i] = xstrdup(buf_cstr(&b));
        buf_free(&b);
    }
    t->rows++;
}

/* A column people copy ids from ("ID", "#") is never narrowed. */
static bool s_keep_whole(const char *header)
{
    return strcmp(header, "ID") == 0 || strcmp(header, "#") == 0;
}

/* Columns of free text, narrowed first. */
static bool s_free_text(const char *header)
{
    static const char *const h[] = {"SUMMARY", "TITLE", "NOTE", "PURPOSE", "WHY", "NAME", NULL};
    for (int i = 0; h[i]; i++)
        if (strcmp(header, h[i]) == 0)
            return true;
    return false;
}

/*
 * Narrows columns of t (widths w, total columns *total with the gaps) one
 * column at a time, the widest first (the rightmost of equals), until
 * *total <= limit: only the columns in pick (NULL: all), never an ID
 * column, none below floor.
 */
static void s_narrow(const table_t *t, size_t *w, size_t *total, size_t limit, const bool *pick,
                     size_t floor)
{
    size_t nc = (size_t)t->ncols;
    while (*total > limit) {
        size_t widest = nc;
        for (size_t i = 0; i < nc; i++)
            if ((!pick || pick[i]) && w[i] > floor && !s_keep_whole(t->cells[i]) &&
                (widest == nc || w[i] >= w[widest]))
                widest = i;
        if (widest == nc)
            return;
        w[widest]--;
        (*total)--;
    }
}

/* The widths rows are printed at, from the widest cell of each column
 * (w, consumed): narrowed to c->width as table_print says. */
static size_t *s_fit(cli_t *c, const table_t *t, size_t *w)
{
    size_t nc = (size_t)t->ncols, total = 2 * (nc - 1);
    bool *text = xcalloc(nc, sizeof *text), *other = xcalloc(nc, sizeof *other), any = false;
    size_t widest = 0;
    for (size_t i = 0; i < nc; i++) {
        total += w[i];
        text[i] = s_free_text(t->cells[i]);
        any |= text[i];
        if (w[i] >= w[widest])
            widest = i;
    }
    if (!any)
        text[widest] = true;
    for (size_t i = 0; i < nc; i++)
        other[i] = !text[i];
    size_t limit = c->width > 0 ? (size_t)(c->width < 20 ? 20 : c->width) : 0;
    if (limit) {
        s_narrow(t, w, &total, limit, text, 20);
        s_narrow(t, w, &total, limit, other, 6);
        s_narrow(t, w, &total, limit, NULL, 3);
    }
    free(text);
    free(other);
    return w;
}

/* Prints one row of escaped cells at widths w. */
static void s_line(cli_t *c, size_t nc, char *const *cells, const size_t *w, buf_t *line)
{
    buf_reset(line);
    for (size_t i = 0; i < nc; i++) {
        const char *s = cells[i];
        bool rtl = text_has_rtl(s);
        if (rtl)
            buf_append(line, "\xe2\x81\xa8", 3); /* FSI */
        size_t cw = text_fit(line, s, w[i]);
        if (rtl)
            buf_append(line, "\xe2\x81\xa9", 3); /* PDI */
        if (i + 1 < nc)
            for (size_t k = cw; k < w[i] + 2; k++)
                buf_putc(line, ' ');
    }
    buf_putc(line, '\n');
    fwrite(line->data, 1, line->len, c->out);
}

/*
 * Widths are terminal columns (proto/text.h), so Arabic, Turkish and
 * Tigrinya cells line up. With a width limit (c->width: the terminal's, or
 * BUURT_COLUMNS) columns are narrowed until every line fits: first the
 * free text (SUMMARY, TITLE, NOTE, PURPOSE, WHY, NAME; in a table without
 * these, the widest column) down to 20 columns, then the others down to
 * 6, then any down to 3; an ID column never. A
 * cell wider than its column ends in "…". Without a limit (a pipe) rows
 * are printed whole. A cell with right-to-left text is wrapped in the
 * directional isolates U+2068 FSI and U+2069 PDI, so that a terminal's
 * bidi algorithm keeps the columns around it in place.
 */
void table_print(cli_t *c, table_t *t)
{
    size_t nc = (size_t)t->ncols, *w = xcalloc(nc, sizeof *w);
    for (size_t r = 0; r < t->rows; r++)
        for (size_t i = 0; i < nc; i++) {
            size_t cw = text_width(t->cells[r * nc + i]);
            if (cw > w[i])
                w[i] = cw;
        }
    s_fit(c, t, w);
    buf_t line = {0};
    for (size_t r = 0; r < t->rows; r++)
        s_line(c, nc, t->cells + r * nc, w, &line);
    buf_free(&line);
    free(w);
}

/* Starts the widths of a kept table at its headers'. */
static void s_widths_init(table_t *t)
{
    size_t nc = (size_t)t->ncols;
    t->w = xcalloc(nc, sizeof *t->w);
    for (size_t i = 0; i < nc; i++)
        t->w[i] = text_width(t->cells[i]);
}

size_t table_keep(table_t *t, const char *const *cells, buf_t *kept)
{
    if (!t->w)
        s_widths_init(t);
    size_t at = kept->len;
    for (int i = 0; i < t->ncols; i++) {
        size_t from = kept->len;
        text_escape(kept, cells[i] ? cells[i] : "");
        buf_putc(kept, '\0');
        size_t cw = text_width((const char *)kept->data + from);
        if (cw > t->w[i])
            t->w[i] = cw;
    }
    return at;
}

void table_start(cli_t *c, table_t *t)
{
    if (!t->w)
        s_widths_init(t);
    t->fit = s_fit(c, t, t->w);
    t->w = NULL;
    buf_t line = {0};
    s_line(c, (size_t)t->ncols, t->cells, t->fit, &line);
    buf_free(&line);
}

void table_emit(cli_t *c, table_t *t, const char *kept)
{
    size_t nc = (size_t)t->ncols;
    char *cells[32];
    for (size_t i = 0; i < nc && i < 32; i++) {
        cells[i] = (char *)kept;
        kept += strlen(kept) + 1;
    }
    buf_t line = {0};
    s_line(c, nc, cells, t->fit, &line);
    buf_free(&line);
}

void table_free(table_t **tp)
{
    if (tp == NULL || *tp == NULL)
        return;
    table_t *t = *tp;
    for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->w);
    free(t->fit);
    free(t);
    *tp = NULL;
}

uint64_t cli_now(const cli_t *c)
{
    return c->now_ms ? c->now_ms : repo_wall_ms();
}

uint64_t cli_edit_now(cli_t *c)
{
    /* a command forwarded to buurtd gets the daemon's clock there */
    repo_t *r = c->forward ? NULL : cli_repo(c);
    return r ? repo_edit_now(r) : cli_now(c);
}

int cli_terminal_width(int fd)
{
    const char *e = getenv("BUURT_COLUMNS");
    if (e && *e)
        return atoi(e) > 0 ? atoi(e) : 0;
    if (!isatty(fd))
        return 0; /* a pipe or a file: whole rows */
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    e = getenv("COLUMNS");
    return e && atoi(e) > 0 ? atoi(e) : 0;
}

/* path made absolute against the working directory ("-" and "" stay). */
static char *s_abs(const char *p)
{
    if (p[0] == '/' || p[0] == '\0' || strcmp(p, "-") == 0)
        return xstrdup(p);
    char *cwd = getcwd(NULL, 0);
    char *out = cwd ? xasprintf("%s/%s", cwd, p) : xstrdup(p);
    free(cwd);
    return out;
}

char **cli_forward_args(int argc, char **argv)
{
    /* options whose value is a file, and those whose value is not */
    static const char *const path_opts[] = {"-o", "--output", "--map", NULL};
    static const char *const value_opts[] = {"--format", "--source", "--since", "--area", "--kind",
                                             "--lang", "--home", NULL};
    /* where positional arguments are files: import FILE, bundle apply FILE */
    int files_from = argc > 0 && strcmp(argv[0], "import") == 0 ? 1
                     : argc > 1 && strcmp(argv[0], "bundle") == 0 && strcmp(argv[1], "apply") == 0 ? 2
                                                                                                    : argc;
    char **v = xcalloc((size_t)argc + 1, sizeof *v);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool path_next = false, value_next = false;
        for (int k = 0; path_opts[k]; k++)
            path_next = path_next || strcmp(a, path_opts[k]) == 0;
        for (int k = 0; value_opts[k]; k++)
            value_next = value_next || strcmp(a, value_opts[k]) == 0;
        v[i] = xstrdup(a);
        if (i > 0 && (path_next || value_next) && i + 1 < argc) {
            i++;
            v[i] = path_next ? s_abs(argv[i]) : xstrdup(argv[i]);
            continue;
        }
        const char *eq = strchr(a, '=');
        if (i > 0 && eq && (strncmp(a, "--output=", 9) == 0 || strncmp(a, "--map=", 6) == 0)) {
            char *p = s_abs(eq + 1);
            free(v[i]);
            v[i] = xasprintf("%.*s%s", (int)(eq + 1 - a), a, p);
            free(p);
        } else if (i > 0 && strncmp(a, "-o", 2) == 0 && a[2]) {
            char *p = s_abs(a + 2);
            free(v[i]);
            v[i] = xasprintf("-o%s", p);
            free(p);
        } else if (i >= files_from && a[0] != '-') {
            free(v[i]);
            v[i] = s_abs(a);
        }
    }
    return v;
}

void cli_forward_free(int argc, char **args)
{
    for (int i = 0; args && i < argc; i++)
        free(args[i]);
    free(args);
}
