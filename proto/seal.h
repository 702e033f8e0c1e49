/*
 * seal.h -- the wire formats of private coalitions (docs/protocol.md
 * §8.10): sealed edits and the keys a coalition's readers hold.
 *
 * A coalition has a list of 32-byte keys (the newest last); each key is
 * named by its key id, BLAKE2b-64 of the key keyed with "buurt-ckey-v1".
 *
 * Sealed edit: an edit of kind `sealed` whose fields are
 *   {key: bin(8) key id, box: bin(nonce(24) || XChaCha20-Poly1305(inner))}
 * where inner is the canonical msgpack of [kind: str, fields: map] and the
 * associated data is entity(32) || author(32) || hlc (8 bytes,
 * little-endian), so a box cannot be moved to another entity, author or
 * clock.
 *
 * Keys record box: crypto_box_seal to one reader's CURVE key of the
 * canonical msgpack of [coalition: bin(32), [key: bin(32)...]].
 *
 * Pure functions over libsodium: no I/O, no globals.
 */
#ifndef BUURT_SEAL_H
#define BUURT_SEAL_H

#include "proto/record.h"

#include <stdint.h>

#define SEAL_KEY_ID_LEN 8
#define SEAL_NONCE_LEN 24
#define SEAL_MAX_KEYS 10 /* keys of one coalition (plaintext of a box <= 400 bytes) */

/* The key id of a coalition key. */
void seal_key_id(const uint8_t key[32], uint8_t id[SEAL_KEY_ID_LEN]);

/* The fields of a sealed edit holding (kind, fields), encrypted with key
 * for the edit (entity, author, hlc). A random nonce. Returns a new map. */
pv_t *seal_fields(const uint8_t key[32], rec_kind_t kind, const pv_t *fields,
                  const uint8_t entity[32], const uint8_t author[32], uint64_t hlc);

/* The same with the nonce given instead of drawn: for tests and the
 * conformance vectors (tests/vectors/sealed.txt) only. A node MUST NOT
 * seal twice with one key and nonce. */
pv_t *seal_fields_with_nonce(const uint8_t key[32], rec_kind_t kind, const pv_t *fields,
                             const uint8_t entity[32], const uint8_t author[32], uint64_t hlc,
                             const uint8_t nonce[SEAL_NONCE_LEN]);

/* The key id a sealed edit's fields name, or NULL when they are not a
 * sealed edit's fields. Borrowed from sealed. */
const uint8_t *seal_key_of(const pv_t *sealed);

/*
 * Opens the fields of a sealed edit with key. 0 with *kind and *fields (a
 * new map, valid for the schema of kind, which is one of place,
 * coalition, need, offer, bulletin), or BU_EINVAL when the key does not
 * open it or what it holds is not such a record.
 */
int seal_open(const uint8_t key[32], const pv_t *sealed, const uint8_t entity[32],
              const uint8_t author[32], uint64_t hlc, rec_kind_t *kind, pv_t **fields);

/* One reader's box of a keys record: the coalition's n keys sealed to the
 * reader's CURVE public key. Returns a new bin value. */
pv_t *seal_keys_box(const uint8_t reader_curve[32], const uint8_t coalition[32],
                    const uint8_t (*keys)[32], size_t n);

/* Opens a keys box with this node's CURVE key pair: 0 with the coalition
 * and *keys (allocated, *n of them; sodium_memzero and free them), or
 * BU_EINVAL when the box is not for this node or is malformed. */
int seal_keys_open(const pv_t *box, const uint8_t curve_pk[32], const uint8_t curve_sk[32],
                   uint8_t coalition[32], uint8_t (**keys)[32], size_t *n);

#endif
