#!/usr/bin/env bash
# tests/outage.sh -- end-to-end tests of what an outage looks like for one
# node: machines restarted in a hurry, daemons that die, full disks. Real
# buurtd and buurt on loopback (127.0.0.1 only, no beacons).
#
#   1. start-up race: writes issued right after starting buurtd (without
#      waiting for it) all succeed and are all stored; buurtd started while
#      another process holds the store waits for it instead of exiting, and
#      a command issued meanwhile waits too.
#   2. a daemon that dies: a command forwarded to a buurtd that is killed
#      before it answers fails at once with a clear message (not after the
#      60 s timeout); a buurtd.pid left by a killed daemon (its pid alive
#      but not a buurtd) does not make the CLI hang: it opens the store.
#   3. a full disk (needs root for a small tmpfs; SKIPPED otherwise):
#      buurtd refuses to start with a clear message and leaves no empty
#      buurtd.pid; `peer add` says "No space left on device" and leaves no
#      peers.tmp; nothing already stored is lost.
#   4. repair is visible: buurtd logs the damaged region of its log that it
#      skipped at start and shows it in `peers`; after a sync with a peer
#      brings the lost edit back it cuts the damage from disk, so the next
#      start (and the CLI) find a clean log.
#
# Every daemon is stopped by its pid on exit, also on failure.
# Env: BUURT, BUURTD. Run from the repository root: bash tests/outage.sh
# Prints ok/FAIL lines and ends with "N passed, M failed"; exits 1 on failure.
# shellcheck disable=SC2015,SC2016,SC2034
set -u

# shellcheck source=lib/daemons.bash source-path=SCRIPTDIR
. "$(dirname "$0")/lib/daemons.bash" || exit 1
daemons_init

T0=$(now_ms)
OTHER=() # pids of helper processes (flock, sleep), killed on exit
trap 'for p in "${OTHER[@]}"; do kill "$p" 2>/dev/null; done; cleanup' EXIT

# bg_start NODE: starts NODE's buurtd without waiting for it to be ready.
bg_start() {
    local n=$1
    RUNS[$n]=$((RUNS[$n] + 1))
    LOG[$n]=$T/$n.log.${RUNS[$n]}
    "$BUURTD" --home "$T/$n" --listen "tcp://127.0.0.1:${PORT[$n]}" --no-beacon \
        2>"${LOG[$n]}" &
    PID[$n]=$!
}

count_places() { bu "$1" list places --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }

# ---------------------------------------------------------------- 1. start-up race
t1() {
    local name="1. start-up race"
    mknode a1 "Buurthuis" || { fail "$name: setup"; return; }
    local i bad=0 errs=""
    for i in 1 2 3 4 5 6 7 8; do
        bg_start a1
        if ! bu a1 place add --name "Plek $i" --kind other >/dev/null 2>"$T/race.err"; then
            bad=$((bad + 1))
            errs="$errs $(cat "$T/race.err")"
        fi
        kill -0 "${PID[a1]}" 2>/dev/null || { bad=$((bad + 1)); errs="$errs buurtd exited: $(tail -n 2 "${LOG[a1]}")"; }
        wait_until "$WAIT" s_started a1 >/dev/null
        stop a1
    done
    WHY="$bad of 8 writes right after starting buurtd failed:$errs"
    check "$name: writes right after starting buurtd succeed" [ "$bad" = 0 ]
    WHY="$(count_places a1) places stored, want 8"
    check "$name: every one is stored" [ "$(count_places a1)" = 8 ]

    # another process holds the store for a moment while buurtd starts
    flock "$T/a1/store/lock" -c "sleep 2" &
    OTHER+=($!)
    local holder=$!
    wait_until 5 test -n "$(flock -n "$T/a1/store/lock" -c true 2>/dev/null || echo held)"
    bg_start a1
    WHY="place add while the store was held and buurtd starting: $(cat "$T/race.err" 2>/dev/null)"
    check "$name: a command waits for the store and buurtd" eval 'bu a1 place add --name "Geduld" --kind other >/dev/null 2>"$T/race.err"'
    WHY="buurtd exited while another process held the store: $(tail -n 3 "${LOG[a1]}")"
    check "$name: buurtd waits for the store instead of exiting" wait_until "$WAIT" s_started a1
    wait "$holder" 2>/dev/null
    WHY="$(count_places a1) places, want 9"
    check "$name: the waiting command's place is stored" [ "$(count_places a1)" = 9 ]
    stop a1
}

# ---------------------------------------------------------------- 2. a daemon that dies
t2() {
    local name="2. a daemon that dies"
    mknode a2 "Bibliotheek" && start a2 || { fail "$name: setup"; return; }
    add_place a2 "Voor" >/dev/null || { fail "$name: first place"; return; }
    # frozen, then killed while a command waits for its answer
    kill -STOP "${PID[a2]}"
    local t0 out rc cli
    t0=$(now_ms)
    "$BUURT" --home "$T/a2" list places >"$T/dies.out" 2>&1 &
    cli=$!
    OTHER+=($cli)
    # the command is under way: it connected to the frozen daemon
    s_connected_cli() { [ -n "$(ss -xp 2>/dev/null | grep -F "$T/a2/control.sock" | grep -v buurtd)" ] || \
        [ "$(ls -l "/proc/$cli/fd" 2>/dev/null | grep -c socket)" -ge 2 ]; }
    wait_until 5 s_connected_cli
    kill -KILL "${PID[a2]}"
    wait "${PID[a2]}" 2>/dev/null
    unset "PID[a2]"
    wait "$cli"
    rc=$?
    local took=$(($(now_ms) - t0))
    out=$(cat "$T/dies.out")
    WHY="the command took $took ms (exit $rc: $out)"
    check "$name: a command to a daemon that dies ends at once" [ "$took" -lt 10000 ]
    case $rc in
    0) pass "$name: ... (it ran on the store itself: the daemon died before it was sent)" ;;
    1) WHY="message: $out"
       check "$name: ... and says buurtd stopped before it answered" grep -q "stopped before it answered" <<<"$out" ;;
    *) fail "$name: exit code $rc, want 0 or 1" "$out" ;;
    esac
    # the pid file of the killed daemon stays; its pid is now another
    # process (as after a reboot): the CLI must not wait for it
    sleep 30 &
    OTHER+=($!)
    echo "$!" >"$T/a2/buurtd.pid"
    t0=$(now_ms)
    WHY="list places with a stale buurtd.pid failed: $(bu a2 list places 2>&1 | tail -n 2)"
    check "$name: a stale buurtd.pid (pid reused) is ignored" eval 'bu a2 list places >/dev/null 2>&1'
    took=$(($(now_ms) - t0))
    WHY="it took $took ms"
    check "$name: ... at once" [ "$took" -lt 5000 ]
    WHY="peers with no daemon: $(bu a2 peers 2>&1)"
    check "$name: peers says buurtd is not running" eval 'bu a2 peers 2>&1 | grep -q "not running"'
}

# ---------------------------------------------------------------- 3. a full disk
t3() {
    local name="3. a full disk"
    if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
        echo "SKIPPED $name: needs root and unshare to mount a small tmpfs"
        return
    fi
    mknode a3 "Moskee" || { fail "$name: setup"; return; }
    add_place a3 "Al opgeslagen" >/dev/null || { fail "$name: first place"; return; }
    local port=${PORT[a3]} src=$T/a3 out
    # a private mount namespace: a 1 MiB tmpfs, the home copied in, then
    # the disk filled up
    out=$(unshare -m bash -c '
        set -u
        d=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" || exit 90
        cp -a "$1" "$d/h" || exit 91
        dd if=/dev/zero of="$d/fill" bs=4k 2>/dev/null
        echo "--- buurtd"
        timeout 20 "$2" --home "$d/h" --listen "tcp://127.0.0.1:$4" --no-beacon 2>&1; echo "rc=$?"
        echo "--- pid file: $(test -e "$d/h/buurtd.pid" && echo present || echo absent)"
        echo "--- peer add"
        "$3" --home "$d/h" peer add tcp://192.0.2.1:4836 "$5" 2>&1; echo "rc=$?"
        echo "--- peers.tmp: $(test -e "$d/h/peers.tmp" && echo present || echo absent)"
        echo "--- list"
        "$3" --home "$d/h" list places 2>&1
        umount "$d"
    ' bash "$src" "$BUURTD" "$BUURT" "$port" "${NID[a3]}" 2>&1)
    case $out in *"--- buurtd"*) ;; *)
        echo "SKIPPED $name: cannot mount a tmpfs here: $out"
        return ;;
    esac
    WHY="$out"
    check "$name: buurtd refuses to start" grep -q "^rc=1" <<<"$(sed -n '/--- buurtd/,/--- pid/p' <<<"$out")"
    check "$name: ... saying the disk is full" grep -q "No space left on device" <<<"$(sed -n '/--- buurtd/,/--- pid/p' <<<"$out")"
    check "$name: ... and leaves no buurtd.pid" grep -q "pid file: absent" <<<"$out"
    check "$name: peer add says why" grep -q "peers: No space left on device" <<<"$out"
    check "$name: ... fails with exit 1" grep -q "^rc=1" <<<"$(sed -n '/--- peer add/,/--- peers.tmp/p' <<<"$out")"
    check "$name: ... and leaves no peers.tmp" grep -q "peers.tmp: absent" <<<"$out"
    check "$name: what was stored is still there" grep -q "Al opgeslagen" <<<"$out"
}

# ---------------------------------------------------------------- 4. repair is visible
t4() {
    local name="4. repair is visible"
    mknode a4 Kroon && mknode b4 Bieb && mkmesh a4 b4 || { fail "$name: setup"; return; }
    local i
    for i in 1 2 3 4 5 6; do add_place b4 "Plek $i" >/dev/null || { fail "$name: places"; return; }; done
    start a4 && start b4 && link b4 a4 && wait_connected b4 a4 && sync_wait b4 ||
        { fail "$name: first sync"; return; }
    local n0
    n0=$(edit_count a4)
    stop b4
    # a byte in the middle of B's log goes bad (an SD card)
    python3 - "$T/b4/store/edits.log" <<'PY' || { fail "$name: damage the log"; return; }
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x40
open(p, "wb").write(b)
PY
    start b4 || { fail "$name: restart B"; return; }
    WHY="B's log: $(log_tail b4)"
    check "$name: buurtd logs the damaged region it skipped" grep -q "store: 1 damaged region" "${LOG[b4]}"
    wait_connected b4 a4 && sync_wait b4 || { fail "$name: sync after the damage"; return; }
    WHY="B's log: $(log_tail b4)"
    check "$name: after syncing with A the damage is removed" wait_until "$WAIT" grep -q "store: repaired" "${LOG[b4]}"
    WHY="peers on B: $(bu b4 peers 2>&1 | tail -n 2)"
    check "$name: peers no longer reports damage" eval '! bu b4 peers | grep -q "damaged region"'
    WHY="B has $(edit_count b4) edits, A $n0"
    check "$name: B holds every edit again" [ "$(edit_count b4)" = "$n0" ]
    stop b4 && start b4 || { fail "$name: restart B again"; return; }
    WHY="B's log after restart: $(log_tail b4)"
    check "$name: the next start is clean" eval '! grep -q "damaged region" "${LOG[b4]}"'
    WHY="the CLI still sees damage"
    stop b4
    check "$name: ... for the CLI too" eval '! bu b4 list places 2>&1 | grep -q "damaged"'
}

t1
t2
t3
t4

echo "(outage tests took $(($(now_ms) - T0)) ms)"
daemons_finish
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
