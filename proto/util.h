/*
 * util.h -- allocation that never returns NULL, a growable byte buffer and
 * hex helpers. Out of memory is fatal (abort with a message), so there are
 * no untested OOM paths anywhere in buurt.
 */
#ifndef BUURT_UTIL_H
#define BUURT_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer. Zero-initialise ({0}) before first use. */
typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} buf_t;

void buf_append(buf_t *b, const void *p, size_t n);
void buf_putc(buf_t *b, uint8_t c);
/* Makes room for n more bytes (fewer reallocations for a known size). */
void buf_reserve(buf_t *b, size_t n);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ensures data is NUL-terminated (not counted in len) and returns it. */
char *buf_cstr(buf_t *b);
void buf_reset(buf_t *b);
void buf_free(buf_t *b);

/*
 * Appends the NUL-terminated text s to b as text safe for a terminal or a
 * log line: valid UTF-8 passes, but control characters (C0 including
 * newline, DEL, C1) become \xNN, bidirectional controls (U+061C, U+200E-F,
 * U+202A-E, U+2066-9) become \u{NNNN}, and a byte that is not part of
 * valid UTF-8 becomes \xNN. For everything that came from the wire.
 */
void text_escape(buf_t *b, const char *s);
/* As text_escape, but newlines and tabs pass: for text shown as a block
 * (a bulletin's body in `buurt show`). */
void text_escape_lines(buf_t *b, const char *s);

/* Length (1..4) of the valid UTF-8 sequence at s, with its code point in
 * *cp; 0 when s starts with a byte that is not valid UTF-8 there. The NUL
 * is a 1-byte sequence with code point 0. */
size_t utf8_decode(const char *s, uint32_t *cp);

/* Writes 2n lowercase hex digits plus NUL into out (size >= 2n+1). */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes exactly 2n hex digits; returns 0 or BU_EINVAL. */
int hex_decode(const char *in, uint8_t *out, size_t n);
/* 1 if s is non-empty and only hex digits (either case). */
int hex_is(const char *s);

/*
 * Explicit byte order. Every integer that goes into a hash, onto the wire
 * or to disk is written and read through these, byte by byte, so the
 * bytes never depend on the host's byte order (docs/protocol.md §2).
 */
static inline void le32_store(uint8_t p[4], uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t le32_load(const uint8_t p[4])
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static inline void le64_store(uint8_t p[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint64_t le64_load(const uint8_t p[8])
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static inline void be16_store(uint8_t p[2], uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline uint16_t be16_load(const uint8_t p[2])
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline void be64_store(uint8_t p[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * (7 - i)));
}
static inline uint64_t be64_load(const uint8_t p[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

#endif
