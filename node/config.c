/*
 * config.c -- read and atomically rewrite `<home>/config` (see config.h).
 */
#include "node/config.h"
#include "node/file.h"
#include "node/home.h"
#include "proto/err.h"
#include "proto/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *config_get(const char *home, const char *key)
{
    char *path = home_path(home, HOME_CONFIG);
    FILE *f = fopen(path, "r");
    free(path);
    if (f == NULL)
        return NULL;
    char line[1024], *val = NULL;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, key, kl) == 0 && line[kl] == '=') {
            free(val);
            val = xstrdup(line + kl + 1);
        }
    }
    fclose(f);
    return val;
}

int config_set(const char *home, const char *key, const char *value, char **cause)
{
    if (value && strchr(value, '\n'))
        return bu_fail(cause, BU_EINVAL, "setting %s must be on one line", key);
    char *path = home_path(home, HOME_CONFIG);
    buf_t b = {0};
    FILE *f = fopen(path, "r");
    size_t kl = strlen(key);
    if (f) {
        char line[1024];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, key, kl) == 0 && line[kl] == '=')
                continue;
            buf_append(&b, line, strlen(line));
        }
        fclose(f);
    }
    if (value)
        buf_printf(&b, "%s=%s\n", key, value);
    int rc = file_write_atomic(path, b.data, b.len, 0600, cause);
    buf_free(&b);
    free(path);
    return rc;
}
