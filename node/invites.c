/*
 * invites.c -- the invite file (see invites.h).
 */
#include "node/invites.h"
#include "node/file.h"
#include "node/home.h"
#include "proto/err.h"
#include "proto/util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads every invite; returns the count, *out allocated. */
static size_t s_load(const char *home, invite_t **out)
{
    char *path = home_path(home, HOME_INVITES);
    FILE *f = fopen(path, "r");
    free(path);
    *out = NULL;
    if (!f)
        return 0;
    size_t n = 0, cap = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char id[64], key[80], role[16];
        unsigned long long exp;
        int used;
        if (sscanf(line, "%63s %79s %15s %llu %d", id, key, role, &exp, &used) != 5)
            continue;
        invite_t v = {0};
        if (hex_decode(id, v.id, 16) < 0 || hex_decode(key, v.key, 32) < 0)
            continue;
        snprintf(v.role, sizeof v.role, "%s", role);
        v.expires = exp;
        v.used = used != 0;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        (*out)[n++] = v;
    }
    fclose(f);
    return n;
}

static int s_save(const char *home, const invite_t *v, size_t n, char **cause)
{
    char *path = home_path(home, HOME_INVITES);
    buf_t b = {0};
    for (size_t i = 0; i < n; i++) {
        char id[33], key[65];
        hex_encode(v[i].id, 16, id);
        hex_encode(v[i].key, 32, key);
        buf_printf(&b, "%s %s %s %llu %d\n", id, key, v[i].role, (unsigned long long)v[i].expires,
                   v[i].used ? 1 : 0);
    }
    int rc = file_write_atomic(path, b.data, b.len, 0600, cause);
    buf_free(&b);
    free(path);
    return rc;
}

int invites_add(const char *home, const invite_t *inv, char **cause)
{
    invite_t *v;
    size_t n = s_load(home, &v);
    v = xrealloc(v, (n + 1) * sizeof *v);
    v[n++] = *inv;
    int rc = s_save(home, v, n, cause);
    free(v);
    return rc;
}

int invites_find(const char *home, const uint8_t id[16], invite_t *out)
{
    invite_t *v;
    size_t n = s_load(home, &v);
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        if (memcmp(v[i].id, id, 16) == 0) {
            *out = v[i];
            found = 1;
        }
    free(v);
    return found;
}

int invites_mark_used(const char *home, const uint8_t id[16], char **cause)
{
    invite_t *v;
    size_t n = s_load(home, &v);
    for (size_t i = 0; i < n; i++)
        if (memcmp(v[i].id, id, 16) == 0)
            v[i].used = true;
    int rc = s_save(home, v, n, cause);
    free(v);
    return rc;
}

bool invites_open(const char *home, uint64_t now)
{
    invite_t *v;
    size_t n = s_load(home, &v);
    bool open = false;
    for (size_t i = 0; i < n; i++)
        if (v[i].expires + INVITES_ANSWER_MS > now)
            open = true;
    free(v);
    return open;
}

size_t invites_open_keys(const char *home, uint64_t now, uint8_t (*keys)[32], size_t max)
{
    invite_t *v;
    size_t n = s_load(home, &v), k = 0;
    for (size_t i = n; i-- > 0 && k < max;) /* the newest first */
        if (v[i].expires + INVITES_ANSWER_MS > now)
            memcpy(keys[k++], v[i].key, 32);
    if (v)
        sodium_memzero(v, n * sizeof *v);
    free(v);
    return k;
}
