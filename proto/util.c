/*
 * util.c -- xmalloc family (abort on out of memory), buf_t, hex.
 */
#include "proto/util.h"
#include "proto/err.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_oom(void)
{
    fputs("buurt: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        s_oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        s_oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        s_oom();
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *p = NULL;
    va_start(ap, fmt);
    if (vasprintf(&p, fmt, ap) < 0)
        s_oom();
    va_end(ap);
    return p;
}

static void s_reserve(buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_append(buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    s_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_reserve(buf_t *b, size_t n)
{
    s_reserve(b, n);
}

void buf_putc(buf_t *b, uint8_t c)
{
    s_reserve(b, 1);
    b->data[b->len++] = c;
}

void buf_printf(buf_t *b, const char *fmt, ...)
{
    if (fmt == NULL) /* never; says so to gcc's sanitizer build */
        return;
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        s_reserve(b, (size_t)n);
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, aq);
        b->len += (size_t)n;
    }
    va_end(aq);
}

char *buf_cstr(buf_t *b)
{
    s_reserve(b, 0);
    b->data[b->len] = '\0';
    return (char *)b->data;
}

void buf_reset(buf_t *b)
{
    b->len = 0;
}

void buf_free(buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int s_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *in, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (in[2 * i] == '\0' || in[2 * i + 1] == '\0')
            return BU_EINVAL;
        int hi = s_nibble(in[2 * i]), lo = s_nibble(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return BU_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return in[2 * n] == '\0' ? 0 : BU_EINVAL;
}

int hex_is(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (s_nibble(*s) < 0)
            return 0;
    return 1;
}

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0. */
static size_t s_utf8_at(const uint8_t *s, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t need;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        need = 1;
        *cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        need = 2;
        *cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        need = 3;
        *cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        *cp = *cp << 6 | (s[k] & 0x3f);
    }
    if ((need == 1 && *cp < 0x80) || (need == 2 && *cp < 0x800) || (need == 3 && *cp < 0x10000) ||
        *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return need + 1;
}

size_t utf8_decode(const char *s, uint32_t *cp)
{
    return s_utf8_at((const uint8_t *)s, cp);
}

static void s_escape(buf_t *b, const char *s, bool lines)
{
    const uint8_t *p = (const uint8_t *)s;
    while (*p) {
        uint32_t cp = 0;
        size_t n = s_utf8_at(p, &cp);
        if (lines && n == 1 && (cp == '\n' || cp == '\t')) {
            buf_putc(b, (uint8_t)cp);
        } else if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            if (n == 0)
                n = 1, cp = p[0];
            buf_printf(b, "\\x%02x", (unsigned)cp);
        } else if (cp == 0x61c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
                   (cp >= 0x2066 && cp <= 0x2069)) {
            buf_printf(b, "\\u{%04x}", (unsigned)cp);
        } else {
            buf_append(b, p, n);
        }
        p += n;
    }
}

void text_escape(buf_t *b, const char *s)
{
    s_escape(b, s, false);
}

void text_escape_lines(buf_t *b, const char *s)
{
    s_escape(b, s, true);
}
