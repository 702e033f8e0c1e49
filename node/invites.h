/*
 * invites.h -- the invites a node has handed out, in <home>/invites (0600).
 *
 * One line per invite: "ID KEY ROLE EXPIRES USED" (hex id and key of
 * proto/invite.h, role name, expiry in ms since 1970, 0 or 1). The file is
 * rewritten whole (temporary file, fsync, rename) on every change, so an
 * invite is marked used durably before the node answers the JOIN that used
 * it: a code admits at most one node, even across a crash.
 */
#ifndef BUURT_INVITES_H
#define BUURT_INVITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t id[16];
    uint8_t key[32];
    char role[16];
    uint64_t expires;
    bool used;
} invite_t;

int invites_add(const char *home, const invite_t *inv, char **cause);
/* Looks an invite up: 1 found (copied to *out), 0 not found. */
int invites_find(const char *home, const uint8_t id[16], invite_t *out);
/* Marks it used, durably. */
int invites_mark_used(const char *home, const uint8_t id[16], char **cause);
/* Guests (unknown keys) are let in to send JOIN while an invite is open,
 * and for a week after it expired, so that reusing a used or expired code
 * gets a clear answer instead of silence. */
#define INVITES_ANSWER_MS (7ull * 86400000)
bool invites_open(const char *home, uint64_t now);
/* The keys of the invites answered now (as invites_open), the newest
 * first, at most max: buurtd announces each in an invite beacon. */
size_t invites_open_keys(const char *home, uint64_t now, uint8_t (*keys)[32], size_t max);

#endif
