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

void members_load(repo_t *r, const uint8_t founder[32], members_t *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->founder, founder, 32);
    member_t *f = s_get(out, founder, true);
    f->role = ROLE_ADMIN;
    memcpy(f->admitted_by, founder, 32);

    edit_t **all = NULL;
    size_t n = 0, cap = 0;
    size_t total = repo_entity_count(r);
    for (size_t i = 0; i < total; i++) {
        /* the index knows each entity's kind: no need to merge them all */
        if (repo_entity_kind(r, i) != REC_MEMBER)
            continue;
        edit_t **h = NULL;
        uint8_t id[32];
        memcpy(id, repo_entity_id(r, i), 32);
        size_t k = repo_history(r, id, &h);
        if (n + k > cap) {
            cap = (n + k) * 2;
            all = xrealloc(all, cap * sizeof *all);
        }
        memcpy(all + n, h, k * sizeof *h);
        n += k;
        free(h);
    }
    qsort(all, n, sizeof *all, s_cmp);
    for (size_t i = 0; i < n; i++) {
        const edit_t *e = all[i];
        if (e->kind != REC_MEMBER)
            continue;
        const member_t *author = s_get(out, e->author, false);
        bool ok = memcmp(e->author, founder, 32) == 0 ||
                  (author && author->role == ROLE_ADMIN && !author->revoked);
        if (!ok)
            continue;
        if (memcmp(e->entity, founder, 32) == 0 && memcmp(e->author, founder, 32) != 0)
            continue; /* nobody else edits the founder's certificate */
        member_t *m = s_get(out, e->entity, true);
        const char *name = pv_get_str(e->fields, "name");
        if (name)
            snprintf(m->name, sizeof m->name, "%s", name);
        const char *role = pv_get_str(e->fields, "role");
        if (role) {
            m->role = !strcmp(role, "admin") ? ROLE_ADMIN
                      : !strcmp(role, "coordinator") ? ROLE_COORDINATOR
                                                     : ROLE_MEMBER;
            if (m->admitted == 0) {
                memcpy(m->admitted_by, e->author, 32);
                m->admitted = e->hlc;
            }
        }
        const pv_t *rv = pv_map_get(e->fields, "revoked");
        if (rv && rv->type == PV_BOOL && memcmp(e->entity, founder, 32) != 0)
            m->revoked = rv->u.b;
        const char *mn = pv_get_str(e->fields, "mesh_name");
        if (mn && memcmp(e->entity, founder, 32) == 0)
            snprintf(out->mesh_name, sizeof out->mesh_name, "%s", mn);
    }
    for (size_t i = 0; i < n; i++)
        edit_free(&all[i]);
    free(all);
}

void members_clear(members_t *m)
{
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
