/*
 * session.c -- one peer's protocol state machine (see session.h).
 *
 * Queues. `give` holds store indices to send, each at most once (a bit per
 * store index in `queued` says whether it is in the queue); `want` holds
 * ids to ask for, at most SESSION_WANT_MAX. Both are plain arrays with a
 * head; their memory is given back when they drain.
 */
#include "node/session.h"
#include "node/store.h"
#include "proto/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_WANT_MAX 65536  /* ids waiting to be asked for; a round finds the rest */
#define SESSION_KEEP_CAP 1024   /* queue entries kept allocated when a queue drains */
#define SESSION_OUT_MAX_BYTES (8u << 20) /* answers waiting for a full link */
#define SESSION_ROUND_TIMEOUT_MS 10000   /* a round without a RECON this long starts again */

typedef struct {
    link_t link;
    buf_t b;
} s_out_t;

struct session {
    const session_env_t *env;
    uint8_t key[32];        /* the peer's node id */
    char hex[65];
    char name[121];         /* from HELLO or membership */
    /* links */
    bool dealer;            /* the node has a dealer link to the peer */
    bool dealer_waiting;    /* HELLO sent on it, the answer not seen yet */
    bool dealer_ok;         /* the peer answered HELLO on it */
    uint8_t rid[256];       /* its current router connection */
    size_t rid_len;         /* 0 = none */
    bool router_ok;         /* the peer said HELLO on that connection */
    uint8_t gone[256];      /* a connection that went down after its HELLO */
    size_t gone_len;
    uint64_t nudged;        /* ms: last HELLO sent to a connection that skipped it */
    /* time */
    uint64_t last_heard, last_sent, last_in_sync, next_round, banned_until;
    uint64_t stored_at;     /* ms: the last edit from the peer that was new here */
    bool round_open;        /* a round we started is not complete */
    /* counters */
    uint64_t sent, received, rejected, held;
    uint64_t bytes_out, bytes_in, msgs_out, msgs_in; /* frames, since the session began */
    uint64_t pings_out;     /* of msgs_out */
    uint64_t twice;         /* edits the peer pushed that were held here already */
    int64_t clock_offset;
    bool clock_known;
    uint32_t peer_caps;     /* MSG_CAP_* of the peer's latest HELLO */
    /* zstd: each direction of each link's history (protocol.md §10.7),
     * indexed by link_t; a HELLO sent resets hout, one received hin */
    msg_hist_t hout[3], hin[3];
    uint64_t hist_asked;    /* ms: last HELLO sent because the histories parted */
    uint64_t parted;        /* ZEDITS that could not be read: histories parted */
    /* announcing (§10.8): lazy = new edits are announced to the peer, not
     * pushed whole; ann holds the pushes to announce (store indices),
     * sent at ann_due */
    bool lazy;
    uint32_t ann[SESSION_ANNOUNCE_MAX];
    size_t an_n;
    uint64_t ann_due;       /* ms; 0: not set yet */
    /* first 8 bytes of ids the peer showed it has (announced them, sent
     * them): not pushed or announced to it; ids announced to it: its WANT
     * for one makes it eager again */
    uint64_t heard[SESSION_HEARD], told[SESSION_HEARD];
    size_t heard_at, told_at;
    /* ids the peer announced that this node lacks: asked for at pend_due
     * unless they arrived whole meanwhile */
    uint8_t (*pend)[32];
    size_t pend_n;
    uint64_t pend_due;
    /* give queue: store indices */
    uint32_t *give;
    size_t gq_head, gq_n, gq_cap;
    uint8_t *queued;        /* bit i: store index i is in give */
    size_t queued_bytes;
    /* want queue: ids */
    uint8_t (*want)[32];
    size_t wq_head, wq_n, wq_cap;
    int wants_inflight;
    uint64_t want_sent;     /* ms: last WANT */
    link_t want_link;       /* where WANTs go: the link the last RECON came on */
    /* input bounds, per SESSION_IN_WINDOW_MS */
    uint64_t in_window;     /* ms: the window's start */
    uint32_t in_msgs, want_ids, ann_ids;
    uint64_t in_bytes, work;
    uint64_t dropped;       /* WANTs and RECONs left unanswered (over budget) */
    /* answers (RECON, WANT's EDITS) and our WANTs the link would not take
     * yet: sent, in order, before any more EDITS of the give queue */
    s_out_t *out;
    size_t oq_head, oq_n, oq_cap, oq_bytes;
    uint64_t round_at;      /* ms: the last RECON sent or received */
    /* rejected edits: the log sums them up; invalid ones count to a ban */
    uint64_t rej_unlogged, rej_logged_at, inv_window;
    uint32_t inv_n;
    char rej_why[160];
};

static void s_log(session_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_log(session_t *s, const char *fmt, ...)
{
    if (!s->env->log)
        return;
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->env->log(s->env->ctx, line);
}

/* ---------------------------------------------------------------- asked */

#define SESSION_ASKED_WAYS 4

struct session_asked {
    struct {
        uint8_t id[32];
        uint64_t at;  /* ms */
        bool used;
    } slot[SESSION_ASKED_SLOTS];
};

session_asked_t *session_asked_new(void) { return xcalloc(1, sizeof(session_asked_t)); }

void session_asked_free(session_asked_t **self_p)
{
    if (self_p == NULL)
        return;
    free(*self_p);
    *self_p = NULL;
}

/* True (and remembered as asked now) when id was not asked for within
 * SESSION_ASK_MS. Ids are hashes, so their first bytes pick the set; a
 * full set forgets its oldest (a duplicate fetch at worst). */
static bool s_asked_claim(session_asked_t *a, const uint8_t id[32], uint64_t now)
{
    if (a == NULL)
        return true;
    uint32_t h;
    memcpy(&h, id, sizeof h);
    size_t base = (size_t)(h % (SESSION_ASKED_SLOTS / SESSION_ASKED_WAYS)) * SESSION_ASKED_WAYS;
    size_t old = base;
    for (size_t w = 0; w < SESSION_ASKED_WAYS; w++) {
        size_t i = base + w;
        if (a->slot[i].used && memcmp(a->slot[i].id, id, 32) == 0) {
            if (now - a->slot[i].at < SESSION_ASK_MS)
                return false;
            a->slot[i].at = now;
            return true;
        }
        if (!a->slot[i].used || (a->slot[old].used && a->slot[i].at < a->slot[old].at))
            old = i;
    }
    memcpy(a->slot[old].id, id, 32);
    a->slot[old].at = now;
    a->slot[old].used = true;
    return true;
}

/* ---------------------------------------------------------------- session */

session_t *session_new(const session_env_t *env, const uint8_t key[32])
{
    session_t *s = xcalloc(1, sizeof *s);
    s->env = env;
    memcpy(s->key, key, 32);
    hex_encode(key, 32, s->hex);
    s->want_link = LINK_ANY;
    return s;
}

void session_free(session_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    session_t *s = *self_p;
    free(s->give);
    free(s->queued);
    free(s->want);
    free(s->pend);
    for (size_t i = 0; i < s->oq_n; i++)
        buf_free(&s->out[s->oq_head + i].b);
    free(s->out);
    for (int l = 0; l < 3; l++) {
        msg_hist_free(&s->hout[l]);
        msg_hist_free(&s->hin[l]);
    }
    free(s);
    *self_p = NULL;
}

const uint8_t *session_key(const session_t *self) { return self->key; }
const char *session_hex(const session_t *self) { return self->hex; }
const char *session_name(const session_t *self) { return self->name; }

void session_set_name(session_t *self, const char *name)
{
    snprintf(self->name, sizeof self->name, "%s", name ? name : "");
}

bool session_connected(const session_t *s, uint64_t now)
{
    return s->last_heard && now - s->last_heard < SESSION_ALIVE_MS && now >= s->banned_until &&
           (s->dealer_ok || s->router_ok);
}

uint64_t session_banned_until(const session_t *self) { return self->banned_until; }

const uint8_t *session_rid(const session_t *self, size_t *len)
{
    *len = self->rid_len;
    return self->rid;
}

uint32_t session_caps(const session_t *self) { return self->env->caps & self->peer_caps; }
bool session_backlog(const session_t *self)
{
    return self->gq_n > 0 || self->oq_n > 0 || self->an_n > 0 || self->pend_n > 0;
}

bool session_clock_offset(const session_t *self, int64_t *offset_ms)
{
    if (self->clock_known)
        *offset_ms = self->clock_offset;
    return self->clock_known;
}

/* ---------------------------------------------------------------- sending */

/* The link that carries our own initiatives: the dealer when its
 * handshake is done, else the router connection. */
static link_t s_preferred(const session_t *s)
{
    if (s->dealer && s->dealer_ok)
        return LINK_DEALER;
    if (s->rid_len && s->router_ok)
        return LINK_ROUTER;
    return LINK_ANY;
}

static int s_send(session_t *s, link_t link, const buf_t *b, uint64_t now)
{
    if (link == LINK_ANY)
        link = s_preferred(s);
    if (link == LINK_ANY || (link == LINK_DEALER && !s->dealer) ||
        (link == LINK_ROUTER && !s->rid_len)) {
        errno = ENOTCONN;
        return -1;
    }
    int rc = s->env->send(s->env->ctx, s, link, b);
    if (rc == 0) {
        s->last_sent = now;
        s->bytes_out += b->len;
        s->msgs_out++;
    }
    return rc;
}

/* True when edits travel compressed with the peer, with link histories. */
static bool s_zstd(const session_t *s)
{
    return (session_caps(s) & MSG_CAP_ZSTD) && s->env->zc != NULL;
}

/*
 * The frame that carries the EDITS in plain on link: a ZEDITS made against
 * the link's history when the peer takes them and it is smaller (into z),
 * else plain itself (protocol.md §10.7). Once it is sent (or waits to
 * be), s_sent_edits adds plain to the history.
 */
static buf_t *s_pack(session_t *s, link_t link, buf_t *plain, buf_t *z)
{
    if (!s_zstd(s) || link == LINK_ANY)
        return plain;
    return msg_zedits_hist(z, s->env->zc, plain->data, plain->len, &s->hout[link]) > 0 ? z : plain;
}

static void s_sent_edits(session_t *s, link_t link, const buf_t *plain)
{
    if (s_zstd(s) && link != LINK_ANY)
        msg_hist_add(&s->hout[link], plain->data, plain->len);
}

/* Forgets the answers waiting for the link (it is gone). */
static void s_out_drop(session_t *s)
{
    for (size_t i = 0; i < s->oq_n; i++)
        buf_free(&s->out[s->oq_head + i].b);
    s->oq_head = s->oq_n = s->oq_bytes = 0;
    if (s->oq_cap > 64) {
        free(s->out);
        s->out = NULL;
        s->oq_cap = 0;
    }
}

/* Sends the answers waiting for the link, in order, while it takes them.
 * True when none is left waiting. */
static bool s_out_flush(session_t *s, uint64_t now)
{
    while (s->oq_n > 0) {
        s_out_t *o = &s->out[s->oq_head];
        if (s_send(s, o->link, &o->b, now) < 0) {
            if (errno == EAGAIN)
                return false;
            s_out_drop(s); /* the link is gone: the peer asks again */
            return true;
        }
        s->oq_bytes -= o->b.len;
        buf_free(&o->b);
        s->oq_head++;
        s->oq_n--;
    }
    s->oq_head = 0;
    return true;
}

/*
 * Sends an answer (or a WANT) that must not be lost to a full link: when
 * the link does not take it (EAGAIN, the give queue's EDITS filled it), it
 * waits, taking b's bytes, and leaves before any more EDITS. Up to
 * SESSION_OUT_MAX_BYTES wait per peer; past that (a peer that asks and
 * does not read) it is dropped and counted as unanswered. 0 when sent or
 * waiting; b is emptied either way.
 */
static int s_send_answer(session_t *s, link_t link, buf_t *b, uint64_t now)
{
    if (link == LINK_ANY)
        link = s_preferred(s);
    int rc = 0;
    if (s->oq_n == 0 && s_send(s, link, b, now) == 0) {
        buf_free(b);
        return 0;
    }
    if (s->oq_n == 0 && errno != EAGAIN) {
        rc = -1; /* the link is gone */
    } else if (s->oq_bytes + b->len > SESSION_OUT_MAX_BYTES) {
        s->dropped++;
        rc = -1;
    } else {
        if (s->oq_head + s->oq_n == s->oq_cap) {
            if (s->oq_head > 0) {
                memmove(s->out, s->out + s->oq_head, s->oq_n * sizeof *s->out);
                s->oq_head = 0;
            }
            if (s->oq_n == s->oq_cap) {
                s->oq_cap = s->oq_cap ? s->oq_cap * 2 : 8;
                s->out = xrealloc(s->out, s->oq_cap * sizeof *s->out);
            }
        }
        s->out[s->oq_head + s->oq_n++] = (s_out_t){link, *b};
        s->oq_bytes += b->len;
        *b = (buf_t){0};
        return 0;
    }
    buf_free(b);
    return rc;
}

static void s_hello(session_t *s, link_t link, uint64_t now)
{
    if (link != LINK_ANY)
        msg_hist_reset(&s->hout[link]); /* what follows it starts afresh */
    buf_t b = {0};
    msg_hello_caps(&b, s->env->mesh, s->env->name, s->env->wall_ms, s->env->caps);
    if (s_send(s, link, &b, now) == 0 && link == LINK_DEALER)
        s->dealer_waiting = true;
    buf_free(&b);
}

/* Has the node store what it is still verifying (session_env_t.settle). */
static void s_settle(session_t *s)
{
    if (s->env->settle)
        s->env->settle(s->env->ctx);
}

void session_start_round(session_t *s, uint64_t now)
{
    s_settle(s); /* the set then holds every edit received */
    buf_t b = {0};
    sync_start(s->env->set, &b);
    if (s_send_answer(s, LINK_ANY, &b, now) == 0) {
        s->round_open = true;
        s->round_at = now;
        if (s->env->verbose)
            s_log(s, "round with %.10s started (%zu bytes)", s->hex, b.len);
    }
    s->next_round = now + (uint64_t)s->env->recon_interval_ms;
    buf_free(&b);
}

/* ---------------------------------------------------------------- queues */

static bool s_is_queued(const session_t *s, size_t idx)
{
    return idx / 8 < s->queued_bytes && (s->queued[idx / 8] >> (idx % 8) & 1);
}

static void s_mark_queued(session_t *s, size_t idx, bool on)
{
    if (idx / 8 >= s->queued_bytes) {
        if (!on)
            return;
        size_t nb = (idx / 8 + 1) * 2;
        s->queued = xrealloc(s->queued, nb);
        memset(s->queued + s->queued_bytes, 0, nb - s->queued_bytes);
        s->queued_bytes = nb;
    }
    if (on)
        s->queued[idx / 8] |= (uint8_t)(1u << (idx % 8));
    else
        s->queued[idx / 8] &= (uint8_t) ~(1u << (idx % 8));
}

static void s_give(session_t *s, size_t idx)
{
    if (s_is_queued(s, idx))
        return; /* each edit once: a peer cannot make the queue grow past the store */
    if (s->gq_head + s->gq_n == s->gq_cap) {
        if (s->gq_head > 0) {
            memmove(s->give, s->give + s->gq_head, s->gq_n * sizeof *s->give);
            s->gq_head = 0;
        }
        if (s->gq_n == s->gq_cap) {
            s->gq_cap = s->gq_cap ? s->gq_cap * 2 : 256;
            s->give = xrealloc(s->give, s->gq_cap * sizeof *s->give);
        }
    }
    s->give[s->gq_head + s->gq_n++] = (uint32_t)idx;
    s_mark_queued(s, idx, true);
}

static void s_want(session_t *s, const uint8_t id[32])
{
    if (s->wq_n >= SESSION_WANT_MAX)
        return; /* the next round finds it again */
    if (s->wq_head + s->wq_n == s->wq_cap) {
        if (s->wq_head > 0) {
            memmove(s->want, s->want + s->wq_head, s->wq_n * 32);
            s->wq_head = 0;
        }
        if (s->wq_n == s->wq_cap) {
            s->wq_cap = s->wq_cap ? s->wq_cap * 2 : 256;
            s->want = xrealloc(s->want, s->wq_cap * 32);
        }
    }
    memcpy(s->want[s->wq_head + s->wq_n++], id, 32);
}

/* Gives memory back once a queue has drained. */
static void s_shrink(session_t *s)
{
    if (s->gq_n == 0) {
        s->gq_head = 0;
        if (s->gq_cap > SESSION_KEEP_CAP) {
            free(s->give);
            s->give = NULL;
            s->gq_cap = 0;
            free(s->queued);
            s->queued = NULL;
            s->queued_bytes = 0;
        }
    }
    if (s->wq_n == 0) {
        s->wq_head = 0;
        if (s->wq_cap > SESSION_KEEP_CAP) {
            free(s->want);
            s->want = NULL;
            s->wq_cap = 0;
        }
    }
}

static void s_drop_queues(session_t *s)
{
    while (s->gq_n > 0) {
        s_mark_queued(s, s->give[s->gq_head++], false);
        s->gq_n--;
    }
    s->wq_n = 0;
    s->an_n = 0;
    s->ann_due = 0;
    s->pend_n = 0;
    s->wants_inflight = 0;
    s->round_open = false;
    s_out_drop(s);
    s_shrink(s);
}

static void s_ring_add(uint64_t *ring, size_t *at, const uint8_t id[32])
{
    memcpy(&ring[(*at)++ % SESSION_HEARD], id, 8);
}

static bool s_ring_has(const uint64_t *ring, size_t at, const uint8_t id[32])
{
    uint64_t h;
    memcpy(&h, id, 8);
    for (size_t i = 0; i < SESSION_HEARD && i < at; i++)
        if (ring[i] == h)
            return true;
    return false;
}

void session_push(session_t *s, size_t idx)
{
    if (!(session_caps(s) & MSG_CAP_ANNOUNCE)) {
        s_give(s, idx);
        return;
    }
    if (s_ring_has(s->heard, s->heard_at, repo_record_id(s->env->repo, idx)))
        return; /* it showed it has it */
    /* an eager peer gets it whole at once (a relay pays no round trip);
     * a lazy one an ANNOUNCE a little later */
    if (!s->lazy || s->an_n == SESSION_ANNOUNCE_MAX)
        s_give(s, idx);
    else
        s->ann[s->an_n++] = (uint32_t)idx;
}

/*
 * Sends the pushes waiting to be announced once they are due: one
 * ANNOUNCE (the ids the peer did not show it has), or, when the link does
 * not take it or the peer no longer names "announce", the edits whole.
 * They wait SESSION_LAZY_MS/2 to SESSION_LAZY_MS (by the peer's key): the
 * peer's own ANNOUNCE of the same edit, sent on the same wave, mostly
 * arrives first, and then neither side has to tell the other.
 */
static void s_announce(session_t *s, uint64_t now)
{
    repo_t *r = s->env->repo;
    if (s->ann_due == 0)
        s->ann_due = now + SESSION_LAZY_MS / 2 + (uint64_t)s->key[0] * SESSION_LAZY_MS / 2 / 255;
    if (now < s->ann_due && s->an_n < SESSION_ANNOUNCE_MAX)
        return;
    size_t n = s->an_n;
    s->an_n = 0;
    s->ann_due = 0;
    if (session_caps(s) & MSG_CAP_ANNOUNCE) {
        uint8_t(*ids)[32] = xmalloc(n * 32);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *id = repo_record_id(r, s->ann[i]);
            /* held edits are not passed on before their time */
            if (repo_is_held(r, s->ann[i]) || s_ring_has(s->heard, s->heard_at, id))
                continue;
            memcpy(ids[k++], id, 32);
            s_ring_add(s->told, &s->told_at, id);
        }
        int rc = 0;
        if (k > 0) {
            buf_t b = {0};
            msg_announce(&b, (const uint8_t(*)[32])ids, k);
            rc = s_send(s, LINK_ANY, &b, now);
            buf_free(&b);
        }
        free(ids);
        if (rc == 0 || errno != EAGAIN)
            return; /* sent; or the link is gone: the next round finds them */
    }
    for (size_t i = 0; i < n; i++)
        s_give(s, s->ann[i]);
}

void session_reset_queues(session_t *s, uint64_t now)
{
    /* store indices changed: forget the queued ones without reading them */
    free(s->queued);
    s->queued = NULL;
    s->queued_bytes = 0;
    s->gq_n = s->gq_head = 0;
    s->an_n = 0;
    s->ann_due = 0;
    s_shrink(s);
    if (session_connected(s, now))
        s->next_round = now; /* the round finds what is still missing */
}

/* Sends queued edits while the link takes them. */
static void s_drain(session_t *s, uint64_t now)
{
    buf_t raw = {0};
    repo_t *r = s->env->repo;
    if (!s_out_flush(s, now))
        return; /* answers first: EDITS wait until the link took them */
    while (s->gq_n > 0) {
        msg_blob_t blobs[SESSION_BATCH_EDITS];
        size_t offs[SESSION_BATCH_EDITS];
        size_t k = 0, taken = 0;
        raw.len = 0;
        /* records are read from the log, not held in memory */
        while (taken < s->gq_n && k < SESSION_BATCH_EDITS && raw.len < SESSION_BATCH_BYTES) {
            size_t at = raw.len, idx = s->give[s->gq_head + taken++];
            if (repo_is_held(r, idx) || repo_read(r, idx, &raw) < 0) {
                raw.len = at; /* held, or unreadable: the next round retries */
                continue;
            }
            offs[k] = at;
            blobs[k].len = raw.len - at;
            k++;
        }
        for (size_t j = 0; j < k; j++)
            blobs[j].data = raw.data + offs[j];
        if (k > 0) {
            buf_t b = {0}, z = {0};
            msg_edits(&b, blobs, k, false);
            link_t link = s_preferred(s);
            int rc = s_send(s, link, s_pack(s, link, &b, &z), now);
            if (rc == 0)
                s_sent_edits(s, link, &b);
            buf_free(&b);
            buf_free(&z);
            if (rc < 0 && errno == EAGAIN)
                break; /* the link is full: the rest waits */
            if (rc < 0) {
                s_drop_queues(s); /* link gone: the next round finds the difference */
                break;
            }
            s->sent += k;
        }
        for (size_t j = 0; j < taken; j++)
            s_mark_queued(s, s->give[s->gq_head + j], false);
        s->gq_head += taken;
        s->gq_n -= taken;
    }
    buf_free(&raw);
    s_shrink(s);
}

/* Asks for wanted edits, keeping SESSION_WANTS_INFLIGHT requests out. */
static void s_pump_wants(session_t *s, uint64_t now)
{
    repo_t *r = s->env->repo;
    while (s->wq_n > 0 && s->wants_inflight < SESSION_WANTS_INFLIGHT) {
        uint8_t (*ids)[32] = xmalloc(SESSION_WANT_CHUNK * 32);
        size_t k = 0;
        while (s->wq_n > 0 && k < SESSION_WANT_CHUNK) {
            const uint8_t *id = s->want[s->wq_head];
            if (repo_find_record(r, id) < 0 && !repo_is_purged(r, id) &&
                !(s->env->refused && s->env->refused(s->env->ctx, id)))
                memcpy(ids[k++], id, 32);
            s->wq_head++;
            s->wq_n--;
        }
        if (k > 0) {
            buf_t b = {0};
            msg_want(&b, (const uint8_t(*)[32])ids, k);
            if (s_send_answer(s, s->want_link, &b, now) == 0) {
                s->wants_inflight++;
                s->want_sent = now;
            }
        }
        free(ids);
    }
    s_shrink(s);
}

/* ---------------------------------------------------------------- receiving */

void session_ban(session_t *s, const char *why, uint64_t now)
{
    s_log(s, "peer %.10s misbehaved (%s): disconnected for %d s", s->hex, why,
          SESSION_BAN_MS / 1000);
    s->banned_until = now + SESSION_BAN_MS;
    s->rejected++;
    s->dealer = s->dealer_ok = s->dealer_waiting = false;
    s->rid_len = 0;
    s->router_ok = false;
    s->last_heard = 0;
    s_drop_queues(s);
}

void session_dialled(session_t *s, uint64_t now)
{
    s->dealer = true;
    s->dealer_ok = false;
    s_hello(s, LINK_DEALER, now);
}

void session_link_down(session_t *s, link_t link)
{
    if (link == LINK_DEALER)
        s->dealer = s->dealer_ok = s->dealer_waiting = false;
    else if (link == LINK_ROUTER) {
        /* what that connection sent before it closed may still be queued
         * here: it said HELLO, so it is served (session_input) */
        s->gone_len = s->router_ok ? s->rid_len : 0;
        memcpy(s->gone, s->rid, s->gone_len);
        s->rid_len = 0;
        s->router_ok = false;
    }
}

static void s_on_recon(session_t *s, link_t link, const msg_t *m, uint64_t now)
{
    sync_out_t o;
    repo_t *r = s->env->repo;
    if (s->work >= SESSION_WORK_MAX) {
        s->dropped++; /* over its budget: unanswered until the next window */
        return;
    }
    sync_reply(s->env->set, m, &o);
    s->work += o.work;
    for (size_t i = 0; i < o.ngive; i++) {
        long idx = repo_find_record(r, o.give[i]);
        if (idx >= 0)
            s_give(s, (size_t)idx);
    }
    for (size_t i = 0; i < o.nneed; i++)
        s_want(s, o.need[i]);
    s->round_at = now;
    if (o.reply.len)
        s_send_answer(s, link, &o.reply, now);
    if (o.in_sync) {
        s->round_open = false;
        s->last_in_sync = now;
    }
    s->want_link = link;
    s_pump_wants(s, now);
    sync_out_clear(&o);
}

static void s_on_want(session_t *s, link_t link, const msg_t *m, uint64_t now)
{
    repo_t *r = s->env->repo;
    if (s->want_ids + m->nids > SESSION_WANT_IDS_MAX) {
        s->dropped++; /* unanswered: the asker times out and asks again */
        return;
    }
    s->want_ids += (uint32_t)m->nids;
    for (size_t i = 0; s->lazy && i < m->nids; i++)
        if (s_ring_has(s->told, s->told_at, m->ids[i]))
            s->lazy = false; /* it asked for one it was announced: it needs them whole */
    msg_blob_t *blobs = xcalloc(m->nids ? m->nids : 1, sizeof *blobs);
    size_t *offs = xcalloc(m->nids ? m->nids : 1, sizeof *offs);
    size_t k = 0;
    buf_t raw = {0};
    for (size_t i = 0; i < m->nids && raw.len < SESSION_WANT_REPLY_MAX; i++) {
        long idx = repo_find_record(r, m->ids[i]);
        size_t at = raw.len;
        /* held edits are not passed on before their time */
        if (idx < 0 || repo_is_held(r, (size_t)idx) || repo_read(r, (size_t)idx, &raw) < 0) {
            raw.len = at;
            continue;
        }
        offs[k] = at;
        blobs[k].len = raw.len - at;
        k++;
    }
    for (size_t j = 0; j < k; j++)
        blobs[j].data = raw.data + offs[j];
    buf_t b = {0}, z = {0};
    msg_edits(&b, blobs, k, true);
    buf_free(&raw);
    free(offs);
    if (link == LINK_ANY)
        link = s_preferred(s);
    buf_t *wire = s_pack(s, link, &b, &z);
    /* in the history before it leaves: s_send_answer takes the frame; if
     * it is dropped after all, the histories part and are reset */
    s_sent_edits(s, link, &b);
    /* a full link keeps it waiting (up to SESSION_OUT_MAX_BYTES) */
    if (s_send_answer(s, link, wire, now) == 0)
        s->sent += k;
    buf_free(&b);
    buf_free(&z);
    free(blobs);
}

/*
 * The peer has these edits. One this node holds tells it that pushing
 * new edits whole to the peer is not needed (they reach it another way):
 * the peer becomes lazy. The others are asked for (WANT), unless no longer
 * needed or asked of any peer lately: that is where duplicates are cut.
 */
static void s_on_announce(session_t *s, const msg_t *m, uint64_t now)
{
    repo_t *r = s->env->repo;
    if (!(s->env->caps & MSG_CAP_ANNOUNCE))
        return; /* not offered: ignored */
    if (s->ann_ids + m->nids > SESSION_ANNOUNCE_IDS_MAX) {
        s->dropped++; /* over its budget: the round finds them */
        return;
    }
    s->ann_ids += (uint32_t)m->nids;
    for (size_t i = 0; i < m->nids && s->wq_n < SESSION_WANT_MAX; i++) {
        const uint8_t *id = m->ids[i];
        s_ring_add(s->heard, &s->heard_at, id);
        if (repo_find_record(r, id) >= 0) {
            s->lazy = true;
            continue;
        }
        if (repo_is_purged(r, id) || (s->env->refused && s->env->refused(s->env->ctx, id)))
            continue;
        if (!s_asked_claim(s->env->asked, id, now))
            continue;
        if (s->pend_n == SESSION_ANNOUNCE_MAX) {
            s_want(s, id); /* a stream: asked at once */
            continue;
        }
        if (s->pend == NULL)
            s->pend = xmalloc(SESSION_ANNOUNCE_MAX * 32);
        if (s->pend_n == 0)
            s->pend_due = now + SESSION_GRAFT_MS;
        memcpy(s->pend[s->pend_n++], id, 32);
    }
    s_pump_wants(s, now);
}

/* Asks for the announced ids still missing once their wait is over; an
 * edit that came whole meanwhile (on the tree) is not asked for, and the
 * link stays lazy. */
static void s_pend_flush(session_t *s, uint64_t now)
{
    if (now < s->pend_due && s->pend_n < SESSION_ANNOUNCE_MAX)
        return;
    for (size_t i = 0; i < s->pend_n; i++)
        s_want(s, s->pend[i]); /* s_pump_wants skips those stored by now */
    s->pend_n = 0;
    free(s->pend);
    s->pend = NULL;
    s_pump_wants(s, now);
}

/* Before storing the edits the peer pushed: when this node holds them all
 * already, they came twice. The link is then off the tree both ways: this
 * node counts the peer lazy, and an ANNOUNCE of them makes the peer count
 * this node lazy (s_on_announce). */
static void s_on_pushed(session_t *s, const msg_t *m, uint64_t now)
{
    repo_t *r = s->env->repo;
    size_t n = m->nedits < SESSION_ANNOUNCE_MAX ? m->nedits : SESSION_ANNOUNCE_MAX;
    uint8_t(*dup)[32] = xmalloc((n ? n : 1) * 32);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t id[32];
        store_hash(m->edits[i].data, m->edits[i].len, id);
        s_ring_add(s->heard, &s->heard_at, id);
        if (repo_find_record(r, id) >= 0)
            memcpy(dup[k++], id, 32);
    }
    s->twice += k;
    /* only a push that brought nothing new: one that overlaps in part is
     * a stream (a relay of a catch-up, a round's give list beside pushes)
     * and stays whole, never paying a round trip per batch */
    if (k > 0 && k == m->nedits) {
        s->lazy = true; /* not a link of the tree: announced both ways */
        buf_t b = {0};
        msg_announce(&b, (const uint8_t(*)[32])dup, k);
        s_send(s, LINK_ANY, &b, now); /* lost: the peer stays eager a while longer */
        buf_free(&b);
    }
    free(dup);
}

/* One line for the rejected edits not logged yet. */
static void s_log_rejected(session_t *s, uint64_t now)
{
    if (s->rej_unlogged == 1)
        s_log(s, "peer %.10s: an edit rejected: %s", s->hex, s->rej_why);
    else
        s_log(s, "peer %.10s: %llu edits rejected (the first: %s)", s->hex,
              (unsigned long long)s->rej_unlogged, s->rej_why);
    s->rej_unlogged = 0;
    s->rej_logged_at = now;
}

static void s_note_rejected(session_t *s, const session_ingest_t *got, uint64_t now)
{
    if (got->why[0]) {
        if (s->rej_unlogged == 0)
            snprintf(s->rej_why, sizeof s->rej_why, "%s", got->why);
        s->rej_unlogged += got->rejected;
        if (s->rej_logged_at == 0 || now - s->rej_logged_at >= SESSION_REJECT_LOG_MS)
            s_log_rejected(s, now);
    }
    if (now - s->inv_window >= SESSION_INVALID_WINDOW_MS) {
        s->inv_window = now;
        s->inv_n = 0;
    }
    s->inv_n += (uint32_t)(got->invalid > SESSION_INVALID_MAX ? SESSION_INVALID_MAX + 1 : got->invalid);
    if (s->inv_n > SESSION_INVALID_MAX) {
        if (s->rej_unlogged)
            s_log_rejected(s, now);
        session_ban(s, "it keeps sending edits that do not verify", now);
    }
}

void session_ingested(session_t *s, const session_ingest_t *got, uint64_t now)
{
    s->received += got->stored;
    if (got->stored)
        s->stored_at = now;
    s->held += got->held;
    s->rejected += got->rejected;
    if (got->rejected)
        s_note_rejected(s, got, now);
}

static void s_on_edits(session_t *s, const msg_t *m, uint64_t now)
{
    if (!m->reply && (session_caps(s) & MSG_CAP_ANNOUNCE))
        s_on_pushed(s, m, now);
    session_ingest_t got = s->env->ingest(s->env->ctx, s, m);
    if (!got.later)
        session_ingested(s, &got, now);
    if (now < s->banned_until)
        return;
    if (m->reply && s->wants_inflight > 0)
        s->wants_inflight--;
    s_pump_wants(s, now);
}

/* A valid HELLO from the peer on link. */
static void s_on_hello(session_t *s, link_t link, const msg_t *m, uint64_t now)
{
    if (m->name[0] && !s->name[0])
        session_set_name(s, m->name);
    s->peer_caps = m->caps;
    s->lazy = false; /* a new or restarted peer gets new edits whole until it shows otherwise */
    if (m->time_ms >= 0) {
        s->clock_offset = m->time_ms - (int64_t)s->env->wall_ms;
        s->clock_known = true;
    }
    if (link == LINK_ROUTER) {
        bool first = !s->router_ok;
        s->router_ok = true;
        s_hello(s, LINK_ROUTER, now); /* every HELLO on the router is answered */
        if (first)
            s_log(s, "peer %.10s (%s) connected", s->hex, s->name);
        return;
    }
    if (!s->dealer_waiting) {
        /* not an answer: the peer lost our HELLO (it restarted, or the
         * link reconnected under us) and asks for it */
        s_hello(s, LINK_DEALER, now);
        return;
    }
    s->dealer_waiting = false;
    bool first = !s->dealer_ok;
    s->dealer_ok = true;
    if (first)
        s_log(s, "peer %.10s (%s) connected", s->hex, s->name);
    /* the side that dialled starts the round; both would send every
     * difference twice */
    session_start_round(s, now);
}

session_result_t session_input(session_t *s, link_t link, const uint8_t *rid, size_t rid_len,
                               const uint8_t *frame, size_t len, uint64_t now)
{
    if (now < s->banned_until)
        return SESSION_IGNORED;
    if (link == LINK_ROUTER) {
        if (rid_len == 0 || rid_len > sizeof s->rid)
            return SESSION_IGNORED;
        if (rid_len != s->rid_len || memcmp(rid, s->rid, rid_len) != 0) {
            /* a new connection: it says HELLO before anything is served;
             * the one that went down (a reply to it failed) had */
            bool gone = rid_len == s->gone_len && memcmp(rid, s->gone, rid_len) == 0;
            memcpy(s->rid, rid, rid_len);
            s->rid_len = rid_len;
            s->router_ok = gone;
            s->gone_len = 0;
        }
    } else if (!s->dealer) {
        return SESSION_IGNORED;
    }
    if (now - s->in_window >= SESSION_IN_WINDOW_MS) {
        s->in_window = now;
        s->in_msgs = s->want_ids = s->ann_ids = 0;
        s->in_bytes = s->work = 0;
    }
    s->in_bytes += len;
    s->bytes_in += len;
    s->msgs_in++;
    if (++s->in_msgs > SESSION_IN_MAX || s->in_bytes > SESSION_IN_MAX_BYTES) {
        session_ban(s, "flooding", now);
        return SESSION_BANNED;
    }
    /* a WANT over the budget is dropped before it is even decoded (its
     * usual encoding: a fixarray, then the type as a fixint) */
    if (len >= 2 && (frame[0] & 0xf0) == 0x90 && frame[1] == MSG_WANT &&
        s->want_ids >= SESSION_WANT_IDS_MAX) {
        s->dropped++;
        return SESSION_IGNORED;
    }
    /* ZEDITS (canonical: always 0x92 or 0x93, then 0x08) only when both HELLOs named
     * zstd, refused like an unknown type before anything is decompressed;
     * before the connection's HELLO it is dropped unread like anything
     * else (it may be from before the peer restarted without zstd) */
    bool zstd = session_caps(s) & MSG_CAP_ZSTD;
    if (len >= 2 && (frame[0] == 0x92 || frame[0] == 0x93) && frame[1] == MSG_ZEDITS) {
        if (!(link == LINK_ROUTER ? s->router_ok : s->dealer_ok))
            return SESSION_IGNORED;
        if (!zstd) {
            session_ban(s, "compressed edits it was not offered", now);
            return SESSION_BANNED;
        }
    }
    msg_t m;
    if (msg_decode(frame, len, &m) < 0) {
        session_ban(s, "malformed message", now);
        return SESSION_BANNED;
    }
    if (m.type == MSG_ZEDITS && m.zhist && (link == LINK_ROUTER ? s->router_ok : s->dealer_ok)) {
        int zrc = msg_zedits_open(&m, &s->hin[link]);
        if (zrc == BU_ENOENT) {
            /* the histories parted (a frame lost on a link that went
             * down, an answer dropped over its cap): these edits cannot
             * be read here, the next round fetches them; a HELLO makes
             * both sides start their histories of this link afresh */
            s->parted++;
            if (now - s->hist_asked >= 1000) {
                s->hist_asked = now;
                s_hello(s, link, now);
            }
            msg_clear(&m);
            return SESSION_IGNORED;
        }
        if (zrc < 0) {
            msg_clear(&m);
            session_ban(s, "malformed message", now);
            return SESSION_BANNED;
        }
    }
    if (m.type == MSG_ZEDITS) {
        /* what it unpacks to counts against the budget too: compression
         * must not carry a peer past SESSION_IN_MAX_BYTES */
        s->in_bytes += m.plain_len;
        if (s->in_bytes > SESSION_IN_MAX_BYTES) {
            msg_clear(&m);
            session_ban(s, "flooding", now);
            return SESSION_BANNED;
        }
    }
    session_result_t res = SESSION_OK;
    bool was = session_connected(s, now);
    if (m.type == MSG_HELLO) {
        if (memcmp(m.mesh, s->env->mesh, 32) != 0 || m.version != PROTO_VERSION) {
            session_ban(s, "another mesh or protocol version", now);
            res = SESSION_BANNED;
            goto done;
        }
        s->last_heard = now;
        msg_hist_reset(&s->hin[link]);
        s_on_hello(s, link, &m, now);
        goto done;
    }
    bool ok = link == LINK_ROUTER ? s->router_ok : s->dealer_ok;
    if (!ok) {
        /* nothing is served before HELLO; a router connection that
         * skipped it is asked for it, at most once a second */
        if (link == LINK_ROUTER && now - s->nudged >= 1000) {
            s->nudged = now;
            s_hello(s, LINK_ROUTER, now);
        }
        res = SESSION_IGNORED;
        goto done;
    }
    s->last_heard = now;
    /* a link that comes back (heartbeats had timed out) starts a round */
    if (!was) {
        s_log(s, "peer %.10s (%s) connected again", s->hex, s->name);
        session_start_round(s, now);
    }
    /* a round, an answer to WANT, announced ids: each compares with what
     * is stored, so first everything received before is */
    if (m.type == MSG_RECON || m.type == MSG_WANT || m.type == MSG_ANNOUNCE) {
        s_settle(s);
        if (now < s->banned_until)
            goto done; /* over what it sent before */
    }
    switch (m.type) {
    case MSG_RECON: s_on_recon(s, link, &m, now); break;
    case MSG_WANT: s_on_want(s, link, &m, now); break;
    case MSG_EDITS:
    case MSG_ZEDITS:
        if (s_zstd(s)) /* the receiver's copy of the link's history */
            msg_hist_add(&s->hin[link], m.plain ? m.plain : frame, m.plain ? m.plain_len : len);
        s_on_edits(s, &m, now);
        break;
    case MSG_ANNOUNCE: s_on_announce(s, &m, now); break;
    default: break; /* PING */
    }
done:
    msg_clear(&m);
    return res;
}

void session_tick(session_t *s, uint64_t now)
{
    if (s->rej_unlogged && now - s->rej_logged_at >= SESSION_REJECT_LOG_MS)
        s_log_rejected(s, now);
    if (now < s->banned_until)
        return;
    if (s->an_n)
        s_announce(s, now);
    if (s->pend_n)
        s_pend_flush(s, now);
    if (s->gq_n)
        s_drain(s, now);
    else if (s->oq_n)
        s_out_flush(s, now);
    if ((s->dealer || s->rid_len) && now - s->last_sent >= SESSION_PING_MS) {
        buf_t b = {0};
        msg_ping(&b);
        if (s_send(s, LINK_ANY, &b, now) == 0)
            s->pings_out++;
        buf_free(&b);
    }
    if (session_connected(s, now) && s->next_round && now >= s->next_round)
        session_start_round(s, now);
    /* a round whose RECON was lost (dropped over the peer's budget, a
     * link that went down) must not wait for the next interval */
    if (s->round_open && now - s->round_at > SESSION_ROUND_TIMEOUT_MS && session_connected(s, now)) {
        if (s->env->verbose)
            s_log(s, "round with %.10s silent for %d s: starting again", s->hex,
                  SESSION_ROUND_TIMEOUT_MS / 1000);
        session_start_round(s, now);
    }
    /* a WANT whose reply was lost (queue full, link dropped) must not
     * stall fetching: give up on it after SESSION_WANT_TIMEOUT_MS */
    if (s->wants_inflight && now - s->want_sent > SESSION_WANT_TIMEOUT_MS) {
        s->wants_inflight = 0;
        s_pump_wants(s, now);
    }
}

bool session_settled(const session_t *s, uint64_t since, uint64_t now)
{
    return session_connected(s, now) && s->last_in_sync >= since && !s->round_open &&
           s->gq_n == 0 && s->an_n == 0 && s->pend_n == 0 && s->wq_n == 0 &&
           s->wants_inflight == 0;
}

void session_counts(const session_t *s, uint64_t *received, uint64_t *rejected, uint64_t *held)
{
    *received = s->received;
    *rejected = s->rejected;
    *held = s->held;
}

pv_t *session_status(const session_t *s, uint64_t now)
{
    pv_t *m = pv_map();
    pv_map_set(m, "id", pv_str(s->hex));
    pv_map_set(m, "name", pv_str(s->name));
    pv_map_set(m, "connected", pv_bool(session_connected(s, now)));
    pv_map_set(m, "last_seen_ms_ago", pv_int(s->last_heard ? (int64_t)(now - s->last_heard) : -1));
    pv_map_set(m, "synced_ms_ago", pv_int(s->last_in_sync ? (int64_t)(now - s->last_in_sync) : -1));
    pv_map_set(m, "sent", pv_int((int64_t)s->sent));
    pv_map_set(m, "received", pv_int((int64_t)s->received));
    pv_map_set(m, "rejected", pv_int((int64_t)s->rejected));
    pv_map_set(m, "held", pv_int((int64_t)s->held));
    pv_map_set(m, "queued", pv_int((int64_t)(s->gq_n + s->wq_n)));
    pv_map_set(m, "unanswered", pv_int((int64_t)s->dropped));
    pv_map_set(m, "bytes_sent", pv_int((int64_t)s->bytes_out));
    pv_map_set(m, "bytes_received", pv_int((int64_t)s->bytes_in));
    pv_map_set(m, "msgs_sent", pv_int((int64_t)s->msgs_out));
    pv_map_set(m, "msgs_received", pv_int((int64_t)s->msgs_in));
    pv_map_set(m, "zstd_parted", pv_int((int64_t)s->parted));
    pv_map_set(m, "pings_sent", pv_int((int64_t)s->pings_out));
    pv_map_set(m, "stored_at_ms", pv_int((int64_t)s->stored_at));
    if (session_caps(s) & MSG_CAP_ANNOUNCE) {
        pv_map_set(m, "lazy", pv_bool(s->lazy));
        pv_map_set(m, "pushed_twice", pv_int((int64_t)s->twice));
    }
    if (s->clock_known)
        pv_map_set(m, "clock_offset_ms", pv_int(s->clock_offset));
    return m;
}
