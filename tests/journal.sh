#!/usr/bin/env bash
# tests/journal.sh -- buurtd's log lines under systemd's journal: with
# --journal, or when JOURNAL_STREAM names the file stderr is, each line
# starts with its syslog priority ("<6>" info, "<4>" warning, "<3>" error,
# the sd-daemon(3) convention); otherwise, and when JOURNAL_STREAM names
# some other file (a stream inherited by a process whose stderr was
# redirected), the lines are exactly as before: "buurtd HH:MM:SS text".
#
# Drives the real daemon (env BUURTD, default build/buurtd) on a throw-away
# home with --listen none --no-beacon; each run is stopped by its pid.
# Run from the repository root: bash tests/journal.sh
# Prints ok/FAIL lines and ends with "N passed, M failed"; exits 1 on failure.
set -u

BUURT=${BUURT:-build/buurt}
BUURTD=${BUURTD:-build/buurtd}
case $BUURT in /*) ;; *) BUURT=$PWD/$BUURT ;; esac
case $BUURTD in /*) ;; *) BUURTD=$PWD/$BUURTD ;; esac
for b in "$BUURT" "$BUURTD"; do
    [ -x "$b" ] || { echo "journal.sh: $b is not an executable; run make all first" >&2; exit 1; }
done

T=$(mktemp -d) || exit 1
DPID=
cleanup() {
    [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export HOME=$T/home
mkdir -p "$HOME"
unset BUURT_HOME XDG_DATA_HOME BUURT_NOW_MS JOURNAL_STREAM
export LC_ALL=C

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ $# -gt 1 ] && printf '       %s\n' "${@:2}"; }

# run LOG JS ARGS...: starts buurtd with stderr appended to LOG and
# JOURNAL_STREAM=JS (unset when JS is empty), waits until it has logged
# that it started, stops it with SIGTERM and waits for it.
run() {
    local log=$1 js=$2 i
    shift 2
    if [ -n "$js" ]; then
        JOURNAL_STREAM=$js "$BUURTD" --home "$T/a" --listen none --no-beacon "$@" 2>>"$log" &
    else
        "$BUURTD" --home "$T/a" --listen none --no-beacon "$@" 2>>"$log" &
    fi
    DPID=$!
    for i in $(seq 200); do
        grep -q ' started: ' "$log" 2>/dev/null && break
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.05
    done
    kill -TERM "$DPID" 2>/dev/null
    for i in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$DPID" 2>/dev/null
    wait "$DPID" 2>/dev/null
    DPID=
}
# devino FILE: "DEVICE:INODE" as systemd writes JOURNAL_STREAM
devino() { stat -c '%d:%i' "$1"; }

"$BUURT" --home "$T/a" init --name "Journal" >/dev/null || { echo "journal.sh: init failed" >&2; exit 1; }

# 1. no JOURNAL_STREAM: lines unchanged
: >"$T/plain.log"
run "$T/plain.log" ""
if grep -qE '^buurtd [0-9]{2}:[0-9]{2}:[0-9]{2} node [0-9a-f]{64} \(Journal\) started: ' "$T/plain.log" &&
    grep -q '^buurtd .* stopping: ' "$T/plain.log" && ! grep -q '^<' "$T/plain.log"; then
    ok "without JOURNAL_STREAM lines read 'buurtd HH:MM:SS text'"
else
    bad "without JOURNAL_STREAM lines read 'buurtd HH:MM:SS text'" "$(cat "$T/plain.log")"
fi

# 2. JOURNAL_STREAM naming stderr's file: every line has a priority
: >"$T/journal.log"
run "$T/journal.log" "$(devino "$T/journal.log")"
if grep -qE '^<6>buurtd [0-9:]{8} node .* started: ' "$T/journal.log" &&
    grep -q '^<6>buurtd .* stopping: ' "$T/journal.log" && ! grep -qv '^<[0-7]>buurtd ' "$T/journal.log"; then
    ok "with stderr the journal (JOURNAL_STREAM) every line starts with its priority"
else
    bad "with stderr the journal (JOURNAL_STREAM) every line starts with its priority" "$(cat "$T/journal.log")"
fi

# 3. JOURNAL_STREAM inherited, stderr redirected elsewhere: unchanged
: >"$T/other.log"
: >"$T/elsewhere"
run "$T/other.log" "$(devino "$T/elsewhere")"
if grep -q '^buurtd .* started: ' "$T/other.log" && ! grep -q '^<' "$T/other.log"; then
    ok "a JOURNAL_STREAM that names another file adds no priorities"
else
    bad "a JOURNAL_STREAM that names another file adds no priorities" "$(cat "$T/other.log")"
fi
: >"$T/junk.log"
run "$T/junk.log" "not-a-stream"
if grep -q '^buurtd .* started: ' "$T/junk.log" && ! grep -q '^<' "$T/junk.log"; then
    ok "a malformed JOURNAL_STREAM adds no priorities"
else
    bad "a malformed JOURNAL_STREAM adds no priorities" "$(cat "$T/junk.log")"
fi

# 4. --journal: a warning is <4> (a torn tail cut at start)
printf 'torn' >>"$T/a/store/edits.log"
: >"$T/warn.log"
run "$T/warn.log" "" --journal
if grep -q '^<4>buurtd .* store: cut 4 bytes of an unfinished write' "$T/warn.log" &&
    grep -q '^<6>buurtd .* started: ' "$T/warn.log"; then
    ok "--journal: a store repair at start is a warning (<4>), the start info (<6>)"
else
    bad "--journal: a store repair at start is a warning (<4>), the start info (<6>)" "$(cat "$T/warn.log")"
fi

# 5. --journal: a start-up failure is an error (<3>), exit 1
"$BUURTD" --journal --home "$T/none" --listen none --no-beacon 2>"$T/fail.log"
rc=$?
if [ "$rc" = 1 ] && grep -q '^<3>buurtd: no node at ' "$T/fail.log" && [ "$(wc -l <"$T/fail.log")" = 1 ]; then
    ok "--journal: a start-up failure is one error line (<3>), exit 1"
else
    bad "--journal: a start-up failure is one error line (<3>), exit 1" "exit $rc: $(cat "$T/fail.log")"
fi
"$BUURTD" --home "$T/none" --listen none --no-beacon 2>"$T/fail2.log"
if grep -q '^buurtd: no node at ' "$T/fail2.log"; then
    ok "without --journal a start-up failure reads 'buurtd: reason'"
else
    bad "without --journal a start-up failure reads 'buurtd: reason'" "$(cat "$T/fail2.log")"
fi

# --help names the option
if "$BUURTD" --help | grep -q -- '--journal'; then
    ok "buurtd --help lists --journal"
else
    bad "buurtd --help lists --journal"
fi

# sanitizer builds (make check-asan): no report in any log
if cat "$T"/*.log | grep -qE 'Sanitizer|runtime error:'; then
    bad "no sanitizer report" "$(cat "$T"/*.log | grep -E -m 3 -A 5 'Sanitizer|runtime error:')"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
