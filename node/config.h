/*
 * config.h -- the small `key=value` settings file of a home (`config`):
 * name (this node's organisation), mesh (founder's node id), mesh_name.
 * Writes replace the file atomically (write to a temporary file, fsync,
 * rename), so a crash leaves either the old or the new file.
 */
#ifndef BUURT_CONFIG_H
#define BUURT_CONFIG_H

/* Allocated value of key, or NULL when unset or the file is missing. */
char *config_get(const char *home, const char *key);

/* Sets key (value NULL removes it). Returns 0 or BU_EIO with *cause. */
int config_set(const char *home, const char *key, const char *value, char **cause);

#endif
