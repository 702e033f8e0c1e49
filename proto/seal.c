/*
 * seal.c -- sealed edits and keys boxes of private coalitions (seal.h).
 */
#include "proto/seal.h"
#include "proto/err.h"
#include "proto/util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_ABYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

void seal_key_id(const uint8_t key[32], uint8_t id[SEAL_KEY_ID_LEN])
{
    crypto_generichash(id, SEAL_KEY_ID_LEN, key, 32, (const uint8_t *)"buurt-ckey-v1", 13);
}

/* Associated data of a sealed edit: who wrote which entity when. */
static void s_ad(const uint8_t entity[32], const uint8_t author[32], uint64_t hlc, uint8_t ad[72])
{
    memcpy(ad, entity, 32);
    memcpy(ad + 32, author, 32);
    le64_store(ad + 64, hlc);
}

pv_t *seal_fields_with_nonce(const uint8_t key[32], rec_kind_t kind, const pv_t *fields,
                             const uint8_t entity[32], const uint8_t author[32], uint64_t hlc,
                             const uint8_t nonce[SEAL_NONCE_LEN])
{
    pv_t *inner = pv_arr();
    pv_arr_push(inner, pv_str(rec_kind_name(kind)));
    pv_arr_push(inner, pv_dup(fields));
    buf_t plain = {0};
    pv_encode(inner, &plain);
    pv_free(&inner);
    size_t bl = SEAL_NONCE_LEN + plain.len + S_ABYTES;
    uint8_t *box = xmalloc(bl);
    memcpy(box, nonce, SEAL_NONCE_LEN);
    uint8_t ad[72];
    s_ad(entity, author, hlc, ad);
    unsigned long long cl = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(box + SEAL_NONCE_LEN, &cl, plain.data, plain.len,
                                               ad, sizeof ad, NULL, box, key);
    sodium_memzero(plain.data, plain.len);
    buf_free(&plain);
    uint8_t kid[SEAL_KEY_ID_LEN];
    seal_key_id(key, kid);
    pv_t *f = pv_map();
    pv_map_set(f, "key", pv_bin(kid, SEAL_KEY_ID_LEN));
    pv_map_set(f, "box", pv_bin(box, SEAL_NONCE_LEN + (size_t)cl));
    free(box);
    return f;
}

pv_t *seal_fields(const uint8_t key[32], rec_kind_t kind, const pv_t *fields,
                  const uint8_t entity[32], const uint8_t author[32], uint64_t hlc)
{
    uint8_t nonce[SEAL_NONCE_LEN];
    randombytes_buf(nonce, SEAL_NONCE_LEN);
    return seal_fields_with_nonce(key, kind, fields, entity, author, hlc, nonce);
}

const uint8_t *seal_key_of(const pv_t *sealed)
{
    const pv_t *kid = pv_map_get(sealed, "key");
    return kid && kid->type == PV_BIN && kid->u.s.n == SEAL_KEY_ID_LEN ? (const uint8_t *)kid->u.s.p
                                                                       : NULL;
}

int seal_open(const uint8_t key[32], const pv_t *sealed, const uint8_t entity[32],
              const uint8_t author[32], uint64_t hlc, rec_kind_t *kind, pv_t **fields)
{
    *fields = NULL;
    const pv_t *box = pv_map_get(sealed, "box");
    if (!seal_key_of(sealed) || !box || box->type != PV_BIN ||
        box->u.s.n < SEAL_NONCE_LEN + S_ABYTES + 1)
        return BU_EINVAL;
    const uint8_t *nonce = (const uint8_t *)box->u.s.p;
    size_t cl = box->u.s.n - SEAL_NONCE_LEN;
    uint8_t *plain = xmalloc(cl);
    unsigned long long pl = 0;
    uint8_t ad[72];
    s_ad(entity, author, hlc, ad);
    pv_t *v = NULL;
    int rc = BU_EINVAL;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &pl, NULL, nonce + SEAL_NONCE_LEN, cl,
                                                   ad, sizeof ad, nonce, key) == 0 &&
        pv_decode(plain, (size_t)pl, &v) == 0 && v->type == PV_ARR && v->u.a.n == 2 &&
        v->u.a.items[0]->type == PV_STR && v->u.a.items[1]->type == PV_MAP) {
        int k = rec_kind_parse(v->u.a.items[0]->u.s.p);
        if ((k == REC_COALITION || k == REC_NEED || k == REC_OFFER || k == REC_BULLETIN ||
             k == REC_PLACE) &&
            rec_validate((rec_kind_t)k, v->u.a.items[1], 0, NULL) == 0) {
            *kind = (rec_kind_t)k;
            *fields = v->u.a.items[1];
            v->u.a.items[1] = pv_nil();
            rc = 0;
        }
    }
    pv_free(&v);
    sodium_memzero(plain, cl);
    free(plain);
    return rc;
}

pv_t *seal_keys_box(const uint8_t reader_curve[32], const uint8_t coalition[32],
                    const uint8_t (*keys)[32], size_t n)
{
    pv_t *inner = pv_arr(), *kl = pv_arr();
    pv_arr_push(inner, pv_bin(coalition, 32));
    for (size_t i = 0; i < n; i++)
        pv_arr_push(kl, pv_bin(keys[i], 32));
    pv_arr_push(inner, kl);
    buf_t plain = {0};
    pv_encode(inner, &plain);
    pv_free(&inner);
    size_t bl = plain.len + crypto_box_SEALBYTES;
    uint8_t *box = xmalloc(bl);
    crypto_box_seal(box, plain.data, plain.len, reader_curve);
    sodium_memzero(plain.data, plain.len);
    buf_free(&plain);
    pv_t *v = pv_bin(box, bl);
    free(box);
    return v;
}

int seal_keys_open(const pv_t *box, const uint8_t curve_pk[32], const uint8_t curve_sk[32],
                   uint8_t coalition[32], uint8_t (**keys)[32], size_t *n)
{
    *keys = NULL;
    *n = 0;
    if (!box || box->type != PV_BIN || box->u.s.n <= crypto_box_SEALBYTES)
        return BU_EINVAL;
    size_t pl = box->u.s.n - crypto_box_SEALBYTES;
    uint8_t *plain = xmalloc(pl);
    pv_t *v = NULL;
    int rc = BU_EINVAL;
    if (crypto_box_seal_open(plain, (const uint8_t *)box->u.s.p, box->u.s.n, curve_pk, curve_sk) == 0 &&
        pv_decode(plain, pl, &v) == 0 && v->type == PV_ARR && v->u.a.n == 2 &&
        v->u.a.items[0]->type == PV_BIN && v->u.a.items[0]->u.s.n == 32 &&
        v->u.a.items[1]->type == PV_ARR) {
        const pv_t *ks = v->u.a.items[1];
        memcpy(coalition, v->u.a.items[0]->u.s.p, 32);
        *keys = xmalloc((ks->u.a.n ? ks->u.a.n : 1) * 32);
        for (size_t j = 0; j < ks->u.a.n; j++) {
            const pv_t *k = ks->u.a.items[j];
            if (k->type == PV_BIN && k->u.s.n == 32)
                memcpy((*keys)[(*n)++], k->u.s.p, 32);
        }
        rc = 0;
    }
    if (v) {
        /* the tree held the keys too */
        for (size_t j = 0; v->type == PV_ARR && v->u.a.n == 2 && v->u.a.items[1]->type == PV_ARR &&
                           j < v->u.a.items[1]->u.a.n; j++) {
            pv_t *k = v->u.a.items[1]->u.a.items[j];
            if (k->type == PV_BIN)
                sodium_memzero(k->u.s.p, k->u.s.n);
        }
    }
    pv_free(&v);
    sodium_memzero(plain, pl);
    free(plain);
    return rc;
}
