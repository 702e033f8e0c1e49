/*
 * beacon.h -- the LAN beacon: a UDP broadcast by which a node announces
 * its mesh, its node id and the TCP port it listens on (docs/protocol.md
 * §5). One codec, used by buurtd (node/lan.c sends and hears them) and by
 * `buurt join` (node/join.c looks for the inviting node).
 *
 * Wire form, 73 bytes, no padding:
 *
 *   magic   6 bytes  "BUURT1"
 *   version 1 byte   PROTO_VERSION
 *   mesh   32 bytes  mesh id
 *   node   32 bytes  node id of the sender
 *   port    2 bytes  TCP port, big-endian
 *
 * Pure functions, no I/O.
 */
#ifndef BUURT_BEACON_H
#define BUURT_BEACON_H

#include <stddef.h>
#include <stdint.h>

#define BEACON_MAGIC "BUURT1"
#define BEACON_LEN 73
#define BEACON_DEFAULT_PORT 4836 /* UDP port of beacons (and buurtd's TCP port) */

typedef struct {
    uint8_t mesh[32];
    uint8_t node[32];
    uint16_t port;
} beacon_t;

/* Writes the 73 bytes of b (with this node's PROTO_VERSION) to out. */
void beacon_encode(const beacon_t *b, uint8_t out[BEACON_LEN]);

/* Reads a datagram: 0 and *b when it is a beacon of this protocol
 * version, BU_EINVAL for anything else (wrong length, magic or version).
 * Never reads past len. */
int beacon_decode(const uint8_t *data, size_t len, beacon_t *b);

#endif
