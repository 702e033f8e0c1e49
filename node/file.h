/*
 * file.h -- small files of a home written so that a crash or a full disk
 * never leaves a half-written one: the one way buurt replaces a file.
 *
 * file_write_atomic writes PATH.tmp, fsyncs it, renames it over PATH and
 * fsyncs the directory, so after a crash PATH holds either the old or the
 * new bytes. On any failure (ENOSPC included) it removes PATH.tmp, leaves
 * PATH as it was, and returns BU_EIO with a one-line cause that names the
 * file and the system's reason ("No space left on device").
 *
 * Used for config, peers, invites, buurtd.pid and buurtd.endpoint; the edit
 * log has its own rules (node/store.h).
 */
#ifndef BUURT_FILE_H
#define BUURT_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Replaces path with len bytes of data, created with mode (e.g. 0600). */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, char **cause);

/* Reads a whole small file (at most max bytes) into a NUL-terminated
 * allocated buffer. BU_ENOENT when missing, BU_ETOOBIG over max, BU_EIO. */
int file_read(const char *path, size_t max, char **out, size_t *len, char **cause);

#endif
