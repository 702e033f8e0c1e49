/*
 * session.h -- one peer's side of the buurt protocol (docs/protocol.md
 * §10 to §12), as a state machine without sockets or clocks.
 *
 * The node feeds a session every frame that arrives from its peer
 * (session_input, with the link it came on), the passing of time
 * (session_tick, with the current time) and the edits it stored
 * (session_push); frames leave through env->send and received edits go to
 * env->ingest, which verifies and stores them. The session reads the
 * node's reconciliation set and repo (what is stored, record bytes) but
 * never writes them, and it never touches a socket or a clock: the same
 * code runs against sockets in node/node.c and against scripted queues in
 * tests/test_session.c.
 *
 * A peer may be reached on two links: LINK_DEALER (this node dialled it)
 * and LINK_ROUTER (it dialled this node; the node passes the connection's
 * routing id). Rules the session enforces:
 *
 *  - Handshake. Nothing but HELLO is served on a connection before the
 *    peer's valid HELLO on it. A message before HELLO on a router
 *    connection is dropped and answered with this node's HELLO (at most
 *    once a second), which tells a peer that reconnected to say HELLO
 *    again; a HELLO this node did not wait for on its dealer link is
 *    answered with HELLO. A HELLO of another mesh or protocol version
 *    bans the peer. What a connection sent after its HELLO is served even
 *    when it closed before this node could answer (a reply to it failed).
 *  - Rounds. The side that dialled starts a round when HELLO comes back;
 *    either side starts one every recon interval and when a link comes
 *    back, and starts an open round again after SESSION_ROUND_TIMEOUT_MS
 *    without a RECON. A RECON is answered on the link it came on (§11.4).
 *  - Answers are not lost to a full link: an answer to RECON or WANT, and
 *    a WANT, that the link does not take waits in a per-peer queue
 *    (SESSION_OUT_MAX_BYTES) sent before any more EDITS of the give queue.
 *  - Giving. Ids the peer lacks are queued as store indices (each at most
 *    once) and sent in EDITS batches of SESSION_BATCH_EDITS edits or
 *    SESSION_BATCH_BYTES bytes while the link takes them (env->send says
 *    EAGAIN when it does not): the queue holds indices, never bytes.
 *  - Compression. An EDITS (batch or WANT answer) goes as a ZEDITS when
 *    both HELLOs named zstd (session_caps), env->zc is set and it is
 *    smaller; a ZEDITS from a peer it was not offered to bans the peer
 *    like a frame that is not a message.
 *  - Fetching. Ids this node lacks are asked for with WANT, at most
 *    SESSION_WANT_CHUNK per WANT and SESSION_WANTS_INFLIGHT outstanding;
 *    each WANT is answered by exactly one EDITS (reply = true); an
 *    unanswered WANT is given up after SESSION_WANT_TIMEOUT_MS.
 *  - Announcing (protocol.md §10.8), with a peer whose HELLO named
 *    "announce" (session_caps): an epidemic broadcast tree. A peer is
 *    eager (new edits are pushed to it whole, at once) until it shows it
 *    got one another way: it ANNOUNCEs an edit this node holds, or this
 *    node pushed it only edits it held (it answers with an ANNOUNCE of
 *    them and counts this node lazy too). Then it is lazy: new edits are
 *    announced to it by id, in one ANNOUNCE per SESSION_LAZY_MS/2 to
 *    SESSION_LAZY_MS, up to SESSION_ANNOUNCE_MAX; more in that time (a
 *    stream: a relay of a catch-up) go whole, so a relay pays no round
 *    trip per batch. Its WANT for an id announced to it, or a new HELLO,
 *    makes it eager again. Edits the peer showed it has (the last
 *    SESSION_HEARD) are neither pushed nor announced to it. An ANNOUNCE
 *    received is answered, SESSION_GRAFT_MS later, by a WANT for the ids
 *    still not stored (the tree may bring them meanwhile), not purged or
 *    refused, and not asked of any peer of the node within SESSION_ASK_MS
 *    (env->asked, shared by the node's sessions): an edit announced by
 *    several peers is fetched once. An announce that goes unanswered is
 *    made good by the next round.
 *  - Misbehaviour. A frame that is not a message bans the peer for
 *    SESSION_BAN_MS: nothing from it is read and its queues are dropped.
 *    So do more than SESSION_INVALID_MAX edits that do not decode or
 *    verify per SESSION_INVALID_WINDOW_MS (an honest node never sends one).
 *  - Log lines. Rejected edits are logged once, then summed up at most
 *    once per SESSION_REJECT_LOG_MS per peer ("peer X: 2048 edits
 *    rejected (first: ...)"), so a peer cannot flood the log.
 *  - Bounds. Per second a peer may send SESSION_IN_MAX messages and
 *    SESSION_IN_MAX_BYTES bytes (more bans it; a ZEDITS counts its frame
 *    and what it decompresses to), ask for SESSION_WANT_IDS_MAX
 *    ids (WANTs beyond are dropped unanswered), and cause SESSION_WORK_MAX
 *    of reconciliation work (RECONs beyond are dropped unanswered). The
 *    give queue holds each store index once and the want queue at most
 *    SESSION_WANT_MAX ids; their memory is given back when they drain. A
 *    peer's ANNOUNCEs are acted on for SESSION_ANNOUNCE_IDS_MAX ids per
 *    window (beyond: ignored, counted as unanswered; the round finds them).
 *
 * Workload: one session per peer; a catch-up of 100,000 edits holds no
 * more than a few batches in memory.
 */
#ifndef BUURT_SESSION_H
#define BUURT_SESSION_H

#include "node/repo.h"
#include "node/sync.h"
#include "proto/msg.h"

#include <stdbool.h>
#include <stdint.h>

#define SESSION_BATCH_EDITS 256          /* edits per EDITS message */
#define SESSION_BATCH_BYTES (512 * 1024) /* bytes per EDITS message */
#define SESSION_WANT_CHUNK 512           /* ids per WANT */
#define SESSION_WANTS_INFLIGHT 2
#define SESSION_WANT_TIMEOUT_MS 10000
#define SESSION_PING_MS 5000             /* quiet this long: PING */
#define SESSION_ALIVE_MS 15000           /* heard within: connected */
#define SESSION_BAN_MS 60000             /* a misbehaving peer is ignored for */
#define SESSION_INVALID_MAX 16           /* edits that fail to verify before a ban */
#define SESSION_INVALID_WINDOW_MS 60000
#define SESSION_REJECT_LOG_MS 10000      /* one summary of rejected edits per peer */
#define SESSION_WANT_REPLY_MAX (MSG_MAX_BYTES / 2) /* bytes of one WANT answer */
/* What one peer may make the node do per SESSION_IN_WINDOW_MS (about ten
 * times what an honest peer does at its fastest): more messages or bytes
 * than this get it banned; WANTs for more ids are left unanswered (the
 * asker's timeout covers it); reconciliation work beyond SESSION_WORK_MAX
 * (sync_out_t.work) leaves RECONs unanswered until the next window. */
#define SESSION_IN_WINDOW_MS 1000
#define SESSION_IN_MAX 2048
#define SESSION_IN_MAX_BYTES (64u << 20)
#define SESSION_WANT_IDS_MAX 65536
#define SESSION_WORK_MAX 16000000
#define SESSION_ANNOUNCE_IDS_MAX 65536
#define SESSION_ANNOUNCE_MAX 256         /* ids waiting to be announced; more (a stream) go whole */
#define SESSION_LAZY_MS 15               /* announces wait half of this to this long */
#define SESSION_GRAFT_MS 20              /* an announced id missing this long is asked for */
#define SESSION_ASK_MS 2000              /* an id asked of one peer is not asked of another */
#define SESSION_ASKED_SLOTS 2048         /* ids remembered as asked (4-way, oldest evicted) */
#define SESSION_HEARD 64                 /* ids a peer showed it has; ids announced to it */

typedef enum { LINK_ANY = 0, LINK_DEALER = 1, LINK_ROUTER = 2 } link_t;

typedef struct session session_t;

/* The ids a node's sessions asked for lately (SESSION_ASKED_SLOTS, each
 * kept SESSION_ASK_MS): one per node, shared by its sessions through
 * env->asked. Forgetting one early only costs a duplicate fetch. */
typedef struct session_asked session_asked_t;
session_asked_t *session_asked_new(void);
void session_asked_free(session_asked_t **self_p);

/* What the node did with the edits of one EDITS message. */
typedef struct {
    uint64_t stored;     /* new, counted */
    uint64_t held;       /* new, dated too far ahead: held (repo.h) */
    uint64_t rejected;   /* failed verification, authorisation, caps */
    uint64_t invalid;    /* of rejected: did not decode or verify */
    char why[160];       /* why the first rejected one was ("": say nothing) */
    bool later;          /* nothing yet: session_ingested tells it later */
} session_ingest_t;

typedef struct {
    sync_set_t *set;             /* the node's reconciliation set (read) */
    repo_t *repo;                /* read: what is stored, record bytes */
    uint8_t mesh[32];            /* the node's mesh id */
    const char *name;            /* the node's name, for HELLO */
    int recon_interval_ms;       /* periodic rounds */
    uint64_t wall_ms;            /* the node's wall clock now, for HELLO */
    uint32_t caps;               /* MSG_CAP_* this node offers in HELLO */
    msg_zc_t *zc;                /* compresses EDITS to a peer that takes ZEDITS
                                  * (MSG_CAP_ZSTD on both sides); NULL: they go
                                  * plain (ZEDITS are still accepted) */
    /*
     * Sends one frame on a link: 0, or -1 with errno EAGAIN (the link is
     * full: try later) or anything else (the link is gone).
     */
    int (*send)(void *ctx, session_t *s, link_t link, const buf_t *frame);
    /* Verifies and stores the edits of an EDITS message from s's peer:
     * what became of them, or .later when the node tells that with
     * session_ingested (it verifies m's edits while it reads on, and
     * stores them at the latest when settle is called). */
    session_ingest_t (*ingest)(void *ctx, session_t *s, const msg_t *m);
    /* Stores whatever ingest has left for later (NULL: nothing ever is):
     * called before the session handles a message other than EDITS, so
     * a round compares with every edit received before it. */
    void (*settle)(void *ctx);
    /* One line for the log (NULL: none). */
    void (*log)(void *ctx, const char *line);
    /* True for an id the node refused lately (NULL: none): not asked for
     * again, so a refused edit costs one fetch, not one per round. */
    bool (*refused)(void *ctx, const uint8_t id[32]);
    /* Ids asked for lately by any session of the node (NULL: each
     * session asks for what it is announced, duplicates included). */
    session_asked_t *asked;
    bool verbose;                /* log every round */
    void *ctx;
} session_env_t;

/* What became of the edits of an EDITS message whose ingest said
 * .later: counted, and a peer that keeps sending edits that do not verify
 * is banned. */
void session_ingested(session_t *self, const session_ingest_t *got, uint64_t now);

/* The MSG_CAP_* features in use with the peer: offered by both sides
 * (the peer's from its latest HELLO). */
uint32_t session_caps(const session_t *self);

/* A session with the peer of node id key. env is borrowed for its life. */
session_t *session_new(const session_env_t *env, const uint8_t key[32]);
void session_free(session_t **self_p);

const uint8_t *session_key(const session_t *self);
const char *session_hex(const session_t *self);
const char *session_name(const session_t *self);
void session_set_name(session_t *self, const char *name);

/* What happened to an input. */
typedef enum {
    SESSION_OK = 0,
    SESSION_IGNORED,  /* banned, or not served before HELLO */
    SESSION_BANNED,   /* this input got the peer banned: close its links */
} session_result_t;

/*
 * One frame from the peer on link (rid and rid_len: the router
 * connection's routing id; ignored for LINK_DEALER), at monotonic time
 * now (ms).
 */
session_result_t session_input(session_t *self, link_t link, const uint8_t *rid, size_t rid_len,
                               const uint8_t *frame, size_t len, uint64_t now);

/* The node dialled the peer (a new dealer link): sends HELLO on it. */
void session_dialled(session_t *self, uint64_t now);
/* A link is gone (closed by the node, or the peer left the router). */
void session_link_down(session_t *self, link_t link);

/* Time passes: PING a quiet link, a periodic round, a WANT that timed out,
 * and the give queue drained while the link takes it. */
void session_tick(session_t *self, uint64_t now);

/* A new edit was stored (store index idx): queue it for the peer (or
 * announce it, see "Announcing" above). */
void session_push(session_t *self, size_t idx);
/* The store was renumbered (a purge): drop queued indices and start a
 * round now, which finds what is still missing. */
void session_reset_queues(session_t *self, uint64_t now);
/* Starts a round now on the preferred link (sync --wait). */
void session_start_round(session_t *self, uint64_t now);

/* Heard from within SESSION_ALIVE_MS, handshake done, not banned. */
bool session_connected(const session_t *self, uint64_t now);
/* Connected and finished a round since `since`, nothing queued either
 * way: in sync as far as this node can tell. */
bool session_settled(const session_t *self, uint64_t since, uint64_t now);
/* Banned until then (0: not banned). */
uint64_t session_banned_until(const session_t *self);
/* Bans the peer (e.g. it was revoked, or the node saw it misbehave). */
void session_ban(session_t *self, const char *why, uint64_t now);
/* The routing id of its router connection (len 0: none). */
const uint8_t *session_rid(const session_t *self, size_t *len);
/* Gives items remaining to send: the give queue drains while this is
 * true and the link takes frames (session_tick drains). */
bool session_backlog(const session_t *self);
/* Its wall clock minus ours, from its HELLO; false when unknown. */
bool session_clock_offset(const session_t *self, int64_t *offset_ms);

/* Counters and state for `buurt peers`: a map (pv) with id, name,
 * connected, last_seen_ms_ago, synced_ms_ago, sent, received, rejected,
 * held, queued, bytes and messages each way, pings_sent (of the
 * messages sent), stored_at_ms (the monotonic
 * clock, ms, when an edit from the peer was last new here; 0: never) and
 * clock_offset_ms. */
pv_t *session_status(const session_t *self, uint64_t now);
/* Edits received and stored, rejected, held, since the session began. */
void session_counts(const session_t *self, uint64_t *received, uint64_t *rejected, uint64_t *held);

#endif
