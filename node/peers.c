/*
 * peers.c -- the static peers file (see peers.h).
 */
#include "node/peers.h"
#include "node/file.h"
#include "node/home.h"
#include "proto/err.h"
#include "proto/util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEERS_FILE_MAX (1u << 20)

static bool s_addr_ok(const char *a)
{
    return strncmp(a, "tcp://", 6) == 0 && strchr(a + 6, ':') && !strpbrk(a, " \t\r\n") &&
           strlen(a) <= PEERS_ADDR_MAX;
}

size_t peers_load(const char *home, peer_line_t **out)
{
    *out = NULL;
    char *path = home_path(home, HOME_PEERS), *text = NULL;
    int rc = file_read(path, PEERS_FILE_MAX, &text, NULL, NULL);
    free(path);
    if (rc < 0)
        return 0;
    size_t n = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char addr[PEERS_ADDR_MAX + 2], hex[100];
        peer_line_t p;
        if (sscanf(line, "%200s %99s", addr, hex) != 2 || !s_addr_ok(addr) ||
            hex_decode(hex, p.key, 32) < 0)
            continue;
        memcpy(p.addr, addr, strlen(addr) + 1); /* s_addr_ok: it fits */
        *out = xrealloc(*out, (n + 1) * sizeof **out);
        (*out)[n++] = p;
    }
    free(text);
    return n;
}

int peers_add(const char *home, const char *addr, const uint8_t key[32], char **cause)
{
    if (!s_addr_ok(addr))
        return bu_fail(cause, BU_EINVAL, "'%s' is not an address like tcp://192.0.2.10:4836", addr);
    peer_line_t *v = NULL;
    size_t n = peers_load(home, &v);
    buf_t b = {0};
    char hex[65];
    for (size_t i = 0; i < n; i++) {
        if (memcmp(v[i].key, key, 32) == 0)
            continue;
        hex_encode(v[i].key, 32, hex);
        buf_printf(&b, "%s %s\n", v[i].addr, hex);
    }
    hex_encode(key, 32, hex);
    buf_printf(&b, "%s %s\n", addr, hex);
    char *path = home_path(home, HOME_PEERS);
    int rc = file_write_atomic(path, b.data, b.len, 0600, cause);
    free(path);
    buf_free(&b);
    free(v);
    return rc;
}
