#!/usr/bin/env bash
# tests/reads.sh -- end-to-end tests of how buurtd answers read commands
# (node/control.c): in the reader, a long-lived child process that keeps
# what it merged, retired when the store changes, with a child of their
# own for reads that arrive while it is busy. Real buurtd and buurt on
# loopback (127.0.0.1 only, no beacons).
#
#   1. the reader: after a read, buurtd has one child left (the reader),
#      and the next read is answered by that same process; a read right
#      after a write sees the write (the stale reader is replaced); a
#      reader killed from outside is reaped at once (no zombie), replaced,
#      and buurtd keeps answering.
#   2. a busy reader holds up nobody: with the reader stopped (SIGSTOP),
#      of two reads sent at once one reaches it and waits, and the other
#      is answered anyway (by a child of its own); once the reader
#      continues, the first is answered too.
#   3. a command that asks buurtd itself (peers, doctor), sent to buurtd
#      as a command (tests/tools/ctlexec.c), is refused at once (exit 2)
#      instead of waiting for the daemon that runs it.
#   4. streamed listings and saved facts (issue 13.4): on a generated home
#      (tools/gen), listings through buurtd (tables and --json, each
#      larger than one 64 KiB OUT chunk) are byte-identical to the CLI's
#      own without a daemon: right after start (before the facts table is
#      built), after a restart that loads facts.cache (saved once the
#      daemon was idle), after the store
#      changed while buurtd was stopped (the saved facts are stale), and
#      with facts.cache damaged.
#
# Every daemon is stopped by its pid on exit, also on failure (a stopped
# reader is killed by its buurtd).
# Env: BUURT, BUURTD. Run from the repository root: bash tests/reads.sh
# Prints ok/FAIL lines and ends with "N passed, M failed"; exits 1 on failure.
# shellcheck disable=SC2015,SC2034
set -u

# shellcheck source=lib/daemons.bash source-path=SCRIPTDIR
. "$(dirname "$0")/lib/daemons.bash" || exit 1
daemons_init

T0=$(now_ms)
OTHER=() # pids of background CLI commands, killed on exit
trap 'for p in "${OTHER[@]}"; do kill "$p" 2>/dev/null; done; cleanup' EXIT

# children PID: the pids of PID's child processes, one per line.
children() {
    python3 - "$1" <<'EOF'
import os, sys
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open(f"/proc/{d}/stat") as f:
            stat = f.read()
    except OSError:
        continue
    # the command name is in parentheses and may hold spaces
    if stat[stat.rindex(")") + 2:].split()[1] == sys.argv[1]:
        print(d)
EOF
}

# reader NODE: the pid of NODE's buurtd's one child (empty unless exactly one).
reader() {
    local c
    c=$(children "${PID[$1]}")
    [ "$(printf '%s\n' "$c" | grep -c .)" = 1 ] && printf '%s' "$c"
}

one_child() { [ -n "$(reader "$1")" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# ---------------------------------------------------------------- 1. the reader
t1() {
    local name="1. the reader"
    mknode a1 "Buurthuis" || { fail "$name: setup"; return; }
    start a1 || { fail "$name: start"; return; }
    local p1 p2 r1 r2 r3
    p1=$(add_place a1 "Plek een") || { fail "$name: place add"; return; }
    check "$name: a read through buurtd answers" has_record a1 "$p1"
    WHY="buurtd's children after a read: $(children "${PID[a1]}" | tr '\n' ' ')"
    check "$name: after a read buurtd has one child, the reader" wait_until "$WAIT" one_child a1
    r1=$(reader a1)
    has_record a1 "$p1" && r2=$(reader a1)
    WHY="the first read's child was $r1, the second's $r2"
    check "$name: the next read is answered by the same reader" eval '[ -n "$r1" ] && [ "$r1" = "${r2:-}" ]'

    p2=$(add_place a1 "Plek twee") || { fail "$name: second place add"; return; }
    WHY="show $p2 right after adding it failed (a stale reader answered?)"
    check "$name: a read right after a write sees it" has_record a1 "$p2"
    wait_until "$WAIT" one_child a1
    r3=$(reader a1)
    WHY="reader before the write $r1, after it ${r3:-none}"
    check "$name: the write retired the old reader" eval '[ -n "$r3" ] && [ "$r3" != "$r1" ]'

    kill -KILL "$r3" 2>/dev/null
    WHY="pid $r3 still there ($(cat "/proc/$r3/stat" 2>/dev/null | cut -d' ' -f3) state)"
    check "$name: a killed reader is reaped at once (no zombie)" wait_until "$WAIT" gone "$r3"
    check "$name: with its reader killed, buurtd still answers reads" has_record a1 "$p2"
    WHY="buurtd $( kill -0 "${PID[a1]}" 2>/dev/null && echo runs || echo exited)"
    check "$name: buurtd lives on" kill -0 "${PID[a1]}"
}

# ---------------------------------------------------------------- 2. a busy reader
t2() {
    local name="2. a busy reader holds up nobody"
    mknode a2 "Buurthuis" || { fail "$name: setup"; return; }
    start a2 || { fail "$name: start"; return; }
    local p r x y done_first=
    p=$(add_place a2 "Plek") || { fail "$name: place add"; return; }
    has_record a2 "$p" && wait_until "$WAIT" one_child a2 || { fail "$name: no reader"; return; }
    r=$(reader a2)
    kill -STOP "$r"
    bu a2 show "$p" >"$T/x.out" 2>&1 &
    x=$!
    bu a2 show "$p" >"$T/y.out" 2>&1 &
    y=$!
    OTHER+=("$x" "$y")
    # one of the two went to the stopped reader; the other must end
    first_done() {
        if gone "$x"; then done_first=x; return 0; fi
        if gone "$y"; then done_first=y; return 0; fi
        return 1
    }
    WHY="neither read was answered in $WAIT s while the reader was stopped"
    check "$name: a read is answered while the reader is stopped" wait_until "$WAIT" first_done
    if [ -n "$done_first" ]; then
        local w
        [ "$done_first" = x ] && w=$x || w=$y
        wait "$w"
        WHY="exit $?: $(cat "$T/$done_first.out")"
        check "$name: ... with the record" grep -q "Plek" "$T/$done_first.out"
        [ "$done_first" = x ] && w=$y || w=$x
        WHY="both reads ended while the reader was stopped (did one go to the reader at all?)"
        check "$name: the other read waits for the stopped reader" kill -0 "$w"
    fi
    kill -CONT "$r"
    both_done() { gone "$x" && gone "$y"; }
    check "$name: once the reader continues, both reads are answered" wait_until "$WAIT" both_done
    wait "$x"; local cx=$?
    wait "$y"; local cy=$?
    WHY="exit codes $cx and $cy"
    check "$name: both exit 0" eval '[ "$cx" = 0 ] && [ "$cy" = 0 ]'
}

# ---------------------------------------------------------------- 3. a command buurtd must not run
# peers, sync and doctor ask buurtd themselves; sent to buurtd as a command
# (the CLI never does, a buggy client might) peers used to wait for the
# daemon that was running it. buurtd refuses such commands at once.
t3() {
    local name="3. a command that asks buurtd is not run by buurtd"
    mknode a3 "Buurthuis" || { fail "$name: setup"; return; }
    start a3 || { fail "$name: start"; return; }
    local rc=0
    "$TOOLS/ctlexec" "$T/a3" peers >"$T/ctl.out" 2>"$T/ctl.err" || rc=$?
    WHY="ctlexec exited $rc: $(cat "$T/ctl.err")"
    check "$name: buurtd refuses 'peers' sent as a command (exit 2)" [ "$rc" = 2 ]
    check "$name: ... and says why" grep -q "'peers' is not run by buurtd" "$T/ctl.err"
    rc=0
    "$TOOLS/ctlexec" "$T/a3" doctor >/dev/null 2>"$T/ctl.err" || rc=$?
    WHY="ctlexec doctor exited $rc: $(cat "$T/ctl.err")"
    check "$name: and 'doctor'" [ "$rc" = 2 ]
    WHY="buurt peers after that: $(bu a3 peers 2>&1)"
    check "$name: buurtd answers peers from the CLI afterwards" eval 'bu a3 peers >/dev/null'
}

# ---------------------------------------------------------------- 4. streamed listings
# same4 TAG: every listing of L4 through A4's buurtd is byte-identical to
# the one made without a daemon (files $T/l4.<i>.direct).
L4=("list needs --all" "list needs --all --json" "list places" "list offers --json"
    "list needs --status open --area Feijenoord" "list places --lang ar --json")
direct4() {
    local i=0 a
    for a in "${L4[@]}"; do
        # shellcheck disable=SC2086 # the words of a listing
        bu a4 $a >"$T/l4.$i.direct" 2>&1 || return 1
        i=$((i + 1))
    done
}
same4() {
    local tag=$1 i=0 a
    for a in "${L4[@]}"; do
        # shellcheck disable=SC2086
        bu a4 $a >"$T/l4.$i.$tag" 2>&1
        WHY="$(cmp "$T/l4.$i.direct" "$T/l4.$i.$tag" 2>&1 | head -c 200)"
        check "4. $tag: '$a' through buurtd is the CLI's own" cmp -s "$T/l4.$i.direct" "$T/l4.$i.$tag"
        i=$((i + 1))
    done
}
t4() {
    local name="4. streamed listings"
    export BUURT_NOW_MS=1900000000000 BUURT_COLUMNS=0
    mknode a4 "Buurthuis" || { fail "$name: setup"; return; }
    bu a4 mesh create "Zuid" >/dev/null 2>&1 && "$TOOLS/gen" "$T/a4" 1500 7 >/dev/null ||
        { fail "$name: gen"; return; }
    direct4 || { fail "$name: listings without a daemon"; return; }
    local big
    big=$(wc -c <"$T/l4.0.direct")
    WHY="list needs --all is only $big bytes"
    check "$name: the listing is larger than one chunk" [ "$big" -gt 65536 ]
    WHY="$(head -c 200 "$T/l4.1.direct")"
    check "$name: --json is one JSON document" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/l4.1.direct"
    start a4 || { fail "$name: start"; return; }
    same4 "right after start"
    WHY="no facts.cache while buurtd was idle"
    check "$name: an idle buurtd builds and saves its facts" wait_until "$WAIT" test -s "$T/a4/facts.cache"
    stop a4
    start a4 || { fail "$name: restart"; return; }
    same4 "facts loaded"
    stop a4
    bu a4 place add --name "Nieuwe plek" --kind library --area Feijenoord >/dev/null ||
        { fail "$name: place add"; return; }
    direct4 || { fail "$name: listings without a daemon (2)"; return; }
    start a4 || { fail "$name: start (3)"; return; }
    same4 "store changed while stopped"
    stop a4
    printf 'garbage' | dd of="$T/a4/facts.cache" bs=1 seek=100 conv=notrunc 2>/dev/null
    start a4 || { fail "$name: start (4)"; return; }
    same4 "facts.cache damaged"
    stop a4
    unset BUURT_NOW_MS BUURT_COLUMNS
}

t1
t2
t3
t4
daemons_finish
echo "($(($(now_ms) - T0)) ms)"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
