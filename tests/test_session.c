/*
 * test_session.c -- behaviour tests for node/session.c: two sessions
 * driven against each other with no socket and no clock.
 *
 * Each test node has a real repo in a temporary home (outside any mesh, so
 * every edit counts), the reconciliation set of its store, and one session
 * for the other node. A's session reaches B on LINK_DEALER (A dialled); B's
 * reaches A on LINK_ROUTER with a routing id. Frames a session sends go
 * into its node's outbox; the test delivers them to the other session in
 * order, or loses, repeats or reorders them as a script says, and moves a
 * virtual clock so timers fire. "Converged" means both stores hold the
 * same set of edit ids.
 */
#include "node/home.h"
#include "node/setup.h"
#include "node/repo.h"
#include "node/session.h"
#include "node/sync.h"
#include "proto/edit.h"
#include "proto/err.h"
#include "proto/msg.h"
#include "tests/lib/fixture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    link_t link;
    buf_t frame;
} t_frame_t;

typedef struct t_node {
    repo_t *repo;
    sync_set_t *set;
    session_env_t env;
    session_t *s;          /* the session with the other node */
    struct t_node *other;
    t_frame_t *out;        /* frames sent, not delivered yet */
    size_t nout, capout;
    link_t link_in;        /* the link frames from the other arrive on */
    bool silent;           /* sends nothing (a peer that stopped answering) */
    bool full;             /* its link takes nothing: send says EAGAIN */
    bool ingesting;        /* storing the other's edits: not pushed back (as node.c) */
    size_t edits_sent;     /* edits in EDITS and ZEDITS frames it sent */
    size_t zedits_sent;    /* ZEDITS frames it sent */
    size_t edit_bytes;     /* bytes of EDITS and ZEDITS frames it sent */
    size_t zhist_sent;     /* ZEDITS frames made against a link history */
    /* what the receiver's history of each link will be, kept by the rule
     * of protocol.md §10.7 from the frames sent, to open those ZEDITS */
    msg_hist_t shadow[3];
    size_t by_type[16];    /* frames it sent, by message type */
    /* stores the other's edits later (as node.c, which verifies a message
     * while it stores the one before): ingest keeps a copy, settle stores */
    bool later;
    buf_t pend;            /* the edits of the message waiting, end to end */
    size_t *pend_len, npend;
    size_t settles;        /* settle calls that found a message waiting */
} t_node_t;

static char s_root[64];
static t_node_t A, B;
static uint64_t s_clock;
static const uint8_t s_rid[] = {0, 'A', 'B', 'C', 'D'}; /* A's connection as B's router sees it */
static uint8_t s_rid_now[5];

/* ---- hooks ------------------------------------------------------------ */

static uint8_t s_refused_id[32]; /* an_edit_the_node_refused_is_not_asked_for_again */
static size_t s_wanted_refused;  /* WANTs that named it */

static int t_send(void *ctx, session_t *s, link_t link, const buf_t *frame)
{
    (void)s;
    t_node_t *n = ctx;
    if (n->silent)
        return 0;
    if (n->full) {
        errno = EAGAIN;
        return -1;
    }
    if (n->nout == n->capout) {
        n->capout = n->capout ? n->capout * 2 : 64;
        n->out = xrealloc(n->out, n->capout * sizeof *n->out);
    }
    t_frame_t *f = &n->out[n->nout++];
    f->link = link;
    memset(&f->frame, 0, sizeof f->frame);
    buf_append(&f->frame, frame->data, frame->len);
    msg_t m;
    if (msg_decode(frame->data, frame->len, &m) == 0) {
        msg_hist_t *h = &n->shadow[link];
        if (m.type == MSG_HELLO)
            msg_hist_reset(h);
        if (m.type == MSG_ZEDITS && m.zhist) {
            n->zhist_sent++;
            cr_assert_eq(msg_zedits_open(&m, h), 0, "a ZEDITS the receiver's history cannot open");
        }
        if (m.type == MSG_EDITS || m.type == MSG_ZEDITS)
            msg_hist_add(h, m.plain ? m.plain : frame->data, m.plain ? m.plain_len : frame->len);
        if (m.type == MSG_EDITS || m.type == MSG_ZEDITS) {
            n->edits_sent += m.nedits;
            n->edit_bytes += frame->len;
        }
        n->zedits_sent += m.type == MSG_ZEDITS;
        if ((unsigned)m.type < 16)
            n->by_type[m.type]++;
        for (size_t i = 0; m.type == MSG_WANT && i < m.nids; i++)
            s_wanted_refused += memcmp(m.ids[i], s_refused_id, 32) == 0;
        msg_clear(&m);
    }
    return 0;
}

static session_ingest_t t_store(t_node_t *n, const msg_t *m);

static void t_settle(void *ctx)
{
    t_node_t *n = ctx;
    if (!n->npend)
        return;
    msg_t m = {.type = MSG_EDITS, .nedits = n->npend};
    m.edits = xcalloc(n->npend, sizeof *m.edits);
    size_t off = 0;
    for (size_t i = 0; i < n->npend; i++) {
        m.edits[i] = (msg_blob_t){n->pend.data + off, n->pend_len[i]};
        off += n->pend_len[i];
    }
    session_ingest_t res = t_store(n, &m);
    free(m.edits);
    buf_reset(&n->pend);
    n->npend = 0;
    n->settles++;
    session_ingested(n->s, &res, s_clock);
}

static session_ingest_t t_ingest(void *ctx, session_t *s, const msg_t *m)
{
    (void)s;
    t_node_t *n = ctx;
    if (!n->later)
        return t_store(n, m);
    t_settle(n); /* the message before */
    n->pend_len = xrealloc(n->pend_len, (m->nedits ? m->nedits : 1) * sizeof *n->pend_len);
    for (size_t i = 0; i < m->nedits; i++) {
        buf_append(&n->pend, m->edits[i].data, m->edits[i].len);
        n->pend_len[i] = m->edits[i].len;
    }
    n->npend = m->nedits;
    return (session_ingest_t){.later = true};
}

/* Verifies and stores the edits of m. */
static session_ingest_t t_store(t_node_t *n, const msg_t *m)
{
    session_ingest_t res = {0};
    repo_in_t *in = xcalloc(m->nedits ? m->nedits : 1, sizeof *in);
    uint8_t *fate = xcalloc(m->nedits ? m->nedits : 1, 1);
    size_t k = 0;
    for (size_t i = 0; i < m->nedits; i++) {
        edit_t *e = NULL;
        char *cause = NULL;
        if (edit_decode(m->edits[i].data, m->edits[i].len, EDIT_VERIFY, &e, &cause) < 0) {
            res.rejected++;
            res.invalid++;
            if (!res.why[0])
                snprintf(res.why, sizeof res.why, "%s", cause ? cause : "invalid");
            free(cause);
            continue;
        }
        in[k].data = m->edits[i].data;
        in[k].len = m->edits[i].len;
        memcpy(in[k].id, e->id, 32);
        in[k].head = (edit_head_t){.kind = e->kind, .hlc = e->hlc};
        memcpy(in[k].head.entity, e->entity, 32);
        memcpy(in[k].head.author, e->author, 32);
        k++;
        edit_free(&e);
    }
    n->ingesting = true;
    int rc = repo_ingest_checked(n->repo, in, k, fate, NULL);
    n->ingesting = false;
    cr_assert_geq(rc, 0);
    for (size_t i = 0; i < k; i++)
        res.stored += fate[i] == REPO_ADDED;
    free(fate);
    free(in);
    return res;
}

/* Log lines of the sessions (both nodes), for the tests that count them. */
static char s_lines[64][400];
static size_t s_nlines;

static void t_log(void *ctx, const char *line)
{
    (void)ctx;
    if (s_nlines < 64)
        snprintf(s_lines[s_nlines], sizeof s_lines[0], "%s", line);
    s_nlines++;
}

/* The repo's listener: into the set; pushed to the other session. */
static void t_on_new(void *ctx, size_t idx, const edit_head_t *h)
{
    t_node_t *n = ctx;
    sync_set_add(n->set, h->hlc, repo_record_id(n->repo, idx));
    if (!n->ingesting)
        session_push(n->s, idx);
}

static int t_set_add(void *ctx, size_t i, const uint8_t *rec, size_t len)
{
    t_node_t *n = ctx;
    edit_head_t h;
    if (edit_peek(rec, len, &h) == 0)
        sync_set_add(n->set, h.hlc, repo_record_id(n->repo, i));
    return 0;
}

/* ---- set-up ----------------------------------------------------------- */

static void t_node_init(t_node_t *n, const char *name, t_node_t *other, link_t in)
{
    char *home = xasprintf("%s/%s", s_root, name);
    char *cause = NULL;
    nodekey_t k;
    cr_assert_eq(home_init(home, name, &k, &cause), 0, "%s", cause ? cause : "");
    cr_assert_eq(repo_open(home, &n->repo, &cause), 0, "%s", cause ? cause : "");
    free(home);
    n->set = sync_set_new();
    n->other = other;
    n->link_in = in;
    n->env = (session_env_t){.set = n->set, .repo = n->repo, .name = name,
                             .recon_interval_ms = 30000, .wall_ms = 1767225600000ULL,
                             .send = t_send, .ingest = t_ingest, .log = t_log, .ctx = n};
}

static void s_setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    strcpy(s_root, "/tmp/buurt-test-session-XXXXXX");
    cr_assert_not_null(mkdtemp(s_root));
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    t_node_init(&A, "a", &B, LINK_DEALER);
    t_node_init(&B, "b", &A, LINK_ROUTER);
    A.s = session_new(&A.env, repo_key(B.repo)->pk);
    B.s = session_new(&B.env, repo_key(A.repo)->pk);
    repo_set_listener(A.repo, t_on_new, &A);
    repo_set_listener(B.repo, t_on_new, &B);
    s_clock = 1000000;
    s_nlines = 0;
    memcpy(s_rid_now, s_rid, sizeof s_rid);
}

static void t_node_free(t_node_t *n)
{
    session_free(&n->s);
    msg_zc_destroy(&n->env.zc);
    sync_set_free(&n->set);
    repo_close(&n->repo);
    for (size_t i = 0; i < n->nout; i++)
        buf_free(&n->out[i].frame);
    free(n->out);
    for (int l = 0; l < 3; l++)
        msg_hist_free(&n->shadow[l]);
    buf_free(&n->pend);
    free(n->pend_len);
}

static void s_teardown(void)
{
    t_node_free(&A);
    t_node_free(&B);
    fx_rm_tree(s_root);
}

TestSuite(session, .init = s_setup, .fini = s_teardown);

/* ---- helpers ---------------------------------------------------------- */

/* n new places on node x. */
static void t_places(t_node_t *x, int n, const char *tag)
{
    for (int i = 0; i < n; i++) {
        pv_t *f = pv_map(), *kinds = pv_arr();
        char name[64];
        snprintf(name, sizeof name, "%s %d", tag, i);
        pv_map_set(f, "name", pv_str(name));
        pv_arr_push(kinds, pv_str("other"));
        pv_map_set(f, "kinds", kinds);
        char *cause = NULL;
        cr_assert_eq(repo_edit(x->repo, REC_PLACE, NULL, f, NULL, &cause), 0, "%s", cause ? cause : "");
        pv_free(&f);
    }
}

/* Builds each node's set from its store (edits made before the sessions). */
static void t_sets(void)
{
    cr_assert_eq(repo_scan(A.repo, t_set_add, &A, NULL), 0);
    cr_assert_eq(repo_scan(B.repo, t_set_add, &B, NULL), 0);
}

/* Delivers one frame from x to the other node's session. */
static session_result_t t_deliver(t_node_t *x, const t_frame_t *f)
{
    t_node_t *to = x->other;
    const uint8_t *rid = to->link_in == LINK_ROUTER ? s_rid_now : NULL;
    return session_input(to->s, to->link_in, rid, rid ? sizeof s_rid_now : 0, f->frame.data,
                         f->frame.len, s_clock);
}

/* Script for one pass: what happens to frame number i of all frames. */
typedef enum { T_DELIVER, T_LOSE, T_TWICE } t_fate_t;
typedef t_fate_t t_script_fn(size_t i);

static size_t s_frames_seen;

/* Moves every frame x has queued through the script; when swap, delivers
 * neighbours in reverse order. */
static void t_flush(t_node_t *x, t_script_fn *script, bool swap)
{
    size_t n = x->nout;
    t_frame_t *v = x->out;
    x->out = NULL;
    x->nout = x->capout = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = swap && i + 1 < n && i % 2 == 0 ? i + 1 : swap && i % 2 == 1 ? i - 1 : i;
        t_fate_t f = script ? script(s_frames_seen++) : T_DELIVER;
        if (f != T_LOSE)
            t_deliver(x, &v[j]);
        if (f == T_TWICE)
            t_deliver(x, &v[j]);
    }
    for (size_t i = 0; i < n; i++)
        buf_free(&v[i].frame);
    free(v);
}

/* Runs the two nodes: deliver, tick, advance the clock by step ms, until
 * nothing moves or rounds run out. */
static void t_run(int rounds, uint64_t step, t_script_fn *script, bool swap)
{
    for (int r = 0; r < rounds; r++) {
        session_tick(A.s, s_clock);
        session_tick(B.s, s_clock);
        if (A.nout == 0 && B.nout == 0) {
            s_clock += step;
            continue;
        }
        t_flush(&A, script, swap);
        t_flush(&B, script, swap);
        s_clock += 10;
    }
}

static int s_id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* The sorted ids of a store. */
static uint8_t (*t_ids(repo_t *r, size_t *n))[32]
{
    *n = repo_edit_count(r);
    uint8_t (*v)[32] = xmalloc((*n ? *n : 1) * 32);
    for (size_t i = 0; i < *n; i++)
        memcpy(v[i], repo_record_id(r, i), 32);
    qsort(v, *n, 32, s_id_cmp);
    return v;
}

static void t_expect_converged(const char *why)
{
    size_t na, nb;
    uint8_t (*a)[32] = t_ids(A.repo, &na), (*b)[32] = t_ids(B.repo, &nb);
    cr_assert_eq(na, nb, "%s: A holds %zu edits, B %zu", why, na, nb);
    cr_assert(memcmp(a, b, na * 32) == 0, "%s: A and B hold different edits", why);
    free(a);
    free(b);
}

/* ---- tests ------------------------------------------------------------ */

Test(session, two_sessions_converge_both_ways)
{
    t_places(&A, 300, "a");
    t_places(&B, 200, "b");
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(200, 1000, NULL, false);
    t_expect_converged("clean link");
    cr_assert(session_connected(A.s, s_clock) && session_connected(B.s, s_clock));
    cr_assert_eq(repo_edit_count(A.repo), 500);
    /* a new edit on one side is pushed at once, without a round */
    size_t before = B.edits_sent + A.edits_sent;
    t_places(&B, 1, "late");
    t_run(5, 10, NULL, false);
    t_expect_converged("after a push");
    cr_assert_eq(B.edits_sent + A.edits_sent, before + 1, "the push sent it %zu times",
                 B.edits_sent + A.edits_sent - before);
}

/* A node that stores a message's edits later (node.c verifies them on its
 * pool while it stores the message before): the session counts them when
 * told, and a round, or an answer to one, first has the node store what
 * waits, so nothing is fetched twice. */
Test(session, edits_stored_later_are_counted_then_and_rounds_wait_for_them)
{
    B.later = true;
    B.env.settle = t_settle;
    t_places(&A, 1200, "a");
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(100, 100, NULL, false);
    /* the last message is still waiting: not stored, not counted */
    cr_assert_gt(B.npend, 0, "nothing waits: the test does not test waiting");
    uint64_t rec, rej, held;
    session_counts(A.s, &rec, &rej, &held);
    session_counts(B.s, &rec, &rej, &held);
    cr_assert_eq(rec + B.npend, 1200, "B counted %llu, %zu wait", (unsigned long long)rec, B.npend);
    cr_assert_eq(repo_edit_count(B.repo), rec);
    cr_assert_gt(B.settles, 1, "each message was stored at the next");
    /* B starts a round: first it stores what waits, so its set is whole */
    session_start_round(B.s, s_clock);
    cr_assert_eq(B.npend, 0, "a round started with edits waiting");
    session_counts(B.s, &rec, &rej, &held);
    cr_assert_eq(rec, 1200);
    t_run(100, 100, NULL, false);
    t_expect_converged("stored later");
    cr_assert_eq(A.edits_sent, 1200, "A sent %zu edits for 1200", A.edits_sent);
    /* edits that wait when the peer's RECON comes are stored before it is
     * answered */
    t_places(&A, 3, "late");
    t_run(3, 10, NULL, false);
    cr_assert_gt(B.npend, 0);
    session_start_round(A.s, s_clock);
    t_flush(&A, NULL, false);
    cr_assert_eq(B.npend, 0, "B answered a RECON with edits waiting");
    t_run(100, 100, NULL, false);
    t_expect_converged("a round with edits waiting");
    cr_assert_eq(A.edits_sent, 1203, "A sent %zu edits for 1203", A.edits_sent);
}

/* A fixed pseudo-random sequence (xorshift), the same on every run. */
static uint32_t s_rand(size_t i)
{
    uint32_t x = (uint32_t)i * 2654435761u + 12345u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

static t_fate_t s_lose_a_third(size_t i)
{
    return s_rand(i) % 3 == 0 ? T_LOSE : T_DELIVER;
}

/* Lost frames (a lost HELLO, RECON, WANT or EDITS) are made good by the
 * WANT timeout and the periodic rounds. */
Test(session, lost_frames_are_made_good_by_timeouts_and_rounds)
{
    t_places(&A, 120, "a");
    t_places(&B, 80, "b");
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(3000, 1000, s_lose_a_third, false);
    /* a lost answer to HELLO leaves A waiting; it dials again (node.c
     * redials a silent link), which says HELLO again */
    if (!session_connected(A.s, s_clock)) {
        session_link_down(A.s, LINK_DEALER);
        session_dialled(A.s, s_clock);
    }
    t_run(3000, 1000, s_lose_a_third, false);
    t_expect_converged("a third of the frames lost");
}

static t_fate_t s_twice(size_t i)
{
    return s_rand(i) % 4 == 0 ? T_TWICE : T_DELIVER;
}

/* A quarter of the frames arrive twice, and neighbours swap places:
 * nothing is stored twice and both ends still agree. */
Test(session, repeated_and_reordered_frames_change_nothing)
{
    t_places(&A, 90, "a");
    t_places(&B, 60, "b");
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(400, 1000, s_twice, true);
    t_expect_converged("frames twice and reordered");
    cr_assert_eq(repo_edit_count(A.repo), 150);
    cr_assert_eq(repo_edit_count(B.repo), 150);
}

/* A peer that skips HELLO gets nothing but a HELLO: its WANT and RECON
 * are not answered, and none of this node's edits go to it. */
Test(session, a_peer_that_skips_hello_is_not_served)
{
    t_places(&B, 20, "b");
    t_sets();
    /* A, without HELLO, asks B for an edit B holds and starts a round */
    uint8_t id[32];
    memcpy(id, repo_record_id(B.repo, 0), 32);
    buf_t want = {0}, recon = {0};
    msg_want(&want, (const uint8_t(*)[32])id, 1);
    sync_start(A.set, &recon);
    t_frame_t f1 = {LINK_DEALER, want}, f2 = {LINK_DEALER, recon};
    cr_assert_eq(t_deliver(&A, &f1), SESSION_IGNORED);
    cr_assert_eq(t_deliver(&A, &f2), SESSION_IGNORED);
    session_tick(B.s, s_clock);
    cr_assert_eq(B.edits_sent, 0, "B served a peer that skipped HELLO");
    cr_assert_eq(B.nout, 1, "B answers only with its HELLO (%zu frames)", B.nout);
    msg_t m;
    cr_assert_eq(msg_decode(B.out[0].frame.data, B.out[0].frame.len, &m), 0);
    cr_assert_eq(m.type, MSG_HELLO);
    msg_clear(&m);
    cr_assert_not(session_connected(B.s, s_clock));
    buf_free(&want);
    buf_free(&recon);
    /* with a HELLO first, the same WANT is answered */
    A.silent = false;
    for (size_t i = 0; i < B.nout; i++)
        buf_free(&B.out[i].frame);
    B.nout = 0;
    session_dialled(A.s, s_clock);
    t_run(50, 1000, NULL, false);
    t_expect_converged("after HELLO");
}

/* A peer that stops answering: an unanswered WANT is given up after the
 * timeout (so fetching is not stalled for ever) and the peer no longer
 * counts as connected once it has been silent too long. */
Test(session, a_peer_that_stops_answering_times_out)
{
    t_places(&B, 30, "b");
    t_sets();
    session_dialled(A.s, s_clock);
    /* deliver the handshake and B's answer to the first RECON, then B
     * falls silent: A's WANT is never answered */
    t_run(2, 10, NULL, false);
    B.silent = true;
    t_run(3, 10, NULL, false);
    cr_assert(session_connected(A.s, s_clock));
    cr_assert_lt(repo_edit_count(A.repo), 30, "A got everything before B fell silent");
    s_clock += SESSION_ALIVE_MS + 1;
    session_tick(A.s, s_clock);
    cr_assert_not(session_connected(A.s, s_clock), "a silent peer still counts as connected");
    /* B speaks again: the timed-out WANT does not block fetching */
    B.silent = false;
    for (int i = 0; i < 3; i++) {
        s_clock += SESSION_WANT_TIMEOUT_MS + 1;
        t_run(200, 1000, NULL, false);
    }
    t_expect_converged("after the peer came back");
}

/* A peer whose connection is new (it reconnected; the router gives it a
 * new routing id) must say HELLO again: it is asked for it, says it, and
 * sync goes on. */
Test(session, a_reconnected_peer_is_asked_for_hello_and_sync_goes_on)
{
    t_places(&A, 10, "a");
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(50, 1000, NULL, false);
    t_expect_converged("before the reconnection");
    s_rid_now[4] = 'E'; /* the same peer, a new connection */
    t_places(&A, 5, "after");
    t_run(200, 1000, NULL, false);
    t_expect_converged("after the reconnection");
    cr_assert(session_connected(B.s, s_clock));
}

/* A frame that is not a message bans the peer: its input is ignored until
 * the ban ends. */
Test(session, a_malformed_frame_bans_the_peer_for_a_while)
{
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(5, 10, NULL, false);
    buf_t junk = {0};
    buf_append(&junk, "\xc1 not msgpack", 13);
    t_frame_t f = {LINK_DEALER, junk};
    cr_assert_eq(t_deliver(&A, &f), SESSION_BANNED);
    cr_assert_gt(session_banned_until(B.s), s_clock);
    buf_t ping = {0};
    msg_ping(&ping);
    t_frame_t p = {LINK_DEALER, ping};
    cr_assert_eq(t_deliver(&A, &p), SESSION_IGNORED, "input of a banned peer is read");
    s_clock += SESSION_BAN_MS + 1;
    cr_assert_neq(t_deliver(&A, &p), SESSION_BANNED);
    buf_free(&junk);
    buf_free(&ping);
}

/* ---- compressed EDITS (protocol.md §10.7) ------------------------------ */

static size_t t_lines_with(const char *needle);

/* Node x offers zstd in its HELLO, and compresses. */
static void t_zstd(t_node_t *x)
{
    x->env.caps |= MSG_CAP_ZSTD;
    x->env.zc = msg_zc_new(MSG_ZSTD_LEVEL);
}

/* Both sides with differences, a round, then a push each way. */
static void t_sync_both_ways(void)
{
    t_places(&A, 300, "a");
    t_places(&B, 200, "b");
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(200, 1000, NULL, false);
    t_expect_converged("round");
    t_places(&A, 3, "late a");
    t_places(&B, 3, "late b");
    t_run(5, 10, NULL, false);
    t_expect_converged("push");
    cr_assert_eq(repo_edit_count(A.repo), 506);
}

Test(session, edits_go_compressed_when_both_hellos_name_zstd)
{
    t_zstd(&A);
    t_zstd(&B);
    t_sync_both_ways();
    cr_assert_eq(session_caps(A.s), MSG_CAP_ZSTD);
    cr_assert_eq(session_caps(B.s), MSG_CAP_ZSTD);
    cr_assert_gt(A.zedits_sent, 0);
    cr_assert_gt(B.zedits_sent, 0);
    /* 300 places from A: well under their plain size */
    cr_assert_eq(A.edits_sent, 303);
    cr_assert_eq(B.edits_sent, 203);
}

Test(session, edits_go_plain_when_only_one_side_names_zstd)
{
    t_zstd(&A); /* B is a node without zstd */
    t_sync_both_ways();
    cr_assert_eq(session_caps(A.s), 0);
    cr_assert_eq(session_caps(B.s), 0);
    cr_assert_eq(A.zedits_sent + B.zedits_sent, 0);
    cr_assert_eq(A.edits_sent, 303);
    cr_assert_eq(B.edits_sent, 203);
}

Test(session, edits_go_plain_when_the_other_side_names_zstd_but_this_one_does_not)
{
    t_zstd(&B);
    msg_zc_destroy(&B.env.zc); /* offers it, could not compress: still takes ZEDITS */
    t_sync_both_ways();
    cr_assert_eq(A.zedits_sent + B.zedits_sent, 0);
}

Test(session, compression_makes_the_same_catch_up_smaller)
{
    t_places(&A, 300, "a");
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(200, 1000, NULL, false);
    t_expect_converged("plain");
    size_t plain = A.edit_bytes;
    s_teardown();
    s_setup();
    t_zstd(&A);
    t_zstd(&B);
    t_places(&A, 300, "a");
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(200, 1000, NULL, false);
    t_expect_converged("compressed");
    cr_assert_eq(A.edits_sent, 300);
    cr_assert_lt(A.edit_bytes * 10, plain * 7, "compressed %zu bytes, plain %zu", A.edit_bytes,
                 plain);
}

/* Frames lost on a link part the two histories of it: the receiver cannot
 * read the next ZEDITS, says HELLO, both start afresh, and the rounds and
 * the WANT timeout make good what was lost; pushes after that go
 * compressed against the new history again. */
Test(session, lost_frames_part_the_link_histories_and_a_hello_mends_them)
{
    t_zstd(&A);
    t_zstd(&B);
    t_places(&A, 50, "a");
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(100, 1000, NULL, false);
    t_expect_converged("before");
    /* a push lost on the way (the link went down under it) */
    t_places(&A, 1, "lost");
    session_tick(A.s, s_clock);
    cr_assert_gt(A.nout, 0, "the push was not sent");
    for (size_t i = 0; i < A.nout; i++)
        buf_free(&A.out[i].frame);
    A.nout = 0;
    /* the next one is made against a history B never saw all of */
    size_t before = A.zhist_sent;
    t_places(&A, 1, "next");
    t_run(400, 1000, NULL, false);
    cr_assert_gt(A.zhist_sent, before);
    pv_t *st = session_status(B.s, s_clock);
    cr_assert_gt(pv_get_int(st, "zstd_parted", -1), 0, "B read a ZEDITS against another history");
    pv_free(&st);
    t_expect_converged("after the loss");
    before = A.zhist_sent;
    t_places(&A, 3, "after");
    t_run(20, 10, NULL, false);
    t_expect_converged("a push after the histories were mended");
    cr_assert_gt(A.zhist_sent, before, "the push did not go against a history");
    st = session_status(B.s, s_clock);
    cr_assert_eq(pv_get_int(st, "zstd_parted", -1), 1, "parted again after the HELLO");
    pv_free(&st);
}

/* Losses everywhere, zstd on both sides: still converges. */
Test(session, lost_frames_with_zstd_are_made_good_too)
{
    t_zstd(&A);
    t_zstd(&B);
    t_places(&A, 120, "a");
    t_places(&B, 80, "b");
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(3000, 1000, s_lose_a_third, false);
    if (!session_connected(A.s, s_clock)) { /* as lost_frames_are_made_good_... */
        session_link_down(A.s, LINK_DEALER);
        session_dialled(A.s, s_clock);
    }
    t_run(3000, 1000, s_lose_a_third, false);
    t_expect_converged("a third of the frames lost");
}

/* A ZEDITS of one 4 MiB-8 edit of zeros: a few hundred bytes on the wire. */
static t_frame_t t_bomb(void)
{
    size_t n = MSG_MAX_BYTES - 16;
    uint8_t *zero = xcalloc(n, 1);
    msg_blob_t b = {zero, n};
    buf_t plain = {0};
    msg_edits(&plain, &b, 1, false);
    free(zero);
    msg_zc_t *z = msg_zc_new(MSG_ZSTD_LEVEL);
    t_frame_t f = {LINK_DEALER, {0}};
    cr_assert_gt(msg_zedits(&f.frame, z, plain.data, plain.len), 0);
    cr_assert_lt(f.frame.len, 4096);
    msg_zc_destroy(&z);
    buf_free(&plain);
    return f;
}

Test(session, compressed_edits_to_a_node_that_did_not_offer_them_ban_the_sender)
{
    t_zstd(&A); /* A may think so; B never named zstd */
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(5, 10, NULL, false);
    cr_assert(session_connected(B.s, s_clock));
    t_frame_t f = t_bomb();
    cr_assert_eq(t_deliver(&A, &f), SESSION_BANNED);
    cr_assert_gt(session_banned_until(B.s), s_clock);
    cr_assert_eq(t_lines_with("compressed edits it was not offered"), 1);
    buf_free(&f.frame);
}

Test(session, compressed_edits_before_hello_are_dropped_unread_not_a_ban)
{
    /* e.g. queued for a peer that restarted without zstd */
    t_zstd(&A);
    t_zstd(&B);
    t_frame_t f = t_bomb();
    f.link = LINK_DEALER;
    cr_assert_eq(t_deliver(&A, &f), SESSION_IGNORED);
    cr_assert_eq(session_banned_until(B.s), 0);
    buf_free(&f.frame);
}

Test(session, decompressed_bytes_count_against_the_input_budget)
{
    t_zstd(&A);
    t_zstd(&B);
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(5, 10, NULL, false);
    cr_assert(session_connected(B.s, s_clock));
    t_frame_t f = t_bomb();
    /* SESSION_IN_MAX_BYTES / MSG_MAX_BYTES = 16 such messages fill the
     * second's budget, though the wire carried a few kilobytes */
    size_t i = 0;
    session_result_t r = SESSION_OK;
    for (; i < 20 && r != SESSION_BANNED; i++)
        r = t_deliver(&A, &f);
    cr_assert_eq(r, SESSION_BANNED);
    cr_assert_eq(i, SESSION_IN_MAX_BYTES / MSG_MAX_BYTES, "banned after %zu", i);
    cr_assert_eq(t_lines_with("flooding"), 1);
    buf_free(&f.frame);
}

/* An edit queued twice for a peer is sent once. */
Test(session, an_edit_queued_twice_is_sent_once)
{
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(20, 1000, NULL, false);
    t_places(&A, 1, "once"); /* pushed by the listener */
    session_push(A.s, repo_edit_count(A.repo) - 1);
    session_push(A.s, repo_edit_count(A.repo) - 1);
    size_t before = A.edits_sent;
    t_run(5, 10, NULL, false);
    cr_assert_eq(A.edits_sent, before + 1, "sent %zu times", A.edits_sent - before);
    t_expect_converged("after the push");
}

/* True when x has a frame of type t queued. */
static bool t_sent(const t_node_t *x, msg_type_t t)
{
    for (size_t i = 0; i < x->nout; i++) {
        msg_t m;
        if (msg_decode(x->out[i].frame.data, x->out[i].frame.len, &m) == 0) {
            bool hit = m.type == t;
            msg_clear(&m);
            if (hit)
                return true;
        }
    }
    return false;
}

static void t_drop_out(t_node_t *x)
{
    for (size_t i = 0; i < x->nout; i++)
        buf_free(&x->out[i].frame);
    x->nout = 0;
}

/* A link that will not take a frame for a while (the give queue's EDITS
 * filled it): the answers to RECON and WANT wait and leave in order once
 * it does, so fetching goes on at once, not after the WANT timeout or the
 * next round. */
Test(session, answers_wait_for_a_full_link_and_are_not_lost)
{
    /* more than one RECON answer gives (SYNC_GIVE_MAX): the round must go on */
    t_places(&B, 5000, "b");
    t_sets();
    session_dialled(A.s, s_clock);
    t_flush(&A, NULL, false); /* A's HELLO */
    t_flush(&B, NULL, false); /* B's HELLO back: A starts its round */
    B.full = true;
    t_run(5, 10, NULL, false); /* A's RECON reaches B; B's link takes nothing */
    cr_assert(session_backlog(B.s), "B kept no answer waiting for its full link");
    cr_assert_eq(repo_edit_count(A.repo), 0);
    B.full = false;
    session_tick(B.s, s_clock);
    cr_assert(t_sent(&B, MSG_RECON), "B's answer to A's RECON was lost to the full link");
    /* well within the WANT timeout, the round timeout and the interval */
    t_run(300, 10, NULL, false);
    cr_assert_lt(s_clock - 1000000, SESSION_WANT_TIMEOUT_MS);
    t_expect_converged("after the link was full for a while");
    cr_assert_not(session_backlog(B.s));
}

/* A round whose RECON was lost starts again after 10 s of silence, not
 * only at the next recon interval (30 s here). */
Test(session, a_round_whose_recon_was_lost_starts_again)
{
    t_places(&B, 30, "b");
    t_sets();
    session_dialled(A.s, s_clock);
    t_flush(&A, NULL, false); /* A's HELLO */
    t_flush(&B, NULL, false); /* B's HELLO back: A starts its round */
    cr_assert(t_sent(&A, MSG_RECON), "A did not start a round");
    t_drop_out(&A); /* the RECON is lost */
    uint64_t t0 = s_clock;
    s_clock = t0 + 9000;
    session_tick(A.s, s_clock);
    cr_assert_not(t_sent(&A, MSG_RECON), "A started again before 10 s");
    t_drop_out(&A);
    s_clock = t0 + 10500;
    session_tick(A.s, s_clock);
    cr_assert(t_sent(&A, MSG_RECON), "A's round stayed open after its RECON was lost");
    t_run(100, 10, NULL, false);
    t_expect_converged("after the round started again");
}

/* What a connection sent after its HELLO is served even when this node's
 * answer to it failed (the peer closed at once): its EDITS are stored, not
 * dropped as "before HELLO". */
Test(session, edits_from_a_connection_that_closed_after_hello_are_stored)
{
    t_sets();
    t_places(&A, 1, "last words");
    buf_t raw = {0};
    cr_assert_eq(repo_read(A.repo, 0, &raw), 0);
    msg_blob_t blob = {raw.data, raw.len};
    t_frame_t hello = {LINK_ROUTER, {0}}, edits = {LINK_ROUTER, {0}};
    msg_hello(&hello.frame, A.env.mesh, "a", A.env.wall_ms);
    msg_edits(&edits.frame, &blob, 1, false);
    cr_assert_eq(t_deliver(&A, &hello), SESSION_OK);
    session_link_down(B.s, LINK_ROUTER); /* the HELLO back found no peer */
    cr_assert_eq(t_deliver(&A, &edits), SESSION_OK);
    cr_assert_eq(repo_edit_count(B.repo), 1, "the edit sent after HELLO is stored");
    /* a new connection still says HELLO first */
    s_rid_now[4] = 'F';
    t_places(&A, 1, "new connection");
    buf_reset(&raw);
    cr_assert_eq(repo_read(A.repo, 1, &raw), 0);
    blob = (msg_blob_t){raw.data, raw.len};
    buf_reset(&edits.frame);
    msg_edits(&edits.frame, &blob, 1, false);
    cr_assert_eq(t_deliver(&A, &edits), SESSION_IGNORED);
    cr_assert_eq(repo_edit_count(B.repo), 1);
    buf_free(&raw);
    buf_free(&hello.frame);
    buf_free(&edits.frame);
}

/* An EDITS frame from A of n signed edits whose signatures were then
 * broken, one of them carrying a field name with a terminal escape. */
static t_frame_t t_bad_edits(int n, int tag)
{
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    buf_t raw = {0};
    size_t *off = xcalloc((size_t)n, sizeof *off);
    msg_blob_t *blobs = xcalloc((size_t)n, sizeof *blobs);
    for (int i = 0; i < n; i++) {
        edit_t e = {0};
        e.kind = REC_PLACE;
        randombytes_buf(e.entity, 32);
        memcpy(e.author, pk, 32);
        e.hlc = ((uint64_t)tag << 20) + (uint64_t)i;
        e.fields = pv_map();
        pv_map_set(e.fields, "name", pv_str("x"));
        char *cause = NULL;
        off[i] = raw.len;
        cr_assert_eq(edit_sign(&e, sk, EDIT_TRUSTED, &raw, &cause), 0, "%s", cause ? cause : "");
        pv_free(&e.fields);
        raw.data[raw.len - 1] ^= 0x55; /* the signature's last byte */
        blobs[i].len = raw.len - off[i];
    }
    for (int i = 0; i < n; i++)
        blobs[i].data = raw.data + off[i];
    t_frame_t f = {LINK_DEALER, {0}};
    msg_edits(&f.frame, blobs, (size_t)n, false);
    buf_free(&raw);
    free(off);
    free(blobs);
    return f;
}

static size_t t_lines_with(const char *needle)
{
    size_t k = 0;
    for (size_t i = 0; i < s_nlines && i < 64; i++)
        k += strstr(s_lines[i], needle) != NULL;
    return k;
}

/* Issue 9.8: edits that fail to verify are logged as one line per
 * SESSION_REJECT_LOG_MS per peer, summed up, and a peer that keeps
 * sending them is banned. */
Test(session, rejected_edits_are_summed_up_in_the_log_and_a_peer_sending_bad_ones_is_banned)
{
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(5, 10, NULL, false);
    size_t before = s_nlines;
    t_frame_t f = t_bad_edits(10, 1);
    cr_assert_neq(t_deliver(&A, &f), SESSION_BANNED);
    buf_free(&f.frame);
    cr_assert_eq(s_nlines, before + 1, "one line for a message of 10 bad edits");
    cr_assert_eq(t_lines_with("10 edits rejected (the first: edit: signature does not verify)"), 1,
                 "got: %s", s_lines[before]);
    f = t_bad_edits(5, 2);
    t_deliver(&A, &f);
    buf_free(&f.frame);
    session_tick(B.s, s_clock + 1000);
    cr_assert_eq(s_nlines, before + 1, "nothing more within SESSION_REJECT_LOG_MS");
    cr_assert_lt(session_banned_until(B.s), s_clock, "15 bad edits: not banned yet");
    s_clock += SESSION_REJECT_LOG_MS;
    session_tick(B.s, s_clock);
    cr_assert_eq(s_nlines, before + 2);
    cr_assert_eq(t_lines_with("5 edits rejected"), 1, "the rest summed up on the next tick");
    f = t_bad_edits(2, 3);
    t_deliver(&A, &f);
    buf_free(&f.frame);
    cr_assert_gt(session_banned_until(B.s), s_clock, "more than SESSION_INVALID_MAX bad edits: banned");
    cr_assert_eq(t_lines_with("misbehaved"), 1);
    cr_assert_leq(s_nlines, before + 4, "a handful of lines for 17 bad edits");
}


/* Issue 17: an edit the node refused is not asked for again every round
 * (the giver may still send it unasked; the node drops it unread). */
static size_t s_refused_asked;

static bool t_refused(void *ctx, const uint8_t id[32])
{
    (void)ctx;
    if (memcmp(id, s_refused_id, 32) != 0)
        return false;
    s_refused_asked++;
    return true;
}

Test(session, an_edit_the_node_refused_is_not_asked_for_again)
{
    t_places(&B, 3, "b");
    t_places(&A, 3, "a");
    t_sets();
    memcpy(s_refused_id, repo_record_id(A.repo, 1), 32);
    s_wanted_refused = 0;
    B.env.refused = t_refused;
    session_dialled(A.s, s_clock);
    for (int round = 0; round < 3; round++) {
        session_start_round(A.s, s_clock);
        t_run(50, 1000, NULL, false);
    }
    cr_assert_geq(s_refused_asked, 1, "B was asked whether it refused the edit");
    cr_assert_eq(s_wanted_refused, 0, "B never asks for an edit it refused");
    cr_assert_eq(repo_edit_count(B.repo), 5, "the others arrive");
    cr_assert_eq(repo_find_record(B.repo, s_refused_id), -1);
}

/* ---- announcing (protocol.md §10.8) ----------------------------------- */

static bool t_lazy(const t_node_t *x)
{
    pv_t *st = session_status(x->s, s_clock);
    bool lazy = pv_get_bool(st, "lazy", false);
    pv_free(&st);
    return lazy;
}

/* Both name "announce"; A pushes B an edit twice: B answers the second
 * with an ANNOUNCE of it, and A's pushes to B become announces. */
static void t_make_b_lazy(void)
{
    A.env.caps = B.env.caps = MSG_CAP_ANNOUNCE;
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(20, 1000, NULL, false);
    cr_assert_eq(session_caps(A.s), MSG_CAP_ANNOUNCE);
    cr_assert_not(t_lazy(&A), "a new peer is eager");
    t_places(&A, 1, "twice");
    t_run(5, 10, NULL, false);
    session_push(A.s, repo_edit_count(A.repo) - 1); /* again: B holds it */
    t_run(5, 10, NULL, false);
    cr_assert_geq(B.by_type[MSG_ANNOUNCE], 1, "B told A it had the edit");
    cr_assert(t_lazy(&A), "A announces to B from now on");
}

Test(session, announce_is_used_only_when_both_hellos_name_it)
{
    /* only A names it: edits go whole, nothing is announced */
    A.env.caps = MSG_CAP_ANNOUNCE;
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(20, 1000, NULL, false);
    cr_assert_eq(session_caps(A.s), 0);
    cr_assert_eq(session_caps(B.s), 0);
    t_places(&A, 3, "a");
    t_places(&B, 3, "b");
    t_run(10, 10, NULL, false);
    session_push(A.s, repo_edit_count(A.repo) - 1); /* a duplicate push, as from two peers */
    t_run(10, 10, NULL, false);
    t_expect_converged("one side without announce");
    cr_assert_eq(A.by_type[MSG_ANNOUNCE] + B.by_type[MSG_ANNOUNCE], 0, "no ANNOUNCE was sent");
}

Test(session, a_lazy_peer_is_announced_new_edits_and_asks_for_them)
{
    t_make_b_lazy();
    size_t whole = A.edits_sent, ann = A.by_type[MSG_ANNOUNCE], want = B.by_type[MSG_WANT];
    t_places(&A, 3, "new");
    t_run(20, 10, NULL, false);
    t_expect_converged("announced edits");
    cr_assert_eq(A.by_type[MSG_ANNOUNCE], ann + 1, "one ANNOUNCE for the three");
    cr_assert_eq(B.by_type[MSG_WANT], want + 1, "one WANT for the three");
    cr_assert_eq(A.edits_sent, whole + 3, "each sent once, as the WANT's answer");
    cr_assert_not(t_lazy(&A), "B asked for announced edits: eager again");
    /* B, which got a push twice, counts A lazy too: its own new edit is
     * announced to A, asked for and sent once */
    size_t bann = B.by_type[MSG_ANNOUNCE], bsent = B.edits_sent;
    t_places(&B, 1, "from b");
    t_run(20, 10, NULL, false);
    t_expect_converged("B's edit");
    cr_assert_eq(B.by_type[MSG_ANNOUNCE], bann + 1);
    cr_assert_eq(B.edits_sent, bsent + 1);
}

/* A peer of B's other than A: a session on B's env, handshake done on a
 * router connection of its own. */
static session_t *t_extra_peer(uint8_t tag)
{
    uint8_t key[32], rid[5] = {0, 'X', 'Y', 'Z', tag};
    memset(key, tag, 32);
    session_t *s = session_new(&B.env, key);
    buf_t h = {0};
    msg_hello_caps(&h, B.env.mesh, "extra", 1767225600000ULL, MSG_CAP_ANNOUNCE);
    cr_assert_eq(session_input(s, LINK_ROUTER, rid, sizeof rid, h.data, h.len, s_clock), SESSION_OK);
    buf_free(&h);
    return s;
}

static void t_announce_to_b(session_t *s, uint8_t tag, const uint8_t id[32])
{
    uint8_t rid[5] = {0, 'X', 'Y', 'Z', tag};
    buf_t b = {0};
    msg_announce(&b, (const uint8_t(*)[32])id, 1);
    cr_assert_eq(session_input(s, LINK_ROUTER, rid, sizeof rid, b.data, b.len, s_clock), SESSION_OK);
    buf_free(&b);
}

/* WANTs in B's outbox that name id. */
static size_t t_wants_for(const uint8_t id[32])
{
    size_t k = 0;
    for (size_t i = 0; i < B.nout; i++) {
        msg_t m;
        if (msg_decode(B.out[i].frame.data, B.out[i].frame.len, &m) < 0)
            continue;
        for (size_t j = 0; m.type == MSG_WANT && j < m.nids; j++)
            k += memcmp(m.ids[j], id, 32) == 0;
        msg_clear(&m);
    }
    return k;
}

Test(session, an_edit_announced_by_several_peers_is_asked_for_once)
{
    B.env.caps = MSG_CAP_ANNOUNCE;
    B.env.asked = session_asked_new();
    session_t *c = t_extra_peer('c'), *d = t_extra_peer('d'), *e = t_extra_peer('e');
    uint8_t id[32];
    randombytes_buf(id, sizeof id);
    t_drop_out(&B);
    t_announce_to_b(c, 'c', id);
    t_announce_to_b(d, 'd', id);
    t_announce_to_b(c, 'c', id);
    cr_assert_eq(t_wants_for(id), 0, "not asked at once: the tree may bring it");
    s_clock += SESSION_GRAFT_MS;
    session_tick(c, s_clock);
    session_tick(d, s_clock);
    cr_assert_eq(t_wants_for(id), 1, "asked once, of the first");
    /* C never answers: once SESSION_ASK_MS has passed, the next peer
     * that announces it is asked */
    s_clock += SESSION_ASK_MS;
    t_announce_to_b(e, 'e', id);
    s_clock += SESSION_GRAFT_MS;
    session_tick(e, s_clock);
    cr_assert_eq(t_wants_for(id), 2, "asked again, of another peer");
    /* an id B holds is never asked for */
    t_places(&B, 1, "held");
    t_drop_out(&B);
    t_announce_to_b(d, 'd', repo_record_id(B.repo, repo_edit_count(B.repo) - 1));
    cr_assert_eq(t_wants_for(repo_record_id(B.repo, repo_edit_count(B.repo) - 1)), 0);
    session_free(&c);
    session_free(&d);
    session_free(&e);
    session_asked_free(&B.env.asked);
}

Test(session, an_announce_never_answered_is_made_good_by_the_round)
{
    t_make_b_lazy();
    t_places(&A, 1, "lost");
    session_tick(A.s, s_clock); /* the announce is due in up to SESSION_LAZY_MS */
    s_clock += SESSION_LAZY_MS;
    session_tick(A.s, s_clock);
    cr_assert(t_sent(&A, MSG_ANNOUNCE));
    t_flush(&A, NULL, false); /* B gets the ANNOUNCE ... */
    session_tick(B.s, s_clock);
    s_clock += SESSION_GRAFT_MS;
    session_tick(B.s, s_clock); /* ... and asks, the edit not having come whole */
    cr_assert(t_sent(&B, MSG_WANT));
    t_flush(&B, NULL, false); /* A answers ... */
    cr_assert(t_sent(&A, MSG_EDITS));
    t_drop_out(&A);           /* ... and the answer is lost */
    size_t na = repo_edit_count(A.repo), nb = repo_edit_count(B.repo);
    cr_assert_eq(nb + 1, na, "B lacks the edit");
    /* the next round (recon_interval_ms) finds it */
    t_run(100, 1000, NULL, false);
    t_expect_converged("after the round");
}

Test(session, an_announced_edit_that_comes_whole_meanwhile_is_not_asked_for)
{
    B.env.caps = MSG_CAP_ANNOUNCE;
    session_t *c = t_extra_peer('c');
    t_places(&A, 1, "on the tree"); /* A's edit, B does not have it yet */
    const uint8_t *id = repo_record_id(A.repo, repo_edit_count(A.repo) - 1);
    t_drop_out(&B);
    t_announce_to_b(c, 'c', id);
    /* it comes whole from A (B's parent on the tree) before the wait is over */
    t_sets();
    session_dialled(A.s, s_clock);
    t_run(20, 1, NULL, false);
    cr_assert_geq(repo_find_record(B.repo, id), 0);
    t_drop_out(&B);
    s_clock += SESSION_GRAFT_MS;
    session_tick(c, s_clock);
    cr_assert_eq(t_wants_for(id), 0, "not asked of C");
    session_free(&c);
}
