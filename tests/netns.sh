#!/usr/bin/env bash
# tests/netns.sh -- multi-host test of buurtd in Linux network namespaces.
#
# Three nodes A, B and C, each in its own network namespace, joined by veth
# pairs to a bridge in a fifth namespace. Addresses (10.231.7.0/24 and, for
# D, 10.231.8.0/24) exist only inside these namespaces, so nothing is sent
# anywhere else. No namespace has a default route: this is a LAN whose
# internet gateway is gone. Each buurtd runs with no discovery options
# (listening on tcp://0.0.0.0:4836) and finds the others only by its UDP
# broadcast beacons (no static peers).
#
#   1. LAN discovery without a gateway: a place added on A shows up on C
#      and B; every node connects to the other two (B and C learn each
#      other's membership certificate from A).
#   2. Link cut and restored: with C's link down, A's edit reaches B but not
#      C, and C's edit does not reach A. The cut lasts until the heartbeats
#      time out (15 s) and the nodes drop C, then A and C edit again; after
#      the link is up A, B and C reconnect by beacon, hold every edit and
#      list identical places.
#   3. An interface that comes later: D starts with only a link to an empty
#      LAN (as a laptop on the wrong Wi-Fi) and finds nobody; then it gets
#      a second interface on the LAN of A, B and C (a cable plugged in),
#      announces itself there without a restart and converges.
#   4. Join by invite beacon: E, a fresh node on the LAN that knows only an
#      invite code made on A, finds A by A's invite beacon and joins.
#
# Needs root and ip netns; otherwise prints a SKIPPED line and exits 0.
# Run from the repository root: bash tests/netns.sh (KEEP=1 keeps the logs).
# Prints ok/FAIL lines and ends with "N passed, M failed"; exits 1 on failure.
set -u

skip() {
    echo "SKIPPED netns tests: $1"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
}

BUURT=${BUURT:-build/buurt}
BUURTD=${BUURTD:-build/buurtd}
case $BUURT in /*) ;; *) BUURT=$PWD/$BUURT ;; esac
case $BUURTD in /*) ;; *) BUURTD=$PWD/$BUURTD ;; esac
for b in "$BUURT" "$BUURTD"; do
    if [ ! -x "$b" ]; then
        echo "netns.sh: $b is not an executable; run make all first" >&2
        exit 1
    fi
done

[ "$(id -u)" = 0 ] || skip "not root"
command -v ip >/dev/null 2>&1 || skip "no ip command (iproute2)"
command -v python3 >/dev/null 2>&1 || skip "no python3"

TAG=bu$$
NS_BR=${TAG}br
NS_A=${TAG}a
NS_B=${TAG}b
NS_C=${TAG}c
NS_D=${TAG}d
NS_E=${TAG}e
NETS=() # namespaces created, deleted on exit
PIDS=() # buurtd pids started, killed on exit
TMP=$(mktemp -d) || exit 1

cleanup() {
    local p ns i
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        # up to 2 s to stop cleanly, then forced
        for ((i = 0; i < 20; i++)); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    # deleting a namespace deletes the veth ends and the bridge inside it
    for ns in "${NETS[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOME=$TMP/home
mkdir -p "$HOME"
unset BUURT_HOME XDG_DATA_HOME BUURT_NOW_MS
export LC_ALL=C

if ! err=$(ip netns add "$NS_BR" 2>&1); then
    skip "ip netns add failed: $err"
fi
NETS+=("$NS_BR")

# ---------------------------------------------------------------- helpers

PASS=0
FAIL=0
ok() {
    PASS=$((PASS + 1))
    echo "ok   $1"
}
fail() {
    FAIL=$((FAIL + 1))
    echo "FAIL $1"
    shift
    local l
    for l in "$@"; do printf '%s\n' "$l" | sed 's/^/      /'; done
}
# check NAME CMD...: CMD exits 0
check() {
    local name=$1
    shift
    if "$@" >"$TMP/.out" 2>&1; then ok "$name"; else
        fail "$name" "command: $*" "output: $(head -c 300 "$TMP/.out")"
    fi
}
# die NAME [LINE...]: a step the rest depends on failed; stop (the trap cleans up)
die() {
    fail "$@"
    echo "$PASS passed, $FAIL failed"
    exit 1
}

now_ms() { date +%s%3N; }

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it exits 0; 1 on timeout.
wait_for() {
    local deadline=$(($(now_ms) + $1 * 1000))
    shift
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        [ "$(now_ms)" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

home() { echo "$TMP/$1"; }
ns() { case $1 in a) echo "$NS_A" ;; b) echo "$NS_B" ;; c) echo "$NS_C" ;; d) echo "$NS_D" ;; esac; }

# cli X ARGS...: the buurt CLI of node X, run inside its namespace.
cli() {
    local x=$1
    shift
    timeout 10 ip netns exec "$(ns "$x")" "$BUURT" --home "$(home "$x")" "$@"
}
# has X ID: node X has record ID.
has() { cli "$1" show "$2" >/dev/null 2>&1; }
# has_field X ID KEY VALUE: field KEY of node X's record ID is VALUE, compared
# as JSON text (40, "Noord").
has_field() {
    cli "$1" --json show "$2" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if json.dumps(d["fields"].get(sys.argv[1])) == sys.argv[2] else 1)
' "$3" "$4"
}
# all_have ID KEY VALUE [KEY VALUE...]: A, B and C all have these fields.
all_have() {
    local id=$1 x i
    shift
    local kv=("$@")
    for x in a b c; do
        for ((i = 0; i + 1 < ${#kv[@]}; i += 2)); do
            has_field "$x" "$id" "${kv[i]}" "${kv[i + 1]}" || return 1
        done
    done
}
# places X: node X's places as canonical JSON, sorted by id.
places() {
    cli "$1" list places --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for r in d["items"]:  # status_age_ms depends on when it was asked
    r.pop("status_age_ms", None); r.pop("stale", None)
print(json.dumps(sorted(d["items"], key=lambda r: r["id"]), sort_keys=True))'
}
same_places() {
    local pa pb pc
    pa=$(places a) && pb=$(places b) && pc=$(places c) || return 1
    [ "$pa" = "$pb" ] && [ "$pa" = "$pc" ]
}
# connected X ID: node X's buurtd reports peer ID as connected.
connected() {
    cli "$1" --json peers 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(p["id"] == sys.argv[1] and p["connected"] for p in d["peers"]) else 1)
' "$2"
}
full_mesh() {
    connected a "$B_ID" && connected a "$C_ID" && connected b "$A_ID" &&
        connected b "$C_ID" && connected c "$A_ID" && connected c "$B_ID"
}
nobody_sees_c() {
    ! connected a "$C_ID" && ! connected b "$C_ID" &&
        ! connected c "$A_ID" && ! connected c "$B_ID"
}
peers_of() { cli "$1" peers 2>&1 | tr '\n' ' '; }
# logs: the tails of the daemon logs, for failure reports
logs() {
    local x
    for x in a b c; do
        echo "--- buurtd $x ($(home "$x")/buurtd.out):"
        tail -n 15 "$(home "$x")/buurtd.out" 2>/dev/null | sed 's/^/    /'
    done
}
# reach X IP: from X's namespace, IP answers a TCP connect to a closed port
# with a reset (no ping needed)
reach() {
    ip netns exec "$(ns "$1")" python3 -c '
import socket, sys
s = socket.socket()
s.settimeout(1)
try:
    s.connect((sys.argv[1], 9))
except ConnectionRefusedError:
    sys.exit(0)
except OSError:
    sys.exit(1)
' "$2"
}

# ---------------------------------------------------------------- network
#
#   ns A: veth0 10.231.7.1 --- ea \
#   ns B: veth0 10.231.7.2 --- eb -- br0   (ns BR, no address)
#   ns C: veth0 10.231.7.3 --- ec /
#
# "brd +" matters: without it iproute2 sets no broadcast address, glibc's
# getifaddrs then reports the interface's own address as ifa_broadaddr and
# buurtd would send its beacons to itself.

net() {
    local x n=0
    for x in a b c d; do
        ip netns add "$(ns $x)" || return 1
        NETS+=("$(ns $x)")
    done
    ip -n "$NS_BR" link set lo up &&
        ip -n "$NS_BR" link add br0 type bridge &&
        ip -n "$NS_BR" link set br0 up &&
        ip -n "$NS_BR" link add br1 type bridge &&
        ip -n "$NS_BR" link set br1 up || return 1
    for x in a b c; do
        n=$((n + 1))
        ip -n "$NS_BR" link add "e$x" type veth peer name veth0 netns "$(ns $x)" &&
            ip -n "$NS_BR" link set "e$x" master br0 &&
            ip -n "$NS_BR" link set "e$x" up &&
            ip -n "$(ns $x)" link set lo up &&
            ip -n "$(ns $x)" addr add "10.231.7.$n/24" brd + dev veth0 &&
            ip -n "$(ns $x)" link set veth0 up || return 1
    done
}
net >"$TMP/.net" 2>&1 || die "network namespaces set up" "$(cat "$TMP/.net")"
if wait_for 10 reach a 10.231.7.3 && wait_for 10 reach b 10.231.7.3 &&
    wait_for 10 reach c 10.231.7.1; then
    ok "namespaces A, B, C reach each other over the bridge"
else
    die "namespaces A, B, C reach each other over the bridge" "$(ip -n "$NS_A" addr 2>&1)"
fi
no_default_route() {
    local x
    for x in a b c d; do
        [ -z "$(ip -n "$(ns $x)" route show default 2>&1)" ] || return 1
    done
}
check "no namespace has a default route (no gateway)" no_default_route

# ---------------------------------------------------------------- mesh

for x in a b c; do mkdir -p "$(home $x)"; done
A_ID=$("$BUURT" --home "$(home a)" init --name A 2>"$TMP/.err") || die "init A" "$(cat "$TMP/.err")"
B_ID=$("$BUURT" --home "$(home b)" init --name B 2>"$TMP/.err") || die "init B" "$(cat "$TMP/.err")"
C_ID=$("$BUURT" --home "$(home c)" init --name C 2>"$TMP/.err") || die "init C" "$(cat "$TMP/.err")"
MESH=$("$BUURT" --home "$(home a)" mesh create "Test" 2>"$TMP/.err") ||
    die "mesh create" "$(cat "$TMP/.err")"
{
    "$BUURT" --home "$(home a)" member add "$B_ID" --name B &&
        "$BUURT" --home "$(home a)" member add "$C_ID" --name C &&
        "$BUURT" --home "$(home b)" mesh join "$MESH" &&
        "$BUURT" --home "$(home c)" mesh join "$MESH"
} >"$TMP/.out" 2>&1 || die "mesh set up" "$(cat "$TMP/.out")"
ok "mesh created: A admits B and C, B and C join"

for x in a b c; do
    ip netns exec "$(ns $x)" "$BUURTD" --home "$(home $x)" --beacon-interval 500 --verbose \
        >"$(home $x)/buurtd.out" 2>&1 &
    PIDS+=($!)
done
# a daemon is up when its CLI gets an answer over the control socket
for x in a b c; do
    wait_for 10 cli $x peers || die "buurtd $x answers its CLI" "$(logs)"
done
ok "buurtd runs in each namespace"

# The CLI talks to buurtd over HOME/control.sock, a path-named unix socket,
# which network namespaces do not separate: it works from outside too.
if "$BUURT" --home "$(home b)" peers >/dev/null 2>&1; then
    ok "CLI also reaches buurtd from outside its namespace"
else
    fail "CLI also reaches buurtd from outside its namespace"
fi

# ---------------------------------------------------------------- 1. discovery

T0=$(now_ms)
P1=$(cli a place add --name "Buurthuis Noord" --kind community-centre --area Noord --editors "$C_ID" 2>"$TMP/.err")
[ -n "$P1" ] || die "place added on A" "$(cat "$TMP/.err")"
if wait_for 20 has c "$P1"; then
    ok "place from A reaches C by beacon discovery ($(($(now_ms) - T0)) ms)"
else
    fail "place from A reaches C by beacon discovery" "$(logs)"
fi
if wait_for 5 has b "$P1"; then
    ok "place from A reaches B by beacon discovery ($(($(now_ms) - T0)) ms)"
else
    fail "place from A reaches B by beacon discovery" "$(logs)"
fi
if wait_for 10 full_mesh; then
    ok "every node connects to the other two (B and C learned each other via A)"
else
    fail "every node connects to the other two (B and C learned each other via A)" \
        "A: $(peers_of a)" "B: $(peers_of b)" "C: $(peers_of c)"
fi

# ---------------------------------------------------------------- 2. link cut

ip -n "$NS_C" link set veth0 down || die "C's link set down"
T0=$(now_ms)
check "edit on A while C is cut off" cli a place edit "$P1" --hours "ma-vr 9-17"
check "edit on C while C is cut off" cli c place status "$P1" limited --note "rolstoel toegankelijk"
if wait_for 20 has_field b "$P1" hours '"ma-vr 9-17"'; then
    ok "A's edit reaches B while C is cut off ($(($(now_ms) - T0)) ms)"
else
    fail "A's edit reaches B while C is cut off" "$(logs)"
fi
if has_field c "$P1" hours '"ma-vr 9-17"'; then
    fail "C does not have A's edit while its link is down" "$(cli c show "$P1" 2>&1)"
else
    ok "C does not have A's edit while its link is down"
fi
if has_field a "$P1" status_note '"rolstoel toegankelijk"'; then
    fail "A does not have C's edit while C's link is down" "$(cli a show "$P1" 2>&1)"
else
    ok "A does not have C's edit while C's link is down"
fi

# Keep the cut until the heartbeats time out (15 s) and the nodes drop C:
# edits made now are not pushed but must be reconciled when they meet again.
if wait_for 25 nobody_sees_c; then
    ok "A and B drop C, C drops A and B ($(($(now_ms) - T0)) ms after the cut)"
else
    fail "A and B drop C, C drops A and B" "A: $(peers_of a)" "C: $(peers_of c)"
fi
check "edit on A while C is disconnected" cli a place edit "$P1" --capacity 40
P2=$(cli c place add --name "Moskee Oost" --kind religious --area Oost 2>"$TMP/.err")
if [ -n "$P2" ]; then ok "place added on C while disconnected"; else
    fail "place added on C while disconnected" "$(cat "$TMP/.err")"
fi

ip -n "$NS_C" link set veth0 up || die "C's link set up again"
T0=$(now_ms)
if wait_for 25 full_mesh; then
    ok "C reconnects to A and B by beacon ($(($(now_ms) - T0)) ms)"
else
    fail "C reconnects to A and B by beacon" \
        "A: $(peers_of a)" "B: $(peers_of b)" "C: $(peers_of c)" "$(logs)"
fi
# Edits made while a peer counted as disconnected are not pushed; they come
# with the next reconciliation round, which buurtd runs every
# --sync-interval (default 30 s) and not yet when a link comes back: allow
# a whole interval.
if wait_for 35 all_have "$P1" hours '"ma-vr 9-17"' status_note '"rolstoel toegankelijk"' capacity 40 &&
    wait_for 5 all_have "${P2:-none}" name '"Moskee Oost"'; then
    ok "after the link is restored A, B and C have every edit ($(($(now_ms) - T0)) ms)"
else
    fail "after the link is restored A, B and C have every edit" \
        "A: $(cli a --json show "$P1" 2>&1)" \
        "B: $(cli b --json show "$P1" 2>&1)" \
        "C: $(cli c --json show "$P1" 2>&1)" \
        "P2 on A: $(cli a show "${P2:-none}" 2>&1 | head -1)" \
        "P2 on B: $(cli b show "${P2:-none}" 2>&1 | head -1)" "$(logs)"
fi
if wait_for 5 same_places; then
    ok "A, B and C list identical places"
else
    fail "A, B and C list identical places" "A: $(places a)" "B: $(places b)" "C: $(places c)"
fi

# ---------------------------------------------------------------- 3. a new interface

# D: admitted, but its only link is to an empty LAN (br1)
{
    D_ID=$("$BUURT" --home "$(home d)" init --name D) &&
        "$BUURT" --home "$(home a)" member add "$D_ID" --name D &&
        "$BUURT" --home "$(home d)" mesh join "$MESH"
} >"$TMP/.out" 2>&1 || die "D set up" "$(cat "$TMP/.out")"
# A must know D's certificate before D knocks: it reaches B and C by push
wait_for 10 cli b show "$P1" || true
{
    ip -n "$NS_BR" link add ed1 type veth peer name wifi0 netns "$NS_D" &&
        ip -n "$NS_BR" link set ed1 master br1 &&
        ip -n "$NS_BR" link set ed1 up &&
        ip -n "$NS_D" link set lo up &&
        ip -n "$NS_D" addr add 10.231.8.4/24 brd + dev wifi0 &&
        ip -n "$NS_D" link set wifi0 up
} >"$TMP/.net" 2>&1 || die "D's first interface" "$(cat "$TMP/.net")"
ip netns exec "$NS_D" "$BUURTD" --home "$(home d)" --beacon-interval 500 --verbose \
    >"$(home d)/buurtd.out" 2>&1 &
PIDS+=($!)
wait_for 10 cli d peers || die "buurtd d answers its CLI" "$(tail -n 5 "$(home d)/buurtd.out")"
# beacons_on X IFACE: X's peers --json lists IFACE among its beacon interfaces
beacons_on() {
    cli "$1" --json peers 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(b["interface"] == sys.argv[1] and b["sent"] > 0 and not b["error"]
                  for b in d.get("beacons", [])) else 1)
' "$2"
}
check "D sends beacons on its only interface" wait_for 10 beacons_on d wifi0
# beacons_sent X IFACE N: X has sent at least N beacons on IFACE
beacons_sent() {
    cli "$1" --json peers 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(b["interface"] == sys.argv[1] and b["sent"] >= int(sys.argv[2])
                  for b in d.get("beacons", [])) else 1)
' "$2" "$3"
}
# three beacons go out with nobody to answer
wait_for 10 beacons_sent d wifi0 3
if connected d "$A_ID" || connected d "$B_ID"; then
    fail "D finds nobody on the empty LAN" "$(peers_of d)"
else
    ok "D finds nobody on the empty LAN"
fi
T0=$(now_ms)
{
    ip -n "$NS_BR" link add ed0 type veth peer name eth0 netns "$NS_D" &&
        ip -n "$NS_BR" link set ed0 master br0 &&
        ip -n "$NS_BR" link set ed0 up &&
        ip -n "$NS_D" addr add 10.231.7.4/24 brd + dev eth0 &&
        ip -n "$NS_D" link set eth0 up
} >"$TMP/.net" 2>&1 || die "D's second interface" "$(cat "$TMP/.net")"
check "D sends beacons on the new interface too, without a restart" wait_for 10 beacons_on d eth0
check "D still sends on the first one" beacons_on d wifi0
d_meets_all() { connected d "$A_ID" && connected d "$B_ID" && connected d "$C_ID"; }
if wait_for 25 d_meets_all; then
    ok "D connects to A, B and C over the new interface ($(($(now_ms) - T0)) ms)"
else
    fail "D connects to A, B and C over the new interface" "D: $(peers_of d)" \
        "$(tail -n 10 "$(home d)/buurtd.out")"
fi
if wait_for 20 has d "${P2:-none}" && wait_for 10 has d "$P1"; then
    ok "D receives the places of A and C"
else
    fail "D receives the places of A and C" "$(cli d list places 2>&1)"
fi

# ---------------------------------------------------------------- 4. join by invite beacon

# E: a fresh node on the LAN of A, B and C; it knows only an invite code
# made on A, and finds A by A's invite beacon (no --peer, no mesh id).
{
    ip netns add "$NS_E" && NETS+=("$NS_E") &&
        ip -n "$NS_BR" link add ee type veth peer name veth0 netns "$NS_E" &&
        ip -n "$NS_BR" link set ee master br0 &&
        ip -n "$NS_BR" link set ee up &&
        ip -n "$NS_E" link set lo up &&
        ip -n "$NS_E" addr add 10.231.7.5/24 brd + dev veth0 &&
        ip -n "$NS_E" link set veth0 up
} >"$TMP/.net" 2>&1 || die "E's interface" "$(cat "$TMP/.net")"
mkdir -p "$(home e)"
"$BUURT" --home "$(home e)" init --name E >"$TMP/.out" 2>&1 || die "init E" "$(cat "$TMP/.out")"
CODE=$(cli a invite 2>"$TMP/.err") || die "A makes an invite" "$(cat "$TMP/.err")"
if ip netns exec "$NS_E" "$BUURT" --home "$(home e)" join "$CODE" --timeout 20 >"$TMP/.out" 2>&1; then
    ok "E joins with only the code, finding A by its invite beacon"
else
    fail "E joins with only the code, finding A by its invite beacon" "$(cat "$TMP/.out")" \
        "$(tail -n 5 "$(home a)/buurtd.out")"
fi
e_in_mesh() {
    "$BUURT" --home "$(home e)" --json mesh show 2>/dev/null |
        python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["mesh"] == sys.argv[1] else 1)' "$MESH"
}
check "E is in A's mesh" e_in_mesh

# make check-asan: the daemons' logs must hold no sanitizer report
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
for x in a b c d; do
    if grep -qE 'Sanitizer|runtime error:' "$(home $x)/buurtd.out" 2>/dev/null; then
        fail "no sanitizer report in buurtd $x's log" "$(grep -E -m 3 -A 8 'Sanitizer|runtime error:' "$(home $x)/buurtd.out")"
    fi
done
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
