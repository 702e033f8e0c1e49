/*
 * msg.h -- the node-to-node sync messages and their codec (one wire
 * version, PROTO_VERSION). Each message is one ZeroMQ frame holding one
 * canonical msgpack array whose first element is the message type:
 *
 *   HELLO  [1, version, mesh: bin(32), name: str, ext: map]
 *                                ext (optional on receipt) carries
 *                                extensions; unknown keys are ignored.
 *                                "time": the sender's wall clock, ms
 *                                "caps": [str...] optional features the
 *                                sender understands (MSG_CAP_*); each is
 *                                used on a link only when both sides name it
 *   RECON  [2, [range...]]       range = [hlc, prefix: bin(0..32), mode, payload]
 *                                  mode 0 SKIP  payload nil
 *                                  mode 1 FP    payload [fp: bin(16), count]
 *                                  mode 2 IDS   payload [id: bin(32)...]
 *                                an empty range list means "in sync"
 *   WANT   [3, [id: bin(32)...]]  ask for these edits
 *   EDITS  [4, [edit: bin...], reply: bool]  edits as in proto/edit.h; reply
 *                                is true when answering a WANT (exactly one
 *                                EDITS answers each WANT, possibly empty)
 *   PING   [5]                    keep-alive; no reply
 *   ZEDITS [8, z: bin]            one zstd frame stating its content size
 *   ZEDITS [8, z: bin, hist: uint]
 *                                (at most MSG_MAX_BYTES) whose content is
 *                                exactly the bytes of an EDITS message; only
 *                                with the "zstd" cap on both sides. With
 *                                hist, the frame was made with the link's
 *                                history (msg_hist_t) as its prefix, and
 *                                hist is the history's total then
 *   ANNOUNCE [9, [id: bin(32)...]] "I have these new edits": the receiver
 *                                asks (WANT) for those it lacks; sent only
 *                                to a peer whose HELLO named "announce"
 *
 * Ranges are contiguous: each covers the items (hlc, id) from the previous
 * range's upper bound (or the very start) up to, not including, its own
 * bound. A bound (hlc, prefix) is greater than an item when hlc is greater,
 * or equal and the prefix, padded with zero bytes to 32, is greater than the
 * item's id. The last bound of a message MUST be MSG_INF_HLC with an empty
 * prefix (infinity). Limits are checked on decode; no I/O here.
 */
#ifndef BUURT_MSG_H
#define BUURT_MSG_H

#include "proto/util.h"

#include <stdbool.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define MSG_MAX_BYTES (4u << 20)     /* largest frame a node accepts */
/* ZMQ_MAXMSGSIZE: libzmq checks it against the frame on the wire, which
 * CURVE makes 33 bytes longer (command name, nonce, MAC, flags) than the
 * message; with MSG_MAX_BYTES a message of exactly MSG_MAX_BYTES was
 * dropped. msg_decode still refuses anything over MSG_MAX_BYTES. */
#define MSG_WIRE_MAX_BYTES (MSG_MAX_BYTES + 256)
#define MSG_MAX_IDS 4096             /* ids in one WANT or IDS range */
#define MSG_MAX_RANGES 1024          /* ranges in one RECON */
#define MSG_MAX_EDITS 2048           /* edits in one EDITS */
#define MSG_INF_HLC INT64_MAX

/* 6, 7: JOIN, JOINED (guest connections, proto/invite.h) */
typedef enum {
    MSG_HELLO = 1,
    MSG_RECON = 2,
    MSG_WANT = 3,
    MSG_EDITS = 4,
    MSG_PING = 5,
    MSG_ZEDITS = 8,
    MSG_ANNOUNCE = 9,
} msg_type_t;
/* Optional features named in HELLO's "caps" (protocol.md §10.1). */
#define MSG_CAP_ZSTD (1u << 0)       /* "zstd": compressed EDITS (protocol.md §10.7) */
#define MSG_CAP_ANNOUNCE (1u << 1)   /* "announce": new edits announced by id (protocol.md §10.8) */
#define MSG_CAPS_MAX 16              /* names in one "caps" list */
#define MSG_CAP_NAME_MAX 32          /* bytes of one name */

typedef enum { RANGE_SKIP = 0, RANGE_FP = 1, RANGE_IDS = 2 } range_mode_t;

typedef struct {
    uint64_t hlc;
    uint8_t prefix[32];
    uint8_t len;          /* prefix bytes used, 0..32 */
} bound_t;

typedef struct {
    bound_t upper;
    range_mode_t mode;
    uint8_t fp[16];       /* RANGE_FP */
    uint64_t count;       /* RANGE_FP */
    uint8_t (*ids)[32];   /* RANGE_IDS, owned */
    size_t nids;
} range_t;

typedef struct {
    const uint8_t *data;  /* borrowed from the decoded frame */
    size_t len;
} msg_blob_t;

typedef struct {
    msg_type_t type;
    /* HELLO */
    int version;
    uint8_t mesh[32];
    char *name;
    int64_t time_ms;      /* sender's wall clock, or -1 when not sent */
    uint32_t caps;        /* MSG_CAP_* bits the sender named (unknown names ignored) */
    /* RECON */
    range_t *ranges;
    size_t nranges;
    /* WANT, ANNOUNCE */
    uint8_t (*ids)[32];
    size_t nids;
    /* EDITS: point into the frame passed to msg_decode, which must outlive
     * msg; ZEDITS: into plain, which msg owns */
    msg_blob_t *edits;
    size_t nedits;
    bool reply;
    /* ZEDITS: the decompressed EDITS message (freed by msg_clear) */
    uint8_t *plain;
    size_t plain_len;
    /* ZEDITS with hist: not opened by msg_decode (nedits 0, plain NULL)
     * until msg_zedits_open; z points into the frame */
    bool zhist;
    uint64_t zhist_total;
    const uint8_t *z;
    size_t zlen;
} msg_t;

/*
 * The history of one direction of one link (protocol.md §10.7): the last
 * MSG_ZHIST_BYTES of the EDITS messages sent that way since the last HELLO
 * sent that way, and how many bytes they were in all. Sender and receiver
 * each keep one; a ZEDITS names the sender's total, so the receiver knows
 * whether its own is the same.
 */
#define MSG_ZHIST_BYTES (16u << 10)
typedef struct {
    uint8_t *b;           /* the last len bytes, oldest first (owned) */
    size_t len;
    uint64_t total;       /* bytes ever added since the last reset */
} msg_hist_t;

void msg_hist_add(msg_hist_t *h, const uint8_t *data, size_t n);
/* Empty again (after a HELLO); the memory is kept. */
void msg_hist_reset(msg_hist_t *h);
void msg_hist_free(msg_hist_t *h);

/* A zstd compressor for ZEDITS, reused message after message (one per
 * process is enough: it is not thread-safe). */
typedef struct msg_zc msg_zc_t;

/* Encoders: append one message to out. */
/* now_ms: this node's wall clock, sent as the "time" extension. */
void msg_hello(buf_t *out, const uint8_t mesh[32], const char *name, uint64_t now_ms);
/* The same with the "caps" extension naming the MSG_CAP_* bits of caps
 * (none: no "caps" key, the bytes of msg_hello). */
void msg_hello_caps(buf_t *out, const uint8_t mesh[32], const char *name, uint64_t now_ms,
                    uint32_t caps);
/* The name of a MSG_CAP_* bit, or NULL for a bit no feature has. */
const char *msg_cap_name(uint32_t bit);
void msg_recon(buf_t *out, const range_t *ranges, size_t n);
void msg_want(buf_t *out, const uint8_t (*ids)[32], size_t n);
void msg_edits(buf_t *out, const msg_blob_t *edits, size_t n, bool reply);
void msg_ping(buf_t *out);
/* A compressor at zstd level. MSG_ZSTD_LEVEL, zstd's default, is the
 * knee measured on example-like batches (docs/performance.md, "Compact
 * links"): level 1 sends 2.6 % more at 1.6x the speed, 6 1.4 % less at
 * half of it. */
#define MSG_ZSTD_LEVEL 3
/* EDITS of at least MSG_ZFAST_BYTES (a catch-up's batches) go at level 1:
 * 1.6x the speed for 2.6 % more bytes; the sender's compression was a
 * quarter of its CPU in a catch-up (docs/performance.md). */
#define MSG_ZFAST_BYTES (16u << 10)
msg_zc_t *msg_zc_new(int level);
void msg_zc_destroy(msg_zc_t **self_p);
/* Appends the ZEDITS of an encoded EDITS message (edits, len bytes, as
 * msg_edits wrote it) to out. Returns the bytes appended, or 0 when the
 * ZEDITS would not be smaller than the EDITS (out unchanged: send the
 * EDITS as it is). */
size_t msg_zedits(buf_t *out, msg_zc_t *z, const uint8_t *edits, size_t len);
/* The same against a link's history: the frame is made with h's bytes as
 * its prefix, and the ZEDITS names h's total ([8, z, hist]). */
size_t msg_zedits_hist(buf_t *out, msg_zc_t *z, const uint8_t *edits, size_t len,
                       const msg_hist_t *h);
/*
 * Opens a ZEDITS with hist that msg_decode left closed, with the
 * receiver's history of that direction of that link: 0 and the edits in
 * m as for any ZEDITS; BU_ENOENT when h's total is not the one the sender
 * named (the histories parted: nothing is wrong with the message, it
 * cannot be read here); BU_EINVAL / BU_ETOOBIG as msg_decode for a frame
 * that is malformed.
 */
int msg_zedits_open(msg_t *m, const msg_hist_t *h);
/* ANNOUNCE: at most MSG_MAX_IDS ids (protocol.md §10.8). */
void msg_announce(buf_t *out, const uint8_t (*ids)[32], size_t n);

/*
 * Decodes one frame. Returns 0 and fills *m (release with msg_clear), or a
 * negative BU_ code for anything malformed, non-canonical, of an unknown
 * type or over a limit. Never crashes on any input.
 */
int msg_decode(const uint8_t *frame, size_t len, msg_t *m);
/* A ZEDITS decodes to type MSG_ZEDITS with the edits and reply of the
 * EDITS it holds (m->plain, m->plain_len: that EDITS). It is malformed
 * unless z is exactly one zstd frame that states its content size, that
 * size is at most MSG_MAX_BYTES, the frame decompresses to exactly that
 * many bytes, and they decode as an EDITS. At most MSG_MAX_BYTES are
 * allocated for it, whatever the frame claims. */
void msg_clear(msg_t *m);

/* Orders an item (hlc, id) against a bound: <0 item below, >=0 at or above. */
int bound_cmp_item(const bound_t *b, uint64_t hlc, const uint8_t id[32]);

#endif
