/*
 * beacon.c -- seal and open LAN beacons (see beacon.h).
 */
#include "proto/beacon.h"
#include "proto/err.h"
#include "proto/util.h"

#include <sodium.h>
#include <string.h>

#define DOMAIN "buurt-beacon-v1"
#define INVITE_DOMAIN "buurt-invite-beacon-v1"
#define NONCE BEACON_NONCE_LEN
#define MAC 16
#define BODY 38 /* node, port, address */

void beacon_key(const uint8_t mesh[32], uint8_t key[32])
{
    crypto_generichash(key, 32, mesh, 32, (const uint8_t *)DOMAIN, sizeof DOMAIN - 1);
}

void beacon_invite_key(const uint8_t invite_key[32], uint8_t key[32])
{
    crypto_generichash(key, 32, invite_key, 32, (const uint8_t *)INVITE_DOMAIN,
                       sizeof INVITE_DOMAIN - 1);
}

static void s_body(const beacon_t *b, uint8_t out[BODY])
{
    memcpy(out, b->node, 32);
    be16_store(out + 32, b->port);
    memcpy(out + 34, b->addr, 4);
}

static void s_unbody(const uint8_t in[BODY], beacon_t *b)
{
    memcpy(b->node, in, 32);
    b->port = be16_load(in + 32);
    memcpy(b->addr, in + 34, 4);
}

/* What the sender signs: domain, mesh, port, address. */
static void s_signed(const uint8_t mesh[32], const uint8_t body[BODY], uint8_t out[15 + 32 + 6])
{
    memcpy(out, DOMAIN, 15);
    memcpy(out + 15, mesh, 32);
    memcpy(out + 47, body + 32, 6);
}

static void s_seal(const char *magic, const uint8_t key[32], const uint8_t *pt, size_t n,
                   const uint8_t nonce[NONCE], uint8_t *out)
{
    memcpy(out, magic, 6);
    memcpy(out + 6, nonce, NONCE);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 6 + NONCE, NULL, pt, n, (const uint8_t *)magic,
                                               6, NULL, out + 6, key);
}

static int s_open(const char *magic, const uint8_t key[32], const uint8_t *data, size_t len,
                  size_t want, uint8_t *pt)
{
    if (len != want || memcmp(data, magic, 6) != 0)
        return BU_EINVAL;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, data + 6 + NONCE,
                                                   len - 6 - NONCE, data, 6, data + 6, key) != 0)
        return BU_EINVAL;
    return 0;
}

void beacon_seal_with_nonce(const uint8_t mesh[32], const uint8_t key[32], const uint8_t sk[64],
                            const beacon_t *b, const uint8_t nonce[BEACON_NONCE_LEN],
                            uint8_t out[BEACON_LEN])
{
    uint8_t pt[BODY + 64], msg[53];
    s_body(b, pt);
    s_signed(mesh, pt, msg);
    crypto_sign_detached(pt + BODY, NULL, msg, sizeof msg, sk);
    s_seal(BEACON_MAGIC, key, pt, sizeof pt, nonce, out);
}

void beacon_seal(const uint8_t mesh[32], const uint8_t key[32], const uint8_t sk[64],
                 const beacon_t *b, uint8_t out[BEACON_LEN])
{
    uint8_t nonce[NONCE];
    randombytes_buf(nonce, NONCE);
    beacon_seal_with_nonce(mesh, key, sk, b, nonce, out);
}

int beacon_open(const uint8_t mesh[32], const uint8_t key[32], const uint8_t *data, size_t len,
                beacon_t *b)
{
    uint8_t pt[BODY + 64], msg[53];
    if (s_open(BEACON_MAGIC, key, data, len, BEACON_LEN, pt) < 0)
        return BU_EINVAL;
    s_signed(mesh, pt, msg);
    if (crypto_sign_verify_detached(pt + BODY, msg, sizeof msg, pt) != 0)
        return BU_EINVAL; /* pt starts with the node id: the signer */
    s_unbody(pt, b);
    return 0;
}

void beacon_invite_seal_with_nonce(const uint8_t key[32], const beacon_t *b,
                                   const uint8_t nonce[BEACON_NONCE_LEN],
                                   uint8_t out[BEACON_INVITE_LEN])
{
    uint8_t pt[BODY];
    s_body(b, pt);
    s_seal(BEACON_INVITE_MAGIC, key, pt, sizeof pt, nonce, out);
}

void beacon_invite_seal(const uint8_t key[32], const beacon_t *b, uint8_t out[BEACON_INVITE_LEN])
{
    uint8_t nonce[NONCE];
    randombytes_buf(nonce, NONCE);
    beacon_invite_seal_with_nonce(key, b, nonce, out);
}

int beacon_invite_open(const uint8_t key[32], const uint8_t *data, size_t len, beacon_t *b)
{
    uint8_t pt[BODY];
    if (s_open(BEACON_INVITE_MAGIC, key, data, len, BEACON_INVITE_LEN, pt) < 0)
        return BU_EINVAL;
    s_unbody(pt, b);
    return 0;
}
