/*
 * test_syncmark.c -- behaviour tests for node/syncmark.c: when a node
 * last synced, what "last-sync" means after a time away, and when an edit
 * of this node reached the mesh (what tells a conflict from an informed
 * later edit in `buurt conflicts`).
 */
#include "node/syncmark.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const uint8_t R1[32] = {1}, R2[32] = {2}, R3[32] = {3};

Test(syncmark, first_sync_begins_a_contact_with_no_before)
{
    syncmark_t m = {0};
    cr_assert(syncmark_in_sync(&m, 1000, 5, R1, true));
    cr_assert_eq(m.before.ms, 0, "never synced before: last-sync is the beginning");
    cr_assert_eq(m.last.ms, 1000);
    cr_assert_eq(m.last.count, 5);
    cr_assert_eq(m.ngaps, 0);
}

Test(syncmark, syncs_in_touch_move_last_but_keep_before)
{
    syncmark_t m = {0};
    syncmark_in_sync(&m, 1000, 5, R1, true);
    cr_assert_not(syncmark_in_sync(&m, 31000, 6, R2, false));
    cr_assert_not(syncmark_in_sync(&m, 61000, 7, R3, false));
    cr_assert_eq(m.last.ms, 61000);
    cr_assert_eq(m.before.ms, 0);
}

Test(syncmark, a_time_out_of_touch_makes_the_last_sync_the_before_mark)
{
    syncmark_t m = {0};
    syncmark_in_sync(&m, 1000, 5, R1, true);
    syncmark_in_sync(&m, 2000, 6, R2, false);
    /* every peer gone (or buurtd restarted), then a sync again */
    cr_assert(syncmark_in_sync(&m, 90000, 9, R3, true));
    cr_assert_eq(m.before.ms, 2000);
    cr_assert_eq(m.before.count, 6);
    cr_assert_arr_eq(m.before.rec, R2, 32);
    cr_assert_eq(m.ngaps, 1);
    cr_assert_eq(m.gaps[0].from, 2000);
    cr_assert_eq(m.gaps[0].to, 90000);
}

Test(syncmark, no_sync_for_longer_than_the_gap_is_out_of_touch_too)
{
    syncmark_t m = {0};
    syncmark_in_sync(&m, 1000, 5, R1, true);
    cr_assert(syncmark_in_sync(&m, 1000 + SYNCMARK_GAP_MS + 1, 5, R1, false));
    cr_assert_eq(m.before.ms, 1000);
}

Test(syncmark, an_edit_reached_the_mesh_at_the_first_sync_after_it_was_stored)
{
    syncmark_t m = {0};
    syncmark_in_sync(&m, 1000, 5, R1, true);  /* step (1000, 5) */
    syncmark_in_sync(&m, 2000, 5, R1, false); /* no growth: no step */
    syncmark_in_sync(&m, 3000, 8, R2, false); /* step (3000, 8) */
    cr_assert_eq(m.nsteps, 2);
    cr_assert_eq(syncmark_delivered(&m, 900, 4), 1000);
    cr_assert_eq(syncmark_delivered(&m, 2500, 6), 3000, "stored 6th: out with the sync at 3000");
    cr_assert_eq(syncmark_delivered(&m, 3500, 8), UINT64_MAX, "not synced since: not out yet");
}

Test(syncmark, past_the_steps_kept_the_gaps_and_a_slack_decide)
{
    syncmark_t m = {0};
    syncmark_in_sync(&m, 1000, 1, R1, true);
    syncmark_in_sync(&m, 100000, 2, R2, true); /* gap 1000 .. 100000 */
    for (uint64_t i = 0; i < SYNCMARK_PTS; i++)
        syncmark_in_sync(&m, 200000 + i, 3 + i, R3, false);
    cr_assert(m.steps_cut);
    cr_assert_eq(syncmark_delivered(&m, 5000, 1), 100000, "made in the gap: out at its end");
    cr_assert_eq(syncmark_delivered(&m, 150000, 2), 150000 + SYNCMARK_SLACK_MS);
}

Test(syncmark, saved_and_loaded_the_same)
{
    char dir[] = "/tmp/buurt-syncmark-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    syncmark_t m, back;
    memset(&m, 0, sizeof m); /* padding too: compared with memcmp */
    syncmark_in_sync(&m, 1000, 5, R1, true);
    syncmark_in_sync(&m, 99000, 9, R2, true);
    syncmark_peer(&m, R3, 99000);
    syncmark_peer(&m, R3, 99500); /* one entry per peer */
    cr_assert_eq(syncmark_save(dir, &m, NULL), 0);
    syncmark_load(dir, &back);
    cr_assert_eq(memcmp(&m, &back, sizeof m), 0);
    cr_assert_eq(back.npeers, 1);
    cr_assert_eq(syncmark_peer_ms(&back, R3), 99500);
    char path[300];
    snprintf(path, sizeof path, "%s/synced", dir);
    FILE *f = fopen(path, "w");
    fputs("garbage\nlast x y z\n", f);
    fclose(f);
    syncmark_load(dir, &back);
    cr_assert_eq(back.last.ms, 0, "a damaged file reads as never synced");
    unlink(path);
    rmdir(dir);
}
