/*
 * match.c -- scoring and ranking for who-can-help (see match.h).
 *
 * Scores: category via an offer +40, via a place's kind +20; same area +25;
 * all of the need's languages spoken +20, some +10; reaches a group named
 * in the need's summary +15; capacity for everyone +10, for some +5;
 * limited or alternative status -5. Ties break on name so output is stable.
 */
#include "node/match.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Place kinds that usually serve a need category. */
static const struct {
    const char *category;
    const char *kinds;
} s_affinity[] = {
    {"food", "food,religious,community-centre"},
    {"shelter", "religious,community-centre,social-work"},
    {"information", "library,community-centre,migrant-organisation,online"},
    {"contact", "community-centre,religious,residents-group,social-work,migrant-organisation"},
    {"digital", "library,community-centre,school"},
    {"health", "health,social-work"},
    {"money", "social-work,migrant-organisation"},
    {"errands", "residents-group,community-centre,sports"},
    {"childcare", "childcare,school"},
    {"safety", "social-work,community-centre"},
    {"other", "community-centre,social-work"},
};

const char *need_status_now(const entity_t *need, uint64_t now_ms)
{
    const char *st = pv_get_str(need->fields, "status");
    if (st == NULL)
        st = "open";
    int64_t exp = pv_get_int(need->fields, "expires", 0);
    if (exp > 0 && (uint64_t)exp < now_ms && (!strcmp(st, "open") || !strcmp(st, "claimed")))
        return "expired";
    return st;
}

static bool s_has(const pv_t *list, const char *s)
{
    if (list == NULL || list->type != PV_ARR)
        return false;
    for (size_t i = 0; i < list->u.a.n; i++)
        if (list->u.a.items[i]->type == PV_STR && strcmp(list->u.a.items[i]->u.s.p, s) == 0)
            return true;
    return false;
}

/* The first of a place's kinds that usually serves category, or NULL. */
static const char *s_kind_serves(const pv_t *kinds, const char *category)
{
    for (size_t i = 0; i < sizeof s_affinity / sizeof s_affinity[0]; i++) {
        if (strcmp(s_affinity[i].category, category) != 0)
            continue;
        for (size_t k = 0; kinds && kinds->type == PV_ARR && k < kinds->u.a.n; k++) {
            const char *kind = kinds->u.a.items[k]->u.s.p;
            size_t n = strlen(kind);
            const char *hit = strstr(s_affinity[i].kinds, kind);
            if (hit && (hit[n] == ',' || hit[n] == '\0') &&
                (hit == s_affinity[i].kinds || hit[-1] == ','))
                return kind;
        }
    }
    return NULL;
}

static void s_why(match_t *m, const char *fmt, const char *arg)
{
    size_t n = strlen(m->why);
    if (n + 3 >= sizeof m->why)
        return;
    if (n)
        strcat(m->why, "; ");
    n = strlen(m->why);
    snprintf(m->why + n, sizeof m->why - n, fmt, arg);
}

/* Words that say little about who a group is. */
static bool s_generic(const char *w, size_t n)
{
    static const char *const stop[] = {"residents", "people", "with", "from", "their", "group",
                                       "groups", "living", "families", "other", NULL};
    for (int i = 0; stop[i]; i++)
        if (strlen(stop[i]) == n && strncasecmp(stop[i], w, n) == 0)
            return true;
    return false;
}

static bool s_contains(const char *text, const char *w, size_t n)
{
    for (const char *t = text; *t; t++)
        if (strncasecmp(t, w, n) == 0)
            return true;
    return false;
}

/* How well text names group: the number of its significant words (4+
 * letters, not generic) found in text, or 0 unless at least two are found
 * or the group has only one significant word and it is found. */
static int s_mentions(const char *text, const char *group)
{
    int words = 0, found = 0;
    const char *g = group;
    while (*g) {
        while (*g && !isalpha((unsigned char)*g))
            g++;
        const char *w = g;
        while (*g && isalpha((unsigned char)*g))
            g++;
        size_t n = (size_t)(g - w);
        if (n < 4 || s_generic(w, n))
            continue;
        words++;
        found += s_contains(text, w, n);
    }
    return (found >= 2 || (words == 1 && found == 1)) ? found : 0;
}

/* Reach: the group of list best named in the summary (ties: first in
 * byte order, so the answer never depends on record order). */
static const char *s_reach(const pv_t *reaches, const char *summary)
{
    if (reaches == NULL || reaches->type != PV_ARR || summary == NULL)
        return NULL;
    const char *best = NULL;
    int score = 0;
    for (size_t i = 0; i < reaches->u.a.n; i++) {
        if (reaches->u.a.items[i]->type != PV_STR)
            continue;
        const char *gname = reaches->u.a.items[i]->u.s.p;
        int sc = s_mentions(summary, gname);
        if (sc > score || (sc == score && sc > 0 && strcmp(gname, best) < 0)) {
            score = sc;
            best = gname;
        }
    }
    return best;
}

/* Scores everything but the category; fields of the offer (or place) in
 * f, its place (if any) in place, coalition member reaches in extra. */
static void s_score(match_t *m, const entity_t *need, const pv_t *f, const entity_t *place,
                    const pv_t *extra_reaches, uint64_t now_ms)
{
    const pv_t *nf = need->fields;
    const char *area = pv_get_str(nf, "area");
    const char *parea = pv_get_str(f, "area");
    if (!parea && place)
        parea = pv_get_str(place->fields, "area");
    if (area && parea && strcasecmp(area, parea) == 0) {
        m->score += 25;
        s_why(m, "in %s", area);
    } else if (area && parea) {
        s_why(m, "other area (%s)", parea);
    }

    const pv_t *nl = pv_map_get(nf, "langs");
    const pv_t *pl = pv_map_get(f, "langs");
    if (!pl && place)
        pl = pv_map_get(place->fields, "langs");
    if (nl && nl->type == PV_ARR && nl->u.a.n > 0) {
        size_t hit = 0;
        char spoken[64] = "", missing[64] = "";
        for (size_t i = 0; i < nl->u.a.n; i++) {
            const char *l = nl->u.a.items[i]->u.s.p;
            char *dst = s_has(pl, l) ? spoken : missing;
            if (dst == spoken)
                hit++;
            if (strlen(dst) + 4 < 64) {
                if (*dst)
                    strcat(dst, ",");
                strcat(dst, l);
            }
        }
        if (hit == nl->u.a.n) {
            m->score += 20;
            s_why(m, "speaks %s", spoken);
        } else if (hit > 0) {
            m->score += 10;
            s_why(m, "speaks %s", spoken);
            s_why(m, "not %s", missing);
        } else {
            s_why(m, "does not speak %s", missing);
        }
    }

    const char *summary = pv_get_str(nf, "summary");
    const char *g = s_reach(pv_map_get(f, "reaches"), summary);
    if (!g && place)
        g = s_reach(pv_map_get(place->fields, "reaches"), summary);
    if (!g)
        g = s_reach(extra_reaches, summary);
    if (g) {
        m->score += 15;
        s_why(m, "reaches %s", g);
    }

    int64_t people = pv_get_int(nf, "people", 1);
    const pv_t *cap = pv_map_get(f, "capacity");
    if (cap && cap->type == PV_INT) {
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)cap->u.i);
        if (cap->u.i == 0) {
            m->last = true;
            s_why(m, "no capacity left (%s)", num);
        } else if (cap->u.i >= people) {
            m->score += 10;
            s_why(m, "capacity %s", num);
        } else {
            m->score += 5;
            s_why(m, "capacity only %s", num);
        }
    }

    int64_t until = pv_get_int(f, "until", 0);
    if (until > 0 && (uint64_t)until < now_ms) {
        m->last = true;
        s_why(m, "%s", "offer has ended");
    }

    const pv_t *sf = place ? place->fields : f;
    const char *st = pv_get_str(sf, "status");
    if (st && (!strcmp(st, "closed") || !strcmp(st, "overloaded"))) {
        m->last = true;
        const char *note = pv_get_str(sf, "status_note");
        char b[256];
        snprintf(b, sizeof b, "%s%s%s", st, note ? ": " : "", note ? note : "");
        s_why(m, "place is %s", b);
    } else if (st && (!strcmp(st, "limited") || !strcmp(st, "alternative"))) {
        m->score -= 5;
        const char *note = pv_get_str(sf, "status_note");
        char b[256];
        snprintf(b, sizeof b, "%s%s%s", st, note ? ": " : "", note ? note : "");
        s_why(m, "%s", b);
    }
}

static int s_cmp(const void *a, const void *b)
{
    const match_t *x = a, *y = b;
    if (x->last != y->last)
        return x->last ? 1 : -1;
    if (x->score != y->score)
        return y->score - x->score;
    const char *nx = pv_get_str(x->place ? x->place->fields : x->who->fields, "name");
    const char *ny = pv_get_str(y->place ? y->place->fields : y->who->fields, "name");
    int c = strcmp(nx ? nx : "", ny ? ny : "");
    return c ? c : memcmp(x->who->entity, y->who->entity, 32);
}

/* Reaches of all members of a coalition, as one list (owned). */
static pv_t *s_member_reaches(const entity_t *co)
{
    pv_t *all = pv_arr();
    const pv_t *f = co->fields;
    for (size_t i = 0; i < f->u.m.n; i++) {
        if (strncmp(f->u.m.keys[i], "member:", 7) != 0)
            continue;
        const pv_t *r = pv_map_get(f->u.m.vals[i], "reaches");
        for (size_t k = 0; r && r->type == PV_ARR && k < r->u.a.n; k++)
            pv_arr_push(all, pv_dup(r->u.a.items[k]));
    }
    return all;
}

size_t match_need(repo_t *r, const entity_t *need, uint64_t now_ms, match_t **out)
{
    const char *cat = pv_get_str(need->fields, "category");
    size_t n = 0, cap = 16, total = repo_entity_count(r);
    match_t *v = xcalloc(cap, sizeof *v);
    /* Merge everything first: repo_entity_at may re-merge, and pointers into
     * the repo stay valid only while no entity is added. */
    for (size_t i = 0; i < total; i++)
        repo_entity_at(r, i);
    uint8_t *offered = xcalloc(total, 1); /* places that have a fitting offer */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < total; i++) {
            const entity_t *e = repo_entity_at(r, i);
            if (entity_deleted(e))
                continue;
            match_t m = {0};
            pv_t *extra = NULL;
            if (pass == 0 && e->kind == REC_OFFER) {
                if (!cat || !s_has(pv_map_get(e->fields, "categories"), cat))
                    continue;
                m.who = e;
                m.score = 40;
                s_why(&m, "offers %s", cat);
                const char *prov = pv_get_str(e->fields, "provider");
                uint8_t pid[32];
                if (prov && hex_decode(prov, pid, 32) == 0) {
                    const entity_t *p = repo_entity(r, pid);
                    if (p && p->kind == REC_PLACE) {
                        m.place = p;
                        offered[repo_entity_index(r, pid)] = 1;
                    } else if (p && p->kind == REC_COALITION) {
                        extra = s_member_reaches(p);
                    }
                }
            } else if (pass == 1 && e->kind == REC_PLACE && !offered[i]) {
                const char *kind = cat ? s_kind_serves(pv_map_get(e->fields, "kinds"), cat) : NULL;
                if (!kind)
                    continue;
                m.who = e;
                m.score = 20;
                char b[160];
                snprintf(b, sizeof b, "%s, no %s offer yet", kind, cat);
                s_why(&m, "%s", b);
            } else {
                continue;
            }
            s_score(&m, need, m.who->fields, m.place, extra, now_ms);
            pv_free(&extra);
            if (n == cap) {
                cap *= 2;
                v = xrealloc(v, cap * sizeof *v);
            }
            v[n++] = m;
        }
    }
    free(offered);
    qsort(v, n, sizeof *v, s_cmp);
    *out = v;
    return n;
}
