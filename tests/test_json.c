/*
 * test_json.c -- behaviour tests for proto/json.c: what the strict reader
 * accepts (every kind of value, escapes and surrogate pairs, numbers kept
 * as written, a byte order mark) and what it refuses, with the line it
 * names: malformed numbers, trailing commas, duplicate names, bad UTF-8,
 * control characters, lone surrogates, depth and text after the value.
 */
#include "proto/err.h"
#include "proto/json.h"
#include "proto/util.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static json_t *s_ok(const char *text)
{
    json_t *v = NULL;
    char *cause = NULL;
    int rc = json_parse(text, strlen(text), &v, &cause);
    cr_assert_eq(rc, 0, "refused %s: %s", text, cause ? cause : "");
    cr_assert_not_null(v);
    return v;
}

/* Refused, and the cause contains want. */
static void s_refused(const char *text, size_t len, const char *want)
{
    json_t *v = (json_t *)1;
    char *cause = NULL;
    int rc = json_parse(text, len, &v, &cause);
    cr_assert_eq(rc, BU_EINVAL, "accepted: %.*s", (int)len, text);
    cr_assert_null(v);
    cr_assert_not_null(cause);
    cr_assert(strstr(cause, want), "cause '%s' does not say '%s'", cause, want);
    free(cause);
}
#define REFUSED(lit, want) s_refused(lit, sizeof lit - 1, want)

Test(json, an_hsds_row_reads_with_numbers_kept_as_written)
{
    json_t *v = s_ok("{\"id\": \"a1\", \"latitude\": 51.9055, \"longitude\": -4.5e-1, \"n\": 0,\n"
                     " \"ok\": true, \"no\": false, \"none\": null, \"list\": [1, \"x\", []]}");
    cr_assert_eq(v->type, JSON_OBJ);
    cr_assert_eq(v->n, 8);
    cr_assert_str_eq(json_get(v, "id")->s, "a1");
    cr_assert_eq(json_get(v, "latitude")->type, JSON_NUM);
    cr_assert_str_eq(json_get(v, "latitude")->s, "51.9055");
    cr_assert_str_eq(json_get(v, "longitude")->s, "-4.5e-1");
    cr_assert_str_eq(json_get(v, "n")->s, "0");
    cr_assert(json_get(v, "ok")->b && !json_get(v, "no")->b);
    cr_assert_eq(json_get(v, "none")->type, JSON_NULL);
    const json_t *l = json_get(v, "list");
    cr_assert_eq(l->n, 3);
    cr_assert_eq(l->items[2]->type, JSON_ARR);
    cr_assert_eq(json_get(v, "ok")->line, 2);
    cr_assert_null(json_get(v, "missing"));
    cr_assert_null(json_get(l, "id"));
    json_destroy(&v);
    cr_assert_null(v);
    json_destroy(&v);
    json_destroy(NULL);
}

Test(json, escapes_and_surrogate_pairs_decode_to_utf8)
{
    json_t *v = s_ok("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\u1200 \\ud83d\\ude00 مسجد\"");
    cr_assert_str_eq(v->s, "q\" b\\ s/ \b\f\n\r\t \xc3\xa9 \xe1\x88\x80 \xf0\x9f\x98\x80 مسجد");
    json_destroy(&v);
}

Test(json, a_byte_order_mark_and_surrounding_whitespace_are_skipped)
{
    json_t *v = s_ok("\xef\xbb\xbf \r\n\t[ ]\n ");
    cr_assert_eq(v->type, JSON_ARR);
    cr_assert_eq(v->n, 0);
    json_destroy(&v);
    v = s_ok("{}");
    cr_assert_eq(v->type, JSON_OBJ);
    json_destroy(&v);
}

Test(json, numbers_outside_the_grammar_are_refused)
{
    REFUSED("01", "leading zero");
    REFUSED("[1.]", "decimal point");
    REFUSED("[.5]", "expected a value");
    REFUSED("[+1]", "expected a value");
    REFUSED("[-]", "'-' not followed");
    REFUSED("[1e]", "exponent");
    REFUSED("[NaN]", "expected a value");
    REFUSED("[Infinity]", "expected a value");
}

Test(json, trailing_commas_and_missing_separators_are_refused_with_the_line)
{
    REFUSED("[1,\n2,\n]", "line 3: a comma before ']'");
    REFUSED("{\"a\": 1,}", "a comma before '}'");
    REFUSED("{\"a\" 1}", "expected ':'");
    REFUSED("[1 2]", "expected ',' or ']'");
    REFUSED("{a: 1}", "member name in quotes");
    REFUSED("[1, 2", "expected ',' or ']'");
    REFUSED("", "ends where a value was expected");
    REFUSED("[1] [2]", "more text after the value");
    REFUSED("tru", "expected a value");
}

Test(json, a_name_twice_in_one_object_is_refused)
{
    REFUSED("{\"id\": 1, \"name\": \"a\", \"id\": 2}", "\"id\" twice");
    json_t *v = s_ok("[{\"id\": 1}, {\"id\": 2}]"); /* the same name in two objects is fine */
    json_destroy(&v);
}

Test(json, strings_that_are_not_clean_text_are_refused)
{
    REFUSED("\"abc", "never closed");
    REFUSED("\"a\nb\"", "control character");
    REFUSED("\"\\x41\"", "unknown escape");
    REFUSED("\"\\u12G4\"", "unknown escape");
    REFUSED("\"\\ude00\"", "lone low surrogate");
    REFUSED("\"\\ud83d x\"", "not followed by a low one");
    REFUSED("\"\\u0000\"", "\\u0000");
    REFUSED("\"\xc3\x28\"", "not valid UTF-8");
    REFUSED("\"\xed\xa0\x80\"", "not valid UTF-8"); /* a surrogate written as UTF-8 */
    REFUSED("\"\xc0\xaf\"", "not valid UTF-8");     /* overlong */
    REFUSED("[\"a\"]\0[]", "NUL byte");
}

Test(json, nesting_is_bounded_while_reading)
{
    char deep[2 * JSON_MAX_DEPTH + 3];
    memset(deep, '[', JSON_MAX_DEPTH + 1);
    memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
    s_refused(deep, 2 * JSON_MAX_DEPTH + 2, "nested more than");
    /* exactly the limit is fine */
    json_t *v = NULL;
    char *cause = NULL;
    cr_assert_eq(json_parse(deep + 1, 2 * JSON_MAX_DEPTH, &v, &cause), 0, "%s", cause ? cause : "");
    json_destroy(&v);
    /* an unbounded prefix never gets built: refused at the limit */
    size_t n = 100000;
    char *many = xmalloc(n);
    memset(many, '[', n);
    s_refused(many, n, "nested more than");
    free(many);
}

Test(json, objects_are_bounded_in_members)
{
    buf_t b = {0};
    buf_putc(&b, '{');
    for (int i = 0; i <= JSON_MAX_MEMBERS; i++)
        buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
    buf_putc(&b, '}');
    s_refused((const char *)b.data, b.len, "more than");
    buf_free(&b);
}

Test(json, text_need_not_be_nul_terminated)
{
    const char text[] = {'[', '1', ',', '2', ']'};
    json_t *v = NULL;
    cr_assert_eq(json_parse(text, sizeof text, &v, NULL), 0);
    cr_assert_eq(v->n, 2);
    json_destroy(&v);
    cr_assert_eq(json_parse(text, 4, &v, NULL), BU_EINVAL); /* "[1,2" */
}
