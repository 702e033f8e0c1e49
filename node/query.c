/*
 * query.c -- the filters and order of listings (see query.h).
 */
#include "node/query.h"
#include "node/match.h"
#include "proto/util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *query_status(const entity_t *e, uint64_t now)
{
    if (e->kind == REC_NEED)
        return need_status_now(e, now);
    const char *s = pv_get_str(e->fields, "status");
    return s ? s : "";
}

uint64_t query_stale_ms(repo_t *r)
{
    return (uint64_t)repo_mesh_setting(r, "stale_hours", QUERY_STALE_HOURS_DEFAULT) * 3600000u;
}

int64_t query_status_age(const entity_t *e, uint64_t now_ms)
{
    if (e->kind != REC_PLACE || !pv_get_str(e->fields, "status"))
        return -1;
    int64_t at = pv_get_int(e->fields, "status_at", 0);
    if (at <= 0)
        at = (int64_t)hlc_ms(e->updated);
    return (int64_t)now_ms > at ? (int64_t)now_ms - at : 0;
}

const char *query_label(const entity_t *e)
{
    const char *s = pv_get_str(e->fields, "name");
    if (!s)
        s = pv_get_str(e->fields, "title");
    if (!s)
        s = pv_get_str(e->fields, "summary");
    return s ? s : "(unnamed)";
}

/* Rank of a place status for sorting: open first, closed last. */
static int s_status_rank(const char *s)
{
    static const char *const order[] = {"open", "limited", "alternative", "overloaded", "closed"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, order[i]) == 0)
            return i;
    return 5;
}

static int s_urgency_rank(const char *s)
{
    static const char *const order[] = {"critical", "high", "normal", "low"};
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, order[i]) == 0)
            return i;
    return 2;
}

/* A listed entity with its sort key, read from the entity once instead of
 * at every comparison (each read is a map look-up, a cache miss or more at
 * 100,000 entities). */
typedef struct {
    const entity_t *e; /* query_list; NULL in query_list_at */
    const uint8_t *id; /* the entity's id (ties) */
    size_t at;         /* its position */
    int rank;          /* places: status; needs: open first, then urgency */
    uint64_t created;  /* bulletins: newest first */
    const char *label;
} s_row_t;

static int s_sort(const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    int d = x->rank - y->rank;
    if (!d)
        d = x->created < y->created ? 1 : x->created > y->created ? -1 : 0;
    if (!d)
        d = strcasecmp(x->label, y->label);
    if (!d)
        d = memcmp(x->id, y->id, 32);
    return d;
}

static s_row_t s_row(const entity_t *e, uint64_t now)
{
    s_row_t r = {.e = e, .id = e->entity, .label = query_label(e)};
    if (e->kind == REC_PLACE) {
        r.rank = s_status_rank(query_status(e, now));
    } else if (e->kind == REC_NEED) {
        r.rank = s_status_rank(strcmp(query_status(e, now), "open") == 0 ? "open" : "closed") * 4 +
                 s_urgency_rank(pv_get_str(e->fields, "urgency"));
    } else if (e->kind == REC_BULLETIN) {
        r.created = e->created;
    }
    return r;
}

/* Tests the most selective and cheapest conditions first: most entities
 * fail the area test, and then their other fields are never looked up. */
static bool s_filter(const entity_t *e, const query_t *q)
{
    if (q->area) {
        const char *a = pv_get_str(e->fields, "area");
        if (!a || strcasecmp(a, q->area) != 0)
            return false;
    }
    if (q->category) {
        const char *c = pv_get_str(e->fields, "category");
        const pv_t *cs = pv_map_get(e->fields, e->kind == REC_PLACE ? "kinds" : "categories");
        bool hit = c && strcmp(c, q->category) == 0;
        for (size_t i = 0; !hit && cs && cs->type == PV_ARR && i < cs->u.a.n; i++)
            hit = strcmp(cs->u.a.items[i]->u.s.p, q->category) == 0;
        if (!hit)
            return false;
    }
    if (q->status && strcmp(query_status(e, q->now_ms), q->status) != 0)
        return false;
    if (!q->all && entity_deleted(e))
        return false;
    return true;
}

/* Candidates (by the facts) up to which query_list_rows keeps the rows
 * cached; above, each is merged for the moment only. */
#define QUERY_CACHE_ROWS 4096

/* Whether the facts f leave an entity to be tested on its fields. */
static bool s_candidate(const match_fact_t *f, const query_t *q, uint32_t area, uint32_t cat)
{
    if (f->kind != q->kind || (f->deleted && !q->all) || (area && f->area != area) ||
        (cat && !(f->cats & cat)))
        return false;
    const char *st = q->status ? match_fact_status(f, q->now_ms) : NULL;
    return !st || strcmp(st, q->status) == 0;
}

/* The rows of q, unsorted: *out (allocated) gets them. With keep, their
 * states stay cached (repo_entity_at) and rows point into them; without,
 * they are cached too when the facts leave at most QUERY_CACHE_ROWS
 * candidates, else merged for the moment (repo_entity_peek); each is
 * handed to fn
 * (which may drop it and sets the row's ref), its label copied into
 * *labels, and the rows' label and id pointers are set once all are read. */
static size_t s_rows(repo_t *r, const query_t *q, bool keep, query_row_fn *fn, void *ctx, s_row_t **out,
                     buf_t *labels)
{
    size_t total = repo_entity_count(r), n = 0;
    s_row_t *v = xmalloc((total + 1) * sizeof *v);
    /* the facts rule most entities out without touching their fields;
     * s_filter then decides on the fields of the rest */
    const match_fact_t *fa = match_facts(r, 1u << q->kind);
    uint32_t area = match_hash(q->area);
    uint32_t cat = q->kind == REC_NEED || q->kind == REC_OFFER ? match_cat_bit(q->category) : 0;
    /* a small result is kept cached either way, so that repeating a
     * small query does not merge its rows again; a large one is merged
     * for the moment, row by row */
    bool cache = keep;
    if (!keep) {
        size_t cand = 0;
        for (size_t i = 0; i < total && cand <= QUERY_CACHE_ROWS; i++)
            cand += s_candidate(&fa[i], q, area, cat);
        cache = cand <= QUERY_CACHE_ROWS;
    }
    for (size_t i = 0; i < total; i++) {
        if (!s_candidate(&fa[i], q, area, cat))
            continue;
        const entity_t *e = cache ? repo_entity_at(r, i) : repo_entity_peek(r, i);
        if (!s_filter(e, q))
            continue;
        v[n] = s_row(e, q->now_ms);
        v[n].at = i;
        v[n].id = repo_entity_id(r, i);
        if (!keep) {
            if (fn && !fn(ctx, e, &v[n].at))
                continue;
            const char *l = v[n].label;
            v[n].e = NULL;
            v[n].label = (const char *)(uintptr_t)labels->len; /* an offset until all are read */
            buf_append(labels, l, strlen(l) + 1);
        }
        n++;
    }
    for (size_t i = 0; !keep && i < n; i++)
        v[i].label = (const char *)labels->data + (uintptr_t)v[i].label;
    *out = v;
    return n;
}

size_t query_list(repo_t *r, const query_t *q, const entity_t ***out)
{
    s_row_t *v = NULL;
    size_t n = s_rows(r, q, true, NULL, NULL, &v, NULL);
    qsort(v, n, sizeof *v, s_sort);
    *out = xmalloc((n ? n : 1) * sizeof **out);
    for (size_t i = 0; i < n; i++)
        (*out)[i] = v[i].e;
    free(v);
    return n;
}

size_t query_list_rows(repo_t *r, const query_t *q, query_row_fn *fn, void *ctx, size_t **out)
{
    s_row_t *v = NULL;
    buf_t labels = {0};
    size_t n = s_rows(r, q, false, fn, ctx, &v, &labels);
    qsort(v, n, sizeof *v, s_sort);
    *out = xmalloc((n ? n : 1) * sizeof **out);
    for (size_t i = 0; i < n; i++)
        (*out)[i] = v[i].at;
    free(v);
    buf_free(&labels);
    return n;
}

/* ---------------------------------------------------------------- duplicates */

#define SIMILAR_WORDS 64

/* Splits text into up to SIMILAR_WORDS distinct lower-case words. */
static size_t s_words(const char *text, char words[][48])
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p && n < SIMILAR_WORDS) {
        /* letters and digits (any non-ASCII byte counts as a letter) */
        while (*p && !(isalnum(*p) || *p >= 0x80))
            p++;
        char w[48];
        size_t k = 0;
        while (*p && (isalnum(*p) || *p >= 0x80)) {
            if (k < sizeof w - 1)
                w[k++] = (char)tolower(*p);
            p++;
        }
        w[k] = '\0';
        if (k < 2)
            continue;
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strcmp(words[i], w) == 0;
        if (!dup)
            memcpy(words[n++], w, k + 1);
    }
    return n;
}

bool query_similar(const char *a, const char *b)
{
    char wa[SIMILAR_WORDS][48], wb[SIMILAR_WORDS][48];
    size_t na = s_words(a, wa), nb = s_words(b, wb), both = 0;
    if (na == 0 || nb == 0)
        return false;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (strcmp(wa[i], wb[j]) == 0) {
                both++;
                break;
            }
    size_t any = na + nb - both;
    return both == na || both == nb || both * 10 >= any * 6;
}

const entity_t *query_duplicate_need(repo_t *r, const char *category, const char *area,
                                     const char *summary, uint64_t now_ms)
{
    query_t q = {REC_NEED, area, category, NULL, false, now_ms};
    const entity_t **v = NULL;
    size_t n = query_list(r, &q, &v);
    const entity_t *hit = NULL;
    for (size_t i = 0; i < n && !hit; i++) {
        const char *st = query_status(v[i], now_ms);
        if (strcmp(st, "open") != 0 && strcmp(st, "claimed") != 0)
            continue;
        if (!area && pv_get_str(v[i]->fields, "area"))
            continue;
        const char *s = pv_get_str(v[i]->fields, "summary");
        if (s && query_similar(s, summary))
            hit = v[i];
    }
    free(v);
    return hit;
}
