/*
 * fuzz_invite.c -- every decoder of proto/invite.h on arbitrary bytes:
 * invite_code_parse (the input as text, up to its first NUL),
 * invite_join_decode and invite_joined_decode.
 *
 * Properties: a parsed code formats to 29 characters in groups of five
 * that parse back to the same code; an accepted JOIN or JOINED re-encodes
 * to exactly the input, with its strings NUL-terminated within their
 * fields; a refused one leaves nothing allocated.
 */
#include "proto/invite.h"
#include "tests/fuzz/fuzz.h"

#include <string.h>

static void s_code(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    invite_code_t c, again;
    if (invite_code_parse(text, &c) == 0) {
        char out[INVITE_CODE_LEN];
        invite_code_format(&c, out);
        FUZZ_CHECK(strlen(out) == INVITE_CODE_LEN - 1);
        for (int i = 5; i < INVITE_CODE_LEN - 1; i += 6)
            FUZZ_CHECK(out[i] == '-');
        FUZZ_CHECK(invite_code_parse(out, &again) == 0);
        FUZZ_CHECK(memcmp(&c, &again, sizeof c) == 0);
    }
    free(text);
}

static void s_join(const uint8_t *data, size_t size)
{
    join_msg_t m;
    if (invite_join_decode(data, size, &m) < 0)
        return;
    FUZZ_CHECK(memchr(m.name, '\0', sizeof m.name) != NULL && m.name[0] != '\0');
    buf_t b = {0};
    invite_join_encode(&m, &b);
    FUZZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
    buf_free(&b);
}

static void s_joined(const uint8_t *data, size_t size)
{
    joined_msg_t m;
    if (invite_joined_decode(data, size, &m) < 0) {
        FUZZ_CHECK(m.certs == NULL && m.ncerts == 0);
        return;
    }
    FUZZ_CHECK(memchr(m.mesh_name, '\0', sizeof m.mesh_name) != NULL);
    FUZZ_CHECK(memchr(m.text, '\0', sizeof m.text) != NULL);
    const uint8_t **certs = calloc(m.ncerts + 1, sizeof *certs);
    size_t *lens = calloc(m.ncerts + 1, sizeof *lens);
    FUZZ_CHECK(certs != NULL && lens != NULL);
    for (size_t i = 0; i < m.ncerts; i++) {
        certs[i] = m.certs[i].data;
        lens[i] = m.certs[i].len;
    }
    buf_t b = {0};
    invite_joined_encode(m.status, m.mesh, m.mesh_name, certs, lens, m.ncerts, m.text, &b);
    FUZZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
    buf_free(&b);
    free(certs);
    free(lens);
    invite_joined_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_code(data, size);
    s_join(data, size);
    s_joined(data, size);
    return 0;
}
