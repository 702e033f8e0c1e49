/*
 * json.c -- the strict JSON reader of json.h: recursive descent over a
 * NUL-terminated copy of the text, depth counted on the way down, each
 * object's names checked for duplicates as soon as it closes (sorted, so
 * an object of n members costs n log n). The first fault stops the read
 * and names its line.
 */
#include "proto/json.h"

#include "proto/err.h"
#include "proto/util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p;   /* the next byte */
    const char *end; /* the NUL after the text */
    size_t line;
    char *cause;     /* the first fault, or NULL */
} rd_t;

static void s_fail(rd_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_fail(rd_t *r, const char *fmt, ...)
{
    if (r->cause)
        return;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->cause = xasprintf("line %zu: %s", r->line, msg);
}

static void s_ws(rd_t *r)
{
    for (;; r->p++) {
        if (*r->p == '\n')
            r->line++;
        else if (*r->p != ' ' && *r->p != '\t' && *r->p != '\r')
            return;
    }
}

static json_t *s_node(json_type_t t, size_t line)
{
    json_t *v = xcalloc(1, sizeof *v);
    v->type = t;
    v->line = line;
    return v;
}

static int s_hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

static void s_put_utf8(buf_t *b, uint32_t cp)
{
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xc0 | cp >> 6);
        u[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | cp >> 12);
        u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xf0 | cp >> 18);
        u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        u[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_append(b, u, n);
}

/* A string, r->p on its opening quote; the decoded text, or NULL. */
static char *s_string(rd_t *r)
{
    buf_t b = {0};
    r->p++;
    for (;;) {
        unsigned char c = (unsigned char)*r->p;
        if (c == '"') {
            r->p++;
            break;
        }
        if (r->p == r->end) {
            s_fail(r, "a string is never closed");
            goto fail;
        }
        if (c < 0x20) {
            s_fail(r, "a control character (0x%02x) inside a string; write it as an escape", c);
            goto fail;
        }
        if (c != '\\') {
            uint32_t cp;
            size_t n = utf8_decode(r->p, &cp);
            if (n == 0) {
                s_fail(r, "text that is not valid UTF-8");
                goto fail;
            }
            buf_append(&b, r->p, n);
            r->p += n;
            continue;
        }
        char e = r->p[1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e != '\0' && simple) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            buf_putc(&b, (uint8_t)to[simple - "\"\\/bfnrt"]);
            r->p += 2;
            continue;
        }
        uint32_t cp, lo;
        if (e != 'u' || s_hex4(r->p + 2, &cp) < 0) {
            s_fail(r, "an unknown escape in a string (\\%c)", e >= 0x20 && e < 0x7f ? e : '?');
            goto fail;
        }
        r->p += 6;
        if (cp >= 0xdc00 && cp <= 0xdfff) {
            s_fail(r, "a lone low surrogate (\\u%04x) in a string", (unsigned)cp);
            goto fail;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (r->p[0] != '\\' || r->p[1] != 'u' || s_hex4(r->p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
                s_fail(r, "a high surrogate (\\u%04x) not followed by a low one", (unsigned)cp);
                goto fail;
            }
            r->p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp == 0) {
            s_fail(r, "\\u0000 in a string (text here holds no NUL)");
            goto fail;
        }
        s_put_utf8(&b, cp);
    }
    char *s = xstrdup(b.len ? buf_cstr(&b) : "");
    buf_free(&b);
    return s;
fail:
    buf_free(&b);
    return NULL;
}

static bool s_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A number as RFC 8259 §6 writes it; its text, or NULL. */
static char *s_number(rd_t *r)
{
    const char *a = r->p, *p = r->p;
    if (*p == '-')
        p++;
    if (*p == '0') {
        p++;
        if (s_digit(*p)) {
            s_fail(r, "a number with a leading zero");
            return NULL;
        }
    } else if (s_digit(*p)) {
        while (s_digit(*p))
            p++;
    } else {
        s_fail(r, "'-' not followed by a digit");
        return NULL;
    }
    if (*p == '.') {
        p++;
        if (!s_digit(*p)) {
            s_fail(r, "a decimal point not followed by a digit");
            return NULL;
        }
        while (s_digit(*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!s_digit(*p)) {
            s_fail(r, "an exponent without digits");
            return NULL;
        }
        while (s_digit(*p))
            p++;
    }
    r->p = p;
    return xstrndup(a, (size_t)(p - a));
}

static const char *const *s_sort_keys;
static int s_key_cmp(const void *a, const void *b)
{
    return strcmp(s_sort_keys[*(const size_t *)a], s_sort_keys[*(const size_t *)b]);
}

/* A name given twice in an object, or NULL. */
static const char *s_duplicate(const json_t *o)
{
    if (o->n < 2)
        return NULL;
    size_t *ix = xmalloc(o->n * sizeof *ix);
    for (size_t i = 0; i < o->n; i++)
        ix[i] = i;
    s_sort_keys = (const char *const *)o->keys;
    qsort(ix, o->n, sizeof *ix, s_key_cmp);
    const char *dup = NULL;
    for (size_t i = 1; i < o->n && !dup; i++)
        if (strcmp(o->keys[ix[i - 1]], o->keys[ix[i]]) == 0)
            dup = o->keys[ix[i]];
    free(ix);
    return dup;
}

static json_t *s_value(rd_t *r, int depth);

/* An array or an object, r->p on its opening bracket. */
static json_t *s_container(rd_t *r, int depth)
{
    bool obj = *r->p == '{';
    char close = obj ? '}' : ']';
    json_t *v = s_node(obj ? JSON_OBJ : JSON_ARR, r->line);
    if (depth >= JSON_MAX_DEPTH) {
        s_fail(r, "nested more than %d deep", JSON_MAX_DEPTH);
        goto fail;
    }
    r->p++;
    s_ws(r);
    if (*r->p == close) {
        r->p++;
        return v;
    }
    size_t cap = 0;
    for (;;) {
        char *key = NULL;
        if (obj) {
            if (*r->p != '"') {
                s_fail(r, *r->p == close ? "a comma before '%c'" : "expected a member name in quotes", close);
                goto fail;
            }
            if (v->n == JSON_MAX_MEMBERS) {
                s_fail(r, "an object of more than %d members", JSON_MAX_MEMBERS);
                goto fail;
            }
            if (!(key = s_string(r)))
                goto fail;
            s_ws(r);
            if (*r->p != ':') {
                free(key);
                s_fail(r, "expected ':' after a member name");
                goto fail;
            }
            r->p++;
            s_ws(r);
        } else if (*r->p == close) {
            s_fail(r, "a comma before '%c'", close);
            goto fail;
        }
        json_t *item = s_value(r, depth + 1);
        if (!item) {
            free(key);
            goto fail;
        }
        if (v->n == cap) {
            cap = cap ? 2 * cap : 4;
            v->items = xrealloc(v->items, cap * sizeof *v->items);
            if (obj)
                v->keys = xrealloc(v->keys, cap * sizeof *v->keys);
        }
        if (obj)
            v->keys[v->n] = key;
        v->items[v->n++] = item;
        s_ws(r);
        if (*r->p == ',') {
            r->p++;
            s_ws(r);
            continue;
        }
        if (*r->p == close) {
            r->p++;
            break;
        }
        s_fail(r, "expected ',' or '%c'", close);
        goto fail;
    }
    const char *dup = obj ? s_duplicate(v) : NULL;
    if (dup) {
        s_fail(r, "the member name \"%.60s\" twice in one object", dup);
        goto fail;
    }
    return v;
fail:
    json_destroy(&v);
    return NULL;
}

static json_t *s_value(rd_t *r, int depth)
{
    size_t line = r->line;
    json_t *v;
    switch (*r->p) {
    case '{':
    case '[':
        return s_container(r, depth);
    case '"': {
        char *s = s_string(r);
        if (!s)
            return NULL;
        v = s_node(JSON_STR, line);
        v->s = s;
        return v;
    }
    case 't':
    case 'f':
    case 'n': {
        static const char *const words[] = {"true", "false", "null"};
        for (int i = 0; i < 3; i++) {
            size_t n = strlen(words[i]);
            if (strncmp(r->p, words[i], n) == 0) {
                r->p += n;
                v = s_node(i == 2 ? JSON_NULL : JSON_BOOL, line);
                v->b = i == 0;
                return v;
            }
        }
        break;
    }
    default:
        if (*r->p == '-' || s_digit(*r->p)) {
            char *s = s_number(r);
            if (!s)
                return NULL;
            v = s_node(JSON_NUM, line);
            v->s = s;
            return v;
        }
    }
    if (r->p == r->end)
        s_fail(r, "the text ends where a value was expected");
    else
        s_fail(r, "expected a value, found '%c'", *r->p >= 0x20 && *r->p < 0x7f ? *r->p : '?');
    return NULL;
}

int json_parse(const char *text, size_t len, json_t **out, char **cause)
{
    *out = NULL;
    if (memchr(text, '\0', len)) {
        size_t line = 1;
        for (const char *p = text; *p; p++)
            line += *p == '\n';
        if (cause)
            *cause = xasprintf("line %zu: a NUL byte; this is not JSON text", line);
        return BU_EINVAL;
    }
    char *copy = xstrndup(text, len);
    rd_t r = {.p = copy, .end = copy + len, .line = 1};
    if (len >= 3 && memcmp(copy, "\xef\xbb\xbf", 3) == 0)
        r.p += 3;
    s_ws(&r);
    json_t *v = s_value(&r, 0);
    if (v) {
        s_ws(&r);
        if (r.p != r.end) {
            s_fail(&r, "more text after the value");
            json_destroy(&v);
        }
    }
    free(copy);
    if (!v) {
        if (cause)
            *cause = r.cause;
        else
            free(r.cause);
        return BU_EINVAL;
    }
    *out = v;
    return 0;
}

void json_destroy(json_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    json_t *v = *self_p;
    for (size_t i = 0; i < v->n; i++) {
        json_destroy(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->s);
    free(v);
    *self_p = NULL;
}

const json_t *json_get(const json_t *v, const char *key)
{
    if (!v || v->type != JSON_OBJ)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0)
            return v->items[i];
    return NULL;
}
