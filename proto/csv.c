/*
 * csv.c -- the CSV writer and reader of csv.h. The reader is one pass of a
 * small state machine over the bytes; cells are collected in a buffer and
 * copied out when they end.
 */
#include "proto/csv.h"

#include "proto/err.h"

#include <stdlib.h>
#include <string.h>

void csv_cell(buf_t *b, const char *text, bool first)
{
    if (!first)
        buf_putc(b, ',');
    if (text == NULL || text[0] == '\0')
        return;
    size_t n = strlen(text);
    bool quote = text[0] == ' ' || text[n - 1] == ' ' || strpbrk(text, ",\"\r\n") != NULL;
    if (!quote) {
        buf_append(b, text, n);
        return;
    }
    buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '"')
            buf_putc(b, '"');
        buf_putc(b, (uint8_t)text[i]);
    }
    buf_putc(b, '"');
}

void csv_end_row(buf_t *b)
{
    buf_append(b, "\r\n", 2);
}

void csv_bom(buf_t *b)
{
    buf_append(b, "\xef\xbb\xbf", 3);
}

bool csv_utf8_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + j] & 0x3f);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

void csv_free(csv_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        for (size_t j = 0; j < c->rows[i].n; j++)
            free(c->rows[i].cells[j]);
        free(c->rows[i].cells);
    }
    free(c->rows);
    memset(c, 0, sizeof *c);
}

/* The separator of the first row: ';' or tab when they outnumber commas
 * outside quotes. */
static char s_guess_sep(const char *p, size_t n)
{
    size_t comma = 0, semi = 0, tab = 0;
    bool q = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '"')
            q = !q;
        else if (!q && (c == '\n' || c == '\r'))
            break;
        else if (!q && c == ',')
            comma++;
        else if (!q && c == ';')
            semi++;
        else if (!q && c == '\t')
            tab++;
    }
    if (semi > comma && semi >= tab)
        return ';';
    if (tab > comma && tab > semi)
        return '\t';
    return ',';
}

typedef struct {
    csv_row_t row;
    size_t cap;
} s_row_t;

static void s_push_cell(s_row_t *r, buf_t *cell)
{
    if (r->row.n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 8;
        r->row.cells = xrealloc(r->row.cells, r->cap * sizeof *r->row.cells);
    }
    r->row.cells[r->row.n++] = xstrndup(cell->len ? (const char *)cell->data : "", cell->len);
    buf_reset(cell);
}

int csv_parse(const char *text, size_t len, csv_t *out, char **cause)
{
    memset(out, 0, sizeof *out);
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        len -= 3;
    }
    if (memchr(text, '\0', len) != NULL) {
        size_t line = 1;
        for (const char *p = text; *p; p++)
            line += *p == '\n';
        return bu_fail(cause, BU_EINVAL, "line %zu: a NUL byte; this is not a text file", line);
    }
    char sep = s_guess_sep(text, len);
    size_t cap = 0, line = 1;
    buf_t cell = {0};
    s_row_t r = {0};
    int rc = 0;
    size_t i = 0;
    bool any = false; /* the row has content (an empty line has none) */
    r.row.line = 1;
    while (i <= len) {
        /* at the start of a cell */
        bool quoted = i < len && text[i] == '"';
        size_t cell_line = line;
        if (quoted) {
            any = true;
            i++;
            for (;;) {
                if (i >= len) {
                    rc = bu_fail(cause, BU_EINVAL, "line %zu: a quoted cell is never closed",
                                 cell_line);
                    goto done;
                }
                char c = text[i];
                if (c == '"') {
                    if (i + 1 < len && text[i + 1] == '"') {
                        buf_putc(&cell, '"');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (c == '\n' || (c == '\r' && !(i + 1 < len && text[i + 1] == '\n')))
                    line++;
                buf_putc(&cell, (uint8_t)c);
                i++;
            }
            if (i < len && text[i] != sep && text[i] != '\n' && text[i] != '\r') {
                rc = bu_fail(cause, BU_EINVAL,
                             "line %zu: text after a closing quote (a quote inside a cell must be doubled)",
                             line);
                goto done;
            }
        } else {
            while (i < len && text[i] != sep && text[i] != '\n' && text[i] != '\r') {
                buf_putc(&cell, (uint8_t)text[i]);
                i++;
            }
            if (cell.len)
                any = true;
        }
        if (cell.len > CSV_MAX_CELL) {
            rc = bu_fail(cause, BU_EINVAL, "line %zu: a cell longer than %d bytes", cell_line,
                         CSV_MAX_CELL);
            goto done;
        }
        if (!csv_utf8_ok((const char *)cell.data, cell.len)) {
            rc = bu_fail(cause, BU_EINVAL,
                         "line %zu: text that is not UTF-8 (save the sheet as \"CSV UTF-8\")", cell_line);
            goto done;
        }
        if (r.row.n >= CSV_MAX_CELLS) {
            rc = bu_fail(cause, BU_EINVAL, "line %zu: more than %d cells in a row", cell_line,
                         CSV_MAX_CELLS);
            goto done;
        }
        s_push_cell(&r, &cell);
        if (i < len && text[i] == sep) {
            any = true;
            i++;
            continue;
        }
        /* end of the row: a line break or the end of the text */
        if (any) {
            if (out->n == cap) {
                cap = cap ? 2 * cap : 64;
                out->rows = xrealloc(out->rows, cap * sizeof *out->rows);
            }
            out->rows[out->n++] = r.row;
        } else {
            for (size_t j = 0; j < r.row.n; j++)
                free(r.row.cells[j]);
            free(r.row.cells);
        }
        memset(&r, 0, sizeof r);
        any = false;
        if (i >= len)
            break;
        if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
            i++;
        i++;
        line++;
        r.row.line = line;
    }
    out->sep = sep;
done:
    buf_free(&cell);
    if (rc < 0) {
        for (size_t j = 0; j < r.row.n; j++)
            free(r.row.cells[j]);
        free(r.row.cells);
        csv_free(out);
    }
    return rc;
}
