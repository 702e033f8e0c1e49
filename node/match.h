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

typedef struct {
    const entity_t *who;   /* the offer or place; borrowed from the repo */
    const entity_t *place; /* an offer's provider place, or NULL */
    int score;             /* higher fits better */
    bool last;             /* ranked after every other match */
    char why[600];         /* reasons, "; " separated */
} match_t;

/*
 * Ranks candidates for need (a need entity of r) at time now_ms. Sets *out
 * to an allocated array (free()) sorted best first and returns its length.
 * The entity pointers stay valid until the repo is written or closed.
 */
size_t match_need(repo_t *r, const entity_t *need, uint64_t now_ms, match_t **out);

/* A need's status as seen now: "expired" when open or claimed and past
 * its expiry, else its stored status ("open" when unset). */
const char *need_status_now(const entity_t *need, uint64_t now_ms);

#endif
