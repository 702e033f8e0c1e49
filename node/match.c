/*
 * match.c -- scoring and ranking for who-can-help, and the entity facts
 * table that lets queries skip what cannot match (see match.h).
 *
 * Scores: category via an offer +40, via a place's kind +20; same area +25;
 * all of the need's languages spoken +20, some +10; reaches a group named
 * in the need's summary +15; capacity for everyone +10, for some +5;
 * limited or alternative status -5. Ties break on name so output is stable.
 *
 * Workload: at 100,000 edits a need has some 9,000 candidates among 40,000
 * offers and places. The facts table rules out the rest without touching
 * their fields; each candidate's fields are then read in one pass over its
 * map, and the ranking sorts small keys, not the matches.
 */
#include "node/match.h"
#include "node/file.h"

#include <sodium.h>

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Place kinds that usually serve a need category (docs/cli.md,
 * who-can-help, has this table). Religious places and migrant
 * organisations are how many communities hear news: they serve
 * information and contact. */
static const struct {
    const char *category;
    const char *kinds;
} s_affinity[] = {
    {"food", "food,religious,community-centre"},
    {"shelter", "religious,community-centre,social-work"},
    {"information", "library,community-centre,migrant-organisation,religious,online"},
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
    return rec_need_status_at(pv_get_str(need->fields, "status"),
                              pv_get_int(need->fields, "expires", 0), now_ms);
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

/* ---------------------------------------------------------------- facts */

/* The one facts table of this process (see match_facts). */
static struct {
    uint64_t serial;    /* repo_serial of the repo whose entities v describes */
    uint32_t epoch;     /* its repo_epoch then (a purge renumbers entities) */
    match_fact_t *v;
    size_t n, cap;      /* entries valid so far, allocated */
} s_facts;

static void s_facts_free(void)
{
    free(s_facts.v);
    memset(&s_facts, 0, sizeof s_facts);
}

uint32_t match_hash(const char *s)
{
    if (s == NULL)
        return 0;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        h ^= (c >= 'A' && c <= 'Z') ? c + 32 : c;
        h *= 16777619u;
    }
    return h ? h : 1;
}

/* Index of s in a NULL-terminated token list: -1 for NULL, -2 when absent. */
static int s_token(const char *const *set, const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = 0; set[i] && i < 100; i++)
        if (strcmp(set[i], s) == 0)
            return i;
    return -2;
}

uint32_t match_cat_bit(const char *category)
{
    int i = s_token(REC_CATEGORIES, category);
    return i >= 0 && i < 32 ? 1u << i : 0;
}

const char *match_fact_status(const match_fact_t *f, uint64_t now_ms)
{
    if (f->status == -2)
        return NULL;
    if (f->kind == REC_NEED) {
        return rec_need_status_at(f->status < 0 ? NULL : REC_NEED_STATUS[f->status], f->expires,
                                  now_ms);
    }
    if (f->kind == REC_PLACE)
        return f->status < 0 ? "" : REC_PLACE_STATUS[f->status];
    return NULL;
}

uint64_t match_lang_bit(const char *code)
{
    return UINT64_C(1) << (match_hash(code) % 63);
}

/* Reads the facts of e (an entity of r) into f; its fields only when read. */
static void s_fact_read(const repo_t *r, match_fact_t *f, const entity_t *e, bool read)
{
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)e->kind;
    f->deleted = entity_deleted(e);
    f->status = -1;
    f->provider = -1;
    f->capacity = -1;
    f->read = read;
    if (!read)
        return;
    const pv_t *fl = e->fields;
    f->area = match_hash(pv_get_str(fl, "area"));
    if (e->kind == REC_OFFER || e->kind == REC_PLACE) {
        const pv_t *ls = pv_map_get(fl, "langs"), *cap = pv_map_get(fl, "capacity");
        for (size_t i = 0; ls && ls->type == PV_ARR && i < ls->u.a.n; i++)
            if (ls->u.a.items[i]->type == PV_STR)
                f->langs |= MATCH_LANGS_SET | match_lang_bit(ls->u.a.items[i]->u.s.p);
        if (cap && cap->type == PV_INT && cap->u.i >= 0 && cap->u.i <= INT32_MAX)
            f->capacity = (int32_t)cap->u.i;
    }
    if (e->kind == REC_NEED) {
        f->cats = match_cat_bit(pv_get_str(fl, "category"));
        f->status = (int8_t)s_token(REC_NEED_STATUS, pv_get_str(fl, "status"));
        f->expires = pv_get_int(fl, "expires", 0);
    } else if (e->kind == REC_OFFER) {
        const char *prov = pv_get_str(fl, "provider");
        uint8_t pid[32];
        long at = prov && hex_decode(prov, pid, 32) == 0 ? repo_entity_index(r, pid) : -1;
        f->provider = at >= 0 && at <= INT32_MAX ? (int32_t)at : -1;
        const pv_t *cs = pv_map_get(fl, "categories");
        for (size_t i = 0; cs && cs->type == PV_ARR && i < cs->u.a.n; i++)
            if (cs->u.a.items[i]->type == PV_STR)
                f->cats |= match_cat_bit(cs->u.a.items[i]->u.s.p);
    } else if (e->kind == REC_PLACE) {
        const pv_t *kinds = pv_map_get(fl, "kinds");
        for (size_t i = 0; i < sizeof s_affinity / sizeof s_affinity[0]; i++)
            if (s_kind_serves(kinds, s_affinity[i].category))
                f->cats |= match_cat_bit(s_affinity[i].category);
        f->status = (int8_t)s_token(REC_PLACE_STATUS, pv_get_str(fl, "status"));
    }
}

/* Fits the table to r (emptied when r is another repo or was purged);
 * the entity count. */
static size_t s_facts_fit(repo_t *r)
{
    size_t total = repo_entity_count(r);
    static bool registered;
    if (!registered)
        registered = atexit(s_facts_free) == 0;
    if (s_facts.serial != repo_serial(r) || s_facts.epoch != repo_epoch(r) || total < s_facts.n)
        s_facts.n = 0;
    s_facts.serial = repo_serial(r);
    s_facts.epoch = repo_epoch(r);
    if (total > s_facts.cap) {
        s_facts.cap = total + total / 4 + 64;
        s_facts.v = xrealloc(s_facts.v, s_facts.cap * sizeof *s_facts.v);
    }
    return total;
}

/* Brings entries [from, to) up to date (those below s_facts.n are kept
 * while their entity's version is unchanged). */
static void s_facts_fill(repo_t *r, unsigned kinds, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        match_fact_t *f = &s_facts.v[i];
        uint64_t ver = repo_entity_version(r, i);
        if (i < s_facts.n && f->ver == ver && (f->read || !((kinds >> f->kind) & 1u)))
            continue;
        const entity_t *e = repo_entity_peek(r, i);
        s_fact_read(r, f, e, (kinds >> e->kind) & 1u);
        f->ver = ver;
    }
}

const match_fact_t *match_facts(repo_t *r, unsigned kinds)
{
    size_t total = s_facts_fit(r);
    s_facts_fill(r, kinds, 0, total);
    s_facts.n = total;
    return s_facts.v;
}

bool match_facts_warm(repo_t *r, unsigned kinds, size_t budget)
{
    size_t total = s_facts_fit(r);
    size_t to = total - s_facts.n > budget ? s_facts.n + budget : total;
    s_facts_fill(r, kinds, s_facts.n, to);
    s_facts.n = to;
    return to == total;
}

/* ---------------------------------------------------------------- facts on disk */

/*
 * File: "BUURTFC1", fingerprint (32 bytes), entity count (u64), then per
 * entity 24 bytes (area u32, cats u32, provider i32, expires i64, status
 * i8, kind u8, deleted u8, read u8; little-endian), then BLAKE2b-256 of
 * everything before it.
 */
#define FACTS_MAGIC "BUURTFC2"
#define FACTS_ENTRY 36
#define FACTS_HEAD (8 + 32 + 8)

static void s_put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t s_get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* How many status tokens entries of kind may index (match_fact_status). */
static int s_tokens(int kind)
{
    const char *const *set = kind == REC_NEED ? REC_NEED_STATUS : kind == REC_PLACE ? REC_PLACE_STATUS : NULL;
    int n = 0;
    while (set && set[n])
        n++;
    return set ? n : 1;
}

/* What the facts of r are a function of (see match.h). */
static void s_fingerprint(const repo_t *r, uint8_t out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)FACTS_MAGIC, 8);
    crypto_generichash_update(&st, repo_key(r)->pk, 32);
    static const uint8_t none[32];
    const uint8_t *mesh = repo_mesh(r);
    crypto_generichash_update(&st, mesh ? mesh : none, 32);
    uint8_t n[8];
    size_t edits = repo_edit_count(r), ents = repo_entity_count(r);
    s_put_le(n, edits, 8);
    crypto_generichash_update(&st, n, 8);
    for (size_t i = 0; i < edits; i++) {
        uint8_t held = repo_is_held(r, i);
        crypto_generichash_update(&st, repo_record_id(r, i), 32);
        crypto_generichash_update(&st, &held, 1);
    }
    s_put_le(n, ents, 8);
    crypto_generichash_update(&st, n, 8);
    for (size_t i = 0; i < ents; i++)
        crypto_generichash_update(&st, repo_entity_id(r, i), 32);
    crypto_generichash_final(&st, out, 32);
}

int match_facts_save(repo_t *r, const char *path, char **cause)
{
    const match_fact_t *fa = match_facts(r, (1u << REC__COUNT) - 1);
    size_t n = repo_entity_count(r);
    size_t len = FACTS_HEAD + n * FACTS_ENTRY + 32;
    uint8_t *b = xmalloc(len), *p = b;
    memcpy(p, FACTS_MAGIC, 8);
    s_fingerprint(r, p + 8);
    s_put_le(p + 40, n, 8);
    p += FACTS_HEAD;
    for (size_t i = 0; i < n; i++, p += FACTS_ENTRY) {
        const match_fact_t *f = &fa[i];
        s_put_le(p, f->area, 4);
        s_put_le(p + 4, f->cats, 4);
        s_put_le(p + 8, (uint32_t)f->provider, 4);
        s_put_le(p + 12, (uint64_t)f->expires, 8);
        p[20] = (uint8_t)f->status;
        p[21] = f->kind;
        p[22] = f->deleted;
        p[23] = f->read;
        s_put_le(p + 24, f->langs, 8);
        s_put_le(p + 32, (uint32_t)f->capacity, 4);
    }
    crypto_generichash(p, 32, b, (size_t)(p - b), NULL, 0);
    int rc = file_write_atomic(path, b, len, 0600, cause);
    free(b);
    return rc;
}

bool match_facts_load(repo_t *r, const char *path)
{
    size_t n = repo_entity_count(r), want = FACTS_HEAD + n * FACTS_ENTRY + 32, len = 0;
    char *raw = NULL;
    if (file_read(path, want + 1, &raw, &len, NULL) < 0)
        return false;
    const uint8_t *b = (const uint8_t *)raw;
    uint8_t fp[32], sum[32];
    bool ok = len == want && memcmp(b, FACTS_MAGIC, 8) == 0 && s_get_le(b + 40, 8) == n;
    if (ok) {
        crypto_generichash(sum, 32, b, len - 32, NULL, 0);
        s_fingerprint(r, fp);
        ok = sodium_memcmp(sum, b + len - 32, 32) == 0 && memcmp(fp, b + 8, 32) == 0;
    }
    if (ok) {
        size_t total = s_facts_fit(r);
        const uint8_t *p = b + FACTS_HEAD;
        for (size_t i = 0; i < total; i++, p += FACTS_ENTRY) {
            match_fact_t *f = &s_facts.v[i];
            memset(f, 0, sizeof *f);
            f->area = (uint32_t)s_get_le(p, 4);
            f->cats = (uint32_t)s_get_le(p + 4, 4);
            f->provider = (int32_t)(uint32_t)s_get_le(p + 8, 4);
            f->expires = (int64_t)s_get_le(p + 12, 8);
            f->status = (int8_t)p[20];
            f->kind = p[21];
            f->deleted = p[22] != 0;
            f->read = p[23] != 0;
            f->langs = s_get_le(p + 24, 8);
            f->capacity = (int32_t)(uint32_t)s_get_le(p + 32, 4);
            f->ver = repo_entity_version(r, i);
            if (f->kind >= REC__COUNT || f->provider < -1 || (int64_t)f->provider >= (int64_t)total ||
                f->capacity < -1 ||
                f->status < -2 || f->status >= s_tokens(f->kind)) {
                ok = false; /* not written by match_facts_save: build as before */
                break;
            }
        }
        s_facts.n = ok ? total : 0;
    }
    free(raw);
    return ok;
}

/* Appends up to room - 1 bytes of s at *at (advanced); keeps it terminated. */
static void s_put(char **at, char *end, const char *s)
{
    size_t n = strlen(s), room = (size_t)(end - *at);
    if (room == 0)
        return;
    if (n >= room)
        n = room - 1;
    memcpy(*at, s, n);
    *at += n;
    **at = '\0';
}

/* A match being scored; its reasons are collected here, then moved into
 * the result's allocation (see match_need). */
typedef struct {
    match_t m;
    size_t len;    /* of why */
    char why[600]; /* "; " separated reasons, at most 599 bytes */
} s_cand_t;

static void s_cand_init(s_cand_t *c, const entity_t *who, int score)
{
    memset(&c->m, 0, sizeof c->m);
    c->m.who = who;
    c->m.score = score;
    c->len = 0;
    c->why[0] = '\0';
}

/* Adds the reason pre + arg + post to c->why ("; " separated); what does
 * not fit is cut, and nothing is added once the text is nearly full. */
static void s_why(s_cand_t *c, const char *pre, const char *arg, const char *post)
{
    if (c->len + 3 >= sizeof c->why)
        return;
    char *at = c->why + c->len, *end = c->why + sizeof c->why;
    if (c->len)
        s_put(&at, end, "; ");
    s_put(&at, end, pre);
    s_put(&at, end, arg);
    s_put(&at, end, post);
    c->len = (size_t)(at - c->why);
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

/* What scoring reads of the need, looked up once per query. */
typedef struct {
    const char *area;
    const pv_t *langs;
    const char *summary;
    int64_t people;
} s_need_t;

/* The fields scoring reads of one offer or place, found in one pass over
 * its map rather than by one binary search each (every probe of a search
 * compares against a key stored elsewhere in memory). */
typedef struct {
    const pv_t *area, *capacity, *kinds, *langs, *name, *provider, *reaches, *status,
        *status_note, *until;
} s_fields_t;

static void s_fields(const pv_t *map, s_fields_t *f)
{
    memset(f, 0, sizeof *f);
    if (map == NULL || map->type != PV_MAP)
        return;
    for (size_t i = 0; i < map->u.m.n; i++) {
        const char *k = map->u.m.keys[i];
        const pv_t **dst = NULL;
        switch (k[0]) {
        case 'a': dst = strcmp(k, "area") ? NULL : &f->area; break;
        case 'c': dst = strcmp(k, "capacity") ? NULL : &f->capacity; break;
        case 'k': dst = strcmp(k, "kinds") ? NULL : &f->kinds; break;
        case 'l': dst = strcmp(k, "langs") ? NULL : &f->langs; break;
        case 'n': dst = strcmp(k, "name") ? NULL : &f->name; break;
        case 'p': dst = strcmp(k, "provider") ? NULL : &f->provider; break;
        case 'r': dst = strcmp(k, "reaches") ? NULL : &f->reaches; break;
        case 's':
            dst = !strcmp(k, "status") ? &f->status : !strcmp(k, "status_note") ? &f->status_note : NULL;
            break;
        case 'u': dst = strcmp(k, "until") ? NULL : &f->until; break;
        }
        if (dst)
            *dst = map->u.m.vals[i];
    }
}

static const char *s_str(const pv_t *v)
{
    return v && v->type == PV_STR ? v->u.s.p : NULL;
}

/* Scores everything but the category; fields of the offer (or place) in
 * f, those of its place (if any) in pf, coalition member reaches in extra. */
static void s_score(s_cand_t *c, const s_need_t *nd, const s_fields_t *f, const s_fields_t *pf,
                    const pv_t *extra_reaches, uint64_t now_ms)
{
    const char *area = nd->area;
    const char *parea = s_str(f->area);
    if (!parea && pf)
        parea = s_str(pf->area);
    if (area && parea && strcasecmp(area, parea) == 0) {
        c->m.score += 25;
        s_why(c, "in ", area, "");
    } else if (area && parea) {
        s_why(c, "other area (", parea, ")");
    }

    const pv_t *nl = nd->langs;
    const pv_t *pl = f->langs;
    if (!pl && pf)
        pl = pf->langs;
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
            c->m.score += 20;
            s_why(c, "speaks ", spoken, "");
        } else if (hit > 0) {
            c->m.score += 10;
            s_why(c, "speaks ", spoken, "");
            s_why(c, "not ", missing, "");
        } else {
            s_why(c, "does not speak ", missing, "");
        }
    }

    const char *summary = nd->summary;
    const char *g = s_reach(f->reaches, summary);
    if (!g && pf)
        g = s_reach(pf->reaches, summary);
    if (!g)
        g = s_reach(extra_reaches, summary);
    if (g) {
        c->m.score += 15;
        s_why(c, "reaches ", g, "");
    }

    int64_t people = nd->people;
    const pv_t *cap = f->capacity;
    if (cap && cap->type == PV_INT) {
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)cap->u.i);
        if (cap->u.i == 0) {
            c->m.last = true;
            s_why(c, "no capacity left (", num, ")");
        } else if (cap->u.i >= people) {
            c->m.score += 10;
            s_why(c, "capacity ", num, "");
        } else {
            c->m.score += 5;
            s_why(c, "capacity only ", num, "");
        }
    }

    int64_t until = f->until && f->until->type == PV_INT ? f->until->u.i : 0;
    if (until > 0 && (uint64_t)until < now_ms) {
        c->m.last = true;
        s_why(c, "", "offer has ended", "");
    }

    const s_fields_t *sf = pf ? pf : f;
    const char *st = s_str(sf->status);
    if (st && (!strcmp(st, "closed") || !strcmp(st, "overloaded"))) {
        c->m.last = true;
        const char *note = s_str(sf->status_note);
        char b[256];
        snprintf(b, sizeof b, "%s%s%s", st, note ? ": " : "", note ? note : "");
        s_why(c, "place is ", b, "");
    } else if (st && (!strcmp(st, "limited") || !strcmp(st, "alternative"))) {
        c->m.score -= 5;
        const char *note = s_str(sf->status_note);
        char b[256];
        snprintf(b, sizeof b, "%s%s%s", st, note ? ": " : "", note ? note : "");
        s_why(c, "", b, "");
    }
}

/* Sort key of a match: what orders matches, read once instead of at
 * every comparison. name points into a copy of all names made while each
 * match's fields were at hand, so comparisons stay within one small block
 * of memory instead of reaching into 9,000 field maps. */
typedef struct {
    int32_t rank;     /* last matches after all others, then higher scores */
    uint32_t at;      /* index into the unsorted matches */
    const char *name; /* the name ("" when unset) */
} s_key_t;

/* Orders by last, score (high first), name (bytes), entity id. */
static int s_cmp(const void *a, const void *b, void *matches)
{
    const s_key_t *x = a, *y = b;
    const match_t *v = matches;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    int c = strcmp(x->name, y->name);
    return c ? c : memcmp(v[x->at].who->entity, v[y->at].who->entity, 32);
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

/* Matches collected so far; their reasons copied into text (whyat[i] is
 * the offset of v[i]'s) and their names into names (nameat[i]). */
typedef struct {
    match_t *v; /* why unset yet */
    size_t *whyat, *nameat;
    size_t n, cap;
    buf_t text, names;
} s_list_t;

/* Appends a scored candidate to l. */
static void s_add(s_list_t *l, const s_cand_t *c)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
        l->whyat = xrealloc(l->whyat, l->cap * sizeof *l->whyat);
        l->nameat = xrealloc(l->nameat, l->cap * sizeof *l->nameat);
    }
    const char *name = c->m.name ? c->m.name : "";
    l->v[l->n] = c->m;
    l->whyat[l->n] = l->text.len;
    buf_append(&l->text, c->why, c->len + 1);
    l->nameat[l->n] = l->names.len;
    buf_append(&l->names, name, strlen(name) + 1);
    l->n++;
}

/* What scoring needs of the need, read once. */
static void s_need_of(const entity_t *need, s_need_t *nd)
{
    const pv_t *nf = need->fields;
    *nd = (s_need_t){pv_get_str(nf, "area"), pv_map_get(nf, "langs"), pv_get_str(nf, "summary"),
                     pv_get_int(nf, "people", 1)};
}

/* The provider of offer i as match_need finds it: the facts' position,
 * else (the provider came after the facts were read) its id looked up;
 * -1 for none. e: the offer's state, merged here when NULL. */
static long s_provider_at(repo_t *r, const match_fact_t *fa, size_t i, const entity_t *e)
{
    long at = fa[i].provider;
    if (at >= 0)
        return at;
    if (!e)
        e = repo_entity_at(r, i);
    const char *prov = e ? pv_get_str(e->fields, "provider") : NULL;
    uint8_t pid[32];
    return prov && hex_decode(prov, pid, 32) == 0 ? repo_entity_index(r, pid) : -1;
}

/* Scores offer i (its provider at position at, -1 for none) into l. */
static void s_take_offer(repo_t *r, size_t i, long at, const s_need_t *nd, const char *cat,
                         uint64_t now_ms, s_list_t *l)
{
    s_cand_t c;
    const entity_t *e = repo_entity_at(r, i);
    s_cand_init(&c, e, 40);
    s_why(&c, "offers ", cat, "");
    pv_t *extra = NULL;
    s_fields_t ef, pf;
    s_fields(e->fields, &ef);
    if (at >= 0) {
        const entity_t *p = repo_entity_at(r, (size_t)at);
        if (p && p->kind == REC_PLACE) {
            c.m.place = p;
            s_fields(p->fields, &pf);
        } else if (p && p->kind == REC_COALITION) {
            extra = s_member_reaches(p);
        }
    }
    s_score(&c, nd, &ef, c.m.place ? &pf : NULL, extra, now_ms);
    c.m.name = s_str(c.m.place ? pf.name : ef.name);
    pv_free(&extra);
    s_add(l, &c);
}

/* Scores place i into l when one of its kinds serves cat; false if none. */
static bool s_take_place(repo_t *r, size_t i, const s_need_t *nd, const char *cat,
                         uint64_t now_ms, s_list_t *l)
{
    s_cand_t c;
    const entity_t *e = repo_entity_at(r, i);
    s_fields_t ef;
    s_fields(e->fields, &ef);
    const char *kind = s_kind_serves(ef.kinds, cat);
    if (!kind)
        return false;
    s_cand_init(&c, e, 20);
    char b[160], *at = b;
    b[0] = '\0';
    s_put(&at, b + sizeof b, kind);
    s_put(&at, b + sizeof b, ", no ");
    s_put(&at, b + sizeof b, cat);
    s_put(&at, b + sizeof b, " offer yet");
    s_why(&c, "", b, "");
    s_score(&c, nd, &ef, NULL, NULL, now_ms);
    c.m.name = s_str(ef.name);
    s_add(l, &c);
    return true;
}

/* Sorts what l collected, best first, into one allocation (*out); frees
 * l. The number of matches. */
static size_t s_finish(s_list_t *l, match_t **out)
{
    size_t n = l->n;
    s_key_t *k = xmalloc((n ? n : 1) * sizeof *k);
    for (size_t i = 0; i < n; i++)
        /* scores are small (tens): one int orders last, then score */
        k[i] = (s_key_t){.rank = (l->v[i].last ? 1 << 20 : 0) - l->v[i].score, .at = (uint32_t)i,
                         .name = (const char *)l->names.data + l->nameat[i]};
    qsort_r(k, n, sizeof *k, s_cmp, l->v);
    match_t *res = xmalloc(n * sizeof *res + l->text.len + 1);
    char *text = (char *)(res + n);
    if (l->text.len)
        memcpy(text, l->text.data, l->text.len);
    for (size_t i = 0; i < n; i++) {
        res[i] = l->v[k[i].at];
        res[i].why = text + l->whyat[k[i].at];
    }
    free(k);
    free(l->v);
    free(l->whyat);
    free(l->nameat);
    buf_free(&l->text);
    buf_free(&l->names);
    *out = res;
    return n;
}

/*
 * Two passes over the entities: offers first (which marks the places that
 * have a fitting offer), then places. The facts table rules out entities
 * of another kind, deleted ones and those without the need's category,
 * so only candidates (a few thousand of 100,000) are read and scored.
 * The result is sorted on small keys and written once, in order, into one
 * allocation with the reasons after the array.
 */
size_t match_need(repo_t *r, const entity_t *need, uint64_t now_ms, match_t **out)
{
    const char *cat = pv_get_str(need->fields, "category");
    size_t total = repo_entity_count(r);
    s_list_t l = {0};
    /* candidates are taken with repo_entity_at: the matches point into
     * their states, which stay cached until the caller's command is done */
    const match_fact_t *fa = cat ? match_facts(r, 1u << REC_OFFER | 1u << REC_PLACE) : NULL;
    uint32_t bit = match_cat_bit(cat); /* 0: unknown category, test fields */
    s_need_t nd;
    s_need_of(need, &nd);
    uint8_t *offered = xcalloc(total + 1, 1); /* places that have a fitting offer */
    for (size_t i = 0; cat && i < total; i++) {
        if (fa[i].kind != REC_OFFER || fa[i].deleted || (bit && !(fa[i].cats & bit)))
            continue;
        const entity_t *e = repo_entity_at(r, i);
        if (!bit && !s_has(pv_map_get(e->fields, "categories"), cat))
            continue;
        long at = s_provider_at(r, fa, i, e);
        if (at >= 0 && repo_entity_kind(r, (size_t)at) == REC_PLACE)
            offered[at] = 1;
        s_take_offer(r, i, at, &nd, cat, now_ms, &l);
    }
    for (size_t i = 0; cat && i < total; i++) {
        if (fa[i].kind != REC_PLACE || fa[i].deleted || offered[i] || (bit && !(fa[i].cats & bit)))
            continue;
        s_take_place(r, i, &nd, cat, now_ms, &l);
    }
    free(offered);
    return s_finish(&l, out);
}

/* A candidate of match_need_top: its position, provider and the most it
 * can score. */
typedef struct {
    uint32_t i;
    int32_t at;     /* an offer's provider, -1: none; INT32_MIN: a place */
    int32_t bound;
} s_bound_t;

static int s_bound_cmp(const void *a, const void *b)
{
    const s_bound_t *x = a, *y = b;
    if (x->bound != y->bound)
        return x->bound > y->bound ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * The most candidate i can score (s_score's bonuses as its facts allow):
 * the category's base, 25 when its area may be the need's, the languages
 * its codes' bits allow, 15 for a reach (not in the facts), the capacity
 * bonus, 5 less for a limited or alternative place. One sure to rank last
 * (no capacity, a closed or overloaded place) gets S_LAST: it can only
 * rank among the first k when fewer than k are not last, and then every
 * candidate is scored anyway. place: an offer's provider place, or -1.
 */
#define S_LAST (INT32_MIN / 2)
static int32_t s_bound(const match_fact_t *fa, size_t i, long place, int base, bool area,
                       const uint64_t *nlang, size_t nl, bool langs_free, int64_t people)
{
    int32_t b = base + (area ? 25 : 0) + 15;
    uint64_t lm = fa[i].langs;
    if (!(lm & MATCH_LANGS_SET) && place >= 0)
        lm = fa[place].langs;
    if (langs_free) {
        b += 20;
    } else if (nl > 0 && (lm & MATCH_LANGS_SET)) {
        size_t hit = 0;
        for (size_t j = 0; j < nl; j++)
            hit += (lm & nlang[j]) != 0;
        b += hit == nl ? 20 : hit > 0 ? 10 : 0;
    }
    int32_t cap = fa[i].capacity;
    if (cap == 0)
        return S_LAST;
    if (cap > 0)
        b += cap >= people ? 10 : 5;
    int8_t st = place >= 0 ? fa[place].status : fa[i].kind == REC_PLACE ? fa[i].status : -1;
    const char *sn = st >= 0 ? REC_PLACE_STATUS[st] : NULL;
    if (sn && (!strcmp(sn, "closed") || !strcmp(sn, "overloaded")))
        return S_LAST;
    if (sn && (!strcmp(sn, "limited") || !strcmp(sn, "alternative")))
        b -= 5;
    return b;
}

/* Keeps the k highest scores seen (a min-heap): h[0] is the k-th. */
static void s_heap_push(int *h, size_t *n, size_t k, int v)
{
    if (*n < k) {
        size_t i = (*n)++;
        h[i] = v;
        while (i > 0 && h[(i - 1) / 2] > h[i]) {
            int t = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
        return;
    }
    if (v <= h[0])
        return;
    h[0] = v;
    for (size_t i = 0;;) {
        size_t m = i, a = 2 * i + 1, b = a + 1;
        if (a < k && h[a] < h[m])
            m = a;
        if (b < k && h[b] < h[m])
            m = b;
        if (m == i)
            break;
        int t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/*
 * The first k of match_need's ranking, merging few candidates: each
 * candidate's best possible score comes from the facts table (its
 * category, whether its area can be the need's, and every other bonus
 * granted), candidates are scored exactly in order of that bound, and the
 * scoring stops once k of them are not "last" and the k-th best score is
 * above the next bound: nothing unscored can rank among the first k.
 */
size_t match_need_top(repo_t *r, const entity_t *need, uint64_t now_ms, size_t k, match_t **out,
                      size_t *count)
{
    const char *cat = pv_get_str(need->fields, "category");
    uint32_t bit = match_cat_bit(cat);
    if (!cat || !bit || k == 0) { /* an unknown category is read from the fields */
        size_t n = match_need(r, need, now_ms, out);
        *count = n;
        return n;
    }
    size_t total = repo_entity_count(r);
    const match_fact_t *fa = match_facts(r, 1u << REC_OFFER | 1u << REC_PLACE);
    s_need_t nd;
    s_need_of(need, &nd);
    uint32_t narea = nd.area ? match_hash(nd.area) : 0;
    /* the need's languages as facts bits (a need names at most 16) */
    uint64_t nlang[16];
    size_t nl = 0;
    bool langs_free = nd.langs && nd.langs->type == PV_ARR && nd.langs->u.a.n > 16;
    for (size_t i = 0; !langs_free && nd.langs && nd.langs->type == PV_ARR && i < nd.langs->u.a.n; i++)
        nlang[nl++] = match_lang_bit(nd.langs->u.a.items[i]->u.s.p);
    uint8_t *offered = xcalloc(total + 1, 1);
    s_bound_t *c = NULL;
    size_t nc = 0, cap = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < total; i++) {
            if (fa[i].kind != (pass ? REC_PLACE : REC_OFFER) || fa[i].deleted || !(fa[i].cats & bit))
                continue;
            if (pass && offered[i])
                continue;
            long at = pass ? -1 : s_provider_at(r, fa, i, NULL);
            uint32_t area = fa[i].area;
            if (!pass && at >= 0 && repo_entity_kind(r, (size_t)at) == REC_PLACE) {
                offered[at] = 1;
                if (!area)
                    area = fa[at].area;
            }
            if (nc == cap) {
                cap = cap ? cap * 2 : 1024;
                c = xrealloc(c, cap * sizeof *c);
            }
            bool place = !pass && at >= 0 && repo_entity_kind(r, (size_t)at) == REC_PLACE;
            c[nc++] = (s_bound_t){(uint32_t)i, pass ? INT32_MIN : (int32_t)at,
                                  s_bound(fa, i, place ? at : -1, pass ? 20 : 40,
                                          narea && area == narea, nlang, nl, langs_free,
                                          nd.people)};
        }
    }
    free(offered);
    *count = nc;
    if (k >= nc) { /* everything is shown: nothing to save */
        free(c);
        return match_need(r, need, now_ms, out);
    }
    qsort(c, nc, sizeof *c, s_bound_cmp);
    s_list_t l = {0};
    int *heap = xmalloc(k * sizeof *heap);
    size_t nh = 0;
    for (size_t j = 0; j < nc; j++) {
        if (nh == k && heap[0] > c[j].bound)
            break; /* k are sure to rank before every one left */
        size_t before = l.n;
        if (c[j].at == INT32_MIN)
            s_take_place(r, c[j].i, &nd, cat, now_ms, &l);
        else
            s_take_offer(r, c[j].i, c[j].at, &nd, cat, now_ms, &l);
        if (l.n > before && !l.v[l.n - 1].last)
            s_heap_push(heap, &nh, k, l.v[l.n - 1].score);
    }
    free(heap);
    free(c);
    return s_finish(&l, out);
}
