/*
 * home.c -- paths of a node's home (see home.h).
 */
#include "node/home.h"
#include "proto/err.h"
#include "proto/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const s_names[] = {
    [HOME_KEY] = "node.key",          [HOME_CONFIG] = "config",
    [HOME_STORE] = "store",           [HOME_PEERS] = "peers",
    [HOME_INVITES] = "invites",       [HOME_PID] = "buurtd.pid",
    [HOME_CONTROL] = "control.sock",  [HOME_ENDPOINT] = "buurtd.endpoint",
    [HOME_LOG] = "buurtd.log",
    [HOME_HTTP] = "buurtd.http",      [HOME_FACTS] = "facts.cache",
};

char *home_default(void)
{
    const char *h = getenv("BUURT_HOME");
    if (h && *h)
        return xstrdup(h);
    h = getenv("XDG_DATA_HOME");
    if (h && *h)
        return xasprintf("%s/buurt", h);
    h = getenv("HOME");
    return xasprintf("%s/.local/share/buurt", h && *h ? h : ".");
}

char *home_path(const char *home, home_file_t f)
{
    return xasprintf("%s/%s", home, s_names[f]);
}

bool home_exists(const char *home)
{
    char *kp = home_path(home, HOME_KEY);
    bool ok = access(kp, F_OK) == 0;
    free(kp);
    return ok;
}
