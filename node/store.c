/*
 * store.c -- the crash-safe, append-only edit log of one node.
 *
 * A store is a directory (created 0700 if missing) holding `lock` and
 * `edits.log` (both created 0600). The process that opens the store holds
 * flock(LOCK_EX) on `lock` until store_close; the log itself is never
 * locked, only appended to (and cut back after a torn write), except that
 * store_purge writes a copy without the purged records and renames it over
 * the log (see store.h).
 *
 * On-disk format of edits.log (all integers little-endian, no padding):
 *
 *     file   = header frame*
 *     header = "BUURTLG1"                  8 bytes, ASCII, no terminator
 *     frame  = magic len crc payload
 *     magic  = u32 0xB0B1E5ED              bytes ED E5 B1 B0
 *     len    = u32, 1 .. STORE_MAX_RECORD  payload length in bytes
 *     crc    = u32 CRC-32C (Castagnoli, reflected polynomial 0x82F63B78,
 *              initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF; the common
 *              "CRC-32C", check value 0xE3069283 for "123456789") computed
 *              over the 4 bytes of `len` followed by the `len` payload
 *              bytes, so a damaged length is caught too
 *     payload = len bytes: one record, opaque to the store
 *
 * A frame is valid when its magic matches, 1 <= len <= STORE_MAX_RECORD,
 * the whole frame lies inside the file and the crc matches. A record's id is
 * BLAKE2b-256 (unkeyed, 32-byte output) of its payload; ids are not stored.
 *
 * Recovery at open. Frames are read in order from offset 8. At a frame that
 * is not valid, the reader searches forward byte by byte for the next offset
 * where a valid frame starts:
 *  - none found: the bytes from the bad frame to end of file are a torn
 *    tail; the file is truncated there and fsync'd (tail_cut_bytes);
 *  - found: the bytes in between are a corrupt region in the middle; they
 *    are reported (corrupt_regions, corrupt_bytes, first_corrupt_at), left
 *    on disk untouched, and reading resumes at the valid frame.
 * A file shorter than the header (including empty) is reset to just the
 * header. A file of 8 or more bytes whose first 8 bytes are not the header
 * is reported as a corrupt region from offset 0 to the first valid frame
 * (searched for from offset 0, so the region is 0 bytes long when a frame
 * starts right at offset 0); if no valid frame follows at all, the whole
 * file is kept as one corrupt region and new frames are appended after it
 * (bytes that are not recognisably ours are never cut). A valid frame whose
 * record was already loaded is counted in `duplicates` and skipped.
 *
 * Writing. New frames are written with pwrite at the end of the last good
 * frame and then fdatasync'd before store_put/store_put_many return; a batch
 * is one write plus one fdatasync. On a failed write or sync the file is
 * truncated back to the previous end; if even that fails, the store refuses
 * further writes until reopened. After the log is created (or its header is
 * rewritten) the directory is fsync'd too.
 *
 * Memory: record bytes stay in the file. Each record keeps only the file
 * offset of its payload, its length and its id (s_rec_t, 48 bytes); an
 * open-addressing (linear probing) index keyed by SipHash of the id, with a
 * random per-store key, answers store_find and deduplication. The log is
 * read through a window (s_win_t) of S_WINDOW bytes, a little over
 * 2 * STORE_MAX_RECORD: at open, in store_scan and store_purge it slides
 * forward over the file, so any frame, and any span the search for the
 * next valid frame must look at, fits in it once moved to the front.
 * store_read preads one record. Offsets grow with the record index, in the
 * log as loaded, as appended and as rewritten by store_purge. Not
 * thread-safe: one thread at a time per store_t; a store_scan callback may
 * read and put (records it puts are not visited) but must not purge.
 *
 * Workload: 100,000 records of ~300 bytes open in tens of milliseconds
 * (BLAKE2b and CRC-32C over the file dominate, read in window-sized
 * chunks); appends cost one fsync each, or one per batch with
 * store_put_many; store_read costs one pread per 16 KiB of record,
 * store_scan one sequential pass over the log.
 */
#include "node/store.h"

#include "proto/err.h"
#include "proto/util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define S_HEADER "BUURTLG1"
#define S_HEADER_LEN 8
#define S_MAGIC 0xB0B1E5EDu
#define S_FRAME_HDR STORE_FRAME_HDR /* magic + len + crc */
#define S_NONE UINT64_MAX
/* Read window at open, in store_scan and store_purge: holds any whole frame
 * twice over, so a frame crossing the window's end fits once slid. */
#define S_WINDOW_MIN (1u << 20)
#define S_WINDOW_FRAMES (2u * (STORE_MAX_RECORD + S_FRAME_HDR))
#define S_WINDOW (S_WINDOW_FRAMES > S_WINDOW_MIN ? S_WINDOW_FRAMES : S_WINDOW_MIN)
#define S_READ_CHUNK (16u * 1024u) /* store_read copies through this */
#define S_READ_AHEAD (64u * 1024u) /* store_read's window */

/* One loaded or appended record; its bytes stay in the file. */
typedef struct {
    uint64_t off;              /* file offset of the payload */
    uint32_t len;              /* payload length, 1 .. STORE_MAX_RECORD */
    uint8_t id[STORE_ID_LEN];  /* BLAKE2b-256 of the payload */
} s_rec_t;

/* A window onto edits.log: buf holds the file bytes [base, base + len). */
typedef struct {
    const store_t *store;      /* whose log_fd and dir are read */
    uint64_t limit;            /* never read at or past this offset */
    uint8_t *buf;              /* cap bytes */
    size_t cap;                /* >= any range asked for */
    uint64_t base;             /* file offset of buf[0] */
    size_t len;                /* valid bytes in buf */
} s_win_t;

struct store_t {
    char *dir;                 /* store directory, as given */
    int lock_fd;               /* `lock`, flock'd; -1 when not open */
    int log_fd;                /* `edits.log`; -1 when not open */
    uint64_t end;              /* file offset where the next frame goes */
    int broken;                /* a failed write could not be undone */
    s_rec_t *recs;             /* records in log order */
    size_t nrecs;              /* records held */
    size_t caprecs;            /* allocated entries in recs */
    uint32_t *slots;           /* index: 0 empty, else record index + 1 */
    size_t nslots;             /* power of two, >= 2 * nrecs; 0 if none */
    uint8_t key[crypto_shorthash_KEYBYTES]; /* index hash key, random */
    uint8_t (*purged)[STORE_ID_LEN]; /* ids purged for good, sorted */
    size_t npurged;
    /* store_read's window: the log's bytes [rc_off, rc_off + rc_len), read
     * in one pread, so a run of neighbouring records (a catch-up served in
     * log order) costs one system call, not one each. Bytes below `end`
     * only change when the log is cut or rewritten, which drops it. */
    uint8_t *rc_buf;
    uint64_t rc_off;
    size_t rc_len;
    uint64_t rc_last;           /* where the last record read ended */
};

/* CRC-32C (Castagnoli), reflected, table for polynomial 0x82F63B78. */
static const uint32_t s_crc_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu,
    0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
    0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
    0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
    0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
    0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
    0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
    0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
    0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
    0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu,
    0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
    0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu,
    0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
    0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
    0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu,
    0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
    0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu,
    0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
    0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
    0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u,
    0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
    0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
    0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
    0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
    0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u,
    0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
    0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u,
    0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
    0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
    0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
    0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
    0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u,
    0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
    0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
    0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
    0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u,
    0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

/* Slicing by 8: s_crc8[k][b] is the crc of byte b followed by k zero
 * bytes, so eight bytes take eight lookups and no loop-carried shift per
 * byte (about 4 x the byte-wise loop; every stored and read record is
 * summed). Built once, from s_crc_table. */
static uint32_t s_crc8[8][256];
static pthread_once_t s_crc8_once = PTHREAD_ONCE_INIT;

static void s_crc8_init(void)
{
    for (int b = 0; b < 256; b++)
        s_crc8[0][b] = s_crc_table[b];
    for (int k = 1; k < 8; k++)
        for (int b = 0; b < 256; b++)
            s_crc8[k][b] = (s_crc8[k - 1][b] >> 8) ^ s_crc_table[s_crc8[k - 1][b] & 0xffu];
}

static uint32_t s_crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
    pthread_once(&s_crc8_once, s_crc8_init);
    for (; n >= 8; p += 8, n -= 8) {
        uint32_t lo = crc ^ le32_load(p), hi = le32_load(p + 4);
        crc = s_crc8[7][lo & 0xffu] ^ s_crc8[6][(lo >> 8) & 0xffu] ^
              s_crc8[5][(lo >> 16) & 0xffu] ^ s_crc8[4][lo >> 24] ^ s_crc8[3][hi & 0xffu] ^
              s_crc8[2][(hi >> 8) & 0xffu] ^ s_crc8[1][(hi >> 16) & 0xffu] ^ s_crc8[0][hi >> 24];
    }
    for (size_t i = 0; i < n; i++)
        crc = s_crc_table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
    return crc;
}

/* The frame crc: CRC-32C over the 4 length bytes then the payload. */
static uint32_t s_frame_crc(const uint8_t len_le[4], const uint8_t *payload, size_t len)
{
    uint32_t crc = s_crc_update(0xffffffffu, len_le, 4);
    return s_crc_update(crc, payload, len) ^ 0xffffffffu;
}

/* Fills the 12-byte frame header for a payload. */
static void s_frame_header(uint8_t hdr[S_FRAME_HDR], const uint8_t *payload, uint32_t len)
{
    le32_store(hdr, S_MAGIC);
    le32_store(hdr + 4, len);
    le32_store(hdr + 8, s_frame_crc(hdr + 4, payload, len));
}

uint32_t store_crc32c(const uint8_t *p, size_t n)
{
    return s_crc_update(0xffffffffu, p, n) ^ 0xffffffffu;
}

void store_frame_append(buf_t *out, const uint8_t *payload, size_t len)
{
    assert(len >= 1 && len <= STORE_MAX_RECORD);
    uint8_t hdr[S_FRAME_HDR];
    s_frame_header(hdr, payload, (uint32_t)len);
    buf_append(out, hdr, sizeof hdr);
    buf_append(out, payload, len);
}

size_t store_frame_at(const uint8_t *p, size_t n)
{
    if (n < S_FRAME_HDR || le32_load(p) != S_MAGIC)
        return 0;
    uint32_t len = le32_load(p + 4);
    if (len == 0 || len > STORE_MAX_RECORD || len > n - S_FRAME_HDR)
        return 0;
    return s_frame_crc(p + 4, p + S_FRAME_HDR, len) == le32_load(p + 8) ? len : 0;
}

size_t store_frame_next(const uint8_t *p, size_t n, size_t from)
{
    static const uint8_t magic[4] = {0xED, 0xE5, 0xB1, 0xB0};
    while (from < n && n - from >= S_FRAME_HDR) {
        const uint8_t *hit = memmem(p + from, n - from, magic, sizeof magic);
        if (hit == NULL)
            break;
        size_t cand = (size_t)(hit - p);
        if (store_frame_at(p + cand, n - cand) > 0)
            return cand;
        from = cand + 1;
    }
    return n;
}

/* Index slot hash of an id: SipHash with the store's random key, so peers
 * cannot craft records that pile up in one probe chain. */
static size_t s_slot_of(const store_t *self, const uint8_t id[STORE_ID_LEN])
{
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, id, STORE_ID_LEN, self->key);
    return (size_t)le64_load(h) & (self->nslots - 1);
}

static long s_index_find(const store_t *self, const uint8_t id[STORE_ID_LEN])
{
    if (self->nslots == 0)
        return -1;
    size_t mask = self->nslots - 1;
    for (size_t i = s_slot_of(self, id);; i = (i + 1) & mask) {
        uint32_t s = self->slots[i];
        if (s == 0)
            return -1;
        if (memcmp(self->recs[s - 1].id, id, STORE_ID_LEN) == 0)
            return (long)(s - 1);
    }
}

/* Puts record idx in the index (it must not be there yet). */
static void s_index_put(store_t *self, size_t idx)
{
    size_t mask = self->nslots - 1;
    size_t i = s_slot_of(self, self->recs[idx].id);
    while (self->slots[i] != 0)
        i = (i + 1) & mask;
    self->slots[i] = (uint32_t)(idx + 1);
}

/* Rebuilds the index over recs[0..nrecs) with at least 2 * want slots. */
static void s_index_rebuild(store_t *self, size_t want)
{
    size_t n = 1024;
    while (n < 2 * want)
        n *= 2;
    free(self->slots);
    self->slots = xcalloc(n, sizeof *self->slots);
    self->nslots = n;
    for (size_t i = 0; i < self->nrecs; i++)
        s_index_put(self, i);
}

/* Appends a record (not yet present) to recs and the index; off is the file
 * offset of its payload. */
static int s_push(store_t *self, uint64_t off, uint32_t len, const uint8_t id[STORE_ID_LEN],
                  char **cause)
{
    if (self->nrecs >= UINT32_MAX / 2)
        return bu_fail(cause, BU_ETOOBIG, "store %s holds too many records", self->dir);
    if (self->nrecs == self->caprecs) {
        self->caprecs = self->caprecs ? self->caprecs * 2 : 1024;
        self->recs = xrealloc(self->recs, self->caprecs * sizeof *self->recs);
    }
    s_rec_t *r = &self->recs[self->nrecs++];
    r->off = off;
    r->len = len;
    memcpy(r->id, id, STORE_ID_LEN);
    if (2 * self->nrecs > self->nslots)
        s_index_rebuild(self, 2 * self->nrecs);
    else
        s_index_put(self, self->nrecs - 1);
    return 0;
}

static int s_sync(int fd)
{
    while (fdatasync(fd) != 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* Writes all n bytes at off. 0 or -1 with errno set. */
static int s_pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        ssize_t w = pwrite(fd, p, chunk, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* Reads n bytes at off into p, retrying on EINTR and short reads. 0, or -1
 * with errno set (EIO when the file ends first). */
static int s_pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0) {
            errno = EIO;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* A window reading self's log up to limit, with a buffer of
 * min(S_WINDOW, limit - from) bytes (at least 1). */
static void s_win_init(s_win_t *w, const store_t *self, uint64_t from, uint64_t limit)
{
    uint64_t span = limit > from ? limit - from : 1;
    *w = (s_win_t){.store = self, .limit = limit, .base = from};
    w->cap = span < S_WINDOW ? (size_t)span : S_WINDOW;
    w->buf = xmalloc(w->cap);
}

/*
 * Points *p at the file bytes [from, from + n), which must lie below
 * w->limit, with n <= w->cap. Reads only when they are not all in the
 * window yet: the bytes from `from` to the window's end are moved to the
 * front and the rest of the window is filled from the file. Pointers from
 * earlier calls are invalid afterwards. 0 or BU_EIO with *cause set.
 */
static int s_win_get(s_win_t *w, uint64_t from, size_t n, const uint8_t **p, char **cause)
{
    assert(n <= w->cap && from <= w->limit && n <= w->limit - from);
    if (from < w->base || from + n > w->base + w->len) {
        if (from >= w->base && from < w->base + w->len) {
            size_t keep = (size_t)(w->base + w->len - from);
            memmove(w->buf, w->buf + (from - w->base), keep);
            w->len = keep;
        } else {
            w->len = 0;
        }
        w->base = from;
        uint64_t left = w->limit - (w->base + w->len);
        size_t want = w->cap - w->len;
        if (left < want)
            want = (size_t)left;
        if (s_pread_all(w->store->log_fd, w->buf + w->len, want, w->base + w->len) != 0)
            return bu_fail(cause, BU_EIO, "cannot read %s/edits.log: %s", w->store->dir,
                           strerror(errno));
        w->len += want;
    }
    *p = w->buf + (from - w->base);
    return 0;
}

/* 1 if a valid frame starts at pos (the file ends at w->limit), with *len
 * and *payload (valid until the next s_win_* call) set; 0 if not; BU_EIO. */
static int s_win_frame(s_win_t *w, uint64_t pos, uint32_t *len, const uint8_t **payload,
                       char **cause)
{
    if (pos > w->limit || w->limit - pos < S_FRAME_HDR)
        return 0;
    const uint8_t *p;
    int rc = s_win_get(w, pos, S_FRAME_HDR, &p, cause);
    if (rc < 0)
        return rc;
    if (le32_load(p) != S_MAGIC)
        return 0;
    uint32_t n = le32_load(p + 4);
    if (n == 0 || n > STORE_MAX_RECORD || n > w->limit - pos - S_FRAME_HDR)
        return 0;
    rc = s_win_get(w, pos, S_FRAME_HDR + (size_t)n, &p, cause);
    if (rc < 0)
        return rc;
    if (s_frame_crc(p + 4, p + S_FRAME_HDR, n) != le32_load(p + 8))
        return 0;
    *len = n;
    *payload = p + S_FRAME_HDR;
    return 1;
}

/* Sets *at to the offset of the first valid frame at or after from, or to
 * S_NONE. Only offsets holding the magic bytes are checked further; the
 * search crosses window boundaries (a magic split by one is found). 0 or
 * BU_EIO. */
static int s_win_next(s_win_t *w, uint64_t from, uint64_t *at, char **cause)
{
    static const uint8_t magic[4] = {0xED, 0xE5, 0xB1, 0xB0};
    *at = S_NONE;
    while (from < w->limit && w->limit - from >= S_FRAME_HDR) {
        const uint8_t *p;
        int rc = s_win_get(w, from, S_FRAME_HDR, &p, cause);
        if (rc < 0)
            return rc;
        uint64_t wend = w->base + w->len;
        const uint8_t *hit = memmem(p, (size_t)(wend - from), magic, sizeof magic);
        if (hit == NULL) {
            /* Keep the last 3 bytes: a magic may start there. The window
             * held at least S_FRAME_HDR bytes, so this moves forward. */
            from = wend - (sizeof magic - 1);
            continue;
        }
        uint64_t cand = from + (uint64_t)(hit - p);
        uint32_t len;
        const uint8_t *payload;
        rc = s_win_frame(w, cand, &len, &payload, cause);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            *at = cand;
            return 0;
        }
        from = cand + 1;
    }
    return 0;
}

/* fsyncs a directory so a newly created entry in it is durable. */
static int s_sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = 0;
    while (fsync(fd) != 0) {
        if (errno != EINTR) {
            rc = -1;
            break;
        }
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static int s_errno_code(int e)
{
    return e == EACCES || e == EPERM || e == EROFS ? BU_EPERM : BU_EIO;
}

/* mkdir -p with mode 0700 for every directory created; the parent of a
 * newly created directory is fsync'd (best effort). */
static int s_mkdirs(const char *dir, char **cause)
{
    char *p = xstrdup(dir);
    int rc = 0;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            rc = bu_fail(cause, s_errno_code(errno), "cannot create directory %s: %s", p,
                         strerror(errno));
            goto cleanup;
        }
        *s = '/';
    }
    if (mkdir(p, 0700) == 0) {
        char *slash = strrchr(p, '/');
        if (slash == p)
            (void)s_sync_dir("/");
        else if (slash != NULL) {
            *slash = '\0';
            (void)s_sync_dir(p);
        } else
            (void)s_sync_dir(".");
    } else if (errno != EEXIST) {
        rc = bu_fail(cause, s_errno_code(errno), "cannot create store directory %s: %s", p,
                     strerror(errno));
        goto cleanup;
    }
cleanup:
    free(p);
    return rc;
}

/* Truncates the log to size and syncs it. */
/* Forgets store_read's window (the log was cut or replaced). */
static void s_rc_drop(const store_t *self)
{
    ((store_t *)self)->rc_len = 0;
}

static int s_truncate(store_t *self, uint64_t size, char **cause)
{
    s_rc_drop(self);
    if (ftruncate(self->log_fd, (off_t)size) != 0 || s_sync(self->log_fd) != 0)
        return bu_fail(cause, BU_EIO, "cannot truncate %s/edits.log to %llu bytes: %s", self->dir,
                       (unsigned long long)size, strerror(errno));
    return 0;
}

/* Resets a log shorter than the header to just the header. */
static int s_write_header(store_t *self, char **cause)
{
    s_rc_drop(self);
    int rc = s_truncate(self, 0, cause);
    if (rc < 0)
        return rc;
    if (s_pwrite_all(self->log_fd, (const uint8_t *)S_HEADER, S_HEADER_LEN, 0) != 0 ||
        s_sync(self->log_fd) != 0 || s_sync_dir(self->dir) != 0)
        return bu_fail(cause, BU_EIO, "cannot write the header of %s/edits.log: %s", self->dir,
                       strerror(errno));
    self->end = S_HEADER_LEN;
    return 0;
}

static int s_cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, STORE_ID_LEN);
}

bool store_is_purged(const store_t *self, const uint8_t id[STORE_ID_LEN])
{
    return self->npurged > 0 &&
           bsearch(id, self->purged, self->npurged, STORE_ID_LEN, s_cmp_id) != NULL;
}

/* Reads `purged` (concatenated ids; a torn last id is ignored). */
static int s_load_purged(store_t *self, char **cause)
{
    char *path = xasprintf("%s/purged", self->dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(path);
        if (e == ENOENT)
            return 0;
        return bu_fail(cause, BU_EIO, "cannot open %s/purged: %s", self->dir, strerror(e));
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = bu_fail(cause, BU_EIO, "cannot read %s: %s", path, strerror(errno));
    } else {
        size_t n = (size_t)st.st_size / STORE_ID_LEN;
        self->purged = xmalloc((n ? n : 1) * STORE_ID_LEN);
        size_t got = 0;
        while (got < n * STORE_ID_LEN) {
            ssize_t r = read(fd, (uint8_t *)self->purged + got, n * STORE_ID_LEN - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        self->npurged = got / STORE_ID_LEN;
        qsort(self->purged, self->npurged, STORE_ID_LEN, s_cmp_id);
    }
    close(fd);
    free(path);
    return rc;
}

static void s_note_corrupt(store_report_t *rep, uint64_t from, uint64_t to)
{
    if (rep->corrupt_regions == 0)
        rep->first_corrupt_at = from;
    rep->corrupt_regions++;
    rep->corrupt_bytes += to - from;
}

/* Scans the log through a read window, loads every valid frame and repairs
 * the tail as the opening comment describes. */
static int s_load(store_t *self, store_report_t *rep, char **cause)
{
    struct stat st;
    if (fstat(self->log_fd, &st) != 0)
        return bu_fail(cause, BU_EIO, "cannot stat %s/edits.log: %s", self->dir, strerror(errno));
    uint64_t size = (uint64_t)st.st_size;
    if (size < S_HEADER_LEN) {
        rep->tail_cut_bytes = size;
        return s_write_header(self, cause);
    }
    s_win_t w;
    s_win_init(&w, self, 0, size);
    const uint8_t *head;
    int rc = s_win_get(&w, 0, S_HEADER_LEN, &head, cause);
    if (rc < 0)
        goto cleanup;
    int header_ok = memcmp(head, S_HEADER, S_HEADER_LEN) == 0;
    uint64_t pos = header_ok ? S_HEADER_LEN : 0;
    uint64_t bad_from = header_ok ? S_NONE : 0; /* start of the damage being crossed */
    while (pos < size) {
        uint32_t len;
        const uint8_t *payload;
        rc = s_win_frame(&w, pos, &len, &payload, cause);
        if (rc < 0)
            goto cleanup;
        if (rc == 0) {
            if (bad_from == S_NONE)
                bad_from = pos;
            rc = s_win_next(&w, pos + 1, &pos, cause);
            if (rc < 0)
                goto cleanup;
            if (pos == S_NONE)
                break;
            continue;
        }
        if (bad_from != S_NONE) {
            s_note_corrupt(rep, bad_from, pos);
            bad_from = S_NONE;
        }
        uint8_t id[STORE_ID_LEN];
        store_hash(payload, len, id);
        if (s_index_find(self, id) >= 0) {
            rep->duplicates++;
        } else if (store_is_purged(self, id)) {
            /* an interrupted purge: finished by leaving it out */
        } else {
            rc = s_push(self, pos + S_FRAME_HDR, len, id, cause);
            if (rc < 0)
                goto cleanup;
        }
        pos += S_FRAME_HDR + (uint64_t)len;
    }
    rc = 0;
    self->end = size;
    if (bad_from == 0) {
        /* Bad header and not one valid frame: not recognisably ours. */
        s_note_corrupt(rep, 0, size);
    } else if (bad_from != S_NONE) {
        rep->tail_cut_bytes = size - bad_from;
        self->end = bad_from;
        rc = s_truncate(self, bad_from, cause);
    }
cleanup:
    free(w.buf);
    return rc;
}

static uint64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool store_is_locked(const char *dir)
{
    char *path = xasprintf("%s/lock", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return false; /* no store yet: nobody holds it */
    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* releases the probe's own lock */
    return held;
}

int store_open(const char *dir, store_t **out, store_report_t *report, char **cause)
{
    return store_open_wait(dir, 0, out, report, cause);
}

int store_open_wait(const char *dir, int wait_ms, store_t **out, store_report_t *report,
                    char **cause)
{
    assert(dir != NULL);
    assert(out != NULL);
    *out = NULL;
    store_report_t rep = {0};
    char *lock_path = NULL, *log_path = NULL;
    store_t *self = xcalloc(1, sizeof *self);
    self->lock_fd = self->log_fd = -1;
    self->dir = xstrdup(dir);
    int rc = 0;

    if (sodium_init() < 0) {
        rc = bu_fail(cause, BU_EIO, "cannot initialise libsodium");
        goto cleanup;
    }
    randombytes_buf(self->key, sizeof self->key);
    rc = s_mkdirs(dir, cause);
    if (rc < 0)
        goto cleanup;

    lock_path = xasprintf("%s/lock", dir);
    self->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->lock_fd < 0) {
        rc = bu_fail(cause, s_errno_code(errno), "cannot open %s: %s", lock_path, strerror(errno));
        goto cleanup;
    }
    uint64_t until = s_mono_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
    while (flock(self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK && s_mono_ms() < until) {
            struct timespec pause = {0, 20 * 1000 * 1000}; /* held for a moment, often */
            nanosleep(&pause, NULL);
            continue;
        }
        if (errno == EWOULDBLOCK)
            rc = bu_fail(cause, BU_ELOCKED,
                         "store %s is locked by another process (is buurtd running?)", dir);
        else
            rc = bu_fail(cause, BU_EIO, "cannot lock %s: %s", lock_path, strerror(errno));
        goto cleanup;
    }

    /* the copy an interrupted purge or compaction was writing: the old log
     * is complete (a purge is finished from `purged`), so it goes */
    char *leftover = xasprintf("%s/edits.log.new", dir);
    struct stat lst;
    if (stat(leftover, &lst) == 0 && unlink(leftover) == 0)
        rep.leftover_bytes = (uint64_t)lst.st_size;
    free(leftover);

    log_path = xasprintf("%s/edits.log", dir);
    self->log_fd = open(log_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->log_fd < 0) {
        rc = bu_fail(cause, s_errno_code(errno), "cannot open %s: %s", log_path, strerror(errno));
        goto cleanup;
    }
    if ((rc = s_load_purged(self, cause)) < 0)
        goto cleanup;
    rc = s_load(self, &rep, cause);
    if (rc < 0)
        goto cleanup;
    rep.records = self->nrecs;
    *out = self;
    self = NULL;
cleanup:
    if (report != NULL)
        *report = rep;
    store_close(&self);
    free(lock_path);
    free(log_path);
    return rc;
}

void store_close(store_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    store_t *self = *self_p;
    if (self->log_fd >= 0)
        close(self->log_fd);
    if (self->lock_fd >= 0)
        close(self->lock_fd); /* releases the flock */
    free(self->recs);
    free(self->slots);
    free(self->rc_buf);
    free(self->purged);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

/* store_put_many with the ids in ids (n * STORE_ID_LEN bytes): computed
 * here unless known is set, when the caller already hashed every record. */
static int s_put_many(store_t *self, const store_rec_t *recs, size_t n, uint8_t *added_out,
                      uint8_t *ids, bool known, char **cause)
{
    buf_t frames = {0};
    size_t old_nrecs = self->nrecs;
    int rc = 0;

    if (self->broken) {
        rc = bu_fail(cause, BU_EIO,
                     "store %s could not undo a failed write; close and reopen it", self->dir);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        if (recs[i].len == 0 || recs[i].len > STORE_MAX_RECORD) {
            rc = bu_fail(cause, BU_ETOOBIG, "record of %zu bytes refused: records are 1 to %u bytes",
                         recs[i].len, STORE_MAX_RECORD);
            goto cleanup;
        }
        assert(recs[i].data != NULL);
    }
    /* Queue the new records; later duplicates in the batch find them. */
    for (size_t i = 0; i < n; i++) {
        uint8_t *id = ids + i * STORE_ID_LEN;
        uint32_t len = (uint32_t)recs[i].len;
        if (!known)
            store_hash(recs[i].data, len, id);
        int is_new = s_index_find(self, id) < 0 && !store_is_purged(self, id);
        if (added_out != NULL)
            added_out[i] = (uint8_t)is_new;
        if (!is_new)
            continue;
        uint8_t hdr[S_FRAME_HDR];
        s_frame_header(hdr, recs[i].data, len);
        buf_append(&frames, hdr, sizeof hdr);
        /* where the payload lands once the frames are written at end */
        rc = s_push(self, self->end + frames.len, len, id, cause);
        if (rc < 0)
            goto cleanup;
        buf_append(&frames, recs[i].data, len);
    }
    if (frames.len == 0)
        goto cleanup;
    if (s_pwrite_all(self->log_fd, frames.data, frames.len, self->end) != 0 ||
        s_sync(self->log_fd) != 0) {
        rc = bu_fail(cause, BU_EIO, "cannot append to %s/edits.log: %s", self->dir,
                     strerror(errno));
        if (s_truncate(self, self->end, NULL) != 0)
            self->broken = 1;
        goto cleanup;
    }
    self->end += frames.len;
    rc = (int)(self->nrecs - old_nrecs);
cleanup:
    if (rc < 0 && self->nrecs != old_nrecs) {
        self->nrecs = old_nrecs;
        s_index_rebuild(self, self->nrecs);
    }
    if (rc < 0 && added_out != NULL)
        memset(added_out, 0, n);
    buf_free(&frames);
    return rc;
}

int store_put_many(store_t *self, const store_rec_t *recs, size_t n, uint8_t *added_out,
                   char **cause)
{
    assert(self != NULL);
    assert(recs != NULL || n == 0);
    if (n > INT32_MAX)
        return bu_fail(cause, BU_ETOOBIG, "batch of %zu records is too large", n);
    uint8_t *ids = xmalloc((n ? n : 1) * STORE_ID_LEN);
    int rc = s_put_many(self, recs, n, added_out, ids, false, cause);
    free(ids);
    return rc;
}

int store_put_many_ids(store_t *self, const store_rec_t *recs, const uint8_t (*ids)[STORE_ID_LEN],
                       size_t n, uint8_t *added_out, char **cause)
{
    assert(self != NULL);
    assert(recs != NULL || n == 0);
    if (n > INT32_MAX)
        return bu_fail(cause, BU_ETOOBIG, "batch of %zu records is too large", n);
    return s_put_many(self, recs, n, added_out, (uint8_t *)ids, true, cause);
}

int store_put(store_t *self, const uint8_t *data, size_t len, uint8_t id_out[STORE_ID_LEN],
              char **cause)
{
    assert(self != NULL);
    store_rec_t rec = {data, len};
    uint8_t id[STORE_ID_LEN];
    int rc = s_put_many(self, &rec, 1, NULL, id, false, cause);
    if (rc >= 0 && id_out != NULL)
        memcpy(id_out, id, STORE_ID_LEN);
    return rc;
}

size_t store_count(const store_t *self)
{
    assert(self != NULL);
    return self->nrecs;
}

int store_read(const store_t *self, size_t i, buf_t *out)
{
    assert(self != NULL);
    assert(i < self->nrecs);
    assert(out != NULL);
    uint64_t off = self->recs[i].off;
    size_t left = self->recs[i].len, old_len = out->len;
    /* the window is a cache, not state: a const store may fill it */
    store_t *w = (store_t *)self;
    bool in_window = w->rc_len && off >= w->rc_off && off + left <= w->rc_off + w->rc_len;
    /* read ahead only for a run (this record follows the last one read:
     * a catch-up served in log order); a scattered read (merging entities)
     * reads just its record */
    bool run = off >= w->rc_last && off - w->rc_last <= 2 * S_FRAME_HDR;
    w->rc_last = off + left;
    if (left <= S_READ_AHEAD && (in_window || run)) {
        if (!in_window) {
            if (!w->rc_buf)
                w->rc_buf = xmalloc(S_READ_AHEAD);
            uint64_t want = self->end > off ? self->end - off : 0;
            if (want > S_READ_AHEAD)
                want = S_READ_AHEAD;
            w->rc_len = 0;
            if (want < left || s_pread_all(self->log_fd, w->rc_buf, (size_t)want, off) != 0)
                goto direct; /* errno is kept for the direct read to set again */
            w->rc_off = off;
            w->rc_len = (size_t)want;
        }
        buf_append(out, w->rc_buf + (off - w->rc_off), left);
        return 0;
    }
direct:;
    uint8_t chunk[S_READ_CHUNK];
    while (left > 0) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        if (s_pread_all(self->log_fd, chunk, n, off) != 0) {
            out->len = old_len; /* nothing appended; errno is kept */
            return -1;
        }
        buf_append(out, chunk, n);
        off += n;
        left -= n;
    }
    return 0;
}

size_t store_len(const store_t *self, size_t i)
{
    assert(self != NULL);
    assert(i < self->nrecs);
    return self->recs[i].len;
}

int store_scan(const store_t *self, store_scan_fn *fn, void *ctx, char **cause)
{
    assert(self != NULL);
    assert(fn != NULL);
    size_t n = self->nrecs; /* records put by fn are not visited */
    if (n == 0)
        return 0;
    /* Offsets grow with the index: read from the first payload to the end
     * of the last one, skipping gaps wider than the window. */
    uint64_t first = self->recs[0].off;
    uint64_t limit = self->recs[n - 1].off + self->recs[n - 1].len;
    s_win_t w;
    s_win_init(&w, self, first, limit);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        s_rec_t r = self->recs[i]; /* a copy: fn may put, moving recs */
        const uint8_t *data;
        rc = s_win_get(&w, r.off, r.len, &data, cause);
        if (rc == 0)
            rc = fn(ctx, i, data, r.len);
    }
    free(w.buf);
    return rc;
}

const uint8_t *store_id(const store_t *self, size_t i)
{
    assert(self != NULL);
    assert(i < self->nrecs);
    return self->recs[i].id;
}

long store_find(const store_t *self, const uint8_t id[STORE_ID_LEN])
{
    assert(self != NULL);
    assert(id != NULL);
    return s_index_find(self, id);
}

void store_hash(const uint8_t *data, size_t len, uint8_t id_out[STORE_ID_LEN])
{
    crypto_generichash(id_out, STORE_ID_LEN, data, len, NULL, 0);
}

/* The new log store_purge writes. */
typedef struct {
    const store_t *store;      /* the store being purged */
    int fd;                    /* edits.log.new; -1 when not open */
    buf_t out;                 /* frames not written yet */
    uint64_t at;               /* file offset where out goes */
    int err;                   /* errno of a failed write, else 0 */
} s_rewrite_t;

#define S_REWRITE_FLUSH (512u * 1024u) /* out is written once this full */

/* Writes out to the new log. 0, or -1 with rw->err set. */
static int s_rewrite_flush(s_rewrite_t *rw)
{
    if (s_pwrite_all(rw->fd, rw->out.data, rw->out.len, rw->at) != 0) {
        rw->err = errno;
        return -1;
    }
    rw->at += rw->out.len;
    buf_reset(&rw->out);
    return 0;
}

/* store_scan callback: copies record i unless it is purged. Returns 1 on a
 * write failure (store_scan's own errors are negative). */
static int s_rewrite_one(void *ctx, size_t i, const uint8_t *data, size_t len)
{
    s_rewrite_t *rw = ctx;
    if (store_is_purged(rw->store, rw->store->recs[i].id))
        return 0;
    uint8_t hdr[S_FRAME_HDR];
    s_frame_header(hdr, data, (uint32_t)len);
    if (rw->out.len + sizeof hdr + len > S_REWRITE_FLUSH && s_rewrite_flush(rw) != 0)
        return 1;
    if (sizeof hdr + len > S_REWRITE_FLUSH) {
        /* a big record goes straight from the read window to the file */
        if (s_pwrite_all(rw->fd, hdr, sizeof hdr, rw->at) != 0 ||
            s_pwrite_all(rw->fd, data, len, rw->at + sizeof hdr) != 0) {
            rw->err = errno;
            return 1;
        }
        rw->at += sizeof hdr + len;
        return 0;
    }
    buf_append(&rw->out, hdr, sizeof hdr);
    buf_append(&rw->out, data, len);
    return 0;
}

/* Writes the records not purged, read from the current log, to tmp, syncs
 * it and renames it over log. On success *fd_out is the new log, open
 * read-write, and *end_out its size. 0 or BU_EIO. */
static int s_rewrite(store_t *self, const char *tmp, const char *log, int *fd_out,
                     uint64_t *end_out, char **cause)
{
    s_rewrite_t rw = {.store = self, .fd = -1};
    int rc = 0, renamed = 0;
    rw.fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (rw.fd < 0) {
        rc = bu_fail(cause, BU_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    buf_append(&rw.out, S_HEADER, S_HEADER_LEN);
    rc = store_scan(self, s_rewrite_one, &rw, cause);
    if (rc < 0)
        goto cleanup;
    if (rc > 0 || s_rewrite_flush(&rw) != 0) {
        rc = bu_fail(cause, BU_EIO, "cannot write %s: %s", tmp, strerror(rw.err));
        goto cleanup;
    }
    renamed = s_sync(rw.fd) == 0 && rename(tmp, log) == 0;
    if (!renamed || s_sync_dir(self->dir) != 0) {
        rc = bu_fail(cause, BU_EIO, "cannot rewrite %s: %s", log, strerror(errno));
        goto cleanup;
    }
    *fd_out = rw.fd;
    *end_out = rw.at;
    rw.fd = -1;
cleanup:
    if (rw.fd >= 0)
        close(rw.fd);
    if (rc < 0 && !renamed)
        (void)unlink(tmp); /* best effort: the old log is still in place */
    buf_free(&rw.out);
    return rc;
}

static int s_relog(store_t *self, char **cause);

int store_purge(store_t *self, const uint8_t (*ids)[STORE_ID_LEN], size_t n, char **cause)
{
    assert(self != NULL);
    assert(ids != NULL || n == 0);
    if (n == 0)
        return 0;
    if (self->broken)
        return bu_fail(cause, BU_EIO, "store %s could not undo a failed write; reopen it", self->dir);
    /* 1. the tombstones, durably: from here on the purge completes even
     * if we crash, because store_open leaves purged records out */
    char *ppath = xasprintf("%s/purged", self->dir);
    int rc = 0, fd = -1;
    fd = open(ppath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, ids, n * STORE_ID_LEN) != (ssize_t)(n * STORE_ID_LEN) ||
        s_sync(fd) != 0 || s_sync_dir(self->dir) != 0) {
        rc = bu_fail(cause, BU_EIO, "cannot write %s: %s", ppath, strerror(errno));
        goto done;
    }
    close(fd);
    fd = -1;
    self->purged = xrealloc(self->purged, (self->npurged + n) * STORE_ID_LEN);
    memcpy(self->purged + self->npurged, ids, n * STORE_ID_LEN);
    self->npurged += n;
    qsort(self->purged, self->npurged, STORE_ID_LEN, s_cmp_id);
    rc = s_relog(self, cause);
done:
    if (fd >= 0)
        close(fd);
    free(ppath);
    return rc;
}

int store_compact(store_t *self, char **cause)
{
    if (self->broken)
        return bu_fail(cause, BU_EIO, "store %s could not undo a failed write; reopen it", self->dir);
    return s_relog(self, cause);
}

/* Writes a new log of the records held and not purged, renames it over
 * the old one and moves the index to it (store_purge's steps 2 and 3). */
static int s_relog(store_t *self, char **cause)
{
    s_rc_drop(self);
    char *tmp = xasprintf("%s/edits.log.new", self->dir);
    char *log = xasprintf("%s/edits.log", self->dir);
    int rc = 0, fd = -1;
    /* 2. a new log without them, copied from the old one, renamed over it */
    uint64_t end = 0;
    rc = s_rewrite(self, tmp, log, &fd, &end, cause);
    if (rc < 0) {
        /* The index still matches log_fd, so reads work, but log_fd may
         * already be renamed over (unlinked): refuse further writes. */
        self->broken = 1;
        goto done;
    }
    close(self->log_fd);
    self->log_fd = fd;
    fd = -1;
    /* 3. the kept records, at their offsets in the new log */
    size_t k = 0;
    uint64_t off = S_HEADER_LEN;
    for (size_t i = 0; i < self->nrecs; i++) {
        if (store_is_purged(self, self->recs[i].id))
            continue;
        self->recs[k] = self->recs[i];
        self->recs[k].off = off + S_FRAME_HDR;
        off += S_FRAME_HDR + (uint64_t)self->recs[k].len;
        k++;
    }
    assert(off == end);
    self->end = end;
    self->nrecs = k;
    s_index_rebuild(self, self->nrecs);
done:
    if (fd >= 0)
        close(fd);
    free(tmp);
    free(log);
    return rc;
}
