/*
 * fuzz_msg.c -- msg_decode on arbitrary frames (proto/msg.h).
 *
 * Properties: a refusal leaves the message empty; an accepted message keeps
 * every limit of msg.h (MSG_MAX_RANGES, MSG_MAX_IDS, MSG_MAX_EDITS, bounds
 * increasing and ending at infinity, EDITS blobs inside the frame), and
 * RECON, WANT, ANNOUNCE, EDITS and PING re-encode to exactly the frame; a ZEDITS
 * holds an EDITS that re-encodes to exactly its decompressed bytes, its
 * blobs inside them, and never more than MSG_MAX_BYTES (one made against
 * a link history is opened with the input as that history); a HELLO's
 * fields are the values on the wire (it may also carry extension keys a
 * node ignores, so it is not re-encoded).
 */
#include "proto/msg.h"
#include "proto/value.h"
#include "tests/fuzz/fuzz.h"

#include <string.h>

static void s_same(const buf_t *b, const uint8_t *data, size_t size)
{
    FUZZ_CHECK(b->len == size && memcmp(b->data, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msg_t m;
    if (msg_decode(data, size, &m) < 0) {
        msg_t zero;
        memset(&zero, 0, sizeof zero);
        FUZZ_CHECK(memcmp(&m, &zero, sizeof m) == 0);
        return 0;
    }
    buf_t b = {0};
    switch (m.type) {
    case MSG_HELLO: {
        /* what was read is what was sent */
        pv_t *v = NULL;
        FUZZ_CHECK(pv_decode(data, size, &v) == 0);
        const pv_t *const *it = (const pv_t *const *)v->u.a.items;
        FUZZ_CHECK(m.version == it[1]->u.i);
        FUZZ_CHECK(m.name != NULL && strlen(m.name) <= 120 && strcmp(m.name, it[3]->u.s.p) == 0);
        const pv_t *t = v->u.a.n == 5 ? pv_map_get(it[4], "time") : NULL;
        FUZZ_CHECK(t ? m.time_ms == t->u.i : m.time_ms == -1);
        pv_free(&v);
        break;
    }
    case MSG_RECON:
        FUZZ_CHECK(m.nranges <= MSG_MAX_RANGES);
        for (size_t i = 0; i < m.nranges; i++) {
            const range_t *r = &m.ranges[i];
            FUZZ_CHECK(r->upper.len <= 32 && r->upper.hlc <= MSG_INF_HLC);
            FUZZ_CHECK(r->mode != RANGE_IDS || r->nids <= MSG_MAX_IDS);
            if (i > 0) {
                /* the previous bound, as an item, lies below this bound */
                const bound_t *a = &m.ranges[i - 1].upper;
                uint8_t id[32] = {0};
                memcpy(id, a->prefix, a->len);
                FUZZ_CHECK(bound_cmp_item(&r->upper, a->hlc, id) < 0);
            }
        }
        if (m.nranges > 0)
            FUZZ_CHECK(m.ranges[m.nranges - 1].upper.hlc == MSG_INF_HLC &&
                       m.ranges[m.nranges - 1].upper.len == 0);
        msg_recon(&b, m.ranges, m.nranges);
        s_same(&b, data, size);
        break;
    case MSG_WANT:
        FUZZ_CHECK(m.nids <= MSG_MAX_IDS);
        msg_want(&b, (const uint8_t(*)[32])m.ids, m.nids);
        s_same(&b, data, size);
        break;
    case MSG_ANNOUNCE:
        FUZZ_CHECK(m.nids <= MSG_MAX_IDS);
        msg_announce(&b, (const uint8_t(*)[32])m.ids, m.nids);
        s_same(&b, data, size);
        break;
    case MSG_EDITS:
        FUZZ_CHECK(m.nedits <= MSG_MAX_EDITS);
        for (size_t i = 0; i < m.nedits; i++)
            FUZZ_CHECK(m.edits[i].data >= data &&
                       m.edits[i].data + m.edits[i].len <= data + size);
        msg_edits(&b, m.edits, m.nedits, m.reply);
        s_same(&b, data, size);
        break;
    case MSG_ZEDITS:
        if (m.zhist) {
            /* left closed: its frame lies inside the input; opened with a
             * history of the named total, the input itself as the prefix */
            FUZZ_CHECK(m.z > data && m.z + m.zlen < data + size && m.plain == NULL && m.nedits == 0);
            msg_hist_t h = {0};
            msg_hist_add(&h, data, size);
            h.total = m.zhist_total;
            int rc = msg_zedits_open(&m, &h);
            msg_hist_free(&h);
            if (rc < 0) {
                FUZZ_CHECK(m.plain == NULL && m.nedits == 0);
                break;
            }
        }
        FUZZ_CHECK(m.nedits <= MSG_MAX_EDITS && m.plain && m.plain_len <= MSG_MAX_BYTES);
        for (size_t i = 0; i < m.nedits; i++)
            FUZZ_CHECK(m.edits[i].data >= m.plain &&
                       m.edits[i].data + m.edits[i].len <= m.plain + m.plain_len);
        msg_edits(&b, m.edits, m.nedits, m.reply);
        s_same(&b, m.plain, m.plain_len);
        break;
    case MSG_PING:
        msg_ping(&b);
        s_same(&b, data, size);
        break;
    default:
        FUZZ_CHECK(!"msg_decode accepted an unknown type");
    }
    buf_free(&b);
    msg_clear(&m);
    return 0;
}
