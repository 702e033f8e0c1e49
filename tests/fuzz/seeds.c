/*
 * seeds.c -- writes the seed corpus of the fuzz harnesses:
 * tests/fuzz/corpus/<harness>/<name>, valid examples made by the real
 * encoders (and a few damaged ones for the store), so fuzzing starts from
 * inputs that reach deep into each decoder. Deterministic: a fixed
 * Ed25519 seed, fixed ids and clocks, so regenerating changes no file.
 *
 *     make fuzz-seeds        (runs $(B)/fuzz/seeds tests/fuzz/corpus)
 *
 * Regression inputs (crashes the fuzzers found) live beside these as
 * files named regress-*; this program never writes or removes them.
 */
#include "node/bundle.h"
#include "node/store.h"
#include "proto/beacon.h"
#include "proto/control.h"
#include "proto/edit.h"
#include "proto/invite.h"
#include "proto/msg.h"
#include "proto/value.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *s_root;
static uint8_t s_pk[32], s_sk[64];

static void s_die(const char *what)
{
    fprintf(stderr, "seeds: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void s_write(const char *harness, const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", s_root, harness);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        s_die(path);
    snprintf(path, sizeof path, "%s/%s/%s", s_root, harness, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
        s_die(path);
}

static void s_put(const char *harness, const char *name, buf_t *b)
{
    s_write(harness, name, b->data, b->len);
    buf_reset(b);
}

static pv_t *s_list(const char *a, const char *b)
{
    pv_t *l = pv_arr();
    pv_arr_push(l, pv_str(a));
    if (b)
        pv_arr_push(l, pv_str(b));
    return l;
}

/* Signs an edit of kind with fields (taken over); appends its wire bytes. */
static void s_edit(rec_kind_t kind, uint8_t tag, pv_t *fields, unsigned flags, buf_t *wire)
{
    edit_t e = {.kind = kind, .hlc = (UINT64_C(1795428000000) << 16) | tag, .fields = fields};
    for (int i = 0; i < 32; i++)
        e.entity[i] = (uint8_t)(tag * 31 + i);
    memcpy(e.author, s_pk, 32);
    if (kind == REC_MEMBER)
        memcpy(e.entity, s_pk, 32);
    char *cause = NULL;
    if (edit_sign(&e, s_sk, flags, wire, &cause) < 0) {
        fprintf(stderr, "seeds: edit_sign: %s\n", cause ? cause : "?");
        exit(1);
    }
    pv_free(&e.fields);
}

static void s_edits(buf_t edits[4])
{
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str("Buurthuis De Klinker"));
    pv_map_set(f, "kinds", s_list("community-centre", "food"));
    pv_map_set(f, "langs", s_list("nl", "tr"));
    pv_map_set(f, "capacity", pv_int(40));
    pv_map_set(f, "hub", pv_bool(true));
    s_edit(REC_PLACE, 1, f, EDIT_CREATING, &edits[0]);

    f = pv_map();
    pv_map_set(f, "category", pv_str("food"));
    pv_map_set(f, "summary", pv_str("boodschappen voor 3 ouderen"));
    pv_map_set(f, "people", pv_int(3));
    pv_map_set(f, "expires", pv_int(INT64_C(1795514400000)));
    s_edit(REC_NEED, 2, f, EDIT_CREATING, &edits[1]);

    f = pv_map();
    pv_map_set(f, "role", pv_str("admin"));
    pv_map_set(f, "name", pv_str("Buurthuis De Klinker"));
    s_edit(REC_MEMBER, 3, f, EDIT_CREATING, &edits[2]);

    f = pv_map(); /* a later edit: one field set, one unset */
    pv_map_set(f, "status", pv_str("closed"));
    pv_map_set(f, "hours", pv_nil());
    s_edit(REC_PLACE, 4, f, 0, &edits[3]);
}

static void s_value_seeds(const buf_t *edit)
{
    buf_t b = {0};
    pv_t *v = pv_map();
    pv_map_set(v, "a", pv_nil());
    pv_map_set(v, "b", pv_bool(true));
    pv_map_set(v, "i", pv_int(-129));
    pv_map_set(v, "j", pv_int(INT64_C(1) << 40));
    pv_map_set(v, "s", pv_str("caf\xc3\xa9 \xe2\x82\xac"));
    pv_map_set(v, "x", pv_bin("\x00\x01\xff", 3));
    pv_map_set(v, "l", s_list("one", "two"));
    pv_map_set(v, "m", pv_map());
    pv_encode(v, &b);
    s_put("value", "map", &b);
    pv_free(&v);

    v = pv_int(7); /* PV_MAX_DEPTH levels */
    for (int d = 0; d < PV_MAX_DEPTH; d++) {
        pv_t *c = d % 2 ? pv_arr() : pv_map();
        if (c->type == PV_ARR)
            pv_arr_push(c, v);
        else
            pv_map_set(c, "k", v);
        v = c;
    }
    pv_encode(v, &b);
    s_put("value", "deep", &b);
    pv_free(&v);

    v = pv_arr(); /* every length class of str and bin headers */
    char text[300];
    memset(text, 'x', sizeof text);
    pv_arr_push(v, pv_strn(text, 31));
    pv_arr_push(v, pv_strn(text, 32));
    pv_arr_push(v, pv_strn(text, 256));
    pv_arr_push(v, pv_bin(text, 256));
    for (int i = 0; i < 16; i++)
        pv_arr_push(v, pv_int(i * 1000));
    pv_encode(v, &b);
    s_put("value", "lengths", &b);
    pv_free(&v);

    s_write("value", "edit", edit->data, edit->len);
    buf_free(&b);
}

static void s_msg_seeds(buf_t edits[4])
{
    buf_t b = {0};
    uint8_t mesh[32];
    for (int i = 0; i < 32; i++)
        mesh[i] = (uint8_t)(0x40 + i);
    msg_hello(&b, mesh, "node-a", UINT64_C(1795428000000));
    s_put("msg", "hello", &b);

    range_t r[3];
    memset(r, 0, sizeof r);
    uint8_t ids[2][32];
    for (int i = 0; i < 32; i++) {
        ids[0][i] = (uint8_t)(0x10 + i);
        ids[1][i] = (uint8_t)(0x90 + i);
    }
    r[0].upper.hlc = UINT64_C(1795428000000) << 16;
    r[0].upper.len = 2;
    r[0].upper.prefix[0] = 0x12;
    r[0].upper.prefix[1] = 0x34;
    r[0].mode = RANGE_FP;
    memset(r[0].fp, 0xab, 16);
    r[0].count = 1000;
    r[1].upper.hlc = (UINT64_C(1795428000000) << 16) + 5;
    r[1].mode = RANGE_IDS;
    r[1].ids = ids;
    r[1].nids = 2;
    r[2].upper.hlc = MSG_INF_HLC;
    r[2].mode = RANGE_SKIP;
    msg_recon(&b, r, 3);
    s_put("msg", "recon", &b);
    msg_recon(&b, NULL, 0);
    s_put("msg", "recon-in-sync", &b);

    msg_want(&b, (const uint8_t(*)[32])ids, 2);
    s_put("msg", "want", &b);
    msg_announce(&b, (const uint8_t(*)[32])ids, 2);
    s_put("msg", "announce", &b);

    msg_blob_t blobs[2] = {{edits[0].data, edits[0].len}, {edits[2].data, edits[2].len}};
    msg_edits(&b, blobs, 2, true);
    s_put("msg", "edits", &b);
    /* ZEDITS of the four edits, twice over (a batch compresses) */
    msg_blob_t all[8];
    for (int i = 0; i < 8; i++)
        all[i] = (msg_blob_t){edits[i % 4].data, edits[i % 4].len};
    buf_t plain = {0};
    msg_edits(&plain, all, 8, false);
    msg_zc_t *z = msg_zc_new(MSG_ZSTD_LEVEL);
    if (msg_zedits(&b, z, plain.data, plain.len) == 0) {
        fprintf(stderr, "seeds: eight edits do not compress\n");
        exit(1);
    }
    s_put("msg", "zedits", &b);
    /* the same against a history of the four edits once */
    msg_hist_t h = {0};
    msg_edits(&b, all, 4, false);
    msg_hist_add(&h, b.data, b.len);
    buf_reset(&b);
    if (msg_zedits_hist(&b, z, plain.data, plain.len, &h) == 0) {
        fprintf(stderr, "seeds: eight edits do not compress against four\n");
        exit(1);
    }
    msg_hist_free(&h);
    msg_zc_destroy(&z);
    buf_free(&plain);
    s_put("msg", "zedits-hist", &b);
    msg_ping(&b);
    s_put("msg", "ping", &b);
    buf_free(&b);
}

static void s_invite_seeds(const buf_t *cert)
{
    invite_code_t c;
    for (int i = 0; i < 8; i++)
        c.mesh_prefix[i] = (uint8_t)(0x40 + i);
    for (int i = 0; i < 10; i++)
        c.secret[i] = (uint8_t)(0xc3 * i + 7);
    char text[INVITE_CODE_LEN];
    invite_code_format(&c, text);
    s_write("invite", "code", text, strlen(text));

    join_msg_t j;
    memset(&j, 0, sizeof j);
    memcpy(j.mesh_prefix, c.mesh_prefix, 8);
    uint8_t key[32];
    invite_derive(c.secret, j.id, key);
    memcpy(j.node, s_pk, 32);
    snprintf(j.name, sizeof j.name, "laptop-buurthuis");
    invite_proof(key, j.node, s_pk, s_pk, j.proof);
    buf_t b = {0};
    invite_join_encode(&j, &b);
    s_put("invite", "join", &b);

    uint8_t mesh[32];
    for (int i = 0; i < 32; i++)
        mesh[i] = (uint8_t)(0x40 + i);
    const uint8_t *certs[1] = {cert->data};
    size_t lens[1] = {cert->len};
    invite_joined_encode(JOIN_OK, mesh, "Zuid", certs, lens, 1, "welcome", &b);
    s_put("invite", "joined", &b);
    invite_joined_encode(JOIN_USED, mesh, "", NULL, NULL, 0, "invite already used", &b);
    s_put("invite", "joined-refused", &b);
    buf_free(&b);
}

/* Reads <dir>/edits.log into b. */
static void s_slurp(const char *dir, buf_t *b)
{
    char path[512];
    snprintf(path, sizeof path, "%s/edits.log", dir);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        s_die(path);
    uint8_t chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(b, chunk, n);
    fclose(f);
}

static void s_store_seeds(buf_t edits[4])
{
    char dir[] = "/tmp/buurt-seeds-XXXXXX";
    if (mkdtemp(dir) == NULL)
        s_die("mkdtemp");
    store_t *st = NULL;
    char *cause = NULL;
    if (store_open(dir, &st, NULL, &cause) < 0) {
        fprintf(stderr, "seeds: store_open: %s\n", cause ? cause : "?");
        exit(1);
    }
    for (int i = 0; i < 3; i++)
        if (store_put(st, edits[i].data, edits[i].len, NULL, &cause) < 0) {
            fprintf(stderr, "seeds: store_put: %s\n", cause ? cause : "?");
            exit(1);
        }
    store_close(&st);
    buf_t log = {0};
    s_slurp(dir, &log);
    s_write("store", "three-records", log.data, log.len);
    s_write("store", "torn-tail", log.data, log.len - 7);
    s_write("store", "header-only", log.data, 8);
    /* damage in the middle: one byte of the second frame's payload */
    size_t first = 8 + 12 + edits[0].len;
    log.data[first + 12 + 20] ^= 0x5a;
    s_write("store", "damaged-middle", log.data, log.len);
    buf_free(&log);
    char path[512];
    snprintf(path, sizeof path, "%s/edits.log", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock", dir);
    unlink(path);
    rmdir(dir);
}

/* Bundles: whole, with a flipped bit in the middle, cut short. */
static void s_bundle_seeds(buf_t edits[4])
{
    uint8_t mesh[32];
    memcpy(mesh, s_pk, 32);
    buf_t b = {0};
    bundle_head(&b, mesh);
    for (int i = 0; i < 4; i++)
        bundle_put(&b, edits[i].data, edits[i].len);
    bundle_end(&b, mesh, 4, 1767225600000ull);
    s_write("bundle", "four-edits", b.data, b.len);
    s_write("bundle", "cut-short", b.data, b.len - 30);
    b.data[b.len / 2] ^= 0x10;
    s_write("bundle", "flipped-bit", b.data, b.len);
    buf_free(&b);
}

int main(int argc, char **argv)
{
    s_root = argc > 1 ? argv[1] : "tests/fuzz/corpus";
    if (mkdir(s_root, 0755) != 0 && errno != EEXIST)
        s_die(s_root);
    if (sodium_init() < 0)
        s_die("sodium_init");
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(0xa0 + i);
    crypto_sign_seed_keypair(s_pk, s_sk, seed);

    buf_t edits[4] = {{0}};
    s_edits(edits);
    static const char *const names[4] = {"place", "need", "member", "place-update"};
    for (int i = 0; i < 4; i++)
        s_write("edit", names[i], edits[i].data, edits[i].len);
    buf_t forged = {0}; /* a valid edit whose signature does not verify */
    buf_append(&forged, edits[1].data, edits[1].len);
    forged.data[forged.len - 1] ^= 1;
    s_write("edit", "need-bad-signature", forged.data, forged.len);
    buf_free(&forged);

    s_value_seeds(&edits[3]);
    s_msg_seeds(edits);
    s_invite_seeds(&edits[2]);
    s_bundle_seeds(edits);

    /* the mesh and invite key fuzz_beacon opens beacons with */
    beacon_t bc = {.port = BEACON_DEFAULT_PORT, .addr = {192, 168, 1, 20}};
    uint8_t mesh[32], bkey[32], ikey[32], ibkey[32];
    for (int i = 0; i < 32; i++) {
        mesh[i] = (uint8_t)(0x40 + i);
        ikey[i] = (uint8_t)(0x60 + i);
    }
    memcpy(bc.node, s_pk, 32);
    beacon_key(mesh, bkey);
    beacon_invite_key(ikey, ibkey);
    uint8_t raw[BEACON_LEN], iraw[BEACON_INVITE_LEN];
    beacon_seal(mesh, bkey, s_sk, &bc, raw);
    s_write("beacon", "beacon", raw, sizeof raw);
    beacon_invite_seal(ibkey, &bc, iraw);
    s_write("beacon", "invite-beacon", iraw, sizeof iraw);

    /* the control protocol: a request and replies of each kind */
    buf_t c = {0};
    char *args[] = {"list", "needs", "--area", "Feijenoord"};
    ctl_exec(&c, 4, args, true, 1767225600000LL, 100);
    s_write("control", "exec", c.data, c.len);
    buf_reset(&c);
    ctl_sync(&c, true, 60000);
    s_write("control", "sync", c.data, c.len);
    buf_reset(&c);
    ctl_out(&c, 1, "ID  NAME\n", 9);
    s_write("control", "out", c.data, c.len);
    buf_reset(&c);
    pv_t *peers = pv_arr(), *node = pv_map(), *p = pv_map();
    pv_map_set(p, "id", pv_str("ab"));
    pv_map_set(p, "connected", pv_bool(true));
    pv_arr_push(peers, p);
    pv_map_set(node, "held", pv_int(0));
    ctl_peers_reply(&c, peers, node);
    s_write("control", "peers-reply", c.data, c.len);
    pv_free(&peers);
    pv_free(&node);
    buf_free(&c);

    s_store_seeds(edits);
    for (int i = 0; i < 4; i++)
        buf_free(&edits[i]);
    return 0;
}
