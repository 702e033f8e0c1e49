/*
 * err.h -- error codes shared by every buurt module.
 *
 * Functions return 0 (or a non-negative count) on success and one of these
 * negative codes on failure. Where a person will read the reason, functions
 * also take an optional `char **cause` that receives an allocated one-line
 * message (free() it); NULL means the caller does not want it.
 */
#ifndef BUURT_ERR_H
#define BUURT_ERR_H

enum {
    BU_OK = 0,
    BU_EINVAL = -1,     /* malformed input (wire, disk or user) */
    BU_ETRUNC = -2,     /* input ends too early */
    BU_ETOOBIG = -3,    /* input exceeds a documented limit */
    BU_ESIG = -4,       /* signature does not verify */
    BU_ECANON = -5,     /* valid msgpack but not the canonical encoding */
    BU_ESCHEMA = -6,    /* fields break the record schema */
    BU_EIO = -7,        /* operating-system I/O failure */
    BU_ELOCKED = -8,    /* another process holds the store lock */
    BU_ENOENT = -9,     /* no such thing */
    BU_EAMBIG = -10,    /* id prefix matches more than one entity */
    BU_EEXIST = -11,    /* already exists */
    BU_EPERM = -12,     /* not allowed (permissions, authorization) */
    BU_ECORRUPT = -13,  /* stored data fails its checksum */
    BU_EPRIVACY = -14,  /* text looks like resident-identifying data */
};

/* Returns a static, human-readable name for an error code. */
const char *bu_strerror(int code);

/* Sets *cause (when cause is not NULL) to an allocated printf-style
 * message and returns code, so callers can `return bu_fail(...)`. */
int bu_fail(char **cause, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
