/*
 * fuzz_control.c -- ctl_decode on arbitrary frames (proto/control.h), the
 * control protocol buurtd reads from its local socket.
 *
 * Property: a frame accepted as a control message, encoded again by the
 * encoder of its type, decodes to the same fields.
 */
#include "proto/control.h"
#include "tests/fuzz/fuzz.h"

#include <string.h>

static void s_same(const ctl_msg_t *a, const ctl_msg_t *b)
{
    FUZZ_CHECK(a->type == b->type);
    switch (a->type) {
    case CTL_EXEC:
        FUZZ_CHECK(a->argc == b->argc && a->json == b->json && a->now_ms == b->now_ms &&
                   a->width == b->width);
        for (int i = 0; i < a->argc; i++)
            FUZZ_CHECK(strcmp(a->argv[i], b->argv[i]) == 0);
        FUZZ_CHECK(a->argv[a->argc] == NULL);
        break;
    case CTL_SYNC: FUZZ_CHECK(a->wait == b->wait && a->timeout_ms == b->timeout_ms); break;
    case CTL_OUT:
        FUZZ_CHECK(a->stream == b->stream && a->len == b->len &&
                   (a->len == 0 || memcmp(a->data, b->data, a->len) == 0));
        break;
    case CTL_RESULT: FUZZ_CHECK(a->code == b->code); break;
    case CTL_PEERS_REPLY: FUZZ_CHECK(pv_equal(a->peers, b->peers) && pv_equal(a->node, b->node)); break;
    case CTL_SYNCED:
        FUZZ_CHECK(a->npeers == b->npeers && a->synced == b->synced && a->pending == b->pending);
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ctl_msg_t m, again;
    if (ctl_decode(data, size, &m) < 0)
        return 0;
    buf_t b = {0};
    switch (m.type) {
    case CTL_EXEC: ctl_exec(&b, m.argc, m.argv, m.json, m.now_ms, m.width); break;
    case CTL_PEERS: ctl_peers(&b); break;
    case CTL_SYNC: ctl_sync(&b, m.wait, m.timeout_ms); break;
    case CTL_OUT: ctl_out(&b, m.stream, m.data, m.len); break;
    case CTL_RESULT: ctl_result(&b, m.code); break;
    case CTL_PEERS_REPLY: ctl_peers_reply(&b, m.peers, m.node); break;
    case CTL_SYNCED: ctl_synced(&b, m.npeers, m.synced, m.pending); break;
    }
    FUZZ_CHECK(ctl_decode(b.data, b.len, &again) == 0);
    s_same(&m, &again);
    ctl_clear(&again);
    ctl_clear(&m);
    buf_free(&b);
    return 0;
}
