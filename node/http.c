/*
 * http.c -- the web board's server (see http.h): libmicrohttpd threads in
 * front, a cache of rendered pages between them and buurtd's loop.
 *
 * The cache is an array of HTTP_CACHE_PAGES slots under one mutex. A slot
 * holds a page's request (what to render), and once rendered its bytes,
 * status, the repo version and time it was rendered at. A connection
 * thread that finds no fresh page marks the slot pending, writes the
 * eventfd and waits on the condition variable; the loop takes the pending
 * slots in http_work, renders each with the mutex released (the repo is
 * the loop's alone), fills it in and broadcasts. Pending slots are never
 * evicted; a ready one is, least recently used first.
 */
#include "node/http.h"
#include "node/board.h"
#include "node/file.h"
#include "node/home.h"
#include "proto/err.h"
#include "proto/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define S_KEY_MAX 400
#define S_CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; " \
              "form-action 'none'; frame-ancestors 'none'"

typedef struct {
    bool used;
    char key[S_KEY_MAX];   /* what identifies the page: route, lang, args */
    board_page_t page;     /* the request, to render it */
    lang_t lang;
    char area[BOARD_AREA_MAX + 1];
    bool has_area;
    size_t from;
    uint8_t id[32];
    char url[160];         /* BOARD_SHEET: the address in its QR code */
    bool pending;          /* a thread waits for the loop to render it */
    bool inflight;         /* the renderer child is rendering it */
    bool ready;            /* body holds a rendered page */
    char *body;
    size_t len;
    int status;
    uint64_t version;      /* repo_version it was rendered at */
    uint64_t made, used_at; /* monotonic ms: rendered, last served */
} slot_t;

struct http {
    struct MHD_Daemon *d;
    char *home;
    char url[200];
    int efd;               /* eventfd: requests wait for the loop */
    int listen_fd;         /* the listening socket (libmicrohttpd's) */
    bool stopping;         /* http_stop: waiting requests give up */
    pid_t child;           /* the renderer child, 0: none */
    int child_fd;          /* its pages, -1 when none */
    buf_t got;             /* bytes it wrote, not filed yet */
    uint64_t child_version; /* repo_version when it was forked */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic uint64_t version; /* published by the loop */
    slot_t slots[HTTP_CACHE_PAGES];
    int fds[HTTP_CONN_MAX + 8]; /* connection sockets, for a forked child */
    size_t nfds;
};

static http_t *s_http; /* the one server of this process, for pthread_atfork */
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static uint64_t s_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- fork safety: a read child must not keep the board's sockets open */

static void s_fork_prepare(void)
{
    if (s_http)
        pthread_mutex_lock(&s_http->mu);
}

static void s_fork_parent(void)
{
    if (s_http)
        pthread_mutex_unlock(&s_http->mu);
}

static void s_fork_child(void)
{
    http_t *h = s_http;
    if (!h)
        return;
    for (size_t i = 0; i < h->nfds; i++)
        close(h->fds[i]);
    if (h->listen_fd >= 0)
        close(h->listen_fd);
    pthread_mutex_unlock(&h->mu);
    s_http = NULL; /* nothing of it is ours in the child */
}

static void s_atfork(void)
{
    pthread_atfork(s_fork_prepare, s_fork_parent, s_fork_child);
}

static void s_notify(void *cls, struct MHD_Connection *c, void **sock_ctx,
                     enum MHD_ConnectionNotificationCode code)
{
    (void)sock_ctx;
    http_t *h = cls;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return;
    int fd = ci->connect_fd;
    pthread_mutex_lock(&h->mu);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        if (h->nfds < sizeof h->fds / sizeof h->fds[0])
            h->fds[h->nfds++] = fd;
    } else {
        for (size_t i = 0; i < h->nfds; i++)
            if (h->fds[i] == fd) {
                h->fds[i] = h->fds[--h->nfds];
                break;
            }
    }
    pthread_mutex_unlock(&h->mu);
}

/* ---- answers */

static enum MHD_Result s_send(struct MHD_Connection *c, int status, const char *body, size_t len,
                              lang_t lang)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(r, "Content-Security-Policy", S_CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "Content-Language", board_lang_code(lang));
    MHD_add_response_header(r, "Vary", "Accept-Language");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "GET, HEAD");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(r, "Retry-After", "2");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result s_error(struct MHD_Connection *c, int status, lang_t lang)
{
    buf_t b = {0};
    board_error_page(lang, status, &b);
    enum MHD_Result ret = s_send(c, status, (const char *)b.data, b.len, lang);
    buf_free(&b);
    return ret;
}

/* ---- requests */

/* Parses the target into s (without the key); 0, or the HTTP status to
 * answer with. */
static int s_route(struct MHD_Connection *c, const char *url, slot_t *s)
{
    if (strlen(url) > HTTP_URL_MAX)
        return MHD_HTTP_URI_TOO_LONG;
    if (strcmp(url, "/") == 0)
        s->page = BOARD_HOME;
    else if (strcmp(url, "/needs") == 0)
        s->page = BOARD_NEEDS;
    else if (strcmp(url, "/offers") == 0)
        s->page = BOARD_OFFERS;
    else if (strcmp(url, "/bulletins") == 0)
        s->page = BOARD_BULLETINS;
    else if (strcmp(url, "/print") == 0)
        s->page = BOARD_SHEET;
    else if (strncmp(url, "/place/", 7) == 0 && strlen(url + 7) == 64) {
        char lower[65];
        for (int i = 0; i < 64; i++)
            lower[i] = (char)tolower((unsigned char)url[7 + i]);
        lower[64] = 0;
        if (hex_decode(lower, s->id, 32) != 0)
            return MHD_HTTP_NOT_FOUND;
        s->page = BOARD_PLACE;
    } else
        return MHD_HTTP_NOT_FOUND;
    const char *area = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "area");
    if (area && *area && s->page != BOARD_PLACE) {
        size_t n = strlen(area);
        if (n > BOARD_AREA_MAX)
            return MHD_HTTP_BAD_REQUEST;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)area[i] < 0x20 || area[i] == 0x7f)
                return MHD_HTTP_BAD_REQUEST;
        memcpy(s->area, area, n + 1);
        s->has_area = true;
    }
    const char *from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
    if (from && *from) {
        size_t n = strlen(from);
        if (n > 7 || strspn(from, "0123456789") != n)
            return MHD_HTTP_BAD_REQUEST;
        s->from = (size_t)strtoul(from, NULL, 10);
    }
    if (s->page == BOARD_SHEET) {
        /* the QR code points where this browser found the board */
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
        bool ok = host && *host && strlen(host) < 100;
        for (const char *p = host; ok && *p; p++)
            ok = isalnum((unsigned char)*p) || strchr(".-:[]", *p);
        if (ok)
            snprintf(s->url, sizeof s->url, "http://%s/", host);
    }
    return 0;
}

static slot_t *s_find(http_t *h, const char *key)
{
    for (size_t i = 0; i < HTTP_CACHE_PAGES; i++)
        if (h->slots[i].used && strcmp(h->slots[i].key, key) == 0)
            return &h->slots[i];
    return NULL;
}

/* A slot for a new key: a free one, else the ready one served longest
 * ago; NULL when every slot waits for the loop. */
static slot_t *s_take(http_t *h)
{
    slot_t *best = NULL;
    for (size_t i = 0; i < HTTP_CACHE_PAGES; i++) {
        slot_t *s = &h->slots[i];
        if (!s->used)
            return s;
        if (!s->pending && (!best || s->used_at < best->used_at))
            best = s;
    }
    if (best) {
        free(best->body);
        memset(best, 0, sizeof *best);
    }
    return best;
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    static int first_call, got_body; /* markers in *con_cls */
    http_t *h = cls;
    lang_t lang = board_lang_accept(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE), LANG_NL);
    const char *ls = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    if (ls && board_lang_parse(ls) >= 0)
        lang = (lang_t)board_lang_parse(ls);
    /* other methods are answered at once, their body never read (the
     * connection is closed after the answer) */
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, lang);
    if (*con_cls == NULL) {
        /* the headers are in; answering on the next call, once the
         * request is complete, lets the connection be kept alive */
        *con_cls = &first_call;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* a GET carries no body: refused once it is read */
        *con_cls = &got_body;
        return MHD_YES;
    }
    if (*con_cls == &got_body)
        return s_error(c, MHD_HTTP_BAD_REQUEST, lang);
    slot_t req = {0};
    int st = s_route(c, url, &req);
    if (st)
        return s_error(c, st, lang);
    req.lang = lang;
    char hex[65] = "";
    if (req.page == BOARD_PLACE)
        hex_encode(req.id, 32, hex);
    snprintf(req.key, sizeof req.key, "%d|%d|%zu|%s|%s|%s", (int)req.page, (int)lang, req.from,
             hex, req.has_area ? req.area : "", req.url);
    uint64_t deadline = s_mono() + HTTP_WAIT_MS;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        uint64_t now = s_mono();
        slot_t *s = s_find(h, req.key);
        if (s && s->ready && s->version == atomic_load(&h->version) && now - s->made < HTTP_MAX_AGE_MS) {
            s->used_at = now;
            enum MHD_Result ret = s_send(c, s->status, s->body, s->len, lang);
            pthread_mutex_unlock(&h->mu);
            return ret;
        }
        if (now >= deadline || h->stopping)
            break;
        if (!s && (s = s_take(h)) != NULL) {
            *s = req;
            s->used = true;
            s->used_at = now;
        }
        if (s && !s->pending) {
            s->pending = true;
            uint64_t one = 1;
            ssize_t w = write(h->efd, &one, sizeof one);
            (void)w; /* a full counter is still readable */
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t left = deadline - now > 200 ? 200 : deadline - now; /* re-check the slot */
        ts.tv_sec += (time_t)(left / 1000);
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->cv, &h->mu, &ts);
    }
    pthread_mutex_unlock(&h->mu);
    return s_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, lang);
}

/* ---- the loop's side */

void http_publish(http_t *h, uint64_t version)
{
    if (h)
        atomic_store(&h->version, version);
}

int http_fd(const http_t *h)
{
    return h->efd;
}

const char *http_url(const http_t *h)
{
    return h->url;
}

/* The renderer child: renders every request in reqs against the repo as
 * it was at the fork and writes each page to fd as [u32 key length][key]
 * [i32 status][u32 body length][body]; touches no socket, leaves with
 * _exit. */
static void s_child(http_t *h, repo_t *repo, const slot_t *reqs, size_t n, uint64_t now_ms, int fd)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_IGN); /* the node stops it */
    signal(SIGPIPE, SIG_DFL);
    for (size_t i = 0; i < n; i++) {
        const slot_t *r = &reqs[i];
        board_req_t q = {.page = r->page,
                         .lang = r->lang,
                         .area = r->has_area ? r->area : NULL,
                         .from = r->from,
                         .now_ms = now_ms,
                         .url = r->url[0] ? r->url : h->url,
                         .board_links = true};
        memcpy(q.id, r->id, 32);
        buf_t b = {0};
        uint32_t kl = (uint32_t)strlen(r->key);
        buf_append(&b, &kl, 4);
        buf_append(&b, r->key, kl);
        size_t head = b.len;
        int32_t st = 0;
        uint32_t len = 0;
        buf_append(&b, &st, 4);
        buf_append(&b, &len, 4);
        st = board_render(repo, &q, &b);
        len = (uint32_t)(b.len - head - 8);
        memcpy(b.data + head, &st, 4);
        memcpy(b.data + head + 4, &len, 4);
        for (size_t off = 0; off < b.len;) {
            ssize_t w = write(fd, b.data + off, b.len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        buf_free(&b);
    }
    _exit(0);
}

/* Files the pages the child wrote (complete frames of h->got) in their
 * slots; with done, slots still waiting for this child go back to wait
 * for the next one. */
static void s_file(http_t *h, bool done)
{
    size_t off = 0;
    pthread_mutex_lock(&h->mu);
    while (h->got.len - off >= 4) {
        uint32_t kl, len;
        int32_t st;
        memcpy(&kl, h->got.data + off, 4);
        if (kl >= S_KEY_MAX || h->got.len - off < 4 + (size_t)kl + 8)
            break;
        memcpy(&st, h->got.data + off + 4 + kl, 4);
        memcpy(&len, h->got.data + off + 8 + kl, 4);
        if (h->got.len - off < 12 + (size_t)kl + len)
            break;
        char key[S_KEY_MAX];
        memcpy(key, h->got.data + off + 4, kl);
        key[kl] = 0;
        slot_t *s = s_find(h, key);
        if (s && s->inflight) {
            free(s->body);
            s->body = xmalloc(len + 1);
            memcpy(s->body, h->got.data + off + 12 + kl, len);
            s->len = len;
            s->status = st;
            s->version = h->child_version;
            s->made = s_mono();
            s->ready = true;
            s->pending = s->inflight = false;
        }
        off += 12 + (size_t)kl + len;
    }
    memmove(h->got.data, h->got.data + off, h->got.len - off);
    h->got.len -= off;
    if (done)
        for (size_t i = 0; i < HTTP_CACHE_PAGES; i++)
            h->slots[i].inflight = false; /* its child is gone: the next one renders it */
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

int http_child_fd(const http_t *h)
{
    return h->child ? h->child_fd : -1;
}

void http_work(http_t *h, repo_t *repo, uint64_t now_ms, void (*prepare)(repo_t *repo))
{
    uint64_t cnt;
    ssize_t rd = read(h->efd, &cnt, sizeof cnt);
    (void)rd;
    atomic_store(&h->version, repo_version(repo));
    if (h->child) { /* what the renderer wrote so far */
        uint8_t tmp[65536];
        ssize_t r;
        while ((r = read(h->child_fd, tmp, sizeof tmp)) > 0)
            buf_append(&h->got, tmp, (size_t)r);
        bool eof = r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR);
        s_file(h, eof);
        if (!eof)
            return;
        int st = 0;
        waitpid(h->child, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fprintf(stderr, "buurtd: the web board's renderer ended badly (status %d)\n", st);
        close(h->child_fd);
        h->child = 0;
        h->child_fd = -1;
        h->got.len = 0;
    }
    /* pages waiting: one child renders them all, from the repo as it is */
    slot_t *reqs = NULL;
    size_t n = 0;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < HTTP_CACHE_PAGES; i++)
        if (h->slots[i].pending && !h->slots[i].inflight) {
            reqs = xrealloc(reqs, (n + 1) * sizeof *reqs);
            reqs[n] = h->slots[i];
            reqs[n].body = NULL;
            n++;
            h->slots[i].inflight = true;
        }
    pthread_mutex_unlock(&h->mu);
    if (!n)
        return;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        free(reqs);
        s_file(h, true); /* they wait for the next turn */
        return;
    }
    if (prepare)
        prepare(repo);
    h->child_version = repo_version(repo);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        s_child(h, repo, reqs, n, now_ms, p[1]);
    }
    close(p[1]);
    free(reqs);
    if (pid < 0) {
        close(p[0]);
        s_file(h, true);
        return;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    h->child = pid;
    h->child_fd = p[0];
}

/* ---- start and stop */

static int s_parse_addr(const char *addr, char *host, size_t hn, char *port, size_t pn)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || !colon[1] || strlen(colon + 1) >= pn ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) > 65535)
        return -1;
    const char *h = addr;
    size_t n = (size_t)(colon - addr);
    if (h[0] == '[') {
        if (n < 3 || h[n - 1] != ']')
            return -1;
        h++;
        n -= 2;
    }
    if (n == 0 || n >= hn)
        return -1;
    memcpy(host, h, n);
    host[n] = 0;
    snprintf(port, pn, "%s", colon + 1);
    return 0;
}

int http_start(const char *addr, const char *home, http_t **out, char **cause)
{
    *out = NULL;
    char host[128], port[8];
    if (!addr || s_parse_addr(addr, host, sizeof host, port, sizeof port) < 0)
        return bu_fail(cause, BU_EINVAL,
                       "--http takes ADDRESS:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080, not '%s'",
                       addr ? addr : "");
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int gr = getaddrinfo(host, port, &hints, &ai);
    if (gr != 0 || !ai)
        return bu_fail(cause, BU_EINVAL, "--http %s: cannot use address '%s': %s", addr, host,
                       gai_strerror(gr));
    http_t *h = xcalloc(1, sizeof *h);
    h->home = xstrdup(home);
    h->listen_fd = -1;
    h->child_fd = -1;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_once(&s_once, s_atfork);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->d = MHD_start_daemon(flags, (uint16_t)atoi(port), NULL, NULL, s_access, h,
                            MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONN_MAX,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_CONN_PER_IP,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_REQ_MEM_MAX,
                            MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024),
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                            MHD_OPTION_NOTIFY_CONNECTION, s_notify, h,
                            MHD_OPTION_END);
    int e = errno;
    freeaddrinfo(ai);
    if (!h->d || h->efd < 0) {
        int rc = bu_fail(cause, BU_EIO, "--http %s: cannot listen there (%s); is the port in use?",
                         addr, strerror(e));
        http_stop(&h);
        return rc;
    }
    const union MHD_DaemonInfo *fi = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_LISTEN_FD);
    h->listen_fd = fi ? fi->listen_fd : -1;
    const union MHD_DaemonInfo *pi = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = pi ? pi->port : (unsigned)atoi(port);
    snprintf(h->url, sizeof h->url, strchr(host, ':') ? "http://[%s]:%u/" : "http://%s:%u/", host,
             bound);
    char *f = home_path(home, HOME_HTTP), line[260];
    int len = snprintf(line, sizeof line, "%s\n", h->url);
    int rc = file_write_atomic(f, line, (size_t)len, 0600, cause);
    free(f);
    if (rc < 0) {
        http_stop(&h);
        return rc;
    }
    pthread_mutex_lock(&h->mu);
    s_http = h;
    pthread_mutex_unlock(&h->mu);
    *out = h;
    return 0;
}

void http_stop(http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    http_t *h = *self_p;
    if (h->d) {
        /* waiting connections give up: their pages will not come */
        pthread_mutex_lock(&h->mu);
        h->stopping = true;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        MHD_stop_daemon(h->d);
        char *f = home_path(h->home, HOME_HTTP);
        unlink(f);
        free(f);
    }
    if (s_http == h)
        s_http = NULL;
    if (h->child) {
        kill(h->child, SIGKILL);
        waitpid(h->child, NULL, 0);
        close(h->child_fd);
    }
    buf_free(&h->got);
    for (size_t i = 0; i < HTTP_CACHE_PAGES; i++)
        free(h->slots[i].body);
    if (h->efd >= 0)
        close(h->efd);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h->home);
    free(h);
    *self_p = NULL;
}
