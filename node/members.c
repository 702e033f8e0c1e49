/*
 * members.c -- membership from certificates (see members.h).
 */
#include "node/members.h"
#include "node/key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_cmp(const void *a, const void *b)
{
    return edit_cmp(*(edit_t *const *)a, *(edit_t *const *)b);
}

static member_t *s_get(members_t *m, const uint8_t key[32], bool create)
{
    for (size_t i = 0; i < m->n; i++)
        if (memcmp(m->v[i].key, key, 32) == 0)
            return &m->v[i];
    if (!create)
        return NULL;
    m->v = xrealloc(m->v, (m->n + 1) * sizeof *m->v);
    member_t *x = &m->v[m->n++];
    memset(x, 0, sizeof *x);
    memcpy(x->key, key, 32);
    key_curve_pk(key, x->curve);
    return x;
}

/* Applies certificates in edit order. judge NULL: an author's role is
 * read from the timeline built so far; otherwise from judge, the final
 * timeline of a previous pass (see members_load). */
static void s_apply(members_t *out, const uint8_t founder[32], edit_t **all, size_t n,
                    const members_t *judge)
{
    memset(out, 0, sizeof *out);
    memcpy(out->founder, founder, 32);
    member_t *f = s_get(out, founder, true);
    f->role = ROLE_ADMIN;
    memcpy(f->admitted_by, founder, 32);
    for (size_t i = 0; i < n; i++) {
        const edit_t *e = all[i];
        if (e->kind != REC_MEMBER)
            continue;
        bool by_founder = memcmp(e->author, founder, 32) == 0;
        if (!by_founder && members_role_at(judge ? judge : out, e->author, e->hlc) != ROLE_ADMIN)
            continue;
        if (memcmp(e->entity, founder, 32) == 0) {
            /* nobody else edits the founder's certificate; it has no steps */
            const char *mn = pv_get_str(e->fields, "mesh_name");
            if (by_founder && mn)
                snprintf(out->mesh_name, sizeof out->mesh_name, "%s", mn);
            if (by_founder && pv_get_str(e->fields, "name"))
                snprintf(f->name, sizeof f->name, "%s", pv_get_str(e->fields, "name"));
            continue;
        }
        member_t *m = s_get(out, e->entity, true);
        f = s_get(out, founder, false); /* s_get may have moved the array */
        const char *name = pv_get_str(e->fields, "name");
        if (name)
            snprintf(m->name, sizeof m->name, "%s", name);
        int role = members_role_parse(pv_get_str(e->fields, "role"));
        bool changed = false;
        if (role >= 0) {
            if (!m->in) {
                m->in = true;
                memcpy(m->admitted_by, e->author, 32);
                m->admitted = e->hlc;
            }
            changed = changed || m->role != (role_t)role || m->nsteps == 0;
            m->role = (role_t)role;
        }
        uint64_t at = e->hlc;
        bool cut = false;
        uint64_t known = 0;
        const pv_t *rv = pv_map_get(e->fields, "revoked");
        if (rv && rv->type == PV_BOOL && rv->u.b != m->revoked) {
            m->revoked = rv->u.b;
            changed = true;
            if (m->revoked) {
                memcpy(m->revoked_by, e->author, 32);
                const pv_t *ra = pv_map_get(e->fields, "revoked_at");
                if (ra && ra->type == PV_INT && ra->u.i >= 0 &&
                    ((uint64_t)ra->u.i << 16) < at)
                    at = (uint64_t)ra->u.i << 16;
                /* a backdated revocation overrides what came after it */
                while (m->nsteps > 0 && m->steps[m->nsteps - 1].hlc >= at)
                    m->nsteps--;
                m->revoked_at = at;
                const pv_t *ku = pv_map_get(e->fields, "known_until");
                if (ku && ku->type == PV_INT && ku->u.i >= 0 && (uint64_t)ku->u.i < at) {
                    cut = true;
                    known = (uint64_t)ku->u.i;
                }
                const char *why = pv_get_str(e->fields, "reason");
                snprintf(m->reason, sizeof m->reason, "%s", why ? why : "");
            } else {
                m->revoked_at = 0;
                m->reason[0] = '\0';
            }
        }
        if (changed && m->in) {
            m->steps = xrealloc(m->steps, (m->nsteps + 1) * sizeof *m->steps);
            m->steps[m->nsteps++] = (member_step_t){at, m->role, m->revoked, cut, known};
        }
    }
    /* a key that was never admitted is no member: not active, not
     * "revoked", unknown to ZAP (its name and revocation edits wait for an
     * admission) */
    size_t w = 0;
    for (size_t i = 0; i < out->n; i++) {
        member_t *x = &out->v[i];
        if (!x->in && memcmp(x->key, founder, 32) != 0) {
            free(x->steps);
            continue;
        }
        out->v[w++] = *x;
    }
    out->n = w;
}

/* Same members with the same timelines? */
static bool s_same(const members_t *a, const members_t *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const member_t *x = &a->v[i], *y = members_find(b, x->key);
        if (!y || x->nsteps != y->nsteps)
            return false;
        /* field by field: the struct has padding that is never set */
        for (size_t k = 0; k < x->nsteps; k++)
            if (x->steps[k].hlc != y->steps[k].hlc || x->steps[k].role != y->steps[k].role ||
                x->steps[k].revoked != y->steps[k].revoked || x->steps[k].cut != y->steps[k].cut ||
                x->steps[k].known_until != y->steps[k].known_until)
                return false;
    }
    return true;
}

void members_build(edit_t **all, size_t n, const uint8_t founder[32], members_t *out)
{
    if (n)
        qsort(all, n, sizeof *all, s_cmp);
    /*
     * A revocation can reach back before certificates its target signed
     * (revoked_at, or the same clock ordered by author). The first pass
     * judges each certificate by the timeline so far; later passes judge
     * by the previous pass's final timeline, until nothing changes, so a
     * certificate counts only if its author was an admin in the end
     * result. Capped: pathological histories keep the last pass.
     */
    s_apply(out, founder, all, n, NULL);
    for (int pass = 0; pass < 8; pass++) {
        members_t next;
        s_apply(&next, founder, all, n, out);
        bool same = s_same(out, &next);
        members_clear(out);
        *out = next;
        if (same)
            break;
    }
}

void members_clear(members_t *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].steps);
    free(m->v);
    memset(m, 0, sizeof *m);
}

const member_t *members_find(const members_t *m, const uint8_t key[32])
{
    for (size_t i = 0; i < m->n; i++)
        if (memcmp(m->v[i].key, key, 32) == 0)
            return &m->v[i];
    return NULL;
}

const member_t *members_find_curve(const members_t *m, const uint8_t curve[32])
{
    for (size_t i = 0; i < m->n; i++)
        if (memcmp(m->v[i].curve, curve, 32) == 0)
            return &m->v[i];
    return NULL;
}

bool members_active(const members_t *m, const uint8_t key[32])
{
    const member_t *x = members_find(m, key);
    return x && !x->revoked;
}

int members_role_at(const members_t *m, const uint8_t key[32], uint64_t hlc)
{
    if (memcmp(key, m->founder, 32) == 0)
        return ROLE_ADMIN;
    const member_t *x = members_find(m, key);
    if (x == NULL)
        return -1;
    /* the last step at or before hlc decides */
    const member_step_t *st = NULL;
    for (size_t i = 0; i < x->nsteps && x->steps[i].hlc <= hlc; i++)
        st = &x->steps[i];
    if (st == NULL || st->revoked)
        return -1;
    /* a revocation that names the newest edit its admin held denies what
     * the member dated between that edit and the revocation */
    for (size_t i = 0; i < x->nsteps; i++)
        if (x->steps[i].cut && hlc > x->steps[i].known_until && hlc < x->steps[i].hlc)
            return -1;
    return (int)st->role;
}

int members_role_parse(const char *s)
{
    if (s == NULL)
        return -1;
    if (strcmp(s, "admin") == 0)
        return ROLE_ADMIN;
    if (strcmp(s, "coordinator") == 0)
        return ROLE_COORDINATOR;
    if (strcmp(s, "member") == 0)
        return ROLE_MEMBER;
    return -1;
}

const char *members_role_name(role_t r)
{
    return r == ROLE_ADMIN ? "admin" : r == ROLE_COORDINATOR ? "coordinator" : "member";
}
