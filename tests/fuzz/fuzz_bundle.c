/*
 * fuzz_bundle.c -- the bundle reader on arbitrary bytes (node/bundle.h).
 *
 * Properties, for whatever bundle_read accepts: every item is a valid
 * store frame that lies inside the input, items and damaged ranges are in
 * order and do not overlap, and the head, the items, the damaged ranges
 * and the end frames (68 bytes each) account for every byte of the input;
 * the mesh is known exactly when the head or an end frame is intact; a
 * refusal comes with a cause. Reading the same bytes again gives the same
 * result. No repo: applying is the ingest path, fuzzed through fuzz_edit.
 */
#include "node/bundle.h"
#include "tests/fuzz/fuzz.h"

#include <string.h>

#define S_END_FRAME (STORE_FRAME_HDR + BUNDLE_END_LEN)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bundle_t b;
    char *cause = NULL;
    if (bundle_read(data, size, &b, &cause) < 0) {
        FUZZ_CHECK(cause != NULL);
        free(cause);
        return 0;
    }
    FUZZ_CHECK(cause == NULL);
    uint64_t covered = b.head_ok ? BUNDLE_HEAD_LEN : 0, last = covered;
    size_t d = 0;
    for (size_t i = 0; i < b.nitems; i++) {
        const bundle_item_t *it = &b.items[i];
        FUZZ_CHECK(it->off >= last);
        FUZZ_CHECK(it->off + STORE_FRAME_HDR + it->len <= size);
        FUZZ_CHECK(it->data == data + it->off + STORE_FRAME_HDR);
        FUZZ_CHECK(store_frame_at(data + it->off, size - it->off) == it->len);
        while (d < b.ndamage && b.damage[d].to <= it->off)
            d++;
        FUZZ_CHECK(d == b.ndamage || b.damage[d].from >= it->off + STORE_FRAME_HDR + it->len);
        last = it->off + STORE_FRAME_HDR + it->len;
        covered += STORE_FRAME_HDR + it->len;
    }
    uint64_t dmg = 0;
    for (size_t i = 0; i < b.ndamage; i++) {
        FUZZ_CHECK(b.damage[i].from < b.damage[i].to && b.damage[i].to <= size);
        FUZZ_CHECK(i == 0 || b.damage[i - 1].to < b.damage[i].from);
        dmg += b.damage[i].to - b.damage[i].from;
    }
    FUZZ_CHECK(dmg == b.damaged_bytes);
    covered += dmg;
    FUZZ_CHECK(covered <= size && (size - covered) % S_END_FRAME == 0);
    FUZZ_CHECK(b.ended == (size - covered > 0));
    FUZZ_CHECK(b.have_mesh == (b.head_ok || b.ended));
    bundle_t again;
    FUZZ_CHECK(bundle_read(data, size, &again, NULL) == 0);
    FUZZ_CHECK(again.nitems == b.nitems && again.ndamage == b.ndamage &&
               again.ended == b.ended && again.declared == b.declared);
    bundle_clear(&again);
    bundle_clear(&b);
    return 0;
}
