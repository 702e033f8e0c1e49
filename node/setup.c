/*
 * setup.c -- making a new node home (see setup.h).
 */
#include "node/setup.h"
#include "node/config.h"
#include "node/home.h"
#include "node/store.h"
#include "proto/err.h"
#include "proto/util.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p: creates missing parents (0700), tolerates existing ones. */
static int s_mkdirs(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; *s && rc == 0; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            rc = -1;
        *s = '/';
    }
    if (rc == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
        rc = -1;
    free(p);
    return rc;
}

int home_init(const char *home, const char *name, nodekey_t *key_out, char **cause)
{
    if (s_mkdirs(home) != 0)
        return bu_fail(cause, BU_EIO, "cannot create %s: %s", home, strerror(errno));
    if (home_exists(home))
        return bu_fail(cause, BU_EEXIST, "%s is already a buurt home (it has node.key)", home);
    if (strchr(name, '\n') != NULL || strlen(name) == 0 || strlen(name) > 120)
        return bu_fail(cause, BU_EINVAL, "node name must be 1 to 120 characters on one line");
    int rc = config_set(home, "name", name, cause);
    if (rc < 0)
        return rc;
    /* the empty store now, so a fresh home is complete */
    char *sp = home_path(home, HOME_STORE);
    store_t *st = NULL;
    rc = store_open(sp, &st, NULL, cause);
    free(sp);
    store_close(&st);
    if (rc < 0)
        return rc;
    char *kp = home_path(home, HOME_KEY);
    nodekey_t k;
    rc = key_create(kp, &k, cause);
    free(kp);
    if (rc < 0)
        return rc;
    if (key_out)
        *key_out = k;
    sodium_memzero(&k, sizeof k);
    return 0;
}
