/*
 * sync.h -- range-based set reconciliation of edit ids, as a deterministic
 * function from (own set, incoming RECON) to (reply, ids to send, ids to
 * fetch). No sockets, no clocks, no per-session state: every RECON message
 * carries all it needs, so the same inputs always give the same outputs
 * and the state machine can be tested by scripting messages.
 *
 * Items are (hlc, id) pairs kept sorted. A range's fingerprint is the first
 * 16 bytes of BLAKE2b-256 over (the sum of its ids, read as little-endian
 * 256-bit numbers, modulo 2^256) || (item count as 8 bytes little-endian).
 *
 * Replying to a range:
 *   SKIP                      -> SKIP
 *   FP equal to ours          -> SKIP
 *   FP with count 0           -> we send all of ours in it; SKIP
 *   FP differs, ours <= SYNC_IDS_MAX items -> IDS (all our ids in it)
 *   FP differs, ours larger   -> SYNC_SPLIT sub-ranges of equal count, each FP
 *   IDS list L                -> send ours not in L, fetch L not ours; SKIP
 * A reply of only SKIPs is sent as RECON [] ("in sync"); RECON [] gets no
 * reply. Adjacent SKIPs are merged. A reply never exceeds MSG_MAX_RANGES:
 * when the next range might not fit, everything from there to the end is
 * sent as one FP (ours), which the peer splits again in its turn.
 */
#ifndef BUURT_SYNC_H
#define BUURT_SYNC_H

#include "proto/msg.h"

#define SYNC_SPLIT 16
#define SYNC_IDS_MAX 16

typedef struct sync_set sync_set_t;

sync_set_t *sync_set_new(void);
void sync_set_free(sync_set_t **self_p);
/* Adds an item; adding an item already present is a no-op. */
void sync_set_add(sync_set_t *self, uint64_t hlc, const uint8_t id[32]);
/* Removes an item (for purging); absent items are ignored. */
void sync_set_remove(sync_set_t *self, uint64_t hlc, const uint8_t id[32]);
size_t sync_set_count(sync_set_t *self);
bool sync_set_has(sync_set_t *self, uint64_t hlc, const uint8_t id[32]);

/* Result of handling one RECON. */
typedef struct {
    buf_t reply;          /* encoded RECON to send back; empty = send nothing */
    bool in_sync;         /* the incoming or outgoing message was RECON [] */
    uint8_t (*give)[32];  /* ids the peer lacks: send these edits */
    size_t ngive;
    uint8_t (*need)[32];  /* ids we lack: WANT these */
    size_t nneed;
} sync_out_t;

/* The first RECON of a round, over our whole set. */
void sync_start(sync_set_t *self, buf_t *out);

/* Handles a decoded RECON message m; fills *out (sync_out_clear after). */
void sync_reply(sync_set_t *self, const msg_t *m, sync_out_t *out);
void sync_out_clear(sync_out_t *out);

/* Fingerprint of items[lo..hi) — exposed for tests and docs examples. */
void sync_fingerprint(const uint8_t (*ids)[32], size_t n, uint8_t fp[16]);

#endif
