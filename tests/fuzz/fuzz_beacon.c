/*
 * fuzz_beacon.c -- beacon_open and beacon_invite_open on arbitrary
 * datagrams (proto/beacon.h), with the mesh and invite key of the seeds
 * (tests/fuzz/seeds.c).
 *
 * Property: a datagram opens only when it has the documented length and
 * magic, and what opens seals and opens again to the same fields.
 */
#include "proto/beacon.h"
#include "tests/fuzz/fuzz.h"

#include <sodium.h>
#include <string.h>

static uint8_t s_mesh[32], s_key[32], s_ikey[32];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        abort();
    uint8_t ik[32];
    for (int i = 0; i < 32; i++) {
        s_mesh[i] = (uint8_t)(0x40 + i);
        ik[i] = (uint8_t)(0x60 + i);
    }
    beacon_key(s_mesh, s_key);
    beacon_invite_key(ik, s_ikey);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    beacon_t b, again;
    if (beacon_open(s_mesh, s_key, data, size, &b) == 0)
        FUZZ_CHECK(size == BEACON_LEN && memcmp(data, BEACON_MAGIC, 6) == 0);
    if (beacon_invite_open(s_ikey, data, size, &b) == 0) {
        FUZZ_CHECK(size == BEACON_INVITE_LEN && memcmp(data, BEACON_INVITE_MAGIC, 6) == 0);
        uint8_t w[BEACON_INVITE_LEN];
        beacon_invite_seal(s_ikey, &b, w);
        FUZZ_CHECK(beacon_invite_open(s_ikey, w, sizeof w, &again) == 0 &&
                   memcmp(&b, &again, sizeof b) == 0);
    }
    return 0;
}
