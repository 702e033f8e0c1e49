/*
 * syncmark.h -- when this node last synced, remembered across restarts:
 * `<home>/synced`, written by buurtd (node/node.c) and read by the CLI
 * (`buurt changes`, the digest of `sync --wait`, `buurt conflicts`).
 *
 * A mark is a moment and a position in the store: the time, the number of
 * stored edits and the id of the newest one then. Edits stored after a
 * mark's record arrived after that moment (the store is in arrival order).
 *
 *  - last:   the last time the node was in sync with at least one peer;
 *  - before: `last` as it was when the current contact began, that is the
 *            last sync before the node's latest time out of touch (buurtd
 *            stopped, every peer gone, or no sync for SYNCMARK_GAP_MS).
 *            "last-sync" in `buurt changes` means this mark: for a laptop
 *            back online, what arrived while it was away;
 *  - gaps:   the latest SYNCMARK_GAPS times out of touch (from, to): an edit
 *            this node made in a gap reached the mesh at its end
 *            (syncmark_delivered), which is what tells a conflict from a
 *            later, informed edit;
 *  - steps:  the latest SYNCMARK_PTS syncs at which the store had grown
 *            (time, count): an edit stored at position i reached the mesh
 *            by the first step with count > i;
 *  - peers:  per peer, the last time a round with it completed.
 *
 * The file is small text, replaced atomically (node/file.h); losing the
 * last minute of updates in a crash only widens the next window.
 */
#ifndef BUURT_SYNCMARK_H
#define BUURT_SYNCMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYNCMARK_GAPS 64
#define SYNCMARK_PTS 256
#define SYNCMARK_PEERS 256
#define SYNCMARK_GAP_MS (10 * 60 * 1000)  /* no sync this long: out of touch */
#define SYNCMARK_SLACK_MS (2 * 60 * 1000) /* an edit made in touch reaches peers within */

typedef struct {
    uint64_t ms;     /* 0: never */
    uint64_t count;  /* edits stored then */
    uint8_t rec[32]; /* id of the newest of them (zero when none) */
} syncmark_pt_t;

typedef struct {
    uint64_t from, to;
} syncmark_gap_t;

typedef struct {
    uint8_t key[32];
    uint64_t ms;
} syncmark_peer_t;

typedef struct {
    uint64_t ms, count; /* the first sync with count edits stored */
} syncmark_step_t;

typedef struct {
    syncmark_pt_t last, before;
    syncmark_step_t steps[SYNCMARK_PTS]; /* oldest first */
    size_t nsteps;
    bool steps_cut;                      /* older steps were dropped */
    syncmark_gap_t gaps[SYNCMARK_GAPS]; /* oldest first */
    size_t ngaps;
    syncmark_peer_t peers[SYNCMARK_PEERS];
    size_t npeers;
} syncmark_t;

/* Reads <home>/synced into *m (zeroed first; a missing or damaged file
 * reads as "never synced"). */
void syncmark_load(const char *home, syncmark_t *m);
/* Writes *m to <home>/synced; 0 or BU_EIO with *cause. */
int syncmark_save(const char *home, const syncmark_t *m, char **cause);

/*
 * The node is in sync now (at ms, holding count edits, the newest rec).
 * out_of_touch says it was not in contact since the last call (buurtd
 * started, or no peer was connected in between); so does a last sync
 * older than SYNCMARK_GAP_MS. Then a new contact begins: before = last and
 * the gap (last, ms) is remembered. Returns true when a contact began.
 */
bool syncmark_in_sync(syncmark_t *m, uint64_t ms, uint64_t count, const uint8_t rec[32],
                      bool out_of_touch);
/* A round with peer key completed at ms. */
void syncmark_peer(syncmark_t *m, const uint8_t key[32], uint64_t ms);
/* The last completed round with key, 0 when none is remembered. */
uint64_t syncmark_peer_ms(const syncmark_t *m, const uint8_t key[32]);

/* When an edit this node made at ms and stored at position idx reached
 * the mesh, as far as the marks tell: the first sync after it was stored
 * (steps); for an edit older than the steps kept, the end of the gap it
 * was made in, or ms + SYNCMARK_SLACK_MS when it was made in touch;
 * UINT64_MAX when no sync followed it yet. */
uint64_t syncmark_delivered(const syncmark_t *m, uint64_t ms, size_t idx);

#endif
