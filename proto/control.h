/*
 * control.h -- the local control protocol between `buurt` and `buurtd`
 * (docs/architecture.md, "The control socket"): one typed codec used by
 * both ends. Not part of the node-to-node protocol.
 *
 * Transport: a ZeroMQ ROUTER bound at ipc://<home>/control.sock (the home
 * is 0700 and the socket is made under umask 077: owner only); the CLI
 * connects a DEALER. Each message is one frame holding one canonical
 * msgpack array whose first element is its type:
 *
 *   request             reply (in order)
 *   EXEC  [1, [arg: str...], json: bool, now_ms: int, width: int]
 *                       OUT* then RESULT
 *   PEERS [2]           PEERS_REPLY
 *   SYNC  [3, wait: bool, timeout_ms: int]
 *                       SYNCED
 *
 *   OUT          [4, stream: 1 (stdout) | 2 (stderr), data: bin]
 *   RESULT       [5, exit code: int]
 *   PEERS_REPLY  [6, peers: [map...], node: map]
 *   SYNCED       [7, peers: int, synced: bool, pending: int]
 *
 * now_ms is -1 when the CLI sets no time (BUURT_NOW_MS); width is the
 * columns of the CLI's terminal, 0 when it prints to no terminal. A command's
 * output arrives as it is made, in OUT chunks of at most CTL_CHUNK bytes,
 * so a large listing is never held whole by buurtd. No I/O here.
 */
#ifndef BUURT_PROTO_CONTROL_H
#define BUURT_PROTO_CONTROL_H

#include "proto/value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_MAX_ARGS 256            /* arguments of one EXEC */
#define CTL_MAX_ARG (64u << 10)     /* bytes of one argument */
#define CTL_CHUNK (64u << 10)       /* bytes of one OUT */
#define CTL_MAX_BYTES (16u << 20)   /* a frame, e.g. a PEERS_REPLY */

typedef enum {
    CTL_EXEC = 1,
    CTL_PEERS = 2,
    CTL_SYNC = 3,
    CTL_OUT = 4,
    CTL_RESULT = 5,
    CTL_PEERS_REPLY = 6,
    CTL_SYNCED = 7,
} ctl_type_t;

typedef struct {
    ctl_type_t type;
    /* EXEC */
    char **argv;          /* argc strings, NULL-terminated; owned */
    int argc;
    bool json;
    int64_t now_ms;
    int width;
    /* SYNC */
    bool wait;
    int64_t timeout_ms;
    /* OUT: owned */
    int stream;
    uint8_t *data;
    size_t len;
    /* RESULT */
    int code;
    /* PEERS_REPLY: owned */
    pv_t *peers, *node;
    /* SYNCED */
    int64_t npeers, pending;
    bool synced;
} ctl_msg_t;

/* Encoders: append one message to out. */
void ctl_exec(buf_t *out, int argc, char *const *argv, bool json, int64_t now_ms, int width);
void ctl_peers(buf_t *out);
void ctl_sync(buf_t *out, bool wait, int64_t timeout_ms);
void ctl_out(buf_t *out, int stream, const void *data, size_t len);
void ctl_result(buf_t *out, int code);
/* peers (PV_ARR) and node (PV_MAP) are borrowed. */
void ctl_peers_reply(buf_t *out, const pv_t *peers, const pv_t *node);
void ctl_synced(buf_t *out, int64_t peers, bool synced, int64_t pending);

/* Decodes one frame: 0 and *m (release with ctl_clear), or a negative
 * BU_ code for anything malformed, of an unknown type or over a limit.
 * Never crashes on any input. */
int ctl_decode(const uint8_t *frame, size_t len, ctl_msg_t *m);
void ctl_clear(ctl_msg_t *m);

#endif
