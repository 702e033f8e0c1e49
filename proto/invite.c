/*
 * invite.c -- invite codes, derivations and JOIN/JOINED (see invite.h).
 */
#include "proto/invite.h"
#include "proto/err.h"
#include "proto/msg.h"
#include "proto/value.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

static const char s_alpha[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void invite_code_format(const invite_code_t *c, char out[INVITE_CODE_LEN])
{
    uint8_t raw[18];
    memcpy(raw, c->mesh_prefix, 8);
    memcpy(raw + 8, c->secret, 10);
    size_t o = 0;
    for (int i = 0; i < 29; i++) {
        /* 5 bits at bit offset 5i, most significant first; zero padded */
        int bit = 5 * i, v = 0;
        for (int b = 0; b < 5; b++, bit++) {
            int byte = bit / 8;
            int x = byte < 18 ? (raw[byte] >> (7 - bit % 8)) & 1 : 0;
            v = (v << 1) | x;
        }
        if (i > 0 && i % 5 == 0)
            out[o++] = '-';
        out[o++] = s_alpha[v];
    }
    out[o] = '\0';
}

static int s_val(char ch)
{
    ch = (char)toupper((unsigned char)ch);
    if (ch == 'O')
        ch = '0';
    if (ch == 'I' || ch == 'L')
        ch = '1';
    const char *p = ch ? strchr(s_alpha, ch) : NULL;
    return p ? (int)(p - s_alpha) : -1;
}

int invite_code_parse(const char *text, invite_code_t *out)
{
    uint8_t raw[19] = {0};
    int n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        int v = s_val(*p);
        if (v < 0 || n >= 29)
            return BU_EINVAL;
        for (int b = 4; b >= 0; b--) {
            int bit = 5 * n + (4 - b);
            if ((v >> b) & 1)
                raw[bit / 8] |= (uint8_t)(1 << (7 - bit % 8));
        }
        n++;
    }
    if (n != 29 || (raw[18] & 0xff) != 0)
        return BU_EINVAL; /* wrong length, or padding bits set */
    memcpy(out->mesh_prefix, raw, 8);
    memcpy(out->secret, raw + 8, 10);
    return 0;
}

static void s_hash(const char *label, const uint8_t *secret, uint8_t *out, size_t outlen)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, outlen);
    crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
    crypto_generichash_update(&st, secret, INVITE_SECRET_LEN);
    crypto_generichash_final(&st, out, outlen);
}

void invite_derive(const uint8_t secret[INVITE_SECRET_LEN], uint8_t id[16], uint8_t key[32])
{
    s_hash("buurt-invite-id-v1", secret, id, 16);
    s_hash("buurt-invite-key-v1", secret, key, 32);
}

void invite_proof(const uint8_t key[32], const uint8_t node[32], const uint8_t client_curve[32],
                  const uint8_t server_curve[32], uint8_t out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, 32, 32);
    crypto_generichash_update(&st, (const uint8_t *)"buurt-join-v1", 13);
    crypto_generichash_update(&st, node, 32);
    crypto_generichash_update(&st, client_curve, 32);
    crypto_generichash_update(&st, server_curve, 32);
    crypto_generichash_final(&st, out, 32);
}

void invite_join_encode(const join_msg_t *m, buf_t *out)
{
    pv_t *a = pv_arr();
    pv_arr_push(a, pv_int(MSG_JOIN));
    pv_arr_push(a, pv_int(PROTO_VERSION));
    pv_arr_push(a, pv_bin(m->mesh_prefix, 8));
    pv_arr_push(a, pv_bin(m->id, 16));
    pv_arr_push(a, pv_bin(m->node, 32));
    pv_arr_push(a, pv_str(m->name));
    pv_arr_push(a, pv_bin(m->proof, 32));
    pv_encode(a, out);
    pv_free(&a);
}

static bool s_bin(const pv_t *v, size_t n)
{
    return v->type == PV_BIN && v->u.s.n == n;
}

int invite_join_decode(const uint8_t *data, size_t len, join_msg_t *out)
{
    pv_t *a = NULL;
    memset(out, 0, sizeof *out);
    if (len > 4096 || pv_decode(data, len, &a) < 0)
        return BU_EINVAL;
    int rc = BU_EINVAL;
    pv_t **it = a->type == PV_ARR ? a->u.a.items : NULL;
    if (it && a->u.a.n == 7 && it[0]->type == PV_INT && it[0]->u.i == MSG_JOIN &&
        it[1]->type == PV_INT && it[1]->u.i == PROTO_VERSION && s_bin(it[2], 8) &&
        s_bin(it[3], 16) && s_bin(it[4], 32) && it[5]->type == PV_STR && it[5]->u.s.n >= 1 &&
        it[5]->u.s.n <= 120 && s_bin(it[6], 32)) {
        memcpy(out->mesh_prefix, it[2]->u.s.p, 8);
        memcpy(out->id, it[3]->u.s.p, 16);
        memcpy(out->node, it[4]->u.s.p, 32);
        memcpy(out->name, it[5]->u.s.p, it[5]->u.s.n);
        memcpy(out->proof, it[6]->u.s.p, 32);
        rc = 0;
    }
    pv_free(&a);
    return rc;
}

void invite_joined_encode(int status, const uint8_t mesh[32], const char *mesh_name,
                          const uint8_t *const *certs, const size_t *lens, size_t n,
                          const char *text, buf_t *out)
{
    pv_t *a = pv_arr();
    pv_arr_push(a, pv_int(MSG_JOINED));
    pv_arr_push(a, pv_int(status));
    pv_arr_push(a, pv_bin(mesh, 32));
    pv_arr_push(a, pv_str(mesh_name ? mesh_name : ""));
    pv_t *c = pv_arr();
    for (size_t i = 0; i < n; i++)
        pv_arr_push(c, pv_bin(certs[i], lens[i]));
    pv_arr_push(a, c);
    pv_arr_push(a, pv_str(text ? text : ""));
    pv_encode(a, out);
    pv_free(&a);
}

int invite_joined_decode(const uint8_t *data, size_t len, joined_msg_t *out)
{
    pv_t *a = NULL;
    memset(out, 0, sizeof *out);
    if (pv_decode(data, len, &a) < 0)
        return BU_EINVAL;
    int rc = BU_EINVAL;
    pv_t **it = a->type == PV_ARR ? a->u.a.items : NULL;
    if (it && a->u.a.n == 6 && it[0]->type == PV_INT && it[0]->u.i == MSG_JOINED &&
        it[1]->type == PV_INT && it[1]->u.i >= INT_MIN && it[1]->u.i <= INT_MAX &&
        s_bin(it[2], 32) && it[3]->type == PV_STR &&
        it[3]->u.s.n <= 120 && it[4]->type == PV_ARR && it[4]->u.a.n <= MSG_MAX_EDITS &&
        it[5]->type == PV_STR && it[5]->u.s.n <= 200) {
        out->status = (int)it[1]->u.i;
        memcpy(out->mesh, it[2]->u.s.p, 32);
        memcpy(out->mesh_name, it[3]->u.s.p, it[3]->u.s.n);
        memcpy(out->text, it[5]->u.s.p, it[5]->u.s.n);
        rc = 0;
        out->certs = xcalloc(it[4]->u.a.n ? it[4]->u.a.n : 1, sizeof *out->certs);
        for (size_t i = 0; i < it[4]->u.a.n; i++) {
            const pv_t *e = it[4]->u.a.items[i];
            if (e->type != PV_BIN) {
                rc = BU_EINVAL;
                break;
            }
            buf_append(&out->certs[out->ncerts++], e->u.s.p, e->u.s.n);
        }
        if (rc < 0)
            invite_joined_free(out);
    }
    pv_free(&a);
    return rc;
}

void invite_joined_free(joined_msg_t *m)
{
    for (size_t i = 0; i < m->ncerts; i++)
        buf_free(&m->certs[i]);
    free(m->certs);
    m->certs = NULL;
    m->ncerts = 0;
}
