/*
 * store.h -- the crash-safe, append-only edit log of one node.
 *
 * A store is a directory holding `edits.log` and `lock`. The log is a
 * sequence of frames; each frame holds one opaque record (the wire bytes of
 * one signed edit). The store knows nothing of msgpack: a record's id is the
 * BLAKE2b-256 hash of its bytes, which is also the edit id of proto/edit.h,
 * so the store can deduplicate without decoding.
 *
 * Invariants:
 *  - store_put/store_put_many return only after the frames are fsync'd:
 *    an acknowledged record survives kill -9 and power loss.
 *  - store_open never fails because of a damaged log. A torn or corrupted
 *    tail (the last frames fail their checksum and no valid frame follows)
 *    is cut off. A damaged region followed by valid frames is corruption in
 *    the middle: the valid frames on both sides are kept, and the damage is
 *    reported in store_report_t (never silently skipped).
 *  - One process at a time holds a store open (flock on `lock`); a second
 *    store_open fails with BU_ELOCKED.
 *
 * Workload: every record is read once at open (100,000 records in well under
 * a second), then appends. Record bytes are not kept in memory: they are
 * read from the file on demand (store_read for one record, store_scan for
 * all of them in one sequential pass). What stays in memory per record is
 * its file offset, length and id (48 bytes) and 2 to 4 index slots of 4
 * bytes, whatever the record's size: 100,000 records take about 8 MB
 * (arrays grow by doubling). Reading goes through a window of about
 * 2 * STORE_MAX_RECORD bytes at most.
 */
#ifndef BUURT_STORE_H
#define BUURT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/util.h"

#define STORE_ID_LEN 32
#define STORE_MAX_RECORD (1u << 20) /* largest record accepted, bytes */

typedef struct store_t store_t;

typedef struct {
    size_t records;            /* valid records loaded */
    uint64_t tail_cut_bytes;   /* bytes removed from a torn/corrupt tail */
    size_t corrupt_regions;    /* damaged regions in the middle (kept out) */
    uint64_t corrupt_bytes;    /* total bytes in those regions */
    uint64_t first_corrupt_at; /* file offset of the first such region */
    size_t duplicates;         /* frames whose record was already loaded */
    uint64_t leftover_bytes;   /* edits.log.new of an interrupted purge or
                                  compaction, removed at open */
} store_report_t;

/* One record to append (borrowed bytes). */
typedef struct {
    const uint8_t *data;
    size_t len;
} store_rec_t;

/*
 * Opens (creating if needed, mode 0700 dir / 0600 files) the store in dir.
 * Takes the lock; BU_ELOCKED if another process holds it. On success *out is
 * set and, if report is not NULL, it is filled in. Returns 0 or a negative
 * BU_ code with *cause set (if cause is not NULL).
 */
int store_open(const char *dir, store_t **out, store_report_t *report, char **cause);

/* As store_open, but when another process holds the lock, tries again
 * every 20 ms for up to wait_ms before failing with BU_ELOCKED (buurtd
 * waits for a CLI command that holds the store for a moment). */
int store_open_wait(const char *dir, int wait_ms, store_t **out, store_report_t *report,
                    char **cause);

/* True when some process holds the lock of the store in dir now (false
 * when there is no store). A probe: takes and drops a shared lock. */
bool store_is_locked(const char *dir);

/* Closes the store, releasing the lock; accepts NULL and *self_p == NULL. */
void store_close(store_t **self_p);

/*
 * Appends one record and fsyncs. Returns 1 if it was new, 0 if a record with
 * the same bytes was already stored (nothing written), BU_ETOOBIG if len is
 * 0 or over STORE_MAX_RECORD, BU_EIO on write/fsync failure (the store then
 * truncates back to the last good frame). If id_out is not NULL it receives
 * the record id.
 */
int store_put(store_t *self, const uint8_t *data, size_t len, uint8_t id_out[STORE_ID_LEN],
              char **cause);

/*
 * Appends many records with a single fsync (group commit). Records already
 * present, and duplicates within the batch, are skipped. Returns the number
 * of records added, or a negative code (then none of the batch counts as
 * acknowledged). added_out, if not NULL, must have n entries: 1 for each
 * record that was new.
 */
int store_put_many(store_t *self, const store_rec_t *recs, size_t n, uint8_t *added_out,
                   char **cause);

/* As store_put_many when the caller has already computed each record's
 * id (store_hash); ids[i] must be the id of recs[i]: nothing is hashed
 * again. */
int store_put_many_ids(store_t *self, const store_rec_t *recs, const uint8_t (*ids)[STORE_ID_LEN],
                       size_t n, uint8_t *added_out, char **cause);

/* Number of records held. */
size_t store_count(const store_t *self);

/* Appends the bytes of record i (0 <= i < store_count) to out (buf_append
 * from proto/util.h). Returns 0, or -1 with errno set on a read error. */
int store_read(const store_t *self, size_t i, buf_t *out);

/* Length in bytes of record i. */
size_t store_len(const store_t *self, size_t i);

/* Calls fn(ctx, i, data, len) for every record i = 0 .. store_count-1 in
 * order, reading the log sequentially in large chunks (memory bounded by
 * about 2 * STORE_MAX_RECORD, not by the log size). data is valid only
 * during the call. Stops early and returns fn's value when fn returns
 * non-zero; returns 0 when done, or a negative BU_ code with *cause set on a
 * read error. */
typedef int store_scan_fn(void *ctx, size_t i, const uint8_t *data, size_t len);
int store_scan(const store_t *self, store_scan_fn *fn, void *ctx, char **cause);

/* The id of the i-th record. Borrowed. */
const uint8_t *store_id(const store_t *self, size_t i);

/* Index of the record with this id, or -1. */
long store_find(const store_t *self, const uint8_t id[STORE_ID_LEN]);

/*
 * Removes records for good (retention): their ids are appended durably to
 * `purged` first, then the log is rewritten without them and renamed over
 * the old one. A crash in between is finished by store_open, which leaves
 * purged ids out; store_put/put_many treat purged ids as already present,
 * so they never come back. Record indices change: callers re-index.
 */
int store_purge(store_t *self, const uint8_t (*ids)[STORE_ID_LEN], size_t n, char **cause);

/*
 * Rewrites the log with exactly the records held (as store_purge does, with
 * nothing purged): damaged regions that store_open skipped are gone from
 * disk afterwards, so the next open is clean. Record indices and ids stay
 * as they are. Crash-safe like store_purge (a copy renamed over the log).
 */
int store_compact(store_t *self, char **cause);

/* True when a record with this id was purged from this store. */
bool store_is_purged(const store_t *self, const uint8_t id[STORE_ID_LEN]);

/* Computes a record id (BLAKE2b-256 of the bytes). */
void store_hash(const uint8_t *data, size_t len, uint8_t id_out[STORE_ID_LEN]);

/*
 * The frame format on its own, for files other than the log that carry
 * records the same way (a sneakernet bundle, node/bundle.h): one definition
 * of magic, length limit and checksum. These work on bytes in memory.
 */
#define STORE_FRAME_HDR 12 /* magic, len, crc */

/* CRC-32C (Castagnoli) of n bytes, as the frames use it. */
uint32_t store_crc32c(const uint8_t *p, size_t n);
/* Appends one frame holding payload (1 .. STORE_MAX_RECORD bytes; other
 * lengths are a programmer error) to out. */
void store_frame_append(buf_t *out, const uint8_t *payload, size_t len);
/* The payload length of a valid frame starting at p, of which n bytes are
 * there to read (magic, length in range, the whole frame within n, crc),
 * or 0 when no valid frame starts there. */
size_t store_frame_at(const uint8_t *p, size_t n);
/* The offset of the first valid frame in p[from .. n), or n when there is
 * none: where reading resumes after damage. */
size_t store_frame_next(const uint8_t *p, size_t n, size_t from);

#endif
