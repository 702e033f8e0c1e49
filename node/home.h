/*
 * home.h -- a node's home directory: where it is and what lives in it. The
 * one place that names the files of a home (making one is node/setup.h).
 *
 *   node.key         the node's Ed25519 key (0600; node/key.h)
 *   config           name, mesh, mesh_name (node/config.h)
 *   store/           the edit log (node/store.h)
 *   peers            static peers (node/peers.h)
 *   invites          invites this node made (node/invites.h)
 *   buurtd.pid       while buurtd runs and answers (written last at start)
 *   control.sock     buurtd's control socket
 *   buurtd.endpoint  the TCP endpoint buurtd last bound
 *   buurtd.log       buurtd's log with --daemon
 *   facts.cache      buurtd's query facts, saved at stop (node/match.h)
 *
 * The directory is 0700 and every file in it 0600.
 */
#ifndef BUURT_HOME_H
#define BUURT_HOME_H

#include <stdbool.h>

typedef enum {
    HOME_KEY,
    HOME_CONFIG,
    HOME_STORE,
    HOME_PEERS,
    HOME_INVITES,
    HOME_PID,
    HOME_CONTROL,
    HOME_ENDPOINT,
    HOME_LOG,
    HOME_HTTP,     /* the web board's address while buurtd --http runs */
    HOME_FACTS,    /* the facts table buurtd saved (node/match.h) */
} home_file_t;

/* The default home: $BUURT_HOME, else $XDG_DATA_HOME/buurt, else
 * ~/.local/share/buurt. Allocated. */
char *home_default(void);

/* The path of one file of a home. Allocated. */
char *home_path(const char *home, home_file_t f);

/* True when home holds a node key (it was made with home_init). */
bool home_exists(const char *home);

#endif
