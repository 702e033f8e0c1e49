/*
 * board.c -- the board's pages and the printed sheet as HTML (see board.h).
 *
 * Every page is built the same way: gather the visible records of the
 * kind asked for through query_list (the facts table rules most entities
 * out without merging them), sort them for reading, then write the items
 * one by one, each first into a scratch buffer, and stop at the first item
 * that would take the page past its budget: the page then ends with a
 * "next page" link to ?from=<that item>. Nothing here keeps state between
 * calls; the cache is node/http.c's.
 */
#include "node/board.h"
#include "node/match.h"
#include "node/query.h"
#include "proto/util.h"

#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The size bound of a page: what comes before the items (head, CSS, nav,
 * a count table, an area index of at most S_INDEX_MAX bytes) stays below
 * 10 KB; the largest single item, a bulletin with title, body and source
 * at their schema limits and every byte escaped to 6, below 15 KB; the
 * first item always goes in, later ones only while the page with
 * S_TAIL_MAX (closing tags, the next-page link, the footer) stays within
 * BOARD_PAGE_MAX. */
#define S_INDEX_MAX 3500
#define S_TAIL_MAX 1200

static const char S_CSS[] =
    "body{font:17px/1.45 sans-serif;margin:0 auto;max-width:46rem;padding:.4rem .7rem;"
    "color:#111;background:#fff}"
    "h1{font-size:1.5rem;margin:.3rem 0}h2{font-size:1.25rem;margin:1.2rem 0 .4rem;"
    "border-bottom:2px solid #111}h3{font-size:1.05rem;margin:.8rem 0 .2rem}"
    "a{color:#0645ad}nav a,.langs a{display:inline-block;padding:.35rem .5rem;margin:.1rem;"
    "border:1px solid #555;border-radius:.3rem;text-decoration:none}"
    "nav a[aria-current],.langs a[aria-current]{background:#111;color:#fff}"
    "ul{list-style:none;padding:0;margin:0}li{border-bottom:1px solid #bbb;padding:.5rem 0}"
    ".st{font-weight:bold;white-space:nowrap;padding:0 .25rem;border:2px solid #111;border-radius:.3rem}"
    ".st-closed,.st-overloaded{border-style:double;border-width:3px}"
    ".stale{font-weight:bold;text-decoration:underline}"
    ".m{color:#333}.asof{font-weight:bold}.n{font-size:.95rem}"
    "table{border-collapse:collapse}td,th{padding:.2rem .5rem;text-align:start;border-bottom:1px solid #bbb}"
    "footer{margin:1.5rem 0;font-size:.95rem}.qr svg{width:10rem;height:10rem}";

static const char S_SHEET_CSS[] =
    "@page{size:A4;margin:10mm}"
    "body{font:11.5pt/1.18 sans-serif;color:#000;background:#fff;margin:0}"
    "section{break-after:page;page-break-after:always}section:last-child{break-after:auto;"
    "page-break-after:auto}"
    ".sh{display:flex;justify-content:space-between;gap:1rem;border-bottom:3px solid #000}"
    "h1{font-size:19pt;margin:0 0 .2rem}h2{font-size:13.5pt;margin:.4rem 0 .15rem;"
    "border-bottom:1px solid #000}"
    "table{border-collapse:collapse;width:100%}td{vertical-align:top;padding:.1rem .3rem;"
    "border-bottom:1px solid #777;break-inside:avoid}td.s{white-space:nowrap;font-weight:bold;font-size:12pt}"
    "td.m{width:45%}"
    ".qr{text-align:center;font-size:9pt;max-width:40mm}.qr svg{width:28mm;height:28mm}"
    "ul{margin:.2rem 0;padding-inline-start:1.2rem}.b{margin:.2rem 0}.m{font-size:10pt}"
    "nav{margin:.5rem 0}nav a,.langs a{margin-inline-end:.8rem}@media screen{body{max-width:46rem;margin:0 auto;padding:.5rem}"
    "section{border-bottom:4px dashed #777;margin-bottom:1rem}}@media print{nav{display:none}}";

void board_escape(buf_t *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': buf_append(out, "&amp;", 5); break;
        case '<': buf_append(out, "&lt;", 4); break;
        case '>': buf_append(out, "&gt;", 4); break;
        case '"': buf_append(out, "&quot;", 6); break;
        case '\'': buf_append(out, "&#39;", 5); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                buf_putc(out, ' ');
            else
                buf_putc(out, *p);
        }
    }
}

/* Percent-encodes s for a query value. */
static void s_urlenc(buf_t *out, const char *s)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            buf_putc(out, *p);
        } else {
            buf_putc(out, '%');
            buf_putc(out, (uint8_t)hexd[*p >> 4]);
            buf_putc(out, (uint8_t)hexd[*p & 15]);
        }
    }
}

/* href="PATH?area=..&from=..&lang=.." (area NULL and from 0 left out). */
static void s_href(buf_t *out, const char *path, const char *area, size_t from, lang_t lang)
{
    buf_printf(out, "href=\"%s?", path);
    if (area) {
        buf_printf(out, "area=");
        s_urlenc(out, area);
        buf_printf(out, "&amp;");
    }
    if (from)
        buf_printf(out, "from=%zu&amp;", from);
    buf_printf(out, "lang=%s\"", board_lang_code(lang));
}

static void s_fmt_time(uint64_t ms, const char *fmt, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, n, fmt, &tm);
}

/* A list field's strings joined with ", ", each passed through board_token. */
static void s_tokens(buf_t *out, const pv_t *l, lang_t lang, bool words)
{
    for (size_t i = 0; l && l->type == PV_ARR && i < l->u.a.n; i++) {
        const pv_t *x = l->u.a.items[i];
        if (x->type != PV_STR)
            continue;
        if (i)
            buf_printf(out, ", ");
        board_escape(out, words ? board_token(lang, x->u.s.p) : x->u.s.p);
    }
}

/* ---- which records a page may show */

/* True when e must not appear: deleted, not a public directory kind, or
 * private (a record sealed for a private coalition that this node reads). */
static bool s_hidden(repo_t *r, const entity_t *e)
{
    uint8_t co[32];
    if (!e || entity_deleted(e))
        return true;
    if (e->kind != REC_PLACE && e->kind != REC_NEED && e->kind != REC_OFFER &&
        e->kind != REC_BULLETIN)
        return true;
    return repo_private_of(r, e->entity, co);
}

/* The entity with this hex id when it is visible, else NULL. */
static const entity_t *s_ref(repo_t *r, const char *hex)
{
    uint8_t id[32];
    if (!hex || hex_decode(hex, id, 32) != 0)
        return NULL;
    const entity_t *e = repo_entity(r, id);
    if (!e || entity_deleted(e))
        return NULL;
    uint8_t co[32];
    if (e->kind == REC_COALITION && (pv_get_bool(e->fields, "private", false) ||
                                     repo_private_of(r, e->entity, co)))
        return NULL;
    if (e->kind != REC_COALITION && s_hidden(r, e))
        return NULL;
    return e;
}

typedef struct {
    const entity_t **v;
    size_t n;
} list_t;

static void s_list(repo_t *r, rec_kind_t kind, const char *area, const char *status, uint64_t now,
                   list_t *out)
{
    query_t q = {kind, area, NULL, status, false, now};
    const entity_t **v = NULL;
    size_t n = query_list(r, &q, &v), k = 0;
    for (size_t i = 0; i < n; i++)
        if (!s_hidden(r, v[i]))
            v[k++] = v[i];
    out->v = v;
    out->n = k;
}

static const char *s_area(const entity_t *e)
{
    const char *a = pv_get_str(e->fields, "area");
    return a ? a : "";
}

static int s_casecmp_area(const char *a, const char *b)
{
    if (!*a != !*b)
        return *a ? -1 : 1; /* no area last */
    return strcasecmp(a, b);
}

static int s_place_cmp(const void *x, const void *y)
{
    const entity_t *a = *(const entity_t *const *)x, *b = *(const entity_t *const *)y;
    int c = s_casecmp_area(s_area(a), s_area(b));
    if (!c)
        c = strcasecmp(query_label(a), query_label(b));
    return c ? c : memcmp(a->entity, b->entity, 32);
}

static int s_token_index(const char *const *toks, const char *t)
{
    for (int i = 0; t && toks[i]; i++)
        if (strcmp(toks[i], t) == 0)
            return i;
    return 99;
}

static int s_need_cmp(const void *x, const void *y)
{
    const entity_t *a = *(const entity_t *const *)x, *b = *(const entity_t *const *)y;
    int c = s_token_index(REC_CATEGORIES, pv_get_str(a->fields, "category")) -
            s_token_index(REC_CATEGORIES, pv_get_str(b->fields, "category"));
    if (!c) /* more urgent first */
        c = s_token_index(REC_URGENCY, pv_get_str(b->fields, "urgency")) -
            s_token_index(REC_URGENCY, pv_get_str(a->fields, "urgency"));
    if (!c)
        c = s_casecmp_area(s_area(a), s_area(b));
    if (!c)
        c = strcasecmp(query_label(a), query_label(b));
    return c ? c : memcmp(a->entity, b->entity, 32);
}

/* ---- page frame */

static void s_head(buf_t *b, lang_t lang, const char *title, const char *css)
{
    buf_printf(b, "<!doctype html>\n<html lang=\"%s\" dir=\"%s\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                  "<meta name=\"referrer\" content=\"no-referrer\"><title>",
               board_lang_code(lang), board_lang_rtl(lang) ? "rtl" : "ltr");
    board_escape(b, title);
    buf_printf(b, "</title><style>%s</style></head><body>\n", css);
}

static void s_nav(buf_t *b, const board_req_t *q)
{
    static const struct {
        board_page_t page;
        const char *path;
        text_id_t text;
    } nav[] = {{BOARD_HOME, "/", T_PLACES},         {BOARD_NEEDS, "/needs", T_NEEDS},
               {BOARD_OFFERS, "/offers", T_OFFERS}, {BOARD_BULLETINS, "/bulletins", T_BULLETINS},
               {BOARD_SHEET, "/print", T_PRINT}};
    buf_printf(b, "<nav>");
    for (size_t i = 0; i < sizeof nav / sizeof nav[0]; i++) {
        buf_printf(b, "<a ");
        s_href(b, nav[i].path, q->area, 0, q->lang);
        buf_printf(b, "%s>", nav[i].page == q->page ? " aria-current=\"page\"" : "");
        board_escape(b, board_text(q->lang, nav[i].text));
        buf_printf(b, "</a>");
    }
    buf_printf(b, "</nav>\n<p class=\"langs\">");
    static const char *const paths[] = {"/", "/needs", "/offers", "/bulletins", "/place/", "/print"};
    for (int l = 0; l < LANG__COUNT; l++) {
        char path[80];
        if (q->page == BOARD_PLACE) {
            char hex[65];
            hex_encode(q->id, 32, hex);
            snprintf(path, sizeof path, "/place/%s", hex);
        } else {
            snprintf(path, sizeof path, "%s", paths[q->page]);
        }
        buf_printf(b, "<a lang=\"%s\" ", board_lang_code((lang_t)l));
        s_href(b, path, q->area, q->from, (lang_t)l);
        buf_printf(b, "%s>%s</a> ", (lang_t)l == q->lang ? " aria-current=\"true\"" : "",
                   board_lang_name((lang_t)l));
    }
    buf_printf(b, "</p>\n");
}

static void s_top(buf_t *b, const board_req_t *q, text_id_t heading)
{
    char when[40];
    s_fmt_time(q->now_ms, "%Y-%m-%d %H:%M", when, sizeof when);
    buf_printf(b, "<header><h1>");
    board_escape(b, board_text(q->lang, T_BOARD));
    if (heading != T_BOARD) {
        buf_printf(b, ": ");
        board_escape(b, board_text(q->lang, heading));
    }
    if (q->area) {
        buf_printf(b, " &middot; <bdi>");
        board_escape(b, q->area);
        buf_printf(b, "</bdi>");
    }
    buf_printf(b, "</h1><p class=\"asof\">%s <time>%s</time></p>", board_text(q->lang, T_AS_OF), when);
    s_nav(b, q);
    buf_printf(b, "</header>\n<main>\n");
}

static void s_end(buf_t *b, lang_t lang)
{
    buf_printf(b, "</main>\n<footer><p>");
    board_escape(b, board_text(lang, T_READ_ONLY));
    buf_printf(b, "</p></footer>\n</body></html>\n");
}

/* Appends item to page when the page stays within BOARD_PAGE_MAX with
 * what may follow (S_TAIL_MAX), or when it is the first item; false when
 * the page is full. */
static bool s_fits(buf_t *page, const buf_t *item, size_t shown)
{
    if (shown > 0 && page->len + item->len + S_TAIL_MAX > (size_t)BOARD_PAGE_MAX)
        return false;
    buf_append(page, item->data, item->len);
    return true;
}

static void s_next(buf_t *b, const board_req_t *q, const char *path, size_t from)
{
    buf_printf(b, "<p><a ");
    s_href(b, path, q->area, from, q->lang);
    buf_printf(b, ">%s &rarr;</a></p>\n", board_text(q->lang, T_NEXT_PAGE));
}

/*
 * One page of a list of n items, from q->from on: each rendered by item()
 * into a scratch buffer and kept while it fits (s_fits), then the link to
 * the next page (path) when some are left. With group(), a heading
 * (heading() of the item that starts it) opens a list whenever the
 * group changes (cmp: strcmp or strcasecmp); else one list holds all.
 */
typedef struct {
    void *ctx;
    size_t n;
    void (*item)(void *ctx, buf_t *it, size_t i);
    const char *(*group)(void *ctx, size_t i);
    void (*heading)(void *ctx, buf_t *it, size_t i);
    int (*cmp)(const char *, const char *);
} s_pager_t;

static void s_page(buf_t *b, const board_req_t *q, const char *path, const s_pager_t *p)
{
    size_t shown = 0, i = q->from < p->n ? q->from : p->n;
    const char *cur = NULL;
    buf_t it = {0};
    if (!p->group)
        buf_printf(b, "<ul>\n");
    for (; i < p->n; i++) {
        buf_reset(&it);
        const char *g = p->group ? p->group(p->ctx, i) : NULL;
        if (g && (!cur || p->cmp(cur, g) != 0)) {
            if (cur)
                buf_printf(&it, "</ul>\n");
            p->heading(p->ctx, &it, i);
            buf_printf(&it, "<ul>\n");
        }
        p->item(p->ctx, &it, i);
        if (!s_fits(b, &it, shown))
            break;
        cur = g;
        shown++;
    }
    if (!p->group || cur)
        buf_printf(b, "</ul>\n");
    if (i < p->n)
        s_next(b, q, path, i);
    buf_free(&it);
}

/* ---- places */

static void s_status(buf_t *b, const entity_t *e, lang_t lang, uint64_t now, uint64_t stale)
{
    const char *st = pv_get_str(e->fields, "status");
    buf_printf(b, "<span class=\"st st-%s\">%s ", st ? st : "unknown", board_status_icon(st));
    board_escape(b, st ? board_token(lang, st) : board_text(lang, T_STATUS_UNKNOWN));
    buf_printf(b, "</span>");
    int64_t age = query_status_age(e, now);
    if (age >= 0) {
        char a[64];
        board_age(lang, age, a, sizeof a);
        buf_printf(b, " <span class=\"m\">&middot; ");
        board_escape(b, a);
        buf_printf(b, "</span>");
        if ((uint64_t)age > stale) {
            buf_printf(b, " <span class=\"stale\">&#9203; ");
            board_escape(b, board_text(lang, T_STALE));
            buf_printf(b, "</span>");
        }
    }
}

static void s_field(buf_t *b, lang_t lang, text_id_t label, const char *value)
{
    if (!value)
        return;
    buf_printf(b, "<br><span class=\"n\">%s: <bdi>", board_text(lang, label));
    board_escape(b, value);
    buf_printf(b, "</bdi></span>");
}

static void s_place_item(buf_t *b, repo_t *r, const entity_t *e, const board_req_t *q, uint64_t stale,
                         bool full)
{
    (void)r;
    char hex[65];
    hex_encode(e->entity, 32, hex);
    const pv_t *f = e->fields;
    buf_printf(b, "<li>");
    if (full) {
        buf_printf(b, "<p>");
    } else {
        buf_printf(b, "<a href=\"/place/%s?lang=%s\"><bdi>", hex, board_lang_code(q->lang));
        board_escape(b, query_label(e));
        buf_printf(b, "</bdi></a> ");
    }
    s_status(b, e, q->lang, q->now_ms, stale);
    const char *note = pv_get_str(f, "status_note");
    if (note) {
        buf_printf(b, "<br><bdi>");
        board_escape(b, note);
        buf_printf(b, "</bdi>");
    }
    const pv_t *ch = pv_map_get(f, "channels");
    if (ch && ch->type == PV_ARR && ch->u.a.n) {
        buf_printf(b, "<br><span class=\"n\">%s ", board_text(q->lang, T_STILL_WORKS));
        s_tokens(b, ch, q->lang, true);
        buf_printf(b, "</span>");
    }
    s_field(b, q->lang, T_HOURS, pv_get_str(f, "hours"));
    const pv_t *langs = pv_map_get(f, "langs");
    if (langs && langs->type == PV_ARR && langs->u.a.n) {
        buf_printf(b, "<br><span class=\"n\">%s: ", board_text(q->lang, T_LANGS));
        s_tokens(b, langs, q->lang, false);
        buf_printf(b, "</span>");
    }
    if (full) {
        s_field(b, q->lang, T_ADDRESS, pv_get_str(f, "address"));
        s_field(b, q->lang, T_CONTACT, pv_get_str(f, "contact"));
        s_field(b, q->lang, T_ACCESS, pv_get_str(f, "access"));
        const pv_t *cap = pv_map_get(f, "capacity");
        if (cap && cap->type == PV_INT) {
            char num[24], t[120];
            snprintf(num, sizeof num, "%lld", (long long)cap->u.i);
            board_fmt(q->lang, T_CAPACITY, num, t, sizeof t);
            buf_printf(b, "<br>");
            board_escape(b, t);
        }
        if (pv_get_bool(f, "hub", false)) {
            buf_printf(b, "<br><strong>&#9733; ");
            board_escape(b, board_text(q->lang, T_HUB));
            buf_printf(b, "</strong>");
        }
        buf_printf(b, "</p>");
    }
    buf_printf(b, "</li>\n");
}

/* The distinct areas of a sorted place list (case-insensitive), into an
 * index of links with counts, within S_INDEX_MAX bytes. */
static void s_area_index(buf_t *b, const list_t *pl, const board_req_t *q, const char *path)
{
    size_t start = b->len;
    buf_printf(b, "<h2>%s</h2><p>", board_text(q->lang, T_AREAS));
    buf_printf(b, "<a ");
    s_href(b, path, NULL, 0, q->lang);
    buf_printf(b, ">%s</a> (%zu)", board_text(q->lang, T_ALL_AREAS), pl->n);
    for (size_t i = 0; i < pl->n;) {
        const char *a = s_area(pl->v[i]);
        size_t j = i;
        while (j < pl->n && strcasecmp(s_area(pl->v[j]), a) == 0)
            j++;
        if (*a) {
            if (b->len - start > (size_t)S_INDEX_MAX - 400) {
                buf_printf(b, " &middot; &hellip;");
                break;
            }
            buf_printf(b, " &middot; <a ");
            s_href(b, path, a, 0, q->lang);
            buf_printf(b, "><bdi>");
            board_escape(b, a);
            buf_printf(b, "</bdi></a> (%zu)", j - i);
        }
        i = j;
    }
    buf_printf(b, "</p>\n");
}

/* What the pages' s_pager_t callbacks read: the list shown and what its
 * items need. */
typedef struct {
    repo_t *r;
    const board_req_t *q;
    const entity_t **v;
    uint64_t stale;  /* places */
    const bool *tr;  /* bulletins: translations */
} s_items_t;

static void s_place_row(void *ctx, buf_t *it, size_t i)
{
    s_items_t *x = ctx;
    s_place_item(it, x->r, x->v[i], x->q, x->stale, false);
}

static const char *s_place_group(void *ctx, size_t i)
{
    return s_area(((s_items_t *)ctx)->v[i]);
}

static void s_place_heading(void *ctx, buf_t *it, size_t i)
{
    s_items_t *x = ctx;
    const char *a = s_area(x->v[i]);
    buf_printf(it, "<h2><bdi>");
    board_escape(it, *a ? a : board_text(x->q->lang, T_NO_AREA));
    buf_printf(it, "</bdi></h2>\n");
}

static int s_home(repo_t *r, const board_req_t *q, buf_t *b)
{
    uint64_t stale = query_stale_ms(r);
    list_t all, pl;
    s_list(r, REC_PLACE, NULL, NULL, q->now_ms, &all);
    qsort(all.v, all.n, sizeof *all.v, s_place_cmp);
    s_top(b, q, T_BOARD);
    s_area_index(b, &all, q, "/");
    pl = all;
    if (q->area) { /* the places of one area: a slice of the sorted list */
        size_t i = 0;
        while (i < all.n && strcasecmp(s_area(all.v[i]), q->area) != 0)
            i++;
        size_t j = i;
        while (j < all.n && strcasecmp(s_area(all.v[j]), q->area) == 0)
            j++;
        pl.v = all.v + i;
        pl.n = j - i;
    }
    if (pl.n == 0)
        buf_printf(b, "<p>%s</p>\n", board_text(q->lang, T_NOTHING));
    s_items_t x = {r, q, pl.v, stale, NULL};
    s_page(b, q, "/",
           &(s_pager_t){&x, pl.n, s_place_row, s_place_group, s_place_heading, strcasecmp});
    free(all.v);
    s_end(b, q->lang);
    return 200;
}

/* ---- offers on a place's page and the offers page */

static void s_offer_item(buf_t *b, repo_t *r, const entity_t *e, const board_req_t *q, bool name)
{
    const pv_t *f = e->fields;
    const entity_t *prov = s_ref(r, pv_get_str(f, "provider"));
    buf_printf(b, "<li>");
    if (name && prov) {
        if (prov->kind == REC_PLACE) {
            char hex[65];
            hex_encode(prov->entity, 32, hex);
            buf_printf(b, "<a href=\"/place/%s?lang=%s\"><bdi>", hex, board_lang_code(q->lang));
            board_escape(b, query_label(prov));
            buf_printf(b, "</bdi></a>: ");
        } else {
            buf_printf(b, "<strong><bdi>");
            board_escape(b, query_label(prov));
            buf_printf(b, "</bdi></strong>: ");
        }
    }
    buf_printf(b, "<strong>");
    s_tokens(b, pv_map_get(f, "categories"), q->lang, true);
    buf_printf(b, "</strong>");
    const char *area = pv_get_str(f, "area");
    if (area) {
        buf_printf(b, " &middot; <bdi>");
        board_escape(b, area);
        buf_printf(b, "</bdi>");
    }
    const char *note = pv_get_str(f, "note");
    if (note) {
        buf_printf(b, "<br><bdi>");
        board_escape(b, note);
        buf_printf(b, "</bdi>");
    }
    const pv_t *langs = pv_map_get(f, "langs");
    if (langs && langs->type == PV_ARR) {
        buf_printf(b, "<br><span class=\"n\">%s: ", board_text(q->lang, T_LANGS));
        s_tokens(b, langs, q->lang, false);
        buf_printf(b, "</span>");
    }
    int64_t until = pv_get_int(f, "until", 0);
    if (until > 0) {
        char d[40], t[120];
        s_fmt_time((uint64_t)until, "%Y-%m-%d", d, sizeof d);
        board_fmt(q->lang, T_UNTIL, d, t, sizeof t);
        buf_printf(b, "<br><span class=\"n\">");
        board_escape(b, t);
        buf_printf(b, "</span>");
    }
    buf_printf(b, "</li>\n");
}

/* An offer that is current: not ended, provider visible. */
static bool s_offer_live(repo_t *r, const entity_t *e, uint64_t now)
{
    int64_t until = pv_get_int(e->fields, "until", 0);
    if (until > 0 && (uint64_t)until < now)
        return false;
    return s_ref(r, pv_get_str(e->fields, "provider")) != NULL;
}

static const char *s_provider_name(repo_t *r, const entity_t *e)
{
    const entity_t *p = s_ref(r, pv_get_str(e->fields, "provider"));
    return p ? query_label(p) : "";
}

static repo_t *s_sort_repo; /* for s_offer_cmp: qsort has no context */
static int s_offer_cmp(const void *x, const void *y)
{
    const entity_t *a = *(const entity_t *const *)x, *b = *(const entity_t *const *)y;
    int c = strcasecmp(s_provider_name(s_sort_repo, a), s_provider_name(s_sort_repo, b));
    return c ? c : memcmp(a->entity, b->entity, 32);
}

static void s_offers_of(repo_t *r, uint64_t now, const char *area, list_t *out)
{
    s_list(r, REC_OFFER, area, NULL, now, out);
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++)
        if (s_offer_live(r, out->v[i], now))
            out->v[k++] = out->v[i];
    out->n = k;
    s_sort_repo = r;
    qsort(out->v, out->n, sizeof *out->v, s_offer_cmp);
    s_sort_repo = NULL;
}

static void s_offer_row(void *ctx, buf_t *it, size_t i)
{
    s_items_t *x = ctx;
    s_offer_item(it, x->r, x->v[i], x->q, true);
}

static int s_offers(repo_t *r, const board_req_t *q, buf_t *b)
{
    list_t ol;
    s_offers_of(r, q->now_ms, q->area, &ol);
    s_top(b, q, T_OFFERS);
    buf_printf(b, "<p>%s</p>\n", board_text(q->lang, T_OFFERS_INTRO));
    if (ol.n == 0)
        buf_printf(b, "<p>%s</p>\n", board_text(q->lang, T_NOTHING));
    s_items_t x = {r, q, ol.v, 0, NULL};
    s_page(b, q, "/offers", &(s_pager_t){&x, ol.n, s_offer_row, NULL, NULL, NULL});
    free(ol.v);
    s_end(b, q->lang);
    return 200;
}

/* ---- needs */

static void s_needs_of(repo_t *r, uint64_t now, const char *area, list_t *out)
{
    s_list(r, REC_NEED, area, "open", now, out);
    qsort(out->v, out->n, sizeof *out->v, s_need_cmp);
}

/* Counts per category as "<word> N" items. */
static void s_need_counts(buf_t *b, const list_t *nl, lang_t lang, bool table)
{
    size_t counts[16] = {0};
    for (size_t i = 0; i < nl->n; i++) {
        int c = s_token_index(REC_CATEGORIES, pv_get_str(nl->v[i]->fields, "category"));
        counts[c < 15 ? c : 15]++;
    }
    if (table)
        buf_printf(b, "<table>");
    bool any = false;
    for (int c = 0; REC_CATEGORIES[c] && c < 15; c++) {
        if (!counts[c])
            continue;
        if (table) {
            buf_printf(b, "<tr><td>");
            board_escape(b, board_token(lang, REC_CATEGORIES[c]));
            buf_printf(b, "</td><td>%zu</td></tr>", counts[c]);
        } else {
            buf_printf(b, "%s<strong>", any ? " &middot; " : "");
            board_escape(b, board_token(lang, REC_CATEGORIES[c]));
            buf_printf(b, "</strong> %zu", counts[c]);
        }
        any = true;
    }
    if (table)
        buf_printf(b, "<tr><th>%s</th><th>%zu</th></tr></table>\n", board_text(lang, T_TOTAL), nl->n);
    else if (!any)
        board_escape(b, board_text(lang, T_NOTHING));
}

static void s_need_item(buf_t *b, const entity_t *e, lang_t lang)
{
    const pv_t *f = e->fields;
    buf_printf(b, "<li><bdi>");
    board_escape(b, pv_get_str(f, "summary"));
    buf_printf(b, "</bdi><br><span class=\"n\">");
    const char *area = pv_get_str(f, "area");
    if (area) {
        buf_printf(b, "<bdi>");
        board_escape(b, area);
        buf_printf(b, "</bdi> &middot; ");
    }
    const char *urg = pv_get_str(f, "urgency");
    buf_printf(b, "%s: ", board_text(lang, T_URGENCY));
    board_escape(b, board_token(lang, urg ? urg : "normal"));
    int64_t people = pv_get_int(f, "people", 0);
    if (people > 0) {
        char num[24], t[80];
        snprintf(num, sizeof num, "%lld", (long long)people);
        board_fmt(lang, T_PEOPLE, num, t, sizeof t);
        buf_printf(b, " &middot; ");
        board_escape(b, t);
    }
    const pv_t *langs = pv_map_get(f, "langs");
    if (langs && langs->type == PV_ARR) {
        buf_printf(b, " &middot; %s: ", board_text(lang, T_LANGS));
        s_tokens(b, langs, lang, false);
    }
    buf_printf(b, "</span></li>\n");
}

static void s_need_row(void *ctx, buf_t *it, size_t i)
{
    s_items_t *x = ctx;
    s_need_item(it, x->v[i], x->q->lang);
}

static const char *s_need_group(void *ctx, size_t i)
{
    const char *cat = pv_get_str(((s_items_t *)ctx)->v[i]->fields, "category");
    return cat ? cat : "";
}

static void s_need_heading(void *ctx, buf_t *it, size_t i)
{
    s_items_t *x = ctx;
    const char *cat = pv_get_str(x->v[i]->fields, "category");
    buf_printf(it, "<h3>");
    board_escape(it, board_token(x->q->lang, cat ? cat : "other"));
    buf_printf(it, "</h3>\n");
}

static int s_needs(repo_t *r, const board_req_t *q, buf_t *b)
{
    list_t nl;
    s_needs_of(r, q->now_ms, q->area, &nl);
    s_top(b, q, T_NEEDS);
    buf_printf(b, "<p>%s</p>\n<h2>%s</h2>\n", board_text(q->lang, T_NEEDS_INTRO),
               board_text(q->lang, T_NEEDS_COUNT));
    s_need_counts(b, &nl, q->lang, true);
    if (!q->area) { /* and by area: links */
        list_t sorted = {xmalloc((nl.n + 1) * sizeof *nl.v), nl.n};
        memcpy(sorted.v, nl.v, nl.n * sizeof *nl.v);
        qsort(sorted.v, sorted.n, sizeof *sorted.v, s_place_cmp);
        s_area_index(b, &sorted, q, "/needs");
        free(sorted.v);
    }
    s_items_t x = {r, q, nl.v, 0, NULL};
    s_page(b, q, "/needs", &(s_pager_t){&x, nl.n, s_need_row, s_need_group, s_need_heading, strcmp});
    free(nl.v);
    s_end(b, q->lang);
    return 200;
}

/* ---- bulletins */

static int s_strcmp_p(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Current bulletins for area (those naming no area count for every area),
 * originals first each followed by its translations: out->v in that
 * order; *is_tr (allocated, free it) marks the translations. */
static void s_bulletins_of(repo_t *r, uint64_t now, const char *area, list_t *out, bool **is_tr)
{
    list_t all;
    s_list(r, REC_BULLETIN, NULL, NULL, now, &all);
    const char **rep = xmalloc((all.n + 1) * sizeof *rep);
    size_t nrep = 0;
    for (size_t i = 0; i < all.n; i++) {
        const char *x = pv_get_str(all.v[i]->fields, "replaces");
        if (x)
            rep[nrep++] = x;
    }
    qsort(rep, nrep, sizeof *rep, s_strcmp_p);
    size_t k = 0;
    char (*hex)[65] = xmalloc((all.n + 1) * sizeof *hex);
    for (size_t i = 0; i < all.n; i++) {
        const char *ba = pv_get_str(all.v[i]->fields, "area");
        char h[65];
        const char *key = h;
        hex_encode(all.v[i]->entity, 32, h);
        if (bsearch(&key, rep, nrep, sizeof *rep, s_strcmp_p))
            continue; /* replaced */
        if (area && ba && strcasecmp(ba, area) != 0)
            continue;
        memcpy(hex[k], h, 65);
        all.v[k++] = all.v[i];
    }
    all.n = k;
    out->v = xmalloc((all.n + 1) * sizeof *out->v);
    out->n = 0;
    *is_tr = xcalloc(all.n + 1, 1);
    /* originals: not a translation of a listed bulletin */
    for (size_t i = 0; i < all.n; i++) {
        const char *of = pv_get_str(all.v[i]->fields, "translation_of");
        bool listed = false;
        for (size_t j = 0; of && j < all.n && !listed; j++)
            listed = j != i && strcmp(hex[j], of) == 0;
        if (listed)
            continue;
        out->v[out->n++] = all.v[i];
        for (size_t j = 0; j < all.n; j++) {
            const char *tof = pv_get_str(all.v[j]->fields, "translation_of");
            if (j != i && tof && strcmp(tof, hex[i]) == 0) {
                (*is_tr)[out->n] = true;
                out->v[out->n++] = all.v[j];
            }
        }
    }
    free(hex);
    free(rep);
    free(all.v);
}

static void s_bulletin_item(buf_t *b, const entity_t *e, lang_t lang, bool tr, bool sheet)
{
    const pv_t *f = e->fields;
    const pv_t *langs = pv_map_get(f, "langs");
    const char *l0 = langs && langs->type == PV_ARR && langs->u.a.n &&
                             langs->u.a.items[0]->type == PV_STR
                         ? langs->u.a.items[0]->u.s.p
                         : NULL;
    buf_printf(b, sheet ? "<div class=\"b\"" : "<li");
    if (l0)
        buf_printf(b, " lang=\"%s\"", l0); /* two letters: rec_validate */
    buf_printf(b, " dir=\"auto\">");
    if (tr) {
        buf_printf(b, "<span class=\"n\">&#8627; %s", board_text(lang, T_TRANSLATION));
        if (l0)
            buf_printf(b, " (%s)", l0);
        buf_printf(b, "</span><br>");
    }
    buf_printf(b, "<strong>");
    board_escape(b, pv_get_str(f, "title"));
    buf_printf(b, "</strong><br>");
    board_escape(b, pv_get_str(f, "body"));
    char when[40];
    s_fmt_time(hlc_ms(e->created), "%Y-%m-%d %H:%M", when, sizeof when);
    buf_printf(b, "<br><span class=\"n\">%s", when);
    const char *src = pv_get_str(f, "source");
    if (src) {
        buf_printf(b, " &middot; %s: <bdi>", board_text(lang, T_SOURCE));
        board_escape(b, src);
        buf_printf(b, "</bdi>");
    }
    const char *area = pv_get_str(f, "area");
    if (area) {
        buf_printf(b, " &middot; <bdi>");
        board_escape(b, area);
        buf_printf(b, "</bdi>");
    }
    buf_printf(b, "</span>%s\n", sheet ? "</div>" : "</li>");
}

static void s_bulletin_row(void *ctx, buf_t *it, size_t i)
{
    s_items_t *x = ctx;
    s_bulletin_item(it, x->v[i], x->q->lang, x->tr[i], false);
}

static int s_bulletins(repo_t *r, const board_req_t *q, buf_t *b)
{
    list_t bl;
    bool *tr = NULL;
    s_bulletins_of(r, q->now_ms, q->area, &bl, &tr);
    s_top(b, q, T_BULLETINS);
    buf_printf(b, "<p>%s</p>\n", board_text(q->lang, T_BULLETINS_INTRO));
    if (bl.n == 0)
        buf_printf(b, "<p>%s</p>\n", board_text(q->lang, T_NOTHING));
    s_items_t x = {r, q, bl.v, 0, tr};
    s_page(b, q, "/bulletins", &(s_pager_t){&x, bl.n, s_bulletin_row, NULL, NULL, NULL});
    free(bl.v);
    free(tr);
    s_end(b, q->lang);
    return 200;
}

/* ---- one place */

static int s_place(repo_t *r, const board_req_t *q, buf_t *b)
{
    const entity_t *e = repo_entity(r, q->id);
    if (!e || e->kind != REC_PLACE || s_hidden(r, e)) {
        board_error_page(q->lang, 404, b);
        return 404;
    }
    uint64_t stale = query_stale_ms(r);
    board_req_t q2 = *q;
    q2.area = NULL;
    s_head(b, q->lang, query_label(e), S_CSS);
    s_top(b, &q2, T_PLACES);
    buf_printf(b, "<h2><bdi>");
    board_escape(b, query_label(e));
    buf_printf(b, "</bdi></h2>\n");
    const char *area = pv_get_str(e->fields, "area");
    if (area) {
        buf_printf(b, "<p><a ");
        s_href(b, "/", area, 0, q->lang);
        buf_printf(b, "><bdi>");
        board_escape(b, area);
        buf_printf(b, "</bdi></a></p>\n");
    }
    buf_printf(b, "<ul>\n");
    s_place_item(b, r, e, q, stale, true);
    buf_printf(b, "</ul>\n");
    /* the offers it provides */
    list_t ol;
    s_offers_of(r, q->now_ms, NULL, &ol);
    char hex[65];
    hex_encode(e->entity, 32, hex);
    size_t shown = 0;
    buf_t it = {0};
    for (size_t i = 0; i < ol.n; i++) {
        const char *p = pv_get_str(ol.v[i]->fields, "provider");
        if (!p || strcmp(p, hex) != 0)
            continue;
        buf_reset(&it);
        if (!shown)
            buf_printf(&it, "<h2>%s</h2>\n<ul>\n", board_text(q->lang, T_OFFERS_HERE));
        s_offer_item(&it, r, ol.v[i], q, false);
        /* the place itself came first: every offer must fit */
        if (!s_fits(b, &it, 1))
            break;
        shown++;
    }
    if (shown)
        buf_printf(b, "</ul>\n");
    buf_free(&it);
    free(ol.v);
    s_end(b, q->lang);
    return 200;
}

/* ---- the printed sheet */

static void s_sheet_area(buf_t *b, repo_t *r, const board_req_t *q, const char *area,
                         const entity_t *const *pl, size_t npl, const list_t *needs,
                         const list_t *offers, const list_t *bulls, const bool *tr)
{
    char when[40], line[300];
    s_fmt_time(q->now_ms, "%Y-%m-%d %H:%M", when, sizeof when);
    buf_printf(b, "<section><div class=\"sh\"><div><h1>");
    board_escape(b, board_text(q->lang, T_BOARD));
    buf_printf(b, " &middot; <bdi>");
    board_escape(b, *area ? area : board_text(q->lang, T_NO_AREA));
    buf_printf(b, "</bdi></h1><p><strong>%s %s</strong><br>", board_text(q->lang, T_AS_OF), when);
    board_fmt(q->lang, T_PRINTED_BY, repo_name(r), line, sizeof line);
    board_escape(b, line);
    buf_printf(b, "</p></div>");
    if (q->url && *q->url) {
        buf_printf(b, "<div class=\"qr\">");
        board_qr_svg(q->url, b);
        buf_printf(b, "<br>");
        board_escape(b, board_text(q->lang, T_SCAN));
        buf_printf(b, "<br><bdi>");
        board_escape(b, q->url);
        buf_printf(b, "</bdi></div>");
    }
    buf_printf(b, "</div>\n<h2>%s</h2>\n<table>\n", board_text(q->lang, T_PLACES));
    size_t shown = npl < BOARD_SHEET_PLACES ? npl : BOARD_SHEET_PLACES;
    for (size_t i = 0; i < shown; i++) {
        const entity_t *e = pl[i];
        const pv_t *f = e->fields;
        const char *st = pv_get_str(f, "status");
        buf_printf(b, "<tr><td class=\"s\">%s ", board_status_icon(st));
        board_escape(b, st ? board_token(q->lang, st) : board_text(q->lang, T_STATUS_UNKNOWN));
        buf_printf(b, "</td><td><strong><bdi>");
        board_escape(b, query_label(e));
        buf_printf(b, "</bdi></strong>");
        int64_t age = query_status_age(e, q->now_ms);
        if (age >= 0) {
            char t[40];
            int64_t at = (int64_t)q->now_ms - age;
            s_fmt_time((uint64_t)at, "%d-%m %H:%M", t, sizeof t);
            board_fmt(q->lang, T_SINCE, t, line, sizeof line);
            buf_printf(b, " <span class=\"m\">(");
            board_escape(b, line);
            buf_printf(b, ")</span>");
        }
        const char *note = pv_get_str(f, "status_note");
        if (note) {
            buf_printf(b, "<br><span class=\"m\"><bdi>");
            board_escape(b, note);
            buf_printf(b, "</bdi></span>");
        }
        buf_printf(b, "</td><td class=\"m\">");
        const pv_t *ch = pv_map_get(f, "channels");
        if (ch && ch->type == PV_ARR && ch->u.a.n) {
            buf_printf(b, "<strong>%s</strong> ", board_text(q->lang, T_STILL_WORKS));
            s_tokens(b, ch, q->lang, true);
            buf_printf(b, "<br>");
        }
        const char *contact = pv_get_str(f, "contact");
        if (contact) {
            buf_printf(b, "<bdi>");
            board_escape(b, contact);
            buf_printf(b, "</bdi><br>");
        }
        const char *hours = pv_get_str(f, "hours");
        if (hours) {
            buf_printf(b, "%s: <bdi>", board_text(q->lang, T_HOURS));
            board_escape(b, hours);
            buf_printf(b, "</bdi>");
        }
        buf_printf(b, "</td></tr>\n");
    }
    buf_printf(b, "</table>\n");
    if (npl > shown) {
        char num[24];
        snprintf(num, sizeof num, "%zu", npl - shown);
        board_fmt(q->lang, T_MORE_ON_BOARD, num, line, sizeof line);
        buf_printf(b, "<p>");
        board_escape(b, line);
        buf_printf(b, "</p>\n");
    }
    /* open needs of this area, counted: no individual data */
    list_t an = {xmalloc((needs->n + 1) * sizeof *needs->v), 0};
    for (size_t i = 0; i < needs->n; i++)
        if (strcasecmp(s_area(needs->v[i]), area) == 0)
            an.v[an.n++] = needs->v[i];
    buf_printf(b, "<h2>%s</h2>\n<p>", board_text(q->lang, T_NEEDS_COUNT));
    s_need_counts(b, &an, q->lang, false);
    buf_printf(b, "</p>\n");
    free(an.v);
    /* who offers what here: the offer's area, else its provider's */
    buf_printf(b, "<h2>%s</h2>\n<ul>\n", board_text(q->lang, T_OFFERS));
    size_t no = 0;
    for (size_t i = 0; i < offers->n && no < 10; i++) {
        const entity_t *o = offers->v[i];
        const char *oa = pv_get_str(o->fields, "area");
        if (!oa) {
            const entity_t *p = s_ref(r, pv_get_str(o->fields, "provider"));
            oa = p ? pv_get_str(p->fields, "area") : NULL;
        }
        if (strcasecmp(oa ? oa : "", area) != 0)
            continue;
        buf_printf(b, "<li><strong><bdi>");
        board_escape(b, s_provider_name(r, o));
        buf_printf(b, "</bdi></strong>: ");
        s_tokens(b, pv_map_get(o->fields, "categories"), q->lang, true);
        buf_printf(b, "</li>\n");
        no++;
    }
    if (!no)
        buf_printf(b, "<li>%s</li>\n", board_text(q->lang, T_NOTHING));
    buf_printf(b, "</ul>\n");
    /* current bulletins of this area (or of every area): the one in the
     * sheet's language when a translation is there */
    buf_printf(b, "<h2>%s</h2>\n", board_text(q->lang, T_BULLETINS));
    size_t nb = 0;
    for (size_t i = 0; i < bulls->n && nb < 3; i++) {
        if (tr[i])
            continue;
        const char *ba = pv_get_str(bulls->v[i]->fields, "area");
        if (ba && strcasecmp(ba, area) != 0)
            continue;
        const entity_t *pick = bulls->v[i];
        for (size_t j = i + 1; j < bulls->n && tr[j]; j++) {
            const pv_t *l = pv_map_get(bulls->v[j]->fields, "langs");
            if (l && l->type == PV_ARR && l->u.a.n && l->u.a.items[0]->type == PV_STR &&
                strcmp(l->u.a.items[0]->u.s.p, board_lang_code(q->lang)) == 0)
                pick = bulls->v[j];
        }
        s_bulletin_item(b, pick, q->lang, false, true);
        nb++;
    }
    if (!nb)
        buf_printf(b, "<p>%s</p>\n", board_text(q->lang, T_NOTHING));
    buf_printf(b, "</section>\n");
}

static int s_sheet(repo_t *r, const board_req_t *q, buf_t *b)
{
    list_t pl, nl, ol, bl;
    bool *tr = NULL;
    s_list(r, REC_PLACE, q->area, NULL, q->now_ms, &pl);
    qsort(pl.v, pl.n, sizeof *pl.v, s_place_cmp);
    s_needs_of(r, q->now_ms, q->area, &nl);
    s_offers_of(r, q->now_ms, NULL, &ol);
    s_bulletins_of(r, q->now_ms, q->area, &bl, &tr);
    s_head(b, q->lang, board_text(q->lang, T_BOARD), S_SHEET_CSS);
    if (q->board_links) {
        board_req_t q2 = *q;
        s_nav(b, &q2);
    }
    if (pl.n == 0) {
        buf_printf(b, "<section><h1>");
        board_escape(b, board_text(q->lang, T_BOARD));
        buf_printf(b, "</h1><p>%s</p></section>\n", board_text(q->lang, T_NOTHING));
    }
    for (size_t i = 0; i < pl.n;) {
        const char *a = s_area(pl.v[i]);
        size_t j = i;
        while (j < pl.n && strcasecmp(s_area(pl.v[j]), a) == 0)
            j++;
        s_sheet_area(b, r, q, a, pl.v + i, j - i, &nl, &ol, &bl, tr);
        i = j;
    }
    buf_printf(b, "</body></html>\n");
    free(pl.v);
    free(nl.v);
    free(ol.v);
    free(bl.v);
    free(tr);
    return 200;
}

int board_render(repo_t *r, const board_req_t *q, buf_t *out)
{
    static const text_id_t titles[] = {T_BOARD, T_NEEDS, T_OFFERS, T_BULLETINS};
    switch (q->page) {
    case BOARD_PLACE: return s_place(r, q, out);
    case BOARD_SHEET: return s_sheet(r, q, out);
    default: break;
    }
    s_head(out, q->lang, board_text(q->lang, titles[q->page]), S_CSS);
    switch (q->page) {
    case BOARD_NEEDS: return s_needs(r, q, out);
    case BOARD_OFFERS: return s_offers(r, q, out);
    case BOARD_BULLETINS: return s_bulletins(r, q, out);
    default: return s_home(r, q, out);
    }
}

void board_error_page(lang_t lang, int status, buf_t *out)
{
    const char *what = status == 404   ? board_text(lang, T_NOT_FOUND)
                       : status == 503 ? board_text(lang, T_BUSY)
                                       : board_text(lang, T_BAD_REQUEST);
    s_head(out, lang, what, S_CSS);
    buf_printf(out, "<main><h1>%d &middot; ", status);
    board_escape(out, what);
    buf_printf(out, "</h1>");
    if (status == 404) {
        buf_printf(out, "<p>");
        board_escape(out, board_text(lang, T_NOT_FOUND_HELP));
        buf_printf(out, "</p>");
    }
    buf_printf(out, "<p><a href=\"/?lang=%s\">", board_lang_code(lang));
    board_escape(out, board_text(lang, T_BACK));
    buf_printf(out, "</a></p></main></body></html>\n");
}

void board_qr_svg(const char *text, buf_t *out)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return;
    int w = qr->width, quiet = 4, size = w + 2 * quiet;
    buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\" "
                    "aria-label=\"QR\" shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                    "fill=\"#fff\"/><path fill=\"#000\" d=\"",
               size, size, size, size);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w;) {
            if (!(qr->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int run = 1; /* one rectangle per run of dark modules */
            while (x + run < w && (qr->data[y * w + x + run] & 1))
                run++;
            buf_printf(out, "M%d %dh%dv1h-%dz", x + quiet, y + quiet, run, run);
            x += run;
        }
    buf_printf(out, "\"/></svg>");
    QRcode_free(qr);
}
