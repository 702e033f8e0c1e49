/*
 * private.c -- readers and keys of private coalitions (see private.h).
 */
#include "node/private.h"
#include "proto/util.h"

#include <sodium.h>
#include <string.h>

size_t private_readers(const uint8_t creator[32], const pv_t *fields, uint8_t (*out)[32],
                       size_t max)
{
    size_t n = 0;
    if (max == 0)
        return 0;
    memcpy(out[n++], creator, 32);
    static const char *const lists[] = {"coordinators", "nodes"};
    for (int l = 0; l < 2; l++) {
        const pv_t *v = pv_map_get(fields, lists[l]);
        for (size_t i = 0; v && v->type == PV_ARR && i < v->u.a.n && n < max; i++) {
            uint8_t k[32];
            if (v->u.a.items[i]->type != PV_STR || hex_decode(v->u.a.items[i]->u.s.p, k, 32) < 0)
                continue;
            bool dup = false;
            for (size_t j = 0; j < n && !dup; j++)
                dup = memcmp(out[j], k, 32) == 0;
            if (!dup)
                memcpy(out[n++], k, 32);
        }
    }
    return n;
}

int private_create(repo_t *r, const pv_t *fields, uint8_t id_out[32], char **cause)
{
    uint8_t id[32], readers[PRIVATE_MAX_READERS][32];
    /* the id is bound to the creating edit, so it is known before the
     * keys record that names it is written */
    uint64_t at = repo_reserve_hlc(r);
    edit_bound_id(repo_key(r)->pk, at, id);
    size_t n = private_readers(repo_key(r)->pk, fields, readers, PRIVATE_MAX_READERS);
    int rc = repo_private_keys(r, id, (const uint8_t(*)[32])readers, n, false, cause);
    if (rc == 0)
        rc = repo_edit_private(r, REC_COALITION, at, id, fields, id_out, cause);
    return rc;
}

int private_after_edit(repo_t *r, const uint8_t id[32], const pv_t *fields, char **cause)
{
    uint8_t coal[32];
    if (!pv_map_get(fields, "nodes") && !pv_map_get(fields, "coordinators"))
        return 0;
    if (!repo_private_of(r, id, coal))
        return 0;
    const entity_t *e = repo_entity(r, id);
    if (!e)
        return 0;
    /* readers changed: a new key, so removed ones read nothing new. The
     * creator reads only when the id proves who created it: the merged
     * creator of an unbound (older) record is whoever dated an edit
     * first, which any member can fake, so there this node, a reader
     * already, keeps itself in instead. */
    uint8_t readers[PRIVATE_MAX_READERS][32];
    size_t n = private_readers(e->bound ? e->creator : repo_key(r)->pk, e->fields, readers,
                               PRIVATE_MAX_READERS);
    return repo_private_keys(r, id, (const uint8_t(*)[32])readers, n, true, cause);
}

bool private_target(repo_t *r, rec_kind_t kind, const pv_t *fields, uint8_t coalition[32])
{
    const char *ref = kind == REC_NEED ? pv_get_str(fields, "coalition")
                      : kind == REC_OFFER ? pv_get_str(fields, "provider") : NULL;
    uint8_t id[32];
    return ref && hex_decode(ref, id, 32) == 0 && repo_private_of(r, id, coalition);
}
