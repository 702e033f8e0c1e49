/*
 * match.h -- "who can help": ranking offers and places for one need.
 *
 * What decides it, after the research behind buurt: the category of help,
 * the area, the languages, the groups a provider reaches (and is trusted
 * by), its capacity now and its place's status. Offers whose categories
 * include the need's category are candidates; so are places whose kind
 * usually serves that category (a library for information, a food bank for
 * food) when they have no fitting offer of their own. A closed or
 * overloaded provider, an offer with no capacity left or past its date is
 * still listed, but ranked last with the reason. Every match carries the
 * reasons it scored, as text a person can read.
 */
#ifndef BUURT_MATCH_H
#define BUURT_MATCH_H

#include "node/repo.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const entity_t *who;   /* the offer or place; borrowed from the repo */
    const entity_t *place; /* an offer's provider place, or NULL */
    const char *name;      /* "name" of place, else of who; NULL when unset */
    int score;             /* higher fits better */
    bool last;             /* ranked after every other match */
    const char *why;       /* reasons, "; " separated, at most 599 bytes */
} match_t;

/*
 * Ranks candidates for need (a need entity of r) at time now_ms. Sets *out
 * to an allocated array sorted best first and returns its length; the why
 * texts live in the same allocation, so one free(*out) releases all. The
 * entity pointers stay valid until the repo is written or closed.
 */
size_t match_need(repo_t *r, const entity_t *need, uint64_t now_ms, match_t **out);

/*
 * The same ranking when only its first k are wanted: *out holds at least
 * the first min(k, count) of match_need's matches, in its order (and
 * possibly some more after them, in order too); the return value is how
 * many *out holds, and *count how many match_need would return. It
 * scores candidates in order of the best each could score (from the facts
 * table) and stops when no other can rank among the first k, so the first
 * who-can-help after a start merges a few hundred offers and places
 * instead of thousands.
 */
size_t match_need_top(repo_t *r, const entity_t *need, uint64_t now_ms, size_t k, match_t **out,
                      size_t *count);

/* A need's status as seen now: "expired" when open or claimed and past
 * its expiry, else its stored status ("open" when unset). */
const char *need_status_now(const entity_t *need, uint64_t now_ms);

/*
 * Entity facts: what queries filter on, copied out of every entity's field
 * map into one compact array, so that a query over 100,000 entities reads
 * a few megabytes in order instead of chasing pointers through 100,000
 * maps (each look-up there costs several cache misses; that, not
 * computing, bounded `list` and `who-can-help`, see docs/performance.md).
 *
 * One table per process, for the repo last asked about, kept across calls
 * (buurtd answers every query of its lifetime from it); not thread-safe.
 * An entity's facts are re-read whenever repo_entity_version says its
 * merged state may have changed, and all of them after repo_epoch changes;
 * entities are merged for it with repo_entity_peek, so building the table
 * does not leave every merged state cached. kind and deleted are exact, and so is
 * cats for a category match_cat_bit knows; area (a hash) and status only
 * rule entities out: a caller tests the survivors on their fields.
 */
#define MATCH_LANGS_SET (UINT64_C(1) << 63)
/* A language code's bit in match_fact_t.langs (a hash: two codes may share
 * one, so a bit only says the code may be there). */
uint64_t match_lang_bit(const char *code);

typedef struct {
    uint64_t ver;       /* repo_entity_version these facts were read at */
    uint32_t area;      /* match_hash of "area", 0 when unset */
    uint32_t cats;      /* bits (match_cat_bit): a need's category, an offer's
                           categories, the categories a place's kinds serve */
    int32_t provider;   /* offers: position of the provider entity, -1 when
                           unset or not (yet) known when read */
    int64_t expires;    /* needs: "expires", 0 when unset */
    uint64_t langs;     /* offers, places: MATCH_LANGS_SET when "langs" is set,
                           and bit match_lang_bit(code) of each code */
    int32_t capacity;   /* offers, places: "capacity", -1 when unset */
    int8_t status;      /* needs, places: index of "status" in REC_NEED_STATUS
                           or REC_PLACE_STATUS; -1 unset, -2 not a token */
    uint8_t kind;       /* rec_kind_t */
    bool deleted;       /* entity_deleted */
    bool read;          /* fields were read (only kinds asked for are read) */
} match_fact_t;

/*
 * The facts of every entity of r (repo_entity_count entries, in
 * repo_entity_at order), merging any entity that needs it. kinds is a bit
 * mask (1 << kind) of the kinds whose fields a caller will test; other
 * entries have only kind and deleted (read == false). Borrowed: valid
 * until the next call or until the repo is written or closed.
 */
const match_fact_t *match_facts(repo_t *r, unsigned kinds);
/* Reads the facts of at most budget entities not in the table yet (so a
 * daemon can build it in slices while idle); true once none is left. */
bool match_facts_warm(repo_t *r, unsigned kinds, size_t budget);

/*
 * The facts table on disk, so that a restarted buurtd answers its first
 * query without merging every entity again (docs/performance.md, "First
 * query and streamed listings"). The file holds the facts of every entity
 * and a fingerprint of what they were read from: the node's key, the mesh,
 * every stored record's id in store order with whether it is held, and
 * every entity's id in entity order. Merged states are a function of
 * those (merge.h), so facts saved for one fingerprint hold for any repo
 * with the same one.
 *
 * match_facts_save brings the table up to date (match_facts) and writes
 * it with file_write_atomic: 0, or a negative code and *cause.
 * match_facts_load installs the file's facts as the table when the file
 * is whole and its fingerprint is r's, each entry at r's current
 * repo_entity_version; true then. A missing, damaged or stale file is
 * false and changes nothing (the table is built as before).
 */
int match_facts_save(repo_t *r, const char *path, char **cause);
bool match_facts_load(repo_t *r, const char *path);

/* Case-insensitive (ASCII) hash of s, never 0; 0 for NULL. */
uint32_t match_hash(const char *s);

/* The bit of a category in match_fact_t.cats, 0 for an unknown one (then
 * cats says nothing about it). */
uint32_t match_cat_bit(const char *category);

/* The status need_status_now (needs) or the stored status, "" when unset
 * (places) would give, from the facts; NULL when the facts cannot say. */
const char *match_fact_status(const match_fact_t *f, uint64_t now_ms);

#endif
