/*
 * peers.h -- the static peers of a home: `<home>/peers`, one line per
 * peer, "tcp://HOST:PORT NODE-ID" (node id in 64 hex digits). Written by
 * `buurt peer add` and `buurt join`, read by buurtd, which dials each one
 * and keeps dialling. One peer per node id: adding a known node replaces
 * its address. The file is replaced atomically (node/file.h).
 */
#ifndef BUURT_PEERS_H
#define BUURT_PEERS_H

#include <stddef.h>
#include <stdint.h>

#define PEERS_ADDR_MAX 199

typedef struct {
    char addr[PEERS_ADDR_MAX + 1];
    uint8_t key[32];
} peer_line_t;

/* The peers of home (*out allocated, free() it; NULL when none); lines that
 * do not parse are skipped. Returns the count. */
size_t peers_load(const char *home, peer_line_t **out);

/* Adds the peer, or replaces the address of that node id. BU_EINVAL for
 * an address that is not tcp://HOST:PORT, BU_EIO (cause says why) when the
 * file cannot be written. */
int peers_add(const char *home, const char *addr, const uint8_t key[32], char **cause);

#endif
