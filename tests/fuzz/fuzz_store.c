/*
 * fuzz_store.c -- the store on an arbitrary edits.log (node/store.h).
 *
 * Each input is written as <dir>/edits.log of one temporary store
 * directory (made once per process, in /dev/shm when there is one so that
 * fsync costs nothing, and removed at exit); then store_open, store_scan
 * and store_read of every record, store_close, and the same again.
 *
 * Properties: store_open never fails because of the log's contents; the
 * report counts the records held; store_scan visits every record once, in
 * order, with the bytes store_read returns, the length store_len gives and
 * the id store_id gives (BLAKE2b-256 of the bytes), and store_find finds
 * each id at its index; a second open finds the same records, reports
 * the same damage and duplicates and cuts nothing more.
 */
#include "node/store.h"
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static char s_dir[256];

static void s_cleanup(void)
{
    DIR *d = opendir(s_dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", s_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(s_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(s_dir, sizeof s_dir, "%s/buurt-fuzz-store-XXXXXX", base ? base : "/tmp");
    FUZZ_CHECK(mkdtemp(s_dir) != NULL);
    atexit(s_cleanup);
    return 0;
}

typedef struct {
    const store_t *store;
    size_t next;  /* index the next record must have */
    buf_t read;   /* store_read of it */
} s_scan_t;

static int s_visit(void *ctx, size_t i, const uint8_t *data, size_t len)
{
    s_scan_t *sc = ctx;
    FUZZ_CHECK(i == sc->next);
    sc->next++;
    FUZZ_CHECK(len > 0 && len <= STORE_MAX_RECORD && len == store_len(sc->store, i));
    buf_reset(&sc->read);
    FUZZ_CHECK(store_read(sc->store, i, &sc->read) == 0);
    FUZZ_CHECK(sc->read.len == len && memcmp(sc->read.data, data, len) == 0);
    uint8_t id[STORE_ID_LEN];
    store_hash(data, len, id);
    FUZZ_CHECK(memcmp(id, store_id(sc->store, i), STORE_ID_LEN) == 0);
    FUZZ_CHECK(store_find(sc->store, id) == (long)i);
    return 0;
}

/* Opens the store, checks every record and closes it; returns the count
 * and (ids != NULL) the ids, in a new array. */
static size_t s_check(store_report_t *rep, uint8_t **ids)
{
    store_t *st = NULL;
    char *cause = NULL;
    int rc = store_open(s_dir, &st, rep, &cause);
    if (rc < 0)
        fprintf(stderr, "store_open: %s\n", cause ? cause : "(no cause)");
    FUZZ_CHECK(rc == 0 && st != NULL);
    size_t n = store_count(st);
    FUZZ_CHECK(n == rep->records);
    s_scan_t sc = {st, 0, {0}};
    FUZZ_CHECK(store_scan(st, s_visit, &sc, &cause) == 0);
    FUZZ_CHECK(sc.next == n);
    buf_free(&sc.read);
    if (ids) {
        *ids = malloc(n * STORE_ID_LEN + 1);
        FUZZ_CHECK(*ids != NULL);
        for (size_t i = 0; i < n; i++)
            memcpy(*ids + i * STORE_ID_LEN, store_id(st, i), STORE_ID_LEN);
    }
    store_close(&st);
    FUZZ_CHECK(st == NULL);
    free(cause);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char log[300];
    snprintf(log, sizeof log, "%s/edits.log", s_dir);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0);
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        FUZZ_CHECK(w > 0);
        off += (size_t)w;
    }
    close(fd);

    store_report_t first, second;
    uint8_t *ids1 = NULL, *ids2 = NULL;
    size_t n1 = s_check(&first, &ids1);
    size_t n2 = s_check(&second, &ids2);
    FUZZ_CHECK(n1 == n2 && memcmp(ids1, ids2, n1 * STORE_ID_LEN) == 0);
    FUZZ_CHECK(second.tail_cut_bytes == 0);
    FUZZ_CHECK(second.leftover_bytes == 0);
    FUZZ_CHECK(second.corrupt_regions == first.corrupt_regions &&
               second.corrupt_bytes == first.corrupt_bytes &&
               second.duplicates == first.duplicates);
    free(ids1);
    free(ids2);
    return 0;
}
