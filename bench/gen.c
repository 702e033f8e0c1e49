/*
 * bench/gen.c -- fills an initialised home with N realistic signed edits
 * through repo_open + repo_edit (so each edit is signed and stored exactly
 * as the CLI would): about 15% places, 45% needs, 25% offers created, and
 * 15% later edits of existing ones (place status changes, needs claimed or
 * done, offer capacity updates). Field text is drawn from a seeded PRNG;
 * entity ids come from repo_edit (bound to their creating edit).
 * Usage: gen HOME N [SEED]
 * Prints one JSON object: edits stored, seconds, an open need id and its
 * area (for the query benchmarks).
 */
#include "node/repo.h"
#include "proto/err.h"
#include "proto/util.h"
#include "proto/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t st;
static uint64_t rnd(void)
{
    uint64_t z = (st += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
#define PICK(arr) (arr[rnd() % (sizeof arr / sizeof arr[0])])

static const char *AREAS[] = {"Feijenoord", "Afrikaanderwijk", "Hillesluis", "Bloemhof",
                              "Katendrecht", "Charlois", "Tarwewijk", "Carnisse",
                              "Vreewijk", "Kop van Zuid", "Noordereiland", "Lombardijen"};
static const char *PKINDS[] = {"community-centre", "library", "school", "religious", "sports",
                               "food", "health", "social-work", "residents-group",
                               "migrant-organisation"};
static const char *CATS[] = {"food", "shelter", "information", "contact", "digital", "health",
                             "money", "errands", "childcare", "safety", "other"};
static const char *LANGS[] = {"nl", "en", "ar", "tr", "pl", "so", "ti", "uk", "pap", "es"};
static const char *PSTATUS[] = {"open", "limited", "alternative", "closed", "overloaded"};
static const char *URG[] = {"low", "normal", "high", "critical"};
static const char *WORDS[] = {"boodschappen", "voor", "twee", "gezinnen", "in", "de", "buurt",
                              "warme", "maaltijd", "dekens", "uitleg", "brief", "gemeente",
                              "oppas", "na", "school", "opladen", "telefoon", "vervoer",
                              "naar", "huisarts", "medicijnen", "ophalen", "vertaling",
                              "Arabisch", "Turks", "water", "stroom", "uitval", "zonder",
                              "lift", "ouderen", "kinderen", "spreekuur", "hulp", "bij"};
static const char *STREETS[] = {"Beijerlandselaan", "Putselaan", "Groene Hilledijk",
                                "Pretorialaan", "Afrikaanderplein", "Rosestraat",
                                "Dordtselaan", "Slinge", "Wolphaertsbocht"};

static void text(char *out, size_t min, size_t max)
{
    size_t want = min + rnd() % (max - min + 1), n = 0;
    out[0] = 0;
    while (n < want) {
        const char *w = PICK(WORDS);
        size_t l = strlen(w);
        if (n + l + 1 > max)
            break;
        if (n)
            out[n++] = ' ';
        memcpy(out + n, w, l + 1);
        n += l;
    }
}

static pv_t *langs(void)
{
    pv_t *a = pv_arr();
    int k = 1 + rnd() % 3, used = 0;
    for (int i = 0; i < k; i++) {
        int j = rnd() % 10;
        if (j == 8) /* "pap" is not ISO 639-1 two-letter */
            j = 0;
        if (used & (1 << j))
            continue;
        used |= 1 << j;
        pv_arr_push(a, pv_str(LANGS[j]));
    }
    return a;
}

static pv_t *tokens(const char **set, size_t nset, int maxk)
{
    pv_t *a = pv_arr();
    int k = 1 + rnd() % maxk;
    unsigned used = 0;
    for (int i = 0; i < k; i++) {
        size_t j = rnd() % nset;
        if (used & (1u << j))
            continue;
        used |= 1u << j;
        pv_arr_push(a, pv_str(set[j]));
    }
    return a;
}

typedef struct {
    uint8_t (*ids)[32];
    size_t n, cap;
} ids_t;
static void ids_push(ids_t *v, const uint8_t id[32])
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 1024;
        v->ids = realloc(v->ids, v->cap * 32);
    }
    memcpy(v->ids[v->n++], id, 32);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen HOME N [SEED]\n");
        return 2;
    }
    size_t n = strtoull(argv[2], NULL, 10);
    st = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    repo_t *r = NULL;
    char *cause = NULL;
    if (repo_open(argv[1], &r, &cause) != 0) {
        fprintf(stderr, "gen: %s\n", cause ? cause : "repo_open failed");
        return 1;
    }
    ids_t places = {0}, needs = {0}, offers = {0};
    char buf[512], hex[65], qneed[65] = "", qarea[81] = "";
    size_t bytes0 = 0;
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        unsigned roll = rnd() % 100;
        pv_t *f = pv_map();
        rec_kind_t kind;
        const uint8_t *ent = NULL;
        if (places.n == 0 || roll < 15) {
            kind = REC_PLACE;
            snprintf(buf, sizeof buf, "%s %s", PICK(PKINDS), PICK(STREETS));
            pv_map_set(f, "name", pv_str(buf));
            pv_map_set(f, "kinds", tokens(PKINDS, 10, 2));
            snprintf(buf, sizeof buf, "%s %d", PICK(STREETS), (int)(1 + rnd() % 300));
            pv_map_set(f, "address", pv_str(buf));
            pv_map_set(f, "area", pv_str(PICK(AREAS)));
            pv_map_set(f, "lat", pv_int(51880000 + (int64_t)(rnd() % 30000)));
            pv_map_set(f, "lon", pv_int(4480000 + (int64_t)(rnd() % 60000)));
            pv_map_set(f, "langs", langs());
            pv_map_set(f, "hours", pv_str("ma-vr 9-17, za 10-14"));
            pv_map_set(f, "status", pv_str(PICK(PSTATUS)));
        } else if (roll < 60) {
            kind = REC_NEED;
            const char *area = PICK(AREAS);
            pv_map_set(f, "category", pv_str(PICK(CATS)));
            text(buf, 40, 200);
            pv_map_set(f, "summary", pv_str(buf));
            pv_map_set(f, "area", pv_str(area));
            pv_map_set(f, "langs", langs());
            pv_map_set(f, "urgency", pv_str(PICK(URG)));
            pv_map_set(f, "people", pv_int(1 + (int64_t)(rnd() % 12)));
            pv_map_set(f, "status", pv_str("open"));
            snprintf(qarea, sizeof qarea, "%s", area);
        } else if (roll < 85) {
            kind = REC_OFFER;
            hex_encode(places.ids[rnd() % places.n], 32, hex);
            pv_map_set(f, "provider", pv_str(hex));
            pv_map_set(f, "categories", tokens(CATS, 11, 3));
            pv_map_set(f, "area", pv_str(PICK(AREAS)));
            pv_map_set(f, "langs", langs());
            pv_map_set(f, "capacity", pv_int((int64_t)(rnd() % 50)));
            text(buf, 20, 120);
            pv_map_set(f, "note", pv_str(buf));
        } else if (roll < 92 || needs.n == 0) {
            kind = REC_PLACE; /* status change */
            ent = places.ids[rnd() % places.n];
            pv_map_set(f, "status", pv_str(PICK(PSTATUS)));
            text(buf, 10, 80);
            pv_map_set(f, "status_note", pv_str(buf));
        } else if (roll < 97 || offers.n == 0) {
            kind = REC_NEED; /* claimed or done */
            ent = needs.ids[rnd() % needs.n];
            if (offers.n && rnd() % 2) {
                pv_map_set(f, "status", pv_str("claimed"));
                hex_encode(offers.ids[rnd() % offers.n], 32, hex);
                pv_map_set(f, "claimed_by", pv_str(hex));
            } else {
                pv_map_set(f, "status", pv_str("done"));
            }
        } else {
            kind = REC_OFFER;
            ent = offers.ids[rnd() % offers.n];
            pv_map_set(f, "capacity", pv_int((int64_t)(rnd() % 50)));
        }
        uint8_t id[32];
        int rc = repo_edit(r, kind, ent, f, id, &cause);
        pv_free(&f);
        if (rc != 0) {
            fprintf(stderr, "gen: edit %zu (%d): %s\n", i, (int)kind, cause ? cause : "?");
            return 1;
        }
        if (!ent) {
            ids_push(kind == REC_PLACE ? &places : kind == REC_NEED ? &needs : &offers, id);
            if (kind == REC_NEED)
                hex_encode(id, 32, qneed);
        }
    }
    double secs = now_s() - t0;
    size_t cnt = repo_edit_count(r);
    for (size_t i = 0; i < cnt; i++) {
        bytes0 += repo_record_len(r, i);
    }
    printf("{\"generated\":%zu,\"edits\":%zu,\"wire_bytes\":%zu,\"avg_edit_bytes\":%.0f,"
           "\"places\":%zu,\"needs\":%zu,\"offers\":%zu,\"seconds\":%.2f,"
           "\"need\":\"%s\",\"area\":\"%s\"}\n",
           n, cnt, bytes0, cnt ? (double)bytes0 / cnt : 0, places.n, needs.n, offers.n, secs,
           qneed, qarea);
    repo_close(&r);
    free(places.ids);
    free(needs.ids);
    free(offers.ids);
    return 0;
}
