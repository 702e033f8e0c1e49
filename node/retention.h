/*
 * retention.h -- needs are removed from every node a while after they are
 * done, cancelled, deleted or expired (docs/trust.md "Retention",
 * docs/protocol.md §12.8).
 *
 * A need's retention clock starts at the time of its last edit when it is
 * done, cancelled or deleted, else at its expiry. It is purgeable when
 * that time plus the mesh's retention period lies before the start of the
 * current UTC day (whole days, so nodes with slightly different clocks
 * purge the same needs on the same day). A function of the store and the
 * date; the purge itself is repo_purge.
 */
#ifndef BUURT_RETENTION_H
#define BUURT_RETENTION_H

#include "node/repo.h"

#define RETENTION_DEFAULT_DAYS 30 /* when the mesh sets none */

/* The mesh's retention period in ms (retention_days of its settings). */
uint64_t retention_ms(repo_t *r);

/* Needs purgeable at now_ms: *out receives entity positions (free() it);
 * returns the count. Merges without caching (repo_entity_peek), so a
 * long-running daemon does not grow. */
size_t retention_purgeable(repo_t *r, uint64_t now_ms, size_t **out);

#endif
