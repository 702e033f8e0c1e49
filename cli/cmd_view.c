/*
 * cmd_view.c -- commands that read: list, show, search, who-can-help.
 * Human output is an aligned table; --json prints one document whose shape
 * docs/cli.md describes.
 */
#include "cli/cli.h"
#include "proto/text.h"
#include "node/match.h"
#include "node/members.h"
#include "node/query.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Parses only --json/--help and the given value options (by letter). */
typedef struct {
    const char *area, *category, *status, *lang;
    bool all, history, help;
    long limit;        /* --limit N, 0 when not given */
    char **pos;
    int npos;
} vopts_t;

static int s_vparse(cli_t *c, int argc, char **argv, const char *allowed, vopts_t *o)
{
    static const struct option lo[] = {
        {"area", required_argument, NULL, 'a'},   {"category", required_argument, NULL, 'c'},
        {"status", required_argument, NULL, 's'}, {"all", no_argument, NULL, 'A'},
        {"history", no_argument, NULL, 'H'},      {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {"limit", required_argument, NULL, 'l'},
        {"lang", required_argument, NULL, 'L'},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    optind = 0;
    opterr = 0;
    int ch, li = -1;
    while ((ch = getopt_long(argc, argv, ":h", lo, &li)) != -1) {
        if (ch == '?')
            return cli_usage(c, "unknown option %s", argv[optind - 1]);
        if (ch == ':')
            return cli_usage(c, "option %s needs a value", argv[optind - 1]);
        if (ch != 'j' && ch != 'h' && strchr(allowed, ch) == NULL) {
            if (li >= 0)
                return cli_usage(c, "option --%s does not apply here", lo[li].name);
            return cli_usage(c, "option %s does not apply here", argv[optind - 1]);
        }
        li = -1;
        switch (ch) {
        case 'a': o->area = optarg; break;
        case 'L': o->lang = optarg; break;
        case 'c': o->category = optarg; break;
        case 's': o->status = optarg; break;
        case 'A': o->all = true; break;
        case 'H': o->history = true; break;
        case 'j': c->json = true; break;
        case 'h': o->help = true; break;
        case 'l': {
            char *end;
            errno = 0;
            o->limit = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || o->limit < 1)
                return cli_usage(c, "--limit needs a whole number of at least 1, not '%s'", optarg);
            break;
        }
        }
    }
    o->pos = argv + optind;
    o->npos = argc - optind;
    return 0;
}

static const char *s_status(const entity_t *e, uint64_t now)
{
    return query_status(e, now);
}

/* Name of the entity an id field points to, for tables: an offer by its
 * provider ("offer of Moskee Zuid"), which has no name of its own. */
static const char *s_ref_name(repo_t *r, const char *hex)
{
    return cli_ref_name(r, hex);
}

/* A node as a person reads it: its organisation's name from its
 * certificate, and the short id ("Moskee Zuid (29acbae1f0)"). */
static void s_node_name(repo_t *r, const uint8_t key[32], char *out, size_t n)
{
    cli_node_name(r, key, out, n);
}

/* A list of node ids (editors, coordinators, nodes), by name. */
static void s_show_nodes(cli_t *c, repo_t *r, const pv_t *v)
{
    buf_t b = {0};
    for (size_t i = 0; v->type == PV_ARR && i < v->u.a.n; i++) {
        uint8_t key[32];
        char one[200];
        const pv_t *x = v->u.a.items[i];
        if (x->type == PV_STR && hex_decode(x->u.s.p, key, 32) == 0)
            s_node_name(r, key, one, sizeof one);
        else
            snprintf(one, sizeof one, "%s", x->type == PV_STR ? x->u.s.p : "?");
        buf_printf(&b, "%s%s", i ? ", " : "", one);
    }
    buf_t e = {0};
    text_escape(&e, buf_cstr(&b));
    fwrite(e.data, 1, e.len, c->out);
    buf_free(&e);
    buf_free(&b);
}

static int s_strcmp_p(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids (hex) that live bulletins replace, sorted for bsearch; *n gets
 * the count. One pass over the entities instead of one per listed row. */
static const char **s_replaced(repo_t *r, size_t *n)
{
    size_t total = repo_entity_count(r), k = 0;
    const char **v = xmalloc((total + 1) * sizeof *v);
    for (size_t i = 0; i < total; i++) {
        if (!(repo_entity_kinds(r, i) & (1u << REC_BULLETIN | 1u << REC_SEALED)))
            continue; /* the strings kept point into cached states: only bulletins' */
        const entity_t *o = repo_entity_at(r, i);
        const char *rep = o->kind == REC_BULLETIN ? pv_get_str(o->fields, "replaces") : NULL;
        if (rep && !entity_deleted(o))
            v[k++] = rep;
    }
    qsort(v, k, sizeof *v, s_strcmp_p);
    *n = k;
    return v;
}

/* e's row of t (bulletins are printed as blocks, s_list_bulletins),
 * appended to kept (table_keep); where it starts. */
static size_t s_table_row(table_t *t, buf_t *kept, repo_t *r, const entity_t *e, uint64_t now)
{
    size_t at = kept->len;
    char id[11], a[256], b[256], num[32];
    cli_short_id(e->entity, id);
    const pv_t *f = e->fields;
    switch (e->kind) {
    case REC_PLACE: {
        cli_join(pv_map_get(f, "kinds"), a, sizeof a);
        cli_join(pv_map_get(f, "langs"), b, sizeof b);
        const pv_t *cap = pv_map_get(f, "capacity");
        snprintf(num, sizeof num, "%s", "");
        if (cap && cap->type == PV_INT)
            snprintf(num, sizeof num, "%lld", (long long)cap->u.i);
        const char *note = pv_get_str(f, "status_note");
        char set[48] = "";
        int64_t age = query_status_age(e, now);
        if (age >= 0) {
            cli_age(age, set, sizeof set);
            if ((uint64_t)age > cli_stale_ms()) /* set once per command */
                strcat(set, " (stale)");
        }
        const char *row[] = {id, query_label(e), s_status(e, now), set, pv_get_str(f, "area"), a, b,
                             num, note ? note : ""};
        at = table_keep(t, row, kept);
        break;
    }
    case REC_NEED: {
        cli_join(pv_map_get(f, "langs"), b, sizeof b);
        snprintf(num, sizeof num, "%lld", (long long)pv_get_int(f, "people", 1));
        const char *row[] = {id, pv_get_str(f, "category"), pv_get_str(f, "urgency"),
                             s_status(e, now), pv_get_str(f, "area"), num, b,
                             pv_get_str(f, "summary")};
        at = table_keep(t, row, kept);
        break;
    }
    case REC_OFFER: {
        cli_join(pv_map_get(f, "categories"), a, sizeof a);
        cli_join(pv_map_get(f, "langs"), b, sizeof b);
        const pv_t *cap = pv_map_get(f, "capacity");
        snprintf(num, sizeof num, "%s", "");
        if (cap && cap->type == PV_INT)
            snprintf(num, sizeof num, "%lld", (long long)cap->u.i);
        const char *row[] = {id, s_ref_name(r, pv_get_str(f, "provider")), a,
                             pv_get_str(f, "area"), b, num};
        at = table_keep(t, row, kept);
        break;
    }
    case REC_COALITION: {
        size_t members = 0;
        for (size_t i = 0; i < f->u.m.n; i++)
            members += strncmp(f->u.m.keys[i], "member:", 7) == 0;
        snprintf(num, sizeof num, "%zu", members);
        const char *row[] = {id, query_label(e), pv_get_str(f, "area"), num, pv_get_str(f, "purpose")};
        at = table_keep(t, row, kept);
        break;
    }
    default: break;
    }
    return at;
}

/* True when e's langs hold lang. */
static bool s_has_lang(const entity_t *e, const char *lang)
{
    const pv_t *l = pv_map_get(e->fields, "langs");
    for (size_t i = 0; l && l->type == PV_ARR && i < l->u.a.n; i++)
        if (l->u.a.items[i]->type == PV_STR && strcmp(l->u.a.items[i]->u.s.p, lang) == 0)
            return true;
    return false;
}

/* Appends text wrapped at width terminal columns (text_width), each line
 * indented; terminal controls escaped, never cut inside a character. */
static void s_wrap(buf_t *out, const char *text, int width, const char *indent)
{
    buf_t esc = {0};
    text_escape(&esc, text);
    const char *p = buf_cstr(&esc);
    int avail = width - (int)text_width(indent);
    if (avail < 20)
        avail = 20;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        /* take characters while they fit; break at the last space */
        const char *end = p, *brk = NULL;
        int cols = 0;
        while (*end) {
            uint32_t cp;
            size_t n = utf8_decode(end, &cp);
            int w = n ? text_cp_width(cp) : 1;
            if (cols + w > avail)
                break;
            if (*end == ' ')
                brk = end;
            cols += w;
            end += n ? n : 1;
        }
        if (*end && *end != ' ' && brk)
            end = brk;
        buf_printf(out, "%s%.*s\n", indent, (int)(end - p), p);
        p = end;
    }
    buf_free(&esc);
}

/* One bulletin as a block: id, date, languages, area, title and source,
 * then its text wrapped. */
static void s_bulletin_block(cli_t *c, buf_t *b, const entity_t *e, bool replaced, const char *indent)
{
    char id[11], when[24], langs[128];
    cli_short_id(e->entity, id);
    cli_fmt_time(hlc_ms(e->created), when, sizeof when);
    cli_join(pv_map_get(e->fields, "langs"), langs, sizeof langs);
    const char *area = pv_get_str(e->fields, "area"), *src = pv_get_str(e->fields, "source");
    buf_t h = {0};
    buf_printf(&h, "%s%s  %s%s%s%s%s  ", indent, id, when, langs[0] ? "  [" : "", langs, langs[0] ? "]" : "",
               replaced ? "  (replaced)" : "");
    text_escape(&h, query_label(e));
    if (src) {
        buf_printf(&h, "  -- ");
        text_escape(&h, src);
    }
    if (area) {
        buf_printf(&h, "  (area ");
        text_escape(&h, area);
        buf_putc(&h, ')');
    }
    /* the heading line fits the terminal; the text below is wrapped */
    if (c->width > 0)
        text_fit(b, buf_cstr(&h), (size_t)c->width);
    else
        buf_append(b, h.data, h.len);
    buf_free(&h);
    buf_putc(b, '\n');
    const char *body = pv_get_str(e->fields, "body");
    char in2[32];
    snprintf(in2, sizeof in2, "%s    ", indent);
    if (body)
        s_wrap(b, body, c->width > 0 ? c->width : 80, in2);
}

/* Bulletins as blocks, each with its translations under it. */
static void s_list_bulletins(cli_t *c, repo_t *r, const entity_t **v, size_t n)
{
    size_t nrep = 0;
    const char **rep = s_replaced(r, &nrep);
    buf_t b = {0};
    for (size_t i = 0; i < n; i++) {
        const char *of = pv_get_str(v[i]->fields, "translation_of");
        bool listed = false;
        for (size_t j = 0; of && j < n && !listed; j++) {
            char hex[65];
            hex_encode(v[j]->entity, 32, hex);
            listed = j != i && strcmp(hex, of) == 0;
        }
        if (listed)
            continue; /* printed under the bulletin it translates */
        char hex[65];
        const char *key = hex;
        hex_encode(v[i]->entity, 32, hex);
        s_bulletin_block(c, &b, v[i], bsearch(&key, rep, nrep, sizeof *rep, s_strcmp_p) != NULL, "");
        for (size_t j = 0; j < n; j++) {
            const char *tof = pv_get_str(v[j]->fields, "translation_of");
            if (j != i && tof && strcmp(tof, hex) == 0) {
                char th[65];
                const char *tkey = th;
                hex_encode(v[j]->entity, 32, th);
                buf_printf(&b, "    translation:\n");
                s_bulletin_block(c, &b, v[j], bsearch(&tkey, rep, nrep, sizeof *rep, s_strcmp_p) != NULL,
                                 "    ");
            }
        }
    }
    fwrite(b.data, 1, b.len, c->out);
    buf_free(&b);
    free(rep);
}

static table_t *s_table_for(rec_kind_t k)
{
    static const char *const hp[] = {"ID", "NAME", "STATUS", "SET", "AREA", "KINDS", "LANGS", "CAP", "NOTE"};
    static const char *const hn[] = {"ID", "CATEGORY", "URGENCY", "STATUS", "AREA", "PEOPLE", "LANGS", "SUMMARY"};
    static const char *const ho[] = {"ID", "PROVIDER", "CATEGORIES", "AREA", "LANGS", "CAP"};
    static const char *const hc[] = {"ID", "NAME", "AREA", "MEMBERS", "PURPOSE"};
    switch (k) {
    case REC_PLACE: return table_new(9, hp);
    case REC_NEED: return table_new(8, hn);
    case REC_OFFER: return table_new(6, ho);
    default: return table_new(5, hc);
    }
}

/* Prints {"kind", "count", "items"}: the items of v, or those kept at
 * offsets at of kept (NUL-terminated). The bytes are those of the whole
 * document built first and printed with cli_print_json. */
/* The JSON of a listing: of the states v, or of the entities at the
 * positions at, each merged for the moment as it is written (r). */
static void s_list_json(cli_t *c, repo_t *r, int kind, const entity_t **v, const size_t *at,
                        size_t n, uint64_t now)
{
    buf_t b = {0};
    buf_printf(&b, "{\"kind\":\"%s\",\"count\":%zu,\"items\":[", rec_kind_name(kind), n);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(&b, ',');
        cli_entity_json(v ? v[i] : repo_entity_peek(r, at[i]), now, &b);
        if (b.len >= 65536) {
            fwrite(b.data, 1, b.len, c->out);
            buf_reset(&b);
        }
    }
    buf_append(&b, "]}", 2);
    cli_print_json(c, &b);
    buf_free(&b);
}

/* How cmd_list renders each row once, as query_list_rows merges it. */
typedef struct {
    repo_t *r;
    const char *lang; /* --lang, or NULL */
    bool json;
    table_t *t;       /* the table rows are kept for (not json) */
    buf_t kept;       /* the rendered rows, NUL-terminated */
    uint64_t now;
} s_render_t;

/* A table row is rendered here and kept (the table's widths need every
 * row before the first is printed); a JSON row keeps only its position
 * (the preset ref) and is merged again when it is written, so a listing's
 * JSON is never held whole. */
static bool s_render(void *ctx, const entity_t *e, size_t *ref)
{
    s_render_t *x = ctx;
    if (x->lang && !s_has_lang(e, x->lang))
        return false;
    if (!x->json)
        *ref = s_table_row(x->t, &x->kept, x->r, e, x->now);
    return true;
}

int cmd_list(cli_t *c, int argc, char **argv)
{
    vopts_t o;
    int rc = s_vparse(c, argc, argv, "acsAL", &o);
    if (rc)
        return rc;
    if (o.help) {
        fprintf(c->out, "usage: buurt list places|needs|offers|coalitions|bulletins [options]\n\n"
               "options:\n"
               "  --area AREA       only records in this area\n"
               "  --category CAT    needs of this category, offers covering it, places of this kind\n"
               "  --status STATUS   places by status (open, limited, ...), needs by status\n"
               "                    (open, claimed, done, cancelled, expired)\n"
               "  --lang LL         records in this language (ISO 639-1 code)\n"
               "  --all             include deleted records\n"
               "  --json            print {\"kind\", \"count\", \"items\": [record...]}\n\n"
               "Bulletins are printed with their text, each with its translations\n"
               "(bulletin add --translation-of ID) under it.\n");
        return EXIT_OK;
    }
    if (o.npos != 1)
        return cli_usage(c, "say what to list: places, needs, offers, coalitions or bulletins");
    int kind = rec_kind_parse(o.pos[0]);
    if (kind == REC_MEMBER)
        return cli_usage(c, "members are listed with: buurt member list");
    if (kind < 0)
        return cli_usage(c, "cannot list '%s'; use places, needs, offers, coalitions or bulletins",
                         o.pos[0]);
    if (o.status) {
        const char *const *ok = kind == REC_PLACE ? REC_PLACE_STATUS
                                : kind == REC_NEED ? REC_NEED_STATUS
                                                   : NULL;
        if (!ok)
            return cli_usage(c, "--status applies to places and needs only");
        pv_t *l = cli_list(o.status);
        int bad = cli_check_tokens(c, "--status", l, ok);
        pv_free(&l);
        if (bad)
            return bad;
    }
    if (o.category) {
        /* a filter is checked like a value: a typo is not "no needs match" */
        const char *const *ok = kind == REC_PLACE                      ? REC_PLACE_KINDS
                                : kind == REC_NEED || kind == REC_OFFER ? REC_CATEGORIES
                                                                        : NULL;
        if (!ok)
            return cli_usage(c, "--category applies to places, needs and offers only");
        pv_t *l = cli_list(o.category);
        if (l->u.a.n != 1) {
            pv_free(&l);
            return cli_usage(c, "--category takes one value");
        }
        int bad = cli_check_tokens(c, "--category", l, ok);
        pv_free(&l);
        if (bad)
            return bad;
    }
    if (o.lang && !rec_lang_ok(o.lang))
        return cli_usage(c, "--lang takes an ISO 639-1 code such as nl, ar, ti, not '%s'", o.lang);
    if (o.lang && kind == REC_COALITION)
        return cli_usage(c, "--lang applies to places, needs, offers and bulletins");
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    cli_set_stale(query_stale_ms(r));
    uint64_t now = cli_now(c);
    /* a bulletin that names no area concerns every area */
    bool mesh_wide = kind == REC_BULLETIN && o.area;
    query_t q = {(rec_kind_t)kind, mesh_wide ? NULL : o.area, o.category, o.status, o.all, now};
    if (kind == REC_BULLETIN) { /* few, printed with what they replace */
        const entity_t **v = NULL;
        size_t n = query_list(r, &q, &v);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const char *ba = pv_get_str(v[i]->fields, "area");
            if ((!o.lang || s_has_lang(v[i], o.lang)) && (!mesh_wide || !ba || strcasecmp(ba, o.area) == 0))
                v[k++] = v[i];
        }
        n = k;
        if (c->json)
            s_list_json(c, r, kind, v, NULL, n, now);
        else if (n == 0)
            fprintf(c->out, "no bulletins%s\n", (o.area || o.category || o.status || o.lang) ? " match" : " yet");
        else
            s_list_bulletins(c, r, v, n);
        free(v);
        return EXIT_OK;
    }
    /* The rest: each row is merged for the moment; a table's rows are
     * rendered then and printed in order from what was kept (its text,
     * about the size of the output), JSON rows are merged again as they
     * are written in order (s_render), holding none of it. */
    s_render_t x = {r, o.lang, c->json, c->json ? NULL : s_table_for(kind), {0}, now};
    size_t *at = NULL;
    size_t n = query_list_rows(r, &q, s_render, &x, &at);
    if (c->json) {
        s_list_json(c, r, kind, NULL, at, n, now);
    } else if (n == 0) {
        fprintf(c->out, "no %ss%s\n", rec_kind_name(kind),
                (o.area || o.category || o.status || o.lang) ? " match" : " yet");
    } else {
        table_start(c, x.t);
        for (size_t i = 0; i < n; i++)
            table_emit(c, x.t, (const char *)x.kept.data + at[i]);
    }
    table_free(&x.t);
    buf_free(&x.kept);
    free(at);
    return EXIT_OK;
}

/* Prints one value for `show`. */
static void s_show_value(cli_t *c, const pv_t *v)
{
    buf_t b = {0};
    /* text from other members: no terminal controls */
    if (v->type == PV_STR) {
        text_escape_lines(&b, v->u.s.p);
        fwrite(b.data, 1, b.len, c->out);
    } else if (v->type == PV_ARR) {
        char s[512];
        cli_join(v, s, sizeof s);
        text_escape(&b, s);
        fwrite(b.data, 1, b.len, c->out);
    } else {
        pv_to_json(v, &b);
        fwrite(b.data, 1, b.len, c->out);
    }
    buf_free(&b);
}

int cmd_show(cli_t *c, int argc, char **argv)
{
    vopts_t o;
    int rc = s_vparse(c, argc, argv, "H", &o);
    if (rc)
        return rc;
    if (o.help) {
        fprintf(c->out, "usage: buurt show ID [--history] [--json]\n\n"
               "Shows one record's current state. --history also lists every edit in\n"
               "merge order (clock, author): concurrent edits of a field are all shown,\n"
               "and values later overwritten are marked (superseded).\n");
        return EXIT_OK;
    }
    if (o.npos != 1)
        return cli_usage(c, "give exactly one id");
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    cli_set_stale(query_stale_ms(r));
    uint8_t id[32];
    char *cause = NULL;
    if ((rc = repo_resolve(r, o.pos[0], -1, id, &cause)) < 0)
        return cli_fail(c, rc, cause);
    const entity_t *e = repo_entity(r, id);
    edit_t **h = NULL;
    uint8_t *verdict = NULL;
    size_t nh = o.history ? repo_history_verdicts(r, id, &h, &verdict) : 0;
    uint64_t now = cli_now(c);
    if (c->json) {
        buf_t b = {0};
        cli_entity_json(e, cli_now(c), &b);
        if (o.history) {
            b.len--; /* reopen the object */
            buf_append(&b, ",\"history\":[", 12);
            for (size_t i = 0; i < nh; i++) {
                char hex[65];
                if (i)
                    buf_putc(&b, ',');
                hex_encode(h[i]->id, 32, hex);
                buf_printf(&b, "{\"edit\":\"%s\",", hex);
                hex_encode(h[i]->author, 32, hex);
                buf_printf(&b, "\"author\":\"%s\",\"hlc\":%llu,\"time_ms\":%llu,\"effect\":\"%s\",\"fields\":",
                           hex, (unsigned long long)h[i]->hlc, (unsigned long long)hlc_ms(h[i]->hlc),
                           verdict[i] == MERGE_DENIED       ? "denied"
                           : verdict[i] == MERGE_WRONG_KIND ? "ignored"
                                                            : "applied");
                pv_to_json(h[i]->fields, &b);
                buf_putc(&b, '}');
            }
            buf_append(&b, "]}", 2);
        }
        cli_print_json(c, &b);
        buf_free(&b);
    } else {
        char hex[65], t[32];
        hex_encode(e->entity, 32, hex);
        fprintf(c->out, "%-12s %s\n%-12s %s%s\n", "id", hex, "kind", rec_kind_name(e->kind),
               entity_deleted(e) ? " (deleted)" : "");
        if (e->kind == REC_NEED && strcmp(need_status_now(e, now), pv_get_str(e->fields, "status")
                                                                       ? pv_get_str(e->fields, "status")
                                                                       : "open") != 0)
            fprintf(c->out, "%-12s %s (past its expiry)\n", "status now", need_status_now(e, now));
        const pv_t *f = e->fields;
        for (size_t i = 0; i < f->u.m.n; i++) {
            const char *k = f->u.m.keys[i];
            if (strncmp(k, "member:", 7) == 0) {
                fprintf(c->out, "%-12s %s (%s) role %s", "member", s_ref_name(r, k + 7), k + 7,
                       pv_get_str(f->u.m.vals[i], "role"));
                const pv_t *reach = pv_map_get(f->u.m.vals[i], "reaches");
                if (reach) {
                    fprintf(c->out, ", reaches ");
                    s_show_value(c, reach);
                }
                fputc('\n', c->out);
                continue;
            }
            fprintf(c->out, "%-12s ", k);
            const field_spec_t *fs = rec_field(e->kind, k);
            if (fs && fs->type == FT_INT && fs->max > 1000000000LL) {
                cli_fmt_time((uint64_t)f->u.m.vals[i]->u.i, t, sizeof t);
                fprintf(c->out, "%s UTC", t);
                int64_t age = strcmp(k, "status_at") ? -1 : query_status_age(e, cli_now(c));
                if (age >= 0) {
                    char ago[48];
                    cli_age(age, ago, sizeof ago);
                    fprintf(c->out, " (%s%s)", ago, (uint64_t)age > cli_stale_ms() ? ", stale" : "");
                }
            } else if (fs && fs->type == FT_ID && strcmp(k, "coalition") && strcmp(k, "replaces") &&
                       strcmp(k, "provider") && strcmp(k, "claimed_by")) {
                s_show_value(c, f->u.m.vals[i]);
            } else if (fs && fs->type == FT_ID) {
                buf_t nb = {0};
                text_escape(&nb, s_ref_name(r, f->u.m.vals[i]->u.s.p));
                fprintf(c->out, "%s (%.10s)", buf_cstr(&nb), f->u.m.vals[i]->u.s.p);
                buf_free(&nb);
            } else if (fs && fs->type == FT_IDS && (!strcmp(k, "editors") || !strcmp(k, "coordinators") ||
                                                     !strcmp(k, "nodes"))) {
                s_show_nodes(c, r, f->u.m.vals[i]);
            } else {
                s_show_value(c, f->u.m.vals[i]);
            }
            fputc('\n', c->out);
        }
        cli_fmt_time(hlc_ms(e->created), t, sizeof t);
        char who[200];
        buf_t wb = {0};
        s_node_name(r, e->creator, who, sizeof who);
        text_escape(&wb, who);
        fprintf(c->out, "%-12s %s UTC by %s\n", "created", t, buf_cstr(&wb));
        buf_free(&wb);
        cli_fmt_time(hlc_ms(e->updated), t, sizeof t);
        fprintf(c->out, "%-12s %s UTC (%zu edit%s)\n", "updated", t, e->edits, e->edits == 1 ? "" : "s");
        if (o.history) {
            fprintf(c->out, "\nhistory (merge order; later wins per field):\n");
            for (size_t i = 0; i < nh; i++) {
                char ah[200];
                buf_t ab = {0};
                s_node_name(r, h[i]->author, ah, sizeof ah);
                text_escape(&ab, ah);
                cli_fmt_time(hlc_ms(h[i]->hlc), t, sizeof t);
                fprintf(c->out, "  %s  by %s  edit %.10s%s\n", t, buf_cstr(&ab), (hex_encode(h[i]->id, 32, hex), hex),
                       verdict[i] == MERGE_DENIED       ? "  DENIED: its author was not allowed to make it"
                       : verdict[i] == MERGE_WRONG_KIND ? "  IGNORED: another kind"
                                                        : "");
                buf_free(&ab);
                const pv_t *hf = h[i]->fields;
                for (size_t k = 0; k < hf->u.m.n; k++) {
                    bool later = false;
                    for (size_t j = i + 1; j < nh && !later; j++)
                        later = verdict[j] == MERGE_APPLIED &&
                                pv_map_get(h[j]->fields, hf->u.m.keys[k]) != NULL;
                    fprintf(c->out, "      %s = ", hf->u.m.keys[k]);
                    buf_t b = {0};
                    pv_to_json(hf->u.m.vals[k], &b);
                    fwrite(b.data, 1, b.len, c->out);
                    buf_free(&b);
                    fprintf(c->out, "%s\n", later ? "  (superseded)" : "");
                }
            }
        }
    }
    for (size_t i = 0; i < nh; i++)
        edit_free(&h[i]);
    free(h);
    free(verdict);
    return EXIT_OK;
}

/* First string field of v (recursively) containing needle; its key. */
static const char *s_find_text(const pv_t *v, const char *needle, const char *key)
{
    if (v->type == PV_STR)
        return strcasestr(v->u.s.p, needle) ? key : NULL;
    if (v->type == PV_ARR) {
        for (size_t i = 0; i < v->u.a.n; i++)
            if (s_find_text(v->u.a.items[i], needle, key))
                return key;
    }
    if (v->type == PV_MAP) {
        for (size_t i = 0; i < v->u.m.n; i++) {
            const char *k = strncmp(v->u.m.keys[i], "member:", 7) == 0 ? "member" : v->u.m.keys[i];
            const char *hit = s_find_text(v->u.m.vals[i], needle, key ? key : k);
            if (hit)
                return hit;
        }
    }
    return NULL;
}

int cmd_search(cli_t *c, int argc, char **argv)
{
    vopts_t o;
    int rc = s_vparse(c, argc, argv, "A", &o);
    if (rc)
        return rc;
    if (o.help) {
        fprintf(c->out, "usage: buurt search TEXT [--json]\n\n"
               "Finds records with TEXT (case-insensitive) in any text field.\n"
               "Deleted records are never searched (--all is accepted and changes nothing).\n"
               "--json prints {\"query\", \"count\", \"items\": [record with \"matched\"...]}.\n");
        return EXIT_OK;
    }
    if (o.npos != 1 || o.pos[0][0] == '\0')
        return cli_usage(c, "give one search text (quote it if it has spaces)");
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    cli_set_stale(query_stale_ms(r));
    static const char *const hdr[] = {"ID", "KIND", "NAME", "MATCHED"};
    table_t *t = table_new(4, hdr);
    buf_t b = {0};
    size_t n = 0, total = repo_entity_count(r);
    buf_append(&b, "{\"query\":", 9);
    json_str(&b, o.pos[0], strlen(o.pos[0]));
    buf_append(&b, ",\"items\":[", 10);
    for (size_t i = 0; i < total; i++) {
        const entity_t *e = repo_entity_peek(r, i); /* used in this pass only */
        /* a deleted record's text is not findable, --all or not (issue 11) */
        if (entity_deleted(e))
            continue;
        const char *field = s_find_text(e->fields, o.pos[0], NULL);
        if (!field)
            continue;
        if (n++)
            buf_putc(&b, ',');
        cli_entity_json(e, cli_now(c), &b);
        b.len--;
        buf_append(&b, ",\"matched\":", 11);
        json_str(&b, field, strlen(field));
        buf_putc(&b, '}');
        char id[11];
        cli_short_id(e->entity, id);
        const char *label = e->kind == REC_OFFER ? s_ref_name(r, pv_get_str(e->fields, "provider"))
                                                 : query_label(e);
        const char *row[] = {id, rec_kind_name(e->kind), label, field};
        table_row(t, row);
    }
    buf_printf(&b, "],\"count\":%zu}", n);
    if (c->json)
        cli_print_json(c, &b);
    else if (n == 0)
        fprintf(c->out, "nothing matches '%s'\n", o.pos[0]);
    else
        table_print(c, t);
    buf_free(&b);
    table_free(&t);
    return EXIT_OK;
}

/* cli_label of a match's place, else of the match; match_need has read
 * its name already (cli_label prefers "name"). */
static const char *s_match_name(const match_t *m)
{
    return m->name ? m->name : query_label(m->place ? m->place : m->who);
}

#define WHO_LIMIT 20 /* matches shown unless --limit or --all */

int cmd_who(cli_t *c, int argc, char **argv)
{
    vopts_t o;
    int rc = s_vparse(c, argc, argv, "Al", &o);
    if (rc)
        return rc;
    if (o.help) {
        fprintf(c->out, "usage: buurt who-can-help NEED-ID [--limit N | --all] [--json]\n\n"
               "Ranks offers and places that fit a need by category, area, languages,\n"
               "the groups they reach, capacity now and their place's status. Closed or\n"
               "overloaded providers, offers with no capacity or past their date come\n"
               "last. Each line says why it matched. Shows the best %d unless --limit\n"
               "N or --all says otherwise; --json gives \"count\" (all matches) and\n"
               "\"shown\".\n", WHO_LIMIT);
        return EXIT_OK;
    }
    if (o.all && o.limit)
        return cli_usage(c, "give --limit or --all, not both");
    if (o.npos != 1)
        return cli_usage(c, "give one need id");
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    cli_set_stale(query_stale_ms(r));
    uint8_t id[32];
    char *cause = NULL;
    long at;
    /* A full id is looked up directly; repo_resolve compares a prefix
     * with every entity id. */
    bool full = hex_decode(o.pos[0], id, 32) == 0 && (at = repo_entity_index(r, id)) >= 0 &&
                repo_entity_kind(r, (size_t)at) == REC_NEED;
    if (!full && (rc = repo_resolve(r, o.pos[0], REC_NEED, id, &cause)) < 0)
        return cli_fail(c, rc, cause);
    const entity_t *need = repo_entity(r, id);
    match_t *m = NULL;
    size_t total, n = o.all ? 0 : (size_t)(o.limit ? o.limit : WHO_LIMIT);
    if (o.all)
        n = total = match_need(r, need, cli_now(c), &m);
    else
        match_need_top(r, need, cli_now(c), n, &m, &total); /* the first n exactly */
    if (n > total)
        n = total;
    need = repo_entity(r, id);
    if (c->json) {
        buf_t b = {0};
        char hex[65];
        hex_encode(id, 32, hex);
        buf_printf(&b, "{\"need\":\"%s\",\"count\":%zu,\"shown\":%zu,\"matches\":[", hex,
                   total, n);
        for (size_t i = 0; i < n; i++) {
            if (i)
                buf_putc(&b, ',');
            hex_encode(m[i].who->entity, 32, hex);
            buf_printf(&b, "{\"rank\":%zu,\"id\":\"%s\",\"kind\":\"%s\",\"name\":", i + 1, hex,
                       rec_kind_name(m[i].who->kind));
            const char *name = s_match_name(&m[i]);
            if (m[i].who->kind == REC_OFFER && !m[i].place) {
                const char *prov = pv_get_str(m[i].who->fields, "provider");
                name = s_ref_name(r, prov);
            }
            json_str(&b, name, strlen(name));
            buf_printf(&b, ",\"score\":%d,\"last\":%s,\"why\":[", m[i].score,
                       m[i].last ? "true" : "false");
            const char *w = m[i].why;
            int first = 1;
            while (*w) {
                const char *e = strstr(w, "; ");
                size_t len = e ? (size_t)(e - w) : strlen(w);
                if (!first)
                    buf_putc(&b, ',');
                first = 0;
                json_str(&b, w, len);
                w += len + (e ? 2 : 0);
            }
            buf_append(&b, "]}", 2);
        }
        buf_append(&b, "]}", 2);
        cli_print_json(c, &b);
        buf_free(&b);
    } else {
        fprintf(c->out, "need %.10s: %s (%s, %s)\n", o.pos[0], pv_get_str(need->fields, "summary"),
               pv_get_str(need->fields, "category"), need_status_now(need, cli_now(c)));
        if (n == 0) {
            fprintf(c->out, "no offers or places fit this need yet\n");
        } else {
            static const char *const hdr[] = {"#", "ID", "KIND", "WHO", "SCORE", "WHY"};
            table_t *t = table_new(6, hdr);
            for (size_t i = 0; i < n; i++) {
                char rank[24], id10[11], score[24];
                snprintf(rank, sizeof rank, "%zu", i + 1);
                cli_short_id(m[i].who->entity, id10);
                snprintf(score, sizeof score, "%s%d", m[i].last ? "last " : "", m[i].score);
                const char *name = s_match_name(&m[i]);
                if (m[i].who->kind == REC_OFFER && !m[i].place)
                    name = s_ref_name(r, pv_get_str(m[i].who->fields, "provider"));
                const char *row[] = {rank, id10, rec_kind_name(m[i].who->kind), name, score, m[i].why};
                table_row(t, row);
            }
            table_print(c, t);
            table_free(&t);
            if (n < total)
                fprintf(c->out, "... and %zu more (--limit N or --all shows them)\n", total - n);
        }
    }
    free(m);
    return EXIT_OK;
}
