/*
 * node.c -- the mesh runtime of buurtd (see node.h): sockets, links,
 * timers, and the path of a received edit into the store. Each peer's
 * protocol is a session (node/session.c); ZAP (node/zap.c), the control
 * socket (node/control.c), the guest side of invites (node/guest.c) and
 * the beacon (node/lan.c) each have their own file.
 *
 * Links. A peer may be reached over an outbound DEALER (we dialled it, at
 * a static or beaconed address) and/or inbound over our ROUTER (it dialled
 * us; its routing id is passed to the session). A dealer whose peer has
 * not been heard on any link since it was made is made again with a
 * doubling back-off: libzmq gives up for good on a connection the other
 * side's ZAP refused.
 *
 * Receiving an edit: hashed once (its id), skipped when already stored,
 * purged or lately rejected; decoded and verified once; certificates are
 * stored first (one fsync), so edits of members admitted in the same batch
 * are judged with them; the rest are stored with one fsync if their author
 * was a member at their clock (what each may edit is decided at merge
 * time, node/auth.c). Every newly stored edit is queued for every other
 * connected peer (the repo's listener).
 */
#include "node/node.h"
#include "node/config.h"
#include "node/control.h"
#include "node/file.h"
#include "node/guest.h"
#include "node/http.h"
#include "node/home.h"
#include "node/key.h"
#include "node/lan.h"
#include "node/members.h"
#include "node/invites.h"
#include "node/peers.h"
#include "node/pool.h"
#include "node/retention.h"
#include "node/session.h"
#include "node/sync.h"
#include "node/syncmark.h"
#include "node/zap.h"
#include "proto/beacon.h"
#include "proto/err.h"
#include "proto/msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <zmq.h>

#define NODE_HWM 64
#define NODE_REDIAL_MS 2000          /* first re-dial of a silent link */
#define NODE_REDIAL_MAX_MS 30000     /* re-dial back-off ceiling */
#define NODE_BAD_IDS 1024            /* ids of edits rejected lately: not fetched again */
#define NODE_PURGE_MS 3600000        /* retention purge once an hour */
#define NODE_PURGE_FIRST_MS 600000   /* the first one 10 minutes after start */
#define NODE_LOCK_WAIT_MS 30000      /* start-up: wait this long for the store */
#define NODE_READS 4096              /* messages read from one socket per turn ... */
#define NODE_READ_MS 50              /* ... or for at most this long when others wait ... */
#define NODE_READ_ALONE_MS 1000      /* ... or this long when nothing else had input */
#define NODE_SERVICE_MS 10           /* during a long read: ZAP, control and pushes this often */
#define NODE_OVERLAP_MIN 32          /* EDITS of this many edits are stored while the next verifies */
#define NODE_WARM_QUIET_MS 200       /* warm the query caches after this long without events */
/* A wall clock before this date is certainly wrong (a board without a
 * real-time clock that booted without network time). */
#define NODE_CLOCK_FLOOR_MS 1767225600000ULL /* 2026-01-01 */

/* One peer: its session and the node's sockets to it. */
typedef struct {
    session_t *s;
    char addr[160];        /* outbound address, "" if none */
    bool is_static;        /* from the peers file */
    void *dealer;          /* outbound link or NULL */
    uint64_t dial_at;      /* ms: when the dealer was (re)made */
    uint64_t redial_ms;    /* silent this long while unheard: dial again */
} peer_t;

#define NODE_BEACONS_PER_TURN 64   /* beacons read per loop turn */
#define NODE_TELL_REVOKED_MS 10000 /* a revoked member is told so at most this often */
#define NODE_TOLD_MAX 8
#define NODE_MARKS_SAVE_MS 60000  /* <home>/synced written at most this often */
#define NODE_OVER_MAX 16          /* flooding authors remembered for peers */
#define NODE_OVER_LOG_MS 600000   /* one log line per flooding author per 10 min */

/* One received edit on its way through s_ingest's verification. */
typedef struct {
    msg_blob_t blob;     /* its bytes: in the batch's copy */
    uint8_t id[32];
    edit_head_t peek;    /* its envelope, when peeked (always, once ok) */
    bool peeked;
    bool ok;             /* decoded and verified ... */
    char *cause;         /* ... or why not */
} s_check_t;

/* The edits of one EDITS message whose checks run on the verify pool
 * while the loop stores the message before it and reads the next one
 * (s_ingest, s_batch_store). */
typedef struct {
    session_t *s;          /* the peer they came from; NULL: no batch */
    s_check_t *chk;
    size_t nc;
    uint8_t *bytes;        /* the edits, copied: the message is freed */
    session_ingest_t res;  /* what was refused before the checks */
} s_batch_t;

struct node {
    node_opts_t o;
    char *home;
    repo_t *repo;
    sync_set_t *set;
    session_env_t env;     /* shared by every session */
    void *ctx, *router;
    zap_t *zap;
    control_t *control;
    http_t *http;          /* the web board (--http), or NULL */
    pool_t *pool;          /* threads that verify received edits */
    s_batch_t batch;       /* a received message being verified on it */
    bool storing;          /* in s_batch_store: s_settle waits its turn */
    lan_t *lan;            /* beacon socket, NULL with --no-beacon */
    uint8_t curve_pk[32], curve_sk[32];
    uint16_t listen_port;
    uint64_t next_beacon;
    peer_t **peers;
    size_t npeers;
    session_t *source;     /* the session whose edits are being stored */
    bool members_dirty;    /* a certificate arrived */
    bool voids_dirty;      /* a mesh settings edit arrived */
    uint8_t (*bad)[32];    /* ids of edits rejected lately */
    uint64_t *badhlc;      /* their clocks, when claimed */
    bool *claimed;         /* in the reconciliation set (s_mark_bad) */
    size_t nbad, badpos;
    uint16_t badcount[4096]; /* filter of bad: ids in it per s_bad_bit */
    uint32_t epoch;        /* repo_epoch the set and queues were built at */
    uint64_t next_purge, next_release;
    int clock_state;       /* last logged: 0 fine, -1 behind, 1 ahead */
    struct {               /* authors whose edits were over their quota */
        uint8_t author[32];
        uint64_t refused, logged_at;
    } over[NODE_OVER_MAX];
    size_t nover;
    struct {               /* revoked members told so lately */
        uint8_t key[32];
        uint64_t at;
    } told[NODE_TOLD_MAX];
    size_t ntold;
    bool self_revoked;     /* logged that this node was revoked */
    bool pid_written;      /* buurtd.pid is ours: removed on exit */
    syncmark_t *marks;     /* when this node last synced (node/syncmark.h) */
    bool out_of_touch;     /* no peer connected since the last sync */
    bool marks_dirty;
    uint64_t marks_saved;  /* when <home>/synced was last written */
    volatile sig_atomic_t stop;
};

/* ---------------------------------------------------------------- util */

static uint64_t s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Every line buurtd logs goes through here: "buurtd HH:MM:SS text" on
 * stderr, one line, with "<N>" (its syslog priority, sd-daemon(3)) in front
 * when the options ask for it, so that the journal files it at that
 * priority. Lines from the session, ZAP, control, guest and beacon hooks
 * are info. */
static void s_vlog(node_t *n, int prio, const char *fmt, va_list ap)
{
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%H:%M:%S", &tm);
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    /* names, causes and fields may come from the wire: one line, no
     * terminal controls */
    buf_t b = {0};
    text_escape(&b, line);
    char pre[8] = "";
    if (n->o.log_priority)
        snprintf(pre, sizeof pre, "<%d>", prio);
    fprintf(stderr, "%sbuurtd %s %s\n", pre, ts, buf_cstr(&b));
    buf_free(&b);
}

#define S_LOGGER(name, prio)                                                                       \
    static void name(node_t *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));     \
    static void name(node_t *n, const char *fmt, ...)                                             \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        s_vlog(n, prio, fmt, ap);                                                                  \
        va_end(ap);                                                                                \
    }
S_LOGGER(s_log, LOG_INFO)     /* what happens: peers, rounds, start and stop */
S_LOGGER(s_warn, LOG_WARNING) /* what a person should look at; buurtd carries on */
S_LOGGER(s_err, LOG_ERR)      /* what failed: a write, a purge, the poll loop */

static void s_log_line(void *ctx, const char *line)
{
    s_log(ctx, "%s", line);
}

static const members_t *s_members(node_t *n)
{
    return repo_members(n->repo);
}

static bool s_active(node_t *n, const uint8_t key[32])
{
    const members_t *m = s_members(n);
    return m && members_active(m, key);
}

/* A counting filter in front of the list (4096 buckets): most ids are not
 * in it, and a catch-up asks for each id it lacks. */
static size_t s_bad_bit(const uint8_t id[32])
{
    return ((size_t)id[0] << 4 | id[1] >> 4) & 4095;
}

static bool s_is_bad(const node_t *n, const uint8_t id[32])
{
    if (n->badcount[s_bad_bit(id)] == 0)
        return false;
    for (size_t i = 0; i < n->nbad; i++)
        if (memcmp(n->bad[i], id, 32) == 0)
            return true;
    return false;
}

static bool s_refused(void *ctx, const uint8_t id[32])
{
    return s_is_bad(ctx, id);
}

/* Forgets every refused id: after membership changed, an edit refused
 * because its author was not a member yet may count now. */
static void s_forget_bad(node_t *n)
{
    for (size_t i = 0; i < n->nbad; i++)
        if (n->claimed[i])
            sync_set_remove(n->set, n->badhlc[i], n->bad[i]);
    n->nbad = n->badpos = 0;
    memset(n->badcount, 0, sizeof n->badcount);
}

/*
 * Remembers a refused edit (NODE_BAD_IDS at most, the oldest forgotten)
 * so it is neither fetched nor judged again. With claim (its clock known
 * from a readable envelope), it also joins the reconciliation set as if
 * it were held: a peer that holds it then stops offering it every round
 * (issue 17). It is never given, as it is not stored; forgetting it takes
 * it out of the set again.
 */
static void s_mark_bad(node_t *n, const uint8_t id[32], bool claim, uint64_t hlc)
{
    if (s_is_bad(n, id))
        return;
    if (!n->bad) {
        n->bad = xmalloc(NODE_BAD_IDS * 32);
        n->badhlc = xcalloc(NODE_BAD_IDS, sizeof *n->badhlc);
        n->claimed = xcalloc(NODE_BAD_IDS, sizeof *n->claimed);
    }
    size_t at = n->badpos;
    if (n->nbad == NODE_BAD_IDS) { /* the oldest is forgotten */
        n->badcount[s_bad_bit(n->bad[at])]--;
        if (n->claimed[at])
            sync_set_remove(n->set, n->badhlc[at], n->bad[at]);
    }
    n->claimed[at] = claim && !sync_set_has(n->set, hlc, id);
    n->badhlc[at] = hlc;
    if (n->claimed[at])
        sync_set_add(n->set, hlc, id);
    memcpy(n->bad[n->badpos], id, 32);
    n->badcount[s_bad_bit(id)]++;
    n->badpos = (n->badpos + 1) % NODE_BAD_IDS;
    if (n->nbad < NODE_BAD_IDS)
        n->nbad++;
}

static peer_t *s_peer_of(node_t *n, const session_t *s)
{
    for (size_t i = 0; i < n->npeers; i++)
        if (n->peers[i]->s == s)
            return n->peers[i];
    return NULL;
}

static peer_t *s_peer(node_t *n, const uint8_t key[32], bool create)
{
    for (size_t i = 0; i < n->npeers; i++)
        if (memcmp(session_key(n->peers[i]->s), key, 32) == 0)
            return n->peers[i];
    if (!create)
        return NULL;
    peer_t *p = xcalloc(1, sizeof *p);
    p->s = session_new(&n->env, key);
    const members_t *m = s_members(n);
    const member_t *x = m ? members_find(m, key) : NULL;
    if (x)
        session_set_name(p->s, x->name);
    n->peers = xrealloc(n->peers, (n->npeers + 1) * sizeof *n->peers);
    n->peers[n->npeers++] = p;
    return p;
}

/* ---------------------------------------------------------------- sending */

/* session_env_t.send: one frame on one of the peer's links. */
static int s_send(void *ctx, session_t *s, link_t link, const buf_t *b)
{
    node_t *n = ctx;
    peer_t *p = s_peer_of(n, s);
    if (!p) {
        errno = ENOTCONN;
        return -1;
    }
    if (link == LINK_DEALER) {
        if (!p->dealer) {
            errno = ENOTCONN;
            return -1;
        }
        return zmq_send(p->dealer, b->data, b->len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
    }
    size_t rl;
    const uint8_t *rid = session_rid(s, &rl);
    if (!n->router || rl == 0) {
        errno = ENOTCONN;
        return -1;
    }
    int rc = zmq_send(n->router, rid, rl, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_send(n->router, b->data, b->len, ZMQ_DONTWAIT);
    if (rc < 0 && errno == EHOSTUNREACH)
        session_link_down(s, LINK_ROUTER);
    return rc < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- links */

/*
 * Socket options. libzmq 4.3.4 aborts its I/O thread (`!_io_error`,
 * stream_engine_base.cpp:331; zeromq/libzmq issue 4841) when a connection
 * whose inbound pipe is full (input stopped at the receive HWM) is reset
 * and anything then calls the engine's out_event: the ZMTP heartbeat
 * timer, or a ZMTP PING the peer had already sent, decoded when the pipe
 * drains. One hostile member could do this at will. So no pipe may ever be
 * full: the receive HWM is 0 (none), ZMTP heartbeats are off (liveness is
 * our own PING, TCP keepalive and TCP_MAXRT), and on the ROUTER a
 * connection that reuses a routing id takes it over (otherwise its pipe is
 * never read). The input is bounded in the application instead: every
 * message is read at once, and a peer that sends more than a session
 * allows per second is banned (node/session.c, SESSION_IN_*).
 */
static void s_set_common(void *s)
{
    int hwm = NODE_HWM, nohwm = 0, linger = 0, ivl = 500, ivlmax = 30000;
    int ka = 1, ka_idle = 30, ka_intvl = 10, ka_cnt = 3, maxrt = 2 * SESSION_ALIVE_MS;
    int64_t max = MSG_WIRE_MAX_BYTES;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &nohwm, sizeof nohwm);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL_MAX, &ivlmax, sizeof ivlmax);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max);
    /* a dead peer's connection is closed by the kernel, not by a libzmq timer */
    zmq_setsockopt(s, ZMQ_TCP_KEEPALIVE, &ka, sizeof ka);
    zmq_setsockopt(s, ZMQ_TCP_KEEPALIVE_IDLE, &ka_idle, sizeof ka_idle);
    zmq_setsockopt(s, ZMQ_TCP_KEEPALIVE_INTVL, &ka_intvl, sizeof ka_intvl);
    zmq_setsockopt(s, ZMQ_TCP_KEEPALIVE_CNT, &ka_cnt, sizeof ka_cnt);
    zmq_setsockopt(s, ZMQ_TCP_MAXRT, &maxrt, sizeof maxrt);
}

static void s_close_dealer(peer_t *p)
{
    if (p->dealer) {
        zmq_close(p->dealer);
        p->dealer = NULL;
    }
    session_link_down(p->s, LINK_DEALER);
}

static void s_connect(node_t *n, peer_t *p, const char *addr)
{
    if (p->dealer && strcmp(p->addr, addr) == 0)
        return;
    s_close_dealer(p);
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    uint8_t server[32];
    if (key_curve_pk(session_key(p->s), server) < 0)
        return;
    void *d = zmq_socket(n->ctx, ZMQ_DEALER);
    s_set_common(d);
    zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, server, 32);
    zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, n->curve_pk, 32);
    zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, n->curve_sk, 32);
    if (zmq_connect(d, addr) != 0) {
        s_warn(n, "cannot connect to %s: %s", addr, zmq_strerror(errno));
        zmq_close(d);
        return;
    }
    p->dealer = d;
    p->dial_at = s_now();
    if (!p->redial_ms)
        p->redial_ms = NODE_REDIAL_MS;
    n->env.wall_ms = repo_wall_ms();
    session_dialled(p->s, s_now());
    if (n->o.verbose)
        s_log(n, "connecting to %.10s at %s", session_hex(p->s), addr);
}

/* A dealer whose peer has not been heard on any link since it was made
 * is made again, with a doubling back-off (see the file comment). */
static void s_redial(node_t *n, peer_t *p, uint64_t now)
{
    if (!p->dealer || !p->addr[0] || session_connected(p->s, now) ||
        now < session_banned_until(p->s) || now - p->dial_at < p->redial_ms)
        return;
    char addr[sizeof p->addr];
    snprintf(addr, sizeof addr, "%s", p->addr);
    s_close_dealer(p);
    p->redial_ms = p->redial_ms * 2 > NODE_REDIAL_MAX_MS ? NODE_REDIAL_MAX_MS : p->redial_ms * 2;
    if (n->o.verbose)
        s_log(n, "no answer from %.10s at %s: dialling again", session_hex(p->s), addr);
    s_connect(n, p, addr);
}

/* Reads <home>/peers (node/peers.h) and connects new ones. */
static void s_load_static(node_t *n)
{
    peer_line_t *v = NULL;
    size_t k = peers_load(n->home, &v);
    for (size_t i = 0; i < k; i++) {
        if (memcmp(v[i].key, repo_key(n->repo)->pk, 32) == 0)
            continue;
        peer_t *p = s_peer(n, v[i].key, true);
        p->is_static = true;
        if (s_now() < session_banned_until(p->s))
            continue;
        s_connect(n, p, v[i].addr);
    }
    free(v);
}

/* The session banned its peer: close what the node holds of it. */
static void s_banned(peer_t *p)
{
    s_close_dealer(p);
    p->redial_ms = 0;
}

/* ---------------------------------------------------------------- the set */

static int s_set_add(void *ctx, size_t i, const uint8_t *rec, size_t len)
{
    node_t *n = ctx;
    edit_head_t h;
    if (edit_peek(rec, len, &h) == 0 && !repo_is_held(n->repo, i))
        sync_set_add(n->set, h.hlc, repo_record_id(n->repo, i));
    return 0;
}

/* The set of ids, rebuilt after a purge renumbered the store; queued
 * store indices are dropped and a round with each peer finds what is
 * still missing. */
static void s_rebuild_set(node_t *n)
{
    sync_set_free(&n->set);
    n->set = sync_set_new();
    n->env.set = n->set;
    char *cause = NULL;
    if (repo_scan(n->repo, s_set_add, n, &cause) < 0) {
        s_warn(n, "%s", cause); /* what could not be read is not offered */
        free(cause);
    }
    for (size_t i = 0; i < n->nbad; i++) /* refused edits stay claimed */
        if (n->claimed[i])
            sync_set_add(n->set, n->badhlc[i], n->bad[i]);
    for (size_t i = 0; i < n->npeers; i++)
        session_reset_queues(n->peers[i]->s, s_now());
    n->epoch = repo_epoch(n->repo);
}

static int64_t s_clock_error(node_t *n, size_t *npeers);

static void s_purge(node_t *n)
{
    size_t *ents = NULL, removed = 0;
    /* by the clock the peers agree on: a node whose clock runs two days
     * ahead must not purge what the others keep (issue 17) */
    size_t np = 0;
    int64_t err = s_clock_error(n, &np);
    uint64_t now = repo_wall_ms();
    if (err > 0 && (uint64_t)err < now)
        now -= (uint64_t)err;
    else if (err < 0)
        now += (uint64_t)-err;
    size_t k = retention_purgeable(n->repo, now, &ents);
    if (k > 0) {
        char *cause = NULL;
        if (repo_purge(n->repo, ents, k, &removed, &cause) < 0) {
            s_err(n, "retention purge failed: %s", cause ? cause : "?");
            free(cause);
        } else {
            s_log(n, "retention: purged %zu needs (%zu edits)", k, removed);
        }
    }
    free(ents);
    if (repo_epoch(n->repo) != n->epoch)
        s_rebuild_set(n);
}

/* Removes edits an admin declared void (repo_apply_voids), after a mesh
 * settings edit arrived or was made here. */
static void s_apply_voids(node_t *n)
{
    n->voids_dirty = false;
    s_forget_bad(n); /* the quotas may have changed too */
    size_t removed = 0;
    char *cause = NULL;
    if (repo_apply_voids(n->repo, &removed, &cause) < 0) {
        s_err(n, "cannot remove void edits: %s", cause ? cause : "?");
        free(cause);
    } else if (removed) {
        s_log(n, "removed %zu edits an admin declared void", removed);
    }
    if (repo_epoch(n->repo) != n->epoch)
        s_rebuild_set(n);
}

/* ---------------------------------------------------------------- membership */

/* After certificates changed: peers that are no longer members are cut
 * off, names follow the certificates. */
static void s_members_changed(node_t *n)
{
    n->members_dirty = false;
    s_forget_bad(n);
    const members_t *m = s_members(n);
    if (!m)
        return;
    const member_t *me = members_find(m, repo_key(n->repo)->pk);
    if (me && me->revoked && !n->self_revoked) {
        char by[65];
        hex_encode(me->revoked_by, 32, by);
        s_warn(n, "this node was revoked from the mesh by %.10s%s%s: its edits no longer count and "
                  "it refuses new ones; an admin can admit it again",
               by, me->reason[0] ? ": " : "", me->reason);
    }
    n->self_revoked = me && me->revoked;
    for (size_t i = 0; i < n->npeers; i++) {
        peer_t *p = n->peers[i];
        const member_t *x = members_find(m, session_key(p->s));
        if (x && x->name[0])
            session_set_name(p->s, x->name);
        size_t rl;
        session_rid(p->s, &rl);
        if (!members_active(m, session_key(p->s)) && (p->dealer || rl)) {
            s_log(n, "peer %.10s is no longer a member: cut off", session_hex(p->s));
            s_close_dealer(p);
            session_link_down(p->s, LINK_ROUTER);
        }
    }
}

/* ---------------------------------------------------------------- receiving */

/* Name of a member for the log and peers ("" when unknown). */
static const char *s_member_name(node_t *n, const uint8_t id[32])
{
    const members_t *m = s_members(n);
    const member_t *x = m ? members_find(m, id) : NULL;
    return x && x->name[0] ? x->name : "";
}

/* An edit of author was refused over its quota: counted for peers, and
 * logged at most once per NODE_OVER_LOG_MS per author. */
static void s_over_quota(node_t *n, const uint8_t author[32])
{
    size_t i = 0;
    while (i < n->nover && memcmp(n->over[i].author, author, 32) != 0)
        i++;
    if (i == n->nover) {
        if (n->nover == NODE_OVER_MAX)
            i = n->nover - 1; /* the last slot is reused */
        else
            n->nover++;
        memset(&n->over[i], 0, sizeof n->over[i]);
        memcpy(n->over[i].author, author, 32);
    }
    n->over[i].refused++;
    uint64_t now = s_now();
    if (n->over[i].logged_at == 0 || now - n->over[i].logged_at >= NODE_OVER_LOG_MS) {
        quota_limits_t lim;
        repo_quota_limits(n->repo, &lim);
        char hex[65];
        hex_encode(author, 32, hex);
        s_warn(n, "member %.10s (%s) is over its quota (%u edits per hour of its clock, %u in all): "
                  "%llu of its edits refused so far (see buurt peers)",
               hex, s_member_name(n, author), lim.per_hour, lim.total,
               (unsigned long long)n->over[i].refused);
        n->over[i].logged_at = now;
    }
}

/* Decodes and verifies edit i of a batch: on a verify thread. */
static void s_check(void *ctx, size_t i)
{
    s_check_t *c = (s_check_t *)ctx + i;
    edit_t *e = NULL;
    c->ok = edit_decode_id(c->blob.data, c->blob.len, EDIT_VERIFY, c->id, &e, &c->cause) == 0;
    if (c->ok) { /* the envelope as decoded (edit_peek reads the same) */
        c->peek = (edit_head_t){.kind = e->kind, .hlc = e->hlc};
        memcpy(c->peek.entity, e->entity, 32);
        memcpy(c->peek.author, e->author, 32);
        c->peeked = true;
    }
    /* freed on the thread that made it: no frees across threads' arenas */
    edit_free(&e);
}

/* Stores a batch whose checks are done: in the order received, what
 * verified; certificates first (members_build judges them), then the
 * rest, each kept only if its author was a member at its clock. Tells
 * the batch's session what became of its edits and frees the batch. */
static void s_batch_store(node_t *n, s_batch_t *b)
{
    if (!b->s)
        return;
    n->storing = true;
    session_ingest_t res = b->res;
    size_t nc = b->nc, k = 0;
    repo_in_t *in = xcalloc(nc ? nc : 1, sizeof *in);
    uint8_t *fate = xcalloc(nc ? nc : 1, 1);
    bool *cert = xcalloc(nc ? nc : 1, sizeof *cert);
    for (size_t j = 0; j < nc; j++) {
        s_check_t *c = &b->chk[j];
        if (!c->ok) {
            res.rejected++;
            res.invalid++;
            s_mark_bad(n, c->id, c->peeked, c->peeked ? c->peek.hlc : 0);
            if (!res.why[0]) /* the session logs it, summed up per peer */
                snprintf(res.why, sizeof res.why, "%s", c->cause ? c->cause : "invalid");
            free(c->cause);
            continue;
        }
        repo_in_t *x = &in[k];
        memcpy(x->id, c->id, 32);
        x->data = c->blob.data;
        x->len = c->blob.len;
        x->head = c->peek;
        cert[k] = c->peek.kind == REC_MEMBER;
        k++;
    }
    const members_t *mem = s_members(n);
    for (int pass = 0; pass < 2; pass++) {
        repo_in_t *take = xcalloc(k ? k : 1, sizeof *take);
        size_t nt = 0;
        if (pass == 1)
            mem = s_members(n); /* certificates of this batch count now */
        for (size_t i = 0; i < k; i++) {
            if (cert[i] != (pass == 0))
                continue;
            if (pass == 1 && mem && members_role_at(mem, in[i].head.author, in[i].head.hlc) < 0) {
                res.rejected++;
                s_mark_bad(n, in[i].id, true, in[i].head.hlc); /* until membership changes */
                if (n->o.verbose && !res.why[0])
                    snprintf(res.why, sizeof res.why, "its author was not a member then");
                continue;
            }
            take[nt++] = in[i];
        }
        char *cause = NULL;
        n->source = b->s;
        int rc = nt ? repo_ingest_checked(n->repo, take, nt, fate, &cause) : 0;
        n->source = NULL;
        if (rc < 0) {
            s_err(n, "cannot store edits: %s", cause ? cause : bu_strerror(rc));
            free(cause);
        }
        for (size_t i = 0; rc >= 0 && i < nt; i++) {
            switch (fate[i]) {
            case REPO_ADDED: res.stored++; break;
            case REPO_HELD: res.held++; break;
            case REPO_QUOTA:
                s_over_quota(n, take[i].head.author);
                s_mark_bad(n, take[i].id, true, take[i].head.hlc);
                res.rejected++;
                break;
            case REPO_VOID:
                s_mark_bad(n, take[i].id, true, take[i].head.hlc);
                res.rejected++;
                break;
            case REPO_REFUSED: /* held edits over the caps: room may come */
                s_mark_bad(n, take[i].id, false, 0);
                res.rejected++;
                break;
            default: break;
            }
        }
        free(take);
        if (pass == 0 && n->members_dirty)
            s_members_changed(n);
    }
    if (res.held) {
        uint64_t r, j, h;
        session_counts(b->s, &r, &j, &h);
        if (h == 0) /* once per peer */
            s_warn(n, "peer %.10s sent edits dated more than %d min ahead of this node's clock: "
                      "held until then (see buurt peers)",
                   session_hex(b->s), HLC_MAX_SKEW_MS / 60000);
    }
    session_ingested(b->s, &res, s_now());
    free(cert);
    free(fate);
    free(in);
    free(b->chk);
    free(b->bytes);
    *b = (s_batch_t){0};
    n->storing = false;
}

/* Stores the batch being verified, if any, once its checks are done: before
 * anything that must see every edit received so far (a command, a SYNC
 * waiter, the end of a turn of the loop). */
static void s_settle(void *ctx)
{
    node_t *n = ctx;
    if (n->storing)
        return; /* called from within (a round started as edits are
                 * stored): the batch after this one stays after it */
    pool_wait(n->pool);
    s_batch_store(n, &n->batch);
}

/*
 * session_env_t.ingest: verify, authorise, group commit -- a message
 * later. Pass 1 (here, on the loop): hash each edit once, skip what is
 * known, purged or lately refused, and refuse what is over its author's
 * quota before the cost of a signature check, so a flood costs little.
 * Pass 2 decodes and verifies the rest on the verify pool, started here;
 * the loop meanwhile stores the message before this one (s_batch_store),
 * so storing and fsync overlap with the signature checks, and goes on
 * reading. The session hears what became of the edits when they are
 * stored (session_ingested): at the next message, or when the loop
 * settles (s_settle). Stored edits keep the order they were received in,
 * however many threads verify. Only messages of NODE_OVERLAP_MIN edits or
 * more (a catch-up's) wait like this; fewer are stored before s_ingest
 * returns.
 */
static session_ingest_t s_ingest(void *ctx, session_t *s, const msg_t *m)
{
    node_t *n = ctx;
    s_batch_t b = {.s = s};
    quota_limits_t lim;
    repo_quota_limits(n->repo, &lim);
    b.chk = xcalloc(m->nedits ? m->nedits : 1, sizeof *b.chk);
    size_t bytes = 0;
    for (size_t i = 0; i < m->nedits; i++) {
        s_check_t *c = &b.chk[b.nc];
        store_hash(m->edits[i].data, m->edits[i].len, c->id);
        if (repo_find_record(n->repo, c->id) >= 0 || repo_is_purged(n->repo, c->id) ||
            s_is_bad(n, c->id))
            continue; /* known, purged here for good, or refused lately */
        c->peeked = edit_peek(m->edits[i].data, m->edits[i].len, &c->peek) == 0;
        if (c->peeked && !repo_quota_allows(n->repo, &lim, c->peek.author, c->peek.hlc)) {
            b.res.rejected++;
            s_over_quota(n, c->peek.author);
            s_mark_bad(n, c->id, true, c->peek.hlc);
            continue;
        }
        c->blob = m->edits[i];
        bytes += c->blob.len;
        b.nc++;
    }
    b.bytes = xmalloc(bytes ? bytes : 1);
    bytes = 0;
    for (size_t j = 0; j < b.nc; j++) {
        memcpy(b.bytes + bytes, b.chk[j].blob.data, b.chk[j].blob.len);
        b.chk[j].blob.data = b.bytes + bytes;
        bytes += b.chk[j].blob.len;
    }
    pool_wait(n->pool); /* the message before: verified */
    s_batch_t before = n->batch;
    n->batch = b;
    pool_start(n->pool, b.nc, s_check, b.chk);
    s_batch_store(n, &before);
    /* a few edits (a push of new edits) are stored at once: there is
     * little to overlap, and the same edit pushed by another peer in this
     * turn is then known, to pass 1 and to the announce logic (session.c's
     * s_on_pushed), as without waiting */
    if (m->nedits < NODE_OVERLAP_MIN)
        s_settle(n);
    return (session_ingest_t){.later = true};
}

/* The repo's listener: a newly stored edit (local, or from a peer) joins
 * the set and is queued for every other connected peer. */
static void s_on_new(void *ctx, size_t idx, const edit_head_t *h)
{
    node_t *n = ctx;
    sync_set_add(n->set, h->hlc, repo_record_id(n->repo, idx));
    uint64_t now = s_now();
    for (size_t i = 0; i < n->npeers; i++) {
        session_t *s = n->peers[i]->s;
        if (s != n->source && session_connected(s, now))
            session_push(s, idx);
    }
    if (h->kind == REC_MEMBER)
        n->members_dirty = true;
    if (h->kind == REC_MESH)
        n->voids_dirty = true;
}

/* ---------------------------------------------------------------- ZAP */

static zap_verdict_t s_zap_decide(void *ctx, const uint8_t curve[32], uint8_t node_id[32],
                                  const char **why)
{
    node_t *n = ctx;
    const members_t *m = s_members(n);
    if (!m)
        return ZAP_REFUSE;
    const member_t *x = members_find_curve(m, curve);
    if (x && !x->revoked && memcmp(x->key, repo_key(n->repo)->pk, 32) != 0) {
        peer_t *p = s_peer(n, x->key, false);
        if (p && s_now() < session_banned_until(p->s)) {
            *why = "temporarily refused";
            return ZAP_REFUSE;
        }
        memcpy(node_id, x->key, 32);
        return ZAP_MEMBER;
    }
    if (x && x->revoked) {
        memcpy(node_id, x->key, 32);
        return ZAP_REVOKED; /* only to be told so (s_tell_revoked) */
    }
    if (!x && invites_open(n->home, repo_wall_ms()))
        return ZAP_GUEST; /* may only send JOIN (node/guest.c) */
    return ZAP_REFUSE;
}

/* ---------------------------------------------------------------- router, dealers */

static void s_guest(node_t *n, zmq_msg_t *rid, const uint8_t curve[32], const uint8_t *data,
                    size_t len)
{
    const members_t *m = s_members(n);
    guest_env_t g = {n->repo,     repo_mesh(n->repo), m ? m->mesh_name : "", n->curve_pk,
                     repo_wall_ms(), s_log_line,     n};
    buf_t reply = {0};
    if (repo_mesh(n->repo) && guest_answer(&g, curve, data, len, &reply)) {
        zmq_send(n->router, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(n->router, reply.data, reply.len, ZMQ_DONTWAIT);
    }
    buf_free(&reply);
    if (n->members_dirty)
        s_members_changed(n);
}

/*
 * A revoked member dialled (ZAP let it in as "revoked:"): it is answered,
 * at most once per NODE_TELL_REVOKED_MS, with HELLO and its own
 * certificates, the revocation among them, and nothing else. So a revoked
 * node learns that it is revoked and refuses to write, however wrong its
 * clock (issue 17); everything else it sends is dropped unread.
 */
static void s_tell_revoked(node_t *n, zmq_msg_t *rid, const uint8_t key[32])
{
    uint64_t now = s_now();
    size_t i = 0;
    while (i < n->ntold && memcmp(n->told[i].key, key, 32) != 0)
        i++;
    if (i < n->ntold && now - n->told[i].at < NODE_TELL_REVOKED_MS)
        return;
    if (i == n->ntold) {
        if (n->ntold < NODE_TOLD_MAX)
            n->ntold++;
        else
            i = (size_t)(now % NODE_TOLD_MAX); /* forget one */
        memcpy(n->told[i].key, key, 32);
        char hex[65];
        hex_encode(key, 32, hex);
        s_log(n, "revoked member %.10s dialled: told it that it is revoked", hex);
    }
    n->told[i].at = now;
    buf_t hello = {0}, edits = {0}, raw = {0};
    msg_hello(&hello, n->env.mesh, repo_name(n->repo), repo_wall_ms());
    edit_t **h = NULL;
    size_t k = repo_history(n->repo, key, &h), nb = 0;
    msg_blob_t blobs[32];
    size_t offs[32];
    for (size_t j = 0; j < k; j++) {
        long idx = repo_find_record(n->repo, h[j]->id);
        size_t at = raw.len;
        if (nb < 32 && idx >= 0 && repo_read(n->repo, (size_t)idx, &raw) == 0) {
            offs[nb] = at;
            blobs[nb++].len = raw.len - at;
        }
        edit_free(&h[j]);
    }
    free(h);
    for (size_t j = 0; j < nb; j++)
        blobs[j].data = raw.data + offs[j];
    msg_edits(&edits, blobs, nb, false);
    zmq_send(n->router, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(n->router, hello.data, hello.len, ZMQ_DONTWAIT);
    zmq_send(n->router, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(n->router, edits.data, edits.len, ZMQ_DONTWAIT);
    buf_free(&hello);
    buf_free(&edits);
    buf_free(&raw);
}

static bool s_router_in(node_t *n)
{
    zmq_msg_t rid, body;
    bool got = false;
    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&rid, n->router, ZMQ_DONTWAIT) < 0)
        goto done;
    got = true;
    if (!zmq_msg_more(&rid) || zmq_msg_recv(&body, n->router, 0) < 0)
        goto done;
    while (zmq_msg_more(&body)) { /* one frame per message: drop extras */
        zmq_msg_t x;
        zmq_msg_init(&x);
        zmq_msg_recv(&x, n->router, 0);
        int more = zmq_msg_more(&x);
        zmq_msg_close(&x);
        if (!more)
            break;
    }
    const char *user = zmq_msg_gets(&body, "User-Id");
    uint8_t key[32];
    if (user && strncmp(user, "guest:", 6) == 0 && hex_decode(user + 6, key, 32) == 0) {
        s_guest(n, &rid, key, zmq_msg_data(&body), zmq_msg_size(&body));
        goto done;
    }
    if (user && strncmp(user, "revoked:", 8) == 0 && hex_decode(user + 8, key, 32) == 0) {
        s_tell_revoked(n, &rid, key);
        goto done;
    }
    if (!user || hex_decode(user, key, 32) < 0 || !s_active(n, key))
        goto done; /* revoked since the handshake */
    peer_t *p = s_peer(n, key, true);
    n->env.wall_ms = repo_wall_ms();
    if (session_input(p->s, LINK_ROUTER, zmq_msg_data(&rid), zmq_msg_size(&rid),
                      zmq_msg_data(&body), zmq_msg_size(&body), s_now()) == SESSION_BANNED)
        s_banned(p);
done:
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
    return got;
}

static bool s_dealer_in(node_t *n, peer_t *p)
{
    zmq_msg_t body;
    bool got = false;
    zmq_msg_init(&body);
    if (zmq_msg_recv(&body, p->dealer, ZMQ_DONTWAIT) >= 0) {
        got = true;
        n->env.wall_ms = repo_wall_ms();
        if (session_input(p->s, LINK_DEALER, NULL, 0, zmq_msg_data(&body), zmq_msg_size(&body),
                          s_now()) == SESSION_BANNED)
            s_banned(p);
    }
    zmq_msg_close(&body);
    return got;
}

/* ---------------------------------------------------------------- beacon */

/* What one beacon round sends: this node's mesh beacon on each interface,
 * naming that interface's address, and an invite beacon per open invite
 * (at most LAN_MAX_DATAGRAMS - 1) for `buurt join` to find this node. */
typedef struct {
    node_t *n;
    const uint8_t *mesh;
    uint8_t key[32];
    uint8_t ikeys[LAN_MAX_DATAGRAMS - 1][32];
    size_t nikeys;
} s_beacons_t;

static size_t s_beacon_build(void *ctx, const lan_if_t *i, size_t k, uint8_t *out, size_t cap)
{
    s_beacons_t *c = ctx;
    beacon_t b = {.port = c->n->listen_port};
    memcpy(b.node, repo_key(c->n->repo)->pk, 32);
    memcpy(b.addr, &i->addr, 4);
    if (k == 0 && cap >= BEACON_LEN) {
        beacon_seal(c->mesh, c->key, repo_key(c->n->repo)->sk, &b, out);
        return BEACON_LEN;
    }
    if (k >= 1 && k - 1 < c->nikeys && cap >= BEACON_INVITE_LEN) {
        beacon_invite_seal(c->ikeys[k - 1], &b, out);
        return BEACON_INVITE_LEN;
    }
    return 0;
}

static void s_beacon_send(node_t *n)
{
    const uint8_t *mesh = repo_mesh(n->repo);
    if (!n->lan || !mesh || n->listen_port == 0)
        return;
    s_beacons_t c = {.n = n, .mesh = mesh};
    beacon_key(mesh, c.key);
    uint8_t keys[LAN_MAX_DATAGRAMS - 1][32];
    c.nikeys = invites_open_keys(n->home, repo_wall_ms(), keys, LAN_MAX_DATAGRAMS - 1);
    for (size_t i = 0; i < c.nikeys; i++)
        beacon_invite_key(keys[i], c.ikeys[i]);
    lan_send(n->lan, s_beacon_build, &c, s_log_line, n);
    sodium_memzero(&c, sizeof c);
}

static void s_beacon_in(node_t *n)
{
    uint8_t d[256], key[32];
    struct sockaddr_in from;
    ssize_t r;
    const uint8_t *mesh = repo_mesh(n->repo);
    if (mesh)
        beacon_key(mesh, key);
    /* a bounded number per turn: a datagram flood cannot hold the loop */
    for (int turn = 0; turn < NODE_BEACONS_PER_TURN && (r = lan_recv(n->lan, d, sizeof d, &from)) >= 0;
         turn++) {
        beacon_t b;
        if (!mesh || beacon_open(mesh, key, d, (size_t)r, &b) < 0)
            continue; /* another mesh, an invite beacon, or not a beacon */
        const uint8_t *nk = b.node;
        if (memcmp(nk, repo_key(n->repo)->pk, 32) == 0 || !s_active(n, nk))
            continue;
        /* one link per pair: the smaller key connects */
        if (memcmp(repo_key(n->repo)->pk, nk, 32) > 0)
            continue;
        peer_t *p = s_peer(n, nk, true);
        uint64_t now = s_now();
        if (now < session_banned_until(p->s) || (p->dealer && session_connected(p->s, now)))
            continue;
        char addr[64], ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, b.addr, ip, sizeof ip);
        snprintf(addr, sizeof addr, "tcp://%s:%u", ip, (unsigned)b.port);
        /* the address the node signed, not where the datagram came from:
         * a beacon replayed from elsewhere still points at its sender */
        if (strcmp(p->addr, addr) != 0 || !p->dealer)
            s_connect(n, p, addr);
    }
}

/* ---------------------------------------------------------------- clock */

static void s_fmt_span(int64_t ms, char *out, size_t n)
{
    /* rounded, not truncated: an offset measured a few ms short of two
     * days (the HELLO's travel time) is "2 days", not "47 hours" */
    uint64_t a = (uint64_t)(ms < 0 ? -ms : ms);
    uint64_t hours = (a + 1800000ULL) / 3600000ULL;
    if (hours >= 48)
        snprintf(out, n, "%llu days", (unsigned long long)((a + 43200000ULL) / 86400000ULL));
    else if (hours >= 2)
        snprintf(out, n, "%llu hours", (unsigned long long)hours);
    else
        snprintf(out, n, "%llu minutes", (unsigned long long)((a + 30000ULL) / 60000ULL));
}

/* How far this node's wall clock seems off: the median of its connected
 * peers' offsets (from HELLO) when at least two peers, half of them or
 * more, agree on more than the skew bound; one peer alone cannot tell
 * which clock is wrong. 0 when nothing is known or all is within it. */
static int64_t s_clock_error(node_t *n, size_t *npeers)
{
    int64_t v[64];
    size_t k = 0;
    uint64_t now = s_now();
    for (size_t i = 0; i < n->npeers && k < 64; i++)
        if (session_connected(n->peers[i]->s, now) && session_clock_offset(n->peers[i]->s, &v[k]))
            k++;
    *npeers = k;
    if (k < 2)
        return 0;
    for (size_t i = 1; i < k; i++) /* insertion sort: few peers */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    int64_t med = v[k / 2];
    size_t same = 0;
    for (size_t i = 0; i < k; i++)
        same += (med > 0 && v[i] > HLC_MAX_SKEW_MS) || (med < 0 && v[i] < -HLC_MAX_SKEW_MS);
    if ((med > -HLC_MAX_SKEW_MS && med < HLC_MAX_SKEW_MS) || same * 2 < k)
        return 0;
    return -med; /* peers ahead: this node is behind */
}

/* Lines that say what is wrong with this node's clock, for peers and the
 * log. Appends to notes (a PV_ARR). */
static void s_clock_notes(node_t *n, pv_t *notes)
{
    size_t k = 0;
    char span[32], buf[300];
    uint64_t wall = repo_wall_ms(), now = s_now();
    if (wall < NODE_CLOCK_FLOOR_MS) {
        time_t t = (time_t)(wall / 1000);
        struct tm tm;
        char day[32];
        gmtime_r(&t, &tm);
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
        snprintf(buf, sizeof buf, "this node's clock says %s, which cannot be right: set the date "
                                  "(timedatectl set-time or date -s)", day);
        pv_arr_push(notes, pv_str(buf));
    }
    int64_t err = s_clock_error(n, &k);
    if (err != 0) {
        s_fmt_span(err, span, sizeof span);
        snprintf(buf, sizeof buf, "this node's clock seems %s %s its %zu peers: set it (timedatectl "
                                  "set-time); edits it writes are dated wrong",
                 span, err < 0 ? "behind" : "ahead of", k);
        pv_arr_push(notes, pv_str(buf));
    }
    for (size_t i = 0; err == 0 && i < n->npeers; i++) {
        /* no majority to go by: name each peer whose clock disagrees */
        session_t *s = n->peers[i]->s;
        int64_t off;
        if (!session_connected(s, now) || !session_clock_offset(s, &off) ||
            (off <= HLC_MAX_SKEW_MS && off >= -HLC_MAX_SKEW_MS))
            continue;
        s_fmt_span(off, span, sizeof span);
        snprintf(buf, sizeof buf, "the clock of peer %.10s (%s) is %s %s this node's: one of the "
                                  "two is wrong",
                 session_hex(s), session_name(s), span, off > 0 ? "ahead of" : "behind");
        pv_arr_push(notes, pv_str(buf));
    }
    size_t held = repo_held_count(n->repo);
    if (held > 0) {
        int64_t ahead = (int64_t)hlc_ms(repo_held_max(n->repo)) - (int64_t)wall;
        s_fmt_span(ahead, span, sizeof span);
        snprintf(buf, sizeof buf, "%zu edits are held: dated up to %s ahead of this node's clock, "
                                  "they count once it gets there (if this clock is behind, set it)",
                 held, ahead > 100LL * 365 * 86400000 ? "centuries" : span);
        pv_arr_push(notes, pv_str(buf));
    }
}

/* Logs the clock's state when it changes (not on every tick). */
static void s_clock_log(node_t *n)
{
    size_t k = 0;
    int64_t err = s_clock_error(n, &k);
    int st = repo_wall_ms() < NODE_CLOCK_FLOOR_MS ? -1 : err < 0 ? -1 : err > 0 ? 1 : 0;
    if (st == n->clock_state)
        return;
    n->clock_state = st;
    pv_t *notes = pv_arr();
    s_clock_notes(n, notes);
    for (size_t i = 0; i < notes->u.a.n; i++)
        if (!strstr(notes->u.a.items[i]->u.s.p, "are held"))
            s_warn(n, "warning: %s", notes->u.a.items[i]->u.s.p);
    if (st == 0)
        s_log(n, "this node's clock agrees with its peers again");
    pv_free(&notes);
}

/* What store_open found damaged and skipped, until repaired. */
static void s_store_notes(node_t *n, pv_t *notes)
{
    const store_report_t *rep = repo_report(n->repo);
    if (rep->corrupt_regions == 0)
        return;
    char buf[300];
    snprintf(buf, sizeof buf, "store: %zu damaged region%s of the log (%llu bytes from offset %llu) "
                              "were skipped; the edits there are fetched again from peers, and the "
                              "damage is removed once a peer is in sync with this node",
             rep->corrupt_regions, rep->corrupt_regions == 1 ? "" : "s",
             (unsigned long long)rep->corrupt_bytes, (unsigned long long)rep->first_corrupt_at);
    pv_arr_push(notes, pv_str(buf));
}

/* Once a round with a peer completed (so this node holds every edit that
 * peer has, including any that sat in a damaged region), the damage is
 * cut from the log, so the next start is clean. */
static void s_repair(node_t *n, uint64_t now)
{
    const store_report_t *rep = repo_report(n->repo);
    if (rep->corrupt_regions == 0)
        return;
    bool settled = false;
    for (size_t i = 0; i < n->npeers && !settled; i++)
        settled = session_settled(n->peers[i]->s, 1, now);
    if (!settled)
        return;
    uint64_t bytes = rep->corrupt_bytes;
    char *cause = NULL;
    if (repo_compact(n->repo, &cause) < 0) {
        s_err(n, "store: cannot remove the damaged regions: %s", cause ? cause : "?");
        free(cause);
        return;
    }
    s_warn(n, "store: repaired: removed %llu damaged bytes from the log after syncing with a peer",
           (unsigned long long)bytes);
}

/* Indexes held edits whose time has come (they are then pushed on). */
static void s_release(node_t *n, uint64_t now)
{
    if (now < n->next_release)
        return;
    n->next_release = now + 1000;
    if (repo_held_count(n->repo) == 0)
        return;
    size_t k = repo_release_held(n->repo, repo_wall_ms());
    if (k > 0)
        s_log(n, "%zu held edits are due now: applied and passed on", k);
}

/* ---------------------------------------------------------------- control hooks */

static void s_ctl_peers(void *ctx, pv_t **peers, pv_t **node)
{
    node_t *n = ctx;
    uint64_t now = s_now();
    const members_t *m = s_members(n);
    pv_t *l = pv_arr();
    for (size_t i = 0; i < n->npeers; i++) {
        peer_t *p = n->peers[i];
        pv_t *x = session_status(p->s, now);
        pv_map_set(x, "address", pv_str(p->addr));
        pv_map_set(x, "static", pv_bool(p->is_static));
        pv_map_set(x, "member", pv_bool(m && members_active(m, session_key(p->s))));
        pv_arr_push(l, x);
    }
    pv_t *st = pv_map(), *notes = pv_arr();
    size_t k = 0;
    int64_t err = s_clock_error(n, &k);
    s_clock_notes(n, notes);
    s_store_notes(n, notes);
    pv_t *over = pv_arr();
    for (size_t i = 0; i < n->nover; i++) {
        char hex[65], buf[300];
        hex_encode(n->over[i].author, 32, hex);
        const char *nm = s_member_name(n, n->over[i].author);
        snprintf(buf, sizeof buf, "member %.10s%s%s%s is flooding: %llu of its edits were refused over "
                                  "its quota (buurt mesh show)",
                 hex, nm[0] ? " (" : "", nm, nm[0] ? ")" : "", (unsigned long long)n->over[i].refused);
        pv_arr_push(notes, pv_str(buf));
        pv_t *x = pv_map();
        pv_map_set(x, "author", pv_str(hex));
        pv_map_set(x, "name", pv_str(nm));
        pv_map_set(x, "refused", pv_int((int64_t)n->over[i].refused));
        pv_arr_push(over, x);
    }
    pv_map_set(st, "over_quota", over);
    if (n->lan) {
        lan_notes(n->lan, notes);
        pv_map_set(st, "beacons", lan_status(n->lan));
    }
    pv_map_set(st, "edits", pv_int((int64_t)repo_edit_count(n->repo)));
    const member_t *me = m ? members_find(m, repo_key(n->repo)->pk) : NULL;
    pv_map_set(st, "role", pv_str(!m ? "no mesh" : !me ? "none" : me->revoked ? "revoked"
                                                                      : members_role_name(me->role)));
    pv_map_set(st, "pid", pv_int((int64_t)getpid()));
    pv_map_set(st, "held", pv_int((int64_t)repo_held_count(n->repo)));
    if (repo_held_count(n->repo))
        pv_map_set(st, "held_until_ms", pv_int((int64_t)hlc_ms(repo_held_max(n->repo))));
    pv_map_set(st, "clock_error_ms", pv_int(err));
    pv_map_set(st, "notes", notes);
    *peers = l;
    *node = st;
}

static size_t s_ctl_sync_start(void *ctx, uint64_t now)
{
    node_t *n = ctx;
    size_t started = 0;
    n->env.wall_ms = repo_wall_ms();
    for (size_t i = 0; i < n->npeers; i++)
        if (session_connected(n->peers[i]->s, now)) {
            session_start_round(n->peers[i]->s, now);
            started++;
        }
    return started;
}

/* Remembers when this node was last in sync, per peer and overall
 * (<home>/synced, node/syncmark.h). A new contact is written at once (the
 * digest of `sync --wait` reads it next); the rest at most every minute. */
static void s_syncmarks(node_t *n, uint64_t now, bool save_now)
{
    uint64_t wall = repo_wall_ms();
    bool any = false, connected = false;
    for (size_t i = 0; i < n->npeers; i++) {
        session_t *s = n->peers[i]->s;
        connected = connected || session_connected(s, now);
        if (session_settled(s, 1, now)) {
            any = true;
            syncmark_peer(n->marks, session_key(s), wall);
        }
    }
    if (!connected)
        n->out_of_touch = true;
    if (any) {
        size_t count = repo_edit_count(n->repo);
        const uint8_t *rec = count ? repo_record_id(n->repo, count - 1) : NULL;
        if (syncmark_in_sync(n->marks, wall, count, rec, n->out_of_touch))
            save_now = true;
        n->out_of_touch = false;
        n->marks_dirty = true;
    }
    if (n->marks_dirty && (save_now || now - n->marks_saved >= NODE_MARKS_SAVE_MS)) {
        char *cause = NULL;
        if (syncmark_save(n->home, n->marks, &cause) < 0) {
            s_log(n, "cannot remember the last sync: %s", cause ? cause : "?");
            free(cause);
        }
        n->marks_dirty = false;
        n->marks_saved = now;
    }
}

/* A waiter is done when every connected peer finished a round after it
 * started and nothing is queued either way. */
static bool s_ctl_sync_done(void *ctx, uint64_t since, uint64_t now, size_t *peers,
                            size_t *pending)
{
    node_t *n = ctx;
    *peers = *pending = 0;
    for (size_t i = 0; i < n->npeers; i++) {
        session_t *s = n->peers[i]->s;
        if (!session_connected(s, now))
            continue;
        (*peers)++;
        if (!session_settled(s, since, now))
            (*pending)++;
    }
    /* reconciled with nobody is not "in sync" (issue 11): wait for one */
    if (*peers > 0 && *pending == 0) {
        s_syncmarks(n, now, true); /* the digest the CLI prints next reads it */
        return true;
    }
    return false;
}

/* After a write command: it may have purged, changed the mesh or
 * membership, or added a static peer. */
static void s_ctl_after_write(void *ctx)
{
    node_t *n = ctx;
    if (repo_epoch(n->repo) != n->epoch)
        s_rebuild_set(n);
    if (n->members_dirty)
        s_members_changed(n);
    if (repo_mesh(n->repo)) {
        memcpy(n->env.mesh, repo_mesh(n->repo), 32);
        s_load_static(n);
    }
    /* the web board serves nothing rendered before this write */
    http_publish(n->http, repo_version(n->repo));
    /* between commands no merged state is borrowed; a big command leaves
     * freed memory that glibc would otherwise keep */
    repo_trim(n->repo);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* ---------------------------------------------------------------- lifecycle */

int node_start(const node_opts_t *opts, node_t **out, char **cause)
{
    node_t *n = xcalloc(1, sizeof *n);
    int rc = 0;
    n->o = *opts;
    if (n->o.beacon_port <= 0)
        n->o.beacon_port = BEACON_DEFAULT_PORT;
    if (n->o.beacon_interval_ms <= 0)
        n->o.beacon_interval_ms = 2000;
    if (n->o.recon_interval_ms <= 0)
        n->o.recon_interval_ms = 30000;
    char *abs = realpath(opts->home, NULL);
    n->home = abs ? abs : xstrdup(opts->home);
    /* a CLI command may hold the store for a moment: wait for it */
    if ((rc = repo_open_wait(n->home, NODE_LOCK_WAIT_MS, &n->repo, cause)) < 0) {
        if (rc == BU_ELOCKED && cause) {
            free(*cause);
            *cause = xasprintf("the store of %s has been locked by another process for %d s: is "
                               "another buurtd running for it, or a buurt command stuck?",
                               n->home, NODE_LOCK_WAIT_MS / 1000);
        }
        goto fail;
    }
    key_curve(repo_key(n->repo), n->curve_pk, n->curve_sk);
    n->pool = pool_new(n->o.verify_threads > 0 ? n->o.verify_threads - 1 : pool_default_workers());
    n->marks = xcalloc(1, sizeof *n->marks);
    syncmark_load(n->home, n->marks);
    n->out_of_touch = true; /* the first sync after start begins a contact */
    n->env = (session_env_t){.repo = n->repo,
                             .name = repo_name(n->repo),
                             .recon_interval_ms = n->o.recon_interval_ms,
                             .send = s_send,
                             .ingest = s_ingest,
                             .settle = s_settle,
                             .log = s_log_line,
                             .refused = s_refused,
                             .caps = (n->o.no_compress ? 0 : MSG_CAP_ZSTD) | MSG_CAP_ANNOUNCE, /* §10.7, §10.8 */
                             .zc = n->o.no_compress ? NULL : msg_zc_new(MSG_ZSTD_LEVEL),
                             .asked = session_asked_new(),
                             .verbose = n->o.verbose,
                             .ctx = n};
    if (repo_mesh(n->repo))
        memcpy(n->env.mesh, repo_mesh(n->repo), 32);
    /* first purge a while after start: not in the way of start-up or of
     * catching up after a link comes back */
    n->next_purge = s_now() + NODE_PURGE_FIRST_MS;
    s_rebuild_set(n);
    repo_set_listener(n->repo, s_on_new, n);

    n->ctx = zmq_ctx_new();
    /* ZAP first: no CURVE connection can be accepted before it answers */
    if ((rc = zap_open(n->ctx, &n->zap, cause)) < 0)
        goto fail;
    if (opts->listen) {
        n->router = zmq_socket(n->ctx, ZMQ_ROUTER);
        s_set_common(n->router);
        int one = 1;
        zmq_setsockopt(n->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        zmq_setsockopt(n->router, ZMQ_ROUTER_HANDOVER, &one, sizeof one);
        zmq_setsockopt(n->router, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(n->router, ZMQ_CURVE_SECRETKEY, n->curve_sk, 32);
        zmq_setsockopt(n->router, ZMQ_ZAP_DOMAIN, "buurt", 5);
        if (zmq_bind(n->router, opts->listen) != 0) {
            rc = bu_fail(cause, BU_EIO, "cannot listen on %s: %s", opts->listen, zmq_strerror(errno));
            goto fail;
        }
        char ep[256];
        size_t el = sizeof ep;
        zmq_getsockopt(n->router, ZMQ_LAST_ENDPOINT, ep, &el);
        const char *colon = strrchr(ep, ':');
        n->listen_port = colon ? (uint16_t)atoi(colon + 1) : 0;
        char *epf = home_path(n->home, HOME_ENDPOINT), line[300];
        int len = snprintf(line, sizeof line, "%s\n", ep);
        rc = file_write_atomic(epf, line, (size_t)len, 0600, cause);
        free(epf);
        if (rc < 0)
            goto fail;
        s_log(n, "listening on %s", ep);
    }
    control_hooks_t ch = {.exec = n->o.exec,
                          .repo = n->repo,
                          .peers = s_ctl_peers,
                          .sync_start = s_ctl_sync_start,
                          .sync_done = s_ctl_sync_done,
                          .after_write = s_ctl_after_write,
                          .settle = s_settle,
                          .log = s_log_line,
                          .ctx = n};
    if ((rc = control_open(n->ctx, n->home, &ch, &n->control, cause)) < 0)
        goto fail;
    if (opts->http && (rc = http_start(opts->http, n->home, &n->http, cause)) < 0)
        goto fail;
    if (n->http)
        s_log(n, "web board on %s", http_url(n->http));
    if (opts->beacon && (rc = lan_open(n->o.beacon_port, n->o.beacon_iface, &n->lan, cause)) < 0)
        goto fail;
    /* written last: the CLI forwards to buurtd once this file exists and
     * control.sock answers; a home that cannot be written stops us here */
    char *pidf = home_path(n->home, HOME_PID), line[32];
    int len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    rc = file_write_atomic(pidf, line, (size_t)len, 0600, cause);
    free(pidf);
    if (rc < 0)
        goto fail;
    n->pid_written = true;
    if (repo_mesh(n->repo))
        s_load_static(n);
    s_log(n, "node %s (%s) started: %zu edits, %s", repo_key(n->repo)->id, repo_name(n->repo),
          repo_edit_count(n->repo),
          repo_mesh(n->repo) ? "in a mesh" : "no mesh yet (buurt mesh create/join)");
    const store_report_t *rep = repo_report(n->repo);
    if (rep->tail_cut_bytes)
        s_warn(n, "store: cut %llu bytes of an unfinished write from the end of the log; every "
                  "edit before them is kept", (unsigned long long)rep->tail_cut_bytes);
    if (rep->leftover_bytes)
        s_warn(n, "store: removed edits.log.new (%llu bytes), left by an interrupted purge",
               (unsigned long long)rep->leftover_bytes);
    pv_t *notes = pv_arr();
    s_clock_notes(n, notes);
    s_store_notes(n, notes);
    for (size_t i = 0; i < notes->u.a.n; i++)
        s_warn(n, "warning: %s", notes->u.a.items[i]->u.s.p);
    pv_free(&notes);
    n->clock_state = repo_wall_ms() < NODE_CLOCK_FLOOR_MS ? -1 : 0;
    *out = n;
    return 0;
fail:
    node_destroy(&n);
    return rc < 0 ? rc : BU_EIO;
}

void node_stop(node_t *self)
{
    self->stop = 1;
}

/*
 * Between the messages of a long read (a catch-up keeps one socket busy
 * for up to NODE_READ_ALONE_MS): answers ZAP and the control socket, and
 * sends what the edits stored so far queued for the other peers. Without
 * it a relay passed nothing on until its own catch-up was done, and a
 * `buurt peers` or a new peer's handshake waited seconds.
 */
static void s_service(node_t *n)
{
    zmq_pollitem_t items[8 + 2 * (CONTROL_CHILDREN + 1)];
    size_t k = 0;
    items[k++] = (zmq_pollitem_t){zap_socket(n->zap), 0, ZMQ_POLLIN, 0};
    k += control_poll_items(n->control, items + k, sizeof items / sizeof *items - k);
    if (zmq_poll(items, (int)k, 0) > 0 && (items[0].revents & ZMQ_POLLIN))
        zap_handle(n->zap, s_zap_decide, n, s_log_line, n->o.verbose);
    control_handle(n->control, items + 1, k - 1, s_now());
    uint64_t now = s_now();
    for (size_t i = 0; i < n->npeers; i++)
        if (session_backlog(n->peers[i]->s))
            session_tick(n->peers[i]->s, now);
}

int node_run(node_t *n)
{
    size_t cap = 0;
    zmq_pollitem_t *items = NULL;
    peer_t **order = NULL;
    bool warmed = n->o.exec.warm == NULL;
    uint64_t last_event = s_now(); /* while warming: when the poll last found input */
    while (!n->stop) {
        uint64_t now = s_now();
        long timeout = 1000;
        bool backlog = false;
        n->env.wall_ms = repo_wall_ms();
        if (now >= n->next_purge) {
            s_purge(n);
            n->next_purge = now + NODE_PURGE_MS;
        }
        for (size_t i = 0; i < n->npeers; i++) {
            peer_t *p = n->peers[i];
            session_tick(p->s, now);
            backlog = backlog || session_backlog(p->s);
            s_redial(n, p, now);
        }
        s_release(n, now);
        s_repair(n, now);
        s_clock_log(n);
        s_syncmarks(n, now, false);
        if (n->lan && now >= n->next_beacon) {
            s_beacon_send(n);
            n->next_beacon = now + (uint64_t)n->o.beacon_interval_ms;
        }
        long ct = control_timeout(n->control);
        if (backlog)
            timeout = 5;
        else if (!warmed)
            timeout = now - last_event >= NODE_WARM_QUIET_MS ? 0 : (long)(last_event + NODE_WARM_QUIET_MS - now);
        if (ct >= 0 && ct < timeout)
            timeout = ct;

        size_t need = 6 + n->npeers + 2 * (CONTROL_CHILDREN + 1);
        if (need > cap) {
            cap = need * 2;
            items = xrealloc(items, cap * sizeof *items);
            order = xrealloc(order, cap * sizeof *order);
        }
        size_t k = 0;
        items[k++] = (zmq_pollitem_t){zap_socket(n->zap), 0, ZMQ_POLLIN, 0};
        size_t ri = k;
        if (n->router)
            items[k++] = (zmq_pollitem_t){n->router, 0, ZMQ_POLLIN, 0};
        size_t li = k;
        if (n->lan)
            items[k++] = (zmq_pollitem_t){NULL, lan_fd(n->lan), ZMQ_POLLIN, 0};
        size_t first_dealer = k;
        for (size_t i = 0; i < n->npeers; i++)
            if (n->peers[i]->dealer) {
                order[k - first_dealer] = n->peers[i];
                items[k++] = (zmq_pollitem_t){n->peers[i]->dealer, 0, ZMQ_POLLIN, 0};
            }
        size_t hi = k; /* the web board: pages waiting, its renderer's pipe */
        if (n->http) {
            http_publish(n->http, repo_version(n->repo));
            items[k++] = (zmq_pollitem_t){NULL, http_fd(n->http), ZMQ_POLLIN, 0};
            items[k++] = (zmq_pollitem_t){NULL, http_child_fd(n->http), ZMQ_POLLIN, 0};
            if (items[k - 1].fd < 0)
                k--;
        }
        size_t ci = k;
        k += control_poll_items(n->control, items + k, cap - k);
        int r = zmq_poll(items, (int)k, timeout);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            s_err(n, "poll failed: %s", zmq_strerror(errno));
            break;
        }
        if (!warmed) {
            /* once the node has been quiet a while, it builds what every
             * read's child inherits, a slice at a time between events, so
             * the first query after a start is not the slow one; any
             * event makes it wait for quiet again (a peer catching up
             * from this node is not slowed down) */
            if (r > 0)
                last_event = s_now();
            else if (s_now() - last_event >= NODE_WARM_QUIET_MS)
                warmed = n->o.exec.warm(n->repo);
        }
        if (items[0].revents & ZMQ_POLLIN)
            zap_handle(n->zap, s_zap_decide, n, s_log_line, n->o.verbose);
        /* Each socket is read for up to NODE_READ_MS, so one busy peer
         * does not hold up the others; when the poll found nothing else
         * (a catch-up from one peer) for up to NODE_READ_ALONE_MS, as every
         * turn of the loop costs the catch-up time (measured: 100 turns
         * instead of 5 made a 100,000-edit catch-up ~20 % slower). */
        /* the control socket before the reads: s_service polls it again
         * during them, which makes these poll items stale */
        control_handle(n->control, items + ci, k - ci, s_now());
        uint64_t slice = r > 1 ? NODE_READ_MS : NODE_READ_ALONE_MS;
        uint64_t t = s_now(), until = t + slice, service = t + NODE_SERVICE_MS;
        if (n->router && (items[ri].revents & ZMQ_POLLIN))
            for (int c = 0; c < NODE_READS && s_router_in(n) && (t = s_now()) < until; c++)
                if (t >= service) {
                    s_service(n);
                    service = s_now() + NODE_SERVICE_MS;
                }
        if (n->lan && (items[li].revents & ZMQ_POLLIN))
            s_beacon_in(n);
        for (size_t d = first_dealer; d < hi; d++) {
            peer_t *p = order[d - first_dealer];
            until = s_now() + slice;
            if ((items[d].revents & ZMQ_POLLIN) && p->dealer == items[d].socket)
                for (int c = 0; c < NODE_READS && p->dealer == items[d].socket && s_dealer_in(n, p) &&
                                (t = s_now()) < until;
                     c++)
                    if (t >= service) {
                        s_service(n);
                        service = s_now() + NODE_SERVICE_MS;
                    }
        }
        /* what the last message read brought is verified by now, or
         * nearly: stored before the loop waits or serves anything else */
        s_settle(n);
        if (n->http && ((items[hi].revents | (ci > hi + 1 ? items[hi + 1].revents : 0)) &
                        (ZMQ_POLLIN | ZMQ_POLLERR)))
            http_work(n->http, n->repo, repo_wall_ms(), n->o.exec.prepare_child);
        if (n->members_dirty)
            s_members_changed(n);
        if (n->voids_dirty)
            s_apply_voids(n);
    }
    free(items);
    free(order);
    if (n->marks_dirty)
        s_syncmarks(n, s_now(), true);
    if (n->o.exec.stop)
        n->o.exec.stop(n->repo);
    s_log(n, "stopping: %zu edits stored", repo_edit_count(n->repo));
    return 0;
}

void node_destroy(node_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    node_t *n = *self_p;
    s_settle(n); /* nothing is left verifying on the pool */
    for (size_t i = 0; i < n->npeers; i++) {
        peer_t *p = n->peers[i];
        if (p->dealer)
            zmq_close(p->dealer);
        session_free(&p->s);
        free(p);
    }
    free(n->peers);
    free(n->marks);
    msg_zc_destroy(&n->env.zc);
    session_asked_free(&n->env.asked);
    http_stop(&n->http); /* first: its threads wait for nothing of ours */
    bool had_control = n->control != NULL;
    control_close(&n->control);
    if (n->router)
        zmq_close(n->router);
    zap_close(&n->zap);
    if (n->ctx)
        zmq_ctx_term(n->ctx);
    lan_close(&n->lan);
    if (n->pid_written) {
        char *f = home_path(n->home, HOME_PID);
        unlink(f);
        free(f);
    }
    if (had_control) { /* bound only while holding the store: it is ours */
        char *f = home_path(n->home, HOME_CONTROL);
        unlink(f);
        free(f);
    }
    sync_set_free(&n->set);
    pool_free(&n->pool);
    repo_close(&n->repo);
    free(n->bad);
    free(n->badhlc);
    free(n->claimed);
    free(n->home);
    sodium_memzero(n->curve_sk, sizeof n->curve_sk);
    free(n);
    *self_p = NULL;
}
