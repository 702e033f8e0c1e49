/*
 * node.c -- the mesh runtime of buurtd (see node.h): peers, links, the
 * reconciliation rounds, pushing new edits, beacons, ZAP and the control
 * socket, all in one zmq_poll loop.
 *
 * Links. A peer may be reached over an outbound DEALER (we connected, to a
 * static or beaconed address) and/or inbound over our ROUTER (it connected
 * to us; its routing id is remembered). Replies go back on the link a
 * message came in on; pushes and new rounds prefer the outbound link.
 *
 * Flow control. Edits a peer lacks are queued per peer as store indices
 * and sent in EDITS batches while the socket accepts them (DONTWAIT; a
 * full queue means wait), so a catch-up of 100,000 edits never holds more
 * than a few batches in memory. Edits we lack are asked for with WANT, at
 * most NODE_WANTS_INFLIGHT requests outstanding; each WANT gets exactly one
 * EDITS reply.
 */
#include "node/retention.h"
#include "node/node.h"
#include "node/config.h"
#include "node/members.h"
#include "node/invites.h"
#include "node/lan.h"
#include "node/file.h"
#include "node/home.h"
#include "node/peers.h"
#include "proto/beacon.h"
#include "proto/invite.h"
#include "node/repo.h"
#include "node/sync.h"
#include "proto/err.h"
#include "proto/msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <zmq.h>

#define NODE_BATCH_EDITS 256          /* edits per EDITS message */
#define NODE_BATCH_BYTES (512 * 1024) /* bytes per EDITS message */
#define NODE_WANT_CHUNK 512           /* ids per WANT */
#define NODE_WANTS_INFLIGHT 2
#define NODE_WANT_TIMEOUT_MS 10000
#define NODE_PING_MS 5000
#define NODE_ALIVE_MS 15000           /* heard within: connected */
#define NODE_BAN_MS 60000             /* misbehaving peer ignored for */
#define NODE_HWM 64
#define NODE_REDIAL_MS 2000           /* first re-dial of a silent link */
#define NODE_REDIAL_MAX_MS 30000      /* re-dial back-off ceiling */

typedef struct {
    uint8_t key[32];       /* node id */
    char hex[65];
    char name[121];        /* from HELLO or membership */
    char addr[160];        /* outbound address, "" if none */
    bool is_static;        /* from the peers file */
    void *dealer;          /* outbound link or NULL */
    uint64_t dial_at;      /* ms: when the dealer was (re)made */
    uint64_t redial_ms;    /* silent this long while unheard: dial again */
    uint8_t rid[256];      /* inbound routing id */
    size_t rid_len;        /* 0 = no inbound link */
    uint64_t last_heard;   /* ms */
    uint64_t last_sent;    /* ms */
    uint64_t last_in_sync; /* ms: last completed round */
    uint64_t next_round;   /* ms: next periodic round */
    bool round_open;       /* we started a round not yet completed */
    uint64_t sent, received, rejected;
    uint64_t held;         /* its edits held: dated too far ahead */
    uint64_t refused_future; /* ... refused: over the held caps */
    int64_t clock_offset;  /* ms its wall clock is ahead of ours (HELLO) */
    bool clock_known;
    uint32_t *outq;        /* store indices to push */
    size_t oq_head, oq_n, oq_cap;
    uint8_t (*wantq)[32];  /* ids to ask for */
    size_t wq_head, wq_n, wq_cap;
    int wants_inflight;
    uint64_t want_sent;    /* ms: last WANT sent */
    uint64_t banned_until;
} peer_t;

typedef struct {
    uint8_t rid[256];
    size_t rid_len;
    uint64_t t0, deadline;
} waiter_t;

struct node {
    node_opts_t o;
    char *home;
    repo_t *repo;
    bool in_mesh;
    uint8_t mesh[32];
    members_t members;
    sync_set_t *set;
    void *ctx, *zap, *router, *control;
    uint8_t curve_pk[32], curve_sk[32];
    lan_t *lan;            /* beacon socket, NULL with --no-beacon */
    uint16_t listen_port;
    uint64_t next_beacon;
    peer_t **peers;
    size_t npeers;
    peer_t *source;        /* peer whose edits are being ingested */
    bool members_dirty;
    bool voids_dirty;      /* a mesh settings edit arrived */
    bool pid_written;      /* buurtd.pid is ours: removed on exit */
    waiter_t *waiters;
    size_t nwaiters;
    uint64_t rejected_total;
    uint8_t (*bad)[32];    /* ids of edits rejected lately: not fetched again */
    size_t nbad, badpos;
    uint32_t epoch;        /* repo_epoch the set and queues were built at */
    uint64_t next_purge;   /* ms: next retention purge */
    uint64_t next_release; /* ms: next look at held edits */
    int clock_state;       /* last logged: 0 fine, -1 behind, 1 ahead */
    volatile sig_atomic_t stop;
};

#define NODE_PURGE_MS 3600000      /* retention purge once an hour */
#define NODE_PURGE_FIRST_MS 600000 /* the first one 10 minutes after start */

#define NODE_BAD_IDS 1024
#define NODE_LOCK_WAIT_MS 30000    /* start-up: wait this long for the store */

/* ---------------------------------------------------------------- util */

static uint64_t s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void s_log(node_t *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_log(node_t *n, const char *fmt, ...)
{
    (void)n;
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%H:%M:%S", &tm);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "buurtd %s ", ts);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static bool s_is_bad(const node_t *n, const uint8_t id[32])
{
    for (size_t i = 0; i < n->nbad; i++)
        if (memcmp(n->bad[i], id, 32) == 0)
            return true;
    return false;
}

static void s_mark_bad(node_t *n, const uint8_t id[32])
{
    if (s_is_bad(n, id))
        return;
    if (!n->bad)
        n->bad = xmalloc(NODE_BAD_IDS * 32);
    memcpy(n->bad[n->badpos], id, 32);
    n->badpos = (n->badpos + 1) % NODE_BAD_IDS;
    if (n->nbad < NODE_BAD_IDS)
        n->nbad++;
}

static peer_t *s_peer(node_t *n, const uint8_t key[32], bool create)
{
    for (size_t i = 0; i < n->npeers; i++)
        if (memcmp(n->peers[i]->key, key, 32) == 0)
            return n->peers[i];
    if (!create)
        return NULL;
    peer_t *p = xcalloc(1, sizeof *p);
    memcpy(p->key, key, 32);
    hex_encode(key, 32, p->hex);
    const member_t *m = members_find(&n->members, key);
    if (m)
        snprintf(p->name, sizeof p->name, "%s", m->name);
    n->peers = xrealloc(n->peers, (n->npeers + 1) * sizeof *n->peers);
    n->peers[n->npeers++] = p;
    return p;
}

static bool s_connected(const peer_t *p, uint64_t now)
{
    return p->last_heard && now - p->last_heard < NODE_ALIVE_MS && now >= p->banned_until;
}

/* ---------------------------------------------------------------- sending */

enum { LINK_ANY = 0, LINK_DEALER = 1, LINK_ROUTER = 2 };

/* Sends one frame to a peer. Returns 0, or -1 with errno EAGAIN (queue
 * full, try later) or another errno (link gone). */
static int s_send(node_t *n, peer_t *p, int link, const buf_t *b)
{
    int rc = -1;
    if ((link == LINK_DEALER || link == LINK_ANY) && p->dealer) {
        rc = zmq_send(p->dealer, b->data, b->len, ZMQ_DONTWAIT);
    } else if ((link == LINK_ROUTER || link == LINK_ANY) && p->rid_len) {
        rc = zmq_send(n->router, p->rid, p->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (rc >= 0)
            rc = zmq_send(n->router, b->data, b->len, ZMQ_DONTWAIT);
        if (rc < 0 && errno == EHOSTUNREACH)
            p->rid_len = 0;
    } else {
        errno = ENOTCONN;
    }
    if (rc >= 0) {
        p->last_sent = s_now();
        return 0;
    }
    return -1;
}

static void s_start_round(node_t *n, peer_t *p, int link)
{
    buf_t b = {0};
    sync_start(n->set, &b);
    if (s_send(n, p, link, &b) == 0) {
        p->round_open = true;
        if (n->o.verbose)
            s_log(n, "round with %.10s started (%zu bytes)", p->hex, b.len);
    }
    p->next_round = s_now() + (uint64_t)n->o.recon_interval_ms;
    buf_free(&b);
}

static void s_enqueue(peer_t *p, uint32_t idx)
{
    if (p->oq_head + p->oq_n == p->oq_cap) {
        if (p->oq_head > 0) {
            memmove(p->outq, p->outq + p->oq_head, p->oq_n * sizeof *p->outq);
            p->oq_head = 0;
        }
        if (p->oq_n == p->oq_cap) {
            p->oq_cap = p->oq_cap ? p->oq_cap * 2 : 256;
            p->outq = xrealloc(p->outq, p->oq_cap * sizeof *p->outq);
        }
    }
    p->outq[p->oq_head + p->oq_n++] = idx;
}

static void s_want(peer_t *p, const uint8_t id[32])
{
    if (p->wq_head + p->wq_n == p->wq_cap) {
        if (p->wq_head > 0) {
            memmove(p->wantq, p->wantq + p->wq_head, p->wq_n * 32);
            p->wq_head = 0;
        }
        if (p->wq_n == p->wq_cap) {
            p->wq_cap = p->wq_cap ? p->wq_cap * 2 : 256;
            p->wantq = xrealloc(p->wantq, p->wq_cap * 32);
        }
    }
    memcpy(p->wantq[p->wq_head + p->wq_n++], id, 32);
}

/* Sends queued edits while the link takes them. True if more remain. */
static bool s_drain(node_t *n, peer_t *p)
{
    buf_t raw = {0};
    while (p->oq_n > 0) {
        msg_blob_t blobs[NODE_BATCH_EDITS];
        size_t offs[NODE_BATCH_EDITS];
        size_t k = 0, taken = 0;
        raw.len = 0;
        /* records are read from the log, not held in memory */
        while (taken < p->oq_n && k < NODE_BATCH_EDITS && raw.len < NODE_BATCH_BYTES) {
            size_t at = raw.len;
            if (repo_read(n->repo, p->outq[p->oq_head + taken++], &raw) < 0) {
                raw.len = at; /* unreadable: left out, the next round retries */
                continue;
            }
            offs[k] = at;
            blobs[k].len = raw.len - at;
            k++;
        }
        for (size_t j = 0; j < k; j++)
            blobs[j].data = raw.data + offs[j];
        if (k == 0) { /* nothing readable: the next round finds them again */
            p->oq_head += taken;
            p->oq_n -= taken;
            continue;
        }
        buf_t b = {0};
        msg_edits(&b, blobs, k, false);
        int rc = s_send(n, p, LINK_ANY, &b);
        buf_free(&b);
        if (rc < 0) {
            buf_free(&raw);
            if (errno == EAGAIN)
                return true;
            p->oq_n = 0; /* link gone: the next round finds the difference */
            p->oq_head = 0;
            return false;
        }
        p->sent += k;
        p->oq_head += taken;
        p->oq_n -= taken;
    }
    buf_free(&raw);
    p->oq_head = 0;
    return false;
}

/* Asks for wanted edits, keeping NODE_WANTS_INFLIGHT requests out. */
static void s_pump_wants(node_t *n, peer_t *p, int link)
{
    while (p->wq_n > 0 && p->wants_inflight < NODE_WANTS_INFLIGHT) {
        uint8_t (*ids)[32] = xmalloc(NODE_WANT_CHUNK * 32);
        size_t k = 0;
        while (p->wq_n > 0 && k < NODE_WANT_CHUNK) {
            const uint8_t *id = p->wantq[p->wq_head];
            if (repo_find_record(n->repo, id) < 0 && !repo_is_purged(n->repo, id) &&
                (n->nbad == 0 || !s_is_bad(n, id)))
                memcpy(ids[k++], id, 32);
            p->wq_head++;
            p->wq_n--;
        }
        if (p->wq_n == 0)
            p->wq_head = 0;
        if (k > 0) {
            buf_t b = {0};
            msg_want(&b, (const uint8_t(*)[32])ids, k);
            if (s_send(n, p, link, &b) == 0) {
                p->wants_inflight++;
                p->want_sent = s_now();
            }
            buf_free(&b);
        }
        free(ids);
    }
}

/* ---------------------------------------------------------------- retention */

/* The set of ids and every queue of store indices, rebuilt after a purge
 * renumbered the store. */
static int s_set_add(void *ctx, size_t i, const uint8_t *rec, size_t len)
{
    node_t *n = ctx;
    edit_head_t h;
    if (edit_peek(rec, len, &h) == 0 && !repo_is_held(n->repo, i))
        sync_set_add(n->set, h.hlc, repo_record_id(n->repo, i));
    return 0;
}

static void s_rebuild_set(node_t *n)
{
    sync_set_free(&n->set);
    n->set = sync_set_new();
    char *cause = NULL;
    if (repo_scan(n->repo, s_set_add, n, &cause) < 0) {
        s_log(n, "%s", cause); /* what could not be read is not offered */
        free(cause);
    }
    for (size_t i = 0; i < n->npeers; i++) {
        peer_t *p = n->peers[i];
        /* store indices changed: what was queued is found again by a
         * round, started at once rather than at the next periodic one */
        p->oq_n = p->oq_head = 0;
        if (s_connected(p, s_now()))
            p->next_round = s_now();
    }
    n->epoch = repo_epoch(n->repo);
}

static void s_purge(node_t *n)
{
    size_t *ents = NULL, removed = 0;
    size_t k = retention_purgeable(n->repo, repo_now_ms(), &ents);
    if (k > 0) {
        char *cause = NULL;
        if (repo_purge(n->repo, ents, k, &removed, &cause) < 0) {
            s_log(n, "retention purge failed: %s", cause ? cause : "?");
            free(cause);
        } else {
            s_log(n, "retention: purged %zu needs (%zu edits)", k, removed);
        }
    }
    free(ents);
    if (repo_epoch(n->repo) != n->epoch)
        s_rebuild_set(n);
}

/* ---------------------------------------------------------------- membership */

static void s_reload_members(node_t *n)
{
    if (!n->in_mesh)
        return;
    members_clear(&n->members);
    repo_members_for(n->repo, n->mesh, &n->members);
    for (size_t i = 0; i < n->npeers; i++) {
        peer_t *p = n->peers[i];
        const member_t *m = members_find(&n->members, p->key);
        if (m && m->name[0])
            snprintf(p->name, sizeof p->name, "%s", m->name);
        if (!members_active(&n->members, p->key) && (p->dealer || p->rid_len)) {
            s_log(n, "peer %.10s is no longer a member: cut off", p->hex);
            if (p->dealer) {
                zmq_close(p->dealer);
                p->dealer = NULL;
            }
            p->rid_len = 0;
            p->last_heard = 0;
            p->oq_n = p->wq_n = 0;
        }
    }
    n->members_dirty = false;
}

/* A peer's edit is worth storing when its author was a member when it
 * signed it (revoked members' earlier edits stay valid); member
 * certificates are checked by members_load when applied, and what each
 * member may edit is decided at merge time (node/auth.c). */
static bool s_authorised(node_t *n, const edit_t *e)
{
    if (e->kind == REC_MEMBER)
        return true;
    return members_role_at(&n->members, e->author, e->hlc) >= 0;
}

/* ---------------------------------------------------------------- links */

static void s_set_common(void *s)
{
    int hwm = NODE_HWM, linger = 0, ivl = 500, ivlmax = 30000;
    int hb = NODE_PING_MS, hbto = NODE_ALIVE_MS;
    int64_t max = MSG_MAX_BYTES;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL_MAX, &ivlmax, sizeof ivlmax);
    zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &hbto, sizeof hbto);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max);
}

static void s_connect(node_t *n, peer_t *p, const char *addr)
{
    if (p->dealer && strcmp(p->addr, addr) == 0)
        return;
    if (p->dealer)
        zmq_close(p->dealer);
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    uint8_t server[32];
    if (key_curve_pk(p->key, server) < 0)
        return;
    void *d = zmq_socket(n->ctx, ZMQ_DEALER);
    s_set_common(d);
    zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, server, 32);
    zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, n->curve_pk, 32);
    zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, n->curve_sk, 32);
    if (zmq_connect(d, addr) != 0) {
        s_log(n, "cannot connect to %s: %s", addr, zmq_strerror(errno));
        zmq_close(d);
        p->dealer = NULL;
        return;
    }
    p->dealer = d;
    p->dial_at = s_now();
    if (!p->redial_ms)
        p->redial_ms = NODE_REDIAL_MS;
    buf_t b = {0};
    msg_hello(&b, n->mesh, repo_name(n->repo), repo_now_ms());
    s_send(n, p, LINK_DEALER, &b);
    buf_free(&b);
    if (n->o.verbose)
        s_log(n, "connecting to %.10s at %s", p->hex, addr);
}

/* libzmq gives up on an outbound link for good once the other side's ZAP
 * refused it (its membership list did not have us yet, say), and an
 * address that never answers is only retried by libzmq's own timer. A
 * dealer whose peer has not been heard on any link since it was made is
 * therefore made again, with a doubling back-off. */
static void s_redial(node_t *n, peer_t *p, uint64_t now)
{
    if (!p->dealer || !p->addr[0] || s_connected(p, now) || now < p->banned_until ||
        now - p->dial_at < p->redial_ms)
        return;
    char addr[sizeof p->addr];
    snprintf(addr, sizeof addr, "%s", p->addr);
    zmq_close(p->dealer);
    p->dealer = NULL;
    p->redial_ms = p->redial_ms * 2 > NODE_REDIAL_MAX_MS ? NODE_REDIAL_MAX_MS : p->redial_ms * 2;
    if (n->o.verbose)
        s_log(n, "no answer from %.10s at %s: dialling again", p->hex, addr);
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
        if (s_now() < p->banned_until)
            continue;
        s_connect(n, p, v[i].addr);
    }
    free(v);
}

static void s_ban(node_t *n, peer_t *p, const char *why)
{
    s_log(n, "peer %.10s misbehaved (%s): disconnected for %d s", p->hex, why, NODE_BAN_MS / 1000);
    p->banned_until = s_now() + NODE_BAN_MS;
    p->rejected++;
    if (p->dealer) {
        zmq_close(p->dealer);
        p->dealer = NULL;
    }
    p->rid_len = 0;
    p->last_heard = 0;
    p->oq_n = p->wq_n = 0;
    p->oq_head = p->wq_head = 0;
    p->wants_inflight = 0;
    p->round_open = false;
}

/* ---------------------------------------------------------------- receiving */

/* Stores a batch of edits from a peer: verify, authorise, group commit. */
static void s_ingest(node_t *n, peer_t *p, const msg_t *m)
{
    store_rec_t *recs = xcalloc(m->nedits ? m->nedits : 1, sizeof *recs);
    uint8_t *added = xcalloc(m->nedits ? m->nedits : 1, 1);
    edit_t **dec = xcalloc(m->nedits ? m->nedits : 1, sizeof *dec);
    /* pass 1: decode and verify everything; store certificates first, so
     * edits of members admitted in the same batch are judged with them */
    size_t k = 0;
    for (size_t i = 0; i < m->nedits; i++) {
        uint8_t id[32];
        store_hash(m->edits[i].data, m->edits[i].len, id);
        if (repo_find_record(n->repo, id) >= 0 || repo_is_purged(n->repo, id))
            continue; /* known, or purged here for good */
        char *cause = NULL;
        if (edit_decode(m->edits[i].data, m->edits[i].len, EDIT_VERIFY, &dec[i], &cause) < 0) {
            p->rejected++;
            n->rejected_total++;
            s_mark_bad(n, id);
            s_log(n, "rejected an edit from %.10s: %s", p->hex, cause ? cause : "invalid");
            free(cause);
            continue;
        }
        if (dec[i]->kind == REC_MEMBER) {
            recs[k].data = m->edits[i].data;
            recs[k].len = m->edits[i].len;
            k++;
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            k = 0;
            for (size_t i = 0; i < m->nedits; i++) {
                if (dec[i] == NULL || dec[i]->kind == REC_MEMBER)
                    continue;
                if (!s_authorised(n, dec[i])) {
                    p->rejected++;
                    n->rejected_total++;
                    if (n->o.verbose)
                        s_log(n, "rejected an edit from %.10s: author was not a member then", p->hex);
                    continue;
                }
                recs[k].data = m->edits[i].data;
                recs[k].len = m->edits[i].len;
                k++;
            }
        }
        if (k == 0)
            continue;
        char *cause = NULL;
        n->source = p;
        int rc = repo_ingest_many(n->repo, recs, k, added, &cause);
        n->source = NULL;
        if (rc < 0) {
            s_log(n, "cannot store edits: %s", cause ? cause : bu_strerror(rc));
            free(cause);
        } else {
            size_t held = 0, refused = 0;
            for (size_t i = 0; i < k; i++) {
                held += added[i] == REPO_HELD;
                if (added[i] == REPO_VOID) {
                    uint8_t id[32];
                    store_hash(recs[i].data, recs[i].len, id);
                    s_mark_bad(n, id);
                    p->rejected++;
                    n->rejected_total++;
                }
                if (added[i] == REPO_REFUSED) {
                    uint8_t id[32];
                    store_hash(recs[i].data, recs[i].len, id);
                    s_mark_bad(n, id); /* not fetched again */
                    refused++;
                }
            }
            p->received += (uint64_t)rc - held;
            if (held || refused) {
                /* not counted, not relayed: dated too far ahead of our clock */
                if (!p->held && !p->refused_future)
                    s_log(n, "peer %.10s sent edits dated more than %d min ahead of this node's "
                             "clock: held until then (see buurt peers)",
                          p->hex, HLC_MAX_SKEW_MS / 60000);
                p->held += held;
                p->refused_future += refused;
                p->rejected += refused;
                n->rejected_total += refused;
            }
        }
        if (pass == 0 && n->members_dirty)
            s_reload_members(n);
    }
    for (size_t i = 0; i < m->nedits; i++)
        edit_free(&dec[i]);
    free(dec);
    free(recs);
    free(added);
    if (n->members_dirty)
        s_reload_members(n);
}

/* Newly stored edit (local or from a peer): index it and push it on. */
static void s_on_new(void *ctx, size_t idx, const edit_head_t *h)
{
    node_t *n = ctx;
    sync_set_add(n->set, h->hlc, repo_record_id(n->repo, idx));
    uint64_t now = s_now();
    for (size_t i = 0; i < n->npeers; i++) {
        peer_t *p = n->peers[i];
        if (p == n->source || !s_connected(p, now))
            continue;
        s_enqueue(p, (uint32_t)idx);
    }
    if (h->kind == REC_MEMBER)
        n->members_dirty = true;
    if (h->kind == REC_MESH)
        n->voids_dirty = true;
}

/* Removes edits an admin declared void (repo_apply_voids), after a mesh
 * settings edit arrived or was made here. */
static void s_apply_voids(node_t *n)
{
    n->voids_dirty = false;
    size_t removed = 0;
    char *cause = NULL;
    if (repo_apply_voids(n->repo, &removed, &cause) < 0) {
        s_log(n, "cannot remove void edits: %s", cause ? cause : "?");
        free(cause);
    } else if (removed) {
        s_log(n, "removed %zu edits an admin declared void", removed);
    }
    if (repo_epoch(n->repo) != n->epoch)
        s_rebuild_set(n);
}

static void s_repair(node_t *n);

static void s_handle(node_t *n, peer_t *p, int link, const uint8_t *data, size_t len)
{
    uint64_t now = s_now();
    if (now < p->banned_until)
        return;
    msg_t m;
    int rc = msg_decode(data, len, &m);
    if (rc < 0) {
        s_ban(n, p, "malformed message");
        return;
    }
    bool was = s_connected(p, now);
    p->last_heard = now;
    p->redial_ms = NODE_REDIAL_MS;
    /* A link that comes back (ZeroMQ reconnects by itself, so the first
     * message may be a PING, not a HELLO) starts a round at once. */
    if (!was && m.type != MSG_HELLO) {
        s_log(n, "peer %.10s (%s) connected again", p->hex, p->name);
        s_start_round(n, p, link);
    }
    switch (m.type) {
    case MSG_HELLO:
        if (memcmp(m.mesh, n->mesh, 32) != 0 || m.version != PROTO_VERSION) {
            s_ban(n, p, "another mesh or protocol version");
            break;
        }
        if (m.name[0] && !p->name[0])
            snprintf(p->name, sizeof p->name, "%s", m.name);
        if (m.time_ms >= 0) {
            p->clock_offset = m.time_ms - (int64_t)repo_now_ms();
            p->clock_known = true;
        }
        if (link == LINK_ROUTER) {
            buf_t b = {0};
            msg_hello(&b, n->mesh, repo_name(n->repo), repo_now_ms());
            s_send(n, p, LINK_ROUTER, &b);
            buf_free(&b);
        }
        if (n->o.verbose || !was)
            s_log(n, "peer %.10s (%s) connected", p->hex, p->name);
        /* the connecting side starts the round when the HELLO comes back;
         * starting on both ends would send every difference twice */
        if (link == LINK_DEALER)
            s_start_round(n, p, link);
        break;
    case MSG_RECON: {
        sync_out_t o;
        sync_reply(n->set, &m, &o);
        for (size_t i = 0; i < o.ngive; i++) {
            long idx = repo_find_record(n->repo, o.give[i]);
            if (idx >= 0)
                s_enqueue(p, (uint32_t)idx);
        }
        for (size_t i = 0; i < o.nneed; i++)
            s_want(p, o.need[i]);
        if (o.reply.len)
            s_send(n, p, link, &o.reply);
        if (o.in_sync) {
            p->round_open = false;
            p->last_in_sync = now;
            if (p->wq_n == 0 && p->wants_inflight == 0)
                s_repair(n);
        }
        s_pump_wants(n, p, link);
        sync_out_clear(&o);
        break;
    }
    case MSG_WANT: {
        msg_blob_t *blobs = xcalloc(m.nids ? m.nids : 1, sizeof *blobs);
        size_t *offs = xcalloc(m.nids ? m.nids : 1, sizeof *offs);
        size_t k = 0;
        buf_t raw = {0};
        for (size_t i = 0; i < m.nids && raw.len < MSG_MAX_BYTES / 2; i++) {
            long idx = repo_find_record(n->repo, m.ids[i]);
            size_t at = raw.len;
            /* held edits are not relayed before their time */
            if (idx < 0 || repo_is_held(n->repo, (size_t)idx) ||
                repo_read(n->repo, (size_t)idx, &raw) < 0) {
                raw.len = at;
                continue;
            }
            offs[k] = at;
            blobs[k].len = raw.len - at;
            k++;
        }
        for (size_t j = 0; j < k; j++)
            blobs[j].data = raw.data + offs[j];
        buf_t b = {0};
        msg_edits(&b, blobs, k, true);
        buf_free(&raw);
        free(offs);
        /* if the queue is full the reply is lost; the asker times out and
         * asks again (NODE_WANT_TIMEOUT_MS) */
        if (s_send(n, p, link, &b) == 0)
            p->sent += k;
        buf_free(&b);
        free(blobs);
        break;
    }
    case MSG_EDITS:
        s_ingest(n, p, &m);
        if (m.reply && p->wants_inflight > 0)
            p->wants_inflight--;
        s_pump_wants(n, p, link);
        break;
    case MSG_PING:
        break;
    }
    msg_clear(&m);
}

/* ---------------------------------------------------------------- ZAP */

static void s_zap(node_t *n)
{
    zmq_msg_t f[8];
    int nf = 0, more = 1;
    while (more && nf < 8) {
        zmq_msg_init(&f[nf]);
        if (zmq_msg_recv(&f[nf], n->zap, 0) < 0) {
            zmq_msg_close(&f[nf]);
            break;
        }
        more = zmq_msg_more(&f[nf]);
        nf++;
    }
    while (more) { /* drain an over-long request */
        zmq_msg_t x;
        zmq_msg_init(&x);
        zmq_msg_recv(&x, n->zap, 0);
        more = zmq_msg_more(&x);
        zmq_msg_close(&x);
    }
    const char *status = "400", *text = "not a member of this mesh";
    char user[80] = "";
    if (nf >= 7 && zmq_msg_size(&f[0]) == 3 && memcmp(zmq_msg_data(&f[0]), "1.0", 3) == 0 &&
        zmq_msg_size(&f[5]) == 5 && memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 &&
        zmq_msg_size(&f[6]) == 32 && n->in_mesh) {
        const member_t *m = members_find_curve(&n->members, zmq_msg_data(&f[6]));
        if (m && !m->revoked && memcmp(m->key, repo_key(n->repo)->pk, 32) != 0) {
            peer_t *p = s_peer(n, m->key, false);
            if (p && s_now() < p->banned_until) {
                text = "temporarily refused";
            } else {
                status = "200";
                text = "OK";
                hex_encode(m->key, 32, user);
            }
        } else if (!m && invites_open(n->home, repo_now_ms())) {
            /* an unknown key while an invite is open: a guest that may
             * only send JOIN (s_guest_in); it never sees ordinary data */
            status = "200";
            text = "guest (invite open)";
            memcpy(user, "guest:", 6);
            hex_encode(zmq_msg_data(&f[6]), 32, user + 6);
        }
    }
    if (n->o.verbose || status[0] != '2')
        s_log(n, "ZAP %s: %s", status, text);
    const void *rid = nf >= 2 ? zmq_msg_data(&f[1]) : "";
    size_t rlen = nf >= 2 ? zmq_msg_size(&f[1]) : 0;
    zmq_send(n->zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(n->zap, rid, rlen, ZMQ_SNDMORE);
    zmq_send(n->zap, status, 3, ZMQ_SNDMORE);
    zmq_send(n->zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(n->zap, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(n->zap, "", 0, 0);
    for (int i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
}

/* ---------------------------------------------------------------- invites */

/* The certificates and mesh settings of the store, copied (s_joined). */
typedef struct {
    buf_t raw;
    size_t *offs, *lens, n, cap;
} certs_t;

static int s_cert_add(void *ctx, size_t i, const uint8_t *rec, size_t len)
{
    (void)i;
    certs_t *cs = ctx;
    edit_head_t h;
    if (edit_peek(rec, len, &h) < 0 || (h.kind != REC_MEMBER && h.kind != REC_MESH))
        return 0;
    if (cs->n == MSG_MAX_EDITS)
        return 1;
    if (cs->n == cs->cap) {
        cs->cap = cs->cap ? cs->cap * 2 : 16;
        cs->offs = xrealloc(cs->offs, cs->cap * sizeof *cs->offs);
        cs->lens = xrealloc(cs->lens, cs->cap * sizeof *cs->lens);
    }
    cs->offs[cs->n] = cs->raw.len;
    cs->lens[cs->n++] = len;
    buf_append(&cs->raw, rec, len);
    return 0;
}

static void s_joined(node_t *n, zmq_msg_t *rid, int status, const char *text)
{
    /* every certificate and the mesh settings: the joiner's chain of trust */
    certs_t cs = {0};
    const uint8_t **certs = NULL;
    size_t k = 0;
    if (status == JOIN_OK) {
        char *cause = NULL;
        if (repo_scan(n->repo, s_cert_add, &cs, &cause) < 0) {
            s_log(n, "%s", cause);
            free(cause);
        }
        k = cs.n;
        certs = xcalloc(k ? k : 1, sizeof *certs);
        for (size_t i = 0; i < k; i++)
            certs[i] = cs.raw.data + cs.offs[i];
    }
    size_t *lens = cs.lens;
    buf_t b = {0};
    invite_joined_encode(status, n->mesh, n->members.mesh_name, certs, lens, k, text, &b);
    zmq_send(n->router, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(n->router, b.data, b.len, ZMQ_DONTWAIT);
    buf_free(&b);
    free(certs);
    free(cs.lens);
    free(cs.offs);
    buf_free(&cs.raw);
}

/* A JOIN from a guest connection (an unknown key let in by an open invite). */
static void s_guest_in(node_t *n, zmq_msg_t *rid, const uint8_t curve[32], const uint8_t *data,
                       size_t len)
{
    join_msg_t j;
    if (invite_join_decode(data, len, &j) < 0)
        return; /* guests may say nothing else */
    char hex[65];
    hex_encode(j.node, 32, hex);
    invite_t inv;
    uint64_t now = repo_now_ms();
    uint8_t want_curve[32], proof[32];
    if (memcmp(j.mesh_prefix, n->mesh, INVITE_PREFIX_LEN) != 0) {
        s_joined(n, rid, JOIN_WRONG_MESH, "this node belongs to another mesh");
        return;
    }
    if (!invites_find(n->home, j.id, &inv)) {
        s_joined(n, rid, JOIN_UNKNOWN, "this node did not make that invite");
        return;
    }
    if (key_curve_pk(j.node, want_curve) < 0 || memcmp(want_curve, curve, 32) != 0) {
        s_joined(n, rid, JOIN_BAD_PROOF, "the node id does not match the connection's key");
        return;
    }
    invite_proof(inv.key, j.node, curve, n->curve_pk, proof);
    if (sodium_memcmp(proof, j.proof, 32) != 0) {
        s_joined(n, rid, JOIN_BAD_PROOF, "wrong invite code");
        return;
    }
    if (inv.used) {
        s_joined(n, rid, JOIN_USED, "this invite code was already used");
        return;
    }
    if (inv.expires <= now) {
        s_joined(n, rid, JOIN_EXPIRED, "this invite code has expired");
        return;
    }
    char *cause = NULL;
    /* used first: a crash after this admits nobody twice */
    if (invites_mark_used(n->home, j.id, &cause) < 0) {
        s_log(n, "invite: %s", cause);
        free(cause);
        s_joined(n, rid, JOIN_REFUSED, "the inviting node cannot record the invite as used");
        return;
    }
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str(j.name));
    pv_map_set(f, "role", pv_str(inv.role));
    pv_map_set(f, "revoked", pv_bool(false));
    int rc = repo_edit(n->repo, REC_MEMBER, j.node, f, NULL, &cause);
    pv_free(&f);
    if (rc < 0) {
        s_log(n, "invite: cannot admit %.10s: %s", hex, cause ? cause : "?");
        s_joined(n, rid, JOIN_REFUSED, cause ? cause : "the inviting node cannot admit members");
        free(cause);
        return;
    }
    s_reload_members(n);
    s_log(n, "invite: admitted %.10s (%s) as %s", hex, j.name, inv.role);
    s_joined(n, rid, JOIN_OK, "admitted");
}

/* ---------------------------------------------------------------- router, dealers */

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
        s_guest_in(n, &rid, key, zmq_msg_data(&body), zmq_msg_size(&body));
        goto done;
    }
    if (!user || hex_decode(user, key, 32) < 0)
        goto done;
    if (!members_active(&n->members, key))
        goto done; /* revoked since the handshake */
    peer_t *p = s_peer(n, key, true);
    if (zmq_msg_size(&rid) <= sizeof p->rid) {
        memcpy(p->rid, zmq_msg_data(&rid), zmq_msg_size(&rid));
        p->rid_len = zmq_msg_size(&rid);
    }
    s_handle(n, p, LINK_ROUTER, zmq_msg_data(&body), zmq_msg_size(&body));
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
        s_handle(n, p, LINK_DEALER, zmq_msg_data(&body), zmq_msg_size(&body));
    }
    zmq_msg_close(&body);
    return got;
}

/* ---------------------------------------------------------------- beacon */

static void s_lan_log(void *ctx, const char *line)
{
    s_log(ctx, "%s", line);
}

static void s_beacon_send(node_t *n)
{
    if (!n->lan || !n->in_mesh || n->listen_port == 0)
        return;
    beacon_t b;
    memcpy(b.mesh, n->mesh, 32);
    memcpy(b.node, repo_key(n->repo)->pk, 32);
    b.port = n->listen_port;
    uint8_t d[BEACON_LEN];
    beacon_encode(&b, d);
    lan_send(n->lan, d, sizeof d, s_lan_log, n);
}

static void s_beacon_in(node_t *n)
{
    uint8_t d[256];
    struct sockaddr_in from;
    ssize_t r;
    while ((r = lan_recv(n->lan, d, sizeof d, &from)) >= 0) {
        beacon_t b;
        if (beacon_decode(d, (size_t)r, &b) < 0 || memcmp(b.mesh, n->mesh, 32) != 0)
            continue;
        const uint8_t *key = b.node;
        if (memcmp(key, repo_key(n->repo)->pk, 32) == 0 || !members_active(&n->members, key))
            continue;
        /* one link per pair: the smaller key connects */
        if (memcmp(repo_key(n->repo)->pk, key, 32) > 0)
            continue;
        peer_t *p = s_peer(n, key, true);
        if (s_now() < p->banned_until || (p->dealer && s_connected(p, s_now())))
            continue;
        char addr[64], ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
        snprintf(addr, sizeof addr, "tcp://%s:%u", ip, (unsigned)b.port);
        /* The address only says where to try: CURVE with the beaconed key
         * as server key means only that key's owner can answer. */
        if (strcmp(p->addr, addr) != 0 || !p->dealer)
            s_connect(n, p, addr);
    }
}

/* ---------------------------------------------------------------- clock */

/* A wall clock before this date is certainly wrong (a board without a
 * real-time clock that booted without network time). */
#define NODE_CLOCK_FLOOR_MS 1767225600000ULL /* 2026-01-01 */

static void s_fmt_span(int64_t ms, char *out, size_t n)
{
    uint64_t a = (uint64_t)(ms < 0 ? -ms : ms);
    if (a >= 2 * 86400000ULL)
        snprintf(out, n, "%llu days", (unsigned long long)(a / 86400000ULL));
    else if (a >= 2 * 3600000ULL)
        snprintf(out, n, "%llu hours", (unsigned long long)(a / 3600000ULL));
    else
        snprintf(out, n, "%llu minutes", (unsigned long long)(a / 60000ULL));
}

/* How far this node's wall clock seems off: the median of its connected
 * peers' offsets (from HELLO) when at least two peers agree on more than
 * the skew bound; one peer alone cannot tell which clock is wrong. 0 when
 * nothing is known or all is within the bound. */
static int64_t s_clock_error(node_t *n, size_t *npeers)
{
    int64_t v[64];
    size_t k = 0;
    uint64_t now = s_now();
    for (size_t i = 0; i < n->npeers && k < 64; i++)
        if (n->peers[i]->clock_known && s_connected(n->peers[i], now))
            v[k++] = n->peers[i]->clock_offset;
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
    /* the median must stand for a majority: half the peers or more on
     * the same side, beyond the bound */
    size_t same = 0;
    for (size_t i = 0; i < k; i++)
        same += (med > 0 && v[i] > HLC_MAX_SKEW_MS) || (med < 0 && v[i] < -HLC_MAX_SKEW_MS);
    if ((med > -HLC_MAX_SKEW_MS && med < HLC_MAX_SKEW_MS) || same * 2 < k)
        return 0;
    return -med; /* peers ahead: this node is behind */
}

/* Lines that say what is wrong with this node's clock, for peers, doctor
 * and the log. Appends to notes (a PV_ARR); returns the number added. */
static size_t s_clock_notes(node_t *n, pv_t *notes)
{
    size_t added = 0, k = 0;
    char span[32], buf[300];
    uint64_t wall = repo_now_ms();
    if (wall < NODE_CLOCK_FLOOR_MS) {
        time_t t = (time_t)(wall / 1000);
        struct tm tm;
        char day[32];
        gmtime_r(&t, &tm);
        strftime(day, sizeof day, "%Y-%m-%d", &tm);
        snprintf(buf, sizeof buf, "this node's clock says %s, which cannot be right: set the date "
                                  "(timedatectl set-time or date -s)", day);
        pv_arr_push(notes, pv_str(buf));
        added++;
    }
    int64_t err = s_clock_error(n, &k);
    if (err != 0) {
        s_fmt_span(err, span, sizeof span);
        snprintf(buf, sizeof buf, "this node's clock seems %s %s its %zu peers: set it (timedatectl "
                                  "set-time); edits it writes are dated wrong",
                 span, err < 0 ? "behind" : "ahead of", k);
        pv_arr_push(notes, pv_str(buf));
        added++;
    }
    for (size_t i = 0; err == 0 && i < n->npeers; i++) {
        /* no majority to go by: name each peer whose clock disagrees */
        peer_t *p = n->peers[i];
        if (!p->clock_known || !s_connected(p, s_now()) ||
            (p->clock_offset <= HLC_MAX_SKEW_MS && p->clock_offset >= -HLC_MAX_SKEW_MS))
            continue;
        s_fmt_span(p->clock_offset, span, sizeof span);
        snprintf(buf, sizeof buf, "the clock of peer %.10s (%s) is %s %s this node's: one of the "
                                  "two is wrong",
                 p->hex, p->name, span, p->clock_offset > 0 ? "ahead of" : "behind");
        pv_arr_push(notes, pv_str(buf));
        added++;
    }
    size_t held = repo_held_count(n->repo);
    if (held > 0) {
        int64_t ahead = (int64_t)hlc_ms(repo_held_max(n->repo)) - (int64_t)wall;
        s_fmt_span(ahead, span, sizeof span);
        snprintf(buf, sizeof buf, "%zu edits are held: dated up to %s ahead of this node's clock, "
                                  "they count once it gets there (if this clock is behind, set it)",
                 held, ahead > 100LL * 365 * 86400000 ? "centuries" : span);
        pv_arr_push(notes, pv_str(buf));
        added++;
    }
    return added;
}

/* Logs the clock's state when it changes (not on every tick). */
static void s_clock_log(node_t *n)
{
    size_t k = 0;
    int64_t err = s_clock_error(n, &k);
    int st = repo_now_ms() < NODE_CLOCK_FLOOR_MS ? -1 : err < 0 ? -1 : err > 0 ? 1 : 0;
    if (st == n->clock_state)
        return;
    n->clock_state = st;
    pv_t *notes = pv_arr();
    s_clock_notes(n, notes);
    for (size_t i = 0; i < notes->u.a.n; i++)
        if (!strstr(notes->u.a.items[i]->u.s.p, "are held"))
            s_log(n, "warning: %s", notes->u.a.items[i]->u.s.p);
    if (st == 0)
        s_log(n, "this node's clock agrees with its peers again");
    pv_free(&notes);
}

/* What store_open found damaged and skipped, until repaired. */
static size_t s_store_notes(node_t *n, pv_t *notes)
{
    const store_report_t *rep = repo_report(n->repo);
    if (rep->corrupt_regions == 0)
        return 0;
    char buf[300];
    snprintf(buf, sizeof buf, "store: %zu damaged region%s of the log (%llu bytes from offset %llu) "
                              "were skipped; the edits there are fetched again from peers, and the "
                              "damage is removed once a peer is in sync with this node",
             rep->corrupt_regions, rep->corrupt_regions == 1 ? "" : "s",
             (unsigned long long)rep->corrupt_bytes, (unsigned long long)rep->first_corrupt_at);
    pv_arr_push(notes, pv_str(buf));
    return 1;
}

/* After a round with a peer completed (so this node holds every edit that
 * peer has, including any that sat in a damaged region): the damage is
 * cut from the log, so the next start is clean. */
static void s_repair(node_t *n)
{
    const store_report_t *rep = repo_report(n->repo);
    if (rep->corrupt_regions == 0)
        return;
    uint64_t bytes = rep->corrupt_bytes;
    char *cause = NULL;
    if (repo_compact(n->repo, &cause) < 0) {
        s_log(n, "store: cannot remove the damaged regions: %s", cause ? cause : "?");
        free(cause);
        return;
    }
    s_log(n, "store: repaired: removed %llu damaged bytes from the log after syncing with a peer",
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
    size_t k = repo_release_held(n->repo, repo_now_ms());
    if (k > 0)
        s_log(n, "%zu held edits are due now: applied and passed on", k);
}

/* ---------------------------------------------------------------- control */

static void s_ctl_reply(node_t *n, const uint8_t *rid, size_t rlen, pv_t *reply)
{
    buf_t b = {0};
    pv_encode(reply, &b);
    pv_free(&reply);
    zmq_send(n->control, rid, rlen, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(n->control, b.data, b.len, ZMQ_DONTWAIT);
    buf_free(&b);
}

static pv_t *s_peers_pv(node_t *n)
{
    uint64_t now = s_now();
    pv_t *l = pv_arr();
    for (size_t i = 0; i < n->npeers; i++) {
        peer_t *p = n->peers[i];
        pv_t *m = pv_map();
        pv_map_set(m, "id", pv_str(p->hex));
        pv_map_set(m, "name", pv_str(p->name));
        pv_map_set(m, "address", pv_str(p->addr));
        pv_map_set(m, "static", pv_bool(p->is_static));
        pv_map_set(m, "connected", pv_bool(s_connected(p, now)));
        pv_map_set(m, "last_seen_ms_ago", pv_int(p->last_heard ? (int64_t)(now - p->last_heard) : -1));
        pv_map_set(m, "synced_ms_ago", pv_int(p->last_in_sync ? (int64_t)(now - p->last_in_sync) : -1));
        pv_map_set(m, "sent", pv_int((int64_t)p->sent));
        pv_map_set(m, "received", pv_int((int64_t)p->received));
        pv_map_set(m, "rejected", pv_int((int64_t)p->rejected));
        pv_map_set(m, "held", pv_int((int64_t)p->held));
        if (p->clock_known)
            pv_map_set(m, "clock_offset_ms", pv_int(p->clock_offset));
        pv_map_set(m, "queued", pv_int((int64_t)(p->oq_n + p->wq_n)));
        pv_map_set(m, "member", pv_bool(members_active(&n->members, p->key)));
        pv_arr_push(l, m);
    }
    return l;
}

static void s_reload_config(node_t *n)
{
    char *mesh = config_get(n->home, "mesh");
    bool was = n->in_mesh;
    n->in_mesh = mesh && hex_decode(mesh, n->mesh, 32) == 0;
    free(mesh);
    /* new member certificates mark members_dirty as they are stored */
    if (n->in_mesh && (!was || n->members_dirty))
        s_reload_members(n);
    if (n->in_mesh)
        s_load_static(n);
}

static void s_exec(node_t *n, const uint8_t *rid, size_t rlen, const pv_t *req)
{
    const pv_t *args = req->u.a.n >= 2 ? req->u.a.items[1] : NULL;
    const pv_t *env = req->u.a.n >= 3 ? req->u.a.items[2] : NULL;
    if (!args || args->type != PV_ARR || args->u.a.n == 0 || args->u.a.n > 256 || !n->o.exec)
        return;
    char **argv = xcalloc(args->u.a.n + 1, sizeof(char *));
    for (size_t i = 0; i < args->u.a.n; i++)
        argv[i] = args->u.a.items[i]->type == PV_STR ? args->u.a.items[i]->u.s.p : "";
    const char *now = pv_get_str(env, "BUURT_NOW_MS");
    if (now)
        setenv("BUURT_NOW_MS", now, 1);
    char *ob = NULL, *eb = NULL;
    size_t ol = 0, el = 0;
    FILE *of = open_memstream(&ob, &ol), *ef = open_memstream(&eb, &el);
    fflush(stdout);
    fflush(stderr);
    FILE *so = stdout, *se = stderr;
    stdout = of;
    stderr = ef;
    int code = n->o.exec(n->repo, (int)args->u.a.n, argv);
    fflush(of);
    fflush(ef);
    stdout = so;
    stderr = se;
    fclose(of);
    fclose(ef);
    if (now)
        unsetenv("BUURT_NOW_MS");
    free(argv);
    pv_t *r = pv_arr();
    pv_arr_push(r, pv_str("result"));
    pv_arr_push(r, pv_int(code));
    pv_arr_push(r, pv_bin(ob, ol));
    pv_arr_push(r, pv_bin(eb, el));
    free(ob);
    free(eb);
    s_ctl_reply(n, rid, rlen, r);
    /* a command may have purged, changed membership, the mesh or peers */
    if (repo_epoch(n->repo) != n->epoch)
        s_rebuild_set(n);
    s_reload_config(n);
}

static void s_control_in(node_t *n)
{
    zmq_msg_t rid, body;
    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    pv_t *req = NULL;
    if (zmq_msg_recv(&rid, n->control, ZMQ_DONTWAIT) < 0 || !zmq_msg_more(&rid) ||
        zmq_msg_recv(&body, n->control, 0) < 0)
        goto done;
    if (zmq_msg_size(&rid) > 255 ||
        pv_decode(zmq_msg_data(&body), zmq_msg_size(&body), &req) < 0 || req->type != PV_ARR ||
        req->u.a.n < 1 || req->u.a.items[0]->type != PV_STR)
        goto done;
    const char *op = req->u.a.items[0]->u.s.p;
    const uint8_t *r = zmq_msg_data(&rid);
    size_t rl = zmq_msg_size(&rid);
    if (strcmp(op, "exec") == 0) {
        s_exec(n, r, rl, req);
    } else if (strcmp(op, "peers") == 0) {
        pv_t *rep = pv_arr();
        pv_arr_push(rep, pv_str("peers"));
        pv_arr_push(rep, s_peers_pv(n));
        pv_arr_push(rep, pv_int((int64_t)repo_edit_count(n->repo)));
        pv_t *st = pv_map(), *notes = pv_arr();
        size_t k = 0;
        int64_t err = s_clock_error(n, &k);
        s_clock_notes(n, notes);
        s_store_notes(n, notes);
        if (n->lan) {
            lan_notes(n->lan, notes);
            pv_map_set(st, "beacons", lan_status(n->lan));
        }
        pv_map_set(st, "edits", pv_int((int64_t)repo_edit_count(n->repo)));
        pv_map_set(st, "held", pv_int((int64_t)repo_held_count(n->repo)));
        if (repo_held_count(n->repo))
            pv_map_set(st, "held_until_ms", pv_int((int64_t)hlc_ms(repo_held_max(n->repo))));
        pv_map_set(st, "clock_error_ms", pv_int(err));
        pv_map_set(st, "notes", notes);
        pv_arr_push(rep, st);
        s_ctl_reply(n, r, rl, rep);
    } else if (strcmp(op, "sync") == 0) {
        uint64_t now = s_now();
        bool wait = req->u.a.n >= 2 && req->u.a.items[1]->type == PV_BOOL && req->u.a.items[1]->u.b;
        int64_t to = req->u.a.n >= 3 && req->u.a.items[2]->type == PV_INT ? req->u.a.items[2]->u.i : 60000;
        size_t started = 0;
        for (size_t i = 0; i < n->npeers; i++)
            if (s_connected(n->peers[i], now)) {
                s_start_round(n, n->peers[i], LINK_ANY);
                started++;
            }
        if (!wait || started == 0) {
            pv_t *rep = pv_arr();
            pv_arr_push(rep, pv_str("synced"));
            pv_arr_push(rep, pv_int((int64_t)started));
            pv_arr_push(rep, pv_bool(true));
            s_ctl_reply(n, r, rl, rep);
        } else {
            n->waiters = xrealloc(n->waiters, (n->nwaiters + 1) * sizeof *n->waiters);
            waiter_t *w = &n->waiters[n->nwaiters++];
            memcpy(w->rid, r, rl);
            w->rid_len = rl;
            w->t0 = now;
            w->deadline = now + (uint64_t)(to > 0 ? to : 60000);
        }
    }
done:
    pv_free(&req);
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
}

/* A waiter is done when every connected peer finished a round after it
 * started and nothing is queued either way. */
static void s_check_waiters(node_t *n)
{
    uint64_t now = s_now();
    for (size_t w = 0; w < n->nwaiters;) {
        waiter_t *x = &n->waiters[w];
        size_t pending = 0, peers = 0;
        for (size_t i = 0; i < n->npeers; i++) {
            peer_t *p = n->peers[i];
            if (!s_connected(p, now))
                continue;
            peers++;
            if (p->last_in_sync < x->t0 || p->round_open || p->oq_n || p->wq_n || p->wants_inflight)
                pending++;
        }
        if (pending == 0 || now >= x->deadline) {
            pv_t *rep = pv_arr();
            pv_arr_push(rep, pv_str("synced"));
            pv_arr_push(rep, pv_int((int64_t)peers));
            pv_arr_push(rep, pv_bool(pending == 0));
            pv_arr_push(rep, pv_int((int64_t)pending));
            s_ctl_reply(n, x->rid, x->rid_len, rep);
            n->waiters[w] = n->waiters[--n->nwaiters];
        } else {
            w++;
        }
    }
}

/* ---------------------------------------------------------------- lifecycle */

static void *s_bind(node_t *n, int type, const char *ep, char **cause, int *rc)
{
    void *s = zmq_socket(n->ctx, type);
    s_set_common(s);
    if (type == ZMQ_ROUTER && strncmp(ep, "tcp://", 6) == 0) {
        int one = 1;
        zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, n->curve_sk, 32);
        zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, "buurt", 5);
    }
    if (zmq_bind(s, ep) != 0) {
        *rc = bu_fail(cause, BU_EIO, "cannot listen on %s: %s", ep, zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

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
    /* first purge a while after start: not in the way of start-up or of
     * catching up after a link comes back */
    n->next_purge = s_now() + NODE_PURGE_FIRST_MS;
    s_rebuild_set(n);
    repo_set_listener(n->repo, s_on_new, n);
    char *mesh = config_get(n->home, "mesh");
    n->in_mesh = mesh && hex_decode(mesh, n->mesh, 32) == 0;
    free(mesh);
    if (n->in_mesh)
        repo_members_for(n->repo, n->mesh, &n->members);

    n->ctx = zmq_ctx_new();
    /* ZAP first: no CURVE connection can be accepted before it answers */
    n->zap = zmq_socket(n->ctx, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt(n->zap, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(n->zap, "inproc://zeromq.zap.01") != 0) {
        rc = bu_fail(cause, BU_EIO, "cannot start ZAP handler: %s", zmq_strerror(errno));
        goto fail;
    }
    if (opts->listen) {
        if (!(n->router = s_bind(n, ZMQ_ROUTER, opts->listen, cause, &rc)))
            goto fail;
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
    mode_t old = umask(077);
    char *ctl = xasprintf("ipc://%s/control.sock", n->home);
    unlink(ctl + 6);
    n->control = s_bind(n, ZMQ_ROUTER, ctl, cause, &rc);
    free(ctl);
    umask(old);
    if (!n->control)
        goto fail;
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
    if (n->in_mesh)
        s_load_static(n);
    s_log(n, "node %s (%s) started: %zu edits, %s", repo_key(n->repo)->id, repo_name(n->repo),
          repo_edit_count(n->repo), n->in_mesh ? "in a mesh" : "no mesh yet (buurt mesh create/join)");
    const store_report_t *rep = repo_report(n->repo);
    if (rep->tail_cut_bytes)
        s_log(n, "store: cut %llu bytes of an unfinished write from the end of the log; every "
                 "edit before them is kept", (unsigned long long)rep->tail_cut_bytes);
    if (rep->leftover_bytes)
        s_log(n, "store: removed edits.log.new (%llu bytes), left by an interrupted purge",
              (unsigned long long)rep->leftover_bytes);
    pv_t *notes = pv_arr();
    s_clock_notes(n, notes);
    s_store_notes(n, notes);
    for (size_t i = 0; i < notes->u.a.n; i++)
        s_log(n, "warning: %s", notes->u.a.items[i]->u.s.p);
    pv_free(&notes);
    n->clock_state = repo_now_ms() < NODE_CLOCK_FLOOR_MS ? -1 : 0;
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

int node_run(node_t *n)
{
    size_t cap = 0;
    zmq_pollitem_t *items = NULL;
    while (!n->stop) {
        uint64_t now = s_now();
        long timeout = 1000;
        bool backlog = false;
        if (now >= n->next_purge) {
            s_purge(n);
            n->next_purge = now + NODE_PURGE_MS;
        }
        for (size_t i = 0; i < n->npeers; i++) {
            peer_t *p = n->peers[i];
            if (p->oq_n && s_drain(n, p))
                backlog = true;
            if ((p->dealer || p->rid_len) && now - p->last_sent >= NODE_PING_MS) {
                buf_t b = {0};
                msg_ping(&b);
                s_send(n, p, LINK_ANY, &b);
                buf_free(&b);
            }
            if (s_connected(p, now) && p->next_round && now >= p->next_round)
                s_start_round(n, p, LINK_ANY);
            s_redial(n, p, now);
            /* a WANT whose reply was lost (queue full, link dropped) must not
             * stall fetching: give up on it after NODE_WANT_TIMEOUT_MS */
            if (p->wants_inflight && now - p->want_sent > NODE_WANT_TIMEOUT_MS) {
                p->wants_inflight = 0;
                s_pump_wants(n, p, LINK_ANY);
            }
        }
        s_release(n, now);
        s_clock_log(n);
        if (n->lan && now >= n->next_beacon) {
            s_beacon_send(n);
            n->next_beacon = now + (uint64_t)n->o.beacon_interval_ms;
        }
        if (n->nwaiters)
            s_check_waiters(n);
        if (backlog)
            timeout = 5;
        else if (n->nwaiters)
            timeout = 50;

        size_t need = 4 + n->npeers;
        if (need > cap) {
            cap = need * 2;
            items = xrealloc(items, cap * sizeof *items);
        }
        size_t k = 0;
        items[k++] = (zmq_pollitem_t){n->zap, 0, ZMQ_POLLIN, 0};
        items[k++] = (zmq_pollitem_t){n->control, 0, ZMQ_POLLIN, 0};
        if (n->router)
            items[k++] = (zmq_pollitem_t){n->router, 0, ZMQ_POLLIN, 0};
        if (n->lan)
            items[k++] = (zmq_pollitem_t){NULL, lan_fd(n->lan), ZMQ_POLLIN, 0};
        size_t first_dealer = k;
        peer_t **order = xmalloc((n->npeers + 1) * sizeof *order);
        for (size_t i = 0; i < n->npeers; i++)
            if (n->peers[i]->dealer) {
                order[k - first_dealer] = n->peers[i];
                items[k++] = (zmq_pollitem_t){n->peers[i]->dealer, 0, ZMQ_POLLIN, 0};
            }
        int r = zmq_poll(items, (int)k, timeout);
        if (r < 0) {
            free(order);
            if (errno == EINTR)
                continue;
            s_log(n, "poll failed: %s", zmq_strerror(errno));
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            s_zap(n);
        size_t j = 2;
        if (n->router) {
            if (items[j].revents & ZMQ_POLLIN)
                for (int c = 0; c < 512 && s_router_in(n); c++)
                    ;
            j++;
        }
        if (n->lan) {
            if (items[j].revents & ZMQ_POLLIN)
                s_beacon_in(n);
            j++;
        }
        for (size_t d = first_dealer; d < k; d++) {
            peer_t *p = order[d - first_dealer];
            if ((items[d].revents & ZMQ_POLLIN) && p->dealer == items[d].socket)
                for (int c = 0; c < 512 && p->dealer == items[d].socket && s_dealer_in(n, p); c++)
                    ;
        }
        free(order);
        if (items[1].revents & ZMQ_POLLIN) {
            s_control_in(n);
            /* between commands: no merged state is borrowed now; a big
             * command (a full listing) leaves freed memory that glibc
             * would otherwise keep */
            repo_trim(n->repo);
#ifdef __GLIBC__
            malloc_trim(0);
#endif
        }
        if (n->members_dirty)
            s_reload_members(n);
        if (n->voids_dirty)
            s_apply_voids(n);
    }
    free(items);
    s_log(n, "stopping: %zu edits stored", repo_edit_count(n->repo));
    return 0;
}

void node_destroy(node_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    node_t *n = *self_p;
    for (size_t i = 0; i < n->npeers; i++) {
        peer_t *p = n->peers[i];
        if (p->dealer)
            zmq_close(p->dealer);
        free(p->outq);
        free(p->wantq);
        free(p);
    }
    free(n->peers);
    if (n->router)
        zmq_close(n->router);
    bool had_control = n->control != NULL;
    if (n->control)
        zmq_close(n->control);
    if (n->zap)
        zmq_close(n->zap);
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
    members_clear(&n->members);
    repo_close(&n->repo);
    free(n->waiters);
    free(n->bad);
    free(n->home);
    sodium_memzero(n->curve_sk, sizeof n->curve_sk);
    free(n);
    *self_p = NULL;
}
