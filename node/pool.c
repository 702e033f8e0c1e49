/*
 * pool.c -- worker threads for pool_run (see pool.h).
 *
 * One job at a time: pool_start publishes (fn, ctx, n), bumps the
 * generation and wakes the workers, who take the next index from an atomic
 * counter until none is left. pool_wait has the caller take indices too,
 * then waits until every worker has left the job, so nothing of it runs
 * after pool_wait returns. pool_run is the two in one.
 */
#include "node/pool.h"
#include "proto/util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define POOL_MAX_WORKERS 64

struct pool {
    pid_t owner;                /* the process whose threads these are */
    pthread_t *threads;
    int nthreads;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen;          /* bumped for every job */
    bool quit;
    int busy;                   /* workers still in the current job */
    bool pending;               /* a job started that pool_wait has not ended */
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t n;
    atomic_size_t next;
};

int pool_default_workers(void)
{
    cpu_set_t set;
    long cores = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        cores = CPU_COUNT(&set);
    if (cores <= 0)
        cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores <= 1)
        return 0;
    return (int)(cores - 1 > POOL_MAX_WORKERS ? POOL_MAX_WORKERS : cores - 1);
}

/* Takes indices of the current job until none is left. */
static void s_work(pool_t *p)
{
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n)
            return;
        p->fn(p->ctx, i);
    }
}

static void *s_main(void *arg)
{
    pool_t *p = arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        s_work(p);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

pool_t *pool_new(int workers)
{
    pool_t *p = xcalloc(1, sizeof *p);
    p->owner = getpid();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    if (workers > POOL_MAX_WORKERS)
        workers = POOL_MAX_WORKERS;
    p->threads = xcalloc(workers > 0 ? (size_t)workers : 1, sizeof *p->threads);
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&p->threads[i], NULL, s_main, p) != 0)
            break; /* fewer workers; the caller still works */
        p->nthreads++;
    }
    return p;
}

void pool_free(pool_t **self_p)
{
    pool_t *p = self_p ? *self_p : NULL;
    if (!p)
        return;
    if (getpid() != p->owner) { /* a forked child: the workers are not here */
        free(p->threads);
        free(p);
        *self_p = NULL;
        return;
    }
    pool_wait(p);
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
    *self_p = NULL;
}

int pool_threads(const pool_t *self) { return self ? self->nthreads + 1 : 1; }

/* Runs a job on the caller alone: no workers, a tiny job, or a forked
 * child (buurtd's readers, its renderer), where only the thread that
 * forked came along. */
static bool s_inline(const pool_t *p, size_t n)
{
    return !p || p->nthreads == 0 || n < 2 || getpid() != p->owner;
}

void pool_start(pool_t *p, size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    pool_wait(p); /* the job before stays before */
    if (s_inline(p, n)) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->next, 0);
    p->busy = p->nthreads;
    p->pending = true;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
}

void pool_wait(pool_t *p)
{
    if (!p || !p->pending || getpid() != p->owner)
        return;
    s_work(p);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->mu);
    p->pending = false;
    pthread_mutex_unlock(&p->mu);
}

void pool_run(pool_t *p, size_t n, void (*fn)(void *ctx, size_t i), void *ctx)
{
    pool_start(p, n, fn, ctx);
    pool_wait(p);
}
