/*
 * pool.h -- a few worker threads that share the iterations of one loop
 * with the calling thread: pool_run(p, n, fn, ctx) calls fn(ctx, i) once
 * for every i below n, spread over the workers and the caller, and returns
 * when all have returned. Nothing else runs on the workers, so fn may
 * touch anything the caller does not touch meanwhile (it waits).
 *
 * buurtd verifies received edits with it (node.c's s_ingest): signature
 * checks are nearly all of a catch-up's work, and each edit's check is
 * independent of the others. It starts a message's checks and stores the
 * message before it while they run (pool_start, pool_wait).
 */
#ifndef BUURT_POOL_H
#define BUURT_POOL_H

#include <stddef.h>

typedef struct pool pool_t;

/* The workers a pool should have by default: one per core the process may
 * run on, less the caller's (0 on one core). */
int pool_default_workers(void);

/* A pool of `workers` threads (0: fn always runs on the caller). NULL when
 * no thread could be started; pool_run then also runs on the caller. */
pool_t *pool_new(int workers);
void pool_free(pool_t **self_p);

/* Threads that work in pool_run: the workers plus the caller. */
int pool_threads(const pool_t *self);

void pool_run(pool_t *self, size_t n, void (*fn)(void *ctx, size_t i), void *ctx);

/* pool_run in two halves, so the caller can do other work while the
 * workers start on the job: pool_start returns at once (having waited for
 * the job before, if any), and pool_wait has the caller take what is left
 * and returns when every call of fn has returned. Until then fn may touch
 * only what the caller does not touch. Without workers (none, a job of
 * fewer than 2, a forked child) pool_start runs the whole job itself. */
void pool_start(pool_t *self, size_t n, void (*fn)(void *ctx, size_t i), void *ctx);
void pool_wait(pool_t *self);

#endif
