/*
 * fixture.h -- helpers the Criterion unit tests share: test keys from a
 * seed byte, building field maps, signing an edit with one, storing it in
 * a repo as if it came from a peer, and removing a test's temporary
 * directory. Header-only
 * (static inline), included by tests/test_*.c after criterion.h.
 */
#ifndef BUURT_TESTS_FIXTURE_H
#define BUURT_TESTS_FIXTURE_H

#include "node/repo.h"
#include "proto/edit.h"
#include "proto/util.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A fields map from key, value (taken), ... pairs ending with a NULL key. */
static inline pv_t *fx_fields(const char *key, ...)
{
    pv_t *m = pv_map();
    va_list ap;
    va_start(ap, key);
    for (const char *k = key; k; k = va_arg(ap, const char *))
        pv_map_set(m, k, va_arg(ap, pv_t *));
    va_end(ap);
    return m;
}

/* A list of one text. */
static inline pv_t *fx_list1(const char *text)
{
    pv_t *l = pv_arr();
    pv_arr_push(l, pv_str(text));
    return l;
}

/* An id as the hex text fields hold it. */
static inline pv_t *fx_hexid(const uint8_t id[32])
{
    char hex[65];
    hex_encode(id, 32, hex);
    return pv_str(hex);
}

/* A node's key made from 32 bytes of tag, and its id in hex. */
typedef struct {
    uint8_t pk[32];
    uint8_t sk[64];
    char hex[65];
} fx_key_t;

static inline void fx_key(uint8_t tag, fx_key_t *k)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    hex_encode(k->pk, 32, k->hex);
}

/* Signs an edit (fields taken) and appends its wire bytes to w. */
static inline void fx_sign(rec_kind_t kind, const uint8_t ent[32], const fx_key_t *k, uint64_t hlc,
                           pv_t *fields, buf_t *w)
{
    edit_t e = {0};
    e.kind = kind;
    memcpy(e.entity, ent, 32);
    memcpy(e.author, k->pk, 32);
    e.hlc = hlc;
    e.fields = fields;
    char *cause = NULL;
    int rc = edit_sign(&e, k->sk, 0, w, &cause);
    cr_assert_eq(rc, 0, "test edit does not sign: %s", cause ? cause : "");
    pv_free(&e.fields);
}

/* Signs an edit and ingests it into r (it must be new). */
static inline void fx_put(repo_t *r, rec_kind_t kind, const uint8_t ent[32], const fx_key_t *k,
                          uint64_t hlc, pv_t *fields)
{
    buf_t w = {0};
    fx_sign(kind, ent, k, hlc, fields, &w);
    char *cause = NULL;
    int rc = repo_ingest(r, w.data, w.len, &cause);
    cr_assert_eq(rc, 1, "repo_ingest: %d %s", rc, cause ? cause : "");
    buf_free(&w);
}

static inline int fx_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes dir and everything below it (a test's mkdtemp directory). */
static inline void fx_rm_tree(const char *dir)
{
    nftw(dir, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
