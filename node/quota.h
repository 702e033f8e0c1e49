/*
 * quota.h -- how many edits each author has in the store, per hour of its
 * own clock and in all, so that one member cannot flood the mesh (issue
 * 9.7, docs/protocol.md §12.9).
 *
 * The counts follow what is stored: repo adds every edit it indexes or
 * holds, and starts again from zero when it re-indexes. An edit counts in
 * the hour of its hlc (the author's clock), so the rule is the same on
 * every node whatever the order edits arrive in; only which of a
 * flooder's surplus edits a node keeps can differ.
 *
 * Workload: one lookup per received edit; one entry per author and per
 * (author, hour) with edits, at most one per stored edit.
 */
#ifndef BUURT_QUOTA_H
#define BUURT_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUOTA_PER_HOUR_DEFAULT 2000 /* edits per member per hour of its clock */
#define QUOTA_TOTAL_DEFAULT 20000   /* edits per member in the store */

typedef struct {
    uint32_t per_hour; /* 0: no limit */
    uint32_t total;    /* 0: no limit */
} quota_limits_t;

typedef struct quota quota_t;

quota_t *quota_new(void);
void quota_free(quota_t **self_p);
/* Forgets every count (before counting a store again). */
void quota_reset(quota_t *self);
/* Counts one more (delta +1) or one fewer (-1) edit of author at hlc. */
void quota_add(quota_t *self, const uint8_t author[32], uint64_t hlc, int delta);
/* True when one more edit of author at hlc stays within lim. */
bool quota_allows(const quota_t *self, const uint8_t author[32], uint64_t hlc,
                  const quota_limits_t *lim);
/* Edits of author counted in all, and in the hour of hlc. */
uint64_t quota_total(const quota_t *self, const uint8_t author[32]);
uint64_t quota_in_hour(const quota_t *self, const uint8_t author[32], uint64_t hlc);

#endif
