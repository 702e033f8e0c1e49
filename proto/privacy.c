/*
 * privacy.c -- rec_privacy_scan() (declared in record.h): the guard that
 * refuses obvious resident-identifying data in free text before it is
 * signed into the shared directory. A pure function: text in, a verdict
 * and a one-line cause out; no I/O, no clock, no locale.
 *
 * It reads text the way people in Rotterdam-Zuid write it, in Dutch,
 * English and Turkish. Arabic-Indic digits (٠١٢..., ۰۱۲...) are read as
 * digits, so a phone number written in them is caught too; words in
 * Arabic or Tigrinya script are never taken for names or streets.
 *
 * The rules, tried in this order; the first that matches gives the cause:
 *
 *  rule             refused                                  accepted
 *  e-mail           x@y.z; x (at) y.z, x [at] y (dot) z,      a@b; "information at rotterdam.nl",
 *                   x at y.z                                  "at www.x.nl", "at x.nl/path"
 *  phone            9+ digits starting with + or 0,           "ma-vr 10-18", "10:00-14:00"
 *                   separators (space - . ( ) /) allowed
 *  BSN-like         9 digits passing the 11-test
 *  9-digit number   9 digits not starting with 0, alone or    "2026-11-23 10:00", hex ids,
 *                   in groups of 2-4 joined by one space,     runs of 10 or more digits
 *                   dot or dash ("123 456 789")
 *  street address   Dutch: a street name ending in straat,    "op het Afrikaanderplein van 9
 *                   laan, weg, plein, gracht, kade, singel,   tot 16 uur", "Kerkstraat 10-14",
 *                   dijk, hof, pad, steeg, dreef, kant or     "Putselaan 9:00", "Kerkstraat"
 *                   park (+ "van Meerdervoort" style name
 *                   words) and a house number ("12", "5a");
 *                   English: a house number, a capitalised
 *                   name and Street, Road, Lane, ...;
 *                   Turkish: sokak, cadde, bulvar, mahalle,
 *                   apt ... [No:] number
 *  date of birth    a birth word (geboren, geb., geboorte-    "open on 12-03", "vanaf 1 december
 *                   datum, born, DOB, date of birth, doğum,   2026", "geboren in 1980" (a year
 *                   تاريخ الميلاد, ልደት) followed within 30    alone is no date of birth)
 *                   bytes by a full date (day, month, year)
 *  title + name     mevrouw, mevr., mw., meneer, mijnheer,    "MS Teams", "de Heer"
 *                   dhr., mr., mrs., ms., bay, bayan + a
 *                   capitalised name or an initial
 *  name + initial   a capitalised name, then one capital      "Zaal B.", "Plan B." (rooms,
 *                   and a dot: "Fatima B.", "Ayşe K."         groups, lines: a short stop list)
 *
 * A full date without a birth word is never refused: bulletins are full of
 * dates, and telling a birth date from an appointment needs the word.
 */
#include "proto/record.h"

#include "proto/err.h"
#include "proto/util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- characters */

static bool s_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* A byte of a letter: ASCII letters and every byte of a non-ASCII
 * character (this scan does not read other scripts' words). */
static bool s_alpha(unsigned char c)
{
    return isalpha(c) || c >= 0x80;
}

static bool s_alnum(unsigned char c)
{
    return s_digit(c) || s_alpha(c);
}

/* Length of a capital letter at s[i] (ASCII, Latin-1 or Latin
 * Extended-A: İ, Ş, Ç, Ö, Ü, Ł, Ž ...), or 0. */
static size_t s_upper(const char *s, size_t n, size_t i)
{
    unsigned char c = (unsigned char)s[i];
    if (c >= 'A' && c <= 'Z')
        return 1;
    if (c < 0xc2 || c > 0xc5 || i + 1 >= n || ((unsigned char)s[i + 1] & 0xc0) != 0x80)
        return 0;
    unsigned cp = (unsigned)(c & 0x1f) << 6 | ((unsigned char)s[i + 1] & 0x3f);
    bool up = (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) ||
              (cp >= 0x100 && cp <= 0x137 && cp % 2 == 0) ||
              (cp >= 0x139 && cp <= 0x148 && cp % 2 == 1) ||
              (cp >= 0x14a && cp <= 0x177 && cp % 2 == 0) || cp == 0x178 ||
              (cp >= 0x179 && cp <= 0x17e && cp % 2 == 1);
    return up ? 2 : 0;
}

/* End of the word starting at i: letters, with single - or ' inside. */
static size_t s_word_end(const char *s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n) {
        if (s_alpha((unsigned char)s[j]))
            j++;
        else if ((s[j] == '-' || s[j] == '\'') && j > i && j + 1 < n &&
                 s_alpha((unsigned char)s[j + 1]))
            j++;
        else
            break;
    }
    return j;
}

static bool s_word_start(const char *s, size_t i)
{
    return i == 0 || !s_alnum((unsigned char)s[i - 1]);
}

/* True when s[i..j) equals one of list, ASCII case-insensitively. */
static bool s_in(const char *s, size_t i, size_t j, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == j - i && strncasecmp(s + i, *list, j - i) == 0)
            return true;
    return false;
}

/* A capitalised word s[i..j): a capital, then at least one more letter,
 * none of them an ASCII capital ("Jansen", "Öztürk", not "MS"). */
static bool s_capitalised(const char *s, size_t n, size_t i, size_t j)
{
    size_t u = s_upper(s, n, i);
    if (u == 0 || i + u >= j)
        return false;
    for (size_t k = i + u; k < j; k++)
        if (isupper((unsigned char)s[k]))
            return false;
    return true;
}

/* Length of the run of digits at i. */
static size_t s_digits(const char *s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n && s_digit((unsigned char)s[j]))
        j++;
    return j - i;
}

static size_t s_spaces(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] == ' ')
        i++;
    return i;
}

/* text with Arabic-Indic (U+0660..0669) and extended Arabic-Indic
 * (U+06F0..06F9) digits written as ASCII digits; *len its length. */
static char *s_normalise(const char *text, size_t *len)
{
    size_t n = strlen(text), m = 0;
    char *t = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)text[i], b = i + 1 < n ? (unsigned char)text[i + 1] : 0;
        if (a == 0xd9 && b >= 0xa0 && b <= 0xa9) {
            t[m++] = (char)('0' + (b - 0xa0));
            i++;
        } else if (a == 0xdb && b >= 0xb0 && b <= 0xb9) {
            t[m++] = (char)('0' + (b - 0xb0));
            i++;
        } else {
            t[m++] = (char)a;
        }
    }
    t[m] = '\0';
    *len = m;
    return t;
}

/* ---------------------------------------------------------------- e-mail */

/* An address around the @ at s[at]: a local part, a domain with a dot and
 * at least two characters after the last one. *end: where the domain ends. */
static bool s_email_at(const char *s, size_t at, size_t n, size_t *end)
{
    size_t l = at, r = at + 1;
    while (l > 0 && (isalnum((unsigned char)s[l - 1]) || strchr("._%+-", s[l - 1])))
        l--;
    if (l == at)
        return false;
    bool dot = false;
    size_t lastdot = 0;
    while (r < n && (isalnum((unsigned char)s[r]) || s[r] == '.' || s[r] == '-')) {
        if (s[r] == '.') {
            dot = true;
            lastdot = r;
        }
        r++;
    }
    /* a sentence's full stop after the address is not part of it */
    while (r > at + 1 && s[r - 1] == '.')
        r--;
    if (lastdot >= r) {
        lastdot = 0;
        dot = false;
        for (size_t k = at + 1; k < r; k++)
            if (s[k] == '.') {
                dot = true;
                lastdot = k;
            }
    }
    if (end)
        *end = r;
    return dot && lastdot > at + 1 && r - lastdot > 2;
}

/* "(at)", "[at]", "{at}", "<at>" at s[i] (after any spaces), with the
 * spaces after it: its length, or 0. */
static size_t s_bracketed(const char *s, size_t n, size_t i, const char *word)
{
    static const char open[] = "([{<", close[] = ")]}>";
    size_t j = s_spaces(s, n, i), w = strlen(word);
    const char *o = j < n && s[j] ? strchr(open, s[j]) : NULL;
    if (o == NULL || j + w + 2 > n || strncasecmp(s + j + 1, word, w) != 0 ||
        s[j + 1 + w] != close[o - open])
        return 0;
    return s_spaces(s, n, j + w + 2) - i;
}

/* Words before a plain " at " that make it a place, not an address:
 * "information at rotterdam.nl", "register at ggd.nl". */
static const char *const s_at_words[] = {
    "information", "info", "more", "details", "us", "online", "website", "site", "web",
    "register", "registration", "apply", "book", "booking", "available", "found", "find",
    "see", "visit", "read", "here", "there", "open", "meet", "look", "check", "up", "out",
    "in", "help", "order", "call", "news", "questions", "contact", "appointment",
    "appointments", "tickets", "form", "forms", "posted", "published", "listed", "live",
    "it", "them", "this", "that", "news", "answers", "report", "reports", NULL};

static const char *s_email(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '@' && s_email_at(s, i, n, NULL))
            return "text contains an e-mail address";
    /* Written out: rewrite (at) and (dot) as @ and ., then look again. */
    char *t = xmalloc(n + 1);
    bool *plain = xcalloc(n + 1, sizeof *plain);
    size_t m = 0, k;
    for (size_t i = 0; i < n;) {
        if ((k = s_bracketed(s, n, i, "at")) != 0) {
            t[m++] = '@';
            i += k;
        } else if ((k = s_bracketed(s, n, i, "dot")) != 0) {
            t[m++] = '.';
            i += k;
        } else if (s[i] == ' ' && i + 3 < n && strncmp(s + i + 1, "dot ", 4) == 0) {
            t[m++] = '.';
            i += 5;
        } else if (s[i] == ' ' && i + 3 < n && strncmp(s + i + 1, "at ", 3) == 0) {
            size_t w = i; /* the word before */
            while (w > 0 && s_alpha((unsigned char)s[w - 1]))
                w--;
            if (w < i && !s_in(s, w, i, s_at_words)) {
                plain[m] = true;
                t[m++] = '@';
                i += 4;
            } else {
                t[m++] = s[i++];
            }
        } else {
            t[m++] = s[i++];
        }
    }
    t[m] = '\0';
    const char *found = NULL;
    for (size_t i = 0; i < m && !found; i++) {
        size_t end = 0;
        if (t[i] != '@' || !s_email_at(t, i, m, &end))
            continue;
        /* a plain "at" before a web address is where, not who */
        if (plain[i] && (strncasecmp(t + i + 1, "www.", 4) == 0 || (end < m && t[end] == '/')))
            continue;
        found = "text contains an e-mail address (written with 'at')";
    }
    free(t);
    free(plain);
    return found;
}

/* ---------------------------------------------------------------- numbers */

/* BSN 11-test: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 divisible by 11, not all zero. */
static bool s_bsn_ok(const int d[9])
{
    int sum = 0, any = 0;
    for (int i = 0; i < 8; i++) {
        sum += (9 - i) * d[i];
        any |= d[i];
    }
    sum -= d[8];
    return any && sum % 11 == 0;
}

/* Phone numbers and BSN-like numbers, with loose separators. */
static const char *s_phone(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!s_digit(c) && c != '+')
            continue;
        if (i > 0 && isalnum((unsigned char)s[i - 1]))
            continue; /* only start at the beginning of a number */
        /* Collect digits, allowing short runs of separators between groups. */
        int digits[32], nd = 0;
        bool plus = c == '+';
        size_t j = i + plus;
        while (j < n && nd < 32) {
            unsigned char d = (unsigned char)s[j];
            if (s_digit(d)) {
                digits[nd++] = d - '0';
                j++;
            } else if (strchr(" -.()/", d)) {
                /* A short run of separators, as in "(010) 123" or "06 - 123". */
                size_t k = j;
                while (k < n && k - j < 3 && strchr(" -.()/", s[k]))
                    k++;
                if (k == n || !s_digit((unsigned char)s[k]))
                    break;
                j = k;
            } else {
                break;
            }
        }
        if (nd == 9 && s_bsn_ok(digits))
            return "text contains a BSN-like number";
        if (nd >= 9 && (plus || digits[0] == 0))
            return "text contains a phone number";
        i = j;
    }
    return NULL;
}

/* Nine digits not starting with 0: one run, or groups of 2 to 4 digits
 * joined by one space, dot or dash; not part of a longer number or word. */
static const char *s_nine(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!s_digit((unsigned char)s[i]))
            continue;
        if (i > 0 && (s_alnum((unsigned char)s[i - 1]) || s[i - 1] == '+')) {
            i += s_digits(s, n, i) - 1;
            continue;
        }
        size_t g = s_digits(s, n, i), total = g, j = i + g;
        if (g >= 2 && g <= 4) {
            while (total < 9 && j + 1 < n && strchr(" .-", s[j]) &&
                   s_digit((unsigned char)s[j + 1])) {
                size_t g2 = s_digits(s, n, j + 1);
                if (g2 < 2 || g2 > 4)
                    break;
                total += g2;
                j += 1 + g2;
            }
        }
        bool more = j < n && (s_alnum((unsigned char)s[j]) ||
                              (j + 1 < n && strchr(" .-/,", s[j]) &&
                               s_digit((unsigned char)s[j + 1])));
        if (total == 9 && s[i] != '0' && !more)
            return "text contains a 9-digit number (like a BSN or a client number)";
        i = j > i ? j - 1 : i;
    }
    return NULL;
}

/* ---------------------------------------------------------------- addresses */

/* Dutch street names end in these; the second list only when the word is
 * capitalised ("Zuiderpark", not "iPad" or "omweg"). */
static const char *const s_street_any[] = {"straat", "laan", "plein", "gracht", "kade", "singel",
                                           "dijk", "steeg", "dreef", NULL};
static const char *const s_street_cap[] = {"weg", "hof", "pad", "kant", "park", NULL};
/* Name words of a street that are not capitalised: "Laan van Meerdervoort". */
static const char *const s_tussen[] = {"van", "de", "der", "den", "het", "'t", "ter", "ten", "te",
                                       "op", "aan", "in", "bij", "la", "le", "du", "'s", NULL};
/* Words that make a number after a street a count, not a house number. */
static const char *const s_counts[] = {
    "uur", "u", "h", "hours", "hour", "dagen", "dag", "days", "day", "keer", "times", "x",
    "weken", "weeks", "week", "minuten", "minutes", "min", "mensen", "people", "personen",
    "persons", "gezinnen", "families", "kinderen", "children", "euro", "eur", "km", "m",
    "meter", "pakketten", "parcels", "plaatsen", "places", "tot", "to", "until", "t/m", NULL};

/* True when s[i..j) ends in one of list (ASCII case-insensitively). */
static bool s_ends_in(const char *s, size_t i, size_t j, const char *const *list, bool *whole)
{
    for (; *list; list++) {
        size_t l = strlen(*list);
        if (j - i >= l && strncasecmp(s + j - l, *list, l) == 0) {
            *whole = j - i == l;
            return true;
        }
    }
    return false;
}

/* A house number at s[i]: 1 to 4 digits not starting with 0, an optional
 * letter ("5a") or "-hs"/"-III" addition, and no time, range, decimal or
 * count after it. */
static bool s_house_number(const char *s, size_t n, size_t i)
{
    size_t g = s_digits(s, n, i);
    if (g == 0 || g > 4 || s[i] == '0')
        return false;
    size_t j = i + g;
    if (j < n && (s[j] == ':' || s[j] == '%'))
        return false;
    if (j + 1 < n && strchr(".,-/", s[j]) && s_digit((unsigned char)s[j + 1]))
        return false; /* 9.00, 10-14, 2,5 */
    if (j + 3 < n && memcmp(s + j, "\xe2\x80\x93", 3) == 0 && s_digit((unsigned char)s[j + 3]))
        return false; /* 10–14 */
    if (j < n && isalpha((unsigned char)s[j])) {
        if (j + 1 < n && s_alpha((unsigned char)s[j + 1]))
            return false; /* 12uur, 3x... */
        j++;
    } else if (j + 1 < n && s[j] == '-' && isalpha((unsigned char)s[j + 1])) {
        j = s_word_end(s, n, j + 1);
    }
    size_t w = s_spaces(s, n, j);
    if (w > j && w < n && s_alpha((unsigned char)s[w]) && s_in(s, w, s_word_end(s, n, w), s_counts))
        return false;
    if (w < n && s[w] == 't' && w + 3 <= n && strncmp(s + w, "t/m", 3) == 0)
        return false;
    return true;
}

static bool s_dutch_street(const char *s, size_t n, size_t i, size_t j)
{
    bool whole = false;
    if (s_ends_in(s, i, j, s_street_any, &whole)) {
        if (whole && !s_capitalised(s, n, i, j))
            return false;
    } else if (s_ends_in(s, i, j, s_street_cap, &whole)) {
        if (!s_capitalised(s, n, i, j))
            return false;
    } else {
        return false;
    }
    static const char *const nr[] = {"nr", "no", "nummer", "huisnummer", NULL};
    bool lastcap = true;
    size_t p = j;
    for (int words = 0; words < 5; words++) {
        size_t q = s_spaces(s, n, p);
        if (q == p || q >= n)
            return false;
        if (s_digit((unsigned char)s[q]))
            return lastcap && s_house_number(s, n, q);
        if (!s_alpha((unsigned char)s[q]) && s[q] != '\'')
            return false;
        size_t e = s_word_end(s, n, q + (s[q] == '\''));
        if (s_in(s, q, e, nr)) {
            p = e < n && s[e] == '.' ? e + 1 : e;
        } else if (s_in(s, q, e, s_tussen)) {
            lastcap = false;
            p = e;
        } else if (s_capitalised(s, n, q, e)) {
            lastcap = true;
            p = e;
        } else {
            return false;
        }
    }
    return false;
}

static const char *const s_street_en[] = {
    "Street", "St", "Road", "Rd", "Lane", "Avenue", "Ave", "Close", "Drive", "Way", "Court",
    "Crescent", "Terrace", "Gardens", "Grove", "Square", "Place", "Row", "Walk", "Mews",
    "Parade", "Boulevard", NULL};

/* "12 High Street", "5a Church Road": number, capitalised words, a street word. */
static bool s_english_street(const char *s, size_t n, size_t i)
{
    size_t g = s_digits(s, n, i);
    if (g == 0 || g > 4 || s[i] == '0')
        return false;
    size_t p = i + g;
    if (p < n && isalpha((unsigned char)s[p]) && (p + 1 >= n || !s_alpha((unsigned char)s[p + 1])))
        p++;
    for (int w = 0; w < 4; w++) {
        if (p + 1 >= n || s[p] != ' ')
            return false;
        size_t e = s_word_end(s, n, p + 1);
        if (!s_capitalised(s, n, p + 1, e))
            return false;
        if (w > 0 && s_in(s, p + 1, e, s_street_en))
            return true;
        p = e;
    }
    return false;
}

/* Turkish: "Gül Sokak No: 5", "Atatürk Cad. 12", "Cumhuriyet Mah. No 3". */
static bool s_turkish_street(const char *s, size_t n, size_t i, size_t j)
{
    static const char *const full[] = {"sokak", "soka\xc4\x9f\xc4\xb1", "sokagi", "cadde",
                                       "caddesi", "bulvar", "bulvar\xc4\xb1", "bulvari",
                                       "mahalle", "mahallesi", "apartman",
                                       "apartman\xc4\xb1", "apartmani", NULL};
    static const char *const abbr[] = {"sok", "sk", "cad", "cd", "blv", "mah", "apt", NULL};
    bool short_form = s_in(s, i, j, abbr);
    if (!short_form && !s_in(s, i, j, full))
        return false;
    size_t p = j;
    bool dot = p < n && s[p] == '.';
    p = s_spaces(s, n, p + dot);
    bool no = false;
    if (p + 1 < n && strncasecmp(s + p, "no", 2) == 0 && !s_alpha((unsigned char)s[p + 2])) {
        no = true;
        p += 2;
        if (p < n && (s[p] == ':' || s[p] == '.'))
            p++;
        p = s_spaces(s, n, p);
    }
    if (short_form && !dot && !no)
        return false;
    size_t g = s_digits(s, n, p), e = p + g;
    return g >= 1 && g <= 4 && s[p] != '0' &&
           !(e + 1 < n && s_alpha((unsigned char)s[e]) && s_alpha((unsigned char)s[e + 1]));
}

static const char *s_address(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!s_word_start(s, i))
            continue;
        if (s_digit((unsigned char)s[i])) {
            if (s_english_street(s, n, i))
                return "text contains a street address with a house number";
            continue;
        }
        if (!s_alpha((unsigned char)s[i]))
            continue;
        size_t j = s_word_end(s, n, i);
        if (s_dutch_street(s, n, i, j) || s_turkish_street(s, n, i, j))
            return "text contains a street address with a house number";
        i = j - 1;
    }
    return NULL;
}

/* ---------------------------------------------------------------- dates of birth */

/* Words for birth. ASCII ones must stand as words; the others match
 * anywhere (Arabic and Ethiopic have no case, and a prefix like ال may
 * come before). */
static const char *const s_birth_ascii[] = {"geboren", "geb", "geboortedatum", "geboortedag",
                                            "born", "dob", "d.o.b", "date of birth",
                                            "birth date", "birthdate", "date-of-birth",
                                            "dogum", "do\xc4\x9fum", NULL};
static const char *const s_birth_other[] = {
    "\xd8\xa7\xd9\x84\xd9\x85\xd9\x8a\xd9\x84\xd8\xa7\xd8\xaf", /* الميلاد, the birth */
    "\xd9\x85\xd9\x88\xd8\xa7\xd9\x84\xd9\x8a\xd8\xaf",         /* مواليد, born in */
    "\xe1\x88\x8d\xe1\x8b\xb0\xe1\x89\xb5",                     /* ልደት, birth */
    NULL};

/* A number of 1 to max digits at s[*p] in [lo, hi]; advances *p. */
static bool s_num(const char *s, size_t n, size_t *p, size_t min, size_t max, int lo, int hi)
{
    size_t g = s_digits(s, n, *p);
    if (g < min || g > max)
        return false;
    int v = atoi(s + *p);
    *p += g;
    return v >= lo && v <= hi;
}

/* A full date at s[i]: d-m-y (y of 2 or 4 digits; - / or .), y-m-d,
 * "12 maart 1980" or "March 12, 1980" (the month word before i). */
static bool s_full_date(const char *s, size_t n, size_t i)
{
    size_t p = i;
    if (s_num(s, n, &p, 1, 2, 1, 31) && p < n && strchr("-/.", s[p])) {
        char sep = s[p++];
        size_t q = p;
        if (s_num(s, n, &q, 1, 2, 1, 31) && q < n && s[q] == sep) {
            q++;
            size_t g = s_digits(s, n, q);
            if (g == 2 || g == 4)
                return true;
        }
    }
    p = i;
    if (s_digits(s, n, p) == 4 && s_num(s, n, &p, 4, 4, 1800, 2999) && p < n &&
        strchr("-/.", s[p])) {
        char sep = s[p++];
        if (s_num(s, n, &p, 1, 2, 1, 12) && p < n && s[p] == sep) {
            p++;
            if (s_num(s, n, &p, 1, 2, 1, 31))
                return true;
        }
    }
    p = i;
    if (s_num(s, n, &p, 1, 2, 1, 31)) {
        /* 12 maart 1980 */
        if (p + 1 < n && s[p] == ' ' && s_alpha((unsigned char)s[p + 1])) {
            size_t e = s_word_end(s, n, p + 1);
            if (e - (p + 1) >= 3 && e - (p + 1) <= 12) {
                e += e < n && s[e] == '.';
                if (e < n && s[e] == ' ' && s_digits(s, n, e + 1) == 4)
                    return true;
            }
        }
        /* March 12, 1980 */
        if (i > 1 && s[i - 1] == ' ' && s_alpha((unsigned char)s[i - 2])) {
            size_t q = p + (p < n && s[p] == ',');
            if (q < n && s[q] == ' ' && s_digits(s, n, q + 1) == 4)
                return true;
        }
    }
    return false;
}

static const char *s_birth(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t after = 0;
        for (const char *const *k = s_birth_ascii; *k && !after; k++) {
            size_t l = strlen(*k);
            if (i + l <= n && strncasecmp(s + i, *k, l) == 0 && s_word_start(s, i) &&
                (i + l == n || !s_alpha((unsigned char)s[i + l])))
                after = i + l;
        }
        for (const char *const *k = s_birth_other; *k && !after; k++) {
            size_t l = strlen(*k);
            if (i + l <= n && memcmp(s + i, *k, l) == 0)
                after = i + l;
        }
        if (!after)
            continue;
        for (size_t p = after; p < n && p < after + 30; p++)
            if (s_digit((unsigned char)s[p]) && !s_digit((unsigned char)s[p - 1]) && s_full_date(s, n, p))
                return "text contains a date of birth";
    }
    return NULL;
}

/* ---------------------------------------------------------------- names */

/* Titles before a name; only as written (first letter either case, the
 * rest lower case), so "MS Teams" is no title. */
static const char *const s_titles[] = {"mevrouw", "mevr", "mw", "meneer", "mijnheer", "dhr",
                                       "mr", "mrs", "ms", "bay", "bayan", NULL};
/* Capitalised words a label letter follows: "Zaal B.", "Plan B.". */
static const char *const s_labels[] = {
    "zaal", "room", "hal", "hall", "gate", "blok", "block", "plan", "vitamine", "vitamin",
    "type", "groep", "group", "klas", "class", "ingang", "entrance", "deur", "door", "lokaal",
    "gebouw", "building", "vleugel", "wing", "niveau", "level", "verdieping", "floor",
    "sectie", "section", "perron", "platform", "spoor", "lijn", "line", "bus", "tram",
    "route", "fase", "phase", "stap", "step", "optie", "option", "bijlage", "annex",
    "appendix", "hepatitis", "categorie", "category", "kamer", "locatie", "location", "team",
    "unit", "afdeling", "ward", "zone", "pagina", "page", "artikel", "article", "deel", "part",
    "paviljoen", "pavilion", "ruimte", "tafel", "table", "box", "vak", "loket", "balie",
    "desk", "counter", "sector", "wijk", "district", "bijlage", "salon", "oda", "kat", "blok",
    NULL};

/* A title at s[i..j) (then an optional dot) followed by a name: a
 * capitalised word or an initial, maybe after "van", "de" ... */
static bool s_title_name(const char *s, size_t n, size_t i, size_t j)
{
    static const char *const words[] = {"mevrouw", "meneer", "mijnheer", "bayan", "bay", NULL};
    if (!s_in(s, i, j, s_titles))
        return false;
    for (size_t k = i + 1; k < j; k++)
        if (isupper((unsigned char)s[k]))
            return false;
    /* after a whole word a dot ends the sentence: "de meneer. De bus ..." */
    if (j < n && s[j] == '.' && s_in(s, i, j, words))
        return false;
    size_t p = j + (j < n && s[j] == '.');
    for (int w = 0; w < 4; w++) {
        size_t q = s_spaces(s, n, p);
        if (q == p || q >= n)
            return false;
        size_t u = s_upper(s, n, q);
        if (u && q + u < n && s[q + u] == '.')
            return true; /* an initial: "Mw. J. de Vries", "meneer K." */
        size_t e = s_word_end(s, n, q);
        if (e > q && s_capitalised(s, n, q, e))
            return true;
        if (e == q || !s_in(s, q, e, s_tussen))
            return false;
        p = e;
    }
    return false;
}

/* "Fatima B.": a capitalised word, one space, a capital, a dot, and no
 * letter right after ("B.A." is an abbreviation, not an initial). */
static bool s_name_initial(const char *s, size_t n, size_t i, size_t j)
{
    if (j >= n || s[j] != ' ' || !s_capitalised(s, n, i, j) || s_in(s, i, j, s_labels))
        return false;
    size_t u = s_upper(s, n, j + 1);
    size_t d = j + 1 + u;
    return u && d < n && s[d] == '.' && (d + 1 >= n || !s_alpha((unsigned char)s[d + 1]));
}

static const char *s_names(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!s_alpha((unsigned char)s[i]) || !s_word_start(s, i))
            continue;
        size_t j = s_word_end(s, n, i);
        if (s_title_name(s, n, i, j))
            return "text contains a person's name (a title and a name)";
        if (s_name_initial(s, n, i, j))
            return "text contains a person's name (a name and an initial)";
        i = j - 1;
    }
    return NULL;
}

/* ---------------------------------------------------------------- the scan */

int rec_privacy_scan(const char *text, char **cause)
{
    static const char *(*const rules[])(const char *, size_t) = {
        s_email, s_phone, s_nine, s_address, s_birth, s_names};
    size_t n;
    char *s = s_normalise(text, &n);
    const char *found = NULL;
    for (size_t r = 0; r < sizeof rules / sizeof *rules && !found; r++)
        found = rules[r](s, n);
    free(s);
    return found ? bu_fail(cause, BU_EPRIVACY, "%s", found) : 0;
}
