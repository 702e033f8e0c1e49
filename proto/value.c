/*
 * value.c -- pv_t trees, their canonical msgpack codec (msgpack-c) and JSON.
 *
 * Decoding runs in two passes. s_scan walks the raw bytes first and checks
 * that every length and element count fits in what remains of the input and
 * that nesting stays under PV_MAX_DEPTH; only then does msgpack-c unpack it,
 * so a 5-byte header claiming four billion elements can never make msgpack-c
 * allocate memory for them. The tree is then rebuilt as pv_t, checking map
 * key order as it goes: keys must strictly increase (by bytes), each entry is
 * appended, and at the first key that does not increase building stops (the
 * rest of the input is only checked for validity, allocating nothing, so
 * that malformed input is still BU_EINVAL) and the result is BU_ECANON.
 * Finally the tree is re-encoded and compared with the input: anything not
 * byte-identical is BU_ECANON. Every step is linear in the input size.
 *
 * Invariant of ordinary (not packed) trees: an array or map of n items has
 * room for at least s_room(n) items (the next power of two), so appending
 * reallocates only when n reaches a power of two and n appends cost O(n).
 */
#include "proto/value.h"
#include "proto/err.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- tree */

static pv_t *s_new(pv_type_t t)
{
    pv_t *v = xcalloc(1, sizeof *v);
    v->type = t;
    return v;
}

pv_t *pv_nil(void) { return s_new(PV_NIL); }

pv_t *pv_bool(bool b)
{
    pv_t *v = s_new(PV_BOOL);
    v->u.b = b;
    return v;
}

pv_t *pv_int(int64_t i)
{
    pv_t *v = s_new(PV_INT);
    v->u.i = i;
    return v;
}

pv_t *pv_strn(const char *s, size_t n)
{
    pv_t *v = s_new(PV_STR);
    v->u.s.p = xstrndup(s, n);
    v->u.s.n = n;
    return v;
}

pv_t *pv_str(const char *s) { return pv_strn(s, strlen(s)); }

pv_t *pv_bin(const void *p, size_t n)
{
    pv_t *v = s_new(PV_BIN);
    v->u.s.p = xmalloc(n + 1);
    if (n)
        memcpy(v->u.s.p, p, n);
    v->u.s.p[n] = '\0';
    v->u.s.n = n;
    return v;
}

pv_t *pv_arr(void) { return s_new(PV_ARR); }
pv_t *pv_map(void) { return s_new(PV_MAP); }

/* Items an array or map of n items has room for: 0, or the smallest power
 * of two >= n. */
static size_t s_room(size_t n)
{
    size_t r = n ? 1 : 0;
    while (r < n)
        r *= 2;
    return r;
}

/* items (n in use, each sz bytes) with room for one more: reallocated,
 * doubling, only when the n in use fill the room, so n appends cost O(n). */
static void *s_grow(void *items, size_t n, size_t sz)
{
    return n == s_room(n) ? xrealloc(items, s_room(n + 1) * sz) : items;
}

void pv_arr_push(pv_t *arr, pv_t *item)
{
    arr->u.a.items = s_grow(arr->u.a.items, arr->u.a.n, sizeof(pv_t *));
    arr->u.a.items[arr->u.a.n++] = item;
}

/* Appends key (taken over) and val to map; the caller keeps keys sorted. */
static void s_map_append(pv_t *map, char *key, pv_t *val)
{
    size_t n = map->u.m.n;
    map->u.m.keys = s_grow(map->u.m.keys, n, sizeof(char *));
    map->u.m.vals = s_grow(map->u.m.vals, n, sizeof(pv_t *));
    map->u.m.keys[n] = key;
    map->u.m.vals[n] = val;
    map->u.m.n = n + 1;
}

/* Index of key in map, or -(insertion point) - 1. Keys compare as bytes. */
static long s_find(const pv_t *map, const char *key)
{
    size_t lo = 0, hi = map->u.m.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(map->u.m.keys[mid], key);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

void pv_map_set(pv_t *map, const char *key, pv_t *val)
{
    long at = s_find(map, key);
    if (at >= 0) {
        pv_free(&map->u.m.vals[at]);
        map->u.m.vals[at] = val;
        return;
    }
    size_t pos = (size_t)(-at - 1), n = map->u.m.n;
    map->u.m.keys = s_grow(map->u.m.keys, n, sizeof(char *));
    map->u.m.vals = s_grow(map->u.m.vals, n, sizeof(pv_t *));
    memmove(map->u.m.keys + pos + 1, map->u.m.keys + pos, (n - pos) * sizeof(char *));
    memmove(map->u.m.vals + pos + 1, map->u.m.vals + pos, (n - pos) * sizeof(pv_t *));
    map->u.m.keys[pos] = xstrdup(key);
    map->u.m.vals[pos] = val;
    map->u.m.n = n + 1;
}

void pv_map_del(pv_t *map, const char *key)
{
    long at = s_find(map, key);
    if (at < 0)
        return;
    size_t pos = (size_t)at, n = map->u.m.n;
    free(map->u.m.keys[pos]);
    pv_free(&map->u.m.vals[pos]);
    memmove(map->u.m.keys + pos, map->u.m.keys + pos + 1, (n - pos - 1) * sizeof(char *));
    memmove(map->u.m.vals + pos, map->u.m.vals + pos + 1, (n - pos - 1) * sizeof(pv_t *));
    map->u.m.n = n - 1;
}

const pv_t *pv_map_get(const pv_t *map, const char *key)
{
    if (map == NULL || map->type != PV_MAP)
        return NULL;
    long at = s_find(map, key);
    return at >= 0 ? map->u.m.vals[at] : NULL;
}

const char *pv_get_str(const pv_t *map, const char *key)
{
    const pv_t *v = pv_map_get(map, key);
    return v && v->type == PV_STR ? v->u.s.p : NULL;
}

int64_t pv_get_int(const pv_t *map, const char *key, int64_t dflt)
{
    const pv_t *v = pv_map_get(map, key);
    return v && v->type == PV_INT ? v->u.i : dflt;
}

bool pv_get_bool(const pv_t *map, const char *key, bool dflt)
{
    const pv_t *v = pv_map_get(map, key);
    return v && v->type == PV_BOOL ? v->u.b : dflt;
}

pv_t *pv_dup(const pv_t *v)
{
    switch (v->type) {
    case PV_NIL: return pv_nil();
    case PV_BOOL: return pv_bool(v->u.b);
    case PV_INT: return pv_int(v->u.i);
    case PV_STR: return pv_strn(v->u.s.p, v->u.s.n);
    case PV_BIN: return pv_bin(v->u.s.p, v->u.s.n);
    case PV_ARR: {
        pv_t *a = pv_arr();
        for (size_t i = 0; i < v->u.a.n; i++)
            pv_arr_push(a, pv_dup(v->u.a.items[i]));
        return a;
    }
    case PV_MAP: {
        pv_t *m = pv_map();
        for (size_t i = 0; i < v->u.m.n; i++)
            s_map_append(m, xstrdup(v->u.m.keys[i]), pv_dup(v->u.m.vals[i]));
        return m;
    }
    }
    return pv_nil();
}

bool pv_equal(const pv_t *a, const pv_t *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case PV_NIL: return true;
    case PV_BOOL: return a->u.b == b->u.b;
    case PV_INT: return a->u.i == b->u.i;
    case PV_STR:
    case PV_BIN: return a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
    case PV_ARR:
        if (a->u.a.n != b->u.a.n)
            return false;
        for (size_t i = 0; i < a->u.a.n; i++)
            if (!pv_equal(a->u.a.items[i], b->u.a.items[i]))
                return false;
        return true;
    case PV_MAP:
        if (a->u.m.n != b->u.m.n)
            return false;
        for (size_t i = 0; i < a->u.m.n; i++)
            if (strcmp(a->u.m.keys[i], b->u.m.keys[i]) != 0 ||
                !pv_equal(a->u.m.vals[i], b->u.m.vals[i]))
                return false;
        return true;
    }
    return false;
}

/* ---------------------------------------------------------------- pack */

static size_t s_al8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static size_t s_pack_size(const pv_t *v)
{
    size_t n = sizeof(pv_t);
    switch (v->type) {
    case PV_STR:
    case PV_BIN: n += s_al8(v->u.s.n + 1); break;
    case PV_ARR:
        n += s_al8(v->u.a.n * sizeof(pv_t *));
        for (size_t i = 0; i < v->u.a.n; i++)
            n += s_pack_size(v->u.a.items[i]);
        break;
    case PV_MAP:
        n += s_al8(v->u.m.n * sizeof(char *)) + s_al8(v->u.m.n * sizeof(pv_t *));
        for (size_t i = 0; i < v->u.m.n; i++)
            n += s_al8(strlen(v->u.m.keys[i]) + 1) + s_pack_size(v->u.m.vals[i]);
        break;
    default: break;
    }
    return n;
}

static void *s_take(uint8_t **at, size_t n)
{
    void *p = *at;
    *at += s_al8(n);
    return p;
}

static pv_t *s_pack_into(const pv_t *v, uint8_t **at)
{
    pv_t *o = s_take(at, sizeof(pv_t));
    *o = *v;
    o->packed = false;
    switch (v->type) {
    case PV_STR:
    case PV_BIN:
        o->u.s.p = s_take(at, v->u.s.n + 1);
        if (v->u.s.n)
            memcpy(o->u.s.p, v->u.s.p, v->u.s.n);
        o->u.s.p[v->u.s.n] = '\0';
        break;
    case PV_ARR:
        o->u.a.items = s_take(at, v->u.a.n * sizeof(pv_t *));
        for (size_t i = 0; i < v->u.a.n; i++)
            o->u.a.items[i] = s_pack_into(v->u.a.items[i], at);
        break;
    case PV_MAP:
        o->u.m.keys = s_take(at, v->u.m.n * sizeof(char *));
        o->u.m.vals = s_take(at, v->u.m.n * sizeof(pv_t *));
        for (size_t i = 0; i < v->u.m.n; i++) {
            size_t kl = strlen(v->u.m.keys[i]) + 1;
            o->u.m.keys[i] = s_take(at, kl);
            memcpy(o->u.m.keys[i], v->u.m.keys[i], kl);
            o->u.m.vals[i] = s_pack_into(v->u.m.vals[i], at);
        }
        break;
    default: break;
    }
    return o;
}

pv_t *pv_pack(const pv_t *v)
{
    uint8_t *block = xmalloc(s_pack_size(v)), *at = block;
    pv_t *root = s_pack_into(v, &at);
    root->packed = true;
    return root;
}

void pv_free(pv_t **vp)
{
    if (vp == NULL || *vp == NULL)
        return;
    pv_t *v = *vp;
    if (v->packed) { /* one block, parts included */
        free(v);
        *vp = NULL;
        return;
    }
    switch (v->type) {
    case PV_STR:
    case PV_BIN: free(v->u.s.p); break;
    case PV_ARR:
        for (size_t i = 0; i < v->u.a.n; i++)
            pv_free(&v->u.a.items[i]);
        free(v->u.a.items);
        break;
    case PV_MAP:
        for (size_t i = 0; i < v->u.m.n; i++) {
            free(v->u.m.keys[i]);
            pv_free(&v->u.m.vals[i]);
        }
        free(v->u.m.keys);
        free(v->u.m.vals);
        break;
    default: break;
    }
    free(v);
    *vp = NULL;
}

/* ---------------------------------------------------------------- encode */

static int s_write(void *data, const char *p, size_t n)
{
    buf_append((buf_t *)data, p, n);
    return 0;
}

static void s_pack(msgpack_packer *pk, const pv_t *v)
{
    switch (v->type) {
    case PV_NIL: msgpack_pack_nil(pk); break;
    case PV_BOOL: v->u.b ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
    case PV_INT: msgpack_pack_int64(pk, v->u.i); break;
    case PV_STR:
        msgpack_pack_str(pk, v->u.s.n);
        msgpack_pack_str_body(pk, v->u.s.p, v->u.s.n);
        break;
    case PV_BIN:
        msgpack_pack_bin(pk, v->u.s.n);
        msgpack_pack_bin_body(pk, v->u.s.p, v->u.s.n);
        break;
    case PV_ARR:
        msgpack_pack_array(pk, v->u.a.n);
        for (size_t i = 0; i < v->u.a.n; i++)
            s_pack(pk, v->u.a.items[i]);
        break;
    case PV_MAP:
        msgpack_pack_map(pk, v->u.m.n);
        for (size_t i = 0; i < v->u.m.n; i++) {
            size_t kn = strlen(v->u.m.keys[i]);
            msgpack_pack_str(pk, kn);
            msgpack_pack_str_body(pk, v->u.m.keys[i], kn);
            s_pack(pk, v->u.m.vals[i]);
        }
        break;
    }
}

void pv_encode(const pv_t *v, buf_t *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, s_write);
    s_pack(&pk, v);
}

/* ---------------------------------------------------------------- decode */

/* Big-endian unsigned of n bytes at p. */
static uint64_t s_be(const uint8_t *p, int n)
{
    uint64_t x = 0;
    for (int i = 0; i < n; i++)
        x = x << 8 | p[i];
    return x;
}

/*
 * Structural pre-scan of one value at data[*off..len). Checks every header
 * and length fits, element counts do not exceed the bytes left (each element
 * takes at least one byte) and depth stays bounded. Rejects types buurt does
 * not use (float, ext). Returns 0 or a negative BU_ code.
 */
static int s_scan(const uint8_t *d, size_t len, size_t *off, int depth)
{
    if (*off >= len)
        return BU_ETRUNC;
    uint8_t t = d[(*off)++];
    size_t left = len - *off;
    uint64_t n = 0, items = 0;
    int hdr = 0, skip = 0, kind = 0; /* kind: 0 scalar, 1 bytes, 2 array, 3 map */
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
        return 0;
    if ((t & 0xe0) == 0xa0) { n = t & 0x1f; kind = 1; }
    else if ((t & 0xf0) == 0x90) { items = t & 0x0f; kind = 2; }
    else if ((t & 0xf0) == 0x80) { items = t & 0x0f; kind = 3; }
    else switch (t) {
    case 0xcc: case 0xd0: skip = 1; break;
    case 0xcd: case 0xd1: skip = 2; break;
    case 0xce: case 0xd2: skip = 4; break;
    case 0xcf: case 0xd3: skip = 8; break;
    case 0xd9: case 0xc4: hdr = 1; kind = 1; break;
    case 0xda: case 0xc5: hdr = 2; kind = 1; break;
    case 0xdb: case 0xc6: hdr = 4; kind = 1; break;
    case 0xdc: hdr = 2; kind = 2; break;
    case 0xdd: hdr = 4; kind = 2; break;
    case 0xde: hdr = 2; kind = 3; break;
    case 0xdf: hdr = 4; kind = 3; break;
    default: return BU_EINVAL; /* float, ext, never-used */
    }
    if (skip) {
        if (left < (size_t)skip)
            return BU_ETRUNC;
        *off += (size_t)skip;
        return 0;
    }
    if (hdr) {
        if (left < (size_t)hdr)
            return BU_ETRUNC;
        uint64_t x = s_be(d + *off, hdr);
        *off += (size_t)hdr;
        left -= (size_t)hdr;
        if (kind == 1)
            n = x;
        else
            items = x;
    }
    if (kind == 1) {
        if (n > left)
            return BU_ETRUNC;
        *off += (size_t)n;
        return 0;
    }
    if (depth >= PV_MAX_DEPTH)
        return BU_EINVAL; /* a container at depth 8 would be the ninth level */
    uint64_t elems = kind == 3 ? items * 2 : items;
    if (elems > left)
        return BU_ETRUNC;
    for (uint64_t i = 0; i < elems; i++) {
        int rc = s_scan(d, len, off, depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static bool s_utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t need;
        uint32_t cp;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xe0) == 0xc0) { need = 1; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { need = 2; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { need = 3; cp = c & 0x07; }
        else return false;
        if (i + need >= n)
            return false;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
            (need == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += need + 1;
    }
    return true;
}

/* msgpack-c leaves ptr NULL for empty text; libc calls must not get NULL. */
static const char *s_ptr(const char *p, uint32_t n)
{
    return n ? p : "";
}

/* Text buurt accepts in a str: valid UTF-8 without NUL. */
static bool s_text_ok(const char *p, size_t n)
{
    return s_utf8_ok((const uint8_t *)p, n) && memchr(p, '\0', n) == NULL;
}

/* Map key order: bytes, a prefix before its extensions. <0, 0, >0. */
static int s_key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

/* One decode in progress. */
typedef struct {
    pv_work_t work;   /* what was done so far */
    bool unordered;   /* a map key did not increase: build no more */
} s_dec_t;

/*
 * Converts o into a new tree in *out or, when out is NULL, only checks it
 * (allocating nothing). Returns 0 or BU_EINVAL; on failure *out is left
 * alone and nothing is leaked. Map keys are compared with their predecessor
 * as they are read; at the first that does not increase, dec->unordered is
 * set and from then on every value is only checked: *out may then hold a
 * partial tree, which the caller frees.
 */
static int s_from_obj(s_dec_t *dec, const msgpack_object *o, pv_t **out)
{
    int rc = 0;
    pv_t *v = NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        if (out)
            v = pv_nil();
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        if (out)
            v = pv_bool(o->via.boolean);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > INT64_MAX)
            return BU_EINVAL;
        if (out)
            v = pv_int((int64_t)o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        if (out)
            v = pv_int(o->via.i64);
        break;
    case MSGPACK_OBJECT_STR: {
        const char *p = s_ptr(o->via.str.ptr, o->via.str.size);
        if (!s_text_ok(p, o->via.str.size))
            return BU_EINVAL;
        if (out)
            v = pv_strn(p, o->via.str.size);
        break;
    }
    case MSGPACK_OBJECT_BIN:
        if (out)
            v = pv_bin(o->via.bin.ptr, o->via.bin.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        if (out)
            v = pv_arr();
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            pv_t *item = NULL;
            bool build = v && !dec->unordered;
            if ((rc = s_from_obj(dec, &o->via.array.ptr[i], build ? &item : NULL)) < 0)
                goto fail;
            if (item)
                pv_arr_push(v, item);
        }
        break;
    case MSGPACK_OBJECT_MAP:
        if (out)
            v = pv_map();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR) {
                rc = BU_EINVAL;
                goto fail;
            }
            const char *kp = s_ptr(kv->key.via.str.ptr, kv->key.via.str.size);
            size_t kn = kv->key.via.str.size;
            if (!s_text_ok(kp, kn)) {
                rc = BU_EINVAL;
                goto fail;
            }
            if (i > 0 && !dec->unordered) {
                const msgpack_object *prev = &o->via.map.ptr[i - 1].key;
                dec->work.compared++;
                if (s_key_cmp(s_ptr(prev->via.str.ptr, prev->via.str.size),
                              prev->via.str.size, kp, kn) >= 0)
                    dec->unordered = true; /* out of order or a duplicate */
            }
            pv_t *val = NULL;
            bool build = v && !dec->unordered;
            if ((rc = s_from_obj(dec, &kv->val, build ? &val : NULL)) < 0)
                goto fail;
            if (val)
                s_map_append(v, xstrndup(kp, kn), val); /* keys increase: append */
        }
        break;
    default: return BU_EINVAL;
    }
    if (v) {
        dec->work.built++;
        *out = v;
    }
    return 0;
fail:
    pv_free(&v);
    return rc;
}

int pv_decode(const uint8_t *data, size_t len, pv_t **out)
{
    return pv_decode_work(data, len, PV_MAX_INPUT, out, NULL);
}

int pv_decode_max(const uint8_t *data, size_t len, size_t max, pv_t **out)
{
    return pv_decode_work(data, len, max, out, NULL);
}

int pv_decode_work(const uint8_t *data, size_t len, size_t max, pv_t **out, pv_work_t *work)
{
    s_dec_t dec = {{0}, false};
    pv_t *v = NULL;
    buf_t again = {0};
    msgpack_unpacked res;
    msgpack_unpacked_init(&res);
    size_t off = 0, uoff = 0;
    int rc = 0;
    *out = NULL;
    if (len > max)
        rc = BU_ETOOBIG;
    else if (len == 0)
        rc = BU_ETRUNC;
    else if ((rc = s_scan(data, len, &off, 0)) == 0 && off != len)
        rc = BU_EINVAL; /* trailing bytes */
    if (rc < 0)
        goto done;

    msgpack_unpack_return ur = msgpack_unpack_next(&res, (const char *)data, len, &uoff);
    if (ur != MSGPACK_UNPACK_SUCCESS || uoff != len) {
        rc = ur == MSGPACK_UNPACK_CONTINUE ? BU_ETRUNC : BU_EINVAL;
        goto done;
    }
    if ((rc = s_from_obj(&dec, &res.data, &v)) < 0)
        goto done;
    if (dec.unordered) {
        rc = BU_ECANON; /* built only up to the first bad key */
        goto done;
    }
    pv_encode(v, &again);
    if (again.len != len || memcmp(again.data, data, len) != 0) {
        rc = BU_ECANON;
        goto done;
    }
    *out = v;
    v = NULL;
done:
    pv_free(&v);
    buf_free(&again);
    msgpack_unpacked_destroy(&res);
    if (work)
        *work = dec.work;
    return rc;
}

/* ---------------------------------------------------------------- JSON */

void json_str(buf_t *out, const char *s, size_t n)
{
    buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf_putc(out, '\\');
            buf_putc(out, c);
        } else if (c == '\n') {
            buf_append(out, "\\n", 2);
        } else if (c == '\t') {
            buf_append(out, "\\t", 2);
        } else if (c == '\r') {
            buf_append(out, "\\r", 2);
        } else if (c < 0x20 || c == 0x7f) {
            buf_printf(out, "\\u%04x", c);
        } else {
            buf_putc(out, c);
        }
    }
    buf_putc(out, '"');
}

void pv_to_json(const pv_t *v, buf_t *out)
{
    switch (v->type) {
    case PV_NIL: buf_append(out, "null", 4); break;
    case PV_BOOL: v->u.b ? buf_append(out, "true", 4) : buf_append(out, "false", 5); break;
    case PV_INT: buf_printf(out, "%lld", (long long)v->u.i); break;
    case PV_STR: json_str(out, v->u.s.p, v->u.s.n); break;
    case PV_BIN: {
        char *hex = xmalloc(2 * v->u.s.n + 1);
        hex_encode((const uint8_t *)v->u.s.p, v->u.s.n, hex);
        json_str(out, hex, 2 * v->u.s.n);
        free(hex);
        break;
    }
    case PV_ARR:
        buf_putc(out, '[');
        for (size_t i = 0; i < v->u.a.n; i++) {
            if (i)
                buf_putc(out, ',');
            pv_to_json(v->u.a.items[i], out);
        }
        buf_putc(out, ']');
        break;
    case PV_MAP:
        buf_putc(out, '{');
        for (size_t i = 0; i < v->u.m.n; i++) {
            if (i)
                buf_putc(out, ',');
            json_str(out, v->u.m.keys[i], strlen(v->u.m.keys[i]));
            buf_putc(out, ':');
            pv_to_json(v->u.m.vals[i], out);
        }
        buf_putc(out, '}');
        break;
    }
}
