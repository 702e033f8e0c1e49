/*
 * auth.c -- the authorization table of docs/trust.md, row by row.
 */
#include "node/auth.h"

#include "proto/util.h"

#include <string.h>

/* Place fields an editor (not the creator) may change. */
static const char *const s_status_fields[] = {"status", "status_note", "status_at",
                                              "capacity", "channels", NULL};
/* Need fields a claim, a release or a done may change. */
static const char *const s_claim_fields[] = {"status", "claimed_by", NULL};

static bool s_in(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* True when every field the edit sets is in list. */
static bool s_only(const edit_t *e, const char *const *list)
{
    const pv_t *f = e->fields;
    for (size_t i = 0; i < f->u.m.n; i++)
        if (!s_in(list, f->u.m.keys[i]))
            return false;
    return true;
}

/* True when key is in the id list field `name` of fields (ids are stored
 * as 64 lower-case hex digits). */
static bool s_listed(const pv_t *fields, const char *name, const uint8_t key[32])
{
    const pv_t *l = pv_map_get(fields, name);
    if (l == NULL || l->type != PV_ARR)
        return false;
    char hex[65];
    hex_encode(key, 32, hex);
    for (size_t i = 0; i < l->u.a.n; i++) {
        const pv_t *x = l->u.a.items[i];
        if (x->type == PV_STR && x->u.s.n == 64 && memcmp(x->u.s.p, hex, 64) == 0)
            return true;
    }
    return false;
}

/* The entity an id field refers to, or NULL. */
static const entity_t *s_ref(auth_t *a, const pv_t *id)
{
    uint8_t raw[32];
    if (id == NULL || id->type != PV_STR || a->lookup == NULL ||
        hex_decode(id->u.s.p, raw, 32) < 0)
        return NULL;
    return a->lookup(a->lctx, raw);
}

static bool s_deny(auth_t *a, const char *why)
{
    a->why = why;
    return false;
}

/* Coordinators of a coalition: listed in it and holding the coordinator
 * (or admin) role when they write. */
static bool s_coordinates(const entity_t *coal, const uint8_t author[32], int role)
{
    return coal && coal->kind == REC_COALITION && coal->edits > 0 &&
           (memcmp(coal->creator, author, 32) == 0 ||
            (role >= ROLE_COORDINATOR && s_listed(coal->fields, "coordinators", author)));
}

/* May author act for the place or coalition id (an offer's provider)? */
static bool s_speaks_for(auth_t *a, const pv_t *id, const uint8_t author[32], int role)
{
    const entity_t *p = s_ref(a, id);
    if (p == NULL || p->edits == 0)
        return false;
    if (p->kind == REC_COALITION)
        return s_coordinates(p, author, role);
    if (p->kind == REC_PLACE)
        return memcmp(p->creator, author, 32) == 0 ||
               s_listed(p->fields, "editors", author);
    return false;
}

/* May author act for what a need is claimed by: the offer's creator or
 * the organisation that provides it, or the place or coalition itself? */
static bool s_acts_for_claim(auth_t *a, const entity_t *need, const uint8_t author[32], int role)
{
    const pv_t *by = pv_map_get(need->fields, "claimed_by");
    const entity_t *x = s_ref(a, by);
    if (x == NULL || x->edits == 0)
        return false;
    if (x->kind == REC_OFFER)
        return memcmp(x->creator, author, 32) == 0 ||
               s_speaks_for(a, pv_map_get(x->fields, "provider"), author, role);
    return s_speaks_for(a, by, author, role);
}

bool auth_check(void *ctx, const entity_t *st, const edit_t *e)
{
    auth_t *a = ctx;
    a->why = NULL;
    if (a->members == NULL)
        return true; /* a node on its own: only its own edits exist */
    const members_t *m = a->members;
    int role = members_role_at(m, e->author, e->hlc);
    if (role < 0)
        return s_deny(a, "its author was not a member of the mesh when it was written");

    if (e->kind == REC_MEMBER) {
        if (role != ROLE_ADMIN)
            return s_deny(a, "only an admin may admit, revoke or change a member");
        if (memcmp(e->entity, m->founder, 32) == 0 && memcmp(e->author, m->founder, 32) != 0)
            return s_deny(a, "only the founder may change the founder's certificate");
        return true;
    }
    if (e->kind == REC_MESH) {
        if (role != ROLE_ADMIN)
            return s_deny(a, "only an admin may change the mesh's settings");
        return true;
    }
    bool creating = st->edits == 0;
    if (creating) {
        if (e->kind == REC_OFFER && role != ROLE_ADMIN &&
            !s_speaks_for(a, pv_map_get(e->fields, "provider"), e->author, role))
            return s_deny(a, "an offer may be made only for a place or coalition its author edits");
        return true;
    }
    if (role == ROLE_ADMIN || memcmp(e->author, st->creator, 32) == 0)
        return true;

    switch (e->kind) {
    case REC_PLACE:
        if (s_listed(st->fields, "editors", e->author) && s_only(e, s_status_fields))
            return true;
        return s_deny(a, "only the place's creator or an admin may change it; its editors may update its status");
    case REC_COALITION:
        if (s_coordinates(st, e->author, role))
            return true;
        return s_deny(a, "only the coalition's creator, its coordinators or an admin may change it");
    case REC_NEED: {
        if (s_coordinates(s_ref(a, pv_map_get(st->fields, "coalition")), e->author, role))
            return true;
        const char *now = pv_get_str(st->fields, "status");
        const char *to = pv_get_str(e->fields, "status");
        if (to && s_only(e, s_claim_fields)) {
            bool open = now == NULL || strcmp(now, "open") == 0;
            if (strcmp(to, "claimed") == 0 && open)
                return true; /* any member may claim an open need */
            bool finish = strcmp(to, "done") == 0 || strcmp(to, "open") == 0;
            if (st->claimed && finish && memcmp(st->claimer, e->author, 32) == 0)
                return true; /* the claimer finishes or releases it */
            if (st->claimed && finish && s_acts_for_claim(a, st, e->author, role))
                return true; /* so does the organisation it was claimed for (hand-off) */
            if (strcmp(to, "claimed") == 0 && now && strcmp(now, "claimed") == 0)
                return s_deny(a, "this need is already claimed; the claimer or the organisation it is claimed for may release it");
            if (strcmp(to, "claimed") == 0)
                return s_deny(a, "this need is already done or cancelled; its creator, a coordinator of its coalition or an admin may reopen it");
        }
        return s_deny(a, "only the need's creator, the coordinators of its coalition or an admin may change it; other members may claim it while it is open, and the claimer or the organisation it is claimed for may mark it done or release it");
    }
    case REC_OFFER:
        if (s_speaks_for(a, pv_map_get(st->fields, "provider"), e->author, role))
            return true;
        return s_deny(a, "only the offer's creator, its provider or an admin may change it");
    default:
        return s_deny(a, "only its creator or an admin may change it");
    }
}
