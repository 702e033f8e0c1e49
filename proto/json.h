/*
 * json.h -- a strict reader of JSON text (RFC 8259) into a small tree, for
 * `buurt import` of HSDS's JSON forms. Pure functions over a buffer; no
 * I/O; no writer (buurt writes JSON with json_str and pv_to_json).
 *
 * Accepted: exactly the grammar of RFC 8259 §2-§7: one value, surrounded
 * by optional whitespace (space, tab, LF, CR), with a UTF-8 byte order
 * mark skipped at the start (§8.1 allows ignoring one). Numbers are kept as
 * the text that was written ("51.9055"), so that no digit is lost to a
 * double; strings are decoded (escapes, surrogate pairs) into UTF-8.
 *
 * Refused, with the line of the first fault in *cause: text that is not
 * valid UTF-8; a control character in a string; an unknown escape, a lone
 * or reversed surrogate; an escape that decodes to U+0000 (strings here are
 * C strings); numbers outside the grammar ("01", "1.", ".5", "+1", NaN);
 * a comma before a closing bracket; a member name given twice in one
 * object (RFC 8259 §4 leaves it to the reader: buurt refuses, as I-JSON,
 * RFC 7493 §2.3, asks); nesting deeper than JSON_MAX_DEPTH; more than
 * JSON_MAX_MEMBERS members in one object; anything after the value.
 *
 * Limits are checked while reading, never after building the tree: the
 * depth as arrays and objects open, members as they are added. The caller
 * bounds the input size; the tree takes a small multiple of it.
 *
 * Workload: an HSDS package of a city (a few MB) is read in one pass.
 */
#ifndef BUURT_JSON_H
#define BUURT_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 64
#define JSON_MAX_MEMBERS 4096

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ } json_type_t;

typedef struct json json_t;
struct json {
    json_type_t type;
    size_t line;     /* the line the value starts on, 1-based */
    bool b;          /* BOOL: its value */
    char *s;         /* STR: the decoded text; NUM: the number as written; else NULL */
    size_t n;        /* ARR, OBJ: how many items */
    char **keys;     /* OBJ: member names, in the order written */
    json_t **items;  /* ARR: the items; OBJ: the members' values */
};

/*
 * Reads len bytes of text into *out (json_destroy it). Returns 0, or
 * BU_EINVAL with a one-line *cause naming the line ("line 3: a comma
 * before '}'") and *out NULL. text need not be NUL-terminated.
 */
int json_parse(const char *text, size_t len, json_t **out, char **cause);
/* Frees the tree and sets *self_p to NULL; accepts NULL and *self_p NULL. */
void json_destroy(json_t **self_p);

/* The value of member key of an object; NULL when v is not an object or
 * has no such member. */
const json_t *json_get(const json_t *v, const char *key);

#endif
