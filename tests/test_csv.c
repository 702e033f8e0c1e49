/*
 * test_csv.c -- behaviour tests for proto/csv.c: what the writer quotes,
 * what the reader accepts (quotes, separators and line breaks inside
 * cells, CRLF, a byte order mark, ';' from Dutch spreadsheets, Arabic and
 * Tigrinya text) and what it refuses, with the line it names.
 */
#include "proto/csv.h"
#include "proto/err.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static const char *s_write(buf_t *b, const char *const *cells, size_t n)
{
    buf_reset(b);
    for (size_t i = 0; i < n; i++)
        csv_cell(b, cells[i], i == 0);
    csv_end_row(b);
    return buf_cstr(b);
}

Test(csv, plain_cells_are_written_as_they_are)
{
    buf_t b = {0};
    const char *c[] = {"Buurthuis De Kroon", "community-centre", "", NULL};
    cr_assert_str_eq(s_write(&b, c, 4), "Buurthuis De Kroon,community-centre,,\r\n");
    buf_free(&b);
}

Test(csv, commas_quotes_line_breaks_and_edge_spaces_are_quoted)
{
    buf_t b = {0};
    const char *c[] = {"nl, ar", "say \"hi\"", "two\nlines", " pad", "cr\r"};
    cr_assert_str_eq(s_write(&b, c, 5),
                     "\"nl, ar\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\",\"cr\r\"\r\n");
    buf_free(&b);
}

Test(csv, what_is_written_reads_back_the_same)
{
    const char *c[] = {"a,b", "\"q\"", "line1\r\nline2", "مسجد", "ትግርኛ", " x ", "", "plain"};
    buf_t b = {0};
    csv_bom(&b);
    for (int row = 0; row < 3; row++) {
        for (size_t i = 0; i < 8; i++)
            csv_cell(&b, c[i], i == 0);
        csv_end_row(&b);
    }
    csv_t t;
    char *cause = NULL;
    cr_assert_eq(csv_parse((const char *)b.data, b.len, &t, &cause), 0, "%s", cause ? cause : "");
    cr_assert_eq(t.n, 3);
    for (size_t r = 0; r < 3; r++) {
        cr_assert_eq(t.rows[r].n, 8);
        for (size_t i = 0; i < 8; i++)
            cr_assert_str_eq(t.rows[r].cells[i], c[i]);
    }
    /* each row starts one line further down than the line breaks it holds */
    cr_assert_eq(t.rows[0].line, 1);
    cr_assert_eq(t.rows[1].line, 3);
    cr_assert_eq(t.rows[2].line, 5);
    csv_free(&t);
    buf_free(&b);
}

Test(csv, a_byte_order_mark_is_skipped)
{
    const char in[] = "\xef\xbb\xbfNaam,Wijk\nBibliotheek,Afrikaanderwijk\n";
    csv_t t;
    cr_assert_eq(csv_parse(in, strlen(in), &t, NULL), 0);
    cr_assert_str_eq(t.rows[0].cells[0], "Naam");
    cr_assert_eq(t.n, 2);
    csv_free(&t);
}

Test(csv, semicolons_of_a_dutch_spreadsheet_are_the_separator)
{
    const char in[] = "Naam;Talen;Adres\r\n\"Moskee; Zuid\";nl, tr;Hillevliet 80\r\n";
    csv_t t;
    cr_assert_eq(csv_parse(in, strlen(in), &t, NULL), 0);
    cr_assert_eq(t.sep, ';');
    cr_assert_eq(t.rows[1].n, 3);
    cr_assert_str_eq(t.rows[1].cells[0], "Moskee; Zuid");
    cr_assert_str_eq(t.rows[1].cells[1], "nl, tr");
    csv_free(&t);
}

Test(csv, empty_lines_are_skipped_and_line_numbers_kept)
{
    const char in[] = "a,b\n\n\n1,2\r\n\r\n3,\n";
    csv_t t;
    cr_assert_eq(csv_parse(in, strlen(in), &t, NULL), 0);
    cr_assert_eq(t.n, 3);
    cr_assert_eq(t.rows[1].line, 4);
    cr_assert_eq(t.rows[2].line, 6);
    cr_assert_eq(t.rows[2].n, 2);
    cr_assert_str_eq(t.rows[2].cells[1], "");
    csv_free(&t);
}

Test(csv, a_last_row_without_a_line_break_counts)
{
    const char in[] = "a,b\r1,2";
    csv_t t;
    cr_assert_eq(csv_parse(in, strlen(in), &t, NULL), 0);
    cr_assert_eq(t.n, 2);
    cr_assert_str_eq(t.rows[1].cells[1], "2");
    csv_free(&t);
}

Test(csv, an_unclosed_quote_is_refused_with_its_line)
{
    const char in[] = "a,b\n1,2\n3,\"never\nclosed\n";
    csv_t t;
    char *cause = NULL;
    cr_assert_eq(csv_parse(in, strlen(in), &t, &cause), BU_EINVAL);
    cr_assert(strstr(cause, "line 3") != NULL, "%s", cause);
    cr_assert_eq(t.n, 0);
    free(cause);
}

Test(csv, text_after_a_closing_quote_is_refused)
{
    const char in[] = "a,b\n\"x\"y,2\n";
    csv_t t;
    char *cause = NULL;
    cr_assert_eq(csv_parse(in, strlen(in), &t, &cause), BU_EINVAL);
    cr_assert(strstr(cause, "line 2") != NULL, "%s", cause);
    free(cause);
}

Test(csv, text_that_is_not_utf8_is_refused)
{
    /* "caf\xe9" is Latin-1, as an old spreadsheet might save it */
    const char in[] = "a\nok\ncaf\xe9\n";
    csv_t t;
    char *cause = NULL;
    cr_assert_eq(csv_parse(in, strlen(in), &t, &cause), BU_EINVAL);
    cr_assert(strstr(cause, "line 3") != NULL, "%s", cause);
    cr_assert(strstr(cause, "UTF-8") != NULL, "%s", cause);
    free(cause);
}

Test(csv, a_nul_byte_is_refused)
{
    const char in[] = "a,b\n1\0002\n";
    csv_t t;
    cr_assert_eq(csv_parse(in, sizeof in - 1, &t, NULL), BU_EINVAL);
}

Test(csv, utf8_check_refuses_overlong_and_surrogates)
{
    cr_assert(csv_utf8_ok("ትግርኛ العربية", strlen("ትግርኛ العربية")));
    cr_assert(!csv_utf8_ok("\xc0\xaf", 2));         /* overlong '/' */
    cr_assert(!csv_utf8_ok("\xed\xa0\x80", 3));     /* U+D800 */
    cr_assert(!csv_utf8_ok("\xe2\x82", 2));         /* cut short */
    cr_assert(!csv_utf8_ok("\xf4\x90\x80\x80", 4)); /* beyond U+10FFFF */
}
