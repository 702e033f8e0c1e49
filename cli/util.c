/*
 * util.c -- helpers shared by the buurt commands: opening the repo once,
 * one-line errors, list/number/time option parsing, JSON and tables.
 */
#include "cli/cli.h"
#include "node/members.h"
#include "node/match.h"
#include "node/query.h"

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
    char **cells; /* rows * ncols, row 0 = headers */
    size_t rows;
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

/* Display width of UTF-8 text: counts code points, not bytes. */
static size_t s_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

void table_print(cli_t *c, table_t *t)
{
    size_t *w = xcalloc((size_t)t->ncols, sizeof *w);
    for (size_t r = 0; r < t->rows; r++)
        for (int i = 0; i < t->ncols; i++) {
            size_t cw = s_width(t->cells[r * (size_t)t->ncols + (size_t)i]);
            if (cw > 48 && i < t->ncols - 1)
                cw = 48;
            if (cw > w[i])
                w[i] = cw;
        }
    /* On a terminal, narrow the widest columns until the table fits. */
    size_t last_max = (size_t)-1, cols = c->width >= 40 ? (size_t)c->width : 0;
    if (cols) {
        size_t total = 0;
        for (int i = 0; i < t->ncols - 1; i++)
            total += w[i] + 2;
        while (total + 12 > cols) {
            int widest = -1;
            for (int i = 0; i < t->ncols - 1; i++)
                if (w[i] > 8 && (widest < 0 || w[i] > w[widest]))
                    widest = i;
            if (widest < 0)
                break;
            w[widest]--;
            total--;
        }
        last_max = total < cols ? cols - total : 12;
    }
    for (size_t r = 0; r < t->rows; r++) {
        for (int i = 0; i < t->ncols; i++) {
            const char *s = t->cells[r * (size_t)t->ncols + (size_t)i];
            if (i == t->ncols - 1) {
                size_t keep = 0, cps = 0;
                while (s[keep] && cps < last_max) {
                    keep++;
                    while (((unsigned char)s[keep] & 0xc0) == 0x80)
                        keep++;
                    cps++;
                }
                fwrite(s, 1, keep, c->out);
                break;
            }
            size_t cw = s_width(s);
            if (cw > w[i]) {
                /* truncate to w[i]-1 code points and add an ellipsis */
                size_t keep = 0, cps = 0;
                while (s[keep] && cps < w[i] - 1) {
                    keep++;
                    while (((unsigned char)s[keep] & 0xc0) == 0x80)
                        keep++;
                    cps++;
                }
                fwrite(s, 1, keep, c->out);
                fputs("…", c->out);
                cw = w[i];
            } else {
                fputs(s, c->out);
            }
            for (size_t k = cw; k < w[i] + 2; k++)
                fputc(' ', c->out);
        }
        fputc('\n', c->out);
    }
    free(w);
}

void table_free(table_t **tp)
{
    if (tp == NULL || *tp == NULL)
        return;
    table_t *t = *tp;
    for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
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
    struct winsize ws;
    return isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}
