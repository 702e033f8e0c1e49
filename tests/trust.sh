#!/usr/bin/env bash
# tests/trust.sh -- end-to-end tests of membership, authorization and
# retention across a real buurt mesh: buurtd daemons syncing over
# CURVE-encrypted ZeroMQ on loopback (127.0.0.1 only, no beacons, static
# peers), driven by the real buurt CLI.
#
#   1. revocation while connected: founder A admits B and C, both linked to A
#      (B - A - C). A revokes C ("laptop stolen"): A lists C as revoked with
#      its reason, the revocation reaches B, A drops C, C receives nothing
#      new, nothing C writes afterwards reaches A or B (or C's CLI refuses
#      it, when C learnt of its revocation), and what C wrote before stays
#      on A and B.
#   2. retention across sync: A has a done, a cancelled and an open need,
#      synced to B. A purges with a clock 31 days ahead: exactly the done and
#      cancelled needs go, and syncing with B (which has not purged) does not
#      bring them back. B, purging with its own clock, purges nothing; with
#      the future clock it purges the same two, and A and B end equal.
#   3. retention setting: an admin sets it for the whole mesh (it syncs); a
#      plain member may not.
#   4. authorization: B may not rename A's place (the CLI refuses, exit 1);
#      and an edit B made offline that was allowed in B's view but is not
#      allowed in merge order (claiming a need A had cancelled) counts on
#      neither node once they sync.
#   5. private coalition in a line A - N - B: A makes a private coalition
#      readable by B and a need addressed to it. B reads both; N relays them
#      but holds only sealed records (kind "sealed", no plain text in its
#      store, nothing in its lists). A removes B as a reader: a need written
#      afterwards reaches B sealed; B still reads the earlier one.
#   6. invites: a code admits a new node with the invited role and makes the
#      inviting node its static peer; reuse, expiry, another mesh's code
#      and a malformed code fail with clear messages and leave the node
#      outside any mesh; only admins invite.
#
# Every test uses fresh node homes in one mktemp -d directory, removed on
# exit (kept, with the daemon logs, when KEEP=1 or a test failed and
# KEEP_ON_FAIL=1). Ports are free ports picked by binding port 0. Every wait
# polls a condition with a deadline; every daemon is stopped by its pid on
# exit, also on failure.
#
# Env: BUURT (default build/buurt), BUURTD (default build/buurtd).
# Needs python3 (JSON).
# Run from the repository root: bash tests/trust.sh
# Prints ok/FAIL lines and ends with "N passed, M failed"; exits 1 on failure.
# Intentional: `a && b || { fail; return; }` chains, eval'd single-quoted checks.
# shellcheck disable=SC2015,SC2016,SC2034
set -u

# The harness (node homes, daemons by pid, waits, ok/FAIL, JSON readers) is
# tests/lib/daemons.bash; daemons_init exits when a binary or python3 is missing.
# shellcheck source=lib/daemons.bash source-path=SCRIPTDIR
. "$(dirname "$0")/lib/daemons.bash" || exit 1
daemons_init

# ---------------------------------------------------------------- helpers

# run NODE ARGS...: runs buurt for NODE's home; sets OUT, ERR and RC.
OUT=
ERR=
RC=0
run() {
    local n=$1
    shift
    OUT=$($TIMEOUT "$BUURT" --home "$T/$n" "$@" 2>"$T/.run.err")
    RC=$?
    ERR=$(cat "$T/.run.err")
}

# refused NAME WANT-RC PATTERN NODE ARGS...: the command fails with exit code
# WANT-RC and a message on stderr matching the extended regex PATTERN
# (case-insensitive).
refused() {
    local name=$1 want=$2 pat=$3
    shift 3
    run "$@"
    if [ "$RC" = "$want" ] && printf '%s' "$ERR" | grep -qiE -- "$pat"; then
        pass "$name (exit $RC: $(printf '%s' "$ERR" | head -n 1 | cut -c 1-110))"
    else
        fail "$name" "buurt --home $*" "want exit $want and stderr matching /$pat/" \
            "got exit $RC, stderr: $(printf '%s' "$ERR" | head -n 3)" "stdout: $(printf '%s' "$OUT" | head -c 300)"
    fi
}

# lacks_record NODE ID: `show ID` fails on NODE.
lacks_record() { ! has_record "$1" "$2"; }

# field_is NODE ID FIELD JSON: field prints JSON.
field_is() { [ "$(field "$1" "$2" "$3")" = "$4" ]; }

# member_json NODE WHO: WHO's entry of NODE's `member list --json` as one
# JSON object, "none" when not listed, "error" when the list fails.
member_json() {
    bu "$1" member list --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
for m in d.get("members", []):
    if m.get("id") == sys.argv[1]:
        print(json.dumps(m, sort_keys=True))
        break
else:
    print("none")' "${NID[$2]}" 2>/dev/null || echo error
}

# member_revoked NODE WHO: NODE's member list shows WHO revoked.
member_revoked() {
    member_json "$1" "$2" | python3 -c '
import json, sys
sys.exit(0 if json.load(sys.stdin).get("revoked") is True else 1)' 2>/dev/null
}

# need_ids NODE: the sorted ids of `list needs --all --json` on NODE, one per
# line ("error" when the list fails).
need_ids() {
    bu "$1" list needs --all --json 2>/dev/null | python3 -c '
import json, sys
for i in sorted(r["id"] for r in json.load(sys.stdin)["items"]):
    print(i)' 2>/dev/null || echo error
}

# words TEXT: TEXT's lines joined by spaces (for messages).
words() { printf '%s' "$1" | tr '\n' ' '; }

# in_list ID LIST: ID is one of the lines of LIST.
in_list() { printf '%s\n' "$2" | grep -qx -- "$1"; }

# mesh_retention NODE: retention_days of `mesh show --json` on NODE.
mesh_retention() {
    bu "$1" mesh show --json 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin).get("retention_days"))' 2>/dev/null || echo error
}

T0=$(now_ms)

# ---------------------------------------------------------------- 1. revocation while connected
t1() {
    local name="1. revocation while connected"
    mknode a1 "Buurthuis De Kroon" && mknode b1 Bibliotheek && mknode c1 "Moskee Zuid" &&
        mkmesh a1 b1 c1 || { fail "$name: setup"; return; }
    start a1 && start b1 && start c1 || { fail "$name: start daemons"; return; }
    link b1 a1 && link c1 a1 || { fail "$name: peer add"; return; }
    wait_connected b1 a1 || { fail "$name: B connects to A"; return; }
    check "$name: C is connected to A before the revocation" wait_connected c1 a1 || return

    # written by C before the revocation: must reach A (and B) first
    local pc0
    pc0=$(add_place c1 "Moskee Zuid" --status open) || { fail "$name: place add on C"; return; }
    WHY="C's place $pc0 did not reach A and B within $WAIT s"
    check "$name: C's place written before the revocation reaches A and B" \
        eval 'wait_until "$WAIT" has_record a1 "$pc0" && wait_until "$WAIT" has_record b1 "$pc0"' || return

    local t
    t=$(now_ms)
    run a1 member revoke "${NID[c1]}" --reason "laptop stolen"
    WHY="member revoke on A: exit $RC, stderr: $ERR"
    check "$name: A revokes C (member revoke exits 0)" [ "$RC" = 0 ] || return

    # (a) A's member list: C revoked, with the reason, by A
    local m
    m=$(member_json a1 c1)
    WHY="A's member list entry for C: $m"
    check "$name: (a) A lists C as revoked, reason \"laptop stolen\", revoked by A" \
        python3 -c '
import json, sys
m = json.loads(sys.argv[1])
sys.exit(0 if m.get("revoked") is True and m.get("reason") == "laptop stolen"
         and m.get("revoked_by") == sys.argv[2] else 1)' "$m" "${NID[a1]}"

    # (b) the revocation reaches B
    if wait_until "$WAIT" member_revoked b1 c1; then
        pass "$name: (b) the revocation reaches B ($(($(now_ms) - t)) ms)"
        m=$(member_json b1 c1)
        WHY="B's member list entry for C: $m"
        check "$name: (b) B shows the reason too" python3 -c '
import json, sys
sys.exit(0 if json.loads(sys.argv[1]).get("reason") == "laptop stolen" else 1)' "$m"
    else
        fail "$name: (b) the revocation reaches B" "B's entry for C: $(member_json b1 c1)" \
            "$(log_tail b1)"
    fi

    # (c) A drops C
    if wait_until "$WAIT" not_connected a1 c1; then
        pass "$name: (c) A no longer lists C as connected ($(($(now_ms) - t)) ms)"
    else
        fail "$name: (c) A no longer lists C as connected" \
            "A peers: $(bu a1 peers --json 2>&1 | head -c 600)" "$(log_tail a1)"
    fi
    WHY="A's log has no line saying C was cut off"
    check "$name: (c) A logs that C was cut off" \
        grep -q "peer ${NID[c1]:0:10} is no longer a member" "${LOG[a1]}"
    # C learns of its own revocation: A answers its dialling with its
    # certificates (issue 17: a revoked node must know, whatever its clock)
    local c_knows=no
    WHY="C's member list entry for itself: $(member_json c1 c1); A's log: $(log_tail a1)"
    check "$name: (c) C learns that it was revoked" wait_until "$WAIT" member_revoked c1 c1 && c_knows=yes
    WHY="C's log does not say it was revoked"
    check "$name: (c) C's log says so" wait_until 5 grep -q "this node was revoked from the mesh by ${NID[a1]:0:10}: laptop stolen" "${LOG[c1]}"

    # (d) C receives nothing new
    local pa tb
    t=$(now_ms)
    pa=$(add_place a1 "Speeltuin Afrikaanderwijk") || { fail "$name: place add on A"; return; }
    if wait_until "$WAIT" has_record b1 "$pa"; then
        tb=$(($(now_ms) - t))
        pass "$name: (d) A's place made after the revocation reaches B ($tb ms)"
    else
        fail "$name: (d) A's place made after the revocation reaches B" "$(log_tail a1)" "$(log_tail b1)"
        tb=$((WAIT * 1000))
    fi
    # give C as long again as B needed (at least 1 s), and a sync on A and B
    [ "$tb" -lt 1000 ] && tb=1000
    wait_until_ms "$tb" has_record c1 "$pa"
    check "$name: (d) sync --wait on A returns 0" sync_wait a1
    check "$name: (d) sync --wait on B returns 0" sync_wait b1
    WHY="C has A's place $pa made after C was revoked (or C's CLI no longer shows its own place)"
    check "$name: (d) C did not receive A's place made after the revocation" \
        eval 'has_record c1 "$pc0" && lacks_record c1 "$pa"'

    # (e) what C writes after the revocation
    local pcx
    if [ "$c_knows" = yes ]; then
        refused "$name: (e) C's CLI refuses an edit after its revocation" 1 revoked \
            c1 place add --name "Na de diefstal" --kind other
        pcx=$(printf '%s' "$OUT" | head -n 1)
    else
        run c1 place add --name "Na de diefstal" --kind other
        pcx=$(printf '%s' "$OUT" | head -n 1)
        echo "     (C does not know it is revoked; its place add exited $RC: ${pcx:-no id})"
    fi
    run c1 place status "$pc0" closed --note "gesloten door de dief"
    echo "     (C's status edit of its own place after the revocation exited $RC)"
    if [ -n "$pcx" ]; then
        # as long as B needed for A's place, then a sync round on both
        wait_until_ms "$tb" eval 'has_record a1 "$pcx" || has_record b1 "$pcx"'
        sync_wait a1 >/dev/null
        sync_wait b1 >/dev/null
        WHY="A or B has C's place $pcx made after the revocation (A: $(has_record a1 "$pcx" && echo yes || echo no), B: $(has_record b1 "$pcx" && echo yes || echo no))"
        check "$name: (e) C's place made after the revocation is on neither A nor B" \
            eval 'lacks_record a1 "$pcx" && lacks_record b1 "$pcx"'
    else
        sync_wait a1 >/dev/null
        sync_wait b1 >/dev/null
    fi

    # C's daemon restarts and dials A again: A only tells it it is revoked
    stop c1 && start c1 || { fail "$name: restart C"; return; }
    WHY="A's log does not say it told C"
    check "$name: (e) A tells the revoked C so when it dials" \
        grep -q "revoked member ${NID[c1]:0:10} dialled: told it that it is revoked" "${LOG[a1]}"
    WHY="C, restarted, does not know it is revoked"
    check "$name: (e) C, restarted, still knows it is revoked" member_revoked c1 c1
    WHY="A lists C as connected after C's restart"
    check "$name: (e) A does not list the restarted C as connected" not_connected a1 c1
    if [ -n "$pcx" ]; then
        sync_wait a1 >/dev/null
        WHY="A has C's place $pcx after C's restart"
        check "$name: (e) C's later place is still not on A after C's restart" lacks_record a1 "$pcx"
    fi

    # (f) what C wrote before stays, unchanged by what C did afterwards
    local s n
    for n in a1 b1; do
        s=$(field "$n" "$pc0" status)
        WHY="$n shows C's place $pc0 with status $s, want \"open\" (C's later edit must not count)"
        check "$name: (f) C's place written before the revocation is still on $n, status open" \
            [ "$s" = '"open"' ]
        WHY="$n: list places --json lacks $pc0"
        check "$name: (f) $n lists C's place" eval 'bu "$n" list places --json 2>/dev/null | grep -q "$pc0"'
    done
    same_state "$name: A and B list identical records" a1 b1
    WHY="A's member list after the syncs: $(member_json a1 c1)"
    check "$name: C is still revoked on A" member_revoked a1 c1
    WHY="A lists C as connected again"
    check "$name: A still does not list C as connected" not_connected a1 c1
}

# ---------------------------------------------------------------- 2. retention across sync
t2() {
    local name="2. retention across sync"
    mknode a2 "Buurthuis De Kroon" && mknode b2 Bibliotheek && mkmesh a2 b2 ||
        { fail "$name: setup"; return; }
    start a2 && start b2 || { fail "$name: start daemons"; return; }
    link b2 a2 || { fail "$name: peer add"; return; }
    wait_connected b2 a2 || { fail "$name: B connects to A"; return; }

    local nd nc no
    nd=$(bu a2 need add --category food --summary "groceries for 3 households" --area Feijenoord) &&
        nc=$(bu a2 need add --category shelter --summary "beds for the night") &&
        no=$(bu a2 need add --category information --summary "Arabic translation of the notice") &&
        bu a2 need "done" "$nd" >/dev/null &&
        bu a2 need cancel "$nc" >/dev/null || { fail "$name: needs on A"; return; }
    WHY="B did not get the three needs with their statuses within $WAIT s: $nd $(field b2 "$nd" status), $nc $(field b2 "$nc" status), $no $(field b2 "$no" status)"
    check "$name: B has the done, cancelled and open needs" \
        wait_until "$WAIT" eval 'field_is b2 "$nd" status "\"done\"" && field_is b2 "$nc" status "\"cancelled\"" && has_record b2 "$no"' ||
        return

    local future
    future=$(($(now_ms) + 31 * 86400000))
    run a2 purge --dry-run --json
    local dry=$OUT
    local want
    want=$(printf '%s\n' "$nd" "$nc" | sort)
    s_purged_ids() { python3 -c '
import json, sys
d = json.loads(sys.argv[1])
for i in sorted(x["id"] for x in d["needs"]):
    print(i)' "$1" 2>/dev/null || echo error; }
    WHY="A's purge --dry-run with today's clock: exit $RC, $dry"
    check "$name: purge --dry-run on A with today's clock lists nothing" \
        eval '[ "$RC" = 0 ] && [ -z "$(s_purged_ids "$dry")" ]'

    OUT=$(BUURT_NOW_MS=$future $TIMEOUT "$BUURT" --home "$T/a2" purge --json 2>"$T/.run.err")
    RC=$?
    local got
    got=$(s_purged_ids "$OUT")
    WHY="exit $RC; want ids $(words "$want"), got $(words "$got"); output: $OUT $(cat "$T/.run.err")"
    check "$name: purge on A 31 days ahead lists exactly the done and cancelled needs" \
        eval '[ "$RC" = 0 ] && [ "$got" = "$want" ]'
    WHY="purge output: $OUT"
    check "$name: purge output says not a dry run, retention 30 days, edits > 0" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
st = sorted(x["status"] for x in d["needs"])
sys.exit(0 if d["dry_run"] is False and d["retention_days"] == 30 and d["edits"] >= 4
         and st == ["cancelled", "done"] else 1)' "$OUT"

    local ids
    ids=$(need_ids a2)
    WHY="A's needs --all: $(words "$ids")"
    check "$name: A lists neither purged need, still the open one" \
        eval '! in_list "$nd" "$ids" && ! in_list "$nc" "$ids" && in_list "$no" "$ids"'
    WHY="show of a purged need still works on A"
    check "$name: show of a purged need fails on A" eval 'lacks_record a2 "$nd" && lacks_record a2 "$nc"'

    check "$name: sync --wait on A returns 0 after the purge" sync_wait a2
    check "$name: sync --wait on B returns 0 after A's purge" sync_wait b2
    check "$name: sync --wait on A returns 0 again" sync_wait a2
    ids=$(need_ids a2)
    WHY="A's needs --all after syncing with B: $(words "$ids")"
    check "$name: the purged needs did not come back to A from B" \
        eval '! in_list "$nd" "$ids" && ! in_list "$nc" "$ids" && in_list "$no" "$ids"'
    ids=$(need_ids b2)
    WHY="B's needs --all: $(words "$ids")"
    check "$name: B (which has not purged) still has all three needs" \
        eval 'in_list "$nd" "$ids" && in_list "$nc" "$ids" && in_list "$no" "$ids"'
    WHY="B lost status of its needs: $(field b2 "$nd" status) $(field b2 "$nc" status)"
    check "$name: B's copies are unchanged (done, cancelled)" \
        eval 'field_is b2 "$nd" status "\"done\"" && field_is b2 "$nc" status "\"cancelled\""'

    run b2 purge --dry-run --json
    WHY="B's purge --dry-run with today's clock: exit $RC, $OUT $ERR"
    check "$name: purge --dry-run on B with today's clock lists nothing" \
        eval '[ "$RC" = 0 ] && [ -z "$(s_purged_ids "$OUT")" ]'

    # the same need on both: a change A makes now is still taken by B
    bu a2 need edit "$no" --urgency high >/dev/null || { fail "$name: need edit on A"; return; }
    WHY="B's urgency of $no: $(field b2 "$no" urgency)"
    check "$name: A and B still sync after A's purge (edit of the open need reaches B)" \
        wait_until "$WAIT" field_is b2 "$no" urgency '"high"'

    OUT=$(BUURT_NOW_MS=$future $TIMEOUT "$BUURT" --home "$T/b2" purge --json 2>"$T/.run.err")
    RC=$?
    got=$(s_purged_ids "$OUT")
    WHY="exit $RC; want ids $(words "$want"), got $(words "$got"); output: $OUT $(cat "$T/.run.err")"
    check "$name: purge on B 31 days ahead lists the same two needs" \
        eval '[ "$RC" = 0 ] && [ "$got" = "$want" ]'
    ids=$(need_ids b2)
    WHY="B's needs --all: $(words "$ids")"
    check "$name: B lists neither purged need, still the open one" \
        eval '! in_list "$nd" "$ids" && ! in_list "$nc" "$ids" && in_list "$no" "$ids"'

    check "$name: final sync --wait on B returns 0" sync_wait b2
    check "$name: final sync --wait on A returns 0" sync_wait a2
    local ia ib
    ia=$(need_ids a2)
    ib=$(need_ids b2)
    WHY="A: $(words "$ia"); B: $(words "$ib")"
    check "$name: A and B list the same needs (ids)" eval '[ "$ia" != error ] && [ "$ia" = "$ib" ] && [ "$ia" = "$no" ]'
    same_state "$name: A and B list identical records" a2 b2
}

# ---------------------------------------------------------------- 3. retention setting
t3() {
    local name="3. retention setting"
    mknode a3 "Buurthuis De Kroon" && mknode b3 Bibliotheek && mkmesh a3 b3 ||
        { fail "$name: setup"; return; }
    start a3 && start b3 || { fail "$name: start daemons"; return; }
    link b3 a3 || { fail "$name: peer add"; return; }
    wait_connected b3 a3 || { fail "$name: B connects to A"; return; }

    local r
    r=$(mesh_retention b3)
    WHY="B's mesh show --json retention_days is $r, want the default 30"
    check "$name: default retention is 30 days" [ "$r" = 30 ]
    run a3 mesh set --retention 7
    WHY="exit $RC, stdout $OUT, stderr $ERR"
    check "$name: mesh set --retention 7 on A (the founder) exits 0" [ "$RC" = 0 ]
    r=$(mesh_retention a3)
    WHY="A's mesh show --json retention_days is $r"
    check "$name: A's mesh show has retention_days 7" [ "$r" = 7 ]
    sync_wait a3 >/dev/null
    s_ret7() { [ "$(mesh_retention b3)" = 7 ]; }
    WHY="B's mesh show --json retention_days is $(mesh_retention b3) after $WAIT s"
    check "$name: the setting reaches B (retention_days 7)" wait_until "$WAIT" s_ret7
    run b3 purge --dry-run --json
    WHY="B's purge --dry-run --json: $OUT"
    check "$name: B's purge uses the mesh's retention (7 days)" python3 -c '
import json, sys
sys.exit(0 if json.loads(sys.argv[1]).get("retention_days") == 7 else 1)' "$OUT"

    refused "$name: mesh set --retention 3 on B (a plain member) is refused" 1 \
        'not allowed|admin' b3 mesh set --retention 3
    sync_wait b3 >/dev/null
    sync_wait a3 >/dev/null
    WHY="A $(mesh_retention a3), B $(mesh_retention b3), want 7 on both"
    check "$name: retention is still 7 on A and B" eval '[ "$(mesh_retention a3)" = 7 ] && [ "$(mesh_retention b3)" = 7 ]'
    refused "$name: mesh set --retention 0 is a usage error" 2 'retention' a3 mesh set --retention 0
}

# ---------------------------------------------------------------- 4. authorization
t4() {
    local name="4. authorization"
    mknode a4 "Buurthuis De Kroon" && mknode b4 Bibliotheek && mkmesh a4 b4 ||
        { fail "$name: setup"; return; }
    start a4 && start b4 || { fail "$name: start daemons"; return; }
    link b4 a4 || { fail "$name: peer add"; return; }
    wait_connected b4 a4 || { fail "$name: B connects to A"; return; }

    local p n pb
    p=$(add_place a4 "Buurthuis De Kroon" --status open) &&
        n=$(bu a4 need add --category food --summary "soup for 20 people") ||
        { fail "$name: records on A"; return; }
    pb=$(add_place b4 "Bibliotheek Zuid") || { fail "$name: place on B"; return; }
    wait_until "$WAIT" eval 'has_record b4 "$p" && has_record b4 "$n" && has_record a4 "$pb"' ||
        { fail "$name: records reach the other node"; return; }

    refused "$name: B may not rename A's place (CLI refuses)" 1 'not allowed' \
        b4 place edit "$p" --name "Overgenomen"
    refused "$name: B may not set the status of A's place (not an editor)" 1 'not allowed' \
        b4 place status "$p" closed
    run b4 place edit "$pb" --hours "ma-vr 9-17"
    WHY="exit $RC: $ERR"
    check "$name: B may edit its own place" [ "$RC" = 0 ]
    run a4 place edit "$pb" --hours "ma-za 9-17"
    WHY="exit $RC: $ERR"
    check "$name: A (an admin) may edit B's place" [ "$RC" = 0 ]
    sync_wait b4 >/dev/null
    sync_wait a4 >/dev/null
    WHY="A's place name on A $(field a4 "$p" name), on B $(field b4 "$p" name)"
    check "$name: A's place keeps its name on A and B" \
        eval 'field_is a4 "$p" name "\"Buurthuis De Kroon\"" && field_is b4 "$p" name "\"Buurthuis De Kroon\""'

    # over the wire: B, offline, claims A's need, which A has just cancelled.
    # In B's view the need is open, so B's CLI signs the claim; in merge
    # order the cancel comes first, so the claim must count on neither node.
    stop b4 || { fail "$name: stop B"; return; }
    bu a4 need cancel "$n" >/dev/null || { fail "$name: cancel on A"; return; }
    run b4 need claim "$n" --by "$pb"
    WHY="B's offline claim: exit $RC: $ERR"
    check "$name: B (offline, need still open in its view) claims A's need" [ "$RC" = 0 ] || return
    start b4 || { fail "$name: restart B"; return; }
    wait_connected b4 a4 || { fail "$name: B reconnects"; return; }
    check "$name: sync --wait on B returns 0" sync_wait b4
    check "$name: sync --wait on A returns 0" sync_wait a4
    local sa sb
    sa=$(field a4 "$n" status)
    sb=$(field b4 "$n" status)
    WHY="status on A $sa, on B $sb; want \"cancelled\" on both (the claim came after the cancel)"
    check "$name: B's late claim counts on neither node (status cancelled)" \
        eval '[ "$sa" = "\"cancelled\"" ] && [ "$sb" = "\"cancelled\"" ]'
    WHY="claimed_by on A $(field a4 "$n" claimed_by), on B $(field b4 "$n" claimed_by)"
    check "$name: no claimed_by on A or B" \
        eval 'field_is a4 "$n" claimed_by null && field_is b4 "$n" claimed_by null'
    WHY="show --history on A: $(words "$(bu a4 show "$n" --history 2>&1)")"
    check "$name: show --history marks B's claim as denied (text and --json)" \
        eval 'bu a4 show "$n" --history | grep -q DENIED && bu b4 show "$n" --history --json | grep -q "\"effect\":\"denied\""'
    same_state "$name: A and B list identical records" a4 b4
}

export BUURT_BIN=$BUURT
# kind NODE ID: the record's kind on NODE ("sealed" when it cannot read it).
kind_of() {
    bu "$1" show "$2" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["kind"])' 2>/dev/null || echo none
}

# sealed_for NODE ID FIELD JSON: NODE has record ID but only sealed: its
# kind is "sealed" and FIELD does not show the plain value JSON.
sealed_for() {
    [ "$(kind_of "$1" "$2")" = sealed ] && [ "$(field "$1" "$2" "$3")" != "$4" ]
}

# ---------------------------------------------------------------- 5. private coalition
t5() {
    local name="5. private coalition"
    mknode a5 "Buurthuis De Kroon" && mknode n5 Bibliotheek && mknode b5 "Moskee Zuid" &&
        mkmesh a5 n5 b5 || { fail "$name: setup"; return; }
    start a5 && start n5 && start b5 || { fail "$name: start daemons"; return; }
    # A - N - B: every record between A and B passes through N, which is
    # a member of the mesh but not a reader of the coalition
    link n5 a5 && link b5 n5 || { fail "$name: peer add"; return; }
    wait_connected n5 a5 && wait_connected b5 n5 || { fail "$name: links up"; return; }
    local c n1 n2
    c=$(bu a5 coalition add --name "Zuid helpt" --purpose "food parcels" --private --nodes "${NID[b5]}") ||
        { fail "$name: coalition add --private"; return; }
    n1=$(bu a5 need add --category food --summary "parcels for 4 households" --coalition "$c") ||
        { fail "$name: need addressed to it"; return; }
    WHY="B (a reader) cannot read the coalition and its need: $(kind_of b5 "$c") $(field b5 "$n1" summary)"
    check "$name: a reader two hops away reads both" \
        wait_until "$WAIT" eval 'field_is b5 "$c" name "\"Zuid helpt\"" && field_is b5 "$n1" summary "\"parcels for 4 households\""'
    WHY="N relayed them but shows kind $(kind_of n5 "$c") / $(kind_of n5 "$n1")"
    check "$name: the relay stores them but sees only sealed records" \
        eval 'sealed_for n5 "$c" name "\"Zuid helpt\"" && sealed_for n5 "$n1" summary "\"parcels for 4 households\""'
    WHY="N lists the coalition or its need"
    check "$name: the relay's lists do not show them" \
        eval '! bu n5 list coalitions --json | grep -q "Zuid helpt" && ! bu n5 list needs --json | grep -q parcels'
    WHY="the stored bytes on N contain the plain text"
    check "$name: the plain text is nowhere in the relay's store" \
        eval '! grep -q "Zuid helpt" "$T/n5/store/edits.log" && ! grep -q "parcels for" "$T/n5/store/edits.log"'
    # B is removed: a new key; what is written afterwards is closed to B
    bu a5 coalition edit "$c" --nodes "${NID[a5]}" >/dev/null || { fail "$name: remove B"; return; }
    n2=$(bu a5 need add --category shelter --summary "two beds tonight" --coalition "$c") ||
        { fail "$name: need after removal"; return; }
    check "$name: the new need reaches B" wait_until "$WAIT" has_record b5 "$n2"
    WHY="B reads the need written after its removal: $(field b5 "$n2" summary)"
    check "$name: a removed reader cannot read what is written afterwards" \
        sealed_for b5 "$n2" summary '"two beds tonight"'
    WHY="A cannot read its own new need"
    check "$name: a current reader (A) reads it" field_is a5 "$n2" summary '"two beds tonight"'
    WHY="B lost what it could read before"
    check "$name: B still reads what it was given before" field_is b5 "$n1" summary '"parcels for 4 households"'
    WHY="N can edit the private coalition"
    check "$name: a non-reader cannot edit it" eval '! bu n5 coalition edit "$c" --purpose x >/dev/null 2>&1'
}

# ---------------------------------------------------------------- 6. invites
t6() {
    local name="6. invites"
    mknode a6 "Buurthuis De Kroon" && mknode b6 Bibliotheek && mknode c6 "Moskee Zuid" &&
        mknode x6 Elders && mknode y6 "Other founder" || { fail "$name: setup"; return; }
    MESH=$(bu a6 mesh create "Rotterdam-Zuid" 2>/dev/null) && bu y6 mesh create "Elsewhere" >/dev/null 2>&1 ||
        { fail "$name: meshes"; return; }
    start a6 && start y6 || { fail "$name: start daemons"; return; }
    local code addr="tcp://127.0.0.1:${PORT[a6]}"
    code=$(bu a6 invite --role coordinator 2>/dev/null) || { fail "$name: invite"; return; }
    run b6 join "$code" --peer "$addr" "${NID[a6]}" --timeout 10
    WHY="join exited $RC: $ERR"
    check "$name: a new node joins with the code" [ "$RC" = 0 ]
    WHY="B's member list: $(words "$(bu b6 member list 2>&1)")"
    check "$name: it holds its certificate with the invited role" \
        eval 'bu b6 member list --json | grep -q "\"${NID[b6]}\",\"name\":\"Bibliotheek\",\"role\":\"coordinator\""'
    check "$name: the inviting node admitted it" eval 'bu a6 member list --json | grep -q "${NID[b6]}"'
    start b6 || { fail "$name: start B"; return; }
    check "$name: B syncs with A as a member (static peer from the invite)" wait_connected b6 a6
    refused "$name: a used code fails" 1 "already used" c6 join "$code" --peer "$addr" "${NID[a6]}" --timeout 10
    local old
    old=$(BUURT_NOW_MS=$(($(now_ms) - 120000)) bu a6 invite --expires 1m 2>/dev/null) ||
        { fail "$name: invite that has expired"; return; }
    refused "$name: an expired code fails" 1 "expired" c6 join "$old" --peer "$addr" "${NID[a6]}" --timeout 10
    local other
    other=$(bu y6 invite 2>/dev/null) || { fail "$name: invite of another mesh"; return; }
    refused "$name: a code of another mesh fails" 1 "another mesh" c6 join "$other" --peer "$addr" "${NID[a6]}" --timeout 10
    refused "$name: a malformed code fails" 2 "not an invite code" x6 join "ABCDE-FGHJK" --timeout 1
    WHY="C is in a mesh after failed joins: $(words "$(cat "$T/c6/config")")"
    check "$name: failed joins leave the node outside any mesh" eval '! grep -q "^mesh=" "$T/c6/config"'
    refused "$name: only admins invite" 1 "only an admin" b6 invite
}

t1
t2
t3
t4
t5
t6

echo "(trust tests took $(($(now_ms) - T0)) ms)"
daemons_finish
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
