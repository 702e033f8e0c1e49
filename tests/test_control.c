/*
 * test_control.c -- behaviour tests for proto/control.c, the codec of the
 * local control protocol between buurt and buurtd: every message round
 * trips, and anything malformed, of an unknown type or over a limit is
 * refused without crashing.
 */
#include "proto/control.h"
#include "proto/err.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(control, exec_round_trips_with_its_options)
{
    char *argv[] = {"list", "needs", "--area", "Feijenoord", NULL};
    buf_t b = {0};
    ctl_exec(&b, 4, argv, true, 1767225600123LL, 120);
    ctl_msg_t m;
    cr_assert_eq(ctl_decode(b.data, b.len, &m), 0);
    cr_assert_eq(m.type, CTL_EXEC);
    cr_assert_eq(m.argc, 4);
    for (int i = 0; i < 4; i++)
        cr_assert_str_eq(m.argv[i], argv[i]);
    cr_assert_null(m.argv[4], "argv is NULL-terminated");
    cr_assert(m.json);
    cr_assert_eq(m.now_ms, 1767225600123LL);
    cr_assert_eq(m.width, 120);
    ctl_clear(&m);
    buf_reset(&b);
    ctl_exec(&b, 1, argv, false, -1, 0);
    cr_assert_eq(ctl_decode(b.data, b.len, &m), 0);
    cr_assert_eq(m.now_ms, -1, "no time set");
    ctl_clear(&m);
    buf_free(&b);
}

Test(control, replies_round_trip)
{
    buf_t b = {0};
    ctl_msg_t m;
    ctl_out(&b, 2, "buurt: no such place\n", 21);
    cr_assert_eq(ctl_decode(b.data, b.len, &m), 0);
    cr_assert_eq(m.type, CTL_OUT);
    cr_assert_eq(m.stream, 2);
    cr_assert_eq(m.len, 21);
    cr_assert(memcmp(m.data, "buurt: no such place\n", 21) == 0);
    ctl_clear(&m);

    buf_reset(&b);
    ctl_result(&b, 2);
    cr_assert_eq(ctl_decode(b.data, b.len, &m), 0);
    cr_assert_eq(m.type, CTL_RESULT);
    cr_assert_eq(m.code, 2);
    ctl_clear(&m);

    buf_reset(&b);
    pv_t *peers = pv_arr(), *node = pv_map(), *p = pv_map();
    pv_map_set(p, "id", pv_str("ab"));
    pv_arr_push(peers, p);
    pv_map_set(node, "held", pv_int(3));
    ctl_peers_reply(&b, peers, node);
    cr_assert_eq(ctl_decode(b.data, b.len, &m), 0);
    cr_assert_eq(m.type, CTL_PEERS_REPLY);
    cr_assert(pv_equal(m.peers, peers));
    cr_assert_eq(pv_get_int(m.node, "held", 0), 3);
    ctl_clear(&m);
    pv_free(&peers);
    pv_free(&node);

    buf_reset(&b);
    ctl_synced(&b, 4, false, 1);
    cr_assert_eq(ctl_decode(b.data, b.len, &m), 0);
    cr_assert_eq(m.type, CTL_SYNCED);
    cr_assert_eq(m.npeers, 4);
    cr_assert_not(m.synced);
    cr_assert_eq(m.pending, 1);
    ctl_clear(&m);

    buf_reset(&b);
    ctl_sync(&b, true, 120000);
    cr_assert_eq(ctl_decode(b.data, b.len, &m), 0);
    cr_assert_eq(m.type, CTL_SYNC);
    cr_assert(m.wait);
    cr_assert_eq(m.timeout_ms, 120000);
    ctl_clear(&m);
    buf_free(&b);
}

/* Encodes [items...] as a message for the rejection tests. */
static void s_enc(buf_t *b, pv_t *arr)
{
    buf_reset(b);
    pv_encode(arr, b);
    pv_free(&arr);
}

Test(control, malformed_messages_are_refused)
{
    buf_t b = {0};
    ctl_msg_t m;
    pv_t *a;
    /* an unknown type */
    a = pv_arr();
    pv_arr_push(a, pv_int(99));
    s_enc(&b, a);
    cr_assert_lt(ctl_decode(b.data, b.len, &m), 0);
    /* EXEC without arguments */
    a = pv_arr();
    pv_arr_push(a, pv_int(CTL_EXEC));
    pv_arr_push(a, pv_arr());
    pv_arr_push(a, pv_bool(false));
    pv_arr_push(a, pv_int(-1));
    pv_arr_push(a, pv_int(0));
    s_enc(&b, a);
    cr_assert_lt(ctl_decode(b.data, b.len, &m), 0, "an EXEC needs a command");
    /* an OUT to a third stream */
    a = pv_arr();
    pv_arr_push(a, pv_int(CTL_OUT));
    pv_arr_push(a, pv_int(3));
    pv_arr_push(a, pv_bin("x", 1));
    s_enc(&b, a);
    cr_assert_lt(ctl_decode(b.data, b.len, &m), 0);
    /* an exit code out of range */
    a = pv_arr();
    pv_arr_push(a, pv_int(CTL_RESULT));
    pv_arr_push(a, pv_int(300));
    s_enc(&b, a);
    cr_assert_lt(ctl_decode(b.data, b.len, &m), 0);
    /* an EXEC argument that is not text */
    a = pv_arr();
    pv_t *args = pv_arr();
    pv_arr_push(args, pv_int(1));
    pv_arr_push(a, pv_int(CTL_EXEC));
    pv_arr_push(a, args);
    pv_arr_push(a, pv_bool(false));
    pv_arr_push(a, pv_int(-1));
    pv_arr_push(a, pv_int(0));
    s_enc(&b, a);
    cr_assert_lt(ctl_decode(b.data, b.len, &m), 0);
    /* garbage and every truncation of a valid EXEC */
    static const uint8_t junk[] = {0xc1, 0x93, 0x01};
    cr_assert_lt(ctl_decode(junk, sizeof junk, &m), 0);
    char *argv[] = {"show", "abcd"};
    buf_reset(&b);
    ctl_exec(&b, 2, argv, false, 5, 80);
    for (size_t n = 0; n < b.len; n++)
        cr_assert_lt(ctl_decode(b.data, n, &m), 0, "truncated at %zu accepted", n);
    buf_free(&b);
}
