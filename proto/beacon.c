/*
 * beacon.c -- encode and decode LAN beacons (see beacon.h).
 */
#include "proto/beacon.h"
#include "proto/err.h"
#include "proto/msg.h"

#include <string.h>

void beacon_encode(const beacon_t *b, uint8_t out[BEACON_LEN])
{
    memcpy(out, BEACON_MAGIC, 6);
    out[6] = PROTO_VERSION;
    memcpy(out + 7, b->mesh, 32);
    memcpy(out + 39, b->node, 32);
    out[71] = (uint8_t)(b->port >> 8);
    out[72] = (uint8_t)(b->port & 0xff);
}

int beacon_decode(const uint8_t *data, size_t len, beacon_t *b)
{
    if (len != BEACON_LEN || memcmp(data, BEACON_MAGIC, 6) != 0 || data[6] != PROTO_VERSION)
        return BU_EINVAL;
    memcpy(b->mesh, data + 7, 32);
    memcpy(b->node, data + 39, 32);
    b->port = (uint16_t)(data[71] << 8 | data[72]);
    return 0;
}
