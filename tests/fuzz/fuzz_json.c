/*
 * fuzz_json.c -- json_parse on arbitrary bytes (proto/json.h).
 *
 * Properties: a refusal leaves *out NULL with a cause that names a line;
 * what is accepted is no deeper than JSON_MAX_DEPTH, no object has more
 * than JSON_MAX_MEMBERS members or a name twice, every string and name is
 * valid UTF-8 without NUL, and every number matches the grammar's first
 * character.
 */
#include "proto/err.h"
#include "proto/json.h"
#include "proto/util.h"
#include "tests/fuzz/fuzz.h"

#include <string.h>

static bool s_utf8(const char *s)
{
    while (*s) {
        uint32_t cp;
        size_t n = utf8_decode(s, &cp);
        if (n == 0)
            return false;
        s += n;
    }
    return true;
}

static void s_walk(const json_t *v, int depth)
{
    FUZZ_CHECK(depth <= JSON_MAX_DEPTH + 1);
    switch (v->type) {
    case JSON_STR:
        FUZZ_CHECK(v->s && s_utf8(v->s));
        break;
    case JSON_NUM:
        FUZZ_CHECK(v->s && (v->s[0] == '-' || (v->s[0] >= '0' && v->s[0] <= '9')));
        break;
    case JSON_OBJ:
        FUZZ_CHECK(v->n <= JSON_MAX_MEMBERS);
        for (size_t i = 0; i < v->n; i++) {
            FUZZ_CHECK(s_utf8(v->keys[i]));
            FUZZ_CHECK(json_get(v, v->keys[i]) == v->items[i]); /* names are unique */
        }
        /* fall through */
    case JSON_ARR:
        for (size_t i = 0; i < v->n; i++)
            s_walk(v->items[i], depth + 1);
        break;
    default:
        FUZZ_CHECK(v->s == NULL && v->n == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = (json_t *)1;
    char *cause = NULL;
    int rc = json_parse((const char *)data, size, &v, &cause);
    if (rc < 0) {
        FUZZ_CHECK(rc == BU_EINVAL && v == NULL);
        FUZZ_CHECK(cause && strncmp(cause, "line ", 5) == 0);
        free(cause);
        return 0;
    }
    FUZZ_CHECK(rc == 0 && v != NULL && cause == NULL);
    s_walk(v, 1);
    json_destroy(&v);
    FUZZ_CHECK(v == NULL);
    return 0;
}
