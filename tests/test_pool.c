/*
 * test_pool.c -- node/pool: every index of a job runs exactly once, on
 * the caller alone or spread over workers, job after job; pool_start and
 * pool_wait let the caller work while the workers do.
 */
#include "node/pool.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    atomic_int *hits;
    pthread_t caller;
    atomic_int off_caller; /* iterations that ran on another thread */
} job_t;

static void s_hit(void *ctx, size_t i)
{
    job_t *j = ctx;
    atomic_fetch_add(&j->hits[i], 1);
    if (!pthread_equal(pthread_self(), j->caller))
        atomic_fetch_add(&j->off_caller, 1);
}

static void s_job(pool_t *p, size_t n, job_t *j)
{
    j->hits = calloc(n ? n : 1, sizeof *j->hits);
    j->caller = pthread_self();
    atomic_store(&j->off_caller, 0);
    pool_run(p, n, s_hit, j);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(atomic_load(&j->hits[i]), 1, "index %zu of %zu ran %d times", i, n,
                     atomic_load(&j->hits[i]));
    free(j->hits);
}

Test(pool, every_index_runs_once_job_after_job)
{
    pool_t *p = pool_new(3);
    cr_assert_eq(pool_threads(p), 4);
    job_t j;
    for (int round = 0; round < 200; round++)
        s_job(p, (size_t)(round * 37 % 1000), &j);
    s_job(p, 0, &j);
    s_job(p, 1, &j);
    pool_free(&p);
    cr_assert_null(p);
}

/* A pool with no workers (one core), and no pool at all, run everything
 * on the caller. */
Test(pool, no_workers_runs_on_the_caller)
{
    pool_t *p = pool_new(0);
    cr_assert_eq(pool_threads(p), 1);
    job_t j;
    s_job(p, 500, &j);
    cr_assert_eq(atomic_load(&j.off_caller), 0);
    pool_free(&p);
    s_job(NULL, 500, &j);
    cr_assert_eq(atomic_load(&j.off_caller), 0);
    cr_assert_geq(pool_default_workers(), 0);
}

/* On the caller, waits (up to 10 s) until a worker has run one. */
static void s_wait_for_a_worker(void *ctx, size_t i)
{
    job_t *j = ctx;
    s_hit(ctx, i);
    time_t until = time(NULL) + 10;
    while (pthread_equal(pthread_self(), j->caller) && atomic_load(&j->off_caller) == 0 &&
           time(NULL) < until)
        sched_yield();
}

/* With workers, a job is shared: some iterations run elsewhere. */
Test(pool, workers_share_the_job)
{
    pool_t *p = pool_new(2);
    job_t j = {.caller = pthread_self()};
    j.hits = calloc(64, sizeof *j.hits);
    pool_run(p, 64, s_wait_for_a_worker, &j);
    for (size_t i = 0; i < 64; i++)
        cr_assert_eq(atomic_load(&j.hits[i]), 1);
    cr_assert_gt(atomic_load(&j.off_caller), 0, "no iteration ran on a worker");
    free(j.hits);
    pool_free(&p);
}

/* A forked child has none of the workers (only the forking thread comes
 * along): pool_run runs everything itself instead of waiting for them. */
Test(pool, a_forked_child_runs_the_job_itself, .timeout = 20)
{
    pool_t *p = pool_new(2);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        job_t j;
        j.hits = calloc(100, sizeof *j.hits);
        pool_run(p, 100, s_hit, &j);
        int ok = 1;
        for (size_t i = 0; i < 100; i++)
            ok &= atomic_load(&j.hits[i]) == 1;
        pool_free(&p);
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's job did not run whole");
    pool_free(&p);
}

/* pool_start / pool_wait: the job runs on the workers while the caller
 * does something else. Each index waits (up to 10 s) for the caller to
 * open a gate, so a pool_start that ran the job itself would return only
 * after every index had run. */
static atomic_int s_gate, s_entered;

static void s_gated(void *ctx, size_t i)
{
    atomic_fetch_add(&s_entered, 1);
    time_t until = time(NULL) + 10;
    while (!atomic_load(&s_gate) && time(NULL) < until)
        sched_yield();
    s_hit(ctx, i);
}

Test(pool, start_returns_while_the_workers_run_and_wait_ends_the_job, .timeout = 30)
{
    pool_t *p = pool_new(1);
    job_t j = {.caller = pthread_self()};
    j.hits = calloc(16, sizeof *j.hits);
    atomic_store(&s_gate, 0);
    atomic_store(&s_entered, 0);
    pool_start(p, 16, s_gated, &j);
    /* the worker is on the job (up to 10 s) */
    time_t until = time(NULL) + 10;
    while (!atomic_load(&s_entered) && time(NULL) < until)
        sched_yield();
    int done = 0;
    for (size_t i = 0; i < 16; i++)
        done += atomic_load(&j.hits[i]);
    cr_assert_lt(done, 16, "pool_start ran the whole job before it returned");
    atomic_store(&s_gate, 1);
    pool_wait(p);
    for (size_t i = 0; i < 16; i++)
        cr_assert_eq(atomic_load(&j.hits[i]), 1, "index %zu ran %d times", i, atomic_load(&j.hits[i]));
    cr_assert_gt(atomic_load(&j.off_caller), 0, "no iteration ran on the worker");
    pool_wait(p); /* nothing pending: returns at once */
    free(j.hits);
    pool_free(&p);
}

/* A job started and not waited for ends before the next one starts, and
 * before the pool is freed. */
static job_t *s_first;
static size_t s_first_n;

static void s_second(void *ctx, size_t i)
{
    for (size_t k = 0; k < s_first_n; k++)
        cr_assert_eq(atomic_load(&s_first->hits[k]), 1, "the job before was not over");
    s_hit(ctx, i);
}

Test(pool, a_started_job_ends_before_the_next_and_before_free, .timeout = 30)
{
    for (int workers = 0; workers < 3; workers++) {
        pool_t *p = pool_new(workers);
        job_t a = {.caller = pthread_self()}, b = {.caller = pthread_self()};
        a.hits = calloc(300, sizeof *a.hits);
        b.hits = calloc(300, sizeof *b.hits);
        s_first = &a;
        s_first_n = 300;
        pool_start(p, 300, s_hit, &a);
        pool_start(p, 300, s_second, &b);
        pool_wait(p);
        for (size_t i = 0; i < 300; i++)
            cr_assert_eq(atomic_load(&b.hits[i]), 1);
        memset(a.hits, 0, 300 * sizeof *a.hits);
        pool_start(p, 300, s_hit, &a);
        pool_free(&p); /* waits for it */
        for (size_t i = 0; i < 300; i++)
            cr_assert_eq(atomic_load(&a.hits[i]), 1, "workers %d: index %zu", workers, i);
        free(a.hits);
        free(b.hits);
    }
}
