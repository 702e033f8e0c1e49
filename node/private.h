/*
 * private.h -- private coalitions (docs/trust.md "Private coalitions"):
 * who may read one, and keeping its keys with its readers. A security
 * invariant lives here: when the readers of a private coalition change,
 * the coalition gets a new key sealed to the current readers only, so a
 * removed reader cannot read what is written afterwards.
 *
 * The readers of a private coalition are its creator, its coordinators and
 * its nodes. Records made for it (needs addressed to it, offers it
 * provides) are sealed with its newest key (repo_edit_private).
 */
#ifndef BUURT_PRIVATE_H
#define BUURT_PRIVATE_H

#include "node/repo.h"

#define PRIVATE_MAX_READERS 97 /* creator + 32 coordinators + 64 nodes */

/* The readers of a coalition (fields as merged, creator as given):
 * distinct node ids, the creator first. Returns the count. */
size_t private_readers(const uint8_t creator[32], const pv_t *fields, uint8_t (*out)[32],
                       size_t max);

/* Makes a new private coalition with fields (private = true): its keys
 * record first, sealed to its readers, then the coalition itself, sealed.
 * id_out receives its id. */
int private_create(repo_t *r, const pv_t *fields, uint8_t id_out[32], char **cause);

/* After an edit of fields to coalition id: when the coalition is private,
 * readable here, and the edit changed its readers, writes a new key for
 * the current readers. 0 when nothing needed doing. */
int private_after_edit(repo_t *r, const uint8_t id[32], const pv_t *fields, char **cause);

/* The private coalition a new record of kind with these fields must be
 * sealed for (a need addressed to it, an offer it provides), when this
 * node can read it. */
bool private_target(repo_t *r, rec_kind_t kind, const pv_t *fields, uint8_t coalition[32]);

#endif
