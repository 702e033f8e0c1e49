/*
 * http.h -- buurtd's read-only web board (`buurtd --http ADDR:PORT`),
 * served with libmicrohttpd to phones on the LAN; the pages themselves are
 * node/board.c's.
 *
 * Threads and processes. libmicrohttpd runs the connections on threads
 * of its own (one per connection, at most HTTP_CONN_MAX, HTTP_CONN_PER_IP
 * from one address), and they never touch the repo, which is buurtd's
 * loop's alone. They answer from a cache of rendered pages; a page that
 * is not cached, or was rendered at an older repo_version, is asked of
 * the loop: the thread marks it pending, wakes the loop through
 * http_fd(), and waits (at most HTTP_WAIT_MS, then 503). The loop does not
 * render either: http_work forks a renderer child, which holds the repo
 * as it was at the fork, renders every pending page and writes them to a
 * pipe the loop reads as they come (http_child_fd), like the readers of
 * node/control.c. So a page that merges 45,000 needs (about 0.5 s with
 * 100,000 records) holds up neither the mesh nor the loop, and the
 * states it merges grow the child, not buurtd. One renderer at a time;
 * pages asked for meanwhile wait for the next one. Requests for the same
 * page share one render.
 *
 * Freshness. The loop publishes the repo's version every turn and after
 * every write (http_publish), and a cached page counts only at the
 * version it was rendered at, so a page served after an edit was stored
 * is never one rendered before it: a status set through the CLI or
 * received from a peer shows on the next load (after one render). A
 * cached page is also rendered again after HTTP_MAX_AGE_MS, so "5 min
 * ago" stays true.
 *
 * Slow clients. A client that sends or reads slowly holds only its own
 * thread: the loop never waits for a connection, and a connection waits
 * for the loop only while its page renders. Idle connections are closed
 * after HTTP_TIMEOUT_S; a request line and headers above
 * HTTP_REQ_MEM_MAX bytes are refused (414/431) by libmicrohttpd.
 *
 * Rules: GET and HEAD only (405 otherwise, with Allow); unknown paths and
 * ids give a 404 page; a malformed query (area over 80 bytes or with
 * control characters, a non-numeric from) gives 400. Every answer carries
 * a Content-Security-Policy that forbids scripts, objects, frames and
 * every resource but inline styles and data: images, X-Content-Type-
 * Options: nosniff, no-referrer, and no cookie.
 *
 * Fork safety: buurtd forks children (the renderer, node/control.c's
 * readers) while these threads run. A child closes the board's sockets at
 * once (pthread_atfork), so a connection the parent closes is really
 * closed, and touches nothing of libmicrohttpd's.
 */
#ifndef BUURT_HTTP_H
#define BUURT_HTTP_H

#include "node/repo.h"

#include <stdbool.h>
#include <stdint.h>

#define HTTP_CONN_MAX 128       /* connections at once */
#define HTTP_CONN_PER_IP 48     /* ... from one address */
#define HTTP_TIMEOUT_S 15       /* an idle connection is closed */
#define HTTP_REQ_MEM_MAX 16384  /* request line and headers, bytes */
#define HTTP_URL_MAX 1024       /* longer request targets: 414 */
#define HTTP_WAIT_MS 10000      /* a request waits this long for its page */
#define HTTP_MAX_AGE_MS 60000   /* a cached page is rendered again after this */
#define HTTP_CACHE_PAGES 96     /* rendered pages kept */

typedef struct http http_t;

/*
 * Starts the board on addr ("HOST:PORT", "[V6]:PORT"; port 0 picks a free
 * one) and writes its address ("http://HOST:PORT/", the actual port) to
 * <home>/buurtd.http. BU_EINVAL for a malformed address, BU_EIO when it
 * cannot listen, each with a one-line *cause.
 */
int http_start(const char *addr, const char *home, http_t **out, char **cause);
/* The board's address, as written to buurtd.http. */
const char *http_url(const http_t *self);
/* Readable when requests wait for the loop (an eventfd: poll it). */
int http_fd(const http_t *self);
/* Tells the server the repo's version now (repo_version). */
void http_publish(http_t *self, uint64_t version);
/* The renderer child's pipe (poll it), or -1 when none runs. */
int http_child_fd(const http_t *self);
/* On the loop, when http_fd or http_child_fd is readable: files the pages
 * the renderer wrote, and forks a renderer for the pages that wait (after
 * prepare(repo), which brings caches the child inherits up to date; may be
 * NULL). now_ms: the wall clock, the pages' "as of". */
void http_work(http_t *self, repo_t *repo, uint64_t now_ms, void (*prepare)(repo_t *repo));
/* Stops the server (waits for its threads, kills the renderer), removes
 * buurtd.http. Accepts NULL. */
void http_stop(http_t **self_p);

#endif
