/*
 * interop.h -- what `buurt export` and `buurt import` share: the table of
 * words a spreadsheet uses for place kinds and languages (Dutch and
 * English), times and coordinates as text, the HSDS identifiers buurt
 * derives from its own ids, and how a contact text splits into an e-mail
 * address and phone numbers. The mapping tables are documented in
 * docs/interop.md; change both together.
 */
#ifndef BUURT_INTEROP_H
#define BUURT_INTEROP_H

#include "proto/util.h"
#include "proto/value.h"

#include <stdbool.h>
#include <stdint.h>

/* A UUID (36 characters and NUL) derived from an entity id and a table
 * name: BLAKE2b of both, shaped as an RFC 9562 version 8 UUID, so the same
 * record always gets the same HSDS id and no two tables share one. */
void io_uuid(const uint8_t id[32], const char *table, char out[37]);
/* The same, from a name instead of an id (taxonomy terms, units). */
void io_uuid_name(const char *name, char out[37]);

/* "2026-01-01T09:30:00.000Z" (ms since 1970, UTC); out >= 32 bytes. */
void io_time(uint64_t ms, char *out, size_t n);
/* "2026-01-01"; out >= 16 bytes. */
void io_date(uint64_t ms, char *out, size_t n);
/* Reads a date or date-time as io_time writes it (seconds, fraction and
 * Z optional): ms since 1970, or -1. */
int64_t io_parse_time(const char *s);
/* Microdegrees as decimal degrees with 6 decimals: "51.905500". */
void io_deg(int64_t micro, char *out, size_t n);
/* Decimal degrees ("51.9055", "-0.5", "4,4945" with a decimal comma) to
 * microdegrees within +-limit degrees; 0, or -1 when it is not a number. */
int io_parse_deg(const char *s, int64_t limit, int64_t *micro);

/* Joins the strings of a list with sep into b. */
void io_join(const pv_t *list, const char *sep, buf_t *b);
/* Splits "a, b; c" at commas and semicolons into a list of trimmed,
 * distinct, non-empty strings (PV_ARR; may be empty). */
pv_t *io_split(const char *s);

/* The place kind a word names (case-insensitive): a buurt token, or a
 * Dutch or English word from the table in docs/interop.md ("Bibliotheek",
 * "Moskee", "Buurthuis"); NULL when unknown. */
const char *io_kind_word(const char *word);
/* The ISO 639-1 code a word names: a code, or a Dutch or English language
 * name ("Arabisch", "Turkish", "Tigrinya"); NULL when unknown. */
const char *io_lang_word(const char *word);

/* The buurt categories (REC_CATEGORIES tokens) that a service from another
 * directory names: a word is a buurt token when it equals one
 * (case-insensitive); otherwise each entry of the taxonomy table in
 * docs/interop.md ("voedselbank", "food bank", "opvang", "advies", ...)
 * that starts a word of text (case-insensitive, ASCII letters) adds its
 * category. Appends distinct tokens to list (a PV_ARR), in the table's
 * order; returns how many were added. */
size_t io_categories(const char *text, pv_t *list);

/* A contact text split at commas and semicolons: the first e-mail
 * address, the phone numbers (digits with spaces, '+', '-', '(' ')') each
 * with the words after it as a description, and the rest. */
typedef struct {
    char *email;      /* NULL when none */
    size_t nphones;
    char **phones;    /* the numbers */
    char **phone_notes; /* what follows each number, "" when nothing */
    char *rest;       /* the other parts joined with ", ", NULL when none */
} io_contact_t;
void io_contact_split(const char *contact, io_contact_t *out);
void io_contact_free(io_contact_t *c);

#endif
