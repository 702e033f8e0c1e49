/*
 * csv.h -- comma-separated values as RFC 4180 writes them and as
 * spreadsheets (LibreOffice, Excel) save them: the writer for `buurt
 * export` and the reader for `buurt import`. Pure functions over buffers;
 * no I/O.
 *
 * Writing: a cell is quoted when it holds a comma, a double quote, CR, LF,
 * or starts or ends with a space; a double quote inside is doubled. Rows
 * end with CRLF (RFC 4180 §2.1). Text passes byte for byte, so UTF-8
 * (Arabic, Tigrinya) stays as it is; a file may start with a UTF-8 byte
 * order mark so that spreadsheets read it as UTF-8 (csv_bom).
 *
 * Reading: the whole text is split into rows of cells. A leading UTF-8 BOM
 * is skipped. The separator is ',' unless the first row has more ';' than
 * ',' outside quotes (Dutch spreadsheets save with ';'), or a tab when it
 * has tabs and neither. Quoted cells may hold separators, doubled quotes
 * and line breaks. Rows end with LF, CRLF or CR. Each row remembers the
 * line (1-based) it starts on, for error reports. Refused, with the line:
 * text that is not valid UTF-8, a NUL byte, a quote that is never closed,
 * and text after a closing quote in the same cell. Empty lines are
 * skipped. Limits: CSV_MAX_CELLS cells a row, CSV_MAX_CELL bytes a cell.
 *
 * Workload: a spreadsheet of 10,000 rows of a few hundred bytes each is
 * parsed in one pass, in a few milliseconds.
 */
#ifndef BUURT_CSV_H
#define BUURT_CSV_H

#include "proto/util.h"

#include <stdbool.h>
#include <stddef.h>

#define CSV_MAX_CELLS 256
#define CSV_MAX_CELL 65536

/* Appends one cell (NUL-terminated text; NULL is an empty cell), preceded
 * by a comma unless first is true. */
void csv_cell(buf_t *b, const char *text, bool first);
/* Ends a row: CRLF. */
void csv_end_row(buf_t *b);
/* Appends the UTF-8 byte order mark (EF BB BF). */
void csv_bom(buf_t *b);

typedef struct {
    size_t line;    /* line the row starts on, 1-based */
    size_t n;       /* cells */
    char **cells;   /* n NUL-terminated strings, owned */
} csv_row_t;

typedef struct {
    char sep;       /* the separator that was used: ',', ';' or '\t' */
    size_t n;       /* rows, header included */
    csv_row_t *rows;
} csv_t;

/*
 * Parses len bytes of text into *out (csv_free it). Returns 0, or
 * BU_EINVAL with a one-line *cause naming the line ("line 7: a quoted
 * cell is never closed"); *out is then left empty.
 */
int csv_parse(const char *text, size_t len, csv_t *out, char **cause);
/* Frees the rows; safe on a zeroed or freed csv_t. */
void csv_free(csv_t *c);

/* True when s is valid UTF-8 (no overlong forms, no surrogates). */
bool csv_utf8_ok(const char *s, size_t n);

#endif
