/*
 * msg.c -- encode and decode sync messages (see msg.h) on top of pv_t.
 */
#include "proto/msg.h"
#include "proto/err.h"
#include "proto/value.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static void s_put(buf_t *out, pv_t *arr)
{
    pv_encode(arr, out);
    pv_free(&arr);
}

/* Bit i of a caps mask is s_caps[i]; a name not here is ignored on receipt. */
static const char *const s_caps[] = {"zstd", "announce", NULL};

const char *msg_cap_name(uint32_t bit)
{
    for (size_t i = 0; s_caps[i]; i++)
        if (bit == 1u << i)
            return s_caps[i];
    return NULL;
}

void msg_hello(buf_t *out, const uint8_t mesh[32], const char *name, uint64_t now_ms)
{
    msg_hello_caps(out, mesh, name, now_ms, 0);
}

void msg_hello_caps(buf_t *out, const uint8_t mesh[32], const char *name, uint64_t now_ms,
                    uint32_t caps)
{
    pv_t *a = pv_arr(), *ext = pv_map();
    pv_arr_push(a, pv_int(MSG_HELLO));
    pv_arr_push(a, pv_int(PROTO_VERSION));
    pv_arr_push(a, pv_bin(mesh, 32));
    pv_arr_push(a, pv_str(name));
    pv_map_set(ext, "time", pv_int((int64_t)now_ms));
    pv_t *names = pv_arr();
    for (size_t i = 0; s_caps[i]; i++)
        if (caps & (1u << i))
            pv_arr_push(names, pv_str(s_caps[i]));
    if (names->u.a.n)
        pv_map_set(ext, "caps", names);
    else
        pv_free(&names);
    pv_arr_push(a, ext);
    s_put(out, a);
}

void msg_recon(buf_t *out, const range_t *ranges, size_t n)
{
    pv_t *a = pv_arr(), *rs = pv_arr();
    pv_arr_push(a, pv_int(MSG_RECON));
    for (size_t i = 0; i < n; i++) {
        const range_t *r = &ranges[i];
        pv_t *e = pv_arr();
        pv_arr_push(e, pv_int((int64_t)r->upper.hlc));
        pv_arr_push(e, pv_bin(r->upper.prefix, r->upper.len));
        pv_arr_push(e, pv_int(r->mode));
        if (r->mode == RANGE_FP) {
            pv_t *p = pv_arr();
            pv_arr_push(p, pv_bin(r->fp, 16));
            pv_arr_push(p, pv_int((int64_t)r->count));
            pv_arr_push(e, p);
        } else if (r->mode == RANGE_IDS) {
            pv_t *p = pv_arr();
            for (size_t k = 0; k < r->nids; k++)
                pv_arr_push(p, pv_bin(r->ids[k], 32));
            pv_arr_push(e, p);
        } else {
            pv_arr_push(e, pv_nil());
        }
        pv_arr_push(rs, e);
    }
    pv_arr_push(a, rs);
    s_put(out, a);
}

static void s_id_list(buf_t *out, msg_type_t type, const uint8_t (*ids)[32], size_t n)
{
    pv_t *a = pv_arr(), *l = pv_arr();
    pv_arr_push(a, pv_int(type));
    for (size_t i = 0; i < n; i++)
        pv_arr_push(l, pv_bin(ids[i], 32));
    pv_arr_push(a, l);
    s_put(out, a);
}

/* A msgpack header of type fix/8/16/32 for length n, canonical (the
 * shortest form), into h; its length. fix 0: none (bin has no fix form). */
static size_t s_head(uint8_t *h, uint8_t fix, size_t fixmax, uint8_t t8, uint8_t t16, uint8_t t32,
                     size_t n)
{
    if (fix && n <= fixmax) {
        h[0] = (uint8_t)(fix | n);
        return 1;
    }
    if (t8 && n <= 0xff) {
        h[0] = t8;
        h[1] = (uint8_t)n;
        return 2;
    }
    if (n <= 0xffff) {
        h[0] = t16;
        h[1] = (uint8_t)(n >> 8);
        h[2] = (uint8_t)n;
        return 3;
    }
    h[0] = t32;
    for (int i = 0; i < 4; i++)
        h[1 + i] = (uint8_t)(n >> (24 - 8 * i));
    return 5;
}

void msg_want(buf_t *out, const uint8_t (*ids)[32], size_t n) { s_id_list(out, MSG_WANT, ids, n); }

void msg_announce(buf_t *out, const uint8_t (*ids)[32], size_t n)
{
    s_id_list(out, MSG_ANNOUNCE, ids, n);
}

/* Written directly, not through pv_t: a catch-up sends every edit it
 * serves through here, and building a tree copied each edit twice. The
 * bytes are the canonical encoding pv_encode gives (tests/test_sync.c). */
void msg_edits(buf_t *out, const msg_blob_t *edits, size_t n, bool reply)
{
    uint8_t h[5];
    size_t total = 8;
    for (size_t i = 0; i < n; i++)
        total += 5 + edits[i].len;
    buf_reserve(out, total);
    buf_append(out, (const uint8_t[]){0x93, MSG_EDITS}, 2);
    buf_append(out, h, s_head(h, 0x90, 15, 0, 0xdc, 0xdd, n));
    for (size_t i = 0; i < n; i++) {
        buf_append(out, h, s_head(h, 0, 0, 0xc4, 0xc5, 0xc6, edits[i].len));
        buf_append(out, edits[i].data, edits[i].len);
    }
    buf_append(out, (const uint8_t[]){reply ? 0xc3 : 0xc2}, 1);
}

void msg_ping(buf_t *out)
{
    pv_t *a = pv_arr();
    pv_arr_push(a, pv_int(MSG_PING));
    s_put(out, a);
}

struct msg_zc {
    ZSTD_CCtx *cctx;        /* reused: its tables are allocated once */
    int level;              /* for EDITS under MSG_ZFAST_BYTES */
    uint8_t *scratch;       /* the compressed frame before its header */
    size_t scratch_cap;
};

msg_zc_t *msg_zc_new(int level)
{
    msg_zc_t *z = xcalloc(1, sizeof *z);
    z->cctx = ZSTD_createCCtx();
    if (z->cctx == NULL)
        abort(); /* out of memory, as xmalloc */
    z->level = level;
    /* the decoder requires the content size; it is written by default
     * for one-shot compression, and stated here so it stays that way */
    ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_contentSizeFlag, 1);
    ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 0); /* CURVE authenticates */
    return z;
}

void msg_zc_destroy(msg_zc_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    ZSTD_freeCCtx((*self_p)->cctx);
    free((*self_p)->scratch);
    free(*self_p);
    *self_p = NULL;
}

/* The ZEDITS of edits, with prefix h (NULL: none). */
static size_t s_zedits_put(buf_t *out, msg_zc_t *z, const uint8_t *edits, size_t len,
                           const msg_hist_t *h)
{
    /* the ZEDITS is 2 bytes of array and type, a bin header, the frame
     * (and up to 9 bytes of hist): only a frame shorter than that can make
     * it smaller */
    size_t tail = h ? (h->total < 128 ? 1 : 9) : 0;
    if (len < 16 + tail || len > MSG_MAX_BYTES)
        return 0;
    size_t room = len - 4 - tail;
    if (z->scratch_cap < room) {
        free(z->scratch);
        z->scratch = xmalloc(room);
        z->scratch_cap = room;
    }
    ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel,
                           len >= MSG_ZFAST_BYTES && z->level > 1 ? 1 : z->level);
    if (h && h->len)
        ZSTD_CCtx_refPrefix(z->cctx, h->b, h->len); /* for this frame only */
    size_t n = ZSTD_compress2(z->cctx, z->scratch, room, edits, len);
    if (ZSTD_isError(n)) {
        ZSTD_CCtx_reset(z->cctx, ZSTD_reset_session_only); /* drops the prefix */
        return 0; /* dstSize_tooSmall: it does not get smaller */
    }
    size_t hdr = n < 256 ? 2 : n < 65536 ? 3 : 5;
    if (2 + hdr + n + tail >= len)
        return 0;
    uint8_t head[7] = {h ? 0x93 : 0x92, MSG_ZEDITS};
    if (hdr == 2) {
        head[2] = 0xc4;
        head[3] = (uint8_t)n;
    } else if (hdr == 3) {
        head[2] = 0xc5;
        head[3] = (uint8_t)(n >> 8);
        head[4] = (uint8_t)n;
    } else {
        head[2] = 0xc6;
        for (int i = 0; i < 4; i++)
            head[3 + i] = (uint8_t)(n >> (24 - 8 * i));
    }
    size_t at = out->len;
    buf_append(out, head, 2 + hdr);
    buf_append(out, z->scratch, n);
    if (h) {
        pv_t *t = pv_int((int64_t)h->total);
        pv_encode(t, out); /* canonical: the shortest form */
        pv_free(&t);
    }
    return out->len - at;
}

size_t msg_zedits(buf_t *out, msg_zc_t *z, const uint8_t *edits, size_t len)
{
    return s_zedits_put(out, z, edits, len, NULL);
}

size_t msg_zedits_hist(buf_t *out, msg_zc_t *z, const uint8_t *edits, size_t len,
                       const msg_hist_t *h)
{
    return s_zedits_put(out, z, edits, len, h);
}

void msg_hist_add(msg_hist_t *h, const uint8_t *data, size_t n)
{
    h->total += n;
    if (h->b == NULL)
        h->b = xmalloc(MSG_ZHIST_BYTES);
    if (n >= MSG_ZHIST_BYTES) {
        memcpy(h->b, data + n - MSG_ZHIST_BYTES, MSG_ZHIST_BYTES);
        h->len = MSG_ZHIST_BYTES;
        return;
    }
    if (h->len + n > MSG_ZHIST_BYTES) {
        size_t drop = h->len + n - MSG_ZHIST_BYTES;
        memmove(h->b, h->b + drop, h->len - drop);
        h->len -= drop;
    }
    memcpy(h->b + h->len, data, n);
    h->len += n;
}

void msg_hist_reset(msg_hist_t *h)
{
    h->len = 0;
    h->total = 0;
}

void msg_hist_free(msg_hist_t *h)
{
    free(h->b);
    memset(h, 0, sizeof *h);
}

static int s_bin32(const pv_t *v, uint8_t out[32])
{
    if (v->type != PV_BIN || v->u.s.n != 32)
        return BU_EINVAL;
    memcpy(out, v->u.s.p, 32);
    return 0;
}

static int s_ids(const pv_t *l, uint8_t (**out)[32], size_t *n)
{
    if (l->type != PV_ARR || l->u.a.n > MSG_MAX_IDS)
        return BU_EINVAL;
    *out = xmalloc((l->u.a.n ? l->u.a.n : 1) * 32);
    *n = l->u.a.n;
    for (size_t i = 0; i < l->u.a.n; i++)
        if (s_bin32(l->u.a.items[i], (*out)[i]) < 0)
            return BU_EINVAL;
    return 0;
}

/* Decoded EDITS blobs point into the frame: find each bin's bytes there by
 * walking the frame alongside the tree (bins were copied by pv_decode). */
static int s_edits(const uint8_t *frame, size_t len, const pv_t *l, msg_t *m)
{
    if (l->type != PV_ARR || l->u.a.n > MSG_MAX_EDITS)
        return BU_EINVAL;
    m->edits = xcalloc(l->u.a.n ? l->u.a.n : 1, sizeof *m->edits);
    m->nedits = l->u.a.n;
    /* Layout: 0x93, 0x04, array header, bins in order, then the bool. */
    size_t p = 2;
    uint8_t t = frame[p];
    if ((t & 0xf0) == 0x90)
        p += 1;
    else if (t == 0xdc)
        p += 3;
    else if (t == 0xdd)
        p += 5;
    else
        return BU_EINVAL;
    for (size_t i = 0; i < l->u.a.n; i++) {
        const pv_t *b = l->u.a.items[i];
        if (b->type != PV_BIN || p >= len)
            return BU_EINVAL;
        size_t hdr = frame[p] == 0xc4 ? 2 : frame[p] == 0xc5 ? 3 : frame[p] == 0xc6 ? 5 : 0;
        if (hdr == 0 || p + hdr + b->u.s.n > len)
            return BU_EINVAL;
        m->edits[i].data = frame + p + hdr;
        m->edits[i].len = b->u.s.n;
        p += hdr + b->u.s.n;
    }
    return p + 1 == len ? 0 : BU_EINVAL;
}

static int s_decode(const uint8_t *frame, size_t len, msg_t *m, bool outer);

/*
 * The EDITS inside a ZEDITS's frame z. Bounded: the frame must state its
 * content size, at most MSG_MAX_BYTES, before anything is allocated, and
 * it is decompressed in one shot into a buffer of exactly that size (no
 * window buffer, no growth), so a bomb costs at most MSG_MAX_BYTES.
 */
static int s_zedits(const uint8_t *z, size_t n, const msg_hist_t *h, msg_t *m)
{
    if (n == 0 || ZSTD_findFrameCompressedSize(z, n) != n)
        return BU_EINVAL; /* not exactly one frame */
    unsigned long long size = ZSTD_getFrameContentSize(z, n);
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size == 0)
        return BU_EINVAL;
    if (size > MSG_MAX_BYTES)
        return BU_ETOOBIG;
    uint8_t *plain = xmalloc((size_t)size);
    size_t got;
    if (h && h->len) {
        ZSTD_DCtx *d = ZSTD_createDCtx();
        if (d == NULL)
            abort(); /* out of memory, as xmalloc */
        ZSTD_DCtx_refPrefix(d, h->b, h->len); /* raw content, for this frame */
        got = ZSTD_decompressDCtx(d, plain, (size_t)size, z, n);
        ZSTD_freeDCtx(d);
    } else {
        got = ZSTD_decompress(plain, (size_t)size, z, n);
    }
    msg_t in;
    if (ZSTD_isError(got) || got != size || s_decode(plain, got, &in, false) < 0) {
        free(plain);
        return BU_EINVAL;
    }
    if (in.type != MSG_EDITS) {
        msg_clear(&in);
        free(plain);
        return BU_EINVAL;
    }
    m->edits = in.edits;
    m->nedits = in.nedits;
    m->reply = in.reply;
    m->plain = plain;
    m->plain_len = got;
    return 0;
}

int msg_decode(const uint8_t *frame, size_t len, msg_t *m)
{
    return s_decode(frame, len, m, true);
}

int msg_zedits_open(msg_t *m, const msg_hist_t *h)
{
    if (m->type != MSG_ZEDITS || !m->zhist || m->plain)
        return BU_EINVAL;
    if (h->total != m->zhist_total)
        return BU_ENOENT;
    return s_zedits(m->z, m->zlen, h, m);
}

/* outer: a ZEDITS is allowed (not inside another one). */
static int s_decode(const uint8_t *frame, size_t len, msg_t *m, bool outer)
{
    memset(m, 0, sizeof *m);
    if (len > MSG_MAX_BYTES)
        return BU_ETOOBIG;
    pv_t *v = NULL;
    int rc = pv_decode(frame, len, &v);
    if (rc < 0)
        return rc;
    rc = BU_EINVAL;
    if (v->type != PV_ARR || v->u.a.n < 1 || v->u.a.items[0]->type != PV_INT)
        goto done;
    pv_t **it = v->u.a.items;
    size_t n = v->u.a.n;
    m->type = (msg_type_t)it[0]->u.i;
    switch (it[0]->u.i) {
    case MSG_HELLO: {
        if ((n != 4 && n != 5) || it[1]->type != PV_INT || it[1]->u.i < INT_MIN ||
            it[1]->u.i > INT_MAX || s_bin32(it[2], m->mesh) < 0 ||
            it[3]->type != PV_STR || it[3]->u.s.n > 120 || (n == 5 && it[4]->type != PV_MAP))
            goto done;
        m->time_ms = -1;
        const pv_t *t = n == 5 ? pv_map_get(it[4], "time") : NULL;
        if (t && (t->type != PV_INT || t->u.i < 0))
            goto done;
        if (t)
            m->time_ms = t->u.i;
        const pv_t *c = n == 5 ? pv_map_get(it[4], "caps") : NULL;
        if (c && (c->type != PV_ARR || c->u.a.n > MSG_CAPS_MAX))
            goto done;
        for (size_t i = 0; c && i < c->u.a.n; i++) {
            const pv_t *nm = c->u.a.items[i];
            if (nm->type != PV_STR || nm->u.s.n > MSG_CAP_NAME_MAX)
                goto done;
            for (size_t j = 0; s_caps[j]; j++)
                if (nm->u.s.n == strlen(s_caps[j]) && memcmp(nm->u.s.p, s_caps[j], nm->u.s.n) == 0)
                    m->caps |= 1u << j;
        }
        m->version = (int)it[1]->u.i;
        m->name = xstrdup(it[3]->u.s.p);
        break;
    }
    case MSG_RECON: {
        if (n != 2 || it[1]->type != PV_ARR || it[1]->u.a.n > MSG_MAX_RANGES)
            goto done;
        const pv_t *rs = it[1];
        m->ranges = xcalloc(rs->u.a.n ? rs->u.a.n : 1, sizeof *m->ranges);
        m->nranges = rs->u.a.n;
        for (size_t i = 0; i < rs->u.a.n; i++) {
            const pv_t *e = rs->u.a.items[i];
            range_t *r = &m->ranges[i];
            if (e->type != PV_ARR || e->u.a.n != 4 || e->u.a.items[0]->type != PV_INT ||
                e->u.a.items[0]->u.i < 0 || e->u.a.items[1]->type != PV_BIN ||
                e->u.a.items[1]->u.s.n > 32 || e->u.a.items[2]->type != PV_INT)
                goto done;
            r->upper.hlc = (uint64_t)e->u.a.items[0]->u.i;
            r->upper.len = (uint8_t)e->u.a.items[1]->u.s.n;
            memcpy(r->upper.prefix, e->u.a.items[1]->u.s.p, r->upper.len);
            const pv_t *p = e->u.a.items[3];
            switch (e->u.a.items[2]->u.i) {
            case RANGE_SKIP:
                if (p->type != PV_NIL)
                    goto done;
                r->mode = RANGE_SKIP;
                break;
            case RANGE_FP:
                if (p->type != PV_ARR || p->u.a.n != 2 || p->u.a.items[0]->type != PV_BIN ||
                    p->u.a.items[0]->u.s.n != 16 || p->u.a.items[1]->type != PV_INT ||
                    p->u.a.items[1]->u.i < 0)
                    goto done;
                r->mode = RANGE_FP;
                memcpy(r->fp, p->u.a.items[0]->u.s.p, 16);
                r->count = (uint64_t)p->u.a.items[1]->u.i;
                break;
            case RANGE_IDS:
                r->mode = RANGE_IDS;
                if (s_ids(p, &r->ids, &r->nids) < 0)
                    goto done;
                break;
            default: goto done;
            }
            /* bounds must increase; the last must be infinity */
            if (i > 0) {
                const bound_t *a = &m->ranges[i - 1].upper, *b = &r->upper;
                uint8_t pa[32] = {0}, pb[32] = {0};
                memcpy(pa, a->prefix, a->len);
                memcpy(pb, b->prefix, b->len);
                if (b->hlc < a->hlc || (b->hlc == a->hlc && memcmp(pb, pa, 32) <= 0))
                    goto done;
            }
        }
        if (m->nranges > 0) {
            const bound_t *last = &m->ranges[m->nranges - 1].upper;
            if (last->hlc != MSG_INF_HLC || last->len != 0)
                goto done;
        }
        break;
    }
    case MSG_WANT:
    case MSG_ANNOUNCE:
        if (n != 2 || s_ids(it[1], &m->ids, &m->nids) < 0)
            goto done;
        break;
    case MSG_EDITS:
        if (n != 3 || it[2]->type != PV_BOOL || s_edits(frame, len, it[1], m) < 0)
            goto done;
        m->reply = it[2]->u.b;
        break;
    case MSG_PING:
        if (n != 1)
            goto done;
        break;
    case MSG_ZEDITS:
        if (!outer || (n != 2 && n != 3) || it[1]->type != PV_BIN ||
            (n == 3 && (it[2]->type != PV_INT || it[2]->u.i < 0)))
            goto done;
        if (n == 3) { /* opened by msg_zedits_open, with the link's history */
            if (it[1]->u.s.n == 0)
                goto done;
            m->zhist = true;
            m->zhist_total = (uint64_t)it[2]->u.i;
            /* the frame stays in the message's frame (pv_decode copied
             * it): 0x93, 0x08, the bin's header, its bytes, then hist */
            size_t hdr = frame[2] == 0xc4 ? 2 : frame[2] == 0xc5 ? 3 : frame[2] == 0xc6 ? 5 : 0;
            m->zlen = it[1]->u.s.n;
            if (hdr == 0 || 2 + hdr + m->zlen >= len)
                goto done;
            m->z = frame + 2 + hdr;
            break;
        }
        rc = s_zedits((const uint8_t *)it[1]->u.s.p, it[1]->u.s.n, NULL, m);
        if (rc < 0)
            goto done;
        break;
    default: goto done;
    }
    rc = 0;
done:
    pv_free(&v);
    if (rc < 0)
        msg_clear(m);
    return rc;
}

void msg_clear(msg_t *m)
{
    free(m->name);
    for (size_t i = 0; i < m->nranges; i++)
        free(m->ranges[i].ids);
    free(m->ranges);
    free(m->ids);
    free(m->edits);
    free(m->plain);
    memset(m, 0, sizeof *m);
}

int bound_cmp_item(const bound_t *b, uint64_t hlc, const uint8_t id[32])
{
    if (hlc != b->hlc)
        return hlc < b->hlc ? -1 : 1;
    uint8_t pad[32] = {0};
    memcpy(pad, b->prefix, b->len);
    return memcmp(id, pad, 32) < 0 ? -1 : 1;
}
