/*
 * test_text.c -- proto/text.c: terminal widths of UTF-8 text in the
 * scripts buurt's users write (Dutch, Turkish, Arabic, Tigrinya), with
 * combining marks and emoji, and fitting text into fewer columns without
 * cutting a character or parting a mark from its letter. The width table
 * is checked against glibc's wcwidth in C.UTF-8 for the blocks that matter.
 */
#include "proto/text.h"
#include "proto/util.h"

#include <criterion/criterion.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* text_fit of s into cols: the text (static buffer) and its columns. */
static const char *s_fit(const char *s, size_t cols, size_t *w)
{
    static char out[512];
    buf_t b = {0};
    *w = text_fit(&b, s, cols);
    cr_assert_lt(b.len, sizeof out);
    if (b.len) /* an empty fit has no buffer: no memcpy from NULL */
        memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    buf_free(&b);
    return out;
}

/* True when s is valid UTF-8 throughout. */
static bool s_valid(const char *s)
{
    while (*s) {
        uint32_t cp;
        size_t n = utf8_decode(s, &cp);
        if (n == 0)
            return false;
        s += n;
    }
    return true;
}

Test(text, widths_count_columns_not_bytes_or_code_points)
{
    static const struct {
        const char *s;
        size_t w;
    } cases[] = {
        {"", 0},
        {"Feijenoord", 10},
        /* Turkish: İ ı ş ğ ç ö ü are one column each (two bytes each) */
        {"\xc4\xb0stanbul", 8},                          /* İstanbul */
        {"Ka\xc5\x9f\xc4\xb1k", 5},                      /* Kaşık */
        {"\xc3\xa7\xc3\xb6\xc3\xbc\xc4\x9f", 4},         /* çöüğ */
        /* Arabic letters one column; harakat (fatha, kasra, shadda) none */
        {"\xd8\xb7\xd8\xb9\xd8\xa7\xd9\x85", 4},         /* طعام */
        {"\xd9\x85\xd9\x8e\xd8\xaf\xd9\x92\xd8\xb1\xd9\x8e\xd8\xb3\xd9\x8e\xd8\xa9", 5}, /* مَدْرَسَة */
        {"\xd8\xb4\xd9\x91", 1},                          /* شّ */
        /* Tigrinya (Ethiopic): one column per syllable, 3 bytes each */
        {"\xe1\x88\x93\xe1\x8c\x88\xe1\x8b\x9d", 3},     /* ሓገዝ */
        /* Latin combining marks: e + combining acute is one column */
        {"cafe\xcc\x81", 4},
        /* emoji and CJK: two columns */
        {"\xf0\x9f\x8d\x9e", 2},                          /* 🍞 */
        {"food \xf0\x9f\x8d\x9e!", 8},
        {"\xe9\xa3\x9f", 2},                              /* 食 */
        /* format controls: ZWJ, bidi isolates */
        {"a\xe2\x80\x8d" "b", 2},
        {"\xe2\x81\xa8" "x\xe2\x81\xa9", 1},
        /* a byte that is not UTF-8 counts one column */
        {"a\xff" "b", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_expect_eq(text_width(cases[i].s), cases[i].w, "case %zu '%s': %zu columns, want %zu", i,
                     cases[i].s, text_width(cases[i].s), cases[i].w);
}

Test(text, fitting_text_that_fits_leaves_it_whole)
{
    size_t w;
    cr_assert_str_eq(s_fit("Moskee Mevlana", 14, &w), "Moskee Mevlana");
    cr_assert_eq(w, 14);
    cr_assert_str_eq(s_fit("\xd8\xb7\xd8\xb9\xd8\xa7\xd9\x85", 4, &w), "\xd8\xb7\xd8\xb9\xd8\xa7\xd9\x85");
    cr_assert_eq(w, 4);
    cr_assert_str_eq(s_fit("", 0, &w), "");
    cr_assert_eq(w, 0);
}

Test(text, fitting_cuts_whole_characters_and_ends_with_an_ellipsis)
{
    size_t w;
    cr_assert_str_eq(s_fit("Bibliotheek Afrikaanderwijk", 10, &w), "Bibliothe\xe2\x80\xa6");
    cr_assert_eq(w, 10);
    /* Turkish: two-byte letters are never split */
    cr_assert_str_eq(s_fit("\xc4\xb0\xc5\x9f\xc4\xb1k \xc3\xa7ar\xc5\x9f\xc4\xb1", 4, &w),
                     "\xc4\xb0\xc5\x9f\xc4\xb1\xe2\x80\xa6"); /* İşı… */
    cr_assert_eq(w, 4);
    /* Tigrinya: three-byte syllables */
    cr_assert_str_eq(s_fit("\xe1\x88\x93\xe1\x8c\x88\xe1\x8b\x9d", 2, &w), "\xe1\x88\x93\xe2\x80\xa6");
    cr_assert_eq(w, 2);
    /* Arabic with harakat: a mark stays with its letter */
    cr_assert_str_eq(s_fit("\xd9\x85\xd9\x8e\xd8\xaf\xd9\x92\xd8\xb1\xd9\x8e\xd8\xb3", 3, &w),
                     "\xd9\x85\xd9\x8e\xd8\xaf\xd9\x92\xe2\x80\xa6"); /* مَدْ… */
    cr_assert_eq(w, 3);
    /* an emoji that does not fit in what is left is left out whole */
    cr_assert_str_eq(s_fit("ab\xf0\x9f\x8d\x9e\xf0\x9f\x8d\x9e", 4, &w), "ab\xe2\x80\xa6");
    cr_assert_eq(w, 3);
    cr_assert_str_eq(s_fit("long", 1, &w), "\xe2\x80\xa6");
    cr_assert_eq(w, 1);
    cr_assert_str_eq(s_fit("long", 0, &w), "");
    cr_assert_eq(w, 0);
}

Test(text, every_cut_of_mixed_text_is_valid_utf8_within_the_columns)
{
    const char *s = "Voedselbank \xd8\xb7\xd9\x8e\xd8\xb9\xd8\xa7\xd9\x85 \xe1\x88\x93\xe1\x8c\x88\xe1\x8b\x9d "
                    "\xc4\xb0\xc5\x9f \xf0\x9f\x8d\x9e \xe9\xa3\x9f cafe\xcc\x81";
    size_t full = text_width(s);
    for (size_t cols = 0; cols <= full + 2; cols++) {
        size_t w;
        const char *out = s_fit(s, cols, &w);
        cr_expect(s_valid(out), "cut at %zu columns is not valid UTF-8", cols);
        cr_expect_eq(text_width(out), w, "cut at %zu: says %zu columns, has %zu", cols, w,
                     text_width(out));
        cr_expect_leq(w, cols, "cut at %zu columns is %zu wide", cols, w);
        if (cols >= full)
            cr_expect_str_eq(out, s);
        else if (cols > 0)
            cr_expect(strstr(out, "\xe2\x80\xa6") != NULL && w >= cols - 1,
                      "cut at %zu: '%s' is %zu wide", cols, out, w);
    }
}

Test(text, right_to_left_text_is_recognised)
{
    cr_assert(text_has_rtl("\xd8\xb7\xd8\xb9\xd8\xa7\xd9\x85"));        /* Arabic */
    cr_assert(text_has_rtl("food / \xd8\xb7\xd8\xb9\xd8\xa7\xd9\x85")); /* mixed */
    cr_assert(text_has_rtl("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"));        /* Hebrew */
    cr_assert(text_has_rtl("\xef\xbb\xb7"));                            /* presentation form */
    cr_assert_not(text_has_rtl("Feijenoord"));
    cr_assert_not(text_has_rtl("\xc4\xb0stanbul"));
    cr_assert_not(text_has_rtl("\xe1\x88\x93\xe1\x8c\x88\xe1\x8b\x9d")); /* Tigrinya is LTR */
    cr_assert_not(text_has_rtl("a\xff"));
    cr_assert_not(text_has_rtl(""));
}

/* The table agrees with glibc's wcwidth where buurt's users write: Latin
 * to Cyrillic, Hebrew and Arabic, Ethiopic, punctuation, CJK, Hangul,
 * fullwidth forms and emoji (code points glibc does not know are skipped). */
Test(text, widths_agree_with_glibc_for_the_scripts_that_matter)
{
    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        cr_skip_test("no C.UTF-8 locale to compare with");
    static const uint32_t blocks[][2] = {
        {0x20, 0x58f},     {0x590, 0x8ff},     {0x1200, 0x139f},  {0x2000, 0x206f},
        {0x2d80, 0x2ddf},  {0x3000, 0x9fff},   {0xab00, 0xab2f},  {0xac00, 0xd7a3},
        {0xfb1d, 0xfeff},  {0xff00, 0xffef},   {0x1f000, 0x1faff},
    };
    size_t checked = 0;
    for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++)
        for (uint32_t cp = blocks[b][0]; cp <= blocks[b][1]; cp++) {
            int g = wcwidth((wchar_t)cp);
            if (g < 0)
                continue;
            checked++;
            cr_expect_eq(text_cp_width(cp), g, "U+%04X: %d columns, glibc says %d", (unsigned)cp,
                         text_cp_width(cp), g);
        }
    cr_assert_gt(checked, 10000);
}
