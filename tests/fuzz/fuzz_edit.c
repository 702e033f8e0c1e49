/*
 * fuzz_edit.c -- edit_decode (with and without EDIT_VERIFY, EDIT_TRUSTED,
 * EDIT_CREATING) and edit_peek on arbitrary bytes (proto/edit.h).
 *
 * Properties: a refusal leaves *out NULL and gives a cause; the stricter
 * flags accept a subset of what the laxer accept (VERIFY or CREATING
 * implies plain, plain implies TRUSTED); every accepted edit has the id
 * BLAKE2b(wire) in each mode, and edit_peek, which the store index trusts,
 * reads the same kind, entity, author and clock from its bytes. The outer
 * [body, signature], read without the value codec when it has its
 * canonical form, is accepted only where pv_decode accepts it, and input
 * pv_decode refuses fails with pv_decode's error.
 */
#include "proto/edit.h"
#include "proto/err.h"
#include "tests/fuzz/fuzz.h"

#include <sodium.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    FUZZ_CHECK(sodium_init() >= 0);
    return 0;
}

static int s_decode(const uint8_t *data, size_t size, unsigned flags, edit_t **e)
{
    char *cause = NULL;
    *e = (edit_t *)1;
    int rc = edit_decode(data, size, flags, e, &cause);
    if (rc < 0) {
        FUZZ_CHECK(*e == NULL);
        FUZZ_CHECK(cause != NULL && cause[0] != '\0');
    } else {
        FUZZ_CHECK(rc == 0 && *e != NULL && (*e)->fields != NULL);
        FUZZ_CHECK((*e)->fields->type == PV_MAP);
    }
    free(cause);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    edit_t *plain, *verified, *trusted, *creating;
    int rp = s_decode(data, size, 0, &plain);
    int rv = s_decode(data, size, EDIT_VERIFY, &verified);
    int rt = s_decode(data, size, EDIT_TRUSTED, &trusted);
    int rc = s_decode(data, size, EDIT_CREATING, &creating);
    FUZZ_CHECK(rv < 0 || rp == 0);
    FUZZ_CHECK(rc < 0 || rp == 0);
    FUZZ_CHECK(rp < 0 || rt == 0);
    if (size <= EDIT_MAX_WIRE) {
        pv_t *o = NULL;
        int ro = pv_decode(data, size, &o);
        if (rt == 0)
            FUZZ_CHECK(ro == 0);
        if (ro < 0)
            FUZZ_CHECK(rt == ro);
        pv_free(&o);
    }
    edit_head_t h;
    int rh = edit_peek(data, size, &h);
    if (rt == 0) {
        uint8_t id[32];
        crypto_generichash(id, 32, data, size, NULL, 0);
        FUZZ_CHECK(memcmp(trusted->id, id, 32) == 0);
        FUZZ_CHECK(rh == 0);
        FUZZ_CHECK(h.kind == trusted->kind && h.hlc == trusted->hlc);
        FUZZ_CHECK(memcmp(h.entity, trusted->entity, 32) == 0);
        FUZZ_CHECK(memcmp(h.author, trusted->author, 32) == 0);
        FUZZ_CHECK(trusted->hlc <= INT64_MAX);
    }
    if (rp == 0)
        FUZZ_CHECK(edit_cmp(plain, trusted) == 0 && pv_equal(plain->fields, trusted->fields));
    if (rv == 0)
        FUZZ_CHECK(edit_cmp(verified, plain) == 0);
    if (rc == 0)
        FUZZ_CHECK(edit_cmp(creating, plain) == 0);
    edit_free(&plain);
    edit_free(&verified);
    edit_free(&trusted);
    edit_free(&creating);
    return 0;
}
