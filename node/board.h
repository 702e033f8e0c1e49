/*
 * board.h -- the pages of the outage kit as HTML, rendered from a repo: the
 * web board buurtd serves to phones (node/http.c) and the printed sheet of
 * `buurt print` (cli/cmd_print.c). One renderer for both, so the board and
 * the sheet never disagree.
 *
 * What a page shows (issue 12): places by area with their status as an icon
 * and a word (never colour alone), how long ago it was set and a stale mark
 * past the mesh's threshold (query_stale_ms), the non-digital channels that
 * still work, hours and languages; open needs by category and area (what,
 * never who: no claimer, no author, no id of a person); offers; current
 * bulletins (not deleted, not replaced) with their translations; one page
 * per place. Every fixed text comes from node/board_text.h.
 *
 * What a page never shows: private coalitions and every record sealed for
 * one (kinds sealed and keys, records this node can read because it is a
 * reader, repo_private_of), deleted records, members and node keys.
 *
 * Invariants a test can check: no <script, no form, no external resource
 * (the only image is an inline SVG QR code); every page is at most
 * BOARD_PAGE_MAX bytes: lists are cut into pages by size, with a "next
 * page" link (?from=N); text from records is HTML-escaped.
 *
 * Workload: called on buurtd's loop thread (the repo is single-threaded)
 * for a page that is not cached, and by `buurt print`; a page of a home
 * with 100,000 records must render in milliseconds, not seconds (the
 * facts table of node/match.h narrows every listing).
 */
#ifndef BUURT_BOARD_H
#define BUURT_BOARD_H

#include "node/board_text.h"
#include "node/repo.h"

#define BOARD_PAGE_MAX (30 * 1024) /* bytes of one board page, at most */
#define BOARD_AREA_MAX 80          /* bytes of an area name (as the schema) */
#define BOARD_SHEET_PLACES 20      /* places per area on the printed sheet */

typedef enum {
    BOARD_HOME = 0,  /* places by area */
    BOARD_NEEDS,     /* open needs by category and area */
    BOARD_OFFERS,    /* who offers what */
    BOARD_BULLETINS, /* current bulletins and translations */
    BOARD_PLACE,     /* one place (id) */
    BOARD_SHEET,     /* the printed sheet: one A4 section per area */
} board_page_t;

typedef struct {
    board_page_t page;
    lang_t lang;
    const char *area;     /* only this area (case-insensitive); NULL: all */
    size_t from;          /* paging: the first item to show */
    uint8_t id[32];       /* BOARD_PLACE: the place */
    uint64_t now_ms;      /* the time the page is "as of" */
    const char *url;      /* the board's address for the QR code; NULL: none */
    bool board_links;     /* BOARD_SHEET served by the board: show its nav */
} board_req_t;

/*
 * Renders one page into out (appended). Returns the HTTP status: 200, or
 * 404 (with a 404 page) for a place id that is not a visible place. Pages
 * other than BOARD_SHEET stay within BOARD_PAGE_MAX.
 */
int board_render(repo_t *r, const board_req_t *q, buf_t *out);

/* An error page without the repo: 400, 404, 405, 414, 431 or 503. */
void board_error_page(lang_t lang, int status, buf_t *out);

/* The QR code of text as an inline SVG element (black on white, with its
 * quiet zone); nothing when text is too long for a QR code. */
void board_qr_svg(const char *text, buf_t *out);

/* Appends s HTML-escaped (& < > " ' and control characters). */
void board_escape(buf_t *out, const char *s);

#endif
