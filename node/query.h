/*
 * query.h -- listing records: the filters and the order of `buurt list`,
 * as a function of the repo (the CLI only parses and prints).
 *
 * A query names a kind and optional filters: area (case-insensitive),
 * category (a need's category, an offer's categories, a place's kinds),
 * status (a place's status, or a need's status as of now, "expired"
 * included) and whether deleted records are included. The rows come
 * sorted: places by status (open, limited, alternative, overloaded,
 * closed), needs open first then by urgency (critical, high, normal, low),
 * bulletins newest first; then by label (case-insensitive), then by id.
 *
 * Workload: a listing of 100,000 records; the facts table of match.h rules
 * most entities out without reading their fields.
 */
#ifndef BUURT_QUERY_H
#define BUURT_QUERY_H

#include "node/repo.h"

typedef struct {
    rec_kind_t kind;
    const char *area;      /* NULL: any */
    const char *category;  /* NULL: any */
    const char *status;    /* NULL: any; a token of the kind's statuses */
    bool all;              /* include deleted records */
    uint64_t now_ms;       /* decides which needs are expired */
} query_t;

/* The status to show: a need's status as of now_ms (expired or not), a
 * place's status, else "". */
const char *query_status(const entity_t *e, uint64_t now_ms);

/* A record's label: name, title or summary, or "(unnamed)". */
const char *query_label(const entity_t *e);

/*
 * Runs a list query: *out receives the matching entities in the order
 * above (an allocated array of borrowed states, valid until the repo's
 * next write or repo_trim; free() the array). Returns the count.
 */
size_t query_list(repo_t *r, const query_t *q, const entity_t ***out);

/*
 * The same rows in the same order, without keeping the merged states of
 * a large result, so a listing of 50,000 records need not hold 50,000
 * states: when more than 4,096 entities remain after the facts, each is
 * merged for the moment; fewer stay cached, so a small query repeated
 * does not merge them again. Each matching entity is given to fn (NULL:
 * none), which
 * returns false to leave it out and may set *ref (preset to the entity's
 * position); *out (allocated, free() it) receives the refs of the rows in
 * order. `buurt list` renders a table's rows in fn, once, and prints them
 * in order afterwards; for JSON it keeps only the positions and merges
 * each row again as it writes it. Returns the count.
 */
typedef bool query_row_fn(void *ctx, const entity_t *e, size_t *ref);
size_t query_list_rows(repo_t *r, const query_t *q, query_row_fn *fn, void *ctx, size_t **out);

/* A place's status is stale when it was set longer ago than the mesh's
 * stale_hours (QUERY_STALE_HOURS_DEFAULT): how old a status is matters as
 * much as the status. */
#define QUERY_STALE_HOURS_DEFAULT 24
uint64_t query_stale_ms(repo_t *r);
/* -1 when the place has no status time, else how long ago it was set;
 * stale when that is more than query_stale_ms. */
int64_t query_status_age(const entity_t *e, uint64_t now_ms);

/*
 * Near-identical texts (issue 11, "one need, one record"): the sets of
 * their words (lower-cased, split at anything but letters and digits,
 * words of one character dropped) share at least 60% (Jaccard), or one
 * set holds the other. Two empty texts are not similar.
 */
bool query_similar(const char *a, const char *b);

/* An open (or claimed) need of category in area (case-insensitive; NULL
 * matches needs without an area) whose summary is near-identical to
 * summary (query_similar): its state, or NULL. Borrowed like query_list. */
const entity_t *query_duplicate_need(repo_t *r, const char *category, const char *area,
                                     const char *summary, uint64_t now_ms);

#endif
