/*
 * invite.h -- invite codes and the two messages of joining by invite.
 * Pure functions, no I/O (docs/protocol.md, "Joining by invite").
 *
 * An invite code carries 18 bytes: the first 8 bytes of the mesh id and a
 * 10-byte random secret. It is written in Crockford base32 (29 characters,
 * digits and capitals without I, L, O, U), in groups of five joined by '-';
 * decoding ignores case and '-', and reads O as 0 and I, L as 1.
 *
 * From the secret both ends derive
 *   id  = BLAKE2b-128("buurt-invite-id-v1" || secret)   names the invite
 *   key = BLAKE2b-256("buurt-invite-key-v1" || secret)  proves knowing it
 * The inviting node stores id and key, never the secret.
 *
 *   JOIN   [6, version, mesh_prefix: bin(8), id: bin(16), node: bin(32),
 *           name: str, proof: bin(32)]
 *          proof = BLAKE2b-256 keyed with key over
 *          "buurt-join-v1" || node || client CURVE key || server CURVE key
 *   JOINED [7, status, mesh: bin(32), mesh_name: str, certs: [edit: bin...],
 *           text: str]
 *          status 0 = admitted; certs then hold every membership certificate
 *          and the mesh settings record of the inviting node's store.
 */
#ifndef BUURT_INVITE_H
#define BUURT_INVITE_H

#include "proto/util.h"

#include <stdbool.h>
#include <stdint.h>

#define INVITE_SECRET_LEN 10
#define INVITE_PREFIX_LEN 8
#define INVITE_CODE_LEN 35 /* 29 characters + 5 dashes, plus NUL */

enum { MSG_JOIN = 6, MSG_JOINED = 7 };

typedef enum {
    JOIN_OK = 0,
    JOIN_UNKNOWN = 1,   /* no such invite on that node */
    JOIN_USED = 2,
    JOIN_EXPIRED = 3,
    JOIN_BAD_PROOF = 4,
    JOIN_WRONG_MESH = 5,
    JOIN_REFUSED = 6,   /* the inviting node cannot admit (no longer admin) */
} join_status_t;

typedef struct {
    uint8_t mesh_prefix[INVITE_PREFIX_LEN];
    uint8_t secret[INVITE_SECRET_LEN];
} invite_code_t;

/* Writes the code's text (INVITE_CODE_LEN bytes with NUL). */
void invite_code_format(const invite_code_t *c, char out[INVITE_CODE_LEN]);
/* Parses a code; BU_EINVAL on a wrong length or character. */
int invite_code_parse(const char *text, invite_code_t *out);

void invite_derive(const uint8_t secret[INVITE_SECRET_LEN], uint8_t id[16], uint8_t key[32]);
void invite_proof(const uint8_t key[32], const uint8_t node[32], const uint8_t client_curve[32],
                  const uint8_t server_curve[32], uint8_t out[32]);

typedef struct {
    uint8_t mesh_prefix[INVITE_PREFIX_LEN];
    uint8_t id[16];
    uint8_t node[32];
    char name[121];
    uint8_t proof[32];
} join_msg_t;

void invite_join_encode(const join_msg_t *m, buf_t *out);
int invite_join_decode(const uint8_t *data, size_t len, join_msg_t *out);

typedef struct {
    int status;
    uint8_t mesh[32];
    char mesh_name[121];
    char text[201];
    buf_t *certs;   /* ncerts wire edits (owned) */
    size_t ncerts;
} joined_msg_t;

/* certs: n edits as (data, len) pairs */
void invite_joined_encode(int status, const uint8_t mesh[32], const char *mesh_name,
                          const uint8_t *const *certs, const size_t *lens, size_t n,
                          const char *text, buf_t *out);
int invite_joined_decode(const uint8_t *data, size_t len, joined_msg_t *out);
void invite_joined_free(joined_msg_t *m);

#endif
