/*
 * key.h -- the node's identity: one Ed25519 key pair in `<home>/node.key`.
 *
 * The node id is the public key as 64 lowercase hex digits. The CURVE
 * (X25519) keys used by the transport are derived from this key with
 * libsodium, so one fingerprint names a node everywhere. The key file is
 * created with mode 0600 and refused when group or others can read it.
 *
 * File format: one line "buurt-ed25519-sk <128 hex digits>\n" holding the
 * 64-byte libsodium secret key (seed followed by public key).
 */
#ifndef BUURT_KEY_H
#define BUURT_KEY_H

#include <stdint.h>

typedef struct {
    uint8_t sk[64]; /* libsodium Ed25519 secret key: seed || public key */
    uint8_t pk[32];
    char id[65];    /* pk as hex */
} nodekey_t;

/* Creates a new key file at path (fails with BU_EEXIST when it exists). */
int key_create(const char *path, nodekey_t *out, char **cause);

/* Loads the key file at path; BU_EPERM with a chmod hint when its mode lets
 * group or others read it, BU_ENOENT when missing, BU_EINVAL when damaged. */
int key_load(const char *path, nodekey_t *out, char **cause);

/* Derives X25519 (CURVE) keys from the Ed25519 key. */
int key_curve(const nodekey_t *k, uint8_t curve_pk[32], uint8_t curve_sk[32]);

/* Derives the X25519 public key of a node id's Ed25519 public key. */
int key_curve_pk(const uint8_t ed_pk[32], uint8_t curve_pk[32]);

#endif
