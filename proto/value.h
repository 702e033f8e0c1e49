/*
 * value.h -- pv_t, a small tree of msgpack values, and its canonical codec.
 *
 * Every buurt record and sync message is a pv_t tree. Encoding is canonical:
 * integers in their shortest msgpack form, text as str (valid UTF-8), bytes
 * as bin, map keys are str, sorted by their bytes, with no duplicates. The
 * decoder accepts only canonical input (it re-encodes and compares), so
 * equal values always have equal bytes and an id can be a hash of the bytes.
 *
 * Decoding is bounds-checked: malformed, truncated, non-canonical, too deep
 * or oversized input returns a negative BU_ code, never crashes or asserts.
 * Its work is linear in the input: lengths, counts and depth are checked
 * before anything is allocated, and map key order while the tree is built,
 * which stops at the first key out of order. No I/O, no globals.
 */
#ifndef BUURT_VALUE_H
#define BUURT_VALUE_H

#include "proto/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PV_MAX_DEPTH 8          /* nesting levels accepted by pv_decode */
#define PV_MAX_INPUT (4u << 20) /* largest input pv_decode accepts */

typedef enum { PV_NIL, PV_BOOL, PV_INT, PV_STR, PV_BIN, PV_ARR, PV_MAP } pv_type_t;

typedef struct pv pv_t;
struct pv {
    pv_type_t type;
    bool packed; /* root of a pv_pack tree: one allocation, read-only */
    union {
        bool b;
        int64_t i;
        struct { char *p; size_t n; } s;     /* STR (NUL-terminated too) and BIN */
        struct { pv_t **items; size_t n; } a; /* ARR */
        struct { char **keys; pv_t **vals; size_t n; } m; /* MAP, keys sorted */
    } u;
};

pv_t *pv_nil(void);
pv_t *pv_bool(bool b);
pv_t *pv_int(int64_t i);
pv_t *pv_str(const char *s);
pv_t *pv_strn(const char *s, size_t n);
pv_t *pv_bin(const void *p, size_t n);
pv_t *pv_arr(void);
pv_t *pv_map(void);

/*
 * A deep copy of v in one allocation (about half the memory of a tree
 * built value by value, and freed with one free()). The copy is read-only:
 * pv_free it as a whole, never change or free a part of it.
 */
pv_t *pv_pack(const pv_t *v);

/* Appends item to arr, taking ownership of item. Arrays and maps grow by
 * doubling, so n appends cost O(n). */
void pv_arr_push(pv_t *arr, pv_t *item);
/* Sets key in map, taking ownership of val; replaces (and frees) an old value. */
void pv_map_set(pv_t *map, const char *key, pv_t *val);
/* Removes key from map (frees its value); no-op when absent. */
void pv_map_del(pv_t *map, const char *key);
/* Borrowed value for key, or NULL when absent or map is not a map. */
const pv_t *pv_map_get(const pv_t *map, const char *key);

/* Typed getters: NULL / default when absent or of another type. */
const char *pv_get_str(const pv_t *map, const char *key);
int64_t pv_get_int(const pv_t *map, const char *key, int64_t dflt);
bool pv_get_bool(const pv_t *map, const char *key, bool dflt);

pv_t *pv_dup(const pv_t *v);
bool pv_equal(const pv_t *a, const pv_t *b);
/* Frees the tree; accepts NULL and *v == NULL; sets *v to NULL. */
void pv_free(pv_t **v);

/* Appends the canonical encoding of v to out. */
void pv_encode(const pv_t *v, buf_t *out);

/*
 * Decodes exactly one canonical value filling data[0..len). Returns 0 and
 * sets *out, or BU_ETRUNC (input ends early), BU_EINVAL (bad msgpack,
 * unsupported type, bad UTF-8, trailing bytes, depth), BU_ETOOBIG (len over
 * PV_MAX_INPUT), BU_ECANON (valid but not canonical: among others, map keys
 * not strictly increasing by their bytes). *out is NULL on failure. Input
 * that is both malformed and not canonical is BU_EINVAL.
 */
int pv_decode(const uint8_t *data, size_t len, pv_t **out);
/* As pv_decode with another size limit, for trusted local input (buurtd's
 * replies to the CLI, which carry a command's whole output). */
int pv_decode_max(const uint8_t *data, size_t len, size_t max, pv_t **out);

/* What one decode did: counts that tests and benchmarks compare with the
 * input size instead of timing it. */
typedef struct {
    size_t built;    /* pv_t values allocated (freed again on failure) */
    size_t compared; /* map keys compared with the key before them */
} pv_work_t;

/* As pv_decode_max; when work is not NULL it is filled in, on failure too.
 * Each map key is compared once, with the key before it, as it is read;
 * at the first key that is not greater, building and comparing stop (the
 * rest is only checked for BU_EINVAL), so on such input both counts depend
 * on where that key lies, not on how much input follows it. */
int pv_decode_work(const uint8_t *data, size_t len, size_t max, pv_t **out, pv_work_t *work);

/* Appends v as JSON (BIN as lowercase hex string) to out. */
void pv_to_json(const pv_t *v, buf_t *out);
/* Appends s as a JSON string literal (quoted, escaped). */
void json_str(buf_t *out, const char *s, size_t n);

#endif
