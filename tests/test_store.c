/*
 * test_store.c -- behaviour tests for node/store.c, the crash-safe edit log.
 *
 * Every test gets a fresh directory under /tmp (the store itself lives in a
 * not-yet-existing subdirectory, so creation is exercised too) and removes
 * it afterwards. Damage is simulated by editing edits.log between opens; the
 * kill -9 test kills a real writer process at points chosen by pipe
 * acknowledgements, never by sleeping. The whole file runs in a few seconds.
 */
#include "node/store.h"

#include "proto/err.h"
#include "proto/util.h"
#include "tests/lib/fixture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_HDR_LEN 8
#define S_FRAME_HDR 12

static char s_root[64];  /* mkdtemp directory */
static char s_dir[128];  /* the store directory inside it */
static char s_log[160];  /* s_dir/edits.log */

static void s_setup(void)
{
    strcpy(s_root, "/tmp/buurt-test-store-XXXXXX");
    cr_assert_not_null(mkdtemp(s_root));
    snprintf(s_dir, sizeof s_dir, "%s/store", s_root);
    snprintf(s_log, sizeof s_log, "%s/edits.log", s_dir);
}

static void s_teardown(void)
{
    fx_rm_tree(s_root);
}

TestSuite(store, .init = s_setup, .fini = s_teardown);

/* ---- helpers ---------------------------------------------------------- */

/* Deterministic record i of a family (tag): distinct for distinct (tag, i),
 * 20 to 319 bytes long. Returns the length; buf must hold 320 bytes. */
static size_t s_rec(unsigned tag, unsigned i, uint8_t *buf)
{
    size_t len = 20 + (i * 37u + tag * 11u) % 300u;
    int n = snprintf((char *)buf, len, "rec-%u-%u:", tag, i);
    for (size_t k = (size_t)n; k < len; k++)
        buf[k] = (uint8_t)('a' + (i + k) % 26);
    return len;
}

static store_t *s_open(store_report_t *rep)
{
    store_t *st = NULL;
    char *cause = NULL;
    int rc = store_open(s_dir, &st, rep, &cause);
    cr_assert_eq(rc, 0, "store_open: %d %s", rc, cause ? cause : "");
    cr_assert_null(cause);
    cr_assert_not_null(st);
    return st;
}

/* Opens a fresh store, puts records 0..n-1 of family tag, closes it.
 * Fills lens[] (if not NULL) with the record lengths. */
static void s_fill(unsigned tag, unsigned n, size_t *lens)
{
    store_t *st = s_open(NULL);
    uint8_t buf[320];
    for (unsigned i = 0; i < n; i++) {
        size_t len = s_rec(tag, i, buf);
        if (lens)
            lens[i] = len;
        cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    }
    store_close(&st);
}

/* File offset of frame k, given the record lengths before it. */
static off_t s_frame_at(const size_t *lens, unsigned k)
{
    off_t off = S_HDR_LEN;
    for (unsigned i = 0; i < k; i++)
        off += S_FRAME_HDR + (off_t)lens[i];
    return off;
}

static off_t s_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    return st.st_size;
}

static void s_flip(const char *path, off_t off)
{
    int fd = open(path, O_RDWR);
    cr_assert_geq(fd, 0);
    uint8_t b;
    cr_assert_eq(pread(fd, &b, 1, off), 1);
    b ^= 0x40;
    cr_assert_eq(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

static void s_write_at(const char *path, off_t off, const void *p, size_t n)
{
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(pwrite(fd, p, n, off), (ssize_t)n);
    close(fd);
}

static void s_append(const char *path, const void *p, size_t n)
{
    s_write_at(path, s_size(path), p, n);
}

/* Asserts record i of st is exactly the n bytes at want (store_read and
 * store_len agree). */
static void s_expect_one(const store_t *st, size_t i, const uint8_t *want, size_t n)
{
    buf_t got = {0};
    cr_assert_eq(store_read(st, i, &got), 0, "store_read %zu: %s", i, strerror(errno));
    cr_assert_eq(got.len, n, "record %zu length %zu, expected %zu", i, got.len, n);
    cr_assert_eq(store_len(st, i), n, "record %zu store_len", i);
    cr_assert_eq(memcmp(got.data, want, n), 0, "record %zu bytes", i);
    buf_free(&got);
}

/* A store_scan callback's view: the records it should be called with, in
 * order, what it saw, and when to stop. */
typedef struct {
    const store_rec_t *want; /* expected records */
    size_t n;                /* entries in want */
    size_t calls;            /* callbacks so far */
    size_t stop_at;          /* return stop_rc from this call (index) */
    int stop_rc;
    int bad;                 /* set when a callback saw the wrong thing */
} s_scan_t;

static int s_scan_check(void *ctx, size_t i, const uint8_t *data, size_t len)
{
    s_scan_t *sc = ctx;
    if (i != sc->calls || i >= sc->n) {
        sc->bad = 1;
        return 99;
    }
    if (len != sc->want[i].len || memcmp(data, sc->want[i].data, len) != 0)
        sc->bad = 1;
    sc->calls++;
    return i == sc->stop_at ? sc->stop_rc : 0;
}

/* Asserts store_scan visits exactly the records want[0..n), in order. */
static void s_expect_scan(const store_t *st, const store_rec_t *want, size_t n)
{
    s_scan_t sc = {.want = want, .n = n, .stop_at = SIZE_MAX};
    char *cause = NULL;
    int rc = store_scan(st, s_scan_check, &sc, &cause);
    cr_assert_eq(rc, 0, "store_scan: %d %s", rc, cause ? cause : "");
    cr_assert_null(cause);
    cr_assert_eq(sc.bad, 0, "store_scan passed a wrong record (call %zu)", sc.calls);
    cr_assert_eq(sc.calls, n, "store_scan made %zu calls, expected %zu", sc.calls, n);
}

/* Asserts the store holds exactly the records want[0..n), in order, both
 * one by one (store_read, store_len, store_id, store_find) and in one pass
 * (store_scan). */
static void s_expect_recs(const store_t *st, const store_rec_t *want, size_t n)
{
    cr_assert_eq(store_count(st), n, "count %zu, expected %zu", store_count(st), n);
    uint8_t id[STORE_ID_LEN];
    for (size_t k = 0; k < n; k++) {
        s_expect_one(st, k, want[k].data, want[k].len);
        store_hash(want[k].data, want[k].len, id);
        cr_assert_eq(memcmp(store_id(st, k), id, STORE_ID_LEN), 0, "record %zu id", k);
        cr_assert_eq(store_find(st, id), (long)k, "record %zu store_find", k);
    }
    s_expect_scan(st, want, n);
}

/* Asserts the store holds exactly records idx[0..n) of family tag, in order. */
static void s_expect(const store_t *st, unsigned tag, const unsigned *idx, size_t n)
{
    uint8_t *mem = xmalloc(n * 320 + 1);
    store_rec_t *want = xmalloc((n + 1) * sizeof *want);
    for (size_t k = 0; k < n; k++)
        want[k] = (store_rec_t){mem + k * 320, s_rec(tag, idx[k], mem + k * 320)};
    s_expect_recs(st, want, n);
    free(want);
    free(mem);
}

/* A deterministic pseudo-random record of len >= 24 bytes (malloc'd),
 * distinct for distinct (tag, i). */
static uint8_t *s_big(unsigned tag, unsigned i, size_t len)
{
    uint8_t *p = xmalloc(len);
    uint64_t x = 0x9e3779b97f4a7c15u * (tag * 100003u + i + 1);
    for (size_t k = 0; k < len; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[k] = (uint8_t)(x >> 24);
    }
    snprintf((char *)p, len, "big-%u-%u:", tag, i);
    return p;
}

/* Reference CRC-32C, bit at a time, independent of the store's table. */
static uint32_t s_crc32c_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    }
    return c ^ 0xffffffffu;
}

/* The same CRC a byte at a time through a table computed here (not the
 * store's), for the megabytes the whole-file model checks. */
static uint32_t s_crc32c_tab(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    if (table[1] == 0) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
            table[i] = c;
        }
    }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t s_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- round trip ------------------------------------------------------- */

Test(store, put_get_find_round_trip_survives_reopen)
{
    store_report_t rep;
    store_t *st = s_open(&rep);
    cr_assert_eq(rep.records, 0);
    cr_assert_eq(store_count(st), 0);

    unsigned idx[10];
    uint8_t ids[10][STORE_ID_LEN], buf[320];
    for (unsigned i = 0; i < 10; i++) {
        idx[i] = i;
        size_t len = s_rec(1, i, buf);
        cr_assert_eq(store_put(st, buf, len, ids[i], NULL), 1);
        cr_assert_eq(store_find(st, ids[i]), (long)i);
    }
    s_expect(st, 1, idx, 10);

    /* The same bytes again: acknowledged as present, nothing written. */
    off_t before = s_size(s_log);
    uint8_t again[STORE_ID_LEN];
    size_t len = s_rec(1, 4, buf);
    cr_assert_eq(store_put(st, buf, len, again, NULL), 0);
    cr_assert_eq(memcmp(again, ids[4], STORE_ID_LEN), 0);
    cr_assert_eq(store_count(st), 10);
    cr_assert_eq(s_size(s_log), before);

    uint8_t unknown[STORE_ID_LEN] = {0};
    cr_assert_eq(store_find(st, unknown), -1);
    store_close(&st);
    cr_assert_null(st);
    store_close(&st); /* NULL is accepted */
    store_close(NULL);

    st = s_open(&rep);
    cr_assert_eq(rep.records, 10);
    cr_assert_eq(rep.tail_cut_bytes, 0);
    cr_assert_eq(rep.corrupt_regions, 0);
    cr_assert_eq(rep.duplicates, 0);
    s_expect(st, 1, idx, 10);
    for (unsigned i = 0; i < 10; i++)
        cr_assert_eq(memcmp(store_id(st, i), ids[i], STORE_ID_LEN), 0);
    store_close(&st);
}

Test(store, creates_private_directory_and_files)
{
    store_t *st = s_open(NULL);
    store_close(&st);
    struct stat sb;
    cr_assert_eq(stat(s_dir, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0700);
    cr_assert_eq(stat(s_log, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);
    cr_assert_eq(sb.st_size, S_HDR_LEN);
    char lock[200];
    snprintf(lock, sizeof lock, "%s/lock", s_dir);
    cr_assert_eq(stat(lock, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);
}

/* store_crc32c (eight bytes at a time) against the bit-at-a-time
 * reference: every length up to 300 at every alignment of 8, and 64 KiB. */
Test(store, crc32c_matches_the_reference_at_every_length_and_alignment)
{
    static uint8_t buf[65536 + 8];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 131u + (i >> 8) * 7u + 1u);
    cr_assert_eq(store_crc32c((const uint8_t *)"123456789", 9), 0xe3069283u);
    for (size_t a = 0; a < 8; a++)
        for (size_t n = 0; n <= 300; n++)
            cr_assert_eq(store_crc32c(buf + a, n), s_crc32c_ref(buf + a, n), "length %zu at +%zu", n, a);
    cr_assert_eq(store_crc32c(buf + 3, 65536), s_crc32c_ref(buf + 3, 65536));
}

Test(store, log_file_matches_documented_frame_format)
{
    static const uint8_t check[] = "123456789";
    cr_assert_eq(s_crc32c_ref(check, 9), 0xe3069283u);
    cr_assert_eq(s_crc32c_tab(check, 9), 0xe3069283u);

    store_t *st = s_open(NULL);
    cr_assert_eq(store_put(st, (const uint8_t *)"hello", 5, NULL, NULL), 1);
    store_close(&st);

    uint8_t file[64];
    int fd = open(s_log, O_RDONLY);
    cr_assert_geq(fd, 0);
    ssize_t n = read(fd, file, sizeof file);
    close(fd);
    cr_assert_eq(n, S_HDR_LEN + S_FRAME_HDR + 5);
    cr_assert_eq(memcmp(file, "BUURTLG1", 8), 0);
    cr_assert_eq(s_le32(file + 8), 0xB0B1E5EDu);
    cr_assert_eq(file[8], 0xED);
    cr_assert_eq(s_le32(file + 12), 5);
    uint8_t covered[9]; /* the crc covers len then payload (not magic, not itself) */
    memcpy(covered, file + 12, 4);
    memcpy(covered + 4, file + 20, 5);
    cr_assert_eq(s_le32(file + 16), s_crc32c_ref(covered, sizeof covered));
    cr_assert_eq(memcmp(file + 20, "hello", 5), 0);
}

/* ---- batches ---------------------------------------------------------- */

Test(store, put_many_skips_present_records_and_duplicates_within_batch)
{
    store_t *st = s_open(NULL);
    uint8_t bufs[8][320];
    size_t lens[8];
    for (unsigned i = 0; i < 8; i++)
        lens[i] = s_rec(2, i, bufs[i]);
    cr_assert_eq(store_put(st, bufs[1], lens[1], NULL, NULL), 1);

    /* 0, 1 (present), 2, 0 (again), 3, 3 (again), 4 */
    unsigned order[] = {0, 1, 2, 0, 3, 3, 4};
    store_rec_t recs[7];
    for (unsigned k = 0; k < 7; k++)
        recs[k] = (store_rec_t){bufs[order[k]], lens[order[k]]};
    uint8_t added[7];
    char *cause = NULL;
    cr_assert_eq(store_put_many(st, recs, 7, added, &cause), 4);
    cr_assert_null(cause);
    uint8_t want[7] = {1, 0, 1, 0, 1, 0, 1};
    cr_assert_eq(memcmp(added, want, 7), 0);
    unsigned expect[] = {1, 0, 2, 3, 4};
    s_expect(st, 2, expect, 5);

    /* All present: nothing added; an empty batch is fine too. */
    cr_assert_eq(store_put_many(st, recs, 7, added, NULL), 0);
    cr_assert_eq(memcmp(added, (uint8_t[7]){0}, 7), 0);
    cr_assert_eq(store_put_many(st, NULL, 0, NULL, NULL), 0);

    /* Many more records: every record, old and new, still reads back, in
     * this process and after a reopen. */
    enum { MORE = 3000 };
    store_rec_t *big = xmalloc(MORE * sizeof *big);
    uint8_t *mem = xmalloc(MORE * 320);
    for (unsigned i = 0; i < MORE; i++)
        big[i] = (store_rec_t){mem + i * 320, s_rec(3, i, mem + i * 320)};
    cr_assert_eq(store_put_many(st, big, MORE, NULL, NULL), MORE);
    cr_assert_eq(store_count(st), 5 + MORE);
    for (int round = 0; round < 2; round++) {
        for (unsigned k = 0; k < 5; k++)
            s_expect_one(st, k, bufs[expect[k]], lens[expect[k]]);
        for (unsigned i = 0; i < MORE; i++)
            s_expect_one(st, 5 + i, big[i].data, big[i].len);
        if (round == 0) {
            store_close(&st);
            store_report_t rep;
            st = s_open(&rep);
            cr_assert_eq(rep.duplicates, 0);
            cr_assert_eq(store_count(st), 5 + MORE);
        }
    }
    uint8_t id[STORE_ID_LEN];
    store_hash(big[MORE - 1].data, big[MORE - 1].len, id);
    cr_assert_eq(store_find(st, id), 5 + MORE - 1);
    free(big);
    free(mem);
    store_close(&st);
}

/* ---- reading ---------------------------------------------------------- */

Test(store, read_returns_records_appended_in_this_process)
{
    store_t *st = s_open(NULL);
    uint8_t buf[320];
    size_t len = s_rec(20, 0, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    s_expect_one(st, 0, buf, len); /* before any reopen */

    /* A batch, with a record longer than store_read's copy chunk. */
    uint8_t small[3][320];
    uint8_t *large = s_big(20, 99, 40000);
    store_rec_t recs[4] = {
        {small[0], s_rec(20, 1, small[0])},
        {large, 40000},
        {small[1], s_rec(20, 2, small[1])},
        {small[2], s_rec(20, 3, small[2])},
    };
    cr_assert_eq(store_put_many(st, recs, 4, NULL, NULL), 4);
    store_rec_t want[5] = {{buf, len}, recs[0], recs[1], recs[2], recs[3]};
    s_expect_recs(st, want, 5);

    /* store_read appends: what out held already stays in front. */
    buf_t out = {0};
    buf_append(&out, "prefix", 6);
    cr_assert_eq(store_read(st, 2, &out), 0);
    cr_assert_eq(store_read(st, 1, &out), 0);
    cr_assert_eq(out.len, 6 + 40000 + recs[0].len);
    cr_assert_eq(memcmp(out.data, "prefix", 6), 0);
    cr_assert_eq(memcmp(out.data + 6, large, 40000), 0);
    cr_assert_eq(memcmp(out.data + 6 + 40000, small[0], recs[0].len), 0);
    buf_free(&out);

    store_close(&st);
    st = s_open(NULL);
    s_expect_recs(st, want, 5);
    store_close(&st);
    free(large);
}

Test(store, len_reports_each_record_length)
{
    store_t *st = s_open(NULL);
    static const size_t lens[] = {1, 2, 319, 4096, 16384, 16385, 100000};
    enum { N = sizeof lens / sizeof lens[0] };
    uint8_t *mem[N];
    for (unsigned i = 0; i < N; i++) {
        mem[i] = lens[i] < 24 ? xcalloc(1, 24) : s_big(21, i, lens[i]);
        mem[i][0] = (uint8_t)('a' + i); /* distinct even when short */
        cr_assert_eq(store_put(st, mem[i], lens[i], NULL, NULL), 1);
        cr_assert_eq(store_len(st, i), lens[i]);
    }
    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < N; i++)
            cr_assert_eq(store_len(st, i), lens[i], "record %u", i);
        store_close(&st);
        st = s_open(NULL);
    }
    for (unsigned i = 0; i < N; i++)
        s_expect_one(st, i, mem[i], lens[i]);
    store_close(&st);
    for (unsigned i = 0; i < N; i++)
        free(mem[i]);
}

Test(store, scan_visits_every_record_in_order_with_its_bytes)
{
    /* Empty: no calls. */
    store_t *st = s_open(NULL);
    s_expect_scan(st, NULL, 0);
    store_close(&st);

    enum { N = 200 };
    s_fill(22, N, NULL);
    unsigned idx[N];
    for (unsigned i = 0; i < N; i++)
        idx[i] = i;
    st = s_open(NULL);
    s_expect(st, 22, idx, N);
    store_close(&st);
}

Test(store, scan_skips_a_corrupt_region_in_the_middle)
{
    size_t lens[8];
    s_fill(23, 8, lens);
    /* Frames 2, 3 and 4 damaged: one region. */
    for (unsigned k = 2; k <= 4; k++)
        s_flip(s_log, s_frame_at(lens, k) + S_FRAME_HDR + 3);
    store_report_t rep;
    store_t *st = s_open(&rep);
    cr_assert_eq(rep.corrupt_regions, 1);
    cr_assert_eq(rep.first_corrupt_at, (uint64_t)s_frame_at(lens, 2));
    cr_assert_eq(rep.corrupt_bytes, (uint64_t)(s_frame_at(lens, 5) - s_frame_at(lens, 2)));
    unsigned idx[] = {0, 1, 5, 6, 7, 8};
    s_expect(st, 23, idx, 5);

    /* A record appended after the damage is scanned too. */
    uint8_t buf[320];
    size_t len = s_rec(23, 8, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    s_expect(st, 23, idx, 6);
    store_close(&st);
}

Test(store, scan_stops_early_and_returns_callback_value)
{
    enum { N = 20 };
    s_fill(24, N, NULL);
    store_t *st = s_open(NULL);
    uint8_t mem[N][320];
    store_rec_t want[N];
    for (unsigned i = 0; i < N; i++)
        want[i] = (store_rec_t){mem[i], s_rec(24, i, mem[i])};

    static const struct {
        size_t stop_at;
        int rc;
    } cases[] = {{0, 1}, {3, 42}, {7, -5}, {N - 1, 7}};
    for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        s_scan_t sc = {.want = want, .n = N, .stop_at = cases[c].stop_at, .stop_rc = cases[c].rc};
        char *cause = NULL;
        cr_assert_eq(store_scan(st, s_scan_check, &sc, &cause), cases[c].rc);
        cr_assert_null(cause);
        cr_assert_eq(sc.bad, 0);
        cr_assert_eq(sc.calls, cases[c].stop_at + 1, "case %u: %zu calls", c, sc.calls);
    }
    store_close(&st);
}

/* Records of up to STORE_MAX_RECORD bytes make a log of several read
 * windows: frames and the search for the next valid frame cross the
 * windows' ends at open, in store_scan and in store_purge. */
Test(store, large_records_cross_read_windows_at_open_scan_and_purge)
{
    static const size_t sizes[] = {
        STORE_MAX_RECORD, 300,    STORE_MAX_RECORD - 1, 700000,           50,
        STORE_MAX_RECORD, 900000, STORE_MAX_RECORD,     123456,           77,
        STORE_MAX_RECORD, 24,     STORE_MAX_RECORD - 7, STORE_MAX_RECORD, 600,
    };
    enum { N = sizeof sizes / sizeof sizes[0] };
    store_rec_t recs[N];
    size_t lens[N];
    for (unsigned i = 0; i < N; i++) {
        lens[i] = sizes[i];
        recs[i] = (store_rec_t){s_big(25, i, sizes[i]), sizes[i]};
    }
    store_t *st = s_open(NULL);
    cr_assert_eq(store_put_many(st, recs, 7, NULL, NULL), 7);
    for (unsigned i = 7; i < N; i++)
        cr_assert_eq(store_put(st, recs[i].data, recs[i].len, NULL, NULL), 1);
    s_expect_recs(st, recs, N);
    store_close(&st);
    cr_assert_eq(s_size(s_log), s_frame_at(lens, N));

    store_report_t rep;
    st = s_open(&rep);
    cr_assert_eq(rep.records, N);
    cr_assert_eq(rep.corrupt_regions + rep.tail_cut_bytes + rep.duplicates, 0);
    s_expect_recs(st, recs, N);
    store_close(&st);

    /* Frames 5, 6 and 7 damaged: one region of about 3 MiB, longer than a
     * window. Frame 13 damaged: a second region. */
    s_flip(s_log, s_frame_at(lens, 5) + S_FRAME_HDR + 1000);
    s_flip(s_log, s_frame_at(lens, 6) + 5);
    s_flip(s_log, s_frame_at(lens, 7) + S_FRAME_HDR + lens[7] - 1);
    s_flip(s_log, s_frame_at(lens, 13) + S_FRAME_HDR + 500000);
    st = s_open(&rep);
    cr_assert_eq(rep.corrupt_regions, 2);
    cr_assert_eq(rep.first_corrupt_at, (uint64_t)s_frame_at(lens, 5));
    cr_assert_eq(rep.corrupt_bytes, (uint64_t)(s_frame_at(lens, 8) - s_frame_at(lens, 5) +
                                                s_frame_at(lens, 14) - s_frame_at(lens, 13)));
    cr_assert_eq(rep.tail_cut_bytes, 0);
    store_rec_t kept[N];
    size_t nkept = 0;
    for (unsigned i = 0; i < N; i++)
        if (i < 5 || (i > 7 && i != 13))
            kept[nkept++] = recs[i];
    s_expect_recs(st, kept, nkept);

    /* Purge two records: the log is copied without them or the damage. */
    uint8_t ids[2][STORE_ID_LEN];
    store_hash(recs[1].data, recs[1].len, ids[0]);
    store_hash(recs[10].data, recs[10].len, ids[1]);
    char *cause = NULL;
    cr_assert_eq(store_purge(st, (const uint8_t(*)[STORE_ID_LEN])ids, 2, &cause), 0, "%s",
                 cause ? cause : "");
    store_rec_t left[N];
    size_t nleft = 0;
    off_t size = S_HDR_LEN;
    for (size_t k = 0; k < nkept; k++) {
        if (kept[k].data == recs[1].data || kept[k].data == recs[10].data)
            continue;
        left[nleft++] = kept[k];
        size += S_FRAME_HDR + (off_t)kept[k].len;
    }
    s_expect_recs(st, left, nleft);
    cr_assert_eq(s_size(s_log), size);
    store_close(&st);
    st = s_open(&rep);
    cr_assert_eq(rep.corrupt_regions + rep.tail_cut_bytes + rep.duplicates, 0);
    s_expect_recs(st, left, nleft);
    store_close(&st);
    for (unsigned i = 0; i < N; i++)
        free((void *)recs[i].data);
}

/* ---- purge ------------------------------------------------------------ */

Test(store, purge_rewrites_log_and_reads_follow_the_new_offsets)
{
    enum { N = 12 };
    size_t lens[N];
    s_fill(26, N, lens);
    store_t *st = s_open(NULL);
    uint8_t buf[320], ids[3][STORE_ID_LEN];
    static const unsigned gone[] = {0, 5, 11};
    for (unsigned k = 0; k < 3; k++)
        store_hash(buf, s_rec(26, gone[k], buf), ids[k]);
    /* read everything first: store_read's window must not outlive the
     * old log */
    unsigned all[N];
    for (unsigned k = 0; k < N; k++)
        all[k] = k;
    s_expect(st, 26, all, N);
    char *cause = NULL;
    cr_assert_eq(store_purge(st, (const uint8_t(*)[STORE_ID_LEN])ids, 3, &cause), 0, "%s",
                 cause ? cause : "");
    unsigned idx[N + 1] = {1, 2, 3, 4, 6, 7, 8, 9, 10};
    s_expect(st, 26, idx, 9);
    for (unsigned k = 0; k < 3; k++) {
        cr_assert(store_is_purged(st, ids[k]));
        cr_assert_eq(store_find(st, ids[k]), -1);
    }
    off_t size = S_HDR_LEN;
    for (unsigned k = 0; k < 9; k++)
        size += S_FRAME_HDR + (off_t)lens[idx[k]];
    cr_assert_eq(s_size(s_log), size);
    char tmp[200];
    snprintf(tmp, sizeof tmp, "%s/edits.log.new", s_dir);
    cr_assert_eq(access(tmp, F_OK), -1);

    /* Appends go to the new log; purged records never come back. */
    size_t len = s_rec(26, 0, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 0);
    len = s_rec(26, N, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    idx[9] = N;
    s_expect(st, 26, idx, 10);
    cr_assert_eq(s_size(s_log), size + S_FRAME_HDR + (off_t)len);

    /* A second purge, of a record appended since the first. */
    store_hash(buf, len, ids[0]);
    cr_assert_eq(store_purge(st, (const uint8_t(*)[STORE_ID_LEN])ids, 1, NULL), 0);
    s_expect(st, 26, idx, 9);
    cr_assert_eq(s_size(s_log), size);
    store_close(&st);

    store_report_t rep;
    st = s_open(&rep);
    cr_assert_eq(rep.records, 9);
    cr_assert_eq(rep.corrupt_regions + rep.tail_cut_bytes + rep.duplicates, 0);
    s_expect(st, 26, idx, 9);
    store_close(&st);
}

/* Random puts and batches against a naive model, with reopens. */
Test(store, random_puts_match_naive_model_across_reopens)
{
    enum { POOL = 120, OPS = 120 };
    uint8_t pool[POOL][320];
    size_t lens[POOL];
    for (unsigned i = 0; i < POOL; i++)
        lens[i] = s_rec(4, i, pool[i]);
    unsigned model[POOL];
    size_t nmodel = 0;
    uint8_t in_model[POOL] = {0};
    srand(12345);

    store_t *st = s_open(NULL);
    for (unsigned op = 0; op < OPS; op++) {
        unsigned n = 1 + (unsigned)rand() % 6;
        store_rec_t recs[6];
        unsigned pick[6];
        int want = 0;
        for (unsigned k = 0; k < n; k++) {
            pick[k] = (unsigned)rand() % POOL;
            recs[k] = (store_rec_t){pool[pick[k]], lens[pick[k]]};
            if (!in_model[pick[k]]) {
                in_model[pick[k]] = 1;
                model[nmodel++] = pick[k];
                want++;
            }
        }
        if (n == 1)
            cr_assert_eq(store_put(st, recs[0].data, recs[0].len, NULL, NULL), want);
        else
            cr_assert_eq(store_put_many(st, recs, n, NULL, NULL), want);
        if (op % 40 == 39) {
            store_close(&st);
            st = s_open(NULL);
        }
        cr_assert_eq(store_count(st), nmodel);
    }
    store_close(&st);
    st = s_open(NULL);
    s_expect(st, 4, model, nmodel);
    store_close(&st);
}

/* ---- damage ----------------------------------------------------------- */

Test(store, reopen_after_torn_tail_keeps_acknowledged_records)
{
    size_t lens[6];
    s_fill(5, 6, lens);
    off_t size = s_size(s_log);
    cr_assert_eq(truncate(s_log, size - 3), 0);

    store_report_t rep;
    store_t *st = s_open(&rep);
    unsigned idx[] = {0, 1, 2, 3, 4, 5, 6};
    s_expect(st, 5, idx, 5);
    cr_assert_eq(rep.records, 5);
    cr_assert_eq(rep.tail_cut_bytes, (uint64_t)(S_FRAME_HDR + lens[5] - 3));
    cr_assert_eq(rep.corrupt_regions, 0);
    cr_assert_eq(s_size(s_log), s_frame_at(lens, 5));

    /* Writable again, and the new record survives a reopen. */
    uint8_t buf[320];
    size_t len = s_rec(5, 6, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    store_close(&st);
    st = s_open(&rep);
    cr_assert_eq(rep.tail_cut_bytes, 0);
    unsigned after[] = {0, 1, 2, 3, 4, 6};
    s_expect(st, 5, after, 6);
    store_close(&st);
}

Test(store, torn_frame_header_at_tail_is_cut)
{
    size_t lens[3];
    s_fill(6, 3, lens);
    uint8_t partial[5] = {0xED, 0xE5, 0xB1, 0xB0, 0x10}; /* magic + 1 length byte */
    s_append(s_log, partial, sizeof partial);
    store_report_t rep;
    store_t *st = s_open(&rep);
    unsigned idx[] = {0, 1, 2};
    s_expect(st, 6, idx, 3);
    cr_assert_eq(rep.tail_cut_bytes, sizeof partial);
    cr_assert_eq(rep.corrupt_regions, 0);
    store_close(&st);
}

Test(store, garbage_appended_after_last_frame_is_cut)
{
    size_t lens[4];
    s_fill(7, 4, lens);
    off_t size = s_size(s_log);
    uint8_t junk[50];
    for (unsigned i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 97 + 13);
    s_append(s_log, junk, sizeof junk);

    store_report_t rep;
    store_t *st = s_open(&rep);
    unsigned idx[] = {0, 1, 2, 3, 4};
    s_expect(st, 7, idx, 4);
    cr_assert_eq(rep.tail_cut_bytes, sizeof junk);
    cr_assert_eq(rep.corrupt_regions, 0);
    cr_assert_eq(s_size(s_log), size);

    uint8_t buf[320];
    size_t len = s_rec(7, 4, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    store_close(&st);
    st = s_open(&rep);
    cr_assert_eq(rep.tail_cut_bytes, 0);
    s_expect(st, 7, idx, 5);
    store_close(&st);
}

Test(store, flipped_byte_in_middle_record_is_reported_and_others_kept)
{
    size_t lens[5];
    s_fill(8, 5, lens);
    off_t at = s_frame_at(lens, 2);
    s_flip(s_log, at + S_FRAME_HDR + 7);

    store_report_t rep;
    store_t *st = s_open(&rep);
    unsigned idx[] = {0, 1, 3, 4, 5};
    s_expect(st, 8, idx, 4);
    cr_assert_eq(rep.records, 4);
    cr_assert_eq(rep.corrupt_regions, 1);
    cr_assert_eq(rep.first_corrupt_at, (uint64_t)at);
    cr_assert_eq(rep.corrupt_bytes, (uint64_t)(S_FRAME_HDR + lens[2]));
    cr_assert_eq(rep.tail_cut_bytes, 0);

    /* Still writable; the damage is reported again, never silently dropped. */
    uint8_t buf[320];
    size_t len = s_rec(8, 5, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    store_close(&st);
    st = s_open(&rep);
    s_expect(st, 8, idx, 5);
    cr_assert_eq(rep.corrupt_regions, 1);
    cr_assert_eq(rep.first_corrupt_at, (uint64_t)at);
    store_close(&st);
}

/* Once the node has the damaged edits back from a peer, store_compact cuts
 * the damage from the file: the next open is clean and keeps every record,
 * in the same order, with the same indices. */
Test(store, compact_removes_a_damaged_region_so_the_next_open_is_clean)
{
    size_t lens[5];
    s_fill(9, 5, lens);
    off_t at = s_frame_at(lens, 2);
    s_flip(s_log, at + S_FRAME_HDR + 3);
    off_t before = s_size(s_log);
    store_report_t rep;
    store_t *st = s_open(&rep);
    cr_assert_eq(rep.corrupt_regions, 1);
    /* the lost record comes back from a peer, appended */
    uint8_t buf[320];
    size_t len = s_rec(9, 2, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    char *cause = NULL;
    cr_assert_eq(store_compact(st, &cause), 0, "%s", cause ? cause : "");
    unsigned idx[] = {0, 1, 3, 4, 2};
    s_expect(st, 9, idx, 5);
    store_close(&st);
    cr_assert_eq(s_size(s_log), before, "the damaged copy went, the fresh copy came");
    st = s_open(&rep);
    cr_assert_eq(rep.corrupt_regions, 0, "the damage is gone from disk");
    cr_assert_eq(rep.tail_cut_bytes, 0);
    s_expect(st, 9, idx, 5);
    store_close(&st);
}

/* A purge or compaction that crashed leaves edits.log.new beside the log;
 * the next open removes it (the log is complete without it). */
Test(store, open_removes_the_copy_an_interrupted_purge_left)
{
    s_fill(10, 3, NULL);
    char path[200];
    snprintf(path, sizeof path, "%s/edits.log.new", s_dir);
    static const char junk[] = "BUURTLG1 half a copy";
    s_write_at(path, 0, junk, sizeof junk - 1);
    store_report_t rep;
    store_t *st = s_open(&rep);
    cr_assert_eq(rep.leftover_bytes, sizeof junk - 1);
    cr_assert_eq(access(path, F_OK), -1, "edits.log.new is still there");
    unsigned idx[] = {0, 1, 2};
    s_expect(st, 10, idx, 3);
    store_close(&st);
    st = s_open(&rep);
    cr_assert_eq(rep.leftover_bytes, 0);
    store_close(&st);
}

Test(store, damaged_length_field_in_middle_is_caught_by_crc)
{
    size_t lens[5];
    s_fill(9, 5, lens);
    off_t at = s_frame_at(lens, 1);
    s_flip(s_log, at + 4); /* low byte of len: still a plausible length */

    store_report_t rep;
    store_t *st = s_open(&rep);
    unsigned idx[] = {0, 2, 3, 4};
    s_expect(st, 9, idx, 4);
    cr_assert_eq(rep.corrupt_regions, 1);
    cr_assert_eq(rep.first_corrupt_at, (uint64_t)at);
    cr_assert_eq(rep.corrupt_bytes, (uint64_t)(S_FRAME_HDR + lens[1]));
    store_close(&st);
}

Test(store, flipped_byte_in_last_record_is_cut_as_tail)
{
    size_t lens[5];
    s_fill(10, 5, lens);
    off_t at = s_frame_at(lens, 4);
    s_flip(s_log, at + S_FRAME_HDR + lens[4] - 1);

    store_report_t rep;
    store_t *st = s_open(&rep);
    unsigned idx[] = {0, 1, 2, 3};
    s_expect(st, 10, idx, 4);
    cr_assert_eq(rep.corrupt_regions, 0);
    cr_assert_eq(rep.tail_cut_bytes, (uint64_t)(S_FRAME_HDR + lens[4]));
    cr_assert_eq(s_size(s_log), at);
    store_close(&st);
}

Test(store, duplicate_frames_in_file_are_counted_and_loaded_once)
{
    size_t lens[3];
    s_fill(11, 3, lens);
    size_t n = S_FRAME_HDR + lens[1];
    uint8_t *frame = xmalloc(n);
    int fd = open(s_log, O_RDONLY);
    cr_assert_eq(pread(fd, frame, n, s_frame_at(lens, 1)), (ssize_t)n);
    close(fd);
    s_append(s_log, frame, n);
    free(frame);

    store_report_t rep;
    store_t *st = s_open(&rep);
    unsigned idx[] = {0, 1, 2};
    s_expect(st, 11, idx, 3);
    cr_assert_eq(rep.duplicates, 1);
    cr_assert_eq(rep.corrupt_regions, 0);
    cr_assert_eq(rep.tail_cut_bytes, 0);
    store_close(&st);
}

Test(store, bad_header_on_non_empty_file_is_reported_not_fatal)
{
    size_t lens[3];
    s_fill(12, 3, lens);
    s_write_at(s_log, 0, "XXXXXXXX", 8);

    store_report_t rep;
    store_t *st = s_open(&rep);
    unsigned idx[] = {0, 1, 2, 3};
    s_expect(st, 12, idx, 3);
    cr_assert_eq(rep.corrupt_regions, 1);
    cr_assert_eq(rep.first_corrupt_at, 0);
    cr_assert_eq(rep.corrupt_bytes, 8);
    uint8_t buf[320];
    size_t len = s_rec(12, 3, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    store_close(&st);
    st = s_open(&rep);
    s_expect(st, 12, idx, 4);
    store_close(&st);
}

Test(store, unrecognised_file_is_kept_and_appended_after)
{
    cr_assert_eq(mkdir(s_dir, 0700), 0);
    uint8_t junk[100];
    memset(junk, 'Z', sizeof junk);
    s_write_at(s_log, 0, junk, sizeof junk);

    store_report_t rep;
    store_t *st = s_open(&rep);
    cr_assert_eq(store_count(st), 0);
    cr_assert_eq(rep.corrupt_regions, 1);
    cr_assert_eq(rep.corrupt_bytes, sizeof junk);
    cr_assert_eq(rep.tail_cut_bytes, 0);
    uint8_t buf[320];
    size_t len = s_rec(13, 0, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    store_close(&st);
    cr_assert_eq(s_size(s_log), (off_t)(sizeof junk + S_FRAME_HDR + len));

    st = s_open(&rep);
    unsigned idx[] = {0};
    s_expect(st, 13, idx, 1);
    cr_assert_eq(rep.corrupt_regions, 1);
    cr_assert_eq(rep.corrupt_bytes, sizeof junk);
    store_close(&st);
}

Test(store, file_shorter_than_header_gets_header_rewritten)
{
    cr_assert_eq(mkdir(s_dir, 0700), 0);
    s_write_at(s_log, 0, "BUU", 3);
    store_report_t rep;
    store_t *st = s_open(&rep);
    cr_assert_eq(store_count(st), 0);
    cr_assert_eq(rep.corrupt_regions, 0);
    cr_assert_eq(s_size(s_log), S_HDR_LEN);
    cr_assert_eq(store_put(st, (const uint8_t *)"x", 1, NULL, NULL), 1);
    store_close(&st);
    st = s_open(&rep);
    cr_assert_eq(store_count(st), 1);
    cr_assert_eq(rep.corrupt_regions, 0);
    cr_assert_eq(rep.tail_cut_bytes, 0);
    store_close(&st);
}

/* ---- damage against a whole-file model -------------------------------- */

/* The documented recovery run over the whole file in memory (how the store
 * once did it): what store_open must report and keep. */
typedef struct {
    size_t n;                /* records kept */
    uint64_t *off;           /* their payload offsets in the image */
    uint32_t *len;           /* their lengths */
    uint8_t (*id)[STORE_ID_LEN];
    store_report_t rep;
    off_t size_after;        /* log size after open */
} s_model_t;

static int s_model_frame(const uint8_t *img, uint64_t size, uint64_t pos, uint32_t *len)
{
    if (pos > size || size - pos < S_FRAME_HDR || s_le32(img + pos) != 0xB0B1E5EDu)
        return 0;
    uint32_t n = s_le32(img + pos + 4);
    if (n == 0 || n > STORE_MAX_RECORD || n > size - pos - S_FRAME_HDR)
        return 0;
    /* the crc covers len then the payload, with the crc field between */
    uint8_t *covered = xmalloc(4 + (size_t)n);
    memcpy(covered, img + pos + 4, 4);
    memcpy(covered + 4, img + pos + S_FRAME_HDR, n);
    uint32_t crc = s_crc32c_tab(covered, 4 + (size_t)n);
    free(covered);
    if (crc != s_le32(img + pos + 8))
        return 0;
    *len = n;
    return 1;
}

static void s_model_note(store_report_t *rep, uint64_t from, uint64_t to)
{
    if (rep->corrupt_regions++ == 0)
        rep->first_corrupt_at = from;
    rep->corrupt_bytes += to - from;
}

static void s_model_load(const uint8_t *img, uint64_t size, s_model_t *m)
{
    memset(m, 0, sizeof *m);
    size_t cap = (size_t)(size / S_FRAME_HDR) + 1;
    m->off = xmalloc(cap * sizeof *m->off);
    m->len = xmalloc(cap * sizeof *m->len);
    m->id = xmalloc(cap * STORE_ID_LEN);
    m->size_after = (off_t)size;
    if (size < S_HDR_LEN) {
        m->rep.tail_cut_bytes = size;
        m->size_after = S_HDR_LEN;
        return;
    }
    int header_ok = memcmp(img, "BUURTLG1", S_HDR_LEN) == 0;
    uint64_t pos = header_ok ? S_HDR_LEN : 0, none = UINT64_MAX;
    uint64_t bad_from = header_ok ? none : 0;
    while (pos < size) {
        uint32_t len;
        if (!s_model_frame(img, size, pos, &len)) {
            if (bad_from == none)
                bad_from = pos;
            do
                pos++;
            while (pos < size && !s_model_frame(img, size, pos, &len));
            continue;
        }
        if (bad_from != none) {
            s_model_note(&m->rep, bad_from, pos);
            bad_from = none;
        }
        uint8_t id[STORE_ID_LEN];
        store_hash(img + pos + S_FRAME_HDR, len, id);
        size_t k = 0;
        while (k < m->n && memcmp(m->id[k], id, STORE_ID_LEN) != 0)
            k++;
        if (k < m->n) {
            m->rep.duplicates++;
        } else {
            m->off[m->n] = pos + S_FRAME_HDR;
            m->len[m->n] = len;
            memcpy(m->id[m->n++], id, STORE_ID_LEN);
        }
        pos += S_FRAME_HDR + (uint64_t)len;
    }
    if (bad_from == 0) {
        s_model_note(&m->rep, 0, size);
    } else if (bad_from != none) {
        m->rep.tail_cut_bytes = size - bad_from;
        m->size_after = (off_t)bad_from;
    }
    m->rep.records = m->n;
}

static void s_model_free(s_model_t *m)
{
    free(m->off);
    free(m->len);
    free(m->id);
}

static uint64_t s_rng_state;

static uint32_t s_rng(uint32_t bound)
{
    uint64_t x = s_rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s_rng_state = x;
    return (uint32_t)((x >> 16) % bound);
}

/* Appends a valid frame of len random bytes; returns its offset. */
static size_t s_gen_frame(buf_t *img, size_t len)
{
    size_t at = img->len;
    uint8_t hdr[S_FRAME_HDR] = {0xED, 0xE5, 0xB1, 0xB0};
    uint8_t *body = xmalloc(4 + len);
    body[0] = (uint8_t)len;
    body[1] = (uint8_t)(len >> 8);
    body[2] = (uint8_t)(len >> 16);
    body[3] = (uint8_t)(len >> 24);
    for (size_t k = 0; k < len; k++)
        body[4 + k] = (uint8_t)s_rng(256);
    uint32_t crc = s_crc32c_tab(body, 4 + len);
    memcpy(hdr + 4, body, 4);
    for (int k = 0; k < 4; k++)
        hdr[8 + k] = (uint8_t)(crc >> (8 * k));
    buf_append(img, hdr, sizeof hdr);
    buf_append(img, body + 4, len);
    free(body);
    return at;
}

static size_t s_gen_len(void)
{
    uint32_t r = s_rng(100);
    if (r < 2)
        return STORE_MAX_RECORD - s_rng(3);
    if (r < 6)
        return 1 + s_rng(STORE_MAX_RECORD);
    if (r < 30)
        return 1 + s_rng(20000);
    return 1 + s_rng(500);
}

/* A log of about target bytes: valid frames mixed with duplicates, damaged
 * frames, junk holding stray magics and plausible headers, frames hidden
 * inside damaged ones, and sometimes a bad header or a torn tail. */
static void s_gen_log(buf_t *img, size_t target)
{
    static const uint8_t magic[4] = {0xED, 0xE5, 0xB1, 0xB0};
    if (s_rng(8) == 0)
        buf_append(img, "XXXXXXXX", S_HDR_LEN);
    else
        buf_append(img, "BUURTLG1", S_HDR_LEN);
    size_t frames[256], nframes = 0;
    while (img->len < target) {
        uint32_t r = s_rng(100);
        if (r < 60 || nframes == 0) {
            size_t at = s_gen_frame(img, s_gen_len());
            if (nframes < 256)
                frames[nframes++] = at;
        } else if (r < 68) {
            /* a duplicate of an earlier frame */
            size_t at = frames[s_rng((uint32_t)nframes)];
            size_t n = S_FRAME_HDR + s_le32(img->data + at + 4);
            uint8_t *copy = xmalloc(n);
            memcpy(copy, img->data + at, n);
            buf_append(img, copy, n);
            free(copy);
        } else if (r < 80) {
            /* a damaged frame */
            size_t at = s_gen_frame(img, s_gen_len());
            img->data[at + s_rng((uint32_t)(img->len - at))] ^= (uint8_t)(1u << s_rng(8));
        } else if (r < 90) {
            /* junk with stray magics and headers claiming any length */
            size_t n = 1 + s_rng(r < 88 ? 100 : 300000);
            for (size_t k = 0; k < n; k++) {
                uint32_t c = s_rng(100000);
                if (c < 300) {
                    buf_append(img, magic, 4);
                    uint8_t len[8];
                    uint32_t claim = c < 3 ? s_rng(STORE_MAX_RECORD + 10) : s_rng(5000);
                    for (int b = 0; b < 4; b++)
                        len[b] = (uint8_t)(claim >> (8 * b));
                    for (int b = 4; b < 8; b++)
                        len[b] = (uint8_t)s_rng(256);
                    buf_append(img, len, sizeof len);
                } else if (c < 600) {
                    buf_append(img, magic, 1 + s_rng(3)); /* part of a magic */
                } else {
                    buf_putc(img, (uint8_t)s_rng(256));
                }
            }
        } else if (r < 95) {
            /* a valid frame inside a damaged one: found by the search */
            size_t outer = img->len;
            uint8_t hdr[S_FRAME_HDR] = {0xED, 0xE5, 0xB1, 0xB0};
            buf_append(img, hdr, sizeof hdr);
            size_t pad = s_rng(50);
            for (size_t k = 0; k < pad; k++)
                buf_putc(img, (uint8_t)s_rng(256));
            s_gen_frame(img, 1 + s_rng(3000));
            uint32_t len = (uint32_t)(img->len - outer - S_FRAME_HDR + s_rng(20));
            for (int b = 0; b < 4; b++)
                img->data[outer + 4 + b] = (uint8_t)(len >> (8 * b));
        } else {
            /* a torn frame, sometimes in the middle */
            size_t at = s_gen_frame(img, s_gen_len());
            img->len = at + s_rng((uint32_t)(img->len - at));
        }
    }
    if (s_rng(3) == 0) {
        size_t at = s_gen_frame(img, s_gen_len());
        img->len = at + s_rng((uint32_t)(img->len - at));
    }
}

/* A store_scan callback's view of a model: record i must be the next
 * model record not purged. */
typedef struct {
    const s_model_t *m;
    const uint8_t *img;      /* the log the model was loaded from */
    const uint8_t *gone;     /* per model record: 1 if purged; or NULL */
    size_t next;             /* next model record to look at */
    size_t calls;            /* callbacks so far */
} s_scan_model_t;

static int s_scan_model(void *ctx, size_t i, const uint8_t *data, size_t len)
{
    s_scan_model_t *sc = ctx;
    while (sc->gone != NULL && sc->next < sc->m->n && sc->gone[sc->next])
        sc->next++;
    size_t j = sc->next++;
    if (i != sc->calls || j >= sc->m->n || len != sc->m->len[j] ||
        memcmp(data, sc->img + sc->m->off[j], len) != 0)
        return 1;
    sc->calls++;
    return 0;
}

/* Asserts the open store holds the model's records (all but those purged
 * when gone is not NULL) with their bytes from img. */
static void s_expect_model(const store_t *st, const s_model_t *m, const uint8_t *img,
                           const uint8_t *gone)
{
    size_t k = 0;
    buf_t got = {0};
    for (size_t i = 0; i < m->n; i++) {
        if (gone != NULL && gone[i])
            continue;
        cr_assert_lt(k, store_count(st));
        cr_assert_eq(store_len(st, k), m->len[i], "record %zu", k);
        cr_assert_eq(memcmp(store_id(st, k), m->id[i], STORE_ID_LEN), 0, "record %zu", k);
        buf_reset(&got);
        cr_assert_eq(store_read(st, k, &got), 0);
        cr_assert_eq(got.len, m->len[i]);
        cr_assert_eq(memcmp(got.data, img + m->off[i], got.len), 0, "record %zu bytes", k);
        k++;
    }
    buf_free(&got);
    cr_assert_eq(store_count(st), k);
    s_scan_model_t sc = {.m = m, .img = img, .gone = gone};
    cr_assert_eq(store_scan(st, s_scan_model, &sc, NULL), 0, "scan failed at %zu", sc.calls);
    cr_assert_eq(sc.calls, k);
}

Test(store, random_damage_loads_like_the_whole_file_model)
{
    enum { ROUNDS = 14 };
    for (unsigned round = 0; round < ROUNDS; round++) {
        s_rng_state = 0x2545F4914F6CDD1Du + round * 7919u;
        snprintf(s_dir, sizeof s_dir, "%s/store%u", s_root, round);
        snprintf(s_log, sizeof s_log, "%s/edits.log", s_dir);
        cr_assert_eq(mkdir(s_dir, 0700), 0);
        buf_t img = {0};
        s_gen_log(&img, round < 4 ? 1 + s_rng(30000) : 1 + s_rng(6u << 20));
        s_write_at(s_log, 0, img.data ? (void *)img.data : (void *)"", img.len);
        s_model_t m;
        s_model_load(img.data, img.len, &m);

        store_report_t rep;
        store_t *st = s_open(&rep);
        cr_assert_eq(rep.records, m.rep.records, "round %u", round);
        cr_assert_eq(rep.duplicates, m.rep.duplicates, "round %u", round);
        cr_assert_eq(rep.tail_cut_bytes, m.rep.tail_cut_bytes, "round %u", round);
        cr_assert_eq(rep.corrupt_regions, m.rep.corrupt_regions, "round %u", round);
        cr_assert_eq(rep.corrupt_bytes, m.rep.corrupt_bytes, "round %u", round);
        cr_assert_eq(rep.first_corrupt_at, m.rep.first_corrupt_at, "round %u", round);
        cr_assert_eq(s_size(s_log), m.size_after, "round %u", round);
        s_expect_model(st, &m, img.data, NULL);

        /* Purge about a third; the rest reads back, also after a reopen. */
        uint8_t *gone = xcalloc(m.n + 1, 1);
        uint8_t(*ids)[STORE_ID_LEN] = xmalloc((m.n + 1) * STORE_ID_LEN);
        size_t nids = 0;
        for (size_t i = 0; i < m.n; i++) {
            if (s_rng(3) == 0) {
                gone[i] = 1;
                memcpy(ids[nids++], m.id[i], STORE_ID_LEN);
            }
        }
        cr_assert_eq(store_purge(st, (const uint8_t(*)[STORE_ID_LEN])ids, nids, NULL), 0);
        s_expect_model(st, &m, img.data, gone);
        store_close(&st);
        st = s_open(&rep);
        cr_assert_eq(rep.corrupt_regions + rep.tail_cut_bytes + rep.duplicates,
                     nids ? 0 : m.rep.corrupt_regions + m.rep.duplicates);
        s_expect_model(st, &m, img.data, gone);
        store_close(&st);

        free(gone);
        free(ids);
        s_model_free(&m);
        buf_free(&img);
        cr_assert_eq(unlink(s_log), 0);
    }
}

/* ---- limits and failures ---------------------------------------------- */

Test(store, empty_and_oversized_records_are_refused)
{
    store_t *st = s_open(NULL);
    uint8_t *big = xcalloc(STORE_MAX_RECORD + 1, 1);
    char *cause = NULL;
    cr_assert_eq(store_put(st, big, STORE_MAX_RECORD + 1, NULL, &cause), BU_ETOOBIG);
    cr_assert_not_null(cause);
    free(cause);
    cause = NULL;
    cr_assert_eq(store_put(st, big, 0, NULL, &cause), BU_ETOOBIG);
    cr_assert_not_null(cause);
    free(cause);

    /* One bad record fails the whole batch; nothing is written. */
    store_rec_t recs[2] = {{(const uint8_t *)"ok", 2}, {big, STORE_MAX_RECORD + 1}};
    uint8_t added[2] = {7, 7};
    cr_assert_eq(store_put_many(st, recs, 2, added, NULL), BU_ETOOBIG);
    cr_assert_eq(store_count(st), 0);
    cr_assert_eq(s_size(s_log), S_HDR_LEN);

    /* Exactly the limit is fine and survives a reopen. */
    big[0] = 1;
    cr_assert_eq(store_put(st, big, STORE_MAX_RECORD, NULL, NULL), 1);
    store_close(&st);
    store_report_t rep;
    st = s_open(&rep);
    cr_assert_eq(store_count(st), 1);
    s_expect_one(st, 0, big, STORE_MAX_RECORD);
    cr_assert_eq(rep.tail_cut_bytes, 0);
    free(big);
    store_close(&st);
}

Test(store, failed_write_is_rolled_back_and_store_stays_usable)
{
    store_t *st = s_open(NULL);
    uint8_t buf[320];
    size_t len = s_rec(14, 0, buf);
    cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
    off_t size = s_size(s_log);

    /* Let the file grow by only 100 more bytes: bigger writes fail (EFBIG). */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)size + 100;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);

    uint8_t big[300], id[STORE_ID_LEN];
    memset(big, 'B', sizeof big);
    char *cause = NULL;
    int rc_big = store_put(st, big, sizeof big, NULL, &cause);
    off_t size_after_fail = s_size(s_log);
    int rc_small = store_put(st, (const uint8_t *)"small", 5, NULL, NULL);
    store_rec_t recs[2] = {{(const uint8_t *)"tiny", 4}, {big, sizeof big}};
    uint8_t added[2] = {9, 9};
    int rc_batch = store_put_many(st, recs, 2, added, NULL);
    off_t size_after_batch = s_size(s_log);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);

    cr_assert_eq(rc_big, BU_EIO);
    cr_assert_not_null(cause);
    free(cause);
    cr_assert_eq(size_after_fail, size);
    cr_assert_eq(rc_small, 1);
    cr_assert_eq(rc_batch, BU_EIO);
    cr_assert_eq(added[0], 0);
    cr_assert_eq(added[1], 0);
    cr_assert_eq(size_after_batch, size + S_FRAME_HDR + 5);
    cr_assert_eq(store_count(st), 2);
    store_hash((const uint8_t *)"tiny", 4, id);
    cr_assert_eq(store_find(st, id), -1);
    store_hash(big, sizeof big, id);
    cr_assert_eq(store_find(st, id), -1);

    /* Retrying after the failure succeeds. */
    cr_assert_eq(store_put_many(st, recs, 2, added, NULL), 2);
    store_close(&st);
    store_report_t rep;
    st = s_open(&rep);
    cr_assert_eq(store_count(st), 4);
    cr_assert_eq(rep.tail_cut_bytes, 0);
    cr_assert_eq(rep.corrupt_regions, 0);
    cr_assert_eq(store_find(st, id), 3);
    store_close(&st);
}

/* ---- locking ---------------------------------------------------------- */

Test(store, second_open_fails_with_locked_until_first_closes)
{
    store_t *st = s_open(NULL);

    /* Same process, separate open(): flock conflicts too. */
    store_t *again = NULL;
    char *cause = NULL;
    cr_assert_eq(store_open(s_dir, &again, NULL, &cause), BU_ELOCKED);
    cr_assert_null(again);
    cr_assert_not_null(cause);
    cr_assert_not_null(strstr(cause, "locked"));
    cr_assert_not_null(strstr(cause, s_dir));
    free(cause);

    /* Another process. It reports its result through a pipe, not its exit
     * status, which valgrind --error-exitcode may overwrite. */
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(p[0]);
        store_t *c = NULL;
        int rc = store_open(s_dir, &c, NULL, NULL);
        /* Frees the inherited copy (for valgrind); closing these duplicate
         * descriptors does not release the parent's flock. */
        store_close(&st);
        store_close(&c);
        _exit(write(p[1], &rc, sizeof rc) == (ssize_t)sizeof rc ? 0 : 1);
    }
    close(p[1]);
    int child_rc = 0;
    cr_assert_eq(read(p[0], &child_rc, sizeof child_rc), (ssize_t)sizeof child_rc);
    close(p[0]);
    cr_assert_eq(waitpid(pid, NULL, 0), pid);
    cr_assert_eq(child_rc, BU_ELOCKED);

    /* The failed opens did not release the first lock. */
    cr_assert_eq(store_open(s_dir, &again, NULL, NULL), BU_ELOCKED);
    store_close(&st);
    again = s_open(NULL);
    store_close(&again);
}

/* ---- kill -9 ---------------------------------------------------------- */

/* Child: opens the store and puts records 0, 1, 2, ... of family tag,
 * writing each index to fd after store_put has returned. Never returns. */
static void s_writer(int fd, unsigned tag)
{
    store_t *st = NULL;
    if (store_open(s_dir, &st, NULL, NULL) != 0)
        _exit(2);
    uint8_t buf[320];
    for (uint32_t i = 0;; i++) {
        size_t len = s_rec(tag, i, buf);
        if (store_put(st, buf, len, NULL, NULL) != 1)
            _exit(3);
        if (write(fd, &i, sizeof i) != (ssize_t)sizeof i)
            _exit(4);
    }
}

static int s_read_full(int fd, void *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (uint8_t *)p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

Test(store, kill_9_during_burst_keeps_every_acknowledged_record)
{
    static const unsigned kill_after[] = {1, 2, 9, 40, 150};
    unsigned acked_total = 0;
    for (unsigned round = 0; round < sizeof kill_after / sizeof kill_after[0]; round++) {
        unsigned tag = 100 + round;
        snprintf(s_dir, sizeof s_dir, "%s/store%u", s_root, round);
        int p[2];
        cr_assert_eq(pipe(p), 0);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            close(p[0]);
            s_writer(p[1], tag);
        }
        close(p[1]);

        uint32_t acked = 0, i;
        for (unsigned k = 0; k < kill_after[round]; k++) {
            cr_assert_eq(s_read_full(p[0], &i, sizeof i), 0, "writer died early");
            cr_assert_eq(i, acked);
            acked++;
        }
        cr_assert_eq(kill(pid, SIGKILL), 0);
        int status = 0;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        while (s_read_full(p[0], &i, sizeof i) == 0) {
            cr_assert_eq(i, acked);
            acked++;
        }
        close(p[0]);
        acked_total += acked;

        store_report_t rep;
        store_t *st = s_open(&rep);
        cr_assert_eq(rep.corrupt_regions, 0);
        cr_assert_eq(rep.duplicates, 0);
        size_t n = store_count(st);
        cr_assert(n == acked || n == acked + 1, "round %u: %zu records, %u acked", round, n,
                  acked);
        uint8_t buf[320], id[STORE_ID_LEN];
        for (uint32_t k = 0; k < n; k++) {
            size_t len = s_rec(tag, k, buf);
            store_hash(buf, len, id);
            cr_assert_eq(store_find(st, id), (long)k, "round %u: record %u missing", round, k);
        }
        /* And it is writable afterwards. */
        size_t len = s_rec(tag, (unsigned)n + 1000, buf);
        cr_assert_eq(store_put(st, buf, len, NULL, NULL), 1);
        store_close(&st);
    }
    cr_assert_geq(acked_total, 202);
}

/* ---- scale ------------------------------------------------------------ */

Test(store, opens_store_of_100000_records)
{
    enum { N = 100000, BATCH = 10000, RLEN = 24 };
    store_t *st = s_open(NULL);
    uint8_t *mem = xcalloc((size_t)BATCH, RLEN);
    store_rec_t *recs = xmalloc(BATCH * sizeof *recs);
    for (unsigned b = 0; b < N / BATCH; b++) {
        for (unsigned k = 0; k < BATCH; k++) {
            uint8_t *p = mem + (size_t)k * RLEN;
            snprintf((char *)p, RLEN, "small-%08u-padding", b * BATCH + k);
            recs[k] = (store_rec_t){p, RLEN};
        }
        cr_assert_eq(store_put_many(st, recs, BATCH, NULL, NULL), BATCH);
    }
    free(recs);
    free(mem);
    store_close(&st);

    store_report_t rep;
    st = s_open(&rep);
    cr_assert_eq(rep.records, N);
    cr_assert_eq(store_count(st), N);
    cr_assert_eq(rep.corrupt_regions + rep.tail_cut_bytes + rep.duplicates, 0);
    uint8_t rec[RLEN] = {0}, id[STORE_ID_LEN];
    unsigned probe[] = {0, 1, 4242, 77777, N - 1};
    for (unsigned k = 0; k < 5; k++) {
        memset(rec, 0, sizeof rec);
        snprintf((char *)rec, RLEN, "small-%08u-padding", probe[k]);
        store_hash(rec, RLEN, id);
        cr_assert_eq(store_find(st, id), (long)probe[k]);
        s_expect_one(st, probe[k], rec, RLEN);
    }
    store_close(&st);
}
