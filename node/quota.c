/*
 * quota.c -- per-author edit counts (see quota.h).
 *
 * One open-addressing table keyed by (author, hour); hour QUOTA_ALL holds
 * the author's total. Grown at half full, never shrunk (reset empties it).
 */
#include "node/quota.h"
#include "proto/edit.h"
#include "proto/util.h"

#include <stdlib.h>
#include <string.h>

#define QUOTA_ALL UINT64_MAX
#define QUOTA_HOUR_MS 3600000u

typedef struct {
    uint8_t author[32];
    uint64_t hour; /* hlc_ms / QUOTA_HOUR_MS, or QUOTA_ALL */
    uint64_t n;    /* 0: a free slot */
    bool used;
} q_slot_t;

struct quota {
    q_slot_t *tab;
    size_t size, used; /* size: a power of two */
};

quota_t *quota_new(void)
{
    quota_t *q = xcalloc(1, sizeof *q);
    q->size = 64;
    q->tab = xcalloc(q->size, sizeof *q->tab);
    return q;
}

void quota_free(quota_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->tab);
    free(*self_p);
    *self_p = NULL;
}

void quota_reset(quota_t *q)
{
    memset(q->tab, 0, q->size * sizeof *q->tab);
    q->used = 0;
}

static size_t s_hash(const uint8_t author[32], uint64_t hour)
{
    uint64_t h = le64_load(author); /* node ids are public keys: any 8 bytes spread well */
    h ^= hour * UINT64_C(0x9e3779b97f4a7c15);
    h ^= h >> 29;
    return (size_t)h;
}

static q_slot_t *s_find(const quota_t *q, const uint8_t author[32], uint64_t hour)
{
    size_t m = q->size - 1;
    for (size_t i = s_hash(author, hour) & m;; i = (i + 1) & m) {
        q_slot_t *s = &q->tab[i];
        if (!s->used || (s->hour == hour && memcmp(s->author, author, 32) == 0))
            return s;
    }
}

static void s_grow(quota_t *q)
{
    q_slot_t *old = q->tab;
    size_t n = q->size;
    q->size *= 2;
    q->tab = xcalloc(q->size, sizeof *q->tab);
    for (size_t i = 0; i < n; i++)
        if (old[i].used)
            *s_find(q, old[i].author, old[i].hour) = old[i];
    free(old);
}

static void s_add(quota_t *q, const uint8_t author[32], uint64_t hour, int delta)
{
    q_slot_t *s = s_find(q, author, hour);
    if (!s->used) {
        if (delta < 0)
            return;
        if (2 * (q->used + 1) > q->size) {
            s_grow(q);
            s = s_find(q, author, hour);
        }
        memcpy(s->author, author, 32);
        s->hour = hour;
        s->used = true;
        q->used++;
    }
    if (delta < 0 && s->n > 0)
        s->n--;
    else if (delta > 0)
        s->n++;
}

void quota_add(quota_t *q, const uint8_t author[32], uint64_t hlc, int delta)
{
    s_add(q, author, QUOTA_ALL, delta);
    s_add(q, author, hlc_ms(hlc) / QUOTA_HOUR_MS, delta);
}

uint64_t quota_total(const quota_t *q, const uint8_t author[32])
{
    const q_slot_t *s = s_find(q, author, QUOTA_ALL);
    return s->used ? s->n : 0;
}

uint64_t quota_in_hour(const quota_t *q, const uint8_t author[32], uint64_t hlc)
{
    const q_slot_t *s = s_find(q, author, hlc_ms(hlc) / QUOTA_HOUR_MS);
    return s->used ? s->n : 0;
}

bool quota_allows(const quota_t *q, const uint8_t author[32], uint64_t hlc,
                  const quota_limits_t *lim)
{
    if (lim->total && quota_total(q, author) >= lim->total)
        return false;
    if (lim->per_hour && quota_in_hour(q, author, hlc) >= lim->per_hour)
        return false;
    return true;
}
