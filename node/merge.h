/*
 * merge.h -- the current state of one entity from its signed edits.
 *
 * State is a per-field last-writer-wins merge: edits are applied in the
 * total order of edit_cmp (hybrid logical clock, then author, then edit id),
 * each setting the fields it carries, a nil value removing the field. The
 * kind of an entity is the kind of its first edit in that order; later
 * edits of another kind have no effect (they are counted as ignored). The
 * result depends only on the set of edits, never on their arrival order, so
 * every node computes byte-identical state (merge_encode) from the same set.
 */
#ifndef BUURT_MERGE_H
#define BUURT_MERGE_H

#include "proto/edit.h"

typedef struct {
    rec_kind_t kind;
    uint8_t entity[32];
    uint8_t creator[32]; /* author of the creating edit */
    uint64_t created;    /* hlc of the creating edit */
    bool bound;          /* the id is bound to its creating edit (edit_binds) */
    uint64_t updated;    /* hlc of the last applied edit */
    uint8_t updated_by[32];
    size_t edits;        /* edits applied */
    size_t ignored;      /* edits that had no effect (wrong kind) */
    size_t denied;       /* edits their author was not allowed to make */
    uint8_t claimer[32]; /* needs: author of the claim now in force */
    bool claimed;
    pv_t *fields;        /* owned: merged fields, unset ones absent */
} entity_t;

/*
 * Merges n (>= 1) edits of the same entity, given in any order; the array
 * is sorted in place into edit_cmp order. Edits of another entity id than
 * edits[0] are a programmer error. Fills *out (call entity_clear after).
 */
void merge_entity(edit_t **edits, size_t n, entity_t *out);

/* What became of each edit in a merge. */
enum { MERGE_APPLIED = 0, MERGE_WRONG_KIND = 1, MERGE_DENIED = 2 };

/*
 * Decides whether edit e may apply to the entity as merged so far (st has
 * edits == 0 before the first applied edit). Must depend only on its
 * arguments and on state every node computes the same way.
 */
typedef bool merge_check_fn(void *ctx, const entity_t *st, const edit_t *e);

/*
 * merge_entity with an authorization check: edits the check refuses have
 * no effect and are counted in denied. The entity's kind, creator and
 * created come from its creating edit: for an id bound to an edit
 * (edit_binds: the id was made from that edit's author and clock) that
 * edit, every edit ordered before it being denied, and nothing counting
 * when it is denied; for any other id (members, mesh settings, records
 * made before ids were bound) the first allowed edit. verdicts (n entries, may be
 * NULL) receives MERGE_* per edit, in the sorted order.
 */
void merge_entity_ex(edit_t **edits, size_t n, merge_check_fn *check, void *ctx,
                     uint8_t *verdicts, entity_t *out);

/* As merge_entity_ex without verdicts, moving the field values of the
 * applied edits out of them instead of copying (those edits' fields are
 * left empty or nil; denied and wrong-kind edits are untouched), for a
 * caller that frees the edits next. */
void merge_entity_take(edit_t **edits, size_t n, merge_check_fn *check, void *ctx, entity_t *out);

/* Frees the fields of an entity; safe on a zeroed or cleared entity. */
void entity_clear(entity_t *e);

/* True when the entity carries deleted = true, or when no edit of it
 * counts (every one was denied): such an entity is hidden like a deleted
 * one. */
bool entity_deleted(const entity_t *e);

/* Canonical bytes of an entity's state, for comparing nodes. */
void merge_encode(const entity_t *e, buf_t *out);

#endif
