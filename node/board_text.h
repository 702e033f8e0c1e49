/*
 * board_text.h -- the message catalogue of the outage kit: every fixed text
 * of the web board (node/http.c, node/board.c) and of the printed sheet
 * (`buurt print`), in Dutch, English, Turkish and Arabic.
 *
 * One table, one row per message, one column per language: a message is
 * never written in two places, and a language is complete or the build
 * says so (board_text.c checks every row has all four at compile time by
 * the shape of the table). Texts are short and at B1 level: plain words,
 * no jargon, the status as a word as well as an icon.
 *
 * Record tokens (a place's status, a need's category, a channel, an
 * urgency) have their words here too, so a page never shows "alternative"
 * where a Turkish reader expects "Başka yoldan".
 *
 * Pure functions over constant tables; no I/O.
 */
#ifndef BUURT_BOARD_TEXT_H
#define BUURT_BOARD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { LANG_NL = 0, LANG_EN, LANG_TR, LANG_AR, LANG__COUNT } lang_t;

typedef enum {
    T_BOARD = 0,    /* page title: the neighbourhood board */
    T_PLACES,       /* nav and heading */
    T_NEEDS,        /* nav: open needs */
    T_OFFERS,       /* nav: who can help */
    T_BULLETINS,    /* nav: news */
    T_PRINT,        /* nav: print view */
    T_AS_OF,        /* "as of" before a time */
    T_AREAS,        /* heading of the area index */
    T_ALL_AREAS,
    T_NO_AREA,      /* places that name no area */
    T_STILL_WORKS,  /* before the non-digital channels */
    T_HOURS,
    T_LANGS,
    T_ADDRESS,
    T_CONTACT,
    T_ACCESS,
    T_HUB,
    T_STALE,        /* a status set longer ago than the mesh's threshold */
    T_NEEDS_INTRO,  /* what, never who */
    T_NEEDS_COUNT,  /* heading: open needs by kind */
    T_URGENCY,
    T_OFFERS_INTRO,
    T_BULLETINS_INTRO,
    T_SOURCE,
    T_TRANSLATION,
    T_NOTHING,      /* an empty list */
    T_NEXT_PAGE,
    T_NOT_FOUND,
    T_NOT_FOUND_HELP,
    T_BACK,         /* link back to the board */
    T_READ_ONLY,    /* footer */
    T_PRINTED_BY,   /* printf: node name */
    T_SCAN,         /* next to the QR code */
    T_BUSY,         /* 503 */
    T_STATUS_UNKNOWN,
    T_OFFERS_HERE,  /* heading on a place's page */
    T_SINCE,        /* printf: a time */
    T_MORE_ON_BOARD,/* printf: a count; the sheet left places out */
    T_CAPACITY,     /* printf: a number */
    T_PEOPLE,       /* printf: a number */
    T_UNTIL,        /* printf: a date */
    T_MIN_AGO,      /* printf: minutes */
    T_HOURS_AGO,    /* printf: hours */
    T_DAYS_AGO,     /* printf: days */
    T_JUST_NOW,
    T_BAD_REQUEST,
    T_TOTAL,        /* "in all" */
    T__COUNT
} text_id_t;

/* The text of id in lang (never NULL). Templates (T_PRINTED_BY, T_SINCE,
 * ...) hold exactly one "%s": fill them with board_fmt, never printf. */
const char *board_text(lang_t lang, text_id_t id);
/* The template id in lang with its "%s" replaced by arg, into out (cut
 * to n - 1 bytes). */
void board_fmt(lang_t lang, text_id_t id, const char *arg, char *out, size_t n);

/* "nl", "en", "tr", "ar". */
const char *board_lang_code(lang_t lang);
/* The language's own name ("Nederlands", "English", "Türkçe", "العربية"). */
const char *board_lang_name(lang_t lang);
/* True for a right-to-left language (Arabic). */
bool board_lang_rtl(lang_t lang);
/* Parses a code ("nl", "EN", "ar-SA" takes the first two letters); -1
 * for a language the catalogue does not have. */
int board_lang_parse(const char *s);
/* The catalogue language a browser prefers most, from an Accept-Language
 * header (q-values honoured, ties in order given); dflt when none is ours
 * or the header is NULL or malformed. */
lang_t board_lang_accept(const char *header, lang_t dflt);

/* The word for a record token in lang: a place status (open, limited,
 * alternative, closed, overloaded), a need category, a channel (phone,
 * doorstep, intercom, outdoor) or an urgency; the token itself when the
 * catalogue has no word for it. */
const char *board_token(lang_t lang, const char *token);
/* The icon shown before a place status word (text, never colour alone);
 * "?" for an unknown status. */
const char *board_status_icon(const char *status);

/* "5 min ago" and the like, in lang, for an age in ms (>= 0). */
void board_age(lang_t lang, int64_t ms, char *out, size_t n);

#endif
