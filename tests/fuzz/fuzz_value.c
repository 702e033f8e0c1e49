/*
 * fuzz_value.c -- pv_decode on arbitrary bytes (proto/value.h).
 *
 * Properties: a refusal leaves *out NULL and is one of the documented
 * codes; what is accepted re-encodes to exactly the input (canonical form)
 * and survives pv_dup, pv_pack and JSON output; the work of a decode
 * (values built, keys compared) never exceeds the input size.
 */
#include "proto/err.h"
#include "proto/value.h"
#include "tests/fuzz/fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pv_t *v = (pv_t *)1;
    pv_work_t w;
    int rc = pv_decode_work(data, size, PV_MAX_INPUT, &v, &w);
    FUZZ_CHECK(w.built <= size && w.compared <= size);
    if (rc < 0) {
        FUZZ_CHECK(v == NULL);
        FUZZ_CHECK(rc == BU_ETRUNC || rc == BU_EINVAL || rc == BU_ECANON || rc == BU_ETOOBIG);
        return 0;
    }
    FUZZ_CHECK(rc == 0 && v != NULL);
    buf_t again = {0}, json = {0};
    pv_encode(v, &again);
    FUZZ_CHECK(again.len == size && memcmp(again.data, data, size) == 0);
    pv_t *dup = pv_dup(v), *pack = pv_pack(v);
    FUZZ_CHECK(pv_equal(v, dup) && pv_equal(v, pack));
    pv_to_json(v, &json);
    FUZZ_CHECK(json.len > 0);
    pv_free(&pack);
    pv_free(&dup);
    pv_free(&v);
    buf_free(&again);
    buf_free(&json);
    return 0;
}
