/*
 * cmd_overview.c -- `buurt overview [--area A]`: one screen for a
 * coordinator. Counts only, never a record about a person: places by
 * status (stale ones counted apart), open needs by category and urgency
 * with the age of the oldest, offers and their capacity against the needs
 * of each category, languages open needs ask for that no live offer
 * speaks, and the latest bulletins.
 */
#include "cli/cli.h"
#include "node/query.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OVERVIEW_BULLETINS 5
#define OVERVIEW_LANGS 64

enum { NCAT = 11, NURG = 4, NPST = 5 };

typedef struct {
    size_t open, claimed, urg[NURG], people;
    uint64_t oldest; /* created hlc-ms of the oldest open need, 0 none */
    size_t offers, capacity;
} cat_t;

static int s_index(const char *const *tokens, const char *s)
{
    for (int i = 0; s && tokens[i]; i++)
        if (strcmp(tokens[i], s) == 0)
            return i;
    return -1;
}

typedef struct {
    char code[4];
    size_t needs;
    bool spoken;
} lang_t;

static lang_t *s_lang(lang_t *v, size_t *n, const char *code)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(v[i].code, code) == 0)
            return &v[i];
    if (*n == OVERVIEW_LANGS)
        return NULL;
    lang_t *l = &v[(*n)++];
    memset(l, 0, sizeof *l);
    snprintf(l->code, sizeof l->code, "%s", code);
    return l;
}

static size_t s_list(repo_t *r, rec_kind_t k, const char *area, uint64_t now, const entity_t ***out)
{
    query_t q = {k, area, NULL, NULL, false, now};
    return query_list(r, &q, out);
}

int cmd_overview(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"area", required_argument, NULL, 'a'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *area = NULL;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (ch) {
        case 'a': area = optarg; break;
        case 'j': c->json = true; break;
        case 'h':
            fprintf(c->out,
                    "usage: buurt overview [--area AREA] [--json]\n\n"
                    "One screen for a coordinator, counts only: places by status (stale\n"
                    "ones apart), open needs by category and urgency with the oldest, offers\n"
                    "and capacity against needs per category, languages needs ask for that\n"
                    "no offer speaks, and the latest bulletins.\n");
            return EXIT_OK;
        default: return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage(c, "unexpected argument '%s'", argv[optind]);
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    uint64_t now = cli_now(c), stale_ms = query_stale_ms(r);

    size_t pst[NPST] = {0}, nostatus = 0, stale = 0, places = 0;
    const entity_t **v = NULL;
    size_t n = s_list(r, REC_PLACE, area, now, &v);
    for (size_t i = 0; i < n; i++) {
        places++;
        int s = s_index(REC_PLACE_STATUS, pv_get_str(v[i]->fields, "status"));
        if (s < 0) {
            nostatus++;
            continue;
        }
        pst[s]++;
        int64_t age = query_status_age(v[i], now);
        stale += age >= 0 && (uint64_t)age > stale_ms;
    }
    free(v);

    cat_t cat[NCAT];
    memset(cat, 0, sizeof cat);
    lang_t langs[OVERVIEW_LANGS];
    size_t nlangs = 0, open_total = 0;
    n = s_list(r, REC_NEED, area, now, &v);
    for (size_t i = 0; i < n; i++) {
        const entity_t *e = v[i];
        int k = s_index(REC_CATEGORIES, pv_get_str(e->fields, "category"));
        const char *st = query_status(e, now);
        if (k < 0)
            continue;
        if (strcmp(st, "claimed") == 0)
            cat[k].claimed++;
        if (strcmp(st, "open") != 0)
            continue;
        open_total++;
        cat[k].open++;
        int u = s_index(REC_URGENCY, pv_get_str(e->fields, "urgency"));
        cat[k].urg[u < 0 ? 1 : u]++;
        cat[k].people += (size_t)pv_get_int(e->fields, "people", 0);
        uint64_t born = hlc_ms(e->created);
        if (!cat[k].oldest || born < cat[k].oldest)
            cat[k].oldest = born;
        const pv_t *ls = pv_map_get(e->fields, "langs");
        for (size_t j = 0; ls && ls->type == PV_ARR && j < ls->u.a.n; j++) {
            lang_t *l = ls->u.a.items[j]->type == PV_STR ? s_lang(langs, &nlangs, ls->u.a.items[j]->u.s.p) : NULL;
            if (l)
                l->needs++;
        }
    }
    free(v);
    n = s_list(r, REC_OFFER, area, now, &v);
    for (size_t i = 0; i < n; i++) {
        const entity_t *e = v[i];
        int64_t until = pv_get_int(e->fields, "until", 0);
        if (until > 0 && (uint64_t)until < now)
            continue; /* no longer offered */
        const pv_t *cs = pv_map_get(e->fields, "categories");
        for (size_t j = 0; cs && cs->type == PV_ARR && j < cs->u.a.n; j++) {
            int k = cs->u.a.items[j]->type == PV_STR ? s_index(REC_CATEGORIES, cs->u.a.items[j]->u.s.p) : -1;
            if (k < 0)
                continue;
            cat[k].offers++;
            cat[k].capacity += (size_t)pv_get_int(e->fields, "capacity", 0);
        }
        const pv_t *ls = pv_map_get(e->fields, "langs");
        for (size_t j = 0; ls && ls->type == PV_ARR && j < ls->u.a.n; j++)
            for (size_t x = 0; x < nlangs; x++)
                if (ls->u.a.items[j]->type == PV_STR && strcmp(langs[x].code, ls->u.a.items[j]->u.s.p) == 0)
                    langs[x].spoken = true;
    }
    free(v);
    /* bulletins are mesh-wide unless they name an area */
    n = s_list(r, REC_BULLETIN, NULL, now, &v);
    const entity_t *bul[OVERVIEW_BULLETINS];
    size_t nb = 0;
    for (size_t i = 0; i < n && nb < OVERVIEW_BULLETINS; i++) {
        const char *ba = pv_get_str(v[i]->fields, "area");
        if (area && ba && strcasecmp(ba, area) != 0)
            continue;
        bul[nb++] = v[i];
    }

    buf_t b = {0};
    if (c->json) {
        buf_printf(&b, "{\"area\":");
        if (area)
            json_str(&b, area, strlen(area));
        else
            buf_printf(&b, "null");
        buf_printf(&b, ",\"as_of_ms\":%llu,\"places\":{\"total\":%zu,\"by_status\":{",
                   (unsigned long long)now, places);
        for (int s = 0; s < NPST; s++)
            buf_printf(&b, "%s\"%s\":%zu", s ? "," : "", REC_PLACE_STATUS[s], pst[s]);
        buf_printf(&b, "},\"no_status\":%zu,\"stale\":%zu,\"stale_hours\":%llu},", nostatus, stale,
                   (unsigned long long)(stale_ms / 3600000));
        buf_printf(&b, "\"needs\":{\"open\":%zu,\"by_category\":[", open_total);
        bool first = true;
        for (int k = 0; k < NCAT; k++) {
            if (!cat[k].open && !cat[k].claimed && !cat[k].offers)
                continue;
            buf_printf(&b, "%s{\"category\":\"%s\",\"open\":%zu,\"claimed\":%zu,\"by_urgency\":{", first ? "" : ",",
                       REC_CATEGORIES[k], cat[k].open, cat[k].claimed);
            first = false;
            for (int u = 0; u < NURG; u++)
                buf_printf(&b, "%s\"%s\":%zu", u ? "," : "", REC_URGENCY[u], cat[k].urg[u]);
            buf_printf(&b, "},\"people\":%zu,\"oldest_ms\":%llu,\"offers\":%zu,\"capacity\":%zu}", cat[k].people,
                       (unsigned long long)cat[k].oldest, cat[k].offers, cat[k].capacity);
        }
        buf_printf(&b, "]},\"languages_unserved\":[");
        first = true;
        for (size_t x = 0; x < nlangs; x++)
            if (!langs[x].spoken) {
                buf_printf(&b, "%s{\"lang\":\"%s\",\"needs\":%zu}", first ? "" : ",", langs[x].code,
                           langs[x].needs);
                first = false;
            }
        buf_printf(&b, "],\"bulletins\":[");
        for (size_t i = 0; i < nb; i++) {
            char id[65];
            hex_encode(bul[i]->entity, 32, id);
            const char *t = pv_get_str(bul[i]->fields, "title");
            buf_printf(&b, "%s{\"id\":\"%s\",\"title\":", i ? "," : "", id);
            json_str(&b, t ? t : "", t ? strlen(t) : 0);
            buf_printf(&b, ",\"created_ms\":%llu}", (unsigned long long)hlc_ms(bul[i]->created));
        }
        buf_printf(&b, "]}");
        cli_print_json(c, &b);
        buf_free(&b);
        free(v);
        return EXIT_OK;
    }
    char when[24];
    cli_fmt_time(now, when, sizeof when);
    fprintf(c->out, "overview of %s%s, as of %s UTC\n\n", area ? "area " : "all areas", area ? area : "", when);
    fprintf(c->out, "places: %zu", places);
    for (int s = 0; s < NPST; s++)
        if (pst[s])
            fprintf(c->out, ", %s %zu", REC_PLACE_STATUS[s], pst[s]);
    if (nostatus)
        fprintf(c->out, ", no status %zu", nostatus);
    fprintf(c->out, "\n");
    if (stale)
        fprintf(c->out, "  stale: %zu place%s set %s status more than %llu h ago\n", stale, stale == 1 ? "" : "s",
                stale == 1 ? "its" : "their", (unsigned long long)(stale_ms / 3600000));
    fprintf(c->out, "\nopen needs: %zu\n", open_total);
    static const char *const hdr[] = {"CATEGORY", "OPEN", "CRIT", "HIGH", "NORMAL", "LOW", "PEOPLE",
                                      "OLDEST", "CLAIMED", "OFFERS", "CAPACITY"};
    table_t *t = table_new(11, hdr);
    size_t rows = 0;
    for (int k = 0; k < NCAT; k++) {
        if (!cat[k].open && !cat[k].claimed && !cat[k].offers)
            continue;
        char num[10][24], age[32] = "-";
        size_t vals[] = {cat[k].open, cat[k].urg[3], cat[k].urg[2], cat[k].urg[1], cat[k].urg[0], cat[k].people};
        for (int j = 0; j < 6; j++)
            snprintf(num[j], sizeof num[j], "%zu", vals[j]);
        if (cat[k].oldest)
            cli_age((int64_t)(now > cat[k].oldest ? now - cat[k].oldest : 0), age, sizeof age);
        snprintf(num[6], sizeof num[6], "%zu", cat[k].claimed);
        snprintf(num[7], sizeof num[7], "%zu", cat[k].offers);
        snprintf(num[8], sizeof num[8], "%zu", cat[k].capacity);
        const char *row[] = {REC_CATEGORIES[k], num[0], num[1], num[2], num[3], num[4], num[5], age,
                             num[6], num[7], num[8]};
        table_row(t, row);
        rows++;
    }
    if (rows)
        table_print(c, t);
    table_free(&t);
    bool any = false;
    for (size_t x = 0; x < nlangs; x++)
        if (!langs[x].spoken) {
            fprintf(c->out, "%s%s (%zu need%s)", any ? ", " : "\nno open offer speaks: ", langs[x].code,
                    langs[x].needs, langs[x].needs == 1 ? "" : "s");
            any = true;
        }
    if (any)
        fputc('\n', c->out);
    if (nb) {
        fprintf(c->out, "\nlatest bulletins:\n");
        for (size_t i = 0; i < nb; i++) {
            char ago[32];
            cli_age((int64_t)(now > hlc_ms(bul[i]->created) ? now - hlc_ms(bul[i]->created) : 0), ago, sizeof ago);
            buf_t e = {0};
            const char *title = pv_get_str(bul[i]->fields, "title");
            text_escape(&e, title ? title : "");
            fprintf(c->out, "  %s (%s)\n", buf_cstr(&e), ago);
            buf_free(&e);
        }
    }
    free(v);
    return EXIT_OK;
}
