/*
 * tamper.c -- test helper for tests/mesh.sh: stores a forged copy of a
 * node's last edit.
 *
 * usage: tamper HOME
 *
 * Opens HOME/store (the node's daemon must be stopped: the store is
 * locked), copies the last record, flips one bit inside its signature (the
 * last 64 bytes of an edit are the Ed25519 signature, so the framing and
 * the msgpack layout stay valid) and appends the copy as a new record.
 * Prints the id of the new record in hex on stdout. Exit 0 on success,
 * 1 on failure, 2 on a usage error.
 */
#include "node/store.h"
#include "proto/err.h"
#include "proto/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tamper HOME\n");
        return 2;
    }
    char path[4096];
    if (snprintf(path, sizeof path, "%s/store", argv[1]) >= (int)sizeof path) {
        fprintf(stderr, "tamper: home path too long\n");
        return 2;
    }
    store_t *st = NULL;
    char *cause = NULL;
    int rc = store_open(path, &st, NULL, &cause);
    if (rc < 0) {
        fprintf(stderr, "tamper: cannot open %s: %s\n", path, cause ? cause : bu_strerror(rc));
        free(cause);
        return 1;
    }
    size_t n = store_count(st);
    if (n == 0) {
        fprintf(stderr, "tamper: %s holds no records\n", path);
        store_close(&st);
        return 1;
    }
    buf_t last = {0};
    if (store_read(st, n - 1, &last) != 0) {
        fprintf(stderr, "tamper: cannot read the last record of %s: %s\n", path,
                strerror(errno));
        store_close(&st);
        return 1;
    }
    if (last.len <= 64) {
        fprintf(stderr, "tamper: last record is too short (%zu bytes)\n", last.len);
        buf_free(&last);
        store_close(&st);
        return 1;
    }
    size_t len = last.len;
    last.data[len - 32] ^= 0x01; /* inside the signature's second half */
    uint8_t id[STORE_ID_LEN];
    rc = store_put(st, last.data, len, id, &cause);
    buf_free(&last);
    if (rc != 1) {
        fprintf(stderr, "tamper: store_put returned %d: %s\n", rc,
                cause ? cause : (rc < 0 ? bu_strerror(rc) : "record already stored"));
        free(cause);
        store_close(&st);
        return 1;
    }
    for (size_t i = 0; i < STORE_ID_LEN; i++)
        printf("%02x", id[i]);
    printf("\n");
    store_close(&st);
    return 0;
}
