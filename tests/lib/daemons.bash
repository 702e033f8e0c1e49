# shellcheck shell=bash
# tests/lib/daemons.bash -- the harness shared by the end-to-end scripts that
# run real buurtd daemons on loopback (tests/mesh.sh, tests/trust.sh): node
# homes in one temporary directory, daemons started and stopped by pid,
# polling waits with deadlines, ok/FAIL bookkeeping, and readers of the
# CLI's --json output.
#
# It is sourced, never run (`make test` runs tests/*.sh only; run on its own
# this file says so and exits 2). Use, at the top level of a script that is
# run from the repository root:
#
#     set -u
#     . "$(dirname "$0")/lib/daemons.bash" || exit 1
#     daemons_init
#     ... tests built from the helpers below ...
#     echo "$PASS passed, $FAIL failed"
#     [ "$FAIL" -eq 0 ]
#
# daemons_init exits the script when a binary is missing (exit 1, after
# "0 passed, 1 failed") or python3 is (exit 0, after "... 1 skipped").
# From then on every daemon started with `start` is stopped by its pid when
# the script exits, also on failure, INT or TERM (SIGTERM, then SIGKILL after
# 5 s), and T is removed unless KEEP=1 (or KEEP_ON_FAIL=1 and a check failed).
#
# Environment read: BUURT, BUURTD (default build/buurt, build/buurtd),
# TOOLS (default build/tools, the test tools of make tools), KEEP,
# KEEP_ON_FAIL.
# Variables the helpers use (set here or by daemons_init; scripts may read):
#   SELF          the script's file name, for messages ("mesh.sh: ...")
#   BUURT BUURTD  absolute paths of the CLI and the daemon
#   T             the mktemp -d directory; node N's home is $T/N and the log
#                 of its k-th daemon run $T/N.log.k
#   HOME          $T/home, exported; BUURT_HOME, XDG_DATA_HOME and
#                 BUURT_NOW_MS are unset, LC_ALL=C
#   WAIT          seconds any single wait may take (20)
#   CLI_TIMEOUT   seconds any single CLI command may take (30); TIMEOUT is
#                 the `timeout` prefix for it (empty without timeout(1))
#   PASS FAIL     counts kept by pass, fail and check
#   WHY           why the next check fails, when it does (check resets it)
#   PID PORT NID LOG RUNS
#                 per node: pid of its running buurtd, its port, its node id,
#                 its current (or last) daemon log, its number of runs
#   MESH          the mesh code, set by mkmesh
#   KINDS         the five record kinds, for snapshot
# shellcheck disable=SC2034 # variables read by the scripts that source this

if ! (return 0 2>/dev/null); then
    echo "tests/lib/daemons.bash is a library: source it from a test script (see its header)" >&2
    exit 2
fi

SELF=$(basename "$0")
PASS=0
FAIL=0
WHY=
MESH=
KINDS="places needs offers coalitions bulletins"
declare -gA PID=()  # node name -> pid of its running buurtd
# per node, other programs than $BUURT and $BUURTD (tests/cross/sync.sh
# runs one node on the arm64 programs)
declare -gA CLI_OF=() D_OF=()
declare -gA PORT=() # node name -> port it listens on
declare -gA NID=()  # node name -> node id
declare -gA LOG=()  # node name -> log of its current (or last) buurtd run
declare -gA RUNS=() # node name -> number of buurtd runs so far

# daemons_init: resolves BUURT and BUURTD, checks them and python3, makes T
# and the environment, and installs the exit trap (see the header).
daemons_init() {
    local b
    BUURT=${BUURT:-build/buurt}
    BUURTD=${BUURTD:-build/buurtd}
    TOOLS=${TOOLS:-build/tools}
    case $BUURT in /*) ;; *) BUURT=$PWD/$BUURT ;; esac
    case $BUURTD in /*) ;; *) BUURTD=$PWD/$BUURTD ;; esac
    case $TOOLS in /*) ;; *) TOOLS=$PWD/$TOOLS ;; esac
    for b in "$BUURT" "$BUURTD"; do
        if [ ! -x "$b" ]; then
            echo "$SELF: $b is not an executable; run make all first" >&2
            echo "0 passed, 1 failed"
            exit 1
        fi
    done
    if ! command -v python3 >/dev/null 2>&1; then
        echo "SKIPPED ${SELF%.sh} tests: no python3 (needed to read --json output)"
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
    fi

    T=$(mktemp -d) || exit 1
    export HOME=$T/home
    mkdir -p "$HOME"
    unset BUURT_HOME XDG_DATA_HOME BUURT_NOW_MS
    export LC_ALL=C

    WAIT=20
    CLI_TIMEOUT=30
    TIMEOUT=
    command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout $CLI_TIMEOUT"

    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

# cleanup: the EXIT trap. Stops every running daemon by its pid, then
# removes T unless KEEP=1 (or KEEP_ON_FAIL=1 and a check failed).
cleanup() {
    local n
    for n in "${!PID[@]}"; do
        kill -TERM "${PID[$n]}" 2>/dev/null
    done
    for n in "${!PID[@]}"; do
        s_reap "${PID[$n]}" 5
    done
    if [ "${KEEP:-0}" = 1 ] || { [ "$FAIL" -gt 0 ] && [ "${KEEP_ON_FAIL:-0}" = 1 ]; }; then
        echo "$SELF: kept $T" >&2
    else
        rm -rf "$T"
    fi
}

now_ms() { date +%s%3N; }

# daemons_finish: stops every daemon still running, then fails the script
# if any daemon log holds a sanitizer report (make check-asan runs the
# scripts against ASan/UBSan builds, whose daemons report leaks on exit).
# Call it last, just before printing the summary.
daemons_finish() {
    local n f
    for n in "${!PID[@]}"; do stop "$n" >/dev/null 2>&1; done
    for f in "$T"/*.log.*; do
        [ -f "$f" ] || continue
        if grep -qE 'Sanitizer|runtime error:' "$f"; then
            fail "no sanitizer report in $(basename "$f")" "$(grep -E -m 3 -A 8 'Sanitizer|runtime error:' "$f")"
        fi
    done
}

pass() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"; }
fail() {
    FAIL=$((FAIL + 1))
    printf 'FAIL %s\n' "$1"
    shift
    local l
    for l in "$@"; do printf '       %s\n' "$l"; done
}

# check NAME CMD...: passes when CMD exits 0.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "${WHY:-command failed: $*}"; fi
    WHY=
}

# bu NODE ARGS...: runs buurt for NODE's home (stdout only).
bu() {
    local n=$1
    shift
    $TIMEOUT "${CLI_OF[$n]:-$BUURT}" --home "$T/$n" "$@"
}

# wait_until_ms MS CMD...: polls CMD every 0.1 s until it exits 0;
# returns 1 when the deadline (MS milliseconds from now) passes first.
wait_until_ms() {
    local deadline=$(($(now_ms) + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

# wait_until SECONDS CMD...: wait_until_ms with a deadline in seconds.
wait_until() {
    local s=$1
    shift
    wait_until_ms $((s * 1000)) "$@"
}

# s_reap PID SECONDS: waits for our child PID to exit; SIGKILL after SECONDS.
s_reap() {
    local pid=$1
    local deadline=$(($(now_ms) + $2 * 1000))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$(now_ms)" -ge "$deadline" ]; then
            echo "$SELF: pid $pid ignored SIGTERM for $2 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null
            break
        fi
        sleep 0.05
    done
    wait "$pid" 2>/dev/null
}

# free_port: prints a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# log_tail NODE: the last lines of NODE's current daemon log, indented.
log_tail() {
    [ -n "${LOG[$1]:-}" ] && [ -f "${LOG[$1]}" ] || return 0
    echo "--- tail of $1's log (${LOG[$1]}):"
    tail -n 15 "${LOG[$1]}" | sed 's/^/         /'
}

# mknode NODE NAME: initialises a home; sets NID[NODE] and PORT[NODE].
mknode() {
    local id
    if ! id=$(bu "$1" init --name "$2" 2>"$T/$1.init.err") || [ -z "$id" ]; then
        echo "$SELF: cannot init $1: $(cat "$T/$1.init.err")" >&2
        return 1
    fi
    NID[$1]=$id
    PORT[$1]=$(free_port)
    RUNS[$1]=0
}

# mkmesh FOUNDER NODE...: FOUNDER creates a mesh, admits every NODE (role
# member), and every NODE joins it. Sets MESH. Nodes must exist (mknode).
mkmesh() {
    local founder=$1 n
    shift
    MESH=$(bu "$founder" mesh create "Rotterdam-Zuid" 2>/dev/null) || return 1
    for n in "$@"; do
        bu "$founder" member add "${NID[$n]}" --name "$n" >/dev/null || return 1
        bu "$n" mesh join "$MESH" >/dev/null || return 1
    done
}

# s_started NODE: NODE's daemon is up (pid file, control socket, log line).
s_started() {
    kill -0 "${PID[$1]}" 2>/dev/null || return 2
    [ -S "$T/$1/control.sock" ] && [ -f "$T/$1/buurtd.pid" ] &&
        grep -q 'started' "${LOG[$1]}" 2>/dev/null
}

# start NODE: starts NODE's buurtd on its port and waits until it is ready.
start() {
    local n=$1
    RUNS[$n]=$((RUNS[$n] + 1))
    LOG[$n]=$T/$n.log.${RUNS[$n]}
    "${D_OF[$n]:-$BUURTD}" --home "$T/$n" --listen "tcp://127.0.0.1:${PORT[$n]}" --no-beacon \
        2>"${LOG[$n]}" &
    PID[$n]=$!
    if ! wait_until "$WAIT" s_started "$n"; then
        echo "$SELF: buurtd for $n did not become ready in $WAIT s" >&2
        log_tail "$n" >&2
        return 1
    fi
}

# stop NODE: SIGTERM to NODE's buurtd and wait until it has exited.
stop() {
    local n=$1
    [ -n "${PID[$n]:-}" ] || return 0
    kill -TERM "${PID[$n]}" 2>/dev/null
    s_reap "${PID[$n]}" "$WAIT"
    unset "PID[$n]"
    # the CLI must now open the store itself: the control socket is gone
    [ ! -S "$T/$n/control.sock" ]
}

# link NODE PEER: NODE gets PEER as a static peer.
link() {
    bu "$1" peer add "tcp://127.0.0.1:${PORT[$2]}" "${NID[$2]}" >/dev/null
}

# connected NODE PEER: NODE's `peers --json` shows PEER connected.
connected() {
    bu "$1" peers --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(p.get("id") == sys.argv[1] and p.get("connected") is True
                  for p in d.get("peers", [])) else 1)' "${NID[$2]}" 2>/dev/null
}

# not_connected NODE PEER: NODE's `peers --json` works and does not show PEER
# connected.
not_connected() {
    bu "$1" peers --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(1 if any(p.get("id") == sys.argv[1] and p.get("connected") is True
                  for p in d.get("peers", [])) else 0)' "${NID[$2]}" 2>/dev/null
}

# wait_connected NODE PEER: waits until both ends show the link up.
wait_connected() {
    if wait_until "$WAIT" connected "$1" "$2" && wait_until "$WAIT" connected "$2" "$1"; then
        return 0
    fi
    echo "$SELF: $1 and $2 did not connect within $WAIT s" >&2
    echo "  $1 peers: $(bu "$1" peers --json 2>&1 | head -c 600)" >&2
    echo "  $2 peers: $(bu "$2" peers --json 2>&1 | head -c 600)" >&2
    log_tail "$1" >&2
    log_tail "$2" >&2
    return 1
}

# peer_field NODE PEER FIELD: FIELD of PEER in NODE's `peers --json` ("none"
# when PEER is not listed).
peer_field() {
    bu "$1" peers --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in d.get("peers", []):
    if p.get("id") == sys.argv[1]:
        print(json.dumps(p.get(sys.argv[2])))
        break
else:
    print("none")' "${NID[$2]}" "$3" 2>/dev/null || echo "error"
}

# sync_wait NODE: `buurt sync --wait`; on failure prints why.
sync_wait() {
    local out
    if out=$(bu "$1" sync --wait --timeout "$WAIT" 2>&1); then return 0; fi
    echo "$SELF: buurt --home $1 sync --wait --timeout $WAIT failed: $out" >&2
    log_tail "$1" >&2
    return 1
}

# snapshot NODE FILE: every record of all five kinds (deleted ones too), as
# one canonical JSON document (items sorted by id, keys sorted) in FILE.
# Prints the edit count (sum of "edits" over all records).
snapshot() {
    local n=$1 f=$2 k
    for k in $KINDS; do
        bu "$n" list "$k" --all --json >"$f.$k" 2>"$f.$k.err" || {
            echo "$SELF: buurt --home $n list $k --all --json failed: $(cat "$f.$k.err")" >&2
            echo "error"
            return 1
        }
    done
    # shellcheck disable=SC2086 # KINDS is a list
    python3 - "$f" $KINDS <<'EOF'
import json, sys
out, kinds = sys.argv[1], sys.argv[2:]
doc, edits = {}, 0
for k in kinds:
    with open(out + "." + k) as fh:
        d = json.load(fh)
    items = sorted(d["items"], key=lambda r: r["id"])
    for r in items:
        r.pop("status_age_ms", None)  # depends on when it was asked, not on the edits
        r.pop("stale", None)
    if d.get("count") != len(items):
        print("count %r != %d items in %s" % (d.get("count"), len(items), k), file=sys.stderr)
    edits += sum(int(r.get("edits", 0)) for r in items)
    doc[k] = items
with open(out, "w") as fh:
    json.dump(doc, fh, sort_keys=True, indent=1)
print(edits)
EOF
}

# edit_count NODE: the node's edit count (as snapshot prints it).
edit_count() { snapshot "$1" "$T/.count.$1"; }

# same_state NAME NODE1 NODE2: NODE1 and NODE2 list identical records of all
# five kinds and have the same edit count.
same_state() {
    local name=$1 c1 c2
    c1=$(snapshot "$2" "$T/.snap.$2")
    c2=$(snapshot "$3" "$T/.snap.$3")
    if [ "$c1" = error ] || [ "$c2" = error ]; then
        fail "$name" "cannot list records"
    elif ! cmp -s "$T/.snap.$2" "$T/.snap.$3"; then
        fail "$name" "lists differ ($2: $c1 edits, $3: $c2 edits); diff $2 $3:" \
            "$(diff "$T/.snap.$2" "$T/.snap.$3" | head -n 30)"
    elif [ "$c1" != "$c2" ]; then
        fail "$name" "edit counts differ: $2 $c1, $3 $c2"
    else
        pass "$name ($c1 edits)"
    fi
}

# has_record NODE ID: `show ID` succeeds on NODE.
has_record() { bu "$1" show "$2" >/dev/null 2>&1; }

# field NODE ID FIELD: fields[FIELD] of record ID on NODE (JSON), or "none".
field() {
    bu "$1" show "$2" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(json.dumps(d.get("fields", {}).get(sys.argv[1])) if sys.argv[1] != "edits" else d["edits"])
' "$3" 2>/dev/null || echo none
}

# add_place NODE NAME [ARGS]: adds a place; prints its id.
add_place() {
    local n=$1 name=$2
    shift 2
    bu "$n" place add --name "$name" --kind community-centre --area Feijenoord "$@"
}
