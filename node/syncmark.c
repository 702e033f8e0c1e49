/*
 * syncmark.c -- see syncmark.h. File format, one item per line:
 *   buurt-synced 1
 *   last MS COUNT REC-HEX        before MS COUNT REC-HEX
 *   gap FROM TO                  peer KEY-HEX MS
 *   step MS COUNT                cut
 */
#include "node/syncmark.h"

#include "node/file.h"
#include "proto/err.h"
#include "proto/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNCMARK_FILE_MAX (64 * 1024)

static void s_path(const char *home, char *out, size_t n)
{
    snprintf(out, n, "%s/synced", home);
}

static bool s_point(const char *rest, syncmark_pt_t *p)
{
    char hex[65];
    if (sscanf(rest, "%" SCNu64 " %" SCNu64 " %64s", &p->ms, &p->count, hex) != 3)
        return false;
    return hex_decode(hex, p->rec, 32) == 0;
}

void syncmark_load(const char *home, syncmark_t *m)
{
    memset(m, 0, sizeof *m);
    char path[4096], *text = NULL;
    size_t len = 0;
    s_path(home, path, sizeof path);
    if (file_read(path, SYNCMARK_FILE_MAX, &text, &len, NULL) < 0)
        return;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        syncmark_pt_t p = {0};
        if (strncmp(line, "last ", 5) == 0 && s_point(line + 5, &p)) {
            m->last = p;
        } else if (strncmp(line, "before ", 7) == 0 && s_point(line + 7, &p)) {
            m->before = p;
        } else if (strncmp(line, "gap ", 4) == 0 && m->ngaps < SYNCMARK_GAPS) {
            syncmark_gap_t g;
            if (sscanf(line + 4, "%" SCNu64 " %" SCNu64, &g.from, &g.to) == 2 && g.from <= g.to)
                m->gaps[m->ngaps++] = g;
        } else if (strncmp(line, "step ", 5) == 0 && m->nsteps < SYNCMARK_PTS) {
            syncmark_step_t st;
            if (sscanf(line + 5, "%" SCNu64 " %" SCNu64, &st.ms, &st.count) == 2)
                m->steps[m->nsteps++] = st;
        } else if (strcmp(line, "cut") == 0) {
            m->steps_cut = true;
        } else if (strncmp(line, "peer ", 5) == 0 && m->npeers < SYNCMARK_PEERS) {
            char hex[65];
            syncmark_peer_t q;
            if (sscanf(line + 5, "%64s %" SCNu64, hex, &q.ms) == 2 && hex_decode(hex, q.key, 32) == 0)
                m->peers[m->npeers++] = q;
        }
    }
    free(text);
}

static void s_put_point(buf_t *b, const char *name, const syncmark_pt_t *p)
{
    char hex[65];
    hex_encode(p->rec, 32, hex);
    buf_printf(b, "%s %" PRIu64 " %" PRIu64 " %s\n", name, p->ms, p->count, hex);
}

int syncmark_save(const char *home, const syncmark_t *m, char **cause)
{
    buf_t b = {0};
    buf_printf(&b, "buurt-synced 1\n");
    s_put_point(&b, "last", &m->last);
    s_put_point(&b, "before", &m->before);
    for (size_t i = 0; i < m->ngaps; i++)
        buf_printf(&b, "gap %" PRIu64 " %" PRIu64 "\n", m->gaps[i].from, m->gaps[i].to);
    for (size_t i = 0; i < m->nsteps; i++)
        buf_printf(&b, "step %" PRIu64 " %" PRIu64 "\n", m->steps[i].ms, m->steps[i].count);
    if (m->steps_cut)
        buf_printf(&b, "cut\n");
    for (size_t i = 0; i < m->npeers; i++) {
        char hex[65];
        hex_encode(m->peers[i].key, 32, hex);
        buf_printf(&b, "peer %s %" PRIu64 "\n", hex, m->peers[i].ms);
    }
    char path[4096];
    s_path(home, path, sizeof path);
    int rc = file_write_atomic(path, b.data, b.len, 0600, cause);
    buf_free(&b);
    return rc;
}

bool syncmark_in_sync(syncmark_t *m, uint64_t ms, uint64_t count, const uint8_t rec[32],
                      bool out_of_touch)
{
    bool begins = out_of_touch || m->last.ms == 0 || ms > m->last.ms + SYNCMARK_GAP_MS;
    if (begins) {
        m->before = m->last;
        if (m->last.ms && m->last.ms <= ms) {
            if (m->ngaps == SYNCMARK_GAPS) {
                memmove(m->gaps, m->gaps + 1, (SYNCMARK_GAPS - 1) * sizeof *m->gaps);
                m->ngaps--;
            }
            m->gaps[m->ngaps++] = (syncmark_gap_t){m->last.ms, ms};
        }
    }
    if (m->nsteps == 0 || m->steps[m->nsteps - 1].count != count) {
        if (m->nsteps == SYNCMARK_PTS) {
            memmove(m->steps, m->steps + 1, (SYNCMARK_PTS - 1) * sizeof *m->steps);
            m->nsteps--;
            m->steps_cut = true;
        }
        m->steps[m->nsteps++] = (syncmark_step_t){ms, count};
    }
    m->last.ms = ms;
    m->last.count = count;
    if (rec)
        memcpy(m->last.rec, rec, 32);
    else
        memset(m->last.rec, 0, 32);
    return begins;
}

void syncmark_peer(syncmark_t *m, const uint8_t key[32], uint64_t ms)
{
    size_t i = 0;
    while (i < m->npeers && memcmp(m->peers[i].key, key, 32) != 0)
        i++;
    if (i == m->npeers) {
        if (m->npeers == SYNCMARK_PEERS) { /* forget the longest unseen */
            size_t old = 0;
            for (size_t j = 1; j < m->npeers; j++)
                if (m->peers[j].ms < m->peers[old].ms)
                    old = j;
            i = old;
        } else {
            m->npeers++;
        }
        memcpy(m->peers[i].key, key, 32);
    }
    m->peers[i].ms = ms;
}

uint64_t syncmark_peer_ms(const syncmark_t *m, const uint8_t key[32])
{
    for (size_t i = 0; i < m->npeers; i++)
        if (memcmp(m->peers[i].key, key, 32) == 0)
            return m->peers[i].ms;
    return 0;
}

uint64_t syncmark_delivered(const syncmark_t *m, uint64_t ms, size_t idx)
{
    bool covered = m->nsteps > 0 && (!m->steps_cut || m->steps[0].count <= idx);
    if (covered) {
        for (size_t i = 0; i < m->nsteps; i++)
            if (m->steps[i].count > idx)
                return m->steps[i].ms;
        return UINT64_MAX;
    }
    for (size_t i = 0; i < m->ngaps; i++)
        if (ms >= m->gaps[i].from && ms <= m->gaps[i].to)
            return m->gaps[i].to;
    if (m->last.ms == 0 || ms > m->last.ms)
        return UINT64_MAX;
    return ms + SYNCMARK_SLACK_MS;
}
