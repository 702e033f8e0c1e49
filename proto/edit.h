/*
 * edit.h -- one signed, immutable change to one entity.
 *
 * Wire form (canonical msgpack, see docs/protocol.md):
 *
 *   edit = [ body: bin, sig: bin(64) ]
 *   body = canonical msgpack of [ 1, kind: str, entity: bin(32),
 *                                 author: bin(32), hlc: uint, fields: map ]
 *   sig  = Ed25519 signature by author over "buurt-edit-v1" || body
 *   id   = BLAKE2b-256 of the whole edit's bytes
 *
 * The hybrid logical clock (hlc) is milliseconds since 1970 shifted left by
 * 16 bits plus a 16-bit counter, so edits order by (hlc, author, id) the
 * same way on every node. No I/O: callers pass the current time in.
 */
#ifndef BUURT_EDIT_H
#define BUURT_EDIT_H

#include "proto/record.h"

#define EDIT_VERSION 1
#define EDIT_MAX_WIRE 16384 /* largest encoded edit, bytes */
#define EDIT_SIG_DOMAIN "buurt-edit-v1"

typedef struct {
    rec_kind_t kind;
    uint8_t entity[32];
    uint8_t author[32]; /* Ed25519 public key of the signing node */
    uint64_t hlc;
    pv_t *fields;       /* owned map: field name -> value (nil = unset) */
    uint8_t sig[64];
    uint8_t id[32];     /* BLAKE2b-256 of the wire bytes */
} edit_t;

/* EDIT_TRUSTED: bytes this node stored itself, after checking them on the
 * way in; edit_decode skips the schema check (rec_validate). */
enum { EDIT_VERIFY = 1, EDIT_CREATING = 2, EDIT_TRUSTED = 4 };

/*
 * Signs e with sk (64-byte libsodium Ed25519 secret key whose public half
 * must equal e->author), validates the fields against the schema
 * (EDIT_CREATING in flags also requires every required field), and appends
 * the wire bytes to wire. Fills e->sig and e->id. Returns 0, BU_ESCHEMA,
 * BU_EINVAL (author does not match sk) or BU_ETOOBIG.
 */
int edit_sign(edit_t *e, const uint8_t sk[64], unsigned flags, buf_t *wire, char **cause);

/*
 * Decodes one wire edit. Checks structure, canonical encoding, version,
 * kind, sizes and the schema; with EDIT_VERIFY in flags also the signature.
 * Returns 0 and a new edit in *out, or a negative BU_ code with *cause.
 * Never crashes on any input.
 */
int edit_decode(const uint8_t *wire, size_t len, unsigned flags, edit_t **out, char **cause);

/* As edit_decode, when the caller already has the edit's id (BLAKE2b-256
 * of wire): it is taken as given, not computed again. */
int edit_decode_id(const uint8_t *wire, size_t len, unsigned flags, const uint8_t id[32],
                   edit_t **out, char **cause);

void edit_free(edit_t **self_p);

/* The envelope of an edit without decoding its fields. */
typedef struct {
    rec_kind_t kind;
    uint8_t entity[32];
    uint8_t author[32];
    uint64_t hlc;
} edit_head_t;

/*
 * Reads kind, entity, author and clock from wire bytes that are laid out
 * as edit_sign writes them, without decoding or checking the fields or the
 * signature: for records already validated (the node's own store). Any
 * input that does not have that exact layout returns BU_EINVAL; never reads
 * out of bounds.
 */
int edit_peek(const uint8_t *wire, size_t len, edit_head_t *out);

/*
 * Creator-bound ids. A new record's entity id is
 *   BLAKE2b-256("buurt-entity-v1" || author || hlc as 8 bytes big-endian)
 * of its creating edit, so the edit that created a record is known from
 * the id alone: no other key, at no other clock, can claim to have made
 * it (docs/protocol.md §7.6). Members (id = the member's key) and mesh
 * settings (id = the mesh id) are named, not bound.
 */
#define EDIT_ENTITY_DOMAIN "buurt-entity-v1"
void edit_bound_id(const uint8_t author[32], uint64_t hlc, uint8_t out[32]);
/* True when entity is the bound id of (author, hlc). */
bool edit_binds(const uint8_t entity[32], const uint8_t author[32], uint64_t hlc);

/* Total order: hlc, then author bytes, then id bytes. <0, 0, >0. */
int edit_cmp(const edit_t *a, const edit_t *b);

/*
 * Clock bound. A node never applies, relays or adopts an edit whose clock
 * lies more than HLC_MAX_SKEW_MS ahead of its own wall clock: such an edit
 * is held aside (kept, not counted) until the wall clock catches up. So a
 * node's own clock, the largest clock among the edits it counts, stays
 * within the skew of its wall clock, and the clock space (47 bits of
 * milliseconds, until the year 6429) never runs out.
 */
#define HLC_MAX_SKEW_MS (10 * 60 * 1000)

/* The largest clock a node with wall time now_ms counts. */
static inline uint64_t hlc_ceiling(uint64_t now_ms)
{
    return ((now_ms + HLC_MAX_SKEW_MS) << 16) | 0xffff;
}
/* True when an edit at clock hlc is too far ahead of wall time now_ms. */
static inline bool hlc_too_far(uint64_t hlc, uint64_t now_ms)
{
    return hlc > hlc_ceiling(now_ms);
}

/* The next clock value after last for wall time now_ms: the wall time, or
 * last + 1 when that is not later. Always > last when last < INT64_MAX. */
uint64_t hlc_next(uint64_t last, uint64_t now_ms);
/* Milliseconds part of an hlc value. */
static inline uint64_t hlc_ms(uint64_t hlc) { return hlc >> 16; }

#endif
