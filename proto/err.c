/*
 * err.c -- names for error codes and the bu_fail() helper that builds a
 * one-line cause message.
 */
#include "proto/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *bu_strerror(int code)
{
    switch (code) {
    case BU_OK: return "ok";
    case BU_EINVAL: return "malformed input";
    case BU_ETRUNC: return "truncated input";
    case BU_ETOOBIG: return "input too large";
    case BU_ESIG: return "bad signature";
    case BU_ECANON: return "not canonical encoding";
    case BU_ESCHEMA: return "fields break the record schema";
    case BU_EIO: return "I/O error";
    case BU_ELOCKED: return "store is locked";
    case BU_ENOENT: return "not found";
    case BU_EAMBIG: return "ambiguous id";
    case BU_EEXIST: return "already exists";
    case BU_EPERM: return "not permitted";
    case BU_ECORRUPT: return "corrupt data";
    case BU_EPRIVACY: return "looks like personal data";
    default: return "unknown error";
    }
}

int bu_fail(char **cause, int code, const char *fmt, ...)
{
    if (cause != NULL) {
        va_list ap;
        va_start(ap, fmt);
        char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0) {
            fputs("buurt: out of memory\n", stderr);
            abort();
        }
        va_end(ap);
        free(*cause);
        *cause = msg;
    }
    return code;
}
