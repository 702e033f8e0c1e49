/*
 * msg.c -- encode and decode sync messages (see msg.h) on top of pv_t.
 */
#include "proto/msg.h"
#include "proto/err.h"
#include "proto/value.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

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

void msg_want(buf_t *out, const uint8_t (*ids)[32], size_t n) { s_id_list(out, MSG_WANT, ids, n); }

void msg_announce(buf_t *out, const uint8_t (*ids)[32], size_t n)
{
    s_id_list(out, MSG_ANNOUNCE, ids, n);
}

void msg_edits(buf_t *out, const msg_blob_t *edits, size_t n, bool reply)
{
    pv_t *a = pv_arr(), *l = pv_arr();
    pv_arr_push(a, pv_int(MSG_EDITS));
    for (size_t i = 0; i < n; i++)
        pv_arr_push(l, pv_bin(edits[i].data, edits[i].len));
    pv_arr_push(a, l);
    pv_arr_push(a, pv_bool(reply));
    s_put(out, a);
}

void msg_ping(buf_t *out)
{
    pv_t *a = pv_arr();
    pv_arr_push(a, pv_int(MSG_PING));
    s_put(out, a);
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

int msg_decode(const uint8_t *frame, size_t len, msg_t *m)
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
