/*
 * test_board.c -- behaviour tests for node/board_text.c (the outage kit's
 * message catalogue) and node/board.c (the board's pages and the sheet).
 */
#include "node/board.h"
#include "node/home.h"
#include "node/private.h"
#include "node/setup.h"
#include "proto/err.h"
#include "tests/lib/fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- the catalogue */

Test(board_text, every_message_has_every_language_and_templates_one_placeholder)
{
    for (int l = 0; l < LANG__COUNT; l++)
        for (int t = 0; t < T__COUNT; t++) {
            const char *s = board_text((lang_t)l, (text_id_t)t);
            cr_assert(s[0], "text %d empty in %s", t, board_lang_code((lang_t)l));
            const char *p = strchr(s, '%');
            if (p) {
                cr_assert(p[1] == 's' && !strchr(p + 2, '%'), "text %d in %s: '%s'", t,
                          board_lang_code((lang_t)l), s);
            }
        }
}

Test(board_text, templates_are_filled_without_printf)
{
    char out[64];
    board_fmt(LANG_EN, T_PRINTED_BY, "%n%s", out, sizeof out);
    cr_assert_str_eq(out, "Printed by %n%s");
    board_fmt(LANG_TR, T_SINCE, "29-11", out, sizeof out);
    cr_assert_str_eq(out, "29-11 tarihinden beri");
}

Test(board_text, languages_from_codes_and_accept_language)
{
    cr_assert_eq(board_lang_parse("ar"), LANG_AR);
    cr_assert_eq(board_lang_parse("TR-tr"), LANG_TR);
    cr_assert_eq(board_lang_parse("de"), -1);
    cr_assert_eq(board_lang_parse("arx"), -1);
    cr_assert_eq(board_lang_parse(NULL), -1);
    cr_assert_eq(board_lang_accept("de-DE,tr;q=0.9,en;q=0.8", LANG_NL), LANG_TR);
    cr_assert_eq(board_lang_accept("en;q=0.2, ar", LANG_NL), LANG_AR);
    cr_assert_eq(board_lang_accept("fr, de", LANG_NL), LANG_NL);
    cr_assert_eq(board_lang_accept(";;;,,,q=", LANG_EN), LANG_EN);
    cr_assert_eq(board_lang_accept(NULL, LANG_NL), LANG_NL);
    cr_assert(board_lang_rtl(LANG_AR) && !board_lang_rtl(LANG_NL));
}

Test(board_text, status_words_and_icons_never_colour_alone)
{
    const char *st[] = {"open", "limited", "alternative", "closed", "overloaded"};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_str_neq(board_status_icon(st[i]), "?");
        for (int l = 0; l < LANG__COUNT; l++)
            cr_assert_str_neq(board_token((lang_t)l, st[i]), st[i], "no %s word for %s",
                              board_lang_code((lang_t)l), st[i]);
    }
    cr_assert_str_eq(board_token(LANG_NL, "closed"), "Dicht");
    cr_assert_str_eq(board_token(LANG_AR, "doorstep"), "عند الباب");
    cr_assert_str_eq(board_token(LANG_EN, "no-such-token"), "no-such-token");
    cr_assert_str_eq(board_status_icon("bogus"), "?");
}

Test(board_text, ages_in_the_reader_s_language)
{
    char out[64];
    board_age(LANG_NL, 30000, out, sizeof out);
    cr_assert_str_eq(out, "zojuist");
    board_age(LANG_EN, 5 * 60000, out, sizeof out);
    cr_assert_str_eq(out, "5 min ago");
    board_age(LANG_TR, 3 * 3600000LL, out, sizeof out);
    cr_assert_str_eq(out, "3 saat önce");
    board_age(LANG_AR, 3 * 86400000LL, out, sizeof out);
    cr_assert_str_eq(out, "منذ 3 يوم");
}

Test(board, escape_leaves_no_markup_from_records)
{
    buf_t b = {0};
    board_escape(&b, "<script>alert('x')</script> & \"q\"\x01");
    cr_assert_str_eq(buf_cstr(&b),
                     "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; ");
    buf_free(&b);
}

Test(board, qr_code_is_an_inline_svg)
{
    buf_t b = {0};
    board_qr_svg("http://192.168.1.20:8080/", &b);
    cr_assert(strncmp(buf_cstr(&b), "<svg", 4) == 0);
    cr_assert(strstr(buf_cstr(&b), "<path") && strstr(buf_cstr(&b), "</svg>"));
    buf_free(&b);
}

/* ---- pages from a repo */

static char s_root[64];
static repo_t *s_r;

static void s_setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    strcpy(s_root, "/tmp/buurt-test-board-XXXXXX");
    cr_assert_not_null(mkdtemp(s_root));
    char *home = xasprintf("%s/h", s_root), *cause = NULL;
    cr_assert_eq(home_init(home, "Buurthuis <Kroon>", NULL, &cause), 0, "%s", cause ? cause : "");
    cr_assert_eq(repo_open(home, &s_r, &cause), 0, "%s", cause ? cause : "");
    free(home);
}

static void s_teardown(void)
{
    repo_close(&s_r);
    fx_rm_tree(s_root);
}

static void s_place(const char *name, const char *area, const char *status, uint8_t id[32])
{
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str(name));
    pv_map_set(f, "kinds", fx_list1("library"));
    pv_map_set(f, "area", pv_str(area));
    pv_map_set(f, "status", pv_str(status));
    pv_map_set(f, "channels", fx_list1("doorstep"));
    char *cause = NULL;
    cr_assert_eq(repo_edit(s_r, REC_PLACE, NULL, f, id, &cause), 0, "%s", cause ? cause : "");
    pv_free(&f);
}

static int s_render(board_page_t page, lang_t lang, const char *area, size_t from, buf_t *out)
{
    board_req_t q = {.page = page, .lang = lang, .area = area, .from = from, .now_ms = repo_now(s_r)};
    buf_reset(out);
    return board_render(s_r, &q, out);
}

TestSuite(board, .init = s_setup, .fini = s_teardown);

Test(board, places_show_status_word_icon_and_channels_escaped)
{
    uint8_t id[32];
    s_place("Bieb <b>Zuid</b>", "Feijenoord", "closed", id);
    buf_t b = {0};
    cr_assert_eq(s_render(BOARD_HOME, LANG_NL, NULL, 0, &b), 200);
    const char *h = buf_cstr(&b);
    cr_assert(strstr(h, "Bieb &lt;b&gt;Zuid&lt;/b&gt;"));
    cr_assert(strstr(h, "✖ Dicht"));
    cr_assert(strstr(h, "Werkt nog: Aan de deur"));
    cr_assert(!strstr(h, "<b>Zuid"));
    cr_assert(!strstr(h, "<script"));
    cr_assert_eq(s_render(BOARD_HOME, LANG_AR, NULL, 0, &b), 200);
    cr_assert(strstr(buf_cstr(&b), "<html lang=\"ar\" dir=\"rtl\">"));
    buf_free(&b);
}

Test(board, a_place_page_404s_for_unknown_and_other_kinds)
{
    uint8_t id[32], other[32] = {1};
    s_place("Bieb", "Feijenoord", "open", id);
    buf_t b = {0};
    board_req_t q = {.page = BOARD_PLACE, .lang = LANG_EN, .now_ms = repo_now(s_r)};
    memcpy(q.id, id, 32);
    cr_assert_eq(board_render(s_r, &q, &b), 200);
    cr_assert(strstr(buf_cstr(&b), "Bieb"));
    buf_reset(&b);
    memcpy(q.id, other, 32);
    cr_assert_eq(board_render(s_r, &q, &b), 404);
    cr_assert(strstr(buf_cstr(&b), "Page not found"));
    buf_free(&b);
}

Test(board, long_lists_are_cut_into_pages_of_at_most_30_kb)
{
    uint8_t id[32];
    char name[140];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "Plek %03d met een lange naam om de pagina te vullen %s", i,
                 "&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&");
        s_place(name, i % 2 ? "Feijenoord" : "Afrikaanderwijk", "limited", id);
    }
    buf_t b = {0};
    size_t from = 0, pages = 0, seen = 0;
    for (;;) {
        cr_assert_eq(s_render(BOARD_HOME, LANG_AR, NULL, from, &b), 200);
        cr_assert_leq(b.len, BOARD_PAGE_MAX, "page %zu is %zu bytes", pages, b.len);
        const char *h = buf_cstr(&b);
        for (const char *p = h; (p = strstr(p, "<li>")) != NULL; p++)
            seen++;
        pages++;
        const char *next = strstr(h, "<p><a href=\"/?from="); /* the next-page link */
        if (!next)
            break;
        size_t to = (size_t)strtoul(next + strlen("<p><a href=\"/?from="), NULL, 10);
        cr_assert_gt(to, from);
        from = to;
        cr_assert_lt(pages, 100);
    }
    cr_assert_gt(pages, 1);
    cr_assert_eq(seen, 300, "every place on exactly one page: %zu", seen);
    buf_free(&b);
}

Test(board, private_records_never_appear_even_when_readable_here)
{
    uint8_t id[32], co[32];
    s_place("Bieb", "Feijenoord", "open", id);
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("Geheime Kring"));
    pv_map_set(f, "private", pv_bool(true));
    char *cause = NULL;
    int rc = private_create(s_r, f, co, &cause);
    pv_free(&f);
    cr_assert_eq(rc, 0, "%s", cause ? cause : "");
    char hex[65];
    hex_encode(co, 32, hex);
    f = pv_map();
    pv_map_set(f, "category", pv_str("food"));
    pv_map_set(f, "summary", pv_str("hidden households"));
    pv_map_set(f, "area", pv_str("Feijenoord"));
    pv_map_set(f, "coalition", pv_str(hex));
    uint8_t nid[32];
    rc = repo_edit_private(s_r, REC_NEED, 0, co, f, nid, &cause);
    pv_free(&f);
    cr_assert_eq(rc, 0, "%s", cause ? cause : "");
    cr_assert_not_null(repo_entity(s_r, nid), "this node reads the need");
    buf_t b = {0};
    board_page_t pages[] = {BOARD_HOME, BOARD_NEEDS, BOARD_OFFERS, BOARD_BULLETINS, BOARD_SHEET};
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        s_render(pages[i], LANG_EN, NULL, 0, &b);
        cr_assert(!strstr(buf_cstr(&b), "hidden households"), "page %zu", i);
        cr_assert(!strstr(buf_cstr(&b), "Geheime Kring"), "page %zu", i);
    }
    board_req_t q = {.page = BOARD_PLACE, .lang = LANG_EN, .now_ms = repo_now(s_r)};
    memcpy(q.id, co, 32);
    buf_reset(&b);
    cr_assert_eq(board_render(s_r, &q, &b), 404);
    buf_free(&b);
}

Test(board, the_sheet_names_the_node_and_carries_the_qr_code)
{
    uint8_t id[32];
    s_place("Bieb", "Feijenoord", "alternative", id);
    buf_t b = {0};
    board_req_t q = {.page = BOARD_SHEET, .lang = LANG_EN, .now_ms = repo_now(s_r),
                     .url = "http://10.0.0.2:8080/"};
    cr_assert_eq(board_render(s_r, &q, &b), 200);
    const char *h = buf_cstr(&b);
    cr_assert(strstr(h, "Printed by Buurthuis &lt;Kroon&gt;"));
    cr_assert(strstr(h, "<svg") && strstr(h, "http://10.0.0.2:8080/"));
    cr_assert(strstr(h, "↪ Open in another way"));
    cr_assert(strstr(h, "@page{size:A4"));
    buf_free(&b);
}
