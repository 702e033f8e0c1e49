/*
 * bench/recon.c -- range-based reconciliation cost, in one process: two
 * sync_set_t holding N shared items plus D differences (alternately only in
 * A and only in B), random 32-byte ids, increasing hlc values, differences
 * at random positions. Runs the exchange as tests/test_sync.c's
 * run_exchange does (sync_start on A, then sync_reply alternating B, A, ...
 * with every frame decoded by msg_decode) and checks that exactly the D
 * differing ids were reported. "work" is the sum of sync_out_t.work over
 * the replies (item visits, see node/sync.h), "max_work" the largest.
 * Usage: recon N D [SEED]. Prints one JSON object.
 */
#include "node/sync.h"
#include "proto/msg.h"
#include "proto/util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t s_rand(uint64_t *st)
{
    uint64_t z = (*st += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: recon N D [SEED]\n");
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10), d = strtoull(argv[2], NULL, 10);
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 42, st = seed;
    size_t total = n + d;
    /* pick d distinct positions among total to be differences */
    uint8_t *isdiff = calloc(total, 1);
    for (size_t k = 0; k < d;) {
        size_t p = s_rand(&st) % total;
        if (!isdiff[p]) {
            isdiff[p] = 1;
            k++;
        }
    }
    sync_set_t *a = sync_set_new(), *b = sync_set_new();
    uint64_t hlc = UINT64_C(1700000000000) << 16;
    size_t which = 0;
    double t0 = now_s();
    for (size_t i = 0; i < total; i++) {
        uint8_t id[32];
        for (int j = 0; j < 4; j++) {
            uint64_t r = s_rand(&st);
            memcpy(id + 8 * j, &r, 8);
        }
        hlc += 1 + s_rand(&st) % 70000; /* ~1 ms apart, sometimes same ms */
        if (!isdiff[i]) {
            sync_set_add(a, hlc, id);
            sync_set_add(b, hlc, id);
        } else if (which++ % 2 == 0) {
            sync_set_add(a, hlc, id);
        } else {
            sync_set_add(b, hlc, id);
        }
    }
    double t_build = now_s() - t0;

    sync_set_t *side[2] = {a, b};
    buf_t cur = {0};
    t0 = now_s();
    sync_start(a, &cur);
    size_t msgs = 1, bytes = cur.len, reported = 0, max_msg = cur.len, work = 0, max_work = 0;
    int turn = 1, ok = 1;
    for (int round = 0;; round++) {
        if (round > 200) {
            ok = 0;
            break;
        }
        msg_t m;
        if (msg_decode(cur.data, cur.len, &m) != 0 || m.type != MSG_RECON) {
            fprintf(stderr, "recon: msg_decode failed at message %zu\n", msgs);
            ok = 0;
            break;
        }
        sync_out_t out;
        sync_reply(side[turn], &m, &out);
        msg_clear(&m);
        buf_free(&cur);
        reported += out.ngive + out.nneed;
        work += out.work;
        if (out.work > max_work)
            max_work = out.work;
        if (out.reply.len == 0) {
            ok = ok && out.in_sync;
            sync_out_clear(&out);
            break;
        }
        msgs++;
        bytes += out.reply.len;
        if (out.reply.len > max_msg)
            max_msg = out.reply.len;
        cur = out.reply;
        out.reply = (buf_t){0};
        sync_out_clear(&out);
        turn ^= 1;
    }
    double t_x = now_s() - t0;
    /* each differing id must be reported exactly once (see tests/test_sync.c) */
    printf("{\"n\":%zu,\"d\":%zu,\"seed\":%llu,\"messages\":%zu,\"round_trips\":%zu,"
           "\"bytes\":%zu,\"max_message_bytes\":%zu,\"reported\":%zu,\"ok\":%s,"
           "\"work\":%zu,\"max_work\":%zu,\"build_s\":%.3f,\"exchange_s\":%.4f}\n",
           n, d, (unsigned long long)seed, msgs, (msgs + 1) / 2, bytes, max_msg, reported,
           ok && reported == d ? "true" : "false", work, max_work, t_build, t_x);
    sync_set_free(&a);
    sync_set_free(&b);
    free(isdiff);
    return ok ? 0 : 1;
}
