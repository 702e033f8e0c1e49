/*
 * guest.c -- answering JOIN from guests (see guest.h).
 */
#include "node/guest.h"
#include "node/invites.h"
#include "node/key.h"
#include "node/members.h"
#include "proto/invite.h"
#include "proto/msg.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_log(const guest_env_t *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_log(const guest_env_t *env, const char *fmt, ...)
{
    if (!env->log)
        return;
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    env->log(env->ctx, line);
}

/* The certificates and mesh settings of the store: the joiner's chain of trust. */
typedef struct {
    buf_t raw;
    size_t *offs, *lens, n, cap;
} certs_t;

static int s_cert_add(void *ctx, size_t i, const uint8_t *rec, size_t len)
{
    (void)i;
    certs_t *cs = ctx;
    edit_head_t h;
    if (edit_peek(rec, len, &h) < 0 || (h.kind != REC_MEMBER && h.kind != REC_MESH))
        return 0;
    if (cs->n == MSG_MAX_EDITS)
        return 1;
    if (cs->n == cs->cap) {
        cs->cap = cs->cap ? cs->cap * 2 : 16;
        cs->offs = xrealloc(cs->offs, cs->cap * sizeof *cs->offs);
        cs->lens = xrealloc(cs->lens, cs->cap * sizeof *cs->lens);
    }
    cs->offs[cs->n] = cs->raw.len;
    cs->lens[cs->n++] = len;
    buf_append(&cs->raw, rec, len);
    return 0;
}

static int s_joined(const guest_env_t *env, int status, const char *text, buf_t *reply)
{
    certs_t cs = {0};
    const uint8_t **certs = NULL;
    size_t k = 0;
    if (status == JOIN_OK) {
        char *cause = NULL;
        if (repo_scan(env->repo, s_cert_add, &cs, &cause) < 0) {
            s_log(env, "%s", cause);
            free(cause);
        }
        k = cs.n;
        certs = xcalloc(k ? k : 1, sizeof *certs);
        for (size_t i = 0; i < k; i++)
            certs[i] = cs.raw.data + cs.offs[i];
    }
    /* the mesh's id and name go only to a joiner that proved the code:
     * any key may send JOIN while an invite is open */
    static const uint8_t none[32];
    invite_joined_encode(status, status == JOIN_OK ? env->mesh : none,
                         status == JOIN_OK ? env->mesh_name : "", certs, cs.lens, k, text, reply);
    free(certs);
    free(cs.lens);
    free(cs.offs);
    buf_free(&cs.raw);
    return 1;
}

int guest_verdict(const guest_env_t *env, const uint8_t guest_curve[32], const join_msg_t *j,
                  const invite_t *inv, const char **text)
{
    uint8_t want_curve[32], proof[32];
    int st = JOIN_OK;
    *text = "admitted";
    if (memcmp(j->mesh_prefix, env->mesh, INVITE_PREFIX_LEN) != 0) {
        st = JOIN_WRONG_MESH;
        *text = "this node belongs to another mesh";
    } else if (!inv || memcmp(inv->id, j->id, 16) != 0) {
        st = JOIN_UNKNOWN;
        *text = "this node did not make that invite";
    } else if (key_curve_pk(j->node, want_curve) < 0 || memcmp(want_curve, guest_curve, 32) != 0) {
        st = JOIN_BAD_PROOF;
        *text = "the node id does not match the connection's key";
    } else {
        invite_proof(inv->key, j->node, guest_curve, env->curve_pk, proof);
        if (sodium_memcmp(proof, j->proof, 32) != 0) {
            st = JOIN_BAD_PROOF;
            *text = "wrong invite code";
        } else if (inv->used) {
            st = JOIN_USED;
            *text = "this invite code was already used";
        } else if (inv->expires <= env->now_ms) {
            st = JOIN_EXPIRED;
            *text = "this invite code has expired";
        }
    }
    return st;
}

int guest_answer(const guest_env_t *env, const uint8_t guest_curve[32], const uint8_t *frame,
                 size_t len, buf_t *reply)
{
    join_msg_t j;
    if (invite_join_decode(frame, len, &j) < 0)
        return 0; /* guests may say nothing else */
    const char *home = repo_home(env->repo);
    char hex[65];
    hex_encode(j.node, 32, hex);
    invite_t inv;
    bool found = invites_find(home, j.id, &inv);
    const char *text;
    int st = guest_verdict(env, guest_curve, &j, found ? &inv : NULL, &text);
    if (st != JOIN_OK)
        return s_joined(env, st, text, reply);
    char *cause = NULL;
    /* used first: a crash after this admits nobody twice */
    if (invites_mark_used(home, j.id, &cause) < 0) {
        s_log(env, "invite: %s", cause);
        free(cause);
        return s_joined(env, JOIN_REFUSED, "the inviting node cannot record the invite as used", reply);
    }
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str(j.name));
    pv_map_set(f, "role", pv_str(inv.role));
    pv_map_set(f, "revoked", pv_bool(false));
    int rc = repo_edit(env->repo, REC_MEMBER, j.node, f, NULL, &cause);
    pv_free(&f);
    if (rc < 0) {
        s_log(env, "invite: cannot admit %.10s: %s", hex, cause ? cause : "?");
        rc = s_joined(env, JOIN_REFUSED, cause ? cause : "the inviting node cannot admit members", reply);
        free(cause);
        return rc;
    }
    s_log(env, "invite: admitted %.10s (%s) as %s", hex, j.name, inv.role);
    return s_joined(env, JOIN_OK, "admitted", reply);
}
