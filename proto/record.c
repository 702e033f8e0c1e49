/*
 * record.c -- schema tables for the five record kinds and field validation.
 * Pure functions over constant tables. (The personal-data scan declared in
 * record.h is in privacy.c.)
 */
#include "proto/record.h"

#include <sodium.h>
#include "proto/err.h"

#include <string.h>

const char *const REC_PLACE_KINDS[] = {
    "community-centre", "library", "school", "childcare", "religious", "sports",
    "food", "health", "social-work", "shop-cafe-market", "park-public-space",
    "residents-group", "migrant-organisation", "online", "other", NULL};
const char *const REC_FUNCTIONS[] = {"inform", "signal", "connect", "mobilise", "serve", NULL};
const char *const REC_PLACE_STATUS[] = {"open", "limited", "alternative", "closed",
                                        "overloaded", NULL};
const char *const REC_CHANNELS[] = {"phone", "doorstep", "intercom", "outdoor", NULL};
const char *const REC_CATEGORIES[] = {"food", "shelter", "information", "contact",
                                      "digital", "health", "money", "errands",
                                      "childcare", "safety", "other", NULL};
const char *const REC_URGENCY[] = {"low", "normal", "high", "critical", NULL};
const char *const REC_NEED_STATUS[] = {"open", "claimed", "done", "cancelled", "expired", NULL};
const char *const REC_ROLES[] = {"lead", "coordinate", "facilitate", "provide", NULL};
const char *const REC_MEMBER_ROLES[] = {"admin", "coordinator", "member", NULL};

#define TEXT(n, max, req, help) {n, FT_STR, NULL, 1, max, req, help}
#define DEL {"deleted", FT_BOOL, NULL, 0, 0, false, "true when the entity is deleted"}
#define TIME(n, help) {n, FT_INT, NULL, 0, INT64_C(253402300799000), false, help}
#define END {NULL, FT_STR, NULL, 0, 0, false, NULL}

static const field_spec_t s_place[] = {
    TEXT("name", 120, true, "name of the place or organisation"),
    {"kinds", FT_ENUMS, REC_PLACE_KINDS, 1, 8, true, "what kind of place (one or more)"},
    TEXT("address", 200, false, "street address"),
    TEXT("area", 80, false, "neighbourhood or district"),
    {"lat", FT_INT, NULL, -90000000, 90000000, false, "latitude in microdegrees"},
    {"lon", FT_INT, NULL, -180000000, 180000000, false, "longitude in microdegrees"},
    {"langs", FT_LANGS, NULL, 1, 16, false, "languages spoken (ISO 639-1)"},
    TEXT("hours", 200, false, "opening hours"),
    TEXT("access", 200, false, "accessibility"),
    {"functions", FT_ENUMS, REC_FUNCTIONS, 1, 5, false, "functions served"},
    TEXT("contact", 200, false, "public contact of the organisation"),
    {"status", FT_ENUM, REC_PLACE_STATUS, 0, 0, false, "status right now"},
    TEXT("status_note", 200, false, "note with the status"),
    TIME("status_at", "when the status was set (ms since 1970)"),
    {"capacity", FT_INT, NULL, 0, 1000000, false, "capacity now (people)"},
    {"channels", FT_ENUMS, REC_CHANNELS, 1, 4, false, "non-digital channels that still work"},
    {"reaches", FT_STRS, NULL, 1, 16, false, "groups it reaches"},
    {"hub", FT_BOOL, NULL, 0, 0, false, "temporary support hub in this crisis"},
    {"editors", FT_IDS, NULL, 1, 32, false, "node ids that may update its status"},
    TEXT("source_ref", 200, false, "where an import took it from: FORMAT:DATASET#ID"),
    DEL, END};

static const field_spec_t s_coalition[] = {
    TEXT("name", 120, true, "name of the coalition"),
    TEXT("purpose", 500, false, "what it is for"),
    TEXT("area", 80, false, "neighbourhood or district"),
    {"functions", FT_ENUMS, REC_FUNCTIONS, 1, 5, false, "functions served"},
    TEXT("contact", 200, false, "public contact"),
    {"coordinators", FT_IDS, NULL, 1, 32, false, "node ids that may edit it"},
    {"private", FT_BOOL, NULL, 0, 0, false, "records readable only by its nodes"},
    {"nodes", FT_IDS, NULL, 1, 64, false, "node ids that may read a private coalition"},
    {"member:", FT_MEMBER, REC_ROLES, 0, 16, false, "a member place and its role"},
    DEL, END};

static const field_spec_t s_need[] = {
    {"category", FT_ENUM, REC_CATEGORIES, 0, 0, true, "what kind of help"},
    TEXT("summary", 280, true, "what is needed (never who needs it)"),
    TEXT("area", 80, false, "neighbourhood or district"),
    {"langs", FT_LANGS, NULL, 1, 16, false, "languages (ISO 639-1)"},
    {"urgency", FT_ENUM, REC_URGENCY, 0, 0, false, "low, normal, high or critical"},
    {"people", FT_INT, NULL, 1, 10000, false, "number of people"},
    {"status", FT_ENUM, REC_NEED_STATUS, 0, 0, false, "lifecycle state"},
    {"claimed_by", FT_ID, NULL, 0, 0, false, "offer or place that claimed it"},
    TIME("expires", "expiry time (ms since 1970)"),
    {"coalition", FT_ID, NULL, 0, 0, false, "coalition it is addressed to"},
    {"duplicate_of", FT_ID, NULL, 0, 0, false, "the need this one was merged into"},
    DEL, END};

static const field_spec_t s_offer[] = {
    {"provider", FT_ID, NULL, 0, 0, true, "place or coalition that offers"},
    {"categories", FT_ENUMS, REC_CATEGORIES, 1, 11, true, "categories of help"},
    TEXT("area", 80, false, "area served"),
    {"langs", FT_LANGS, NULL, 1, 16, false, "languages (ISO 639-1)"},
    {"capacity", FT_INT, NULL, 0, 1000000, false, "how many it can help now"},
    TIME("until", "offer valid until (ms since 1970)"),
    TEXT("note", 280, false, "free text"),
    TEXT("source_ref", 200, false, "where an import took it from: FORMAT:DATASET#ID"),
    DEL, END};

static const field_spec_t s_bulletin[] = {
    TEXT("title", 120, true, "headline"),
    TEXT("body", 2000, true, "message"),
    {"langs", FT_LANGS, NULL, 1, 16, false, "languages (ISO 639-1)"},
    TEXT("source", 200, false, "who says so"),
    {"replaces", FT_ID, NULL, 0, 0, false, "bulletin this one replaces"},
    TEXT("area", 80, false, "neighbourhood or district it concerns (none: all)"),
    {"translation_of", FT_ID, NULL, 0, 0, false, "bulletin this one translates"},
    DEL, END};

static const field_spec_t s_member[] = {
    TEXT("name", 120, true, "name of the member node's organisation"),
    {"role", FT_ENUM, REC_MEMBER_ROLES, 0, 0, true, "admin, coordinator or member"},
    {"revoked", FT_BOOL, NULL, 0, 0, false, "true once the member is shut out"},
    TEXT("reason", 200, false, "why it was revoked"),
    TIME("revoked_at", "edits signed from this time on no longer count (ms since 1970)"),
    {"known_until", FT_INT, NULL, 0, INT64_MAX, false,
     "with revoked: hlc of the member's newest edit the revoking admin held; its later edits do not count"},
    TEXT("mesh_name", 120, false, "the mesh's name (on the founder's own certificate)"),
    END};

static const field_spec_t s_mesh[] = {
    {"retention_days", FT_INT, NULL, 1, 3650, false,
     "days a done, cancelled or expired need is kept before every node purges it"},
    {"void", FT_IDS, NULL, 1, 200, false,
     "ids of edits dated beyond the clock bound that every node removes"},
    {"member_edits_per_hour", FT_INT, NULL, 1, 1000000, false,
     "edits a member (not an admin) may have stored per hour of its clock"},
    {"member_edits_max", FT_INT, NULL, 1, 100000000, false,
     "edits a member (not an admin) may have stored in all"},
    {"stale_hours", FT_INT, NULL, 1, 8760, false,
     "a place's status set longer ago than this is shown as stale"},
    END};

static const field_spec_t s_sealed[] = {
    {"key", FT_BIN, NULL, 8, 8, true, "id of the coalition key it is encrypted with"},
    {"box", FT_BIN, NULL, 41, 16000, true, "nonce and XChaCha20-Poly1305 ciphertext"},
    END};

static const field_spec_t s_keys[] = {
    {"boxes", FT_BINS, NULL, 1, 64, true, "the coalition's keys sealed to each reader"},
    END};

static const char *const s_names[REC__COUNT] = {"place", "coalition", "need", "offer",
                                                "bulletin", "member", "mesh", "sealed", "keys"};
static const field_spec_t *const s_specs[REC__COUNT] = {s_place, s_coalition, s_need,
                                                        s_offer, s_bulletin, s_member, s_mesh,
                                                        s_sealed, s_keys};

void rec_mesh_settings_id(const uint8_t mesh[32], uint8_t out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, (const uint8_t *)"buurt-mesh-settings-v1", 22);
    crypto_generichash_update(&st, mesh, 32);
    crypto_generichash_final(&st, out, 32);
}

const char *rec_need_status_at(const char *status, int64_t expires_ms, uint64_t now_ms)
{
    const char *st = status ? status : "open";
    if (expires_ms > 0 && (uint64_t)expires_ms < now_ms &&
        (strcmp(st, "open") == 0 || strcmp(st, "claimed") == 0))
        return "expired";
    return st;
}

const char *rec_kind_name(rec_kind_t kind)
{
    return (unsigned)kind < REC__COUNT ? s_names[kind] : NULL;
}

int rec_kind_parse(const char *name)
{
    for (int k = 0; k < REC__COUNT; k++) {
        size_t n = strlen(s_names[k]);
        if (strcmp(name, s_names[k]) == 0 ||
            (strncmp(name, s_names[k], n) == 0 && strcmp(name + n, "s") == 0))
            return k;
    }
    if (strcmp(name, "coalitions") == 0)
        return REC_COALITION;
    return -1;
}

const field_spec_t *rec_fields(rec_kind_t kind)
{
    return (unsigned)kind < REC__COUNT ? s_specs[kind] : NULL;
}

const field_spec_t *rec_field(rec_kind_t kind, const char *name)
{
    const field_spec_t *f = rec_fields(kind);
    for (; f && f->name; f++) {
        if (f->type == FT_MEMBER) {
            size_t n = strlen(f->name);
            if (strncmp(name, f->name, n) == 0)
                return f;
        } else if (strcmp(name, f->name) == 0) {
            return f;
        }
    }
    return NULL;
}

int rec_token_ok(const char *const *tokens, const char *tok)
{
    for (; *tokens; tokens++)
        if (strcmp(*tokens, tok) == 0)
            return 1;
    return 0;
}

/* The 183 language codes of protocol version 1 (docs/protocol.md §8.1.1),
 * sorted: ISO 639-1 without its deprecated codes, as of the 2021
 * deprecation of "bh". Fixed: a change here is a protocol change. */
static const char s_iso639_1[] =
    "aaabaeafakamanarasavayazbabebgbibmbnbobrbscacechcocrcscucvcydadedvdzeeeleneoeseteufafffifj"
    "fofrfygagdglgngugvhahehihohrhthuhyhziaidieigiiikioisitiujajvkakgkikjkkklkmknkokrkskukvkwky"
    "lalblglilnloltlulvmgmhmimkmlmnmrmsmtmynanbndnengnlnnnonrnvnyocojomorospapiplpsptqurmrnroru"
    "rwsascsdsesgsiskslsmsnsosqsrssstsusvswtatetgthtitktltntotrtstttwtyugukuruzvevivowawoxhyiyo"
    "zazhzu";

int rec_lang_ok(const char *code)
{
    if (strlen(code) != 2)
        return 0;
    size_t lo = 0, hi = sizeof s_iso639_1 / 2;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(s_iso639_1 + 2 * mid, code, 2);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static int s_is_id(const pv_t *v)
{
    if (v->type != PV_STR || v->u.s.n != 64)
        return 0;
    for (size_t i = 0; i < 64; i++) {
        char c = v->u.s.p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}

static int s_is_lang(const pv_t *v)
{
    return v->type == PV_STR && rec_lang_ok(v->u.s.p);
}

/* Checks a list: type ARR, 1..max items, each passing item(), no repeats. */
/* Characters (Unicode code points) of valid UTF-8 text: a Tigrinya or
 * Arabic summary gets as many characters as a Dutch one (issue 11). */
static size_t s_chars(const pv_t *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->u.s.n; i++)
        n += ((unsigned char)v->u.s.p[i] & 0xc0) != 0x80;
    return n;
}

static int s_list(const field_spec_t *f, const pv_t *v, const char *name, char **cause)
{
    if (v->type != PV_ARR)
        return bu_fail(cause, BU_ESCHEMA, "%s: expected a list", name);
    if (v->u.a.n < 1 || (int64_t)v->u.a.n > f->max)
        return bu_fail(cause, BU_ESCHEMA, "%s: needs 1 to %lld items", name, (long long)f->max);
    for (size_t i = 0; i < v->u.a.n; i++) {
        const pv_t *it = v->u.a.items[i];
        switch (f->type) {
        case FT_ENUMS:
            if (it->type != PV_STR || !rec_token_ok(f->tokens, it->u.s.p))
                return bu_fail(cause, BU_ESCHEMA, "%s: unknown value '%s'", name,
                               it->type == PV_STR ? it->u.s.p : "?");
            break;
        case FT_LANGS:
            if (!s_is_lang(it))
                return bu_fail(cause, BU_ESCHEMA,
                               "%s: '%s' is not an ISO 639-1 language code", name,
                               it->type == PV_STR ? it->u.s.p : "?");
            break;
        case FT_IDS:
            if (!s_is_id(it))
                return bu_fail(cause, BU_ESCHEMA, "%s: item is not a 64-hex-digit id", name);
            break;
        default: /* FT_STRS */
            if (it->type != PV_STR || s_chars(it) < 1 || s_chars(it) > 80)
                return bu_fail(cause, BU_ESCHEMA, "%s: items must be text of 1 to 80 characters",
                               name);
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (pv_equal(v->u.a.items[j], it))
                return bu_fail(cause, BU_ESCHEMA, "%s: repeated item", name);
    }
    return 0;
}

static int s_field(const field_spec_t *f, const char *name, const pv_t *v, char **cause)
{
    switch (f->type) {
    case FT_STR:
        if (v->type != PV_STR)
            return bu_fail(cause, BU_ESCHEMA, "%s: expected text", name);
        if ((int64_t)s_chars(v) < f->min || (int64_t)s_chars(v) > f->max)
            return bu_fail(cause, BU_ESCHEMA, "%s: must be 1 to %lld characters long", name,
                           (long long)f->max);
        return 0;
    case FT_INT:
        if (v->type != PV_INT)
            return bu_fail(cause, BU_ESCHEMA, "%s: expected a number", name);
        if (v->u.i < f->min || v->u.i > f->max)
            return bu_fail(cause, BU_ESCHEMA, "%s: %lld is out of range %lld..%lld", name,
                           (long long)v->u.i, (long long)f->min, (long long)f->max);
        return 0;
    case FT_BOOL:
        return v->type == PV_BOOL ? 0 : bu_fail(cause, BU_ESCHEMA, "%s: expected true/false", name);
    case FT_ENUM:
        if (v->type != PV_STR || !rec_token_ok(f->tokens, v->u.s.p))
            return bu_fail(cause, BU_ESCHEMA, "%s: unknown value '%s'", name,
                           v->type == PV_STR ? v->u.s.p : "?");
        return 0;
    case FT_ID:
        return s_is_id(v) ? 0 : bu_fail(cause, BU_ESCHEMA, "%s: expected a 64-hex-digit id", name);
    case FT_BIN:
        if (v->type != PV_BIN || (int64_t)v->u.s.n < f->min || (int64_t)v->u.s.n > f->max)
            return bu_fail(cause, BU_ESCHEMA, "%s: expected %lld to %lld bytes", name,
                           (long long)f->min, (long long)f->max);
        return 0;
    case FT_BINS:
        if (v->type != PV_ARR || v->u.a.n < 1 || (int64_t)v->u.a.n > f->max)
            return bu_fail(cause, BU_ESCHEMA, "%s: needs 1 to %lld items", name, (long long)f->max);
        for (size_t i = 0; i < v->u.a.n; i++)
            if (v->u.a.items[i]->type != PV_BIN || v->u.a.items[i]->u.s.n > 512)
                return bu_fail(cause, BU_ESCHEMA, "%s: items must be at most 512 bytes", name);
        return 0;
    case FT_ENUMS:
    case FT_LANGS:
    case FT_STRS:
    case FT_IDS:
        return s_list(f, v, name, cause);
    case FT_MEMBER: {
        if (!s_is_id(&(pv_t){.type = PV_STR,
                              .u.s = {(char *)name + strlen(f->name), strlen(name) - strlen(f->name)}}))
            return bu_fail(cause, BU_ESCHEMA, "%s: member key must be 'member:' and a 64-hex-digit id",
                           name);
        if (v->type != PV_MAP)
            return bu_fail(cause, BU_ESCHEMA, "%s: expected {role, reaches}", name);
        const char *role = pv_get_str(v, "role");
        if (role == NULL || !rec_token_ok(f->tokens, role))
            return bu_fail(cause, BU_ESCHEMA, "%s: role must be lead, coordinate, facilitate or provide",
                           name);
        size_t known = 1;
        const pv_t *reaches = pv_map_get(v, "reaches");
        if (reaches) {
            static const field_spec_t rf = {"reaches", FT_STRS, NULL, 1, 16, false, NULL};
            int rc = s_list(&rf, reaches, name, cause);
            if (rc < 0)
                return rc;
            known++;
        }
        if (v->u.m.n != known)
            return bu_fail(cause, BU_ESCHEMA, "%s: unknown key in member entry", name);
        return 0;
    }
    }
    return bu_fail(cause, BU_ESCHEMA, "%s: unsupported field type", name);
}

int rec_validate(rec_kind_t kind, const pv_t *fields, int creating, char **cause)
{
    const field_spec_t *specs = rec_fields(kind);
    if (specs == NULL)
        return bu_fail(cause, BU_ESCHEMA, "unknown record kind %d", (int)kind);
    if (fields == NULL || fields->type != PV_MAP)
        return bu_fail(cause, BU_ESCHEMA, "fields must be a map");
    if (fields->u.m.n == 0)
        return bu_fail(cause, BU_ESCHEMA, "an edit must change at least one field");
    if (fields->u.m.n > 64)
        return bu_fail(cause, BU_ESCHEMA, "an edit may change at most 64 fields");
    for (size_t i = 0; i < fields->u.m.n; i++) {
        const char *name = fields->u.m.keys[i];
        const pv_t *v = fields->u.m.vals[i];
        const field_spec_t *f = rec_field(kind, name);
        if (f == NULL)
            return bu_fail(cause, BU_ESCHEMA, "%s has no field '%s'", s_names[kind], name);
        if (v->type == PV_NIL) {
            if (f->required)
                return bu_fail(cause, BU_ESCHEMA, "%s: required, cannot be unset", name);
            continue;
        }
        int rc = s_field(f, name, v, cause);
        if (rc < 0)
            return rc;
    }
    if (creating) {
        for (const field_spec_t *f = specs; f->name; f++)
            if (f->required && pv_map_get(fields, f->name) == NULL)
                return bu_fail(cause, BU_ESCHEMA, "a new %s needs '%s'", s_names[kind], f->name);
    }
    return 0;
}
