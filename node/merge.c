/*
 * merge.c -- per-field last-writer-wins over an entity's edits.
 */
#include "node/merge.h"

#include <stdlib.h>
#include <string.h>

static int s_cmp(const void *a, const void *b)
{
    return edit_cmp(*(edit_t *const *)a, *(edit_t *const *)b);
}

void merge_entity(edit_t **edits, size_t n, entity_t *out)
{
    merge_entity_ex(edits, n, NULL, NULL, NULL, out);
}

static bool s_is_claim(const edit_t *e)
{
    const char *st = pv_get_str(e->fields, "status");
    return st && strcmp(st, "claimed") == 0;
}

/* take: the field values are moved out of the edits instead of copied
 * (the caller frees the edits next and never reads their fields again). */
static void s_merge(edit_t **edits, size_t n, merge_check_fn *check, void *ctx,
                    uint8_t *verdicts, entity_t *out, bool take)
{
    memset(out, 0, sizeof *out);
    qsort(edits, n, sizeof *edits, s_cmp);
    /* the creating edit of a bound id; usually the first, so one hash */
    size_t bind = n;
    for (size_t i = 0; i < n && bind == n; i++)
        if (edits[i]->kind != REC_MEMBER && edits[i]->kind != REC_MESH &&
            edit_binds(edits[i]->entity, edits[i]->author, edits[i]->hlc))
            bind = i;
    const edit_t *first = edits[bind < n ? bind : 0];
    out->kind = first->kind;
    out->bound = bind < n;
    memcpy(out->entity, first->entity, 32);
    memcpy(out->creator, first->author, 32);
    out->created = first->hlc;
    out->fields = pv_map();
    for (size_t i = 0; i < n; i++) {
        const edit_t *e = edits[i];
        uint8_t v = MERGE_APPLIED;
        if (out->bound && (i < bind || out->edits == 0) && i != bind) {
            /* before its creation, or after a creation that did not count */
            v = MERGE_DENIED;
            out->denied++;
        } else if (out->edits > 0 && e->kind != out->kind) {
            v = MERGE_WRONG_KIND;
            out->ignored++;
        } else if (check && !check(ctx, out, e)) {
            v = MERGE_DENIED;
            out->denied++;
        }
        if (verdicts)
            verdicts[i] = v;
        if (v != MERGE_APPLIED)
            continue;
        if (out->edits == 0) {
            out->kind = e->kind;
            memcpy(out->creator, e->author, 32);
            out->created = e->hlc;
        }
        pv_t *f = e->fields;
        if (e->kind == REC_NEED && pv_map_get(f, "status")) {
            out->claimed = s_is_claim(e);
            if (out->claimed)
                memcpy(out->claimer, e->author, 32);
        }
        bool whole = take && out->fields->u.m.n == 0;
        for (size_t k = 0; whole && k < f->u.m.n; k++)
            whole = f->u.m.vals[k]->type != PV_NIL;
        if (whole) {
            /* the usual case, a record with one edit: its map as it is */
            pv_free(&out->fields);
            out->fields = f;
            edits[i]->fields = pv_map();
        } else {
            for (size_t k = 0; k < f->u.m.n; k++) {
                if (f->u.m.vals[k]->type == PV_NIL) {
                    pv_map_del(out->fields, f->u.m.keys[k]);
                } else if (take) {
                    pv_map_set(out->fields, f->u.m.keys[k], f->u.m.vals[k]);
                    f->u.m.vals[k] = pv_nil();
                } else {
                    pv_map_set(out->fields, f->u.m.keys[k], pv_dup(f->u.m.vals[k]));
                }
            }
        }
        out->updated = e->hlc;
        memcpy(out->updated_by, e->author, 32);
        out->edits++;
    }
}

void merge_entity_ex(edit_t **edits, size_t n, merge_check_fn *check, void *ctx,
                     uint8_t *verdicts, entity_t *out)
{
    s_merge(edits, n, check, ctx, verdicts, out, false);
}

void merge_entity_take(edit_t **edits, size_t n, merge_check_fn *check, void *ctx, entity_t *out)
{
    s_merge(edits, n, check, ctx, NULL, out, true);
}

void entity_clear(entity_t *e)
{
    pv_free(&e->fields);
}

bool entity_deleted(const entity_t *e)
{
    return e->edits == 0 || pv_get_bool(e->fields, "deleted", false);
}

void merge_encode(const entity_t *e, buf_t *out)
{
    pv_t *m = pv_map();
    pv_map_set(m, "kind", pv_str(rec_kind_name(e->kind)));
    pv_map_set(m, "entity", pv_bin(e->entity, 32));
    pv_map_set(m, "creator", pv_bin(e->creator, 32));
    pv_map_set(m, "created", pv_int((int64_t)e->created));
    pv_map_set(m, "updated", pv_int((int64_t)e->updated));
    pv_map_set(m, "updated_by", pv_bin(e->updated_by, 32));
    pv_map_set(m, "edits", pv_int((int64_t)e->edits));
    pv_map_set(m, "fields", pv_dup(e->fields));
    pv_encode(m, out);
    pv_free(&m);
}
