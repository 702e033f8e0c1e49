/*
 * interop.c -- the shared tables and text helpers of interop.h. The word
 * tables are small and read with a linear, case-insensitive scan; they are
 * documented, row for row, in docs/interop.md.
 */
#include "cli/interop.h"

#include "proto/record.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static void s_uuid_shape(const uint8_t h[16], char out[37])
{
    uint8_t u[16];
    memcpy(u, h, 16);
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x80); /* version 8: custom (RFC 9562 §5.8) */
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* variant 10 */
    char hex[33];
    hex_encode(u, 16, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

void io_uuid(const uint8_t id[32], const char *table, char out[37])
{
    uint8_t h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)"buurt-hsds-v1", 13);
    crypto_generichash_update(&st, (const uint8_t *)table, strlen(table) + 1);
    crypto_generichash_update(&st, id, 32);
    crypto_generichash_final(&st, h, sizeof h);
    s_uuid_shape(h, out);
}

void io_uuid_name(const char *name, char out[37])
{
    uint8_t h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)"buurt-hsds-name-v1", 18);
    crypto_generichash_update(&st, (const uint8_t *)name, strlen(name));
    crypto_generichash_final(&st, h, sizeof h);
    s_uuid_shape(h, out);
}

void io_time(uint64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char s[32];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03uZ", s, (unsigned)(ms % 1000));
}

void io_date(uint64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d", &tm);
}

int64_t io_parse_time(const char *s)
{
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%d", &tm);
    int64_t frac = 0;
    if (rest == NULL)
        return -1;
    if (*rest == 'T' || *rest == ' ') {
        const char *r2 = strptime(rest + 1, "%H:%M:%S", &tm);
        if (r2 == NULL)
            r2 = strptime(rest + 1, "%H:%M", &tm);
        if (r2 == NULL)
            return -1;
        rest = r2;
        if (*rest == '.') {
            int64_t scale = 100;
            for (rest++; isdigit((unsigned char)*rest); rest++, scale /= 10)
                frac += (*rest - '0') * scale;
        }
        if (*rest == 'Z')
            rest++;
    }
    if (*rest != '\0')
        return -1;
    time_t t = timegm(&tm);
    return t < 0 ? -1 : (int64_t)t * 1000 + frac;
}

void io_deg(int64_t micro, char *out, size_t n)
{
    uint64_t a = micro < 0 ? (uint64_t)(-micro) : (uint64_t)micro;
    snprintf(out, n, "%s%llu.%06llu", micro < 0 ? "-" : "", (unsigned long long)(a / 1000000),
             (unsigned long long)(a % 1000000));
}

int io_parse_deg(const char *s, int64_t limit, int64_t *micro)
{
    /* by hand, not strtod: no locale, exact to the microdegree */
    const char *p = s;
    while (*p == ' ')
        p++;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    int64_t whole = 0, frac = 0;
    while (isdigit((unsigned char)*p) && whole <= 1000)
        whole = whole * 10 + (*p++ - '0');
    if (*p == '.' || *p == ',') {
        p++;
        int nd = 0;
        for (; isdigit((unsigned char)*p); p++, nd++) {
            if (nd < 6)
                frac = frac * 10 + (*p - '0');
            else if (nd == 6 && *p >= '5')
                frac++; /* the seventh digit rounds */
        }
        for (; nd < 6; nd++)
            frac *= 10;
    }
    while (*p == ' ')
        p++;
    if (*p != '\0')
        return -1;
    int64_t v = whole * 1000000 + frac;
    if (v > limit * 1000000)
        return -1;
    *micro = neg ? -v : v;
    return 0;
}

void io_join(const pv_t *list, const char *sep, buf_t *b)
{
    for (size_t i = 0; list && list->type == PV_ARR && i < list->u.a.n; i++) {
        const pv_t *it = list->u.a.items[i];
        if (it->type != PV_STR)
            continue;
        if (i)
            buf_append(b, sep, strlen(sep));
        buf_append(b, it->u.s.p, it->u.s.n);
    }
}

pv_t *io_split(const char *s)
{
    pv_t *l = pv_arr();
    while (s && *s) {
        size_t n = strcspn(s, ",;");
        const char *a = s, *z = s + n;
        while (a < z && isspace((unsigned char)*a))
            a++;
        while (z > a && isspace((unsigned char)z[-1]))
            z--;
        if (z > a) {
            pv_t *it = pv_strn(a, (size_t)(z - a));
            bool dup = false;
            for (size_t i = 0; i < l->u.a.n && !dup; i++)
                dup = pv_equal(l->u.a.items[i], it);
            if (dup)
                pv_free(&it);
            else
                pv_arr_push(l, it);
        }
        s += n;
        if (*s)
            s++;
    }
    return l;
}

/* docs/interop.md, "Kinds": words a social map uses for a kind of place. */
static const char *const s_kinds[][2] = {
    {"buurthuis", "community-centre"},       {"buurtcentrum", "community-centre"},
    {"wijkcentrum", "community-centre"},     {"ontmoetingscentrum", "community-centre"},
    {"community centre", "community-centre"}, {"community center", "community-centre"},
    {"bibliotheek", "library"},              {"bieb", "library"},
    {"basisschool", "school"},               {"middelbare school", "school"},
    {"kinderopvang", "childcare"},           {"peuterspeelzaal", "childcare"},
    {"kinderdagverblijf", "childcare"},      {"creche", "childcare"},
    {"crèche", "childcare"},
    {"moskee", "religious"},                 {"kerk", "religious"},
    {"synagoge", "religious"},               {"tempel", "religious"},
    {"gebedshuis", "religious"},             {"mosque", "religious"},
    {"church", "religious"},                 {"synagogue", "religious"},
    {"temple", "religious"},
    {"sportclub", "sports"},                 {"sportvereniging", "sports"},
    {"sporthal", "sports"},                  {"sport", "sports"},
    {"voedselbank", "food"},                 {"buurtrestaurant", "food"},
    {"food bank", "food"},
    {"huisarts", "health"},                  {"gezondheidscentrum", "health"},
    {"apotheek", "health"},                  {"ggd", "health"},
    {"zorg", "health"},
    {"wijkteam", "social-work"},             {"maatschappelijk werk", "social-work"},
    {"welzijn", "social-work"},              {"jongerenwerk", "social-work"},
    {"sociaal werk", "social-work"},         {"social work", "social-work"},
    {"winkel", "shop-cafe-market"},          {"markt", "shop-cafe-market"},
    {"cafe", "shop-cafe-market"},            {"café", "shop-cafe-market"},
    {"koffiehuis", "shop-cafe-market"},      {"theehuis", "shop-cafe-market"},
    {"shop", "shop-cafe-market"},            {"market", "shop-cafe-market"},
    {"park", "park-public-space"},           {"plein", "park-public-space"},
    {"speeltuin", "park-public-space"},      {"square", "park-public-space"},
    {"bewonersgroep", "residents-group"},    {"bewonersorganisatie", "residents-group"},
    {"bewonersinitiatief", "residents-group"}, {"residents group", "residents-group"},
    {"migrantenorganisatie", "migrant-organisation"}, {"zelforganisatie", "migrant-organisation"},
    {"migrant organisation", "migrant-organisation"},
    {"online", "online"},                    {"appgroep", "online"},
    {"whatsappgroep", "online"},
    {"overig", "other"},                     {"anders", "other"},
};

const char *io_kind_word(const char *word)
{
    for (int i = 0; REC_PLACE_KINDS[i]; i++)
        if (strcasecmp(word, REC_PLACE_KINDS[i]) == 0)
            return REC_PLACE_KINDS[i];
    for (size_t i = 0; i < sizeof s_kinds / sizeof s_kinds[0]; i++)
        if (strcasecmp(word, s_kinds[i][0]) == 0)
            return s_kinds[i][1];
    return NULL;
}

/* docs/interop.md, "Languages": Dutch and English names of the languages
 * most spoken in Dutch neighbourhoods. */
static const char *const s_langs[][3] = {
    {"nederlands", "dutch", "nl"},   {"engels", "english", "en"},     {"arabisch", "arabic", "ar"},
    {"turks", "turkish", "tr"},      {"tigrinya", "tigrinya", "ti"},  {"tigrinia", "tigrinya", "ti"},
    {"somalisch", "somali", "so"},   {"pools", "polish", "pl"},       {"bulgaars", "bulgarian", "bg"},
    {"roemeens", "romanian", "ro"},  {"spaans", "spanish", "es"},     {"portugees", "portuguese", "pt"},
    {"frans", "french", "fr"},       {"duits", "german", "de"},       {"chinees", "chinese", "zh"},
    {"perzisch", "persian", "fa"},   {"farsi", "farsi", "fa"},        {"dari", "dari", "fa"},
    {"koerdisch", "kurdish", "ku"},  {"oekraiens", "ukrainian", "uk"}, {"oekraïens", "ukrainian", "uk"},
    {"russisch", "russian", "ru"},   {"hindi", "hindi", "hi"},        {"urdu", "urdu", "ur"},
    {"amhaars", "amharic", "am"},    {"tamil", "tamil", "ta"},        {"italiaans", "italian", "it"},
    {"grieks", "greek", "el"},       {"servisch", "serbian", "sr"},   {"bosnisch", "bosnian", "bs"},
    {"kroatisch", "croatian", "hr"}, {"hongaars", "hungarian", "hu"}, {"pasjtoe", "pashto", "ps"},
    {"hebreeuws", "hebrew", "he"},   {"armeens", "armenian", "hy"},   {"vietnamees", "vietnamese", "vi"},
    {"thai", "thai", "th"},          {"tagalog", "tagalog", "tl"},    {"indonesisch", "indonesian", "id"},
    {"swahili", "swahili", "sw"},    {"fries", "frisian", "fy"},      {"berbers", "berber", NULL},
};

const char *io_lang_word(const char *word)
{
    char low[3] = {0};
    if (strlen(word) == 2) {
        low[0] = (char)tolower((unsigned char)word[0]);
        low[1] = (char)tolower((unsigned char)word[1]);
        for (size_t i = 0; i < sizeof s_langs / sizeof s_langs[0]; i++)
            if (s_langs[i][2] && strcmp(s_langs[i][2], low) == 0)
                return s_langs[i][2];
        /* any other valid code: point into the table of proto/record.c's
         * answer by returning a static copy */
        static char code[3];
        if (rec_lang_ok(low)) {
            memcpy(code, low, 3);
            return code;
        }
        return NULL;
    }
    for (size_t i = 0; i < sizeof s_langs / sizeof s_langs[0]; i++)
        if (strcasecmp(word, s_langs[i][0]) == 0 || strcasecmp(word, s_langs[i][1]) == 0)
            return s_langs[i][2];
    return NULL;
}

/* A part of a contact that is a phone number: at least 6 digits, and
 * before the first letter only digits, spaces and + - ( ) . / */
static size_t s_phone_len(const char *p)
{
    size_t digits = 0, i = 0, end = 0;
    for (; p[i] && strchr("0123456789 +-()./", p[i]); i++)
        if (isdigit((unsigned char)p[i])) {
            digits++;
            end = i + 1;
        }
    return digits >= 6 ? end : 0;
}

static char *s_trim(const char *a, const char *z)
{
    while (a < z && isspace((unsigned char)*a))
        a++;
    while (z > a && isspace((unsigned char)z[-1]))
        z--;
    return xstrndup(a, (size_t)(z - a));
}

void io_contact_split(const char *contact, io_contact_t *out)
{
    memset(out, 0, sizeof *out);
    buf_t rest = {0};
    const char *s = contact;
    while (s && *s) {
        size_t n = strcspn(s, ",;");
        char *part = s_trim(s, s + n);
        size_t pl;
        if (*part == '\0') {
            /* nothing */
        } else if (strchr(part, '@') && !strchr(part, ' ') && out->email == NULL) {
            out->email = xstrdup(part);
        } else if ((pl = s_phone_len(part)) > 0) {
            out->phones = xrealloc(out->phones, (out->nphones + 1) * sizeof *out->phones);
            out->phone_notes = xrealloc(out->phone_notes, (out->nphones + 1) * sizeof *out->phone_notes);
            out->phones[out->nphones] = s_trim(part, part + pl);
            out->phone_notes[out->nphones] = s_trim(part + pl, part + strlen(part));
            out->nphones++;
        } else {
            if (rest.len)
                buf_append(&rest, ", ", 2);
            buf_append(&rest, part, strlen(part));
        }
        free(part);
        s += n;
        if (*s)
            s++;
    }
    if (rest.len)
        out->rest = xstrdup(buf_cstr(&rest));
    buf_free(&rest);
}

void io_contact_free(io_contact_t *c)
{
    for (size_t i = 0; i < c->nphones; i++) {
        free(c->phones[i]);
        free(c->phone_notes[i]);
    }
    free(c->phones);
    free(c->phone_notes);
    free(c->email);
    free(c->rest);
    memset(c, 0, sizeof *c);
}


/* docs/interop.md, "Taxonomy mapping": words of HSDS taxonomy terms and
 * service names from other directories, Dutch and English, and the buurt
 * category each stands for. An entry matches where a word of the text
 * starts with it, so "maaltijd" finds "Maaltijden" and "opvang" finds
 * "Opvang" but not "Kinderopvang" (which has its own entry). */
static const char *const s_cats[][2] = {
    {"voedselbank", "food"},     {"foodbank", "food"},         {"food", "food"},
    {"voedsel", "food"},         {"maaltijd", "food"},         {"meal", "food"},
    {"buurtrestaurant", "food"}, {"pantry", "food"},           {"soup kitchen", "food"},
    {"shelter", "shelter"},      {"opvang", "shelter"},        {"nachtopvang", "shelter"},
    {"onderdak", "shelter"},     {"housing", "shelter"},       {"huisvesting", "shelter"},
    {"homeless", "shelter"},     {"dakloos", "shelter"},       {"dakloz", "shelter"},
    {"information", "information"}, {"informatie", "information"}, {"advice", "information"},
    {"advies", "information"},   {"spreekuur", "information"}, {"inloopspreekuur", "information"},
    {"legal aid", "information"}, {"juridisch", "information"}, {"rechtswinkel", "information"},
    {"befriending", "contact"},  {"maatje", "contact"},        {"loneliness", "contact"},
    {"eenzaam", "contact"},      {"ontmoeting", "contact"},    {"koffieochtend", "contact"},
    {"digital", "digital"},      {"digita", "digital"},        {"computer", "digital"},
    {"internet", "digital"},     {"health", "health"},         {"gezondheid", "health"},
    {"medical", "health"},       {"huisarts", "health"},       {"mental health", "health"},
    {"ggz", "health"},           {"counselling", "health"},    {"counseling", "health"},
    {"clinic", "health"},        {"money", "money"},           {"geldzaken", "money"},
    {"financial", "money"},      {"financi", "money"},         {"schuld", "money"},
    {"debt", "money"},           {"budget", "money"},          {"benefits", "money"},
    {"uitkering", "money"},      {"toeslag", "money"},         {"errand", "errands"},
    {"boodschappen", "errands"}, {"shopping", "errands"},      {"klussen", "errands"},
    {"vervoer", "errands"},      {"transport", "errands"},     {"childcare", "childcare"},
    {"child care", "childcare"}, {"kinderopvang", "childcare"}, {"peuter", "childcare"},
    {"creche", "childcare"},     {"opvoed", "childcare"},      {"parenting", "childcare"},
    {"safety", "safety"},        {"veiligheid", "safety"},     {"veilig thuis", "safety"},
    {"huiselijk geweld", "safety"}, {"domestic violence", "safety"}, {"crisis", "safety"},
};

static void s_add_token(pv_t *list, const char *tok, size_t *added)
{
    for (size_t i = 0; i < list->u.a.n; i++)
        if (strcmp(list->u.a.items[i]->u.s.p, tok) == 0)
            return;
    pv_arr_push(list, pv_str(tok));
    (*added)++;
}

size_t io_categories(const char *text, pv_t *list)
{
    size_t added = 0;
    if (!text || !*text)
        return 0;
    for (int i = 0; REC_CATEGORIES[i]; i++)
        if (strcasecmp(text, REC_CATEGORIES[i]) == 0) {
            s_add_token(list, REC_CATEGORIES[i], &added);
            return added;
        }
    for (size_t k = 0; k < sizeof s_cats / sizeof s_cats[0]; k++) {
        size_t n = strlen(s_cats[k][0]);
        for (const char *p = text; *p; p++) {
            bool start = p == text || !isalnum((unsigned char)p[-1]);
            if (start && strncasecmp(p, s_cats[k][0], n) == 0) {
                s_add_token(list, s_cats[k][1], &added);
                break;
            }
        }
    }
    return added;
}
