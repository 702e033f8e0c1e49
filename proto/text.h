/*
 * text.h -- how many terminal columns UTF-8 text takes, and fitting it
 * into fewer: what the CLI's tables are aligned and truncated by.
 *
 * Widths come from a small table of Unicode ranges, not from wcwidth():
 * wcwidth depends on setlocale, which buurtd (that runs commands for the
 * CLI) neither does nor should change, and the table gives the same answer
 * on every system. Per code point:
 *
 *   0  combining marks (Arabic harakat, Ethiopic and Latin combining
 *      marks, ...), format controls (ZWJ, ZWNJ, bidi marks and isolates,
 *      variation selectors, BOM) and C0/C1 controls
 *   2  East Asian wide and fullwidth characters (CJK, Hangul, kana) and
 *      emoji shown as pictures
 *   1  everything else: Latin with Turkish İ ı ş ğ, Arabic letters,
 *      Ethiopic (Tigrinya, Amharic) syllables, Cyrillic, ...
 *
 * A byte that is not valid UTF-8 counts 1 (text_escape has written such
 * bytes as \xNN before they reach a table). Emoji joined with ZWJ count
 * each part. Pure functions, no I/O, no globals.
 */
#ifndef BUURT_TEXT_H
#define BUURT_TEXT_H

#include "proto/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Columns code point cp takes: 0, 1 or 2 (the table above). */
int text_cp_width(uint32_t cp);

/* Columns the NUL-terminated UTF-8 text s takes on a terminal. */
size_t text_width(const char *s);

/*
 * Appends s to out when it fits in cols columns; otherwise its longest
 * prefix that fits in cols - 1 columns and "…" (U+2026, one column).
 * Never cuts inside a UTF-8 sequence, and combining marks stay with the
 * letter before them. cols 0 appends nothing. Returns the columns
 * appended (at most cols).
 */
size_t text_fit(buf_t *out, const char *s, size_t cols);

/* True when s holds a right-to-left character (Hebrew, Arabic, Syriac,
 * Thaana, N'Ko and their presentation forms): text a left-to-right table
 * wraps in directional isolates. */
bool text_has_rtl(const char *s);

#endif
