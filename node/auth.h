/*
 * auth.h -- who may make which edit: the authorization rules of
 * docs/trust.md ("Who may edit what"), applied at merge time.
 *
 * auth_check is a merge_check_fn: given an entity as merged so far and the
 * next edit in merge order, it says whether the edit counts. It reads only
 * the membership timeline (members_role_at at the edit's clock), the
 * entity's own merged state and, for needs and offers, the current state of
 * the coalition or place they refer to. Every node holding the same edits
 * therefore reaches the same verdicts, whatever order the edits came in.
 */
#ifndef BUURT_AUTH_H
#define BUURT_AUTH_H

#include "node/members.h"
#include "node/merge.h"

typedef struct {
    const members_t *members; /* NULL: not in a mesh; every edit counts */
    /* current state of a referenced entity, or NULL when unknown */
    const entity_t *(*lookup)(void *lctx, const uint8_t id[32]);
    void *lctx;
    const char *why;          /* set on denial: a one-line reason */
} auth_t;

/* merge_check_fn; ctx is an auth_t. */
bool auth_check(void *ctx, const entity_t *st, const edit_t *e);

#endif
