/*
 * beacon.h -- the LAN beacons (docs/protocol.md §5): UDP broadcasts by
 * which a node says where it listens. One codec, used by buurtd (node/lan.c
 * sends and hears them) and by `buurt join` (node/join.c looks for the
 * inviting node).
 *
 * A beacon tells only those who may know: it is encrypted, with a fresh
 * random nonce each time (so beacons cannot be told apart or followed),
 * under a key derived from the mesh id (members know it) or, for an
 * invite beacon, from an open invite's key (only the holder of the code
 * knows it). A mesh beacon is also signed by its sender over the address
 * and port it gives, so no one can make a node dial an address its owner
 * did not announce.
 *
 * Mesh beacon, BEACON_LEN (148) bytes:
 *   "BUURT2" (6) | nonce (24) | XChaCha20-Poly1305(key, nonce, ad = "BUURT2",
 *     node id (32) | port (2, big-endian) | IPv4 address (4) | signature (64))
 *   key = BLAKE2b-256(key "buurt-beacon-v1", message mesh id)
 *   signature = Ed25519 by the node over
 *     "buurt-beacon-v1" | mesh id | port (2, big-endian) | address (4)
 *
 * Invite beacon, BEACON_INVITE_LEN (84) bytes:
 *   "BUURTI" (6) | nonce (24) | XChaCha20-Poly1305(key, nonce, ad = "BUURTI",
 *     node id (32) | port (2) | address (4))
 *   key = BLAKE2b-256(key "buurt-invite-beacon-v1", message invite key)
 *
 * Pure functions, no I/O (the nonce comes from libsodium's randombytes;
 * the _with_nonce variants take it, for tests/vectors/beacons.txt).
 */
#ifndef BUURT_BEACON_H
#define BUURT_BEACON_H

#include <stddef.h>
#include <stdint.h>

#define BEACON_MAGIC "BUURT2"
#define BEACON_INVITE_MAGIC "BUURTI"
#define BEACON_LEN 148
#define BEACON_INVITE_LEN 84
#define BEACON_NONCE_LEN 24
#define BEACON_DEFAULT_PORT 4836 /* UDP port of beacons (and buurtd's TCP port) */

typedef struct {
    uint8_t node[32]; /* the sender's node id */
    uint16_t port;    /* the TCP port it listens on */
    uint8_t addr[4];  /* the IPv4 address to reach it at (network order) */
} beacon_t;

/* The key of a mesh's beacons, from its mesh id. */
void beacon_key(const uint8_t mesh[32], uint8_t key[32]);
/* The key of an invite's beacons, from the invite key (proto/invite.h). */
void beacon_invite_key(const uint8_t invite_key[32], uint8_t key[32]);

/* A mesh beacon of b, signed with sk (whose public half must be b->node). */
void beacon_seal(const uint8_t mesh[32], const uint8_t key[32], const uint8_t sk[64],
                 const beacon_t *b, uint8_t out[BEACON_LEN]);
/* The same with the nonce given instead of drawn: for tests and the
 * conformance vectors (tests/vectors/beacons.txt) only. A node MUST NOT
 * send two beacons with one nonce. */
void beacon_seal_with_nonce(const uint8_t mesh[32], const uint8_t key[32], const uint8_t sk[64],
                            const beacon_t *b, const uint8_t nonce[BEACON_NONCE_LEN],
                            uint8_t out[BEACON_LEN]);
/* 0 and *b when data is a beacon of the mesh (key = beacon_key(mesh))
 * whose signature verifies; BU_EINVAL for anything else. */
int beacon_open(const uint8_t mesh[32], const uint8_t key[32], const uint8_t *data, size_t len,
                beacon_t *b);

/* An invite beacon of b under key = beacon_invite_key(invite key). */
void beacon_invite_seal(const uint8_t key[32], const beacon_t *b, uint8_t out[BEACON_INVITE_LEN]);
/* The same with the nonce given (tests and vectors only, as above). */
void beacon_invite_seal_with_nonce(const uint8_t key[32], const beacon_t *b,
                                   const uint8_t nonce[BEACON_NONCE_LEN],
                                   uint8_t out[BEACON_INVITE_LEN]);
/* 0 and *b when data is an invite beacon under key; BU_EINVAL otherwise. */
int beacon_invite_open(const uint8_t key[32], const uint8_t *data, size_t len, beacon_t *b);

#endif
