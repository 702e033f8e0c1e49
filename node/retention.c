/*
 * retention.c -- which needs retention removes (see retention.h).
 */
#include "node/retention.h"
#include "proto/util.h"

#include <stdlib.h>
#include <string.h>

uint64_t retention_ms(repo_t *r)
{
    int64_t days = RETENTION_DEFAULT_DAYS;
    const uint8_t *mesh = repo_mesh(r);
    if (mesh) {
        uint8_t id[32];
        rec_mesh_settings_id(mesh, id);
        const entity_t *e = repo_entity(r, id);
        if (e && e->kind == REC_MESH && e->edits > 0)
            days = pv_get_int(e->fields, "retention_days", days);
    }
    return (uint64_t)days * 86400000u;
}

/* When the need's retention clock started, or 0 when it has not. */
static uint64_t s_retired_at(const entity_t *e)
{
    const char *st = pv_get_str(e->fields, "status");
    if (pv_get_bool(e->fields, "deleted", false) ||
        (st && (strcmp(st, "done") == 0 || strcmp(st, "cancelled") == 0)))
        return hlc_ms(e->updated);
    int64_t exp = pv_get_int(e->fields, "expires", 0);
    return exp > 0 ? (uint64_t)exp : 0;
}

size_t retention_purgeable(repo_t *r, uint64_t now_ms, size_t **out)
{
    uint64_t today = now_ms - now_ms % 86400000u;
    uint64_t keep = retention_ms(r);
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t i = 0; i < repo_entity_count(r); i++) {
        if (!(repo_entity_kinds(r, i) & (1u << REC_NEED)))
            continue;
        const entity_t *e = repo_entity_peek(r, i);
        uint64_t at = e->kind == REC_NEED && e->edits > 0 ? s_retired_at(e) : 0;
        if (at == 0 || at + keep > today)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[n++] = i;
    }
    return n;
}
