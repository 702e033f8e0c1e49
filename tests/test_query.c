/*
 * test_query.c -- behaviour tests for node/query.c: the filters and the
 * order of listings.
 */
#include "node/home.h"
#include "node/setup.h"
#include "node/match.h"
#include "node/query.h"
#include "proto/err.h"
#include "tests/lib/fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char s_root[64];
static repo_t *s_r;

static void s_setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    strcpy(s_root, "/tmp/buurt-test-query-XXXXXX");
    cr_assert_not_null(mkdtemp(s_root));
    char *home = xasprintf("%s/h", s_root), *cause = NULL;
    cr_assert_eq(home_init(home, "h", NULL, &cause), 0, "%s", cause ? cause : "");
    cr_assert_eq(repo_open(home, &s_r, &cause), 0, "%s", cause ? cause : "");
    free(home);
}

static void s_teardown(void)
{
    repo_close(&s_r);
    fx_rm_tree(s_root);
}

TestSuite(query, .init = s_setup, .fini = s_teardown);

static void s_place(const char *name, const char *area, const char *status, bool deleted)
{
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str(name));
    pv_map_set(f, "kinds", fx_list1("library"));
    pv_map_set(f, "area", pv_str(area));
    if (status)
        pv_map_set(f, "status", pv_str(status));
    uint8_t id[32];
    cr_assert_eq(repo_edit(s_r, REC_PLACE, NULL, f, id, NULL), 0);
    pv_free(&f);
    if (deleted) {
        f = pv_map();
        pv_map_set(f, "deleted", pv_bool(true));
        cr_assert_eq(repo_edit(s_r, REC_PLACE, id, f, NULL, NULL), 0);
        pv_free(&f);
    }
}

static void s_need(const char *summary, const char *urgency, int64_t expires)
{
    pv_t *f = pv_map();
    pv_map_set(f, "category", pv_str("food"));
    pv_map_set(f, "summary", pv_str(summary));
    pv_map_set(f, "urgency", pv_str(urgency));
    pv_map_set(f, "status", pv_str("open"));
    pv_map_set(f, "expires", pv_int(expires));
    cr_assert_eq(repo_edit(s_r, REC_NEED, NULL, f, NULL, NULL), 0);
    pv_free(&f);
}

static const char *s_names(const entity_t **v, size_t n)
{
    static char out[512];
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(out, i ? "," : "");
        strcat(out, query_label(v[i]));
    }
    return out;
}

Test(query, places_sort_by_status_then_name_and_filter_case_insensitively)
{
    s_place("Bieb", "Zuid", "closed", false);
    s_place("Anker", "zuid", "open", false);
    s_place("Centrum", "Noord", "open", false);
    s_place("Dok", "Zuid", "limited", false);
    s_place("Weg", "Zuid", "open", true);
    const entity_t **v;
    query_t q = {.kind = REC_PLACE, .now_ms = repo_wall_ms()};
    size_t n = query_list(s_r, &q, &v);
    cr_assert_str_eq(s_names(v, n), "Anker,Centrum,Dok,Bieb", "deleted ones are left out");
    free(v);
    q.area = "ZUID";
    n = query_list(s_r, &q, &v);
    cr_assert_str_eq(s_names(v, n), "Anker,Dok,Bieb");
    free(v);
    q.status = "open";
    q.all = true;
    n = query_list(s_r, &q, &v);
    cr_assert_str_eq(s_names(v, n), "Anker,Weg", "--all includes deleted ones");
    free(v);
}

Test(query, needs_open_first_by_urgency_and_expired_ones_by_status)
{
    uint64_t now = repo_wall_ms();
    s_need("bread", "low", (int64_t)now + 86400000);
    s_need("soup", "critical", (int64_t)now + 86400000);
    s_need("old", "critical", (int64_t)now - 1000);
    s_need("tea", "normal", (int64_t)now + 86400000);
    const entity_t **v;
    query_t q = {.kind = REC_NEED, .now_ms = now};
    size_t n = query_list(s_r, &q, &v);
    cr_assert_str_eq(s_names(v, n), "soup,tea,bread,old", "open by urgency, the expired one last");
    free(v);
    q.status = "expired";
    n = query_list(s_r, &q, &v);
    cr_assert_str_eq(s_names(v, n), "old");
    free(v);
    q.status = "open";
    q.now_ms = now + 2 * 86400000ULL; /* two days later all have expired */
    n = query_list(s_r, &q, &v);
    cr_assert_eq(n, 0);
    free(v);
}

/* One need, one record: near-identical summaries, both ways. */
Test(query, similar_summaries_table)
{
    static const struct {
        const char *a, *b;
        bool similar;
    } cases[] = {
        {"Meals for 4 households in Feijenoord", "meals for four households, Feijenoord", true},
        {"groceries for 3 households", "Groceries for 3 households!", true},
        {"warm meals", "warm meals for the elderly on the third floor", true}, /* one holds the other */
        {"ምግቢ ንስድራቤታት", "ምግቢ ንስድራቤታት ኣብ ፈይኖርድ", true},                  /* Tigrinya words */
        {"baby food and nappies", "Meals for 4 households", false},
        {"someone to explain the water advice", "someone to fix a bicycle", false},
        {"a", "a", false}, /* no word of two characters: nothing to compare */
        {"", "meals", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(query_similar(cases[i].a, cases[i].b), cases[i].similar, "case %zu: \"%s\" vs \"%s\"", i,
                     cases[i].a, cases[i].b);
}

Test(query, duplicate_need_same_category_and_area_open_only)
{
    s_need("Meals for 4 households", "normal", INT64_C(253402300799000));
    uint64_t now = 1;
    cr_assert_not_null(query_duplicate_need(s_r, "food", NULL, "meals for 4 households!", now));
    cr_assert_null(query_duplicate_need(s_r, "shelter", NULL, "meals for 4 households", now),
                   "another category is another need");
    cr_assert_null(query_duplicate_need(s_r, "food", "Charlois", "meals for 4 households", now),
                   "another area is another need");
    cr_assert_null(query_duplicate_need(s_r, "food", NULL, "two beds for a night", now));
}

/* query_list_rows: the rows of query_list in its order, as positions
 * (or the refs fn sets), without them staying merged; fn can drop rows. */
static bool s_drop_dok(void *ctx, const entity_t *e, size_t *ref)
{
    (*(int *)ctx)++;
    *ref += 1000;
    return strcmp(query_label(e), "Dok") != 0;
}

Test(query, list_rows_gives_query_lists_order_as_positions_and_lets_fn_drop_rows)
{
    s_place("Bieb", "Zuid", "closed", false);
    s_place("Anker", "zuid", "open", false);
    s_place("Centrum", "Noord", "open", false);
    s_place("Dok", "Zuid", "limited", false);
    s_place("Weg", "Zuid", "open", true);
    query_t q = {.kind = REC_PLACE, .now_ms = repo_wall_ms(), .all = true};
    const entity_t **v;
    size_t n = query_list(s_r, &q, &v);
    size_t *at;
    size_t m = query_list_rows(s_r, &q, NULL, NULL, &at);
    cr_assert_eq(m, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(memcmp(repo_entity_id(s_r, at[i]), v[i]->entity, 32), 0, "row %zu", i);
    free(at);
    int calls = 0;
    m = query_list_rows(s_r, &q, s_drop_dok, &calls, &at);
    cr_assert_eq(calls, 5);
    cr_assert_eq(m, 4);
    for (size_t i = 0, k = 0; i < n; i++) {
        if (strcmp(query_label(v[i]), "Dok") == 0)
            continue;
        cr_assert_eq(memcmp(repo_entity_id(s_r, at[k] - 1000), v[i]->entity, 32), 0, "row %zu", k);
        k++;
    }
    free(at);
    free(v);
}

/* facts.cache: loaded only for the very repo it was saved from. */
Test(query, saved_facts_load_for_the_same_repo_only)
{
    s_place("Anker", "Zuid", "open", false);
    s_need("soup", "critical", 0);
    char *path = xasprintf("%s/facts", s_root), *cause = NULL;
    const match_fact_t *fa = match_facts(s_r, (1u << REC__COUNT) - 1);
    size_t n = repo_entity_count(s_r);
    match_fact_t *before = xmalloc(n * sizeof *before);
    memcpy(before, fa, n * sizeof *before);
    cr_assert_eq(match_facts_save(s_r, path, &cause), 0, "%s", cause ? cause : "");
    /* another process: a fresh repo on the same home */
    char *home = xasprintf("%s/h", s_root);
    repo_close(&s_r);
    cr_assert_eq(repo_open(home, &s_r, &cause), 0);
    cr_assert(match_facts_load(s_r, path), "the same store: loaded");
    fa = match_facts(s_r, (1u << REC__COUNT) - 1);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(fa[i].kind, before[i].kind);
        cr_assert_eq(fa[i].area, before[i].area);
        cr_assert_eq(fa[i].cats, before[i].cats);
        cr_assert_eq(fa[i].status, before[i].status);
        cr_assert_eq(fa[i].deleted, before[i].deleted);
    }
    s_place("Bieb", "Noord", "closed", false);
    cr_assert_not(match_facts_load(s_r, path), "a new edit: the saved facts are stale");
    cr_assert_eq(match_facts_save(s_r, path, &cause), 0);
    cr_assert(match_facts_load(s_r, path));
    FILE *f = fopen(path, "r+b");
    fseek(f, 60, SEEK_SET);
    fputc(0x7f, f);
    fclose(f);
    cr_assert_not(match_facts_load(s_r, path), "a damaged file is not loaded");
    cr_assert_not(match_facts_load(s_r, "/nonexistent/facts"));
    free(before);
    free(home);
    free(path);
}

/* ---- who-can-help: the first k without scoring everything ------------ */

static uint32_t s_rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static pv_t *s_some(uint32_t *x, const char *const *from, size_t n, size_t most)
{
    pv_t *l = pv_arr();
    size_t k = 1 + s_rnd(x) % most, first = s_rnd(x) % n;
    for (size_t i = 0; i < k && i < n; i++)
        pv_arr_push(l, pv_str(from[(first + i) % n]));
    return l;
}

/* Random places, coalitions and offers (areas in mixed case, missing and
 * unknown providers, full and empty capacity, ended offers, closed and
 * limited places, reaches), then for needs of every category: the first k
 * of match_need_top are match_need's first k, for every k, and the count
 * is the same. */
Test(query, who_can_help_top_k_is_the_full_ranking_cut)
{
    static const char *const areas[] = {"Noord", "noord", "Zuid", "Oost", "West", "Centrum"};
    static const char *const kinds[] = {"food", "religious", "community-centre", "library",
                                        "health", "social-work", "school", "residents-group"};
    static const char *const langs[] = {"nl", "en", "tr", "ar", "pl"};
    static const char *const cats[] = {"food", "shelter", "information", "contact", "digital",
                                       "health"};
    static const char *const groups[] = {"elderly", "students", "newcomers", "families"};
    static const char *const status[] = {"open", "limited", "closed", "overloaded", "alternative"};
    uint32_t x = 12345;
    uint8_t ids[60][32], co[32];
    for (int i = 0; i < 60; i++) {
        pv_t *f = pv_map();
        char name[32];
        snprintf(name, sizeof name, "Place %02d", (int)(s_rnd(&x) % 40)); /* names repeat */
        pv_map_set(f, "name", pv_str(name));
        pv_map_set(f, "kinds", s_some(&x, kinds, 8, 2));
        if (s_rnd(&x) % 5)
            pv_map_set(f, "area", pv_str(areas[s_rnd(&x) % 6]));
        if (s_rnd(&x) % 2)
            pv_map_set(f, "langs", s_some(&x, langs, 5, 3));
        if (s_rnd(&x) % 3 == 0)
            pv_map_set(f, "status", pv_str(status[s_rnd(&x) % 5]));
        if (s_rnd(&x) % 3 == 0)
            pv_map_set(f, "capacity", pv_int(s_rnd(&x) % 4));
        if (s_rnd(&x) % 3 == 0)
            pv_map_set(f, "reaches", s_some(&x, groups, 4, 2));
        cr_assert_eq(repo_edit(s_r, REC_PLACE, NULL, f, ids[i], NULL), 0);
        pv_free(&f);
    }
    pv_t *f = pv_map(), *m = pv_map();
    char hex[65], key[80];
    pv_map_set(f, "name", pv_str("Coalitie"));
    hex_encode(ids[0], 32, hex);
    snprintf(key, sizeof key, "member:%s", hex);
    pv_map_set(m, "role", pv_str(REC_ROLES[0]));
    pv_map_set(m, "reaches", fx_list1("newcomers"));
    pv_map_set(f, key, m);
    cr_assert_eq(repo_edit(s_r, REC_COALITION, NULL, f, co, NULL), 0);
    pv_free(&f);
    for (int i = 0; i < 150; i++) {
        f = pv_map();
        uint32_t p = s_rnd(&x) % 64;
        uint8_t unknown[32] = {1, 2, 3};
        hex_encode(p < 60 ? ids[p] : p < 62 ? co : unknown, 32, hex);
        pv_map_set(f, "provider", pv_str(hex));
        pv_map_set(f, "categories", s_some(&x, cats, 6, 2));
        if (s_rnd(&x) % 2)
            pv_map_set(f, "area", pv_str(areas[s_rnd(&x) % 6]));
        if (s_rnd(&x) % 2)
            pv_map_set(f, "langs", s_some(&x, langs, 5, 3));
        if (s_rnd(&x) % 2)
            pv_map_set(f, "capacity", pv_int(s_rnd(&x) % 6));
        if (s_rnd(&x) % 6 == 0)
            pv_map_set(f, "until", pv_int(s_rnd(&x) % 2 ? INT64_C(1000) : INT64_C(253402300000000)));
        cr_assert_eq(repo_edit(s_r, REC_OFFER, NULL, f, NULL, NULL), 0);
        pv_free(&f);
    }
    for (int n = 0; n < 12; n++) {
        f = pv_map();
        pv_map_set(f, "category", pv_str(cats[n % 6]));
        pv_map_set(f, "summary", pv_str(n % 3 ? "groceries for elderly neighbours" : "a meal"));
        if (n % 4)
            pv_map_set(f, "area", pv_str(areas[s_rnd(&x) % 6]));
        if (n % 2)
            pv_map_set(f, "langs", s_some(&x, langs, 5, 2));
        pv_map_set(f, "people", pv_int(1 + s_rnd(&x) % 4));
        uint8_t nid[32];
        cr_assert_eq(repo_edit(s_r, REC_NEED, NULL, f, nid, NULL), 0);
        pv_free(&f);
        const entity_t *need = repo_entity(s_r, nid);
        match_t *all = NULL;
        size_t total = match_need(s_r, need, 1800000000000ULL, &all);
        cr_assert_gt(total, 3, "need %d: too few matches to test", n);
        for (size_t k = 1; k <= total + 1; k++) {
            match_t *top = NULL;
            size_t count = 0;
            size_t got = match_need_top(s_r, need, 1800000000000ULL, k, &top, &count);
            cr_assert_eq(count, total, "need %d, k %zu: count", n, k);
            size_t want = k < total ? k : total;
            cr_assert_geq(got, want);
            for (size_t i = 0; i < want; i++) {
                cr_assert(top[i].who == all[i].who && top[i].score == all[i].score &&
                              top[i].last == all[i].last && strcmp(top[i].why, all[i].why) == 0,
                          "need %d, k %zu: match %zu differs (%d %s / %d %s)", n, k, i, top[i].score,
                          top[i].why, all[i].score, all[i].why);
            }
            free(top);
        }
        free(all);
    }
}
