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

static int s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void s_teardown(void)
{
    nftw(s_root, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
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

/* Asserts the store holds exactly records idx[0..n) of family tag, in order. */
static void s_expect(const store_t *st, unsigned tag, const unsigned *idx, size_t n)
{
    cr_assert_eq(store_count(st), n, "count %zu, expected %zu", store_count(st), n);
    uint8_t buf[320], id[STORE_ID_LEN];
    for (size_t k = 0; k < n; k++) {
        size_t len = s_rec(tag, idx[k], buf), got_len = 0;
        const uint8_t *got = store_get(st, k, &got_len);
        cr_assert_eq(got_len, len, "record %zu length", k);
        cr_assert_eq(memcmp(got, buf, len), 0, "record %zu bytes", k);
        store_hash(buf, len, id);
        cr_assert_eq(memcmp(store_id(st, k), id, STORE_ID_LEN), 0);
        cr_assert_eq(store_find(st, id), (long)k);
    }
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

Test(store, log_file_matches_documented_frame_format)
{
    static const uint8_t check[] = "123456789";
    cr_assert_eq(s_crc32c_ref(check, 9), 0xe3069283u);

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
    const uint8_t *first = store_get(st, 0, NULL);

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

    /* Many more records: earlier store_get pointers stay valid. */
    enum { MORE = 3000 };
    store_rec_t *big = xmalloc(MORE * sizeof *big);
    uint8_t *mem = xmalloc(MORE * 320);
    for (unsigned i = 0; i < MORE; i++)
        big[i] = (store_rec_t){mem + i * 320, s_rec(3, i, mem + i * 320)};
    cr_assert_eq(store_put_many(st, big, MORE, NULL, NULL), MORE);
    free(big);
    free(mem);
    cr_assert_eq(store_get(st, 0, NULL), first);
    cr_assert_eq(memcmp(first, bufs[1], lens[1]), 0);
    cr_assert_eq(store_count(st), 5 + MORE);
    store_close(&st);

    store_report_t rep;
    st = s_open(&rep);
    cr_assert_eq(rep.duplicates, 0);
    cr_assert_eq(store_count(st), 5 + MORE);
    uint8_t buf[320], id[STORE_ID_LEN];
    size_t len = s_rec(3, MORE - 1, buf);
    store_hash(buf, len, id);
    cr_assert_eq(store_find(st, id), 5 + MORE - 1);
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
    size_t len = 0;
    cr_assert_eq(store_count(st), 1);
    cr_assert_eq(memcmp(store_get(st, 0, &len), big, STORE_MAX_RECORD), 0);
    cr_assert_eq(len, STORE_MAX_RECORD);
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
        size_t len = 0;
        cr_assert_eq(memcmp(store_get(st, probe[k], &len), rec, RLEN), 0);
    }
    store_close(&st);
}
