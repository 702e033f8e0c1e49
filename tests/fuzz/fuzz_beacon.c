/*
 * fuzz_beacon.c -- beacon_decode on arbitrary datagrams (proto/beacon.h).
 *
 * Property: a datagram accepted as a beacon is exactly what beacon_encode
 * writes for the decoded fields.
 */
#include "proto/beacon.h"
#include "tests/fuzz/fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    beacon_t b;
    if (beacon_decode(data, size, &b) < 0)
        return 0;
    uint8_t again[BEACON_LEN];
    beacon_encode(&b, again);
    FUZZ_CHECK(size == BEACON_LEN && memcmp(again, data, BEACON_LEN) == 0);
    return 0;
}
