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
#include "node/quota.h"
#include "node/store.h"

typedef struct repo_t repo_t;

/* Opens an initialised home (BU_ENOENT with a hint to run `buurt init`). */
int repo_open(const char *home, repo_t **out, char **cause);
/* As repo_open, waiting up to wait_ms for the store lock (store_open_wait). */
int repo_open_wait(const char *home, int wait_ms, repo_t **out, char **cause);
void repo_close(repo_t **self_p);

const nodekey_t *repo_key(const repo_t *self);
const char *repo_name(const repo_t *self);
const char *repo_home(const repo_t *self);
const store_report_t *repo_report(const repo_t *self);
/* Rewrites the store without the damaged regions repo_report found
 * (store_compact); store indices do not change. */
int repo_compact(repo_t *self, char **cause);

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
/*
 * The merged state of the i-th entity (in first-seen order). Borrowed: it
 * is cached in the repo until the next write or repo_trim, so a caller may
 * hold several at once within one command.
 */
const entity_t *repo_entity_at(repo_t *self, size_t i);
/*
 * As repo_entity_at, for scans over many entities: a state that is not
 * cached is merged into one of a few scratch entries and not cached, so a
 * scan does not grow the process. Valid until 7 more peeks (or a write).
 */
const entity_t *repo_entity_peek(repo_t *self, size_t i);
/* Changes whenever the i-th entity's merged state may have changed (a new
 * edit of it or of a record its merge read, or a membership change). */
uint64_t repo_entity_version(const repo_t *self, size_t i);
/* Drops cached states when there are many (keeping members, coalitions,
 * keys and mesh settings). Invalidates pointers from repo_entity_at,
 * repo_entity and repo_entity_peek; buurtd calls it between commands. */
void repo_trim(repo_t *self);
/* Kind and id of the i-th entity, read from the index without merging. */
rec_kind_t repo_entity_kind(const repo_t *self, size_t i);
const uint8_t *repo_entity_id(const repo_t *self, size_t i);
/* Bit (1 << kind) for every kind among the i-th entity's edits. */
unsigned repo_entity_kinds(const repo_t *self, size_t i);

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

/* As repo_history, with the merge verdict of each edit (MERGE_APPLIED,
 * MERGE_WRONG_KIND, MERGE_DENIED) in *verdicts (free() it). */
size_t repo_history_verdicts(repo_t *self, const uint8_t id[32], edit_t ***out,
                             uint8_t **verdicts);

/* The state an entity had when the store held its first pos edits: its
 * edits stored before position pos merged with the same rules (today's
 * membership). Returns how many there were; with 0, *out is zeroed (the
 * entity did not exist yet) and needs no entity_clear. */
size_t repo_merge_before(repo_t *self, const uint8_t id[32], size_t pos, entity_t *out);

struct members_t;
/* The membership timeline of the mesh this home is in, or NULL when it is
 * in none (then every edit counts). Borrowed; valid until the next edit. */
const struct members_t *repo_members(repo_t *self);
/* The membership of the mesh founded by founder, from this store's
 * certificates, into *out (members_clear it): for a mesh not joined yet. */
void repo_members_for(repo_t *self, const uint8_t founder[32], struct members_t *out);
/* The mesh this home is in, or NULL. Borrowed. */
const uint8_t *repo_mesh(const repo_t *self);
/* Tells the repo which mesh it is in now (NULL: none), after mesh create
 * or join wrote the config. */
void repo_set_mesh(repo_t *self, const uint8_t mesh[32]);

/* Called after each newly stored edit with its store index and envelope. */
typedef void repo_listener_fn(void *ctx, size_t idx, const edit_head_t *head);
void repo_set_listener(repo_t *self, repo_listener_fn *fn, void *ctx);

/* Appends the raw wire bytes of the idx-th stored edit to out (read from
 * the log: they are not kept in memory); 0, or -1 on a read error. Its
 * length, its id (borrowed), and lookup by id. */
int repo_read(const repo_t *self, size_t idx, buf_t *out);
size_t repo_record_len(const repo_t *self, size_t idx);
/* Calls fn for every stored edit in store order, reading the log in large
 * sequential chunks (store_scan). */
int repo_scan(const repo_t *self, store_scan_fn *fn, void *ctx, char **cause);
const uint8_t *repo_record_id(const repo_t *self, size_t idx);
long repo_find_record(const repo_t *self, const uint8_t id[32]);

/* The mesh's quota of a member (the mesh settings' member_edits_per_hour
 * and member_edits_max, else QUOTA_*_DEFAULT), and the counts. */
void repo_quota_limits(repo_t *self, quota_limits_t *lim);
/* An integer field of the mesh settings in force (docs/protocol.md §8.9),
 * or dflt when unset or outside a mesh. */
int64_t repo_mesh_setting(repo_t *self, const char *field, int64_t dflt);
const quota_t *repo_quota(const repo_t *self);
/* True when one more edit of author at hlc fits: admins (at hlc) always,
 * others within lim (repo_quota_limits, read once per batch) of what is
 * stored. */
bool repo_quota_allows(repo_t *self, const quota_limits_t *lim, const uint8_t author[32],
                       uint64_t hlc);
/* The clock of author's newest stored edit (held ones too): true and *hlc,
 * or false when it has none. Reads the whole store. */
bool repo_author_newest(const repo_t *self, const uint8_t author[32], uint64_t *hlc);

/* What became of each edit given to repo_ingest_many. */
enum { REPO_KNOWN = 0, REPO_ADDED = 1, REPO_HELD = 2, REPO_REFUSED = 3, REPO_VOID = 4,
       REPO_QUOTA = 5 };
#define REPO_HELD_MAX 1024        /* held edits a node keeps at most */
#define REPO_HELD_PER_AUTHOR 256  /* ... of one author */

/*
 * Stores many edits that the caller has already decoded, verified and
 * authorised, with one fsync (group commit). added (n entries, may be
 * NULL) receives per edit: REPO_ADDED (new, indexed, listener told),
 * REPO_HELD (new, stored, but dated more than HLC_MAX_SKEW_MS ahead of the
 * wall clock: held aside until repo_release_held), REPO_REFUSED (would be
 * held, but the author or the node already holds the most it may: not
 * stored), REPO_VOID (declared void by an admin, see repo_apply_voids:
 * not stored), REPO_QUOTA (its author, not an admin at the edit's clock,
 * already has as many edits stored as the mesh allows in that hour of its
 * clock or in all, repo_quota_limits: not stored) or REPO_KNOWN (already stored, or not stored because of an
 * error). Returns the number stored or a negative code.
 */
int repo_ingest_many(repo_t *self, const store_rec_t *recs, size_t n, uint8_t *added,
                     char **cause);

/* One received edit the caller has decoded and verified: its bytes, id and
 * envelope, so nothing is hashed or parsed again. */
typedef struct {
    const uint8_t *data;
    size_t len;
    uint8_t id[32];
    edit_head_t head;
} repo_in_t;
/* As repo_ingest_many for edits already decoded (buurtd's ingest path). */
int repo_ingest_checked(repo_t *self, const repo_in_t *in, size_t n, uint8_t *added, char **cause);

/*
 * Held edits (see HLC_MAX_SKEW_MS in proto/edit.h): stored, so nothing
 * honest is lost when this node's clock is the wrong one, but not indexed,
 * merged, offered in reconciliation or relayed, and not counted for this
 * node's own clock. repo_open holds every stored edit that is too far
 * ahead at that moment; repo_release_held indexes those that now_ms has
 * caught up with (telling the listener of each) and returns how many.
 */
size_t repo_held_count(const repo_t *self);
/* The largest clock among held edits (0 when none). */
uint64_t repo_held_max(const repo_t *self);
bool repo_is_held(const repo_t *self, size_t idx);
size_t repo_release_held(repo_t *self, uint64_t now_ms);
/* Ids of held edits dated after clock `after` (*out allocated; free()). */
size_t repo_held_ids(const repo_t *self, uint64_t after, uint8_t (**out)[32]);

/*
 * Void declarations (docs/protocol.md, "Clock bound"): an admin's mesh
 * settings edit may list edit ids under "void". A listed edit dated more
 * than HLC_MAX_SKEW_MS beyond the declaring edit's own clock is void: it
 * is removed from the store for good (store_purge) and never stored again;
 * a listed edit dated earlier is not affected, so a declaration cannot
 * remove what was honest when it was made. repo_apply_voids removes the
 * void edits held in the store now (*removed: how many; store indices
 * change, repo_epoch tells) and repo_ingest_many refuses later arrivals.
 */
int repo_apply_voids(repo_t *self, size_t *removed, char **cause);

/* ---- private coalitions (docs/trust.md) */

/*
 * Creates an entity whose edits are sealed for a private coalition:
 * encrypted with the coalition's newest key and stored as kind "sealed".
 * at_hlc is 0, or a clock from repo_reserve_hlc to create the entity at
 * (its id is then edit_bound_id(this node, at_hlc), known in advance).
 * Later repo_edit calls on a private record seal automatically. BU_EPERM
 * when this node holds no key of it.
 */
int repo_edit_private(repo_t *self, rec_kind_t kind, uint64_t at_hlc,
                      const uint8_t coalition[32], const pv_t *fields, uint8_t entity_out[32],
                      char **cause);
/* True (and its coalition) when the entity is private and readable here. */
bool repo_private_of(repo_t *self, const uint8_t id[32], uint8_t coalition[32]);
/*
 * Writes the coalition's keys record: its keys (a new one first when none
 * or when rotate) sealed to each reader's CURVE key. Rotate when a reader
 * is removed, so it cannot read what is written afterwards.
 */
int repo_private_keys(repo_t *self, const uint8_t coalition[32], const uint8_t (*readers)[32],
                      size_t n, bool rotate, char **cause);

/* ---- purging (retention, node/retention.h) */

/* Purges those entities' edits for good (store_purge) and re-indexes;
 * *edits_out receives the number of edits removed. Entity positions and
 * store indices change: repo_epoch() tells holders of either. */
int repo_purge(repo_t *self, const size_t *ents, size_t n, size_t *edits_out, char **cause);
uint32_t repo_epoch(const repo_t *self);
/* Changes whenever anything a query could read may have changed: an edit
 * indexed (stored, or held and come due), a purge, the mesh or membership.
 * Equal versions mean equal answers (buurtd's query process, control.c). */
uint64_t repo_version(const repo_t *self);
/* Distinct for every repo opened in this process (a closed repo's memory
 * may be reused by the next one): for caches kept beside a repo. */
uint64_t repo_serial(const repo_t *self);

/* Sizes of the repo's caches, for tests and diagnostics: cached states,
 * slots waiting for a missing entity, and reader registrations. */
typedef struct {
    size_t cached, orphans, deps;
} repo_stats_t;
void repo_stats(const repo_t *self, repo_stats_t *out);
/* True when the edit with this id was purged here (never fetch it again). */
bool repo_is_purged(const repo_t *self, const uint8_t id[32]);

/* This machine's wall clock in ms since 1970 (for tests, shifted by
 * $BUURT_CLOCK_OFFSET_MS: a node whose clock is wrong). */
uint64_t repo_wall_ms(void);
/* The time the repo works at: a fixed time for the current command (a
 * command's BUURT_NOW_MS, passed by the CLI), or 0 for the wall clock. It
 * dates new edits and decides which edits are held. */
void repo_set_clock(repo_t *self, uint64_t now_ms);
uint64_t repo_now(const repo_t *self);
/* Takes the next clock of this node's edits for a later repo_edit_private,
 * so the id of a record is known before it is written: a private coalition
 * whose keys record names it is created after that record. */
uint64_t repo_reserve_hlc(repo_t *self);
/* The time (ms since 1970) this node's next edit will carry: its clock,
 * or the newest clock among the edits it counts when that is later (a
 * node whose wall clock is behind still dates its edits after what it has
 * seen, docs/protocol.md §7.3). Times the CLI derives from "now" (an
 * expiry in 24 h, a revocation 2 h ago) use it, so they agree with the
 * edit's own clock, the one every node sees. */
uint64_t repo_edit_now(const repo_t *self);

#endif
