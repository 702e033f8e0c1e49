/*
 * key.c -- create, load and derive the node key (see key.h).
 */
#include "node/key.h"
#include "proto/err.h"
#include "proto/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_TAG "buurt-ed25519-sk "

static void s_fill(nodekey_t *k)
{
    memcpy(k->pk, k->sk + 32, 32);
    hex_encode(k->pk, 32, k->id);
}

int key_create(const char *path, nodekey_t *out, char **cause)
{
    if (sodium_init() < 0)
        return bu_fail(cause, BU_EIO, "cannot initialise libsodium");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return bu_fail(cause, errno == EEXIST ? BU_EEXIST : BU_EIO, "cannot create %s: %s", path,
                       strerror(errno));
    crypto_sign_keypair(out->sk + 32, out->sk);
    s_fill(out);
    char hex[129];
    hex_encode(out->sk, 64, hex);
    char line[160];
    int n = snprintf(line, sizeof line, KEY_TAG "%s\n", hex);
    sodium_memzero(hex, sizeof hex);
    int rc = 0;
    if (write(fd, line, (size_t)n) != n || fsync(fd) != 0)
        rc = bu_fail(cause, BU_EIO, "cannot write %s: %s", path, strerror(errno));
    sodium_memzero(line, sizeof line);
    close(fd);
    if (rc < 0)
        unlink(path);
    return rc;
}

int key_load(const char *path, nodekey_t *out, char **cause)
{
    if (sodium_init() < 0)
        return bu_fail(cause, BU_EIO, "cannot initialise libsodium");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bu_fail(cause, errno == ENOENT ? BU_ENOENT : BU_EIO, "cannot open %s: %s", path,
                       strerror(errno));
    struct stat st;
    int rc = 0;
    char line[200] = {0};
    if (fstat(fd, &st) != 0) {
        rc = bu_fail(cause, BU_EIO, "cannot stat %s: %s", path, strerror(errno));
        goto done;
    }
    if (st.st_mode & 077) {
        rc = bu_fail(cause, BU_EPERM,
                     "key file %s is readable by others (mode %03o); run: chmod 600 %s", path,
                     (unsigned)(st.st_mode & 0777), path);
        goto done;
    }
    ssize_t n = read(fd, line, sizeof line - 1);
    size_t tl = strlen(KEY_TAG);
    if (n < (ssize_t)(tl + 128) || strncmp(line, KEY_TAG, tl) != 0) {
        rc = bu_fail(cause, BU_EINVAL, "key file %s is damaged", path);
        goto done;
    }
    line[tl + 128] = '\0';
    if (hex_decode(line + tl, out->sk, 64) < 0) {
        rc = bu_fail(cause, BU_EINVAL, "key file %s is damaged", path);
        goto done;
    }
    /* The public half must match the seed. */
    uint8_t pk[32], sk[64];
    crypto_sign_seed_keypair(pk, sk, out->sk);
    if (memcmp(pk, out->sk + 32, 32) != 0) {
        rc = bu_fail(cause, BU_EINVAL, "key file %s is damaged (key halves differ)", path);
        goto done;
    }
    sodium_memzero(sk, sizeof sk);
    s_fill(out);
done:
    sodium_memzero(line, sizeof line);
    close(fd);
    return rc;
}

int key_curve(const nodekey_t *k, uint8_t curve_pk[32], uint8_t curve_sk[32])
{
    if (crypto_sign_ed25519_pk_to_curve25519(curve_pk, k->pk) != 0)
        return BU_EINVAL;
    if (crypto_sign_ed25519_sk_to_curve25519(curve_sk, k->sk) != 0)
        return BU_EINVAL;
    return 0;
}

int key_curve_pk(const uint8_t ed_pk[32], uint8_t curve_pk[32])
{
    return crypto_sign_ed25519_pk_to_curve25519(curve_pk, ed_pk) == 0 ? 0 : BU_EINVAL;
}
