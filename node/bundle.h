/*
 * bundle.h -- sneakernet bundles: a mesh's signed edits in one file that a
 * USB stick carries to a node no network reaches (docs/protocol.md §16).
 *
 * File format (integers little-endian; the frames are the store's own,
 * node/store.h, so a damaged frame is found and skipped the same way):
 *
 *     bundle = head frame* end
 *     head   = "BUURTBN1" mesh(32) crc(4)    44 bytes; crc = CRC-32C of
 *                                            the 40 bytes before it
 *     frame  = magic len crc payload         as in edits.log
 *     payload of an edit frame = the wire bytes of one signed edit
 *     end    = one frame whose payload is "BUURTEND" mesh(32) count(u64)
 *              made(u64): 56 bytes, the edits in the bundle and when it
 *              was made (ms since 1970)
 *
 * A bundle holds only what a peer would send: signed edits, sealed ones
 * still sealed. Membership certificates come first. Nothing in it is
 * trusted: every edit is verified as if it had arrived over the wire
 * (bundle_apply), and the head and end only name the mesh and tell the
 * reader whether anything is missing.
 *
 * Invariants: bundle_read never fails on damage and never reads out of
 * bounds; it finds every intact frame and names each damaged byte range.
 * bundle_apply stores exactly the edits s_ingest (node/node.c) would store
 * if a peer sent them, and applying a bundle twice stores nothing the
 * second time.
 *
 * Workload: a bundle of 10,000 example-size edits is about 4 MB; applying
 * 100,000 is bounded by their Ed25519 verification, one core.
 */
#ifndef BUURT_BUNDLE_H
#define BUURT_BUNDLE_H

#include "node/repo.h"
#include "node/store.h"
#include "proto/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUNDLE_MAGIC "BUURTBN1" /* file version 1 */
#define BUNDLE_HEAD_LEN 44
#define BUNDLE_END_TAG "BUURTEND"
#define BUNDLE_END_LEN 56
#define BUNDLE_BATCH 4096        /* edits verified and stored per fsync */
#define BUNDLE_REJECTS_KEPT 1000 /* rejected edits described, at most */

/* ---- writing */

/* Appends the head of a bundle of mesh to out. */
void bundle_head(buf_t *out, const uint8_t mesh[32]);
/* Appends one edit frame (len 1 .. STORE_MAX_RECORD). */
void bundle_put(buf_t *out, const uint8_t *edit, size_t len);
/* Appends the end frame: count edits, made at made_ms. */
void bundle_end(buf_t *out, const uint8_t mesh[32], uint64_t count, uint64_t made_ms);

/* What goes into a bundle made from a repo. */
typedef struct {
    const char *area;  /* NULL: every area; else records of that area
                          (case-insensitive), bulletins for every area, and
                          what those records name (see bundle_make) */
    size_t since_pos;  /* only edits stored at or after this store position */
    uint64_t since_ms; /* only edits dated at or after this time (0: any) */
} bundle_sel_t;

typedef struct {
    size_t edits;    /* edit frames written */
    size_t certs;    /* of them, membership certificates */
    size_t held;     /* edits left out because they are held here */
    size_t records;  /* distinct entities with an edit in the bundle */
} bundle_made_t;

/*
 * Writes a bundle of r's mesh to out (appended): every membership
 * certificate, mesh settings and keys record (always whole: a bundle must
 * let its edits verify on a node that has nothing yet), then the edits of
 * other records that sel selects, in store order, and the end frame.
 * Selected records' references that authorisation reads (a need's
 * coalition and claimed_by, an offer's provider, and theirs in turn) are
 * included whole. With an area, an offer without an area of its own goes
 * with its provider. Held edits are left out (a node never passes them on).
 * BU_EPERM when r is in no mesh. made_ms dates the end frame.
 */
int bundle_make(repo_t *r, const bundle_sel_t *sel, uint64_t made_ms, buf_t *out,
                bundle_made_t *st, char **cause);

/* ---- reading */

typedef struct {
    uint64_t off;        /* file offset of the frame */
    const uint8_t *data; /* the payload, borrowed from the bytes read */
    size_t len;
} bundle_item_t;

typedef struct {
    uint64_t from, to;   /* damaged bytes [from, to) */
} bundle_damage_t;

typedef struct {
    uint8_t mesh[32];       /* valid when have_mesh */
    bool have_mesh;         /* from an intact head or end frame */
    bool head_ok;           /* the head is intact */
    bool ended;             /* an intact end frame was found */
    uint64_t declared;      /* edits the end frame counts */
    uint64_t made_ms;       /* when the end frame says it was made */
    bundle_item_t *items;   /* intact frames other than the end, in order */
    size_t nitems;
    bundle_damage_t *damage; /* damaged ranges, in order */
    size_t ndamage;
    uint64_t damaged_bytes;
} bundle_t;

/*
 * Reads a bundle from len bytes (borrowed: items point into them). Never
 * fails on damage: a damaged head, a damaged or cut frame and bytes after
 * the last frame each become a damage range, and reading resumes at the
 * next intact frame. BU_EINVAL (with *cause) only when the bytes are not
 * a bundle at all: no intact head and no intact frame, or a node's edit
 * log. Free with bundle_clear.
 */
int bundle_read(const uint8_t *data, size_t len, bundle_t *out, char **cause);
void bundle_clear(bundle_t *b);

/* ---- applying */

/* One edit refused. */
typedef struct {
    uint64_t off;      /* file offset of its frame */
    uint8_t id[32];    /* BLAKE2b-256 of its bytes */
    int kind;          /* rec_kind_t, or -1 when it could not be read */
    char why[200];     /* one line */
} bundle_reject_t;

typedef struct {
    size_t edits;      /* edit frames in the bundle */
    size_t added;      /* stored and counting now */
    size_t held;       /* stored, but dated ahead of this node's clock */
    size_t known;      /* already stored (or purged here for good) */
    size_t rejected;
    bundle_reject_t *rej; /* the first BUNDLE_REJECTS_KEPT of them */
    size_t nrej;
} bundle_result_t;

/*
 * Verifies and stores the edits of b in r exactly as edits from a peer
 * are (docs/protocol.md §12.6): known and purged ones are skipped; each
 * other is refused over its author's quota (read from its envelope), or
 * decoded, schema-checked and its signature verified; certificates are
 * stored first, then every other edit is kept only if its author was a
 * member at the edit's clock by the certificates held then; void, quota
 * and held-edit caps are the repo's (repo_ingest_checked). Batches of
 * BUNDLE_BATCH edits, one fsync each. New edits reach r's listener, so
 * buurtd pushes them to its peers.
 *
 * BU_EPERM (nothing stored) when r is in no mesh or b is of another mesh
 * or names none; BU_EIO when the store fails (what was stored before
 * stays). Otherwise 0 with *res filled (bundle_result_clear it).
 */
int bundle_apply(repo_t *r, const bundle_t *b, bundle_result_t *res, char **cause);
void bundle_result_clear(bundle_result_t *res);

/* ---- the home's mark of the last bundle made (<home>/bundled) */

/* A moment and a store position, as node/syncmark.h keeps them. */
typedef struct {
    uint64_t ms;     /* 0: no bundle made yet */
    uint64_t count;  /* edits stored then */
    uint8_t rec[32]; /* id of the newest of them (zero when none) */
} bundle_mark_t;

/* Reads the mark (zeroed when missing or damaged). */
void bundle_mark_load(const char *home, bundle_mark_t *m);
/* Replaces it (file_write_atomic); 0 or BU_EIO. */
int bundle_mark_save(const char *home, const bundle_mark_t *m, char **cause);
/* The mark of r now, at ms. */
void bundle_mark_now(const repo_t *r, uint64_t ms, bundle_mark_t *m);
/* The store position after the mark: edits stored since are at or after
 * it. When the marked edit is gone (purged since), 0 and *lost = true, so
 * a bundle holds too much rather than too little. */
size_t bundle_mark_pos(const repo_t *r, const bundle_mark_t *m, bool *lost);

#endif
