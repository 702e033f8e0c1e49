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
 * Replying to a range (O = our items in it, in item order; `left` = ids
 * this call may still give, SYNC_GIVE_MAX at the start of each call):
 *   SKIP                      -> SKIP
 *   FP equal to ours          -> SKIP
 *   FP differs                -> describe O:
 *                                  |O| <= SYNC_IDS_MAX: IDS (all our ids in it)
 *                                  larger: SYNC_SPLIT sub-ranges of equal
 *                                  count, each FP
 *   FP with count 0, or IDS   -> the peer has nothing here. |O| <= left: we
 *   with no ids                  send all of O; SKIP. Otherwise we send the
 *                                first `left` items of O and answer a SKIP
 *                                bounded between the last of them and the
 *                                next item (if left > 0), then one FP over
 *                                the rest of O with the range's bound
 *   IDS list L                -> G = ours not in L. |G| <= left: we send G,
 *                                fetch L not ours; SKIP. Otherwise describe
 *                                O (send and fetch nothing for this range)
 *                                and `left` becomes 0
 * Every id sent is subtracted from `left`, so a call gives at most
 * SYNC_GIVE_MAX ids (the give cap) and a lying peer (FP count 0 over
 * everything, an empty IDS list over a huge range) gets no more per
 * message, while an honest peer answers the FP or the description and gets
 * the next SYNC_GIVE_MAX in its next round trip. Below the cap the reply is
 * the same as without it.
 * A reply of only SKIPs is sent as RECON [] ("in sync"); RECON [] gets no
 * reply. Adjacent SKIPs are merged. A reply never exceeds MSG_MAX_RANGES:
 * when the next range might not fit, everything from there to the end is
 * sent as one FP (ours), which the peer splits again in its turn.
 *
 * Cost: with n items and a message of r ranges listing m ids in all, one
 * call costs O(r log n + m log m + SYNC_GIVE_MAX) comparisons, hashes
 * included (a range's fingerprint comes from prefix sums kept with the set,
 * not from a walk over its items), whatever the message says. sync_out_t's
 * `work` reports what a call did, and sync_work_max() bounds it in advance.
 * Not counted there, because the edits stored cause it, not the message:
 * the first query after additions sorts them in (O(k log k + n - p) for k
 * additions, the lowest landing at position p) and brings the prefix sums
 * up to date from p (O(n - p)); a removal costs O(n - p) likewise.
 */
#ifndef BUURT_SYNC_H
#define BUURT_SYNC_H

#include "proto/msg.h"

#define SYNC_SPLIT 16
#define SYNC_IDS_MAX 16
/* Most ids one sync_reply() call puts in its give list (the give cap):
 * as many as one IDS range or WANT may list (MSG_MAX_IDS). An honest
 * catch-up of N edits takes about N / SYNC_GIVE_MAX round trips, which run
 * ahead of the edits themselves (4096 edits take far longer to send and
 * verify than a round trip). */
#define SYNC_GIVE_MAX 4096

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
    uint8_t (*give)[32];  /* ids the peer lacks: send these edits; at most
                           * SYNC_GIVE_MAX */
    size_t ngive;
    uint8_t (*need)[32];  /* ids we lack: WANT these; at most the number
                           * of ids the message lists (not capped here) */
    size_t nneed;
    size_t work;          /* the cost of this call in item visits: one per
                           * binary-search probe into the set, per own item
                           * summed, compared or copied, and per incoming id
                           * sorted, matched or scanned; at most
                           * sync_work_max() of the message (0 for RECON []) */
} sync_out_t;

/* The first RECON of a round, over our whole set. */
void sync_start(sync_set_t *self, buf_t *out);

/* Handles a decoded RECON message m; fills *out (sync_out_clear after). */
void sync_reply(sync_set_t *self, const msg_t *m, sync_out_t *out);
void sync_out_clear(sync_out_t *out);

/*
 * The largest `work` sync_reply() can report for a RECON of nranges ranges
 * listing nids ids in all (over its IDS ranges), against a set of n items
 * in which no two items share an id (true of edit ids, which hash the
 * clock too). Grows as nranges * log2(n) + nids, never with n alone: for
 * n = 10^6 it is 70 per range, 4 per id, plus 26,770 (590,450 for a full
 * message of 1024 ranges and 123,000 ids). Lets the caller decide before
 * answering whether a peer's message fits its budget.
 */
size_t sync_work_max(size_t n, size_t nranges, size_t nids);

/* Fingerprint of items[lo..hi) — exposed for tests and docs examples. */
void sync_fingerprint(const uint8_t (*ids)[32], size_t n, uint8_t fp[16]);

#endif
