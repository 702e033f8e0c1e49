/*
 * test_vectors.c -- the conformance vectors of tests/vectors/ (*.txt), checked
 * against the reference code the way another implementation would use
 * them: every input is read from the file, every output recomputed and
 * compared with the file. The format is in tests/vectors/README.md.
 *
 * The files are made by this program too (deterministic: fixed seeds,
 * clocks and nonces, Ed25519 signatures are deterministic; beacons and
 * sealed edits go through the _with_nonce functions their random-nonce
 * sealers call). After a deliberate change
 * regenerate them from the repository root with
 *
 *     BUURT_WRITE_VECTORS=1 build/tests/test_vectors
 *
 * and review the diff; without the variable nothing is written, so a
 * vector can only go stale by failing here. Run from the repository root.
 */
#include "node/auth.h"
#include "node/guest.h"
#include "node/members.h"
#include "node/merge.h"
#include "node/sync.h"
#include "proto/beacon.h"
#include "proto/edit.h"
#include "proto/err.h"
#include "proto/invite.h"
#include "proto/msg.h"
#include "proto/record.h"
#include "proto/seal.h"
#include "proto/util.h"
#include "proto/value.h"

#include <criterion/criterion.h>
#include "tests/lib/fixture.h"
#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V "tests/vectors/"

/* ---- the file format: blocks of "key: value" lines -------------------- */

typedef struct {
    char **k, **v;
    size_t n;
} blk_t;

static bool s_writing(void)
{
    const char *w = getenv("BUURT_WRITE_VECTORS");
    return w && strcmp(w, "1") == 0;
}

static blk_t *s_load(const char *path, size_t *nb)
{
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "cannot read %s (run from the repo root; BUURT_WRITE_VECTORS=1 makes it)",
                       path);
    blk_t *b = NULL;
    size_t n = 0;
    bool open = false;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (line[0] == '#')
            continue;
        if (len == 0) {
            open = false;
            continue;
        }
        char *colon = strstr(line, ": ");
        if (!colon && line[len - 1] == ':')
            colon = line + len - 1;
        cr_assert_not_null(colon, "%s: line without 'key: value': %s", path, line);
        if (!open) {
            b = xrealloc(b, (n + 1) * sizeof *b);
            memset(&b[n++], 0, sizeof *b);
            open = true;
        }
        blk_t *x = &b[n - 1];
        x->k = xrealloc(x->k, (x->n + 1) * sizeof *x->k);
        x->v = xrealloc(x->v, (x->n + 1) * sizeof *x->v);
        x->k[x->n] = xstrndup(line, (size_t)(colon - line));
        x->v[x->n] = xstrdup(colon[1] ? colon + 2 : "");
        x->n++;
    }
    free(line);
    fclose(fp);
    *nb = n;
    return b;
}

static void s_free(blk_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < b[i].n; j++) {
            free(b[i].k[j]);
            free(b[i].v[j]);
        }
        free(b[i].k);
        free(b[i].v);
    }
    free(b);
}

/* The first value of key, or NULL. */
static const char *s_val(const blk_t *b, const char *key)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->k[i], key) == 0)
            return b->v[i];
    return NULL;
}

static const char *s_need(const blk_t *b, const char *key)
{
    const char *v = s_val(b, key);
    cr_assert_not_null(v, "vector %s: no '%s'", s_val(b, "name"), key);
    return v;
}

/* The values of key, in order; returns the count (*out allocated). */
static size_t s_vals(const blk_t *b, const char *key, const char ***out)
{
    size_t n = 0;
    *out = xcalloc(b->n + 1, sizeof **out);
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->k[i], key) == 0)
            (*out)[n++] = b->v[i];
    return n;
}

static uint8_t *s_unhex(const char *hex, size_t *n)
{
    size_t len = strlen(hex);
    cr_assert(len % 2 == 0, "odd hex length: %.40s", hex);
    uint8_t *out = xmalloc(len / 2 + 1);
    cr_assert_eq(hex_decode(hex, out, len / 2), 0, "bad hex: %.40s", hex);
    *n = len / 2;
    return out;
}

static void s_unhex32(const char *hex, uint8_t out[32])
{
    cr_assert_eq(strlen(hex), 64, "not 32 bytes of hex: %s", hex);
    cr_assert_eq(hex_decode(hex, out, 32), 0);
}

static char *s_hex(const uint8_t *p, size_t n)
{
    char *h = xmalloc(2 * n + 1);
    hex_encode(p, n, h);
    return h;
}

static void s_put_hex(FILE *fp, const char *key, const uint8_t *p, size_t n)
{
    char *h = s_hex(p, n);
    fprintf(fp, "%s: %s\n", key, h);
    free(h);
}

/* pv_to_json of the value the bytes decode to. */
static char *s_json_of(const uint8_t *p, size_t n)
{
    pv_t *v = NULL;
    cr_assert_eq(pv_decode(p, n, &v), 0);
    buf_t j = {0};
    pv_to_json(v, &j);
    pv_free(&v);
    char *s = xstrdup(buf_cstr(&j));
    buf_free(&j);
    return s;
}

static FILE *s_create(const char *file, const char *header)
{
    FILE *fp = fopen(file, "w");
    cr_assert_not_null(fp, "cannot write %s (run from the repo root)", file);
    fprintf(fp, "%s", header);
    return fp;
}

/* ---- keys and edits --------------------------------------------------- */

typedef struct {
    uint8_t pk[32], sk[64];
    char hex[65];
} key_t_;

/* §14's keys: A from the seed 00..1f, B from 20..3f; others: all bytes tag */
static void s_key_seq(key_t_ *k, uint8_t first)
{
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(first + i);
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    hex_encode(k->pk, 32, k->hex);
}

static void s_key_tag(key_t_ *k, uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, 32);
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
    hex_encode(k->pk, 32, k->hex);
}

/* 2026-01-01T00:00:00Z plus ms, counter 0 */
#define T0 UINT64_C(1767225600000)
#define H(ms) ((T0 + (uint64_t)(ms)) << 16)

/* Signs an edit; entity NULL: the id bound to (author, hlc). fields is taken. */
static void s_sign(buf_t *wire, rec_kind_t kind, const uint8_t *entity, const key_t_ *k,
                   uint64_t hlc, pv_t *fields)
{
    edit_t e = {.kind = kind, .hlc = hlc, .fields = fields};
    if (entity)
        memcpy(e.entity, entity, 32);
    else
        edit_bound_id(k->pk, hlc, e.entity);
    memcpy(e.author, k->pk, 32);
    char *cause = NULL;
    int rc = edit_sign(&e, k->sk, 0, wire, &cause);
    cr_assert_eq(rc, 0, "signing a vector edit: %s", cause ? cause : "");
    pv_free(&e.fields);
}

static pv_t *s_list(const char *a, const char *b)
{
    pv_t *l = pv_arr();
    pv_arr_push(l, pv_str(a));
    if (b)
        pv_arr_push(l, pv_str(b));
    return l;
}

/* ---- ed25519.txt ------------------------------------------------------ */

static const uint8_t s_L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
                                0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
/* a point of order 8 */
static const char *s_T8 = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";
static const char *s_ID = "0100000000000000000000000000000000000000000000000000000000000000";
static const char *s_ID_P1 = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";

/* body of a bulletin by author at hlc */
static void s_ed_body(const uint8_t author[32], uint64_t hlc, buf_t *body)
{
    uint8_t ent[32];
    edit_bound_id(author, hlc, ent);
    pv_t *b = pv_arr();
    pv_arr_push(b, pv_int(EDIT_VERSION));
    pv_arr_push(b, pv_str("bulletin"));
    pv_arr_push(b, pv_bin(ent, 32));
    pv_arr_push(b, pv_bin(author, 32));
    pv_arr_push(b, pv_int((int64_t)hlc));
    pv_arr_push(b, fx_fields("body", pv_str("Spreekuur verplaatst"), "title", pv_str("Spreekuur"), NULL));
    pv_encode(b, body);
    pv_free(&b);
}

static void s_ed_msg(const buf_t *body, buf_t *msg)
{
    buf_append(msg, EDIT_SIG_DOMAIN, strlen(EDIT_SIG_DOMAIN));
    buf_append(msg, body->data, body->len);
}

/* R = [r]B (+ T), k = H(R || A || M), S = r + k a; r from a label */
static uint8_t s_k_low(const uint8_t R[32], const uint8_t A[32], const buf_t *msg, uint8_t k[32])
{
    crypto_hash_sha512_state st;
    uint8_t h[64];
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, R, 32);
    crypto_hash_sha512_update(&st, A, 32);
    crypto_hash_sha512_update(&st, msg->data, msg->len);
    crypto_hash_sha512_final(&st, h);
    crypto_core_ed25519_scalar_reduce(k, h);
    return k[0];
}

static void s_sign_raw(const uint8_t a[32], const uint8_t A[32], const uint8_t r[32],
                       const uint8_t *Rplus, const buf_t *msg, uint8_t sig[64], uint8_t *klow)
{
    uint8_t R[32], k[32], ka[32];
    cr_assert_eq(crypto_scalarmult_ed25519_base_noclamp(R, r), 0);
    if (Rplus)
        cr_assert_eq(crypto_core_ed25519_add(R, R, Rplus), 0);
    uint8_t low = s_k_low(R, A, msg, k);
    if (klow)
        *klow = low;
    crypto_core_ed25519_scalar_mul(ka, k, a);
    crypto_core_ed25519_scalar_add(sig + 32, r, ka);
    memcpy(sig, R, 32);
}

static void s_nonce(const char *label, int i, uint8_t r[32])
{
    uint8_t h[64];
    char in[64];
    snprintf(in, sizeof in, "%s %d", label, i);
    crypto_hash_sha512(h, (const uint8_t *)in, strlen(in));
    crypto_core_ed25519_scalar_reduce(r, h);
}

static void s_ed_write(FILE *fp, const char *name, const char *why, const uint8_t pk[32],
                       const buf_t *body, const uint8_t sig[64], bool valid)
{
    buf_t msg = {0}, wire = {0};
    s_ed_msg(body, &msg);
    pv_t *o = pv_arr();
    pv_arr_push(o, pv_bin(body->data, body->len));
    pv_arr_push(o, pv_bin(sig, 64));
    pv_encode(o, &wire);
    pv_free(&o);
    fprintf(fp, "name: %s\nwhy: %s\n", name, why);
    s_put_hex(fp, "pk", pk, 32);
    s_put_hex(fp, "msg", msg.data, msg.len);
    s_put_hex(fp, "sig", sig, 64);
    s_put_hex(fp, "edit", wire.data, wire.len);
    fprintf(fp, "valid: %s\n\n", valid ? "true" : "false");
    buf_free(&msg);
    buf_free(&wire);
}

static void s_gen_ed25519(void)
{
    FILE *fp = s_create(V "ed25519.txt",
                        "# Ed25519 verification rules of docs/protocol.md §7.1.1.\n"
                        "# msg is what is signed (\"buurt-edit-v1\" || body); edit is the edit\n"
                        "# [bin(body), bin(sig)] whose author is pk. valid: whether a node\n"
                        "# MUST accept the signature (and the edit).\n\n");
    key_t_ A;
    s_key_seq(&A, 0x00);
    uint8_t a[32];
    crypto_sign_ed25519_sk_to_curve25519(a, A.sk); /* the clamped secret scalar */
    uint8_t chk[32];
    cr_assert_eq(crypto_scalarmult_ed25519_base_noclamp(chk, a), 0);
    cr_assert(memcmp(chk, A.pk, 32) == 0);
    uint8_t sig[64], r[32], zero[32] = {0};
    buf_t body = {0}, msg = {0};

    /* 1. an ordinary signature */
    s_ed_body(A.pk, H(0), &body);
    s_ed_msg(&body, &msg);
    crypto_sign_detached(sig, NULL, msg.data, msg.len, A.sk);
    s_ed_write(fp, "valid", "an ordinary signature by the author", A.pk, &body, sig, true);

    /* 2. the same with one bit of the message changed */
    {
        buf_t b2 = {0};
        s_ed_body(A.pk, H(1), &b2);
        s_ed_write(fp, "other-message", "the signature of vector 'valid' over another body",
                   A.pk, &b2, sig, false);
        buf_free(&b2);
    }

    /* 3. S + L: the same equation, S not reduced */
    {
        uint8_t s2[64];
        memcpy(s2, sig, 64);
        unsigned carry = 0;
        for (int i = 0; i < 32; i++) {
            unsigned t = s2[32 + i] + s_L[i] + carry;
            s2[32 + i] = (uint8_t)t;
            carry = t >> 8;
        }
        s_ed_write(fp, "s-plus-l",
                   "S + L (non-canonical S): verifiers that check only the top 3 bits of S accept it",
                   A.pk, &body, s2, false);
    }

    /* 4. small-order A: the neutral element, any S works */
    {
        uint8_t I[32];
        s_unhex32(s_ID, I);
        buf_t b = {0}, m = {0};
        s_ed_body(I, H(2), &b);
        s_ed_msg(&b, &m);
        s_nonce("small-order-a", 0, r);
        s_sign_raw(zero, I, r, NULL, &m, sig, NULL);
        s_ed_write(fp, "small-order-a",
                   "A is the neutral element (order 1); [S]B = R + [k]A holds; a cofactored "
                   "verifier without a small-order check (ZIP 215) accepts it",
                   I, &b, sig, false);
        buf_free(&b);
        buf_free(&m);
    }

    /* 5. small-order R: R the neutral element, S = k a */
    {
        buf_t b = {0}, m = {0};
        s_ed_body(A.pk, H(3), &b);
        s_ed_msg(&b, &m);
        uint8_t k[32], I[32];
        s_unhex32(s_ID, I);
        s_k_low(I, A.pk, &m, k);
        memcpy(sig, I, 32);
        crypto_core_ed25519_scalar_mul(sig + 32, k, a);
        s_ed_write(fp, "small-order-r",
                   "R is the neutral element (order 1), S = k a: [S]B = R + [k]A holds; a verifier "
                   "without a small-order check on R accepts it",
                   A.pk, &b, sig, false);
        buf_free(&b);
        buf_free(&m);
    }

    /* 6. non-canonical A: y = p + 1, which reads as the neutral element */
    {
        uint8_t N[32];
        s_unhex32(s_ID_P1, N);
        buf_t b = {0}, m = {0};
        s_ed_body(N, H(4), &b);
        s_ed_msg(&b, &m);
        s_nonce("non-canonical-a", 0, r);
        s_sign_raw(zero, N, r, NULL, &m, sig, NULL);
        s_ed_write(fp, "non-canonical-a",
                   "A is encoded with y = p + 1 (not below p; it reads as the neutral element); a "
                   "verifier that reduces y accepts it",
                   N, &b, sig, false);
        buf_free(&b);
        buf_free(&m);
    }

    /* 7, 8. mixed-order A = A + T8: the cofactorless equation holds only
     * when k is a multiple of 8 */
    uint8_t T[32], A8[32];
    s_unhex32(s_T8, T);
    cr_assert_eq(crypto_core_ed25519_add(A8, A.pk, T), 0);
    for (int want = 0; want < 2; want++) {
        buf_t b = {0}, m = {0};
        s_ed_body(A8, H(5 + want), &b);
        s_ed_msg(&b, &m);
        for (int i = 0;; i++) {
            uint8_t low;
            s_nonce("mixed-order-a", i, r);
            s_sign_raw(a, A8, r, NULL, &m, sig, &low);
            if (((low & 7) == 0) == (want == 0))
                break;
        }
        if (want == 0)
            s_ed_write(fp, "mixed-order-a-k8",
                       "A = A0 + T (T of order 8), S = r + k a with k a multiple of 8: "
                       "[S]B = R + [k]A holds exactly; no subgroup check on A",
                       A8, &b, sig, true);
        else
            s_ed_write(fp, "mixed-order-a",
                       "A = A0 + T (T of order 8), S = r + k a with k not a multiple of 8: only the "
                       "cofactored equation [8][S]B = [8]R + [8][k]A holds",
                       A8, &b, sig, false);
        buf_free(&b);
        buf_free(&m);
    }

    /* 9. mixed-order R = [r]B + T8 */
    {
        buf_t b = {0}, m = {0};
        s_ed_body(A.pk, H(7), &b);
        s_ed_msg(&b, &m);
        s_nonce("mixed-order-r", 0, r);
        s_sign_raw(a, A.pk, r, T, &m, sig, NULL);
        s_ed_write(fp, "mixed-order-r",
                   "R = [r]B + T (T of order 8), S = r + k a: only the cofactored equation holds",
                   A.pk, &b, sig, false);
        buf_free(&b);
        buf_free(&m);
    }
    buf_free(&body);
    buf_free(&msg);
    fclose(fp);
}

Test(vectors, ed25519_rules)
{
    cr_assert_geq(sodium_init(), 0);
    if (s_writing())
        s_gen_ed25519();
    size_t nb, n;
    blk_t *b = s_load(V "ed25519.txt", &nb);
    cr_assert_geq(nb, 9);
    for (size_t i = 0; i < nb; i++) {
        const char *name = s_need(&b[i], "name");
        bool valid = strcmp(s_need(&b[i], "valid"), "true") == 0;
        uint8_t pk[32], *msg = s_unhex(s_need(&b[i], "msg"), &n);
        size_t ns, nw;
        uint8_t *sig = s_unhex(s_need(&b[i], "sig"), &ns);
        uint8_t *wire = s_unhex(s_need(&b[i], "edit"), &nw);
        s_unhex32(s_need(&b[i], "pk"), pk);
        cr_assert_eq(ns, 64);
        int rc = crypto_sign_verify_detached(sig, msg, n, pk);
        cr_expect_eq(rc == 0, valid, "%s: libsodium says %d", name, rc);
        edit_t *e = NULL;
        char *cause = NULL;
        rc = edit_decode(wire, nw, EDIT_VERIFY, &e, &cause);
        cr_expect_eq(rc == 0, valid, "%s: edit_decode says %s", name, cause ? cause : "ok");
        if (!valid && rc < 0)
            cr_expect_eq(rc, BU_ESIG, "%s: refused for its signature", name);
        /* without the signature check the edit is well formed */
        edit_t *e2 = NULL;
        cr_expect_eq(edit_decode(wire, nw, 0, &e2, NULL), 0, "%s: edit shape", name);
        if (e2) {
            cr_expect(memcmp(e2->author, pk, 32) == 0, "%s: the author is pk", name);
            cr_expect(memcmp(e2->sig, sig, 64) == 0);
        }
        edit_free(&e2);
        edit_free(&e);
        free(cause);
        free(msg);
        free(sig);
        free(wire);
    }
    s_free(b, nb);
}

/* ---- the worked example of docs/protocol.md §14 ----------------------- */

typedef struct {
    key_t_ A, B;
    buf_t edit;        /* §14.1 */
    uint8_t edit_id[32];
    uint64_t edit_hlc;
    uint64_t hlc[17];  /* §14.3 items */
    uint8_t id[17][32];
} ex_t;

static void s_example(ex_t *x)
{
    memset(x, 0, sizeof *x);
    s_key_seq(&x->A, 0x00);
    s_key_seq(&x->B, 0x20);
    uint8_t ent[32];
    for (int i = 0; i < 32; i++)
        ent[i] = (uint8_t)(0xa0 + i);
    x->edit_hlc = H(0);
    s_sign(&x->edit, REC_PLACE, ent, &x->A, x->edit_hlc,
           fx_fields("area", pv_str("Feijenoord"), "kinds", s_list("community-centre", NULL), "name",
               pv_str("Buurthuis De Kroon"), "status", pv_str("open"), NULL));
    crypto_generichash(x->edit_id, 32, x->edit.data, x->edit.len, NULL, 0);
    for (int i = 0; i < 17; i++) {
        uint64_t ms = UINT64_C(1767225000000) + 1000 * (uint64_t)(i <= 7 ? i : i - 1);
        x->hlc[i] = ms << 16;
        char label[24]; /* "item " and any int: no truncation warning at -O1 */
        snprintf(label, sizeof label, "item %d", i);
        crypto_generichash(x->id[i], 32, (const uint8_t *)label, strlen(label), NULL, 0);
    }
}

static void s_example_free(ex_t *x) { buf_free(&x->edit); }

/* ---- messages.txt ----------------------------------------------------- */

static void s_msg_write(FILE *fp, const char *name, const char *note, const buf_t *b, bool valid)
{
    fprintf(fp, "name: %s\n", name);
    if (note)
        fprintf(fp, "note: %s\n", note);
    s_put_hex(fp, "hex", b->data, b->len);
    if (valid) {
        char *j = s_json_of(b->data, b->len);
        fprintf(fp, "json: %s\n", j);
        free(j);
    }
    fprintf(fp, "valid: %s\n\n", valid ? "true" : "false");
}

static void s_msg_hex(FILE *fp, const char *name, const char *note, const char *hex)
{
    size_t n;
    uint8_t *p = s_unhex(hex, &n);
    buf_t b = {0};
    buf_append(&b, p, n);
    s_msg_write(fp, name, note, &b, false);
    buf_free(&b);
    free(p);
}

static void s_gen_messages(void)
{
    ex_t x;
    s_example(&x);
    FILE *fp = s_create(V "messages.txt",
                        "# Messages (docs/protocol.md §10): hex is one frame; json the msgpack\n"
                        "# value it holds (bin as a lowercase hex string). valid: whether a\n"
                        "# node MUST accept the frame as that message.\n\n");
    buf_t b = {0};
    msg_hello(&b, x.A.pk, "Kroon", T0 + 123);
    s_msg_write(fp, "hello", "A's HELLO of §14.2", &b, true);
    buf_reset(&b);
    {
        pv_t *h = pv_arr();
        pv_arr_push(h, pv_int(MSG_HELLO));
        pv_arr_push(h, pv_int(PROTO_VERSION));
        pv_arr_push(h, pv_bin(x.A.pk, 32));
        pv_arr_push(h, pv_str("Bieb"));
        pv_encode(h, &b);
        pv_free(&h);
        s_msg_write(fp, "hello-without-extensions", "a HELLO of four elements", &b, true);
        buf_reset(&b);
    }
    /* the round of §14.3 */
    sync_set_t *sa = sync_set_new(), *sb = sync_set_new();
    for (int i = 0; i < 17; i++) {
        sync_set_add(sa, x.hlc[i], x.id[i]);
        sync_set_add(sb, x.hlc[i], x.id[i]);
    }
    sync_set_add(sa, x.edit_hlc, x.edit_id);
    buf_t r1 = {0};
    sync_start(sb, &r1);
    s_msg_write(fp, "recon-1", "RECON 1 of §14.3: B's 17 items as 16 FP ranges", &r1, true);
    msg_t m;
    cr_assert_eq(msg_decode(r1.data, r1.len, &m), 0);
    sync_out_t o2, o3;
    sync_reply(sa, &m, &o2);
    msg_clear(&m);
    s_msg_write(fp, "recon-2", "RECON 2 of §14.3: A's answer, a SKIP and an IDS range", &o2.reply,
                true);
    cr_assert_eq(msg_decode(o2.reply.data, o2.reply.len, &m), 0);
    sync_reply(sb, &m, &o3);
    msg_clear(&m);
    s_msg_write(fp, "recon-3", "RECON 3 of §14.3: in sync", &o3.reply, true);
    msg_want(&b, (const uint8_t(*)[32])x.edit_id, 1);
    s_msg_write(fp, "want", "WANT of §14.3", &b, true);
    buf_reset(&b);
    msg_blob_t blob = {x.edit.data, x.edit.len};
    msg_edits(&b, &blob, 1, true);
    s_msg_write(fp, "edits-reply", "EDITS answering the WANT", &b, true);
    buf_reset(&b);
    msg_edits(&b, &blob, 1, false);
    s_msg_write(fp, "edits-give", "the same edit given or pushed", &b, true);
    buf_reset(&b);
    msg_edits(&b, NULL, 0, true);
    s_msg_write(fp, "edits-empty-reply", "the answer to a WANT of ids the node does not hold", &b,
                true);
    buf_reset(&b);
    msg_ping(&b);
    s_msg_write(fp, "ping", NULL, &b, true);
    buf_reset(&b);
    /* JOIN and JOINED of §10.6 */
    {
        uint8_t secret[10], id[16], key[32], curve[32], scurve[32];
        for (int i = 0; i < 10; i++)
            secret[i] = (uint8_t)(0x40 + i);
        invite_derive(secret, id, key);
        cr_assert_eq(crypto_sign_ed25519_pk_to_curve25519(curve, x.B.pk), 0);
        cr_assert_eq(crypto_sign_ed25519_pk_to_curve25519(scurve, x.A.pk), 0);
        join_msg_t j = {0};
        memcpy(j.mesh_prefix, x.A.pk, 8);
        memcpy(j.id, id, 16);
        memcpy(j.node, x.B.pk, 32);
        snprintf(j.name, sizeof j.name, "Bieb");
        invite_proof(key, x.B.pk, curve, scurve, j.proof);
        invite_join_encode(&j, &b);
        s_msg_write(fp, "join", "JOIN of §10.6 (B, secret 40..49)", &b, true);
        buf_reset(&b);
        uint8_t none[32] = {0};
        invite_joined_encode(2, none, "", NULL, NULL, 0, "this invite code was already used", &b);
        s_msg_write(fp, "joined-used", "JOINED of §10.6, status USED", &b, true);
        buf_reset(&b);
    }
    /* frames a node must refuse */
    s_msg_hex(fp, "ping-with-trailing-byte", "bytes after the value", "910500");
    s_msg_hex(fp, "ping-non-shortest-int", "the type as cc05, not 05", "91cc05");
    s_msg_hex(fp, "unknown-type", "type 8", "9108");
    s_msg_hex(fp, "ping-as-map", "not an array", "810105");
    s_msg_hex(fp, "recon-float", "a float where a range list belongs", "9202ca00000000");
    s_msg_hex(fp, "recon-last-bound-not-infinity", "the last bound must be (2^63-1, empty)",
              "920291940ac4000290");
    s_msg_hex(fp, "recon-bounds-not-increasing", "bounds must strictly increase",
              "9202939414c40000c0940ac40000c094cf7fffffffffffffffc4000290");
    s_msg_hex(fp, "want-short-id", "an id of 31 bytes",
              "920391c41f00000000000000000000000000000000000000000000000000000000000000");
    s_msg_hex(fp, "hello-unsorted-extensions", "map keys out of order",
              "950101c4200000000000000000000000000000000000000000000000000000000000000000a0"
              "82a17a01a16101");
    fclose(fp);
    sync_out_clear(&o2);
    sync_out_clear(&o3);
    buf_free(&r1);
    buf_free(&b);
    sync_set_free(&sa);
    sync_set_free(&sb);
    s_example_free(&x);
}

Test(vectors, messages)
{
    cr_assert_geq(sodium_init(), 0);
    if (s_writing())
        s_gen_messages();
    size_t nb, n;
    blk_t *b = s_load(V "messages.txt", &nb);
    cr_assert_geq(nb, 20);
    for (size_t i = 0; i < nb; i++) {
        const char *name = s_need(&b[i], "name");
        bool valid = strcmp(s_need(&b[i], "valid"), "true") == 0;
        uint8_t *p = s_unhex(s_need(&b[i], "hex"), &n);
        int type = n >= 2 && (p[0] & 0xf0) == 0x90 ? p[1] : -1;
        int rc;
        if (type == 6) {
            join_msg_t j;
            rc = invite_join_decode(p, n, &j);
        } else if (type == 7) {
            joined_msg_t j = {0};
            rc = invite_joined_decode(p, n, &j);
            invite_joined_free(&j);
        } else {
            msg_t m;
            rc = msg_decode(p, n, &m);
            if (rc == 0)
                msg_clear(&m);
        }
        cr_expect_eq(rc == 0, valid, "%s: decoder says %s", name, rc < 0 ? bu_strerror(rc) : "ok");
        if (valid) {
            char *j = s_json_of(p, n);
            cr_expect_str_eq(j, s_need(&b[i], "json"), "%s: decoded value", name);
            free(j);
        }
        free(p);
    }
    s_free(b, nb);
}

/* ---- recon.txt: sets, fingerprints and reconciliation steps ---------- */

static void s_set_write(FILE *fp, const char *name, const uint64_t *hlc, uint8_t (*id)[32], size_t n)
{
    fprintf(fp, "name: %s\n", name);
    for (size_t i = 0; i < n; i++) {
        char h[65];
        hex_encode(id[i], 32, h);
        fprintf(fp, "item: %llu %s\n", (unsigned long long)hlc[i], h);
    }
    fprintf(fp, "\n");
}

static void s_step_write(FILE *fp, const char *name, const char *set, const buf_t *in,
                         const sync_out_t *o, const char *note)
{
    fprintf(fp, "name: %s\nnote: %s\nset: %s\n", name, note, set);
    if (in)
        s_put_hex(fp, "in", in->data, in->len);
    else
        fprintf(fp, "in: start\n");
    s_put_hex(fp, "out", o->reply.data, o->reply.len);
    for (size_t i = 0; i < o->ngive; i++)
        s_put_hex(fp, "give", o->give[i], 32);
    for (size_t i = 0; i < o->nneed; i++)
        s_put_hex(fp, "need", o->need[i], 32);
    fprintf(fp, "\n");
}

static void s_fp_write(FILE *fp, const char *name, uint8_t (*id)[32], size_t n)
{
    uint8_t f[16];
    sync_fingerprint((const uint8_t(*)[32])id, n, f);
    fprintf(fp, "name: %s\n", name);
    for (size_t i = 0; i < n; i++)
        s_put_hex(fp, "id", id[i], 32);
    fprintf(fp, "count: %zu\n", n);
    s_put_hex(fp, "fingerprint", f, 16);
    fprintf(fp, "\n");
}

/* Runs a whole exchange from A's start, writing every step. */
static void s_exchange_write(FILE *fp, const char *prefix, sync_set_t *a, const char *an,
                             sync_set_t *bb, const char *bn)
{
    buf_t cur = {0};
    sync_start(a, &cur);
    sync_out_t st = {0};
    st.reply = cur;
    char name[64];
    snprintf(name, sizeof name, "%s-start", prefix);
    s_step_write(fp, name, an, NULL, &st, "the first RECON of a round");
    for (int step = 1; step < 20; step++) {
        sync_set_t *who = step % 2 ? bb : a;
        msg_t m;
        cr_assert_eq(msg_decode(cur.data, cur.len, &m), 0);
        sync_out_t o;
        sync_reply(who, &m, &o);
        msg_clear(&m);
        snprintf(name, sizeof name, "%s-%d", prefix, step);
        s_step_write(fp, name, step % 2 ? bn : an, &cur, &o,
                     o.in_sync ? "the answer is RECON []: in sync" : "an answer");
        buf_free(&cur);
        cur = o.reply;
        o.reply = (buf_t){0};
        bool done = o.in_sync;
        sync_out_clear(&o);
        if (done)
            break;
    }
    buf_free(&cur);
}

static void s_gen_recon(void)
{
    ex_t x;
    s_example(&x);
    FILE *fp = s_create(V "recon.txt",
                        "# Fingerprints (docs/protocol.md §11.2) and reconciliation steps\n"
                        "# (§11.3, §11.4). A set block lists items \"hlc id\"; a step names the\n"
                        "# set of the node that answers, the RECON it gets (in; \"start\": it\n"
                        "# starts a round) and what it does: the frame it sends (out) and the\n"
                        "# ids it gives and needs, in order.\n\n");
    /* fingerprints */
    {
        uint8_t w[2][32] = {{0}};
        memset(w[0], 0xff, 32);
        w[1][0] = 1;
        s_fp_write(fp, "fp-empty", NULL, 0);
        s_fp_write(fp, "fp-wraps", w, 2);
        s_fp_write(fp, "fp-14.3-range-0", x.id, 1);
        s_fp_write(fp, "fp-14.3-range-15", x.id + 15, 2);
        s_fp_write(fp, "fp-14.3-all", x.id, 17);
    }
    /* §14.3 */
    uint64_t hl[18];
    uint8_t ids[18][32];
    memcpy(hl, x.hlc, sizeof x.hlc);
    memcpy(ids, x.id, sizeof x.id);
    hl[17] = x.edit_hlc;
    memcpy(ids[17], x.edit_id, 32);
    s_set_write(fp, "set-14.3-b", hl, ids, 17);
    s_set_write(fp, "set-14.3-a", hl, ids, 18);
    sync_set_t *sa = sync_set_new(), *sb = sync_set_new();
    for (int i = 0; i < 18; i++) {
        if (i < 17)
            sync_set_add(sb, hl[i], ids[i]);
        sync_set_add(sa, hl[i], ids[i]);
    }
    s_exchange_write(fp, "round-14.3", sb, "set-14.3-b", sa, "set-14.3-a");
    sync_set_free(&sa);
    sync_set_free(&sb);
    /* 600 items against the same 600 but 3 (two missing, one extra): splits */
    {
        enum { N = 600 };
        uint64_t *h = xcalloc(N + 1, sizeof *h);
        uint8_t (*id)[32] = xcalloc(N + 1, 32);
        for (int i = 0; i <= N; i++) {
            h[i] = H(1000 * (uint64_t)(i / 3));
            char label[16];
            snprintf(label, sizeof label, "big %d", i);
            crypto_generichash(id[i], 32, (const uint8_t *)label, strlen(label), NULL, 0);
        }
        /* c: items 0..599 but 100 and 400, plus 600 */
        uint64_t *hc = xcalloc(N + 1, sizeof *hc);
        uint8_t (*ic)[32] = xcalloc(N + 1, 32);
        size_t nc = 0;
        sync_set_t *c = sync_set_new(), *d = sync_set_new();
        for (int i = 0; i <= N; i++) {
            if (i < N)
                sync_set_add(d, h[i], id[i]);
            if (i != 100 && i != 400) {
                sync_set_add(c, h[i], id[i]);
                hc[nc] = h[i];
                memcpy(ic[nc++], id[i], 32);
            }
        }
        s_set_write(fp, "set-600-d", h, id, N);
        s_set_write(fp, "set-600-c", hc, ic, nc);
        s_exchange_write(fp, "round-600", d, "set-600-d", c, "set-600-c");
        /* a peer that says it holds nothing: the empty IDS answer */
        sync_set_t *e = sync_set_new();
        s_set_write(fp, "set-empty", NULL, NULL, 0);
        s_exchange_write(fp, "round-empty", e, "set-empty", d, "set-600-d");
        sync_set_free(&e);
        sync_set_free(&c);
        sync_set_free(&d);
        free(h);
        free(id);
        free(hc);
        free(ic);
    }
    fclose(fp);
    s_example_free(&x);
}

static sync_set_t *s_set_of(blk_t *sets, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        const char *nm = s_val(&sets[i], "name");
        if (!nm || strcmp(nm, name) != 0 || s_val(&sets[i], "in"))
            continue;
        sync_set_t *s = sync_set_new();
        const char **items;
        size_t k = s_vals(&sets[i], "item", &items);
        for (size_t j = 0; j < k; j++) {
            unsigned long long h;
            char hex[65];
            cr_assert_eq(sscanf(items[j], "%llu %64s", &h, hex), 2);
            uint8_t id[32];
            s_unhex32(hex, id);
            sync_set_add(s, h, id);
        }
        free(items);
        return s;
    }
    cr_assert_fail("no set %s", name);
    return NULL;
}

static void s_expect_ids(const blk_t *b, const char *key, uint8_t (*got)[32], size_t n)
{
    const char **want;
    size_t k = s_vals(b, key, &want);
    cr_expect_eq(k, n, "%s: %zu %s ids, the reference %zu", s_val(b, "name"), k, key, n);
    for (size_t i = 0; i < k && i < n; i++) {
        char h[65];
        hex_encode(got[i], 32, h);
        cr_expect_str_eq(h, want[i], "%s: %s %zu", s_val(b, "name"), key, i);
    }
    free(want);
}

Test(vectors, fingerprints_and_reconciliation)
{
    cr_assert_geq(sodium_init(), 0);
    if (s_writing())
        s_gen_recon();
    size_t nb, nfp = 0, nsteps = 0;
    blk_t *b = s_load(V "recon.txt", &nb);
    for (size_t i = 0; i < nb; i++) {
        const char *name = s_need(&b[i], "name");
        if (s_val(&b[i], "fingerprint")) {
            const char **ids;
            size_t k = s_vals(&b[i], "id", &ids);
            uint8_t (*v)[32] = xcalloc(k + 1, 32);
            for (size_t j = 0; j < k; j++)
                s_unhex32(ids[j], v[j]);
            uint8_t f[16];
            char h[33];
            sync_fingerprint((const uint8_t(*)[32])v, k, f);
            hex_encode(f, 16, h);
            cr_expect_str_eq(h, s_val(&b[i], "fingerprint"), "%s", name);
            cr_expect_eq((size_t)strtoull(s_need(&b[i], "count"), NULL, 10), k);
            free(v);
            free(ids);
            nfp++;
            continue;
        }
        const char *in = s_val(&b[i], "in");
        if (!in)
            continue; /* a set */
        sync_set_t *s = s_set_of(b, nb, s_need(&b[i], "set"));
        sync_out_t o = {0};
        if (strcmp(in, "start") == 0) {
            sync_start(s, &o.reply);
        } else {
            size_t n;
            uint8_t *p = s_unhex(in, &n);
            msg_t m;
            cr_assert_eq(msg_decode(p, n, &m), 0, "%s: in", name);
            sync_reply(s, &m, &o);
            msg_clear(&m);
            free(p);
        }
        char *h = s_hex(o.reply.data, o.reply.len);
        cr_expect_str_eq(h, s_need(&b[i], "out"), "%s: the frame sent", name);
        free(h);
        s_expect_ids(&b[i], "give", o.give, o.ngive);
        s_expect_ids(&b[i], "need", o.need, o.nneed);
        sync_out_clear(&o);
        sync_set_free(&s);
        nsteps++;
    }
    cr_assert_geq(nfp, 5);
    cr_assert_geq(nsteps, 6);
    s_free(b, nb);
}

/* ---- edits.txt -------------------------------------------------------- */

/* Signs a body given as a value (any shape: for edits a node must refuse
 * for their content, with a signature that verifies). body is taken. */
static void s_sign_body(buf_t *wire, pv_t *body, const key_t_ *k)
{
    buf_t b = {0}, msg = {0};
    pv_encode(body, &b);
    pv_free(&body);
    s_ed_msg(&b, &msg);
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, msg.data, msg.len, k->sk);
    pv_t *o = pv_arr();
    pv_arr_push(o, pv_bin(b.data, b.len));
    pv_arr_push(o, pv_bin(sig, 64));
    pv_encode(o, wire);
    pv_free(&o);
    buf_free(&b);
    buf_free(&msg);
}

static pv_t *s_body(const char *kind, const uint8_t *entity, const key_t_ *k, uint64_t hlc,
                    pv_t *fields)
{
    uint8_t ent[32];
    if (entity)
        memcpy(ent, entity, 32);
    else
        edit_bound_id(k->pk, hlc, ent);
    pv_t *b = pv_arr();
    pv_arr_push(b, pv_int(EDIT_VERSION));
    pv_arr_push(b, pv_str(kind));
    pv_arr_push(b, pv_bin(ent, 32));
    pv_arr_push(b, pv_bin(k->pk, 32));
    pv_arr_push(b, pv_int((int64_t)hlc));
    pv_arr_push(b, fields);
    return b;
}

static void s_edit_write(FILE *fp, const char *name, const char *note, const buf_t *w, bool valid)
{
    fprintf(fp, "name: %s\nnote: %s\n", name, note);
    s_put_hex(fp, "hex", w->data, w->len);
    if (valid) {
        uint8_t id[32];
        crypto_generichash(id, 32, w->data, w->len, NULL, 0);
        s_put_hex(fp, "id", id, 32);
        edit_t *e = NULL;
        cr_assert_eq(edit_decode(w->data, w->len, EDIT_VERIFY, &e, NULL), 0, "%s", name);
        pv_t *o = NULL;
        cr_assert_eq(pv_decode(w->data, w->len, &o), 0);
        char *j = s_json_of((const uint8_t *)o->u.a.items[0]->u.s.p, o->u.a.items[0]->u.s.n);
        fprintf(fp, "body: %s\n", j);
        free(j);
        pv_free(&o);
        fprintf(fp, "binds: %s\n",
                edit_binds(e->entity, e->author, e->hlc) && e->kind != REC_MEMBER &&
                        e->kind != REC_MESH
                    ? "true"
                    : "false");
        edit_free(&e);
    }
    fprintf(fp, "valid: %s\n\n", valid ? "true" : "false");
}

static void s_gen_edits(void)
{
    ex_t x;
    s_example(&x);
    FILE *fp = s_create(V "edits.txt",
                        "# Edits (docs/protocol.md §7, §8): hex is the whole edit; id its\n"
                        "# BLAKE2b-256; body the JSON of its body [1, kind, entity, author,\n"
                        "# hlc, fields] (bin as hex); binds whether the entity id is bound to\n"
                        "# this edit (§7.6). valid: whether a node MUST accept it (§7.2; every\n"
                        "# signature here verifies, so a refusal is for the content).\n\n");
    s_edit_write(fp, "place-14.1", "the edit of §14.1", &x.edit, true);
    buf_t w = {0};
    key_t_ *A = &x.A, *B = &x.B;
    uint8_t mesh_ent[32];
    rec_mesh_settings_id(A->pk, mesh_ent);
#define S_EDIT(nm, note, kind, ent, k, hlc, f)                                                   \
    do {                                                                                         \
        s_sign(&w, kind, ent, k, hlc, f);                                                        \
        s_edit_write(fp, nm, note, &w, true);                                                    \
        buf_reset(&w);                                                                           \
    } while (0)
    S_EDIT("place-bound", "a place whose id is bound to its creating edit (§7.6)", REC_PLACE,
           NULL, A, H(1),
           fx_fields("kinds", s_list("library", "online"), "langs", s_list("nl", "ar"), "lat",
               pv_int(51903000), "lon", pv_int(4500000), "name", pv_str("Bieb Zuid"), "status",
               pv_str("limited"), "status_note", pv_str("alleen telefonisch"), NULL));
    S_EDIT("place-status-by-other", "a status edit of that place by B (not bound)", REC_PLACE,
           x.id[0], B, H(2), fx_fields("status", pv_str("closed"), "status_at", pv_int((int64_t)T0), NULL));
    {
        char key[80];
        snprintf(key, sizeof key, "member:%s", "d100c5cef57129142736f76229374da7d0070905f93b78d439447e1484bf1543");
        S_EDIT("coalition", "a coalition with one member place", REC_COALITION, NULL, A, H(3),
               fx_fields("coordinators", s_list(A->hex, NULL), key,
                   fx_fields("reaches", s_list("ouderen", NULL), "role", pv_str("lead"), NULL), "name",
                   pv_str("Zuid helpt"), NULL));
    }
    S_EDIT("need", "a need", REC_NEED, NULL, B, H(4),
           fx_fields("category", pv_str("food"), "langs", s_list("tr", NULL), "people", pv_int(3),
               "summary", pv_str("Boodschappen voor een gezin"), "urgency", pv_str("high"), NULL));
    S_EDIT("offer", "an offer", REC_OFFER, NULL, A, H(5),
           fx_fields("categories", s_list("food", "errands"), "provider", pv_str(A->hex), NULL));
    S_EDIT("bulletin-deleted-nil", "a bulletin edit that deletes and unsets a field (nil)",
           REC_BULLETIN, x.id[1], A, H(6), fx_fields("deleted", pv_bool(true), "source", pv_nil(), NULL));
    S_EDIT("member", "a membership certificate: entity = the member's node id", REC_MEMBER, B->pk,
           A, H(7), fx_fields("name", pv_str("Bieb"), "revoked", pv_bool(false), "role", pv_str("member"), NULL));
    S_EDIT("mesh-settings", "mesh settings: entity = BLAKE2b(\"buurt-mesh-settings-v1\" || mesh)",
           REC_MESH, mesh_ent, A, H(8), fx_fields("retention_days", pv_int(14), NULL));
#undef S_EDIT
    /* refused */
    struct {
        const char *name, *note, *kind;
        pv_t *fields;
    } bad[] = {
        {"unknown-field", "a field the schema does not have", "place",
         fx_fields("colour", pv_str("blue"), NULL)},
        {"required-nil", "a required field unset", "place", fx_fields("name", pv_nil(), NULL)},
        {"lang-bh", "bh is not one of the 183 codes", "need", fx_fields("langs", s_list("bh", NULL), NULL)},
        {"lang-upper", "language codes are lower case", "need", fx_fields("langs", s_list("NL", NULL), NULL)},
        {"no-fields", "an edit carries 1 to 64 fields", "bulletin", pv_map()},
        {"unknown-kind", "kind 'event' is not one of the nine", "event", fx_fields("name", pv_str("x"), NULL)},
        {"text-too-long", "121 characters in a name of at most 120", "place", NULL},
        {"token-unknown", "status 'busy' is not a token", "place", fx_fields("status", pv_str("busy"), NULL)},
    };
    char longname[122];
    memset(longname, 'x', 121);
    longname[121] = '\0';
    bad[6].fields = fx_fields("name", pv_str(longname), NULL);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_sign_body(&w, s_body(bad[i].kind, NULL, A, H(20 + i), bad[i].fields), A);
        s_edit_write(fp, bad[i].name, bad[i].note, &w, false);
        buf_reset(&w);
    }
    {
        pv_t *b = s_body("place", NULL, A, H(30), fx_fields("name", pv_str("x"), NULL));
        pv_free(&b->u.a.items[0]);
        b->u.a.items[0] = pv_int(2);
        s_sign_body(&w, b, A);
        s_edit_write(fp, "version-2", "edit format version 2", &w, false);
        buf_reset(&w);
    }
    buf_free(&w);
    fclose(fp);
    s_example_free(&x);
}

Test(vectors, edits)
{
    cr_assert_geq(sodium_init(), 0);
    if (s_writing())
        s_gen_edits();
    size_t nb, n;
    blk_t *b = s_load(V "edits.txt", &nb);
    cr_assert_geq(nb, 15);
    for (size_t i = 0; i < nb; i++) {
        const char *name = s_need(&b[i], "name");
        bool valid = strcmp(s_need(&b[i], "valid"), "true") == 0;
        uint8_t *p = s_unhex(s_need(&b[i], "hex"), &n);
        edit_t *e = NULL;
        char *cause = NULL;
        int rc = edit_decode(p, n, EDIT_VERIFY, &e, &cause);
        cr_expect_eq(rc == 0, valid, "%s: %s", name, cause ? cause : "accepted");
        if (rc == 0 && valid) {
            char h[65];
            hex_encode(e->id, 32, h);
            cr_expect_str_eq(h, s_need(&b[i], "id"), "%s: id", name);
            pv_t *o = NULL;
            cr_assert_eq(pv_decode(p, n, &o), 0);
            char *j = s_json_of((const uint8_t *)o->u.a.items[0]->u.s.p, o->u.a.items[0]->u.s.n);
            cr_expect_str_eq(j, s_need(&b[i], "body"), "%s: body", name);
            free(j);
            pv_free(&o);
            bool binds = e->kind != REC_MEMBER && e->kind != REC_MESH &&
                         edit_binds(e->entity, e->author, e->hlc);
            cr_expect_eq(binds, strcmp(s_need(&b[i], "binds"), "true") == 0, "%s: binds", name);
        }
        if (!valid && rc < 0)
            cr_expect_neq(rc, BU_ESIG, "%s: refused for its content, not its signature", name);
        edit_free(&e);
        free(cause);
        free(p);
    }
    s_free(b, nb);
}

/* ---- members.txt ------------------------------------------------------ */

/* The timeline as JSON: every member, ordered by node id. */
static char *s_timeline(const members_t *m)
{
    pv_t *arr = pv_arr();
    size_t *ord = xcalloc(m->n + 1, sizeof *ord);
    for (size_t i = 0; i < m->n; i++)
        ord[i] = i;
    for (size_t i = 1; i < m->n; i++) /* insertion sort by key */
        for (size_t j = i; j > 0 && memcmp(m->v[ord[j - 1]].key, m->v[ord[j]].key, 32) > 0; j--) {
            size_t t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    for (size_t i = 0; i < m->n; i++) {
        const member_t *x = &m->v[ord[i]];
        bool founder = memcmp(x->key, m->founder, 32) == 0;
        char h[65];
        pv_t *o = pv_map();
        hex_encode(x->key, 32, h);
        pv_map_set(o, "id", pv_str(h));
        pv_map_set(o, "name", pv_str(x->name));
        pv_map_set(o, "founder", pv_bool(founder));
        pv_map_set(o, "active", pv_bool(members_active(m, x->key)));
        pv_map_set(o, "role", pv_str(founder ? "admin" : members_role_name(x->role)));
        if (!founder) {
            hex_encode(x->admitted_by, 32, h);
            pv_map_set(o, "admitted", pv_int((int64_t)x->admitted));
            pv_map_set(o, "admitted_by", pv_str(h));
        }
        pv_t *steps = pv_arr();
        for (size_t k = 0; k < x->nsteps; k++) {
            const member_step_t *s = &x->steps[k];
            pv_t *st = pv_map();
            pv_map_set(st, "hlc", pv_int((int64_t)s->hlc));
            pv_map_set(st, "role", pv_str(members_role_name(s->role)));
            pv_map_set(st, "revoked", pv_bool(s->revoked));
            if (s->cut)
                pv_map_set(st, "known_until", pv_int((int64_t)s->known_until));
            pv_arr_push(steps, st);
        }
        pv_map_set(o, "steps", steps);
        pv_arr_push(arr, o);
    }
    free(ord);
    buf_t j = {0};
    pv_to_json(arr, &j);
    pv_free(&arr);
    char *s = xstrdup(buf_cstr(&j));
    buf_free(&j);
    return s;
}

typedef struct {
    buf_t w[32];
    size_t n;
} certs_t;

static void s_cert(certs_t *c, const uint8_t who[32], const key_t_ *by, uint64_t hlc, pv_t *f)
{
    cr_assert_lt(c->n, 32);
    memset(&c->w[c->n], 0, sizeof c->w[c->n]);
    s_sign(&c->w[c->n++], REC_MEMBER, who, by, hlc, f);
}

static edit_t **s_decode_all(const char **hex, size_t n)
{
    edit_t **v = xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        uint8_t *p = s_unhex(hex[i], &len);
        char *cause = NULL;
        cr_assert_eq(edit_decode(p, len, EDIT_VERIFY, &v[i], &cause), 0, "%s", cause ? cause : "");
        free(p);
    }
    return v;
}

static void s_free_all(edit_t **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        edit_free(&v[i]);
    free(v);
}

/* Writes a members vector: certificates newest first (order must not
 * matter), the timeline, and role queries "key-name hlc-ms". */
static void s_members_write(FILE *fp, const char *name, const char *note, const key_t_ *founder,
                            certs_t *c, const key_t_ *const *qk, const int64_t *qms, size_t nq)
{
    fprintf(fp, "name: %s\nnote: %s\n", name, note);
    s_put_hex(fp, "founder", founder->pk, 32);
    for (size_t i = c->n; i-- > 0;)
        s_put_hex(fp, "cert", c->w[i].data, c->w[i].len);
    const char **hex = xcalloc(c->n + 1, sizeof *hex);
    for (size_t i = 0; i < c->n; i++)
        hex[i] = s_hex(c->w[i].data, c->w[i].len);
    edit_t **v = s_decode_all(hex, c->n);
    members_t m;
    members_build(v, c->n, founder->pk, &m);
    char *t = s_timeline(&m);
    fprintf(fp, "timeline: %s\n", t);
    free(t);
    for (size_t i = 0; i < nq; i++) {
        int r = members_role_at(&m, qk[i]->pk, H(qms[i]));
        fprintf(fp, "role-at: %s %llu %s\n", qk[i]->hex, (unsigned long long)H(qms[i]),
                r < 0 ? "none" : members_role_name((role_t)r));
    }
    fprintf(fp, "\n");
    members_clear(&m);
    s_free_all(v, c->n);
    for (size_t i = 0; i < c->n; i++) {
        free((char *)hex[i]);
        buf_free(&c->w[i]);
    }
    free(hex);
    c->n = 0;
}

#define S_Q(...) (const key_t_ *const[]){__VA_ARGS__}
#define S_MS(...) (const int64_t[]){__VA_ARGS__}

static void s_gen_members(void)
{
    key_t_ F, A, B, C, D, E;
    s_key_seq(&F, 0x00);
    s_key_tag(&A, 0x61);
    s_key_tag(&B, 0x62);
    s_key_tag(&C, 0x63);
    s_key_tag(&D, 0x64);
    s_key_tag(&E, 0x65);
    FILE *fp = s_create(V "members.txt",
                        "# Membership timelines (docs/protocol.md §8.7). founder is the mesh\n"
                        "# id; cert lines are member edits in no particular order; timeline is\n"
                        "# every member, ordered by node id, with its steps (hlc, role,\n"
                        "# revoked, and known_until for a revocation that carries one below\n"
                        "# its point); role-at is \"node-id hlc role\", role none when the\n"
                        "# node was not a member at hlc (§8.7 rule 4).\n\n");
    certs_t c = {0};
    s_cert(&c, F.pk, &F, H(0),
           fx_fields("mesh_name", pv_str("Feijenoord"), "name", pv_str("Kroon"), "role", pv_str("admin"), NULL));
    s_members_write(fp, "founder-only", "the initial state: the founder's own certificate", &F, &c,
                    S_Q(&F, &A), S_MS(0, 0), 2);

    s_cert(&c, A.pk, &F, H(10),
           fx_fields("name", pv_str("Bieb"), "revoked", pv_bool(false), "role", pv_str("member"), NULL));
    s_cert(&c, A.pk, &F, H(20), fx_fields("role", pv_str("coordinator"), NULL));
    s_cert(&c, A.pk, &F, H(30),
           fx_fields("known_until", pv_int((int64_t)H(25)), "reason", pv_str("laptop lost"), "revoked",
               pv_bool(true), NULL));
    s_cert(&c, A.pk, &F, H(40), fx_fields("revoked", pv_bool(false), NULL));
    s_cert(&c, A.pk, &F, H(50), fx_fields("name", pv_str("Bibliotheek"), "revoked", pv_nil(), NULL));
    s_members_write(fp, "role-change-revoke-readmit",
                    "admitted as member, made coordinator, revoked with known_until, admitted "
                    "again by revoked: false (the role it had), renamed with revoked nil (no "
                    "change)",
                    &F, &c, S_Q(&A, &A, &A, &A, &A, &A, &A, &A),
                    S_MS(9, 10, 19, 20, 25, 26, 30, 40), 8);

    s_cert(&c, B.pk, &F, H(10), fx_fields("name", pv_str("Wijkteam"), "role", pv_str("admin"), NULL));
    s_cert(&c, C.pk, &B, H(20), fx_fields("name", pv_str("Moskee"), "role", pv_str("member"), NULL));
    s_cert(&c, D.pk, &B, H(40), fx_fields("name", pv_str("Sportclub"), "role", pv_str("member"), NULL));
    s_cert(&c, E.pk, &B, H(60), fx_fields("name", pv_str("Kerk"), "role", pv_str("member"), NULL));
    s_cert(&c, B.pk, &F, H(50),
           fx_fields("revoked", pv_bool(true), "revoked_at", pv_int((int64_t)(T0 + 30)), NULL));
    s_members_write(fp, "admin-cascade",
                    "admin B admits C (clock 20), D (40) and E (60); B is revoked at 50 with "
                    "revoked_at 30: C stays, D and E were admitted by a non-member and never "
                    "count",
                    &F, &c, S_Q(&B, &B, &C, &D, &E), S_MS(29, 30, 100, 100, 100), 5);

    s_cert(&c, A.pk, &F, H(10), fx_fields("name", pv_str("Bieb"), "role", pv_str("member"), NULL));
    s_cert(&c, C.pk, &A, H(20), fx_fields("name", pv_str("by a member"), "role", pv_str("member"), NULL));
    s_cert(&c, B.pk, &F, H(30), fx_fields("name", pv_str("Wijkteam"), "role", pv_str("admin"), NULL));
    s_cert(&c, F.pk, &B, H(40), fx_fields("name", pv_str("not the founder's"), NULL));
    s_cert(&c, D.pk, &F, H(50), fx_fields("name", pv_str("no role"), "revoked", pv_bool(false), NULL));
    s_cert(&c, E.pk, &F, H(60), fx_fields("role", pv_str("member"), NULL));
    s_cert(&c, E.pk, &B, H(60), fx_fields("role", pv_str("coordinator"), NULL));
    s_members_write(fp, "who-may-sign",
                    "a member's certificate for C does not count; an admin's edit of the "
                    "founder's certificate does not count; D got no role, so it is no member; "
                    "two admins set E's role at the same clock: edit order (§7.4) decides",
                    &F, &c, S_Q(&C, &D, &E, &E), S_MS(30, 60, 59, 60), 4);

    s_cert(&c, A.pk, &F, H(10), fx_fields("name", pv_str("Bieb"), "role", pv_str("admin"), NULL));
    s_cert(&c, B.pk, &A, H(20), fx_fields("name", pv_str("Wijkteam"), "role", pv_str("admin"), NULL));
    s_cert(&c, A.pk, &B, H(30), fx_fields("revoked", pv_bool(true), "revoked_at", pv_int((int64_t)(T0 + 5)), NULL));
    s_members_write(fp, "revocation-reaching-back",
                    "A admits B, then B revokes A back to before A's admission. Judged by a "
                    "timeline where A is revoked, B's admission does not count, so neither does "
                    "the revocation; judged by one where it counts, it does. The runs of rule 5 "
                    "alternate and never agree: the last run (1 + 8 repetitions) decides, here "
                    "A revoked from clock 5, B admin",
                    &F, &c, S_Q(&A, &B), S_MS(40, 40), 2);
    fclose(fp);
}

Test(vectors, membership_timelines)
{
    cr_assert_geq(sodium_init(), 0);
    if (s_writing())
        s_gen_members();
    size_t nb;
    blk_t *b = s_load(V "members.txt", &nb);
    cr_assert_geq(nb, 5);
    for (size_t i = 0; i < nb; i++) {
        const char *name = s_need(&b[i], "name");
        uint8_t founder[32];
        s_unhex32(s_need(&b[i], "founder"), founder);
        const char **hex;
        size_t n = s_vals(&b[i], "cert", &hex);
        edit_t **v = s_decode_all(hex, n);
        members_t m;
        members_build(v, n, founder, &m);
        char *t = s_timeline(&m);
        cr_expect_str_eq(t, s_need(&b[i], "timeline"), "%s: timeline", name);
        free(t);
        const char **q;
        size_t nq = s_vals(&b[i], "role-at", &q);
        for (size_t k = 0; k < nq; k++) {
            char kh[65], role[16];
            unsigned long long h;
            cr_assert_eq(sscanf(q[k], "%64s %llu %15s", kh, &h, role), 3);
            uint8_t key[32];
            s_unhex32(kh, key);
            int r = members_role_at(&m, key, h);
            cr_expect_str_eq(r < 0 ? "none" : members_role_name((role_t)r), role, "%s: %s", name,
                             q[k]);
        }
        free(q);
        members_clear(&m);
        s_free_all(v, n);
        free(hex);
    }
    s_free(b, nb);
}

/* ---- merge.txt -------------------------------------------------------- */

typedef struct {
    entity_t *v;
    size_t n;
} ents_t;

static const entity_t *s_lookup(void *ctx, const uint8_t id[32])
{
    ents_t *e = ctx;
    for (size_t i = 0; i < e->n; i++)
        if (memcmp(e->v[i].entity, id, 32) == 0)
            return &e->v[i];
    return NULL;
}

static int s_kind_rank(rec_kind_t k)
{
    /* referenced entities first: places and coalitions, then offers, then
     * the needs that may name them */
    switch (k) {
    case REC_PLACE: return 0;
    case REC_COALITION: return 1;
    case REC_OFFER: return 2;
    case REC_NEED: return 3;
    default: return 4;
    }
}

/* Merges every entity of kind other than member and mesh in v (as
 * buurt show does) and returns their JSON lines, ordered by entity id. */
static size_t s_merge_all(edit_t **v, size_t n, const uint8_t founder[32], char ***out)
{
    edit_t **certs = xcalloc(n + 1, sizeof *certs);
    size_t nc = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i]->kind == REC_MEMBER)
            certs[nc++] = v[i];
    members_t m;
    members_build(certs, nc, founder, &m);
    free(certs);
    /* distinct entities, by the rank of their first edit's kind, then id */
    uint8_t (*ids)[32] = xcalloc(n + 1, 32);
    int *rank = xcalloc(n + 1, sizeof *rank);
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i]->kind == REC_MEMBER || v[i]->kind == REC_MESH)
            continue;
        size_t k = 0;
        while (k < ne && memcmp(ids[k], v[i]->entity, 32) != 0)
            k++;
        if (k == ne) {
            memcpy(ids[ne], v[i]->entity, 32);
            rank[ne++] = s_kind_rank(v[i]->kind);
        }
    }
    for (size_t i = 1; i < ne; i++)
        for (size_t j = i; j > 0 && (rank[j - 1] > rank[j] ||
                                     (rank[j - 1] == rank[j] && memcmp(ids[j - 1], ids[j], 32) > 0));
             j--) {
            uint8_t t[32];
            memcpy(t, ids[j], 32);
            memcpy(ids[j], ids[j - 1], 32);
            memcpy(ids[j - 1], t, 32);
            int r = rank[j];
            rank[j] = rank[j - 1];
            rank[j - 1] = r;
        }
    ents_t done = {xcalloc(ne + 1, sizeof(entity_t)), 0};
    char **lines = xcalloc(ne + 1, sizeof *lines);
    for (size_t k = 0; k < ne; k++) {
        edit_t **mine = xcalloc(n + 1, sizeof *mine);
        size_t nm = 0;
        for (size_t i = 0; i < n; i++)
            if (memcmp(v[i]->entity, ids[k], 32) == 0)
                mine[nm++] = v[i];
        uint8_t *verdict = xcalloc(nm + 1, 1);
        auth_t a = {.members = &m, .lookup = s_lookup, .lctx = &done};
        entity_t *e = &done.v[done.n++];
        merge_entity_ex(mine, nm, auth_check, &a, verdict, e);
        char h[65];
        pv_t *o = pv_map();
        hex_encode(e->entity, 32, h);
        pv_map_set(o, "id", pv_str(h));
        pv_map_set(o, "kind", pv_str(rec_kind_name(e->kind)));
        hex_encode(e->creator, 32, h);
        pv_map_set(o, "creator", pv_str(h));
        pv_map_set(o, "created", pv_int((int64_t)e->created));
        pv_map_set(o, "updated", pv_int((int64_t)e->updated));
        pv_map_set(o, "deleted", pv_bool(entity_deleted(e)));
        if (e->claimed) {
            hex_encode(e->claimer, 32, h);
            pv_map_set(o, "claimer", pv_str(h));
        }
        pv_map_set(o, "fields", pv_dup(e->fields));
        pv_t *ev = pv_arr();
        for (size_t i = 0; i < nm; i++) {
            pv_t *p = pv_arr();
            hex_encode(mine[i]->id, 32, h);
            pv_arr_push(p, pv_str(h));
            pv_arr_push(p, pv_str(verdict[i] == MERGE_APPLIED  ? "applied"
                                  : verdict[i] == MERGE_DENIED ? "denied"
                                                               : "ignored"));
            pv_arr_push(ev, p);
        }
        pv_map_set(o, "edits", ev);
        buf_t j = {0};
        pv_to_json(o, &j);
        pv_free(&o);
        lines[k] = xstrdup(buf_cstr(&j));
        buf_free(&j);
        free(verdict);
        free(mine);
    }
    for (size_t k = 0; k < done.n; k++)
        entity_clear(&done.v[k]);
    free(done.v);
    free(ids);
    free(rank);
    members_clear(&m);
    *out = lines;
    return ne;
}

static void s_merge_write(FILE *fp, const char *name, const char *note, const key_t_ *founder,
                          buf_t *w, size_t n)
{
    fprintf(fp, "name: %s\nnote: %s\n", name, note);
    s_put_hex(fp, "founder", founder->pk, 32);
    const char **hex = xcalloc(n + 1, sizeof *hex);
    for (size_t i = 0; i < n; i++) {
        hex[i] = s_hex(w[n - 1 - i].data, w[n - 1 - i].len); /* newest first */
        fprintf(fp, "edit: %s\n", hex[i]);
    }
    edit_t **v = s_decode_all(hex, n);
    char **lines;
    size_t ne = s_merge_all(v, n, founder->pk, &lines);
    for (size_t k = 0; k < ne; k++) {
        fprintf(fp, "entity: %s\n", lines[k]);
        free(lines[k]);
    }
    free(lines);
    fprintf(fp, "\n");
    s_free_all(v, n);
    for (size_t i = 0; i < n; i++) {
        free((char *)hex[i]);
        buf_free(&w[i]);
    }
    free(hex);
}

static void s_gen_merge(void)
{
    key_t_ F, M, N, O;
    s_key_seq(&F, 0x00);
    s_key_tag(&M, 0x71);
    s_key_tag(&N, 0x72);
    s_key_tag(&O, 0x73);
    FILE *fp = s_create(V "merge.txt",
                        "# Merge results (docs/protocol.md §8.8.2, §9): edit lines are every\n"
                        "# edit a node holds (certificates included), in no particular order;\n"
                        "# entity lines are the merged state of every record that is not a\n"
                        "# member or mesh record, ordered places, coalitions, offers, needs,\n"
                        "# others, then by id: its creator and clocks, whether it counts as\n"
                        "# deleted, its claimer (needs), its fields and, in edit order, what\n"
                        "# became of each edit (applied, denied, ignored: another kind).\n\n");
    buf_t w[32];
    memset(w, 0, sizeof w);
    size_t n = 0;
    s_sign(&w[n++], REC_MEMBER, M.pk, &F, H(1), fx_fields("name", pv_str("Kroon"), "role", pv_str("member"), NULL));
    s_sign(&w[n++], REC_MEMBER, N.pk, &F, H(2), fx_fields("name", pv_str("Bieb"), "role", pv_str("member"), NULL));
    uint8_t place[32];
    edit_bound_id(M.pk, H(10), place);
    s_sign(&w[n++], REC_PLACE, place, &N, H(9), fx_fields("name", pv_str("earlier"), NULL));
    s_sign(&w[n++], REC_PLACE, NULL, &M, H(10),
           fx_fields("editors", s_list(N.hex, NULL), "kinds", s_list("community-centre", NULL), "name",
               pv_str("Buurthuis De Kroon"), "status", pv_str("open"), NULL));
    s_sign(&w[n++], REC_PLACE, place, &N, H(11), fx_fields("status", pv_str("closed"), NULL));
    s_sign(&w[n++], REC_PLACE, place, &N, H(12), fx_fields("name", pv_str("De Kroon (N)"), NULL));
    s_sign(&w[n++], REC_PLACE, place, &M, H(13), fx_fields("hours", pv_str("ma-vr 9-17"), NULL));
    s_sign(&w[n++], REC_PLACE, place, &M, H(14), fx_fields("status", pv_str("limited"), NULL));
    s_sign(&w[n++], REC_PLACE, place, &N, H(14), fx_fields("status", pv_str("overloaded"), NULL));
    s_sign(&w[n++], REC_BULLETIN, place, &M, H(15), fx_fields("title", pv_str("x"), "body", pv_str("y"), NULL));
    s_sign(&w[n++], REC_PLACE, place, &M, H(16), fx_fields("hours", pv_nil(), NULL));
    s_sign(&w[n++], REC_PLACE, place, &O, H(17), fx_fields("status", pv_str("open"), NULL));
    s_merge_write(fp, "place",
                  "M creates a place (bound id) listing N as editor. N's edit dated before the "
                  "creation is denied; N may set the status but not the name; at one clock the "
                  "edit of the larger author wins; a bulletin edit on the place's id is ignored; "
                  "nil unsets hours; O is no member",
                  &F, w, n);
    n = 0;
    s_sign(&w[n++], REC_MEMBER, M.pk, &F, H(1), fx_fields("name", pv_str("Kroon"), "role", pv_str("member"), NULL));
    s_sign(&w[n++], REC_MEMBER, N.pk, &F, H(2), fx_fields("name", pv_str("Bieb"), "role", pv_str("member"), NULL));
    uint8_t need[32];
    edit_bound_id(M.pk, H(20), need);
    s_sign(&w[n++], REC_NEED, NULL, &M, H(20),
           fx_fields("category", pv_str("errands"), "status", pv_str("open"), "summary",
               pv_str("Vervoer naar het ziekenhuis"), NULL));
    s_sign(&w[n++], REC_NEED, need, &N, H(21), fx_fields("status", pv_str("claimed"), NULL));
    s_sign(&w[n++], REC_NEED, need, &F, H(22), fx_fields("urgency", pv_str("high"), NULL));
    s_sign(&w[n++], REC_NEED, need, &N, H(23), fx_fields("status", pv_str("done"), NULL));
    s_sign(&w[n++], REC_NEED, need, &N, H(24), fx_fields("status", pv_str("open"), NULL));
    s_sign(&w[n++], REC_NEED, need, &M, H(25), fx_fields("deleted", pv_bool(true), NULL));
    s_merge_write(fp, "need",
                  "M records a need; N claims it (any member claims an open need) and finishes "
                  "it as its claimer; the founder (admin) sets the urgency; N may not reopen a "
                  "need that is done; M, its creator, deletes it",
                  &F, w, n);
    fclose(fp);
}

Test(vectors, merge_results)
{
    cr_assert_geq(sodium_init(), 0);
    if (s_writing())
        s_gen_merge();
    size_t nb;
    blk_t *b = s_load(V "merge.txt", &nb);
    cr_assert_geq(nb, 2);
    for (size_t i = 0; i < nb; i++) {
        const char *name = s_need(&b[i], "name");
        uint8_t founder[32];
        s_unhex32(s_need(&b[i], "founder"), founder);
        const char **hex, **want;
        size_t n = s_vals(&b[i], "edit", &hex);
        size_t nw = s_vals(&b[i], "entity", &want);
        edit_t **v = s_decode_all(hex, n);
        char **lines;
        size_t ne = s_merge_all(v, n, founder, &lines);
        cr_expect_eq(ne, nw, "%s: entities", name);
        for (size_t k = 0; k < ne; k++) {
            if (k < nw)
                cr_expect_str_eq(lines[k], want[k], "%s: entity %zu", name, k);
            free(lines[k]);
        }
        free(lines);
        s_free_all(v, n);
        free(hex);
        free(want);
    }
    s_free(b, nb);
}

/* ---- beacons.txt ------------------------------------------------------ */

static void s_seq(uint8_t *p, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(first + i);
}

/* magic || nonce || XChaCha20-Poly1305(key, nonce, ad, pt), built by hand
 * so that a refused beacon can differ from a good one in one point only */
static size_t s_bcn_raw(const char *magic, const char *ad, const uint8_t key[32],
                        const uint8_t nonce[24], const uint8_t *pt, size_t n, uint8_t *out)
{
    unsigned long long cl = 0;
    memcpy(out, magic, 6);
    memcpy(out + 6, nonce, 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 30, &cl, pt, n, (const uint8_t *)ad,
                                               ad ? strlen(ad) : 0, NULL, nonce, key);
    return 30 + (size_t)cl;
}

/* "buurt-beacon-v1" || mesh || port || address: what a mesh beacon's sender signs */
static void s_bcn_signed(const uint8_t mesh[32], uint16_t port, const uint8_t addr[4],
                         uint8_t out[53])
{
    memcpy(out, "buurt-beacon-v1", 15);
    memcpy(out + 15, mesh, 32);
    be16_store(out + 47, port);
    memcpy(out + 49, addr, 4);
}

/* node || port || address, and for a mesh beacon the signature */
static size_t s_bcn_plain(const uint8_t node[32], uint16_t port, const uint8_t addr[4],
                          const uint8_t *sig, uint8_t out[102])
{
    memcpy(out, node, 32);
    be16_store(out + 32, port);
    memcpy(out + 34, addr, 4);
    if (!sig)
        return 38;
    memcpy(out + 38, sig, 64);
    return 102;
}

/* A good mesh beacon (mesh_key NULL) or invite beacon of k at port and addr. */
static void s_bcn_good(FILE *fp, const char *name, const char *note, const uint8_t mesh[32],
                       const uint8_t *invite_key, const key_t_ *k, uint16_t port,
                       const uint8_t addr[4], uint8_t nonce_first)
{
    uint8_t key[32], nonce[24], sgn[53], sig[64], pt[102], out[BEACON_LEN];
    beacon_t b = {.port = port};
    memcpy(b.node, k->pk, 32);
    memcpy(b.addr, addr, 4);
    s_seq(nonce, 24, nonce_first);
    fprintf(fp, "name: %s\nnote: %s\ntype: %s\n", name, note, invite_key ? "invite" : "mesh");
    size_t n, pn;
    if (invite_key) {
        beacon_invite_key(invite_key, key);
        beacon_invite_seal_with_nonce(key, &b, nonce, out);
        n = BEACON_INVITE_LEN;
        pn = s_bcn_plain(k->pk, port, addr, NULL, pt);
        s_put_hex(fp, "invite-key", invite_key, 32);
    } else {
        beacon_key(mesh, key);
        beacon_seal_with_nonce(mesh, key, k->sk, &b, nonce, out);
        n = BEACON_LEN;
        s_bcn_signed(mesh, port, addr, sgn);
        crypto_sign_detached(sig, NULL, sgn, sizeof sgn, k->sk);
        pn = s_bcn_plain(k->pk, port, addr, sig, pt);
        s_put_hex(fp, "mesh", mesh, 32);
        s_put_hex(fp, "seed", k->sk, 32); /* libsodium's sk is seed || pk */
    }
    s_put_hex(fp, "node", k->pk, 32);
    fprintf(fp, "port: %u\n", port);
    s_put_hex(fp, "addr", addr, 4);
    s_put_hex(fp, "nonce", nonce, 24);
    s_put_hex(fp, "key", key, 32);
    if (!invite_key)
        s_put_hex(fp, "signed", sgn, sizeof sgn);
    s_put_hex(fp, "plaintext", pt, pn);
    s_put_hex(fp, "beacon", out, n);
    fprintf(fp, "valid: true\n\n");
}

static void s_bcn_bad(FILE *fp, const char *name, const char *why, bool invite,
                      const uint8_t k32[32], const uint8_t *p, size_t n)
{
    fprintf(fp, "name: %s\nwhy: %s\ntype: %s\n", name, why, invite ? "invite" : "mesh");
    s_put_hex(fp, invite ? "invite-key" : "mesh", k32, 32);
    s_put_hex(fp, "beacon", p, n);
    fprintf(fp, "valid: false\n\n");
}

static void s_gen_beacons(void)
{
    ex_t x;
    s_example(&x);
    key_t_ C;
    s_key_tag(&C, 0x63);
    FILE *fp = s_create(V "beacons.txt",
                        "# LAN beacons (docs/protocol.md §5). A good beacon gives its inputs\n"
                        "# (mesh id and the sender's Ed25519 seed, or the invite key; node, port,\n"
                        "# address, nonce), the derived key, what is signed, the plaintext and\n"
                        "# the datagram. A refused one gives the reader's mesh id (or invite\n"
                        "# key) and the datagram. valid: whether a node MUST accept it.\n"
                        "# Nonces are fixed here; a node MUST draw a fresh random one each time.\n\n");
    const uint8_t *mesh = x.A.pk;
    uint8_t addr[4] = {192, 168, 1, 20}, addr_a[4] = {10, 0, 0, 1}, key[32], nonce[24];
    uint8_t sgn[53], pt[102], good[BEACON_LEN + 1], bad[BEACON_LEN + 1];
    uint16_t port = BEACON_DEFAULT_PORT;
    s_bcn_good(fp, "mesh-14.2", "B's beacon of §14.2: mesh A, 192.168.1.20, port 4836", mesh, NULL,
               &x.B, port, addr, 0x70);
    s_bcn_good(fp, "mesh-founder", "A's beacon: mesh A, 10.0.0.1, port 4837", mesh, NULL, &x.A,
               4837, addr_a, 0x88);

    /* refused mesh beacons: each differs from mesh-14.2 in one point */
    beacon_key(mesh, key);
    s_seq(nonce, 24, 0x70);
    beacon_t bb = {.port = port};
    memcpy(bb.node, x.B.pk, 32);
    memcpy(bb.addr, addr, 4);
    beacon_seal_with_nonce(mesh, key, x.B.sk, &bb, nonce, good);
    s_bcn_signed(mesh, port, addr, sgn);
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, sgn, sizeof sgn, x.B.sk);
    s_bcn_bad(fp, "other-mesh", "mesh-14.2 heard by a node of another mesh: it does not decrypt "
              "under that mesh's key", false, C.pk, good, BEACON_LEN);
    s_bcn_plain(x.B.pk, port, addr, sig, pt);
    pt[101] ^= 0x01;
    s_bcn_bad(fp, "bad-signature", "the last bit of the signature flipped before encryption",
              false, mesh, bad, s_bcn_raw("BUURT2", "BUURT2", key, nonce, pt, 102, bad));
    {
        uint8_t s2[64], sgn_c[53];
        crypto_sign_detached(s2, NULL, sgn, sizeof sgn, C.sk);
        s_bcn_plain(x.B.pk, port, addr, s2, pt);
        s_bcn_bad(fp, "signed-by-another-key", "B's node id, signed by another key",
                  false, mesh, bad, s_bcn_raw("BUURT2", "BUURT2", key, nonce, pt, 102, bad));
        s_bcn_signed(C.pk, port, addr, sgn_c);
        crypto_sign_detached(s2, NULL, sgn_c, sizeof sgn_c, x.B.sk);
        s_bcn_plain(x.B.pk, port, addr, s2, pt);
        s_bcn_bad(fp, "signed-for-another-mesh",
                  "B's signature over another mesh id, encrypted under mesh A's key", false, mesh,
                  bad, s_bcn_raw("BUURT2", "BUURT2", key, nonce, pt, 102, bad));
    }
    s_bcn_plain(x.B.pk, port, addr_a, sig, pt);
    s_bcn_bad(fp, "address-not-signed", "address 10.0.0.1 with B's signature over 192.168.1.20",
              false, mesh, bad, s_bcn_raw("BUURT2", "BUURT2", key, nonce, pt, 102, bad));
    s_bcn_plain(x.B.pk, port + 1, addr, sig, pt);
    s_bcn_bad(fp, "port-not-signed", "port 4837 with B's signature over port 4836", false, mesh,
              bad, s_bcn_raw("BUURT2", "BUURT2", key, nonce, pt, 102, bad));
    s_bcn_plain(x.B.pk, port, addr, sig, pt);
    s_bcn_bad(fp, "wrong-magic", "BUURT1 as magic and associated data, all else right", false,
              mesh, bad, s_bcn_raw("BUURT1", "BUURT1", key, nonce, pt, 102, bad));
    s_bcn_bad(fp, "no-associated-data", "encrypted without the associated data BUURT2", false,
              mesh, bad, s_bcn_raw("BUURT2", NULL, key, nonce, pt, 102, bad));
    s_bcn_bad(fp, "truncated", "mesh-14.2 without its last byte (147 bytes)", false, mesh, good,
              BEACON_LEN - 1);
    good[BEACON_LEN] = 0;
    s_bcn_bad(fp, "trailing-byte", "mesh-14.2 and one zero byte (149 bytes)", false, mesh, good,
              BEACON_LEN + 1);
    memcpy(bad, good, BEACON_LEN);
    bad[60] ^= 0x01;
    s_bcn_bad(fp, "ciphertext-changed", "one bit of mesh-14.2's ciphertext flipped", false, mesh,
              bad, BEACON_LEN);

    /* invite beacons: A answers the invite of §10.6 (secret 40..49) */
    uint8_t secret[10], id[16], ikey[32], ikey2[32], ibk[32];
    s_seq(secret, 10, 0x40);
    invite_derive(secret, id, ikey);
    s_seq(secret, 10, 0x50);
    invite_derive(secret, id, ikey2);
    uint8_t addr_i[4] = {192, 168, 1, 10};
    s_bcn_good(fp, "invite-10.6", "A's invite beacon for the code of §10.6: 192.168.1.10, port 4836",
               NULL, ikey, &x.A, port, addr_i, 0xa0);
    beacon_invite_key(ikey, ibk);
    beacon_t ab = {.port = port};
    memcpy(ab.node, x.A.pk, 32);
    memcpy(ab.addr, addr_i, 4);
    s_seq(nonce, 24, 0xa0);
    beacon_invite_seal_with_nonce(ibk, &ab, nonce, good);
    s_bcn_bad(fp, "invite-other-code", "invite-10.6 heard by the holder of another code (secret "
              "50..59)", true, ikey2, good, BEACON_INVITE_LEN);
    s_bcn_bad(fp, "invite-truncated", "invite-10.6 without its last byte (83 bytes)", true, ikey,
              good, BEACON_INVITE_LEN - 1);
    s_bcn_plain(x.A.pk, port, addr_i, NULL, pt);
    s_bcn_bad(fp, "invite-wrong-magic", "BUURT2 as magic and associated data, all else right",
              true, ikey, bad, s_bcn_raw("BUURT2", "BUURT2", ibk, nonce, pt, 38, bad));
    s_bcn_bad(fp, "invite-mesh-key", "encrypted under the mesh's beacon key, not the invite's",
              true, ikey, bad, s_bcn_raw("BUURTI", "BUURTI", key, nonce, pt, 38, bad));
    fclose(fp);
    s_example_free(&x);
}

static uint16_t s_port(const blk_t *b)
{
    return (uint16_t)strtoul(s_need(b, "port"), NULL, 10);
}

Test(vectors, beacons)
{
    cr_assert_geq(sodium_init(), 0);
    if (s_writing())
        s_gen_beacons();
    size_t nb, n;
    blk_t *b = s_load(V "beacons.txt", &nb);
    cr_assert_geq(nb, 10);
    for (size_t i = 0; i < nb; i++) {
        const char *name = s_need(&b[i], "name");
        bool valid = strcmp(s_need(&b[i], "valid"), "true") == 0;
        bool invite = strcmp(s_need(&b[i], "type"), "invite") == 0;
        uint8_t *p = s_unhex(s_need(&b[i], "beacon"), &n);
        uint8_t in[32], key[32], nonce[24], out[BEACON_LEN], pt[102];
        beacon_t got;
        int rc;
        if (invite) {
            s_unhex32(s_need(&b[i], "invite-key"), in);
            beacon_invite_key(in, key);
            rc = beacon_invite_open(key, p, n, &got);
        } else {
            s_unhex32(s_need(&b[i], "mesh"), in);
            beacon_key(in, key);
            rc = beacon_open(in, key, p, n, &got);
        }
        cr_expect_eq(rc == 0, valid, "%s: open says %d", name, rc);
        if (!valid) {
            cr_expect_eq(rc, BU_EINVAL, "%s", name);
            free(p);
            continue;
        }
        uint8_t node[32], addr[4];
        uint16_t port = s_port(&b[i]);
        s_unhex32(s_need(&b[i], "node"), node);
        cr_assert_eq(hex_decode(s_need(&b[i], "addr"), addr, 4), 0);
        cr_assert_eq(hex_decode(s_need(&b[i], "nonce"), nonce, 24), 0);
        char kh[65];
        hex_encode(key, 32, kh);
        cr_expect_str_eq(kh, s_need(&b[i], "key"), "%s: beacon key", name);
        cr_expect(memcmp(got.node, node, 32) == 0 && got.port == port &&
                  memcmp(got.addr, addr, 4) == 0, "%s: opened contents", name);
        beacon_t bc = {.port = port};
        memcpy(bc.node, node, 32);
        memcpy(bc.addr, addr, 4);
        size_t np;
        uint8_t *plain = s_unhex(s_need(&b[i], "plaintext"), &np);
        if (invite) {
            cr_assert_eq(n, BEACON_INVITE_LEN);
            beacon_invite_seal_with_nonce(key, &bc, nonce, out);
            cr_expect_eq(np, s_bcn_plain(node, port, addr, NULL, pt));
        } else {
            uint8_t seed[32], pk[32], sk[64], sgn[53], sig[64];
            cr_assert_eq(n, BEACON_LEN);
            s_unhex32(s_need(&b[i], "seed"), seed);
            crypto_sign_seed_keypair(pk, sk, seed);
            cr_expect(memcmp(pk, node, 32) == 0, "%s: the seed is the node's", name);
            beacon_seal_with_nonce(in, key, sk, &bc, nonce, out);
            s_bcn_signed(in, port, addr, sgn);
            char *sh = s_hex(sgn, sizeof sgn);
            cr_expect_str_eq(sh, s_need(&b[i], "signed"), "%s: signed bytes", name);
            free(sh);
            crypto_sign_detached(sig, NULL, sgn, sizeof sgn, sk);
            cr_expect_eq(np, s_bcn_plain(node, port, addr, sig, pt));
        }
        cr_expect(memcmp(plain, pt, np) == 0, "%s: plaintext", name);
        cr_expect(memcmp(out, p, n) == 0, "%s: sealing again gives the same bytes", name);
        /* the documented construction, by hand */
        uint8_t raw[BEACON_LEN];
        const char *magic = invite ? "BUURTI" : "BUURT2";
        cr_expect_eq(s_bcn_raw(magic, magic, key, nonce, plain, np, raw), n);
        cr_expect(memcmp(raw, p, n) == 0, "%s: magic, nonce, AEAD(plaintext, ad = magic)", name);
        free(plain);
        free(p);
    }
    s_free(b, nb);
}

/* ---- invites.txt: codes and JOIN verdicts ---------------------------- */

static void s_code_write(FILE *fp, const char *name, const char *note, const uint8_t prefix[8],
                         const uint8_t secret[10])
{
    invite_code_t c;
    char text[INVITE_CODE_LEN];
    uint8_t id[16], key[32];
    memcpy(c.mesh_prefix, prefix, 8);
    memcpy(c.secret, secret, 10);
    invite_code_format(&c, text);
    invite_derive(secret, id, key);
    fprintf(fp, "name: %s\nnote: %s\n", name, note);
    s_put_hex(fp, "mesh-prefix", prefix, 8);
    s_put_hex(fp, "secret", secret, 10);
    fprintf(fp, "code: %s\n", text);
    s_put_hex(fp, "id", id, 16);
    s_put_hex(fp, "key", key, 32);
    fprintf(fp, "\n");
}

static void s_text_write(FILE *fp, const char *name, const char *text, const invite_code_t *c)
{
    fprintf(fp, "name: %s\ntext:%s%s\n", name, *text ? " " : "", text); /* no trailing space */
    if (c) {
        s_put_hex(fp, "mesh-prefix", c->mesh_prefix, 8);
        s_put_hex(fp, "secret", c->secret, 10);
    }
    fprintf(fp, "valid: %s\n\n", c ? "true" : "false");
}

/* One JOIN A's node answers: the invite it holds (secret 40..49), the
 * connection's CURVE key, the clock. */
typedef struct {
    const char *name, *why;
    int status; /* -1: the JOIN does not decode, no answer */
    bool used;
    int64_t now_offset; /* now = expires + now_offset */
} join_case_t;

static void s_join_write(FILE *fp, const join_case_t *jc, const uint8_t mesh[32],
                         const uint8_t server_curve[32], const uint8_t guest_curve[32],
                         const uint8_t id[16], const uint8_t key[32], uint64_t expires,
                         const buf_t *join, const uint8_t *proof)
{
    fprintf(fp, "name: %s\nwhy: %s\n", jc->name, jc->why);
    s_put_hex(fp, "mesh", mesh, 32);
    s_put_hex(fp, "server-curve", server_curve, 32);
    s_put_hex(fp, "guest-curve", guest_curve, 32);
    fprintf(fp, "now: %" PRIu64 "\n", (uint64_t)((int64_t)expires + jc->now_offset));
    s_put_hex(fp, "invite-id", id, 16);
    s_put_hex(fp, "invite-key", key, 32);
    fprintf(fp, "invite-used: %s\ninvite-expires: %" PRIu64 "\n", jc->used ? "true" : "false",
            expires);
    s_put_hex(fp, "join", join->data, join->len);
    if (proof)
        s_put_hex(fp, "proof", proof, 32);
    if (jc->status < 0)
        fprintf(fp, "status: none\n\n");
    else
        fprintf(fp, "status: %d\n\n", jc->status);
}

static void s_gen_invites(void)
{
    ex_t x;
    s_example(&x);
    key_t_ C;
    s_key_tag(&C, 0x63);
    FILE *fp = s_create(
        V "invites.txt",
        "# Invite codes and JOIN (docs/protocol.md §10.6).\n"
        "# A block with code: mesh-prefix and secret are written as code; reading\n"
        "# code gives them back; id and key derive from secret.\n"
        "# A block with text: reading text gives mesh-prefix and secret (valid:\n"
        "# true) or is refused (valid: false).\n"
        "# A block with join: the inviting node of mesh, with CURVE key\n"
        "# server-curve, holds one invite (invite-*; times in ms) and receives the\n"
        "# JOIN frame join from a guest whose connection's CURVE key is guest-curve\n"
        "# at time now; it MUST answer JOINED with status (none: the frame does\n"
        "# not decode, no answer). proof, where given, is the proof the joiner\n"
        "# computes from invite-key, its node id and the two CURVE keys.\n\n");
    uint8_t secret[10], prefix[8];
    s_seq(secret, 10, 0x40);
    memcpy(prefix, x.A.pk, 8);
    s_code_write(fp, "code-10.6", "the code of §10.6's example: mesh A, secret 40..49", prefix,
                 secret);
    {
        uint8_t z[10] = {0}, zp[8] = {0}, f[10], fp8[8];
        memset(f, 0xff, 10);
        memset(fp8, 0xff, 8);
        s_code_write(fp, "code-zero", "all bits 0", zp, z);
        s_code_write(fp, "code-ones", "all 144 bits 1: the last character holds 4 bits and the "
                     "zero padding bit", fp8, f);
    }
    /* reading */
    invite_code_t c;
    char code[INVITE_CODE_LEN], t[80];
    memcpy(c.mesh_prefix, prefix, 8);
    memcpy(c.secret, secret, 10);
    invite_code_format(&c, code); /* 0EGGF-FZKSR-8BWG2-1891M-8HA68-X44J */
    size_t len = strlen(code);
    for (size_t i = 0; i <= len; i++)
        t[i] = (char)tolower((unsigned char)code[i]);
    s_text_write(fp, "lower-case", t, &c);
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (code[i] != '-')
            t[k++] = code[i];
    t[k] = '\0';
    s_text_write(fp, "no-dashes", t, &c);
    for (size_t i = 0; i <= len; i++)
        t[i] = code[i] == '-' ? ' ' : code[i];
    s_text_write(fp, "spaces", t, &c);
    snprintf(t, sizeof t, "%.2s-%.3s--%s", code, code + 2, code + 5);
    s_text_write(fp, "dashes-anywhere", t, &c);
    snprintf(t, sizeof t, "%s", code);
    cr_assert_eq(t[0], '0');
    cr_assert_eq(t[18], '1');
    t[0] = 'O';
    t[18] = 'I';
    s_text_write(fp, "o-and-i", t, &c);
    t[0] = 'o';
    t[18] = 'l';
    s_text_write(fp, "o-and-l-lower-case", t, &c);
    snprintf(t, sizeof t, "%.*s", (int)len - 1, code);
    s_text_write(fp, "28-characters", t, NULL);
    snprintf(t, sizeof t, "%s0", code);
    s_text_write(fp, "30-characters", t, NULL);
    snprintf(t, sizeof t, "%s", code);
    t[1] = 'U';
    s_text_write(fp, "letter-u", t, NULL);
    snprintf(t, sizeof t, "%s", code);
    t[len - 1] = 'K'; /* J = 18, K = 19: the padding bit set */
    s_text_write(fp, "padding-bit-set", t, NULL);
    snprintf(t, sizeof t, "%s", code);
    t[5] = '.';
    s_text_write(fp, "dot", t, NULL);
    s_text_write(fp, "empty", "", NULL);

    /* JOIN verdicts: A's node, mesh A, holds the invite of secret 40..49 */
    uint8_t id[16], key[32], id2[16], key2[32], acurve[32], bcurve[32], ccurve[32], proof[32];
    invite_derive(secret, id, key);
    s_seq(secret, 10, 0x50);
    invite_derive(secret, id2, key2);
    cr_assert_eq(crypto_sign_ed25519_pk_to_curve25519(acurve, x.A.pk), 0);
    cr_assert_eq(crypto_sign_ed25519_pk_to_curve25519(bcurve, x.B.pk), 0);
    cr_assert_eq(crypto_sign_ed25519_pk_to_curve25519(ccurve, C.pk), 0);
    uint64_t expires = T0 + 7 * UINT64_C(86400000);
    const int64_t hour = -3600000;
    static const join_case_t cases[] = {
        {"join-ok", "B joins with the code of §10.6: status 0 OK", 0, false, hour},
        {"join-last-ms", "one ms before the expiry: 0 OK", 0, false, -1},
        {"join-wrong-mesh", "mesh_prefix of another mesh: 5 WRONG_MESH", 5, false, hour},
        {"join-wrong-mesh-first", "another mesh, another invite, used and expired: 5 "
         "WRONG_MESH is checked first", 5, true, 1},
        {"join-unknown", "the id and proof of another code (secret 50..59): 1 UNKNOWN", 1, false,
         hour},
        {"join-node-not-connection", "node is C (proof made for C) on B's connection: 4 BAD_PROOF",
         4, false, hour},
        {"join-wrong-key", "the right id, the proof made with another code's key: 4 BAD_PROOF", 4,
         false, hour},
        {"join-other-server", "the proof bound to another server's CURVE key: 4 BAD_PROOF", 4,
         false, hour},
        {"join-proof-over-ed25519", "the proof over the two Ed25519 node ids instead of the "
         "X25519 keys: 4 BAD_PROOF", 4, false, hour},
        {"join-used", "the invite was used: 2 USED", 2, true, hour},
        {"join-used-bad-proof", "used, and a wrong proof: 4 BAD_PROOF (who lacks the code learns "
         "nothing of the invite)", 4, true, hour},
        {"join-expired", "now equals the expiry: 3 EXPIRED", 3, false, 0},
        {"join-used-expired", "used and expired: 2 USED is checked first", 2, true, 1},
        {"join-empty-name", "a name of 0 bytes: not a JOIN, no answer", -1, false, hour},
        {"join-version-2", "version 2: not a JOIN, no answer", -1, false, hour},
    };
    buf_t w = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const join_case_t *jc = &cases[i];
        join_msg_t j = {0};
        memcpy(j.mesh_prefix, x.A.pk, 8);
        memcpy(j.id, id, 16);
        memcpy(j.node, x.B.pk, 32);
        snprintf(j.name, sizeof j.name, "Bieb");
        const uint8_t *pkey = key, *pnode_curve = bcurve, *pserver = acurve;
        const char *n = jc->name;
        if (strstr(n, "wrong-mesh"))
            memcpy(j.mesh_prefix, C.pk, 8);
        if (strcmp(n, "join-unknown") == 0 || strcmp(n, "join-wrong-mesh-first") == 0) {
            memcpy(j.id, id2, 16);
            pkey = key2;
        }
        if (strcmp(n, "join-node-not-connection") == 0) {
            memcpy(j.node, C.pk, 32);
            pnode_curve = ccurve;
        }
        if (strcmp(n, "join-wrong-key") == 0 || strcmp(n, "join-used-bad-proof") == 0)
            pkey = key2;
        if (strcmp(n, "join-other-server") == 0)
            pserver = ccurve;
        if (strcmp(n, "join-proof-over-ed25519") == 0)
            invite_proof(pkey, j.node, j.node, x.A.pk, j.proof);
        else
            invite_proof(pkey, j.node, pnode_curve, pserver, j.proof);
        memcpy(proof, j.proof, 32);
        if (strcmp(n, "join-empty-name") == 0)
            j.name[0] = '\0';
        if (strcmp(n, "join-version-2") == 0) {
            pv_t *a = pv_arr();
            pv_arr_push(a, pv_int(MSG_JOIN));
            pv_arr_push(a, pv_int(2));
            pv_arr_push(a, pv_bin(j.mesh_prefix, 8));
            pv_arr_push(a, pv_bin(j.id, 16));
            pv_arr_push(a, pv_bin(j.node, 32));
            pv_arr_push(a, pv_str(j.name));
            pv_arr_push(a, pv_bin(j.proof, 32));
            pv_encode(a, &w);
            pv_free(&a);
        } else {
            invite_join_encode(&j, &w);
        }
        bool honest = jc->status == 0 || jc->status == 2 || jc->status == 3;
        s_join_write(fp, jc, x.A.pk, acurve, bcurve, id, key, expires, &w, honest ? proof : NULL);
        buf_reset(&w);
    }
    buf_free(&w);
    fclose(fp);
    s_example_free(&x);
}

static bool s_bool(const blk_t *b, const char *key)
{
    return strcmp(s_need(b, key), "true") == 0;
}

Test(vectors, invite_codes_and_join)
{
    cr_assert_geq(sodium_init(), 0);
    if (s_writing())
        s_gen_invites();
    size_t nb, n;
    blk_t *b = s_load(V "invites.txt", &nb);
    cr_assert_geq(nb, 20);
    size_t ncode = 0, ntext = 0, njoin = 0;
    for (size_t i = 0; i < nb; i++) {
        const char *name = s_need(&b[i], "name");
        invite_code_t c;
        uint8_t prefix[8], secret[10];
        if (s_val(&b[i], "mesh-prefix")) {
            cr_assert_eq(hex_decode(s_need(&b[i], "mesh-prefix"), prefix, 8), 0);
            cr_assert_eq(hex_decode(s_need(&b[i], "secret"), secret, 10), 0);
        }
        if (s_val(&b[i], "code")) {
            ncode++;
            char text[INVITE_CODE_LEN], *h;
            uint8_t id[16], key[32];
            memcpy(c.mesh_prefix, prefix, 8);
            memcpy(c.secret, secret, 10);
            invite_code_format(&c, text);
            cr_expect_str_eq(text, s_need(&b[i], "code"), "%s: written", name);
            memset(&c, 0, sizeof c);
            cr_expect_eq(invite_code_parse(s_need(&b[i], "code"), &c), 0, "%s: read", name);
            cr_expect(memcmp(c.mesh_prefix, prefix, 8) == 0 && memcmp(c.secret, secret, 10) == 0,
                      "%s: read back", name);
            invite_derive(secret, id, key);
            h = s_hex(id, 16);
            cr_expect_str_eq(h, s_need(&b[i], "id"), "%s: id", name);
            free(h);
            h = s_hex(key, 32);
            cr_expect_str_eq(h, s_need(&b[i], "key"), "%s: key", name);
            free(h);
        } else if (s_val(&b[i], "text")) {
            ntext++;
            bool valid = s_bool(&b[i], "valid");
            int rc = invite_code_parse(s_need(&b[i], "text"), &c);
            cr_expect_eq(rc == 0, valid, "%s: read says %d", name, rc);
            if (valid && rc == 0)
                cr_expect(memcmp(c.mesh_prefix, prefix, 8) == 0 &&
                              memcmp(c.secret, secret, 10) == 0, "%s: what is read", name);
        } else {
            njoin++;
            uint8_t *p = s_unhex(s_need(&b[i], "join"), &n);
            const char *st = s_need(&b[i], "status");
            join_msg_t j;
            int rc = invite_join_decode(p, n, &j);
            if (strcmp(st, "none") == 0) {
                cr_expect_lt(rc, 0, "%s: not a JOIN", name);
                free(p);
                continue;
            }
            cr_assert_eq(rc, 0, "%s: decodes", name);
            buf_t again = {0};
            invite_join_encode(&j, &again);
            cr_expect(again.len == n && memcmp(again.data, p, n) == 0, "%s: encodes back", name);
            buf_free(&again);
            uint8_t mesh[32], scurve[32], gcurve[32];
            invite_t inv = {.role = "member"};
            s_unhex32(s_need(&b[i], "mesh"), mesh);
            s_unhex32(s_need(&b[i], "server-curve"), scurve);
            s_unhex32(s_need(&b[i], "guest-curve"), gcurve);
            cr_assert_eq(hex_decode(s_need(&b[i], "invite-id"), inv.id, 16), 0);
            s_unhex32(s_need(&b[i], "invite-key"), inv.key);
            inv.used = s_bool(&b[i], "invite-used");
            inv.expires = strtoull(s_need(&b[i], "invite-expires"), NULL, 10);
            guest_env_t env = {.mesh = mesh, .curve_pk = scurve,
                               .now_ms = strtoull(s_need(&b[i], "now"), NULL, 10)};
            const char *text = NULL;
            int got = guest_verdict(&env, gcurve, &j, &inv, &text);
            cr_expect_eq(got, atoi(st), "%s: status %d (%s), want %s", name, got, text, st);
            if (s_val(&b[i], "proof")) {
                uint8_t want[32], proof[32];
                s_unhex32(s_need(&b[i], "proof"), want);
                invite_proof(inv.key, j.node, gcurve, scurve, proof);
                cr_expect(memcmp(proof, want, 32) == 0 && memcmp(j.proof, want, 32) == 0,
                          "%s: proof", name);
            }
            free(p);
        }
    }
    cr_expect(ncode >= 3 && ntext >= 10 && njoin >= 10, "codes %zu, texts %zu, joins %zu", ncode,
              ntext, njoin);
    s_free(b, nb);
}

/* ---- sealed.txt: sealed edits of private coalitions ------------------- */

/* entity || author || hlc (little-endian): a sealed box's associated data */
static void s_seal_ad(const uint8_t ent[32], const uint8_t author[32], uint64_t hlc,
                      uint8_t ad[72])
{
    memcpy(ad, ent, 32);
    memcpy(ad + 32, author, 32);
    le64_store(ad + 64, hlc);
}

/* A sealed edit whose box is nonce || AEAD(key, nonce, ad, plain), by hand. */
static void s_sealed_raw(buf_t *wire, const uint8_t key[32], const uint8_t *plain, size_t n,
                         const uint8_t nonce[24], const uint8_t ent[32], const key_t_ *k,
                         uint64_t hlc)
{
    uint8_t ad[72], kid[SEAL_KEY_ID_LEN], *box = xmalloc(24 + n + 16);
    unsigned long long cl = 0;
    s_seal_ad(ent, k->pk, hlc, ad);
    memcpy(box, nonce, 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt(box + 24, &cl, plain, n, ad, sizeof ad, NULL, nonce,
                                               key);
    seal_key_id(key, kid);
    s_sign(wire, REC_SEALED, ent, k, hlc,
           fx_fields("box", pv_bin(box, 24 + (size_t)cl), "key", pv_bin(kid, SEAL_KEY_ID_LEN), NULL));
    free(box);
}

static void s_sealed_write(FILE *fp, const char *name, const char *note, const uint8_t key[32],
                           const buf_t *w, const uint8_t *nonce, const buf_t *inner, bool valid)
{
    fprintf(fp, "name: %s\n%s: %s\n", name, valid ? "note" : "why", note);
    s_put_hex(fp, "key", key, 32);
    if (valid) {
        uint8_t kid[SEAL_KEY_ID_LEN], ad[72], id[32];
        edit_t *e = NULL;
        cr_assert_eq(edit_decode(w->data, w->len, EDIT_VERIFY, &e, NULL), 0);
        seal_key_id(key, kid);
        s_put_hex(fp, "key-id", kid, SEAL_KEY_ID_LEN);
        s_put_hex(fp, "entity", e->entity, 32);
        s_put_hex(fp, "author", e->author, 32);
        fprintf(fp, "hlc: %" PRIu64 "\n", e->hlc);
        s_seal_ad(e->entity, e->author, e->hlc, ad);
        s_put_hex(fp, "ad", ad, sizeof ad);
        s_put_hex(fp, "nonce", nonce, 24);
        s_put_hex(fp, "inner", inner->data, inner->len);
        char *j = s_json_of(inner->data, inner->len);
        fprintf(fp, "inner-json: %s\n", j);
        free(j);
        const pv_t *box = pv_map_get(e->fields, "box");
        s_put_hex(fp, "box", (const uint8_t *)box->u.s.p, box->u.s.n);
        crypto_generichash(id, 32, w->data, w->len, NULL, 0);
        s_put_hex(fp, "id", id, 32);
        edit_free(&e);
    }
    s_put_hex(fp, "edit", w->data, w->len);
    fprintf(fp, "valid: %s\n\n", valid ? "true" : "false");
}

/* seals (kind, fields) as the reference does; *inner gets [kind, fields] */
static void s_sealed(buf_t *wire, buf_t *inner, const uint8_t key[32], rec_kind_t kind,
                     pv_t *fields, const uint8_t nonce[24], const uint8_t *ent, const key_t_ *k,
                     uint64_t hlc)
{
    uint8_t bound[32];
    if (!ent) {
        edit_bound_id(k->pk, hlc, bound);
        ent = bound;
    }
    pv_t *in = pv_arr();
    pv_arr_push(in, pv_str(rec_kind_name(kind)));
    pv_arr_push(in, pv_dup(fields));
    buf_reset(inner);
    pv_encode(in, inner);
    pv_free(&in);
    s_sign(wire, REC_SEALED, ent, k, hlc,
           seal_fields_with_nonce(key, kind, fields, ent, k->pk, hlc, nonce));
    pv_free(&fields);
}

static void s_gen_sealed(void)
{
    ex_t x;
    s_example(&x);
    FILE *fp = s_create(
        V "sealed.txt",
        "# Sealed edits of private coalitions (docs/protocol.md §8.10). Every\n"
        "# edit here verifies and is a valid edit of kind sealed. A node holding\n"
        "# key opens it (valid: true) and treats it as an edit of the kind and\n"
        "# fields of inner, or cannot (valid: false) and keeps it sealed.\n"
        "# For an opened one: key-id names key; ad is entity || author || hlc\n"
        "# (8 bytes little-endian); box is nonce || XChaCha20-Poly1305(key,\n"
        "# nonce, ad, inner); id is the edit's id. Nonces are fixed here; a node\n"
        "# MUST draw a fresh random one for every edit.\n\n");
    uint8_t key[32], key2[32], nonce[24], ent[32];
    s_seq(key, 32, 0xc0);
    s_seq(key2, 32, 0xe0);
    buf_t w = {0}, inner = {0}, need = {0};
    uint8_t coal[32];
    edit_bound_id(x.A.pk, H(40), coal);
    s_seq(nonce, 24, 0x50);
    s_sealed(&w, &inner, key, REC_COALITION,
             fx_fields("coordinators", s_list(x.A.hex, NULL), "name", pv_str("Buurtzorg Noord"), NULL),
             nonce, NULL, &x.A, H(40));
    s_sealed_write(fp, "sealed-coalition", "a private coalition's own record, by A; its id is "
                   "bound to this edit (§7.6)", key, &w, nonce, &inner, true);
    buf_reset(&w);
    char chex[65];
    hex_encode(coal, 32, chex);
    s_seq(nonce, 24, 0x68);
    s_sealed(&w, &inner, key, REC_NEED,
             fx_fields("category", pv_str("food"), "coalition", pv_str(chex), "summary",
                 pv_str("Boodschappen voor een gezin"), "urgency", pv_str("high"), NULL),
             nonce, NULL, &x.B, H(41));
    s_sealed_write(fp, "sealed-need", "a need of that coalition, by B", key, &w, nonce, &inner,
                   true);
    buf_append(&need, w.data, w.len);
    buf_reset(&w);

    /* refused: each differs from sealed-need in one point */
    s_sealed_write(fp, "wrong-key", "sealed-need tried with another key", key2, &need, NULL, NULL,
                   false);
    edit_t *e = NULL;
    cr_assert_eq(edit_decode(need.data, need.len, EDIT_VERIFY, &e, NULL), 0);
    memcpy(ent, e->entity, 32);
    s_sign(&w, REC_SEALED, ent, &x.B, H(42), pv_dup(e->fields));
    s_sealed_write(fp, "moved-to-another-clock", "sealed-need's fields in an edit by B at "
                   "another hlc", key, &w, NULL, NULL, false);
    buf_reset(&w);
    s_sign(&w, REC_SEALED, ent, &x.A, H(41), pv_dup(e->fields));
    s_sealed_write(fp, "moved-to-another-author", "sealed-need's fields in an edit by A, same "
                   "entity and hlc", key, &w, NULL, NULL, false);
    buf_reset(&w);
    s_sign(&w, REC_SEALED, coal, &x.B, H(41), pv_dup(e->fields));
    s_sealed_write(fp, "moved-to-another-entity", "sealed-need's fields in an edit of the "
                   "coalition's entity, same author and hlc", key, &w, NULL, NULL, false);
    buf_reset(&w);
    edit_free(&e);
    s_seq(nonce, 24, 0x80);
    s_sealed(&w, &inner, key, REC_MEMBER,
             fx_fields("name", pv_str("Bieb"), "revoked", pv_bool(false), "role", pv_str("admin"), NULL),
             nonce, x.B.pk, &x.A, H(43));
    s_sealed_write(fp, "inner-member", "a member certificate sealed: only place, coalition, "
                   "need, offer and bulletin may be", key, &w, NULL, NULL, false);
    buf_reset(&w);
    s_seq(nonce, 24, 0x98);
    s_sealed(&w, &inner, key, REC_NEED, fx_fields("urgency", pv_str("soon"), NULL), nonce, ent, &x.B,
             H(44));
    s_sealed_write(fp, "inner-fails-schema", "a need whose urgency is not a token", key, &w, NULL,
                   NULL, false);
    buf_reset(&w);
    {
        /* ["need", {"urgency": "high", "category": "food"}]: keys out of order */
        static const char *hex = "92a46e65656482a7757267656e6379a468696768a863617465676f7279a4666f6f64";
        size_t n;
        uint8_t *plain = s_unhex(hex, &n);
        s_seq(nonce, 24, 0xb0);
        s_sealed_raw(&w, key, plain, n, nonce, ent, &x.B, H(45));
        s_sealed_write(fp, "inner-not-canonical", "inner is [\"need\", {urgency, category}], "
                       "map keys out of order", key, &w, NULL, NULL, false);
        buf_reset(&w);
        free(plain);
        /* ["need", {"urgency": "high"}, nil] */
        plain = s_unhex("93a46e65656481a7757267656e6379a468696768c0", &n);
        s_seq(nonce, 24, 0xc8);
        s_sealed_raw(&w, key, plain, n, nonce, ent, &x.B, H(46));
        s_sealed_write(fp, "inner-three-items", "inner is [kind, fields, nil]", key, &w, NULL,
                       NULL, false);
        buf_reset(&w);
        free(plain);
    }
    buf_free(&w);
    buf_free(&need);
    buf_free(&inner);
    fclose(fp);
    s_example_free(&x);
}

Test(vectors, sealed_edits)
{
    cr_assert_geq(sodium_init(), 0);
    if (s_writing())
        s_gen_sealed();
    size_t nb, n;
    blk_t *b = s_load(V "sealed.txt", &nb);
    cr_assert_geq(nb, 8);
    for (size_t i = 0; i < nb; i++) {
        const char *name = s_need(&b[i], "name");
        bool valid = s_bool(&b[i], "valid");
        uint8_t key[32];
        s_unhex32(s_need(&b[i], "key"), key);
        uint8_t *p = s_unhex(s_need(&b[i], "edit"), &n);
        edit_t *e = NULL;
        char *cause = NULL;
        cr_assert_eq(edit_decode(p, n, EDIT_VERIFY, &e, &cause), 0, "%s: the edit: %s", name,
                     cause ? cause : "");
        cr_expect_eq(e->kind, REC_SEALED, "%s: kind sealed", name);
        rec_kind_t kind;
        pv_t *fields = NULL;
        int rc = seal_open(key, e->fields, e->entity, e->author, e->hlc, &kind, &fields);
        cr_expect_eq(rc == 0, valid, "%s: seal_open says %d", name, rc);
        if (valid && rc == 0) {
            uint8_t kid[SEAL_KEY_ID_LEN], ad[72], nonce[24], id[32];
            seal_key_id(key, kid);
            char *h = s_hex(kid, sizeof kid);
            cr_expect_str_eq(h, s_need(&b[i], "key-id"), "%s: key id", name);
            free(h);
            cr_expect(memcmp(seal_key_of(e->fields), kid, sizeof kid) == 0, "%s: named key", name);
            s_seal_ad(e->entity, e->author, e->hlc, ad);
            h = s_hex(ad, sizeof ad);
            cr_expect_str_eq(h, s_need(&b[i], "ad"), "%s: associated data", name);
            free(h);
            /* what it opens to is inner */
            size_t ni;
            uint8_t *in = s_unhex(s_need(&b[i], "inner"), &ni);
            pv_t *iv = NULL;
            cr_assert_eq(pv_decode(in, ni, &iv), 0);
            cr_expect_str_eq(iv->u.a.items[0]->u.s.p, rec_kind_name(kind), "%s: kind", name);
            buf_t f1 = {0}, f2 = {0};
            pv_encode(fields, &f1);
            pv_encode(iv->u.a.items[1], &f2);
            cr_expect(f1.len == f2.len && memcmp(f1.data, f2.data, f1.len) == 0, "%s: fields",
                      name);
            /* sealing inner again with the nonce gives the box */
            cr_assert_eq(hex_decode(s_need(&b[i], "nonce"), nonce, 24), 0);
            pv_t *sf = seal_fields_with_nonce(key, kind, iv->u.a.items[1], e->entity, e->author,
                                              e->hlc, nonce);
            const pv_t *box = pv_map_get(sf, "box"), *ebox = pv_map_get(e->fields, "box");
            h = s_hex((const uint8_t *)box->u.s.p, box->u.s.n);
            cr_expect_str_eq(h, s_need(&b[i], "box"), "%s: box", name);
            free(h);
            cr_expect(ebox->u.s.n == box->u.s.n && memcmp(ebox->u.s.p, box->u.s.p, box->u.s.n) == 0,
                      "%s: the edit's box", name);
            crypto_generichash(id, 32, p, n, NULL, 0);
            h = s_hex(id, 32);
            cr_expect_str_eq(h, s_need(&b[i], "id"), "%s: id", name);
            free(h);
            pv_free(&sf);
            buf_free(&f1);
            buf_free(&f2);
            pv_free(&iv);
            free(in);
        }
        pv_free(&fields);
        edit_free(&e);
        free(cause);
        free(p);
    }
    s_free(b, nb);
}
