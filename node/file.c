/*
 * file.c -- atomic replacement of small files (see file.h).
 */
#include "node/file.h"
#include "proto/err.h"
#include "proto/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fsync of the directory holding path: makes a rename durable. */
static int s_sync_dir(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, char **cause)
{
    char *tmp = xasprintf("%s.tmp", path);
    int rc = 0, err = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        err = errno;
        goto fail;
    }
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            err = w < 0 ? errno : ENOSPC;
            goto fail;
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0) {
        err = errno;
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        err = errno;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        err = errno;
        goto fail;
    }
    s_sync_dir(path); /* the new file is complete either way */
    free(tmp);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    rc = bu_fail(cause, BU_EIO, "cannot write %s: %s", path, strerror(err));
    free(tmp);
    return rc;
}

int file_read(const char *path, size_t max, char **out, size_t *len, char **cause)
{
    *out = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return bu_fail(cause, errno == ENOENT ? BU_ENOENT : BU_EIO, "cannot read %s: %s", path,
                       strerror(errno));
    buf_t b = {0};
    char chunk[4096];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + r > max) {
            fclose(f);
            buf_free(&b);
            return bu_fail(cause, BU_ETOOBIG, "%s is larger than %zu bytes", path, max);
        }
        buf_append(&b, chunk, r);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        buf_free(&b);
        return bu_fail(cause, BU_EIO, "cannot read %s", path);
    }
    buf_putc(&b, '\0');
    if (len)
        *len = b.len - 1;
    *out = (char *)b.data;
    return 0;
}
