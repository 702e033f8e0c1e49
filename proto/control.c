/*
 * control.c -- encode and decode control messages (see control.h).
 */
#include "proto/control.h"
#include "proto/err.h"

#include <stdlib.h>
#include <string.h>

static void s_put(buf_t *out, pv_t *arr)
{
    pv_encode(arr, out);
    pv_free(&arr);
}

static pv_t *s_head(ctl_type_t t)
{
    pv_t *a = pv_arr();
    pv_arr_push(a, pv_int(t));
    return a;
}

void ctl_exec(buf_t *out, int argc, char *const *argv, bool json, int64_t now_ms, int width)
{
    pv_t *a = s_head(CTL_EXEC), *l = pv_arr();
    for (int i = 0; i < argc; i++)
        pv_arr_push(l, pv_str(argv[i]));
    pv_arr_push(a, l);
    pv_arr_push(a, pv_bool(json));
    pv_arr_push(a, pv_int(now_ms < 0 ? -1 : now_ms));
    pv_arr_push(a, pv_int(width < 0 ? 0 : width));
    s_put(out, a);
}

void ctl_peers(buf_t *out)
{
    s_put(out, s_head(CTL_PEERS));
}

void ctl_sync(buf_t *out, bool wait, int64_t timeout_ms)
{
    pv_t *a = s_head(CTL_SYNC);
    pv_arr_push(a, pv_bool(wait));
    pv_arr_push(a, pv_int(timeout_ms));
    s_put(out, a);
}

void ctl_out(buf_t *out, int stream, const void *data, size_t len)
{
    pv_t *a = s_head(CTL_OUT);
    pv_arr_push(a, pv_int(stream));
    pv_arr_push(a, pv_bin(data, len));
    s_put(out, a);
}

void ctl_result(buf_t *out, int code)
{
    pv_t *a = s_head(CTL_RESULT);
    pv_arr_push(a, pv_int(code));
    s_put(out, a);
}

void ctl_peers_reply(buf_t *out, const pv_t *peers, const pv_t *node)
{
    pv_t *a = s_head(CTL_PEERS_REPLY);
    pv_arr_push(a, pv_dup(peers));
    pv_arr_push(a, pv_dup(node));
    s_put(out, a);
}

void ctl_synced(buf_t *out, int64_t peers, bool synced, int64_t pending)
{
    pv_t *a = s_head(CTL_SYNCED);
    pv_arr_push(a, pv_int(peers));
    pv_arr_push(a, pv_bool(synced));
    pv_arr_push(a, pv_int(pending));
    s_put(out, a);
}

int ctl_decode(const uint8_t *frame, size_t len, ctl_msg_t *m)
{
    memset(m, 0, sizeof *m);
    if (len > CTL_MAX_BYTES)
        return BU_ETOOBIG;
    pv_t *v = NULL;
    int rc = pv_decode_max(frame, len, CTL_MAX_BYTES, &v);
    if (rc < 0)
        return rc;
    rc = BU_EINVAL;
    if (v->type != PV_ARR || v->u.a.n < 1 || v->u.a.items[0]->type != PV_INT)
        goto done;
    pv_t **it = v->u.a.items;
    size_t n = v->u.a.n;
    m->type = (ctl_type_t)it[0]->u.i;
    switch (it[0]->u.i) {
    case CTL_EXEC: {
        if (n != 5 || it[1]->type != PV_ARR || it[1]->u.a.n == 0 || it[1]->u.a.n > CTL_MAX_ARGS ||
            it[2]->type != PV_BOOL || it[3]->type != PV_INT || it[4]->type != PV_INT ||
            it[4]->u.i < 0 || it[4]->u.i > 10000)
            goto done;
        const pv_t *l = it[1];
        m->argv = xcalloc(l->u.a.n + 1, sizeof *m->argv);
        for (size_t i = 0; i < l->u.a.n; i++) {
            const pv_t *a = l->u.a.items[i];
            if (a->type != PV_STR || a->u.s.n > CTL_MAX_ARG)
                goto done;
            m->argv[m->argc++] = xstrdup(a->u.s.p);
        }
        m->json = it[2]->u.b;
        m->now_ms = it[3]->u.i < 0 ? -1 : it[3]->u.i;
        m->width = (int)it[4]->u.i;
        break;
    }
    case CTL_PEERS:
        if (n != 1)
            goto done;
        break;
    case CTL_SYNC:
        if (n != 3 || it[1]->type != PV_BOOL || it[2]->type != PV_INT)
            goto done;
        m->wait = it[1]->u.b;
        m->timeout_ms = it[2]->u.i;
        break;
    case CTL_OUT:
        if (n != 3 || it[1]->type != PV_INT || (it[1]->u.i != 1 && it[1]->u.i != 2) ||
            it[2]->type != PV_BIN || it[2]->u.s.n > CTL_CHUNK)
            goto done;
        m->stream = (int)it[1]->u.i;
        m->len = it[2]->u.s.n;
        m->data = xmalloc(m->len ? m->len : 1);
        memcpy(m->data, it[2]->u.s.p, m->len);
        break;
    case CTL_RESULT:
        if (n != 2 || it[1]->type != PV_INT || it[1]->u.i < 0 || it[1]->u.i > 255)
            goto done;
        m->code = (int)it[1]->u.i;
        break;
    case CTL_PEERS_REPLY:
        if (n != 3 || it[1]->type != PV_ARR || it[2]->type != PV_MAP)
            goto done;
        m->peers = it[1];
        m->node = it[2];
        it[1] = pv_nil();
        it[2] = pv_nil();
        break;
    case CTL_SYNCED:
        if (n != 4 || it[1]->type != PV_INT || it[2]->type != PV_BOOL || it[3]->type != PV_INT)
            goto done;
        m->npeers = it[1]->u.i;
        m->synced = it[2]->u.b;
        m->pending = it[3]->u.i;
        break;
    default:
        goto done;
    }
    rc = 0;
done:
    pv_free(&v);
    if (rc < 0)
        ctl_clear(m);
    return rc;
}

void ctl_clear(ctl_msg_t *m)
{
    for (int i = 0; i < m->argc; i++)
        free(m->argv[i]);
    free(m->argv);
    free(m->data);
    pv_free(&m->peers);
    pv_free(&m->node);
    memset(m, 0, sizeof *m);
}
