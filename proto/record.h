/*
 * record.h -- the five record kinds of the shared directory and their schema.
 *
 * A record's fields are a pv_t map from field name to value. This module
 * owns the schema table: which fields each kind has, their types, allowed
 * enumeration tokens, length limits and which are required when an entity
 * is created. rec_validate() is called by the CLI before signing and again
 * by edit_decode() on every edit read from disk or wire, so both sides
 * enforce the same rules. A nil value means "unset this field".
 *
 * Also here: rec_privacy_scan() (proto/privacy.c), the check that refuses
 * obvious resident-identifying data in free text. No I/O, no globals
 * beyond constant tables.
 */
#ifndef BUURT_RECORD_H
#define BUURT_RECORD_H

#include "proto/value.h"

typedef enum {
    REC_PLACE = 0,
    REC_COALITION,
    REC_NEED,
    REC_OFFER,
    REC_BULLETIN,
    REC_MEMBER,   /* membership certificate; entity id = the member's node key */
    REC_MESH,     /* mesh-wide settings; entity id = rec_mesh_settings_id(mesh) */
    REC_SEALED,   /* an edit of a private coalition's record, encrypted */
    REC_KEYS,     /* a private coalition's keys, sealed to each reader */
    REC__COUNT
} rec_kind_t;

typedef enum {
    FT_STR,     /* UTF-8 text, 1..max bytes */
    FT_INT,     /* integer in [min, max] */
    FT_BOOL,
    FT_ENUM,    /* one token of an enumeration */
    FT_ENUMS,   /* list of distinct tokens of an enumeration, 1..max items */
    FT_LANGS,   /* list of distinct ISO 639-1 codes (two lowercase letters) */
    FT_STRS,    /* list of short texts (1..80 bytes each), 1..max items */
    FT_ID,      /* 64 lowercase hex digits: an entity id or node key */
    FT_IDS,     /* list of distinct FT_ID, 1..max items */
    FT_MEMBER,  /* coalition member: map {role: token, reaches?: [text]} */
    FT_BIN,     /* bytes, min..max long */
    FT_BINS,    /* list of 1..max byte strings of at most 512 bytes */
} field_type_t;

typedef struct {
    const char *name;      /* field name; for FT_MEMBER a prefix "member:" */
    field_type_t type;
    const char *const *tokens; /* FT_ENUM/FT_ENUMS: NULL-terminated list */
    int64_t min, max;      /* FT_INT range; FT_STR max bytes; lists max items */
    bool required;         /* must be present (non-nil) when creating */
    const char *help;      /* one line for docs and --help */
} field_spec_t;

extern const char *const REC_PLACE_KINDS[];
extern const char *const REC_FUNCTIONS[];
extern const char *const REC_PLACE_STATUS[];
extern const char *const REC_CHANNELS[];
extern const char *const REC_CATEGORIES[];
extern const char *const REC_URGENCY[];
extern const char *const REC_NEED_STATUS[];
extern const char *const REC_ROLES[];
extern const char *const REC_MEMBER_ROLES[];

/* "place", "coalition", ... or NULL for an out-of-range kind. */
const char *rec_kind_name(rec_kind_t kind);
/* Parses a kind name, also plural ("places"); returns the kind or -1. */
int rec_kind_parse(const char *name);

/* The field specs of kind, terminated by an entry with name == NULL. */
const field_spec_t *rec_fields(rec_kind_t kind);
/* The spec of one field name of kind (handles the "member:<id>" prefix). */
const field_spec_t *rec_field(rec_kind_t kind, const char *name);

/* 1 if code is an ISO 639-1 language code (two lowercase letters), else 0. */
int rec_lang_ok(const char *code);

/* Entity id of a mesh's settings record (kind mesh): BLAKE2b-256 of
 * "buurt-mesh-settings-v1" || mesh id. */
void rec_mesh_settings_id(const uint8_t mesh[32], uint8_t out[32]);

/* The "expired" rule, the one place it is written: a need whose status
 * is open or claimed (NULL counts as open) and whose expiry (ms, 0 = none)
 * lies before now_ms is expired. Returns the status to show. */
const char *rec_need_status_at(const char *status, int64_t expires_ms, uint64_t now_ms);

/* 1 if tok is in the NULL-terminated list, else 0. */
int rec_token_ok(const char *const *tokens, const char *tok);

/*
 * Checks a field map for kind. creating != 0 also requires every required
 * field. Unknown fields, wrong types, unknown tokens, over-long text and
 * out-of-range numbers give BU_ESCHEMA with a one-line *cause naming the
 * field. Returns 0 when valid.
 */
int rec_validate(rec_kind_t kind, const pv_t *fields, int creating, char **cause);

/*
 * Scans free text for what looks like resident-identifying data: an e-mail
 * address (also written with "(at)", "[at]" or " at "), a phone number
 * (9+ digits starting with + or 0, separators allowed), a BSN-like number
 * (9 digits passing the Dutch 11-test), any other 9-digit number not
 * starting with 0, a street address with a house number (Dutch, English,
 * Turkish), a date of birth (a birth word such as "geboren", "born", "DOB"
 * followed by a full date) or a person's name (a title such as "mevrouw"
 * or "dhr." with a name, or a name with an initial: "Fatima B.").
 * Arabic-Indic digits count as digits. The full rule table, with what each
 * rule lets pass, is at the top of proto/privacy.c. Returns 0 when clean,
 * or BU_EPRIVACY with *cause (may be NULL) saying in one line what was
 * found, e.g. "text contains a street address with a house number".
 */
int rec_privacy_scan(const char *text, char **cause);

#endif
