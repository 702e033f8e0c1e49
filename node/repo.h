/*
 * repo.h -- a node's home directory: its key, its name, its store of edits
 * and the merged state of every entity.
 *
 * Layout of a home:  node.key (0600)  config  store/edits.log  store/lock
 *
 * repo_open loads the key (refusing one readable by others), takes the store
 * lock and indexes every stored edit by entity from its envelope alone
 * (edit_peek); entity state is merged lazily on first use and cached until
 * a new edit of that entity arrives. Every edit in the store was validated
 * (and, from peers, verified) before it was written.
 *
 * Workload: one process (the CLI for one command, or buurtd for its
 * lifetime) holds a repo open; opening 100,000 edits must take well under a
 * second.
 */
#ifndef BUURT_REPO_H
#define BUURT_REPO_H

#include "node/key.h"
#include "node/merge.h"
#include "node/store.h"

typedef struct repo_t repo_t;

/* Creates a home: directory (0700), node key, config with the node name.
 * BU_EEXIST when the home already holds a key. */
int repo_init(const char *home, const char *name, nodekey_t *key_out, char **cause);

/* Opens an initialised home (BU_ENOENT with a hint to run `buurt init`). */
int repo_open(const char *home, repo_t **out, char **cause);
void repo_close(repo_t **self_p);

const nodekey_t *repo_key(const repo_t *self);
const char *repo_name(const repo_t *self);
const char *repo_home(const repo_t *self);
const store_report_t *repo_report(const repo_t *self);

/*
 * Makes, signs and durably stores a local edit of kind. entity NULL creates
 * a new entity (random id; all required fields needed); otherwise entity
 * must exist and have this kind. fields is borrowed. entity_out (may be
 * NULL) receives the entity id. Returns 0 or a negative BU_ code.
 */
int repo_edit(repo_t *self, rec_kind_t kind, const uint8_t *entity, const pv_t *fields,
              uint8_t entity_out[32], char **cause);

/* Verifies and stores an edit received from elsewhere. 1 new, 0 already
 * known, negative when rejected (with *cause). */
int repo_ingest(repo_t *self, const uint8_t *wire, size_t len, char **cause);

size_t repo_edit_count(const repo_t *self);
size_t repo_entity_count(const repo_t *self);
/* The merged state of the i-th entity (in first-seen order). Borrowed. */
const entity_t *repo_entity_at(repo_t *self, size_t i);
/* Kind and id of the i-th entity, read from the index without merging. */
rec_kind_t repo_entity_kind(const repo_t *self, size_t i);
const uint8_t *repo_entity_id(const repo_t *self, size_t i);

/* The position of an entity in first-seen order, or -1. */
long repo_entity_index(const repo_t *self, const uint8_t id[32]);
/* The merged state of an entity, or NULL. Borrowed. */
const entity_t *repo_entity(repo_t *self, const uint8_t id[32]);

/*
 * Resolves a hex id or unique prefix of one to a full entity id. kind < 0
 * accepts any kind. BU_ENOENT, BU_EAMBIG or BU_EINVAL (not hex) with a
 * one-line *cause.
 */
int repo_resolve(repo_t *self, const char *prefix, int kind, uint8_t out[32], char **cause);

/* All edits of an entity in merge order, decoded; caller frees each with
 * edit_free and the array with free(). Returns the count (0 when unknown). */
size_t repo_history(repo_t *self, const uint8_t id[32], edit_t ***out);

/* Called after each newly stored edit with its store index and envelope. */
typedef void repo_listener_fn(void *ctx, size_t idx, const edit_head_t *head);
void repo_set_listener(repo_t *self, repo_listener_fn *fn, void *ctx);

/* Raw wire bytes / id of the idx-th stored edit (borrowed), and lookup by id. */
const uint8_t *repo_record(const repo_t *self, size_t idx, size_t *len);
const uint8_t *repo_record_id(const repo_t *self, size_t idx);
long repo_find_record(const repo_t *self, const uint8_t id[32]);

/*
 * Stores many edits that the caller has already decoded, verified and
 * authorised, with one fsync (group commit). added (n entries) receives 1
 * for each new edit. Returns the number added or a negative code.
 */
int repo_ingest_many(repo_t *self, const store_rec_t *recs, size_t n, uint8_t *added,
                     char **cause);

/* Current wall clock in ms (overridable with BUURT_NOW_MS for tests). */
uint64_t repo_now_ms(void);

#endif
