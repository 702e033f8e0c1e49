/*
 * edit.c -- encode, sign, decode and verify edits (see edit.h for the form).
 */
#include "proto/edit.h"
#include "proto/err.h"
#include "proto/util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void s_body(const edit_t *e, buf_t *out)
{
    pv_t *arr = pv_arr();
    pv_arr_push(arr, pv_int(EDIT_VERSION));
    pv_arr_push(arr, pv_str(rec_kind_name(e->kind)));
    pv_arr_push(arr, pv_bin(e->entity, 32));
    pv_arr_push(arr, pv_bin(e->author, 32));
    pv_arr_push(arr, pv_int((int64_t)e->hlc));
    pv_arr_push(arr, pv_dup(e->fields));
    pv_encode(arr, out);
    pv_free(&arr);
}

static void s_sig_input(const uint8_t *body, size_t n, buf_t *out)
{
    buf_append(out, EDIT_SIG_DOMAIN, strlen(EDIT_SIG_DOMAIN));
    buf_append(out, body, n);
}

int edit_sign(edit_t *e, const uint8_t sk[64], unsigned flags, buf_t *wire, char **cause)
{
    int rc;
    buf_t body = {0}, msg = {0}, out = {0};
    if (memcmp(sk + 32, e->author, 32) != 0) {
        rc = bu_fail(cause, BU_EINVAL, "edit author is not the signing key");
        goto done;
    }
    if (e->hlc > INT64_MAX) {
        rc = bu_fail(cause, BU_EINVAL, "clock value out of range");
        goto done;
    }
    if ((rc = rec_validate(e->kind, e->fields, (flags & EDIT_CREATING) != 0, cause)) < 0)
        goto done;
    s_body(e, &body);
    pv_t *check = NULL; /* refuse what edit_decode would refuse: bad UTF-8, NUL in text */
    if (pv_decode(body.data, body.len, &check) < 0) {
        rc = bu_fail(cause, BU_ESCHEMA, "fields: text must be valid UTF-8 without NUL bytes");
        goto done;
    }
    pv_free(&check);
    s_sig_input(body.data, body.len, &msg);
    crypto_sign_detached(e->sig, NULL, msg.data, msg.len, sk);

    pv_t *arr = pv_arr();
    pv_arr_push(arr, pv_bin(body.data, body.len));
    pv_arr_push(arr, pv_bin(e->sig, 64));
    pv_encode(arr, &out);
    pv_free(&arr);
    if (out.len > EDIT_MAX_WIRE) {
        rc = bu_fail(cause, BU_ETOOBIG, "edit is %zu bytes, over the limit of %d", out.len,
                     EDIT_MAX_WIRE);
        goto done;
    }
    crypto_generichash(e->id, 32, out.data, out.len, NULL, 0);
    buf_append(wire, out.data, out.len);
    rc = 0;
done:
    buf_free(&body);
    buf_free(&msg);
    buf_free(&out);
    return rc;
}

static int s_bin(const pv_t *v, size_t n, uint8_t *out)
{
    if (v->type != PV_BIN || v->u.s.n != n)
        return BU_EINVAL;
    memcpy(out, v->u.s.p, n);
    return 0;
}

int edit_decode(const uint8_t *wire, size_t len, unsigned flags, edit_t **out, char **cause)
{
    return edit_decode_id(wire, len, flags, NULL, out, cause);
}

/* The canonical outer form of an edit, [bin body, bin sig]: 0x92, the body
 * with the shortest bin header for its size, then c4 40 and 64 bytes, and
 * nothing after. Finds the body and signature without building values;
 * false for anything else, which pv_decode then judges (and words the
 * error of), so what is accepted is exactly what pv_decode accepts. */
static bool s_outer(const uint8_t *d, size_t len, const uint8_t **body, size_t *blen,
                    const uint8_t **sig)
{
    size_t p = 1, n;
    if (len < 3 || d[0] != 0x92)
        return false;
    if (d[1] == 0xc4) {
        n = d[2];
        p = 3;
    } else if (d[1] == 0xc5 && len >= 4) {
        n = (size_t)d[2] << 8 | d[3];
        p = 4;
        if (n < 256)
            return false; /* not the shortest header */
    } else {
        return false; /* bin32 is longer than an edit may be */
    }
    if (n > len - p || len - p - n != 2 + 64 || d[p + n] != 0xc4 || d[p + n + 1] != 64)
        return false;
    *body = d + p;
    *blen = n;
    *sig = d + p + n + 2;
    return true;
}

int edit_decode_id(const uint8_t *wire, size_t len, unsigned flags, const uint8_t id[32],
                   edit_t **out, char **cause)
{
    int rc;
    pv_t *outer = NULL, *body = NULL;
    edit_t *e = NULL;
    const uint8_t *bp, *sig;
    size_t bn;
    *out = NULL;
    if (len > EDIT_MAX_WIRE) {
        rc = bu_fail(cause, BU_ETOOBIG, "edit of %zu bytes exceeds %d", len, EDIT_MAX_WIRE);
        goto fail;
    }
    if (!s_outer(wire, len, &bp, &bn, &sig)) {
        if ((rc = pv_decode(wire, len, &outer)) < 0) {
            bu_fail(cause, rc, "edit: %s", bu_strerror(rc));
            goto fail;
        }
        if (outer->type != PV_ARR || outer->u.a.n != 2 || outer->u.a.items[0]->type != PV_BIN ||
            outer->u.a.items[1]->type != PV_BIN || outer->u.a.items[1]->u.s.n != 64) {
            rc = bu_fail(cause, BU_EINVAL, "edit: expected [body, signature]");
            goto fail;
        }
        bp = (const uint8_t *)outer->u.a.items[0]->u.s.p;
        bn = outer->u.a.items[0]->u.s.n;
        sig = (const uint8_t *)outer->u.a.items[1]->u.s.p;
    }
    if ((rc = pv_decode(bp, bn, &body)) < 0) {
        bu_fail(cause, rc, "edit body: %s", bu_strerror(rc));
        goto fail;
    }
    if (body->type != PV_ARR || body->u.a.n != 6) {
        rc = bu_fail(cause, BU_EINVAL, "edit body: expected 6 elements");
        goto fail;
    }
    pv_t **it = body->u.a.items;
    if (it[0]->type != PV_INT || it[0]->u.i != EDIT_VERSION) {
        rc = bu_fail(cause, BU_EINVAL, "edit: unsupported version");
        goto fail;
    }
    int kind = it[1]->type == PV_STR ? rec_kind_parse(it[1]->u.s.p) : -1;
    if (kind < 0 || strcmp(rec_kind_name(kind), it[1]->u.s.p) != 0) {
        rc = bu_fail(cause, BU_EINVAL, "edit: unknown record kind");
        goto fail;
    }
    e = xcalloc(1, sizeof *e);
    e->kind = (rec_kind_t)kind;
    if (s_bin(it[2], 32, e->entity) < 0 || s_bin(it[3], 32, e->author) < 0 ||
        it[4]->type != PV_INT || it[4]->u.i < 0 || it[5]->type != PV_MAP) {
        rc = bu_fail(cause, BU_EINVAL, "edit: bad entity, author, clock or fields");
        goto fail;
    }
    e->hlc = (uint64_t)it[4]->u.i;
    memcpy(e->sig, sig, 64);
    /* the signature first: nothing of an unsigned edit (a field name in a
     * schema error) may reach a log line or an answer */
    if (flags & EDIT_VERIFY) {
        /* the signed bytes: on the stack for an edit of usual size */
        uint8_t small[sizeof EDIT_SIG_DOMAIN - 1 + 1024];
        buf_t msg = {0};
        const uint8_t *mp = small;
        size_t ml = sizeof EDIT_SIG_DOMAIN - 1 + bn;
        if (bn <= 1024) {
            memcpy(small, EDIT_SIG_DOMAIN, sizeof EDIT_SIG_DOMAIN - 1);
            memcpy(small + sizeof EDIT_SIG_DOMAIN - 1, bp, bn);
        } else {
            s_sig_input(bp, bn, &msg);
            mp = msg.data;
        }
        int bad = crypto_sign_verify_detached(e->sig, mp, ml, e->author);
        buf_free(&msg);
        if (bad) {
            rc = bu_fail(cause, BU_ESIG, "edit: signature does not verify");
            goto fail;
        }
    }
    if (!(flags & EDIT_TRUSTED) &&
        (rc = rec_validate(e->kind, it[5], (flags & EDIT_CREATING) != 0, cause)) < 0)
        goto fail;
    e->fields = it[5];
    it[5] = pv_nil(); /* steal the fields map */
    if (id)
        memcpy(e->id, id, 32);
    else
        crypto_generichash(e->id, 32, wire, len, NULL, 0);
    pv_free(&outer);
    pv_free(&body);
    *out = e;
    return 0;
fail:
    edit_free(&e);
    pv_free(&outer);
    pv_free(&body);
    return rc;
}

void edit_free(edit_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    pv_free(&(*self_p)->fields);
    free(*self_p);
    *self_p = NULL;
}

int edit_cmp(const edit_t *a, const edit_t *b)
{
    if (a->hlc != b->hlc)
        return a->hlc < b->hlc ? -1 : 1;
    int c = memcmp(a->author, b->author, 32);
    if (c != 0)
        return c;
    return memcmp(a->id, b->id, 32);
}

void edit_bound_id(const uint8_t author[32], uint64_t hlc, uint8_t out[32])
{
    uint8_t in[sizeof EDIT_ENTITY_DOMAIN - 1 + 32 + 8];
    memcpy(in, EDIT_ENTITY_DOMAIN, sizeof EDIT_ENTITY_DOMAIN - 1);
    memcpy(in + sizeof EDIT_ENTITY_DOMAIN - 1, author, 32);
    be64_store(in + sizeof in - 8, hlc);
    crypto_generichash(out, 32, in, sizeof in, NULL, 0);
}

bool edit_binds(const uint8_t entity[32], const uint8_t author[32], uint64_t hlc)
{
    uint8_t id[32];
    edit_bound_id(author, hlc, id);
    return sodium_memcmp(id, entity, 32) == 0;
}

uint64_t hlc_next(uint64_t last, uint64_t now_ms)
{
    uint64_t wall = now_ms << 16;
    return wall > last ? wall : last + 1;
}

/* Reads a bin header at *p: returns its length or -1. */
static long s_binhdr(const uint8_t *d, size_t len, size_t *p)
{
    if (*p + 2 > len)
        return -1;
    uint8_t t = d[*p];
    size_t n;
    if (t == 0xc4) {
        n = d[*p + 1];
        *p += 2;
    } else if (t == 0xc5) {
        if (*p + 3 > len)
            return -1;
        n = (size_t)d[*p + 1] << 8 | d[*p + 2];
        *p += 3;
    } else {
        return -1;
    }
    return *p + n <= len ? (long)n : -1;
}

int edit_peek(const uint8_t *d, size_t len, edit_head_t *out)
{
    size_t p = 0;
    if (len < 1 || d[p++] != 0x92)
        return BU_EINVAL;
    long blen = s_binhdr(d, len, &p);
    if (blen < 0)
        return BU_EINVAL;
    size_t end = p + (size_t)blen;
    if (end > len || p + 2 > end || d[p] != 0x96 || d[p + 1] != EDIT_VERSION)
        return BU_EINVAL;
    p += 2;
    if (p >= end || (d[p] & 0xe0) != 0xa0)
        return BU_EINVAL;
    size_t kl = d[p++] & 0x1f;
    if (p + kl > end || kl >= 16)
        return BU_EINVAL;
    char kind[16];
    memcpy(kind, d + p, kl);
    kind[kl] = '\0';
    p += kl;
    int k = rec_kind_parse(kind);
    if (k < 0 || strcmp(rec_kind_name(k), kind) != 0)
        return BU_EINVAL;
    out->kind = (rec_kind_t)k;
    if (p + 2 + 32 + 2 + 32 > end || d[p] != 0xc4 || d[p + 1] != 32)
        return BU_EINVAL;
    memcpy(out->entity, d + p + 2, 32);
    p += 34;
    if (d[p] != 0xc4 || d[p + 1] != 32)
        return BU_EINVAL;
    memcpy(out->author, d + p + 2, 32);
    p += 34;
    if (p >= end)
        return BU_EINVAL;
    uint8_t t = d[p++];
    int nb;
    if (t <= 0x7f) {
        out->hlc = t;
        return 0;
    }
    switch (t) {
    case 0xcc: nb = 1; break;
    case 0xcd: nb = 2; break;
    case 0xce: nb = 4; break;
    case 0xcf: nb = 8; break;
    default: return BU_EINVAL;
    }
    if (p + (size_t)nb > end)
        return BU_EINVAL;
    uint64_t x = 0;
    for (int i = 0; i < nb; i++)
        x = x << 8 | d[p + (size_t)i];
    out->hlc = x;
    return 0;
}
