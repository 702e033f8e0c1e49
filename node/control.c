/*
 * control.c -- buurtd's side of the control socket (see control.h).
 *
 * The reader. Reads run in a child process, and merging records is what
 * costs a query its time, so a child that served one read stays to serve
 * the next: the reader, a long-lived child forked with the repo as it is,
 * which keeps what it merged. It is retired and forked again once the repo
 * has changed (repo_version), so it never answers from a stale copy. A
 * read that arrives while the reader is busy gets a child of its own. The
 * node sends the reader a request as [u32 length][EXEC frame] on one pipe;
 * the reader answers on another with frames [u8 stream][u32 length][data],
 * stream 1 stdout, 2 stderr, 0 the end (data: the exit code).
 *
 * The first reader is forked as the node starts, before any read is
 * asked, and warms itself (exec.reader_warm, a slice at a time) until its
 * first request comes, checking for one between slices: the first query
 * after a start then finds the fork done and what it reads mostly merged.
 *
 * A job is one EXEC being answered: for a read, the child (or the reader)
 * and the pipes it writes to; for a write, its captured output. Either way its output leaves in OUT frames of at most CTL_CHUNK
 * bytes; when the socket will not take a frame (the CLI reads slowly) the
 * frame waits in `pending` and the job's pipes are not read until it has
 * gone, so a child writing faster than its reader blocks on its pipe
 * instead of growing buurtd.
 */
#include "node/control.h"
#include "node/home.h"
#include "proto/err.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    bool used;
    uint8_t rid[256];      /* the CLI's connection */
    size_t rid_len;
    pid_t pid;             /* the child of a read; 0 for a write */
    int fd[2];             /* read ends of its stdout, stderr; -1 when closed */
    bool by_reader;        /* fd[0] is the reader's answer pipe (not ours to close) */
    buf_t in;              /* by_reader: bytes of frames not complete yet */
    char *mem[2];          /* a write's captured stdout, stderr */
    size_t memlen[2], memoff[2];
    int code;              /* exit code, once known */
    bool done;             /* the command has ended: RESULT is next */
    bool result_sent;      /* RESULT went out (or waits in pending) */
    buf_t pending;         /* an encoded frame the socket did not take */
} job_t;

typedef struct {
    uint8_t rid[256];
    size_t rid_len;
    uint64_t t0, deadline;
} waiter_t;

typedef struct {
    uint8_t rid[256];
    size_t rid_len;
    ctl_msg_t msg;
} queued_t;

/* The long-lived reader child. */
typedef struct {
    pid_t pid;             /* 0: none */
    int to;                /* requests to it */
    int from;              /* its answers */
    uint64_t version;      /* repo_version when it was forked */
    int job;               /* the job it serves, -1 when idle */
    uint64_t idle_since;   /* ms (control_handle's clock) idle since; 0: not seen idle yet */
} reader_t;

struct control {
    void *sock;
    control_hooks_t h;
    reader_t reader;
    job_t jobs[CONTROL_CHILDREN + 1];  /* + 1: a write's output draining */
    queued_t queue[CONTROL_QUEUE];
    size_t nqueue;
    waiter_t *waiters;
    size_t nwaiters;
    /* which job and pipe each poll item of the last control_poll_items is */
    int item_job[2 * (CONTROL_CHILDREN + 1)], item_fd[2 * (CONTROL_CHILDREN + 1)];
    size_t nitems;
    bool started;          /* the first reader was forked at start (or could not be) */
};

static void s_log(control_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_log(control_t *c, const char *fmt, ...)
{
    if (!c->h.log)
        return;
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->h.log(c->h.ctx, line);
}

int control_open(void *zctx, const char *home, const control_hooks_t *hooks, control_t **out,
                 char **cause)
{
    *out = NULL;
    char *path = home_path(home, HOME_CONTROL);
    char *ep = xasprintf("ipc://%s", path);
    unlink(path);
    mode_t old = umask(077);
    void *s = zmq_socket(zctx, ZMQ_ROUTER);
    int one = 1, linger = 0, hwm = 64;
    zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    int rc = zmq_bind(s, ep);
    int e = errno;
    umask(old);
    free(ep);
    if (rc != 0) {
        zmq_close(s);
        rc = bu_fail(cause, BU_EIO, "cannot listen on %s: %s", path, zmq_strerror(e));
        free(path);
        return rc;
    }
    free(path);
    control_t *c = xcalloc(1, sizeof *c);
    c->sock = s;
    c->h = *hooks;
    for (size_t i = 0; i <= CONTROL_CHILDREN; i++)
        c->jobs[i].fd[0] = c->jobs[i].fd[1] = -1;
    c->reader.to = c->reader.from = -1;
    c->reader.job = -1;
    *out = c;
    return 0;
}

/* Stops the reader (it leaves when its request pipe closes; SIGKILL in
 * case it is stuck) and forgets it. */
static void s_reader_stop(control_t *c)
{
    reader_t *w = &c->reader;
    if (!w->pid)
        return;
    close(w->to);
    close(w->from);
    kill(w->pid, SIGKILL);
    waitpid(w->pid, NULL, 0);
    w->pid = 0;
    w->to = w->from = -1;
    w->job = -1;
}

static void s_job_end(job_t *j)
{
    for (int k = 0; k < 2; k++) {
        if (j->fd[k] >= 0 && !(k == 0 && j->by_reader))
            close(j->fd[k]);
        free(j->mem[k]);
    }
    buf_free(&j->pending);
    buf_free(&j->in);
    memset(j, 0, sizeof *j);
    j->fd[0] = j->fd[1] = -1;
}

void control_close(control_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    control_t *c = *self_p;
    for (size_t i = 0; i <= CONTROL_CHILDREN; i++) {
        job_t *j = &c->jobs[i];
        if (j->used && j->pid > 0) {
            kill(j->pid, SIGKILL);
            waitpid(j->pid, NULL, 0);
        }
        s_job_end(j);
    }
    s_reader_stop(c);
    for (size_t i = 0; i < c->nqueue; i++)
        ctl_clear(&c->queue[i].msg);
    free(c->waiters);
    zmq_close(c->sock);
    free(c);
    *self_p = NULL;
}

/* Sends one frame to a CLI: 0, or -1 with errno EAGAIN (try later) or
 * EHOSTUNREACH (it went away). */
static int s_send(control_t *c, const uint8_t *rid, size_t rlen, const buf_t *b)
{
    if (zmq_send(c->sock, rid, rlen, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    return zmq_send(c->sock, b->data, b->len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

/* Sends b to a job's CLI, or keeps it as pending. False when the CLI is
 * gone (the job must end). */
static bool s_job_send(control_t *c, job_t *j, buf_t *b)
{
    if (s_send(c, j->rid, j->rid_len, b) == 0) {
        buf_reset(b);
        return true;
    }
    if (errno == EAGAIN) {
        buf_free(&j->pending);
        j->pending = *b;
        memset(b, 0, sizeof *b);
        return true;
    }
    return false;
}

static job_t *s_free_job(control_t *c, bool child)
{
    size_t from = child ? 0 : CONTROL_CHILDREN, to = child ? CONTROL_CHILDREN : CONTROL_CHILDREN + 1;
    for (size_t i = from; i < to; i++)
        if (!c->jobs[i].used)
            return &c->jobs[i];
    return NULL;
}

static void s_refuse(control_t *c, const uint8_t *rid, size_t rlen, const char *text)
{
    buf_t b = {0};
    ctl_out(&b, 2, text, strlen(text));
    s_send(c, rid, rlen, &b);
    buf_reset(&b);
    ctl_result(&b, 1);
    s_send(c, rid, rlen, &b);
    buf_free(&b);
}

/* Runs a read in a child process. */
static void s_fork(control_t *c, job_t *j, const uint8_t *rid, size_t rlen, const ctl_msg_t *m)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0) {
        s_refuse(c, rid, rlen, "buurt: buurtd cannot run the command (no pipe); try again\n");
        return;
    }
    if (pipe2(pe, O_CLOEXEC) != 0) {
        close(po[0]);
        close(po[1]);
        s_refuse(c, rid, rlen, "buurt: buurtd cannot run the command (no pipe); try again\n");
        return;
    }
    if (c->h.exec.prepare_child)
        c->h.exec.prepare_child(c->h.repo);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* The child: it only reads the repo (a copy, as it was at the
         * fork) and writes to the pipes; it touches no ZeroMQ socket and
         * leaves with _exit, so nothing of the parent is flushed or
         * closed twice. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        close(po[0]);
        close(pe[0]);
        FILE *o = fdopen(po[1], "w"), *e = fdopen(pe[1], "w");
        int code = o && e ? c->h.exec.run(c->h.repo, m, o, e) : 1;
        if (o)
            fflush(o);
        if (e)
            fflush(e);
        _exit(code & 0xff);
    }
    close(po[1]);
    close(pe[1]);
    if (pid < 0) {
        close(po[0]);
        close(pe[0]);
        s_refuse(c, rid, rlen, "buurt: buurtd cannot run the command (no process); try again\n");
        return;
    }
    fcntl(po[0], F_SETFL, O_NONBLOCK);
    fcntl(pe[0], F_SETFL, O_NONBLOCK);
    j->used = true;
    memcpy(j->rid, rid, rlen);
    j->rid_len = rlen;
    j->pid = pid;
    j->fd[0] = po[0];
    j->fd[1] = pe[0];
}

/* ---- the reader ---- */

typedef struct {
    int fd;
    uint8_t stream;
} s_frame_out_t;

static bool s_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

static bool s_read_all(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        b += r;
        n -= (size_t)r;
    }
    return true;
}

static void s_frame(int fd, uint8_t stream, const void *data, uint32_t len)
{
    uint8_t hdr[5] = {stream, (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
                      (uint8_t)(len >> 24)};
    if (!s_write_all(fd, hdr, 5) || !s_write_all(fd, data, len))
        _exit(1); /* the node is gone */
}

/* fopencookie write: one frame per buffer stdio hands over. */
static ssize_t s_cookie_write(void *cookie, const char *buf, size_t size)
{
    s_frame_out_t *o = cookie;
    for (size_t off = 0; off < size;) {
        size_t n = size - off > CTL_CHUNK ? CTL_CHUNK : size - off;
        s_frame(o->fd, o->stream, buf + off, (uint32_t)n);
        off += n;
    }
    return (ssize_t)size;
}

/* The reader's life: one request after another until its pipe closes.
 * With warm, it warms itself (exec.reader_warm) while no request waits. */
static void s_reader_main(control_t *c, int in, int out, bool warm)
{
    s_frame_out_t so = {out, 1}, se = {out, 2};
    cookie_io_functions_t io = {.write = s_cookie_write};
    for (;;) {
        while (warm && c->h.exec.reader_warm) {
            struct pollfd p = {in, POLLIN, 0};
            if (poll(&p, 1, 0) != 0)
                break; /* a request (or the node went away): answer it first */
            warm = !c->h.exec.reader_warm(c->h.repo);
        }
        uint8_t lb[4];
        if (!s_read_all(in, lb, 4))
            _exit(0);
        uint32_t len = (uint32_t)lb[0] | (uint32_t)lb[1] << 8 | (uint32_t)lb[2] << 16 |
                       (uint32_t)lb[3] << 24;
        if (len > CTL_MAX_BYTES)
            _exit(1);
        uint8_t *req = xmalloc(len ? len : 1);
        if (!s_read_all(in, req, len))
            _exit(0);
        ctl_msg_t m;
        int code = 1;
        FILE *o = fopencookie(&so, "w", io), *e = fopencookie(&se, "w", io);
        if (ctl_decode(req, len, &m) == 0 && o && e) {
            code = c->h.exec.run(c->h.repo, &m, o, e);
            ctl_clear(&m);
        }
        free(req);
        if (o)
            fclose(o);
        if (e)
            fclose(e);
        /* as buurtd between commands: what the command merged stays cached
         * for the next read only up to repo_trim's bound, and the memory a
         * large answer used goes back to the system */
        repo_trim(c->h.repo);
        malloc_trim(0);
        uint8_t cb = (uint8_t)code;
        s_frame(out, 0, &cb, 1);
    }
}

/* Forks a new reader with the repo as it is now (warming itself while
 * idle with warm). False when it cannot. */
static bool s_reader_start(control_t *c, bool warm)
{
    int rq[2], an[2];
    if (pipe2(rq, O_CLOEXEC) != 0)
        return false;
    if (pipe2(an, O_CLOEXEC) != 0) {
        close(rq[0]);
        close(rq[1]);
        return false;
    }
    if (c->h.exec.prepare_child)
        c->h.exec.prepare_child(c->h.repo);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* as a read's child (s_fork): no ZeroMQ, leaves with _exit */
        signal(SIGINT, SIG_IGN); /* the node stops it */
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        close(rq[1]);
        close(an[0]);
        s_reader_main(c, rq[0], an[1], warm);
        _exit(0);
    }
    close(rq[0]);
    close(an[1]);
    if (pid < 0) {
        close(rq[1]);
        close(an[0]);
        return false;
    }
    fcntl(an[0], F_SETFL, O_NONBLOCK);
    c->reader = (reader_t){pid, rq[1], an[0], repo_version(c->h.repo), -1, 0};
    return true;
}

/* Gives a read to the reader when it is idle (forking a fresh one when
 * there is none or the repo changed since). False when it is busy. */
static bool s_to_reader(control_t *c, job_t *j, const uint8_t *rid, size_t rlen, const ctl_msg_t *m)
{
    reader_t *w = &c->reader;
    if (w->pid && w->job >= 0)
        return false;
    if (w->pid && w->version != repo_version(c->h.repo))
        s_reader_stop(c); /* stale: a new one sees the new edits */
    if (!w->pid && !s_reader_start(c, false))
        return false;
    buf_t req = {0};
    ctl_exec(&req, m->argc, m->argv, m->json, m->now_ms, m->width);
    uint8_t lb[4] = {(uint8_t)req.len, (uint8_t)(req.len >> 8), (uint8_t)(req.len >> 16),
                     (uint8_t)(req.len >> 24)};
    bool ok = s_write_all(w->to, lb, 4) && s_write_all(w->to, req.data, req.len);
    buf_free(&req);
    if (!ok) {
        s_reader_stop(c);
        return false;
    }
    j->used = true;
    memcpy(j->rid, rid, rlen);
    j->rid_len = rlen;
    j->by_reader = true;
    j->fd[0] = w->from;
    w->job = (int)(j - c->jobs);
    return true;
}

/* Runs a write in the loop, its output captured. */
static void s_run_here(control_t *c, job_t *j, const uint8_t *rid, size_t rlen, const ctl_msg_t *m)
{
    FILE *o = open_memstream(&j->mem[0], &j->memlen[0]);
    FILE *e = open_memstream(&j->mem[1], &j->memlen[1]);
    j->code = c->h.exec.run(c->h.repo, m, o, e);
    fclose(o);
    fclose(e);
    j->used = true;
    j->done = true;
    memcpy(j->rid, rid, rlen);
    j->rid_len = rlen;
    if (c->h.after_write)
        c->h.after_write(c->h.ctx);
}

static void s_settle(control_t *c)
{
    if (c->h.settle)
        c->h.settle(c->h.ctx);
}

static void s_exec(control_t *c, const uint8_t *rid, size_t rlen, ctl_msg_t *m)
{
    s_settle(c);
    if (c->h.exec.in_child && c->h.exec.in_child(m)) {
        job_t *j = s_free_job(c, true);
        if (j && s_to_reader(c, j, rid, rlen, m)) {
            ctl_clear(m);
        } else if (j) {
            s_fork(c, j, rid, rlen, m);
            ctl_clear(m);
        } else if (c->nqueue < CONTROL_QUEUE) {
            queued_t *q = &c->queue[c->nqueue++];
            memcpy(q->rid, rid, rlen);
            q->rid_len = rlen;
            q->msg = *m; /* moved */
            memset(m, 0, sizeof *m);
        } else {
            s_refuse(c, rid, rlen, "buurt: buurtd is busy with other commands; try again\n");
            ctl_clear(m);
        }
        return;
    }
    job_t *j = s_free_job(c, false);
    if (!j) { /* the previous write's output is still draining */
        s_refuse(c, rid, rlen, "buurt: buurtd is busy with another command; try again\n");
        ctl_clear(m);
        return;
    }
    s_run_here(c, j, rid, rlen, m);
    ctl_clear(m);
}

static void s_request(control_t *c, uint64_t now)
{
    zmq_msg_t rid, body;
    zmq_msg_init(&rid);
    zmq_msg_init(&body);
    ctl_msg_t m;
    if (zmq_msg_recv(&rid, c->sock, ZMQ_DONTWAIT) < 0 || !zmq_msg_more(&rid) ||
        zmq_msg_recv(&body, c->sock, 0) < 0)
        goto done;
    while (zmq_msg_more(&body)) { /* one frame per request: drop extras */
        zmq_msg_t x;
        zmq_msg_init(&x);
        zmq_msg_recv(&x, c->sock, 0);
        int more = zmq_msg_more(&x);
        zmq_msg_close(&x);
        if (!more)
            break;
    }
    const uint8_t *r = zmq_msg_data(&rid);
    size_t rl = zmq_msg_size(&rid);
    if (rl == 0 || rl > 255 || ctl_decode(zmq_msg_data(&body), zmq_msg_size(&body), &m) < 0)
        goto done;
    buf_t b = {0};
    switch (m.type) {
    case CTL_EXEC:
        s_exec(c, r, rl, &m);
        break;
    case CTL_PEERS: {
        pv_t *peers = NULL, *node = NULL;
        c->h.peers(c->h.ctx, &peers, &node);
        ctl_peers_reply(&b, peers, node);
        s_send(c, r, rl, &b);
        pv_free(&peers);
        pv_free(&node);
        break;
    }
    case CTL_SYNC: {
        s_settle(c);
        size_t started = c->h.sync_start(c->h.ctx, now);
        if (!m.wait) {
            ctl_synced(&b, (int64_t)started, true, 0);
            s_send(c, r, rl, &b);
        } else {
            c->waiters = xrealloc(c->waiters, (c->nwaiters + 1) * sizeof *c->waiters);
            waiter_t *w = &c->waiters[c->nwaiters++];
            memcpy(w->rid, r, rl);
            w->rid_len = rl;
            w->t0 = now;
            w->deadline = now + (uint64_t)(m.timeout_ms > 0 ? m.timeout_ms : 60000);
        }
        break;
    }
    default:
        break; /* replies are not requests */
    }
    buf_free(&b);
    ctl_clear(&m);
done:
    zmq_msg_close(&rid);
    zmq_msg_close(&body);
}

size_t control_poll_items(control_t *c, zmq_pollitem_t *items, size_t max)
{
    size_t k = 0;
    c->nitems = 0;
    if (k < max)
        items[k++] = (zmq_pollitem_t){c->sock, 0, ZMQ_POLLIN, 0};
    for (size_t i = 0; i < CONTROL_CHILDREN; i++) {
        job_t *j = &c->jobs[i];
        if (!j->used || j->pending.len)
            continue; /* a frame waits for the socket: do not read more */
        for (int f = 0; f < 2 && k < max; f++)
            if (j->fd[f] >= 0) {
                c->item_job[c->nitems] = (int)i;
                c->item_fd[c->nitems++] = f;
                items[k++] = (zmq_pollitem_t){NULL, j->fd[f], ZMQ_POLLIN, 0};
            }
    }
    if (c->reader.pid && c->reader.job < 0 && k < max) {
        /* an idle reader says nothing: its pipe becoming readable means
         * it died (killed, out of memory), so it is reaped at once */
        c->item_job[c->nitems] = -1;
        c->item_fd[c->nitems++] = 0;
        items[k++] = (zmq_pollitem_t){NULL, c->reader.from, ZMQ_POLLIN, 0};
    }
    return k;
}

/* Passes on the reader's answer frames read so far (until the socket is
 * full or the end frame). */
static void s_reader_frames(control_t *c, job_t *j)
{
    size_t off = 0;
    while (j->in.len - off >= 5 && !j->pending.len && !j->done) {
        const uint8_t *h = j->in.data + off;
        uint32_t len = (uint32_t)h[1] | (uint32_t)h[2] << 8 | (uint32_t)h[3] << 16 |
                       (uint32_t)h[4] << 24;
        if (j->in.len - off < 5 + (size_t)len)
            break;
        if (h[0] == 0) { /* the end: the exit code */
            j->code = len ? h[5] : 1;
            j->done = true;
            j->fd[0] = -1; /* the pipe stays the reader's */
            c->reader.job = -1;
            c->reader.idle_since = 0;
            off += 5 + len;
            break;
        }
        buf_t b = {0};
        ctl_out(&b, h[0] == 2 ? 2 : 1, h + 5, len);
        if (j->rid_len && !s_job_send(c, j, &b))
            j->rid_len = 0; /* the CLI went away: the rest is read and dropped */
        buf_free(&b);
        off += 5 + len;
    }
    if (off) {
        memmove(j->in.data, j->in.data + off, j->in.len - off);
        j->in.len -= off;
    }
}

/* Reads the reader's answer frames and passes them on. */
static void s_read_reader(control_t *c, job_t *j)
{
    uint8_t chunk[CTL_CHUNK + 5];
    ssize_t r = read(j->fd[0], chunk, sizeof chunk);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) { /* the reader died */
        s_log(c, "the query process stopped while answering; a new one is made");
        c->reader.job = -1;
        s_reader_stop(c);
        j->fd[0] = -1;
        if (j->rid_len) {
            static const char text[] = "buurt: the command stopped in buurtd; run it again\n";
            buf_t b = {0};
            ctl_out(&b, 2, text, sizeof text - 1);
            s_send(c, j->rid, j->rid_len, &b);
            buf_free(&b);
        }
        j->code = 1;
        j->done = true;
        return;
    }
    buf_append(&j->in, chunk, (size_t)r);
    s_reader_frames(c, j);
}

/* Reads what a child wrote on pipe f and passes it on. */
static void s_read_pipe(control_t *c, job_t *j, int f)
{
    if (j->by_reader) {
        s_read_reader(c, j);
        return;
    }
    uint8_t chunk[CTL_CHUNK];
    ssize_t r = read(j->fd[f], chunk, sizeof chunk);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) {
        close(j->fd[f]);
        j->fd[f] = -1;
        return;
    }
    buf_t b = {0};
    ctl_out(&b, f + 1, chunk, (size_t)r);
    if (!s_job_send(c, j, &b)) { /* the CLI went away */
        s_log(c, "a command's reader went away: its child %ld is stopped", (long)j->pid);
        kill(j->pid, SIGKILL);
        close(j->fd[0]);
        close(j->fd[1]);
        j->fd[0] = j->fd[1] = -1;
        j->rid_len = 0;
    }
    buf_free(&b);
}

/* Moves a job on: a pending frame, a write's next chunk, reaping a child
 * whose pipes closed, RESULT. Ends the job when all is sent. */
static void s_advance(control_t *c, job_t *j)
{
    if (j->pending.len) {
        int rc = s_send(c, j->rid, j->rid_len, &j->pending);
        if (rc < 0 && errno == EAGAIN)
            return;
        buf_reset(&j->pending);
        if (rc < 0)
            j->rid_len = 0; /* gone: finish quietly */
    }
    if (j->result_sent) {
        s_job_end(j);
        return;
    }
    for (int f = 0; f < 2 && j->rid_len && !j->pid; f++) {
        while (j->memoff[f] < j->memlen[f]) {
            size_t n = j->memlen[f] - j->memoff[f];
            if (n > CTL_CHUNK)
                n = CTL_CHUNK;
            buf_t b = {0};
            ctl_out(&b, f + 1, j->mem[f] + j->memoff[f], n);
            j->memoff[f] += n;
            bool ok = s_job_send(c, j, &b);
            buf_free(&b);
            if (!ok)
                j->rid_len = 0;
            if (!ok || j->pending.len)
                return;
        }
    }
    if (j->by_reader && !j->done && j->in.len >= 5 && !j->pending.len)
        s_reader_frames(c, j); /* frames already read that waited for the socket */
    if (j->pid && j->fd[0] < 0 && j->fd[1] < 0) {
        int st = 0;
        waitpid(j->pid, &st, 0); /* its pipes are closed: it is leaving */
        j->code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
        if (!WIFEXITED(st) && j->rid_len) {
            char text[120];
            snprintf(text, sizeof text, "buurt: the command stopped in buurtd (signal %d)\n",
                     WIFSIGNALED(st) ? WTERMSIG(st) : 0);
            buf_t b = {0};
            ctl_out(&b, 2, text, strlen(text));
            s_send(c, j->rid, j->rid_len, &b);
            buf_free(&b);
        }
        j->pid = 0;
        j->done = true;
    }
    if (!j->done)
        return;
    if (j->rid_len) {
        buf_t b = {0};
        ctl_result(&b, j->code);
        if (!s_job_send(c, j, &b))
            j->rid_len = 0;
        buf_free(&b);
        j->result_sent = true;
        if (j->pending.len)
            return; /* RESULT waits in pending; then the job ends */
    }
    s_job_end(j);
}

static void s_waiters(control_t *c, uint64_t now)
{
    s_settle(c);
    for (size_t w = 0; w < c->nwaiters;) {
        waiter_t *x = &c->waiters[w];
        size_t peers = 0, pending = 0;
        bool done = c->h.sync_done(c->h.ctx, x->t0, now, &peers, &pending);
        if (done || now >= x->deadline) {
            buf_t b = {0};
            ctl_synced(&b, (int64_t)peers, done, (int64_t)pending);
            s_send(c, x->rid, x->rid_len, &b);
            buf_free(&b);
            c->waiters[w] = c->waiters[--c->nwaiters];
        } else {
            w++;
        }
    }
}

void control_handle(control_t *c, const zmq_pollitem_t *items, size_t n, uint64_t now)
{
    if (n > 0 && (items[0].revents & ZMQ_POLLIN))
        for (int i = 0; i < 16; i++) {
            int ev = 0;
            size_t el = sizeof ev;
            if (zmq_getsockopt(c->sock, ZMQ_EVENTS, &ev, &el) != 0 || !(ev & ZMQ_POLLIN))
                break;
            s_request(c, now);
        }
    for (size_t k = 1; k < n && k - 1 < c->nitems; k++) {
        if (c->item_job[k - 1] < 0) {
            if ((items[k].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) && c->reader.pid && c->reader.job < 0) {
                s_log(c, "the query process %ld stopped while idle; a new one is made when needed",
                      (long)c->reader.pid);
                s_reader_stop(c);
            }
            continue;
        }
        job_t *j = &c->jobs[c->item_job[k - 1]];
        if ((items[k].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) && j->used && j->fd[c->item_fd[k - 1]] >= 0)
            s_read_pipe(c, j, c->item_fd[k - 1]);
    }
    for (size_t i = 0; i <= CONTROL_CHILDREN; i++) {
        if (c->jobs[i].used)
            s_advance(c, &c->jobs[i]);
    }
    /* reads waiting for a child slot */
    while (c->nqueue > 0) {
        job_t *j = s_free_job(c, true);
        if (!j)
            break;
        queued_t q = c->queue[0];
        memmove(c->queue, c->queue + 1, (--c->nqueue) * sizeof *c->queue);
        s_fork(c, j, q.rid, q.rid_len, &q.msg);
        ctl_clear(&q.msg);
    }
    if (c->nwaiters)
        s_waiters(c, now);
    /* the first reader, forked as the node starts (see the top) */
    if (!c->started) {
        c->started = true;
        if (!c->reader.pid && c->h.exec.in_child && c->h.exec.reader_warm)
            (void)s_reader_start(c, true);
    }
    /* a reader unused for a while is retired: what it cached goes back */
    if (c->reader.pid && c->reader.job < 0) {
        if (!c->reader.idle_since)
            c->reader.idle_since = now;
        else if (now - c->reader.idle_since >= CONTROL_READER_IDLE_MS)
            s_reader_stop(c);
    }
}

long control_timeout(const control_t *c)
{
    for (size_t i = 0; i <= CONTROL_CHILDREN; i++)
        if (c->jobs[i].used && (c->jobs[i].pending.len || !c->jobs[i].pid))
            return 5;
    return c->nwaiters ? 50 : -1;
}
