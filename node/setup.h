/*
 * setup.h -- making a new node home: directory, config, empty store, key.
 * (Apart from node/home.h, which only names the files, so that config and
 * the other file modules can use those names without a loop.)
 */
#ifndef BUURT_SETUP_H
#define BUURT_SETUP_H

#include "node/key.h"

/*
 * Makes a home: the directory and missing parents (0700), config with the
 * node name, an empty store and a new node key (written last, so a home
 * with a key is complete). BU_EEXIST when home already holds a key,
 * BU_EINVAL for a name that is empty, over 120 bytes or not one line,
 * BU_EIO otherwise.
 */
int home_init(const char *home, const char *name, nodekey_t *key_out, char **cause);

#endif
