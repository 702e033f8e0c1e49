#!/usr/bin/env bash
# tests/cross/sync.sh -- a native x86-64 node and an arm64 node (under
# qemu-user) sync on loopback: proof that edits, signatures, the store and
# the wire do not depend on the host's architecture. Run by
# tests/cross/arm64.sh (make cross-arm64), which builds both and passes:
#   BUURT BUURTD          the native programs (build/)
#   ARM_BUURT ARM_BUURTD  commands that run the arm64 programs (small
#                         wrappers around qemu-aarch64-static)
# The x86-64 node founds the mesh and admits the arm64 node; each makes
# records of its own (with non-ASCII text) before they meet; the arm64
# node dials the x86-64 node; both must then list identical records of
# every kind with the same edit count, pass on a change made after they
# connected in either direction, and reject nothing.
# Uses the harness of tests/lib/daemons.bash (node homes in one temporary
# directory, daemons stopped by pid on exit). Prints ok/FAIL lines and
# "N passed, M failed"; exits 1 if a check failed.
set -u
. "$(dirname "$0")/../lib/daemons.bash" || exit 1
for v in ARM_BUURT ARM_BUURTD; do
    [ -n "${!v:-}" ] && [ -x "${!v}" ] || { echo "sync.sh: $v is not set to an executable" >&2; exit 1; }
done
daemons_init
WAIT=60 # qemu-user is slower than the native build

# The arm64 node runs the arm64 programs (bu and start of daemons.bash
# take them from CLI_OF and D_OF); the x86 node the native ones.
CLI_OF[arm]=$ARM_BUURT
D_OF[arm]=$ARM_BUURTD

mknode x86 "Buurthuis De Kroon (x86-64)" && mknode arm "Bibliotheek Zuid (arm64)" &&
    mkmesh x86 arm || { fail "set up the mesh of an x86-64 and an arm64 node"; echo "$PASS passed, $FAIL failed"; exit 1; }
pass "the x86-64 node founds a mesh and admits the arm64 node, which joins it"

# records on both sides before they meet
P1=$(add_place x86 "Buurthuis De Kroon" --lang nl,tr,ar --reaches "oudere Turkse migranten" \
    --note "telefoon en voordeur — تلفن") &&
    N1=$(bu x86 need add --category food --area Feijenoord --lang tr --people 6 \
        --summary "warme maaltijden voor ouderen, één keer per dag") &&
    P2=$(add_place arm "Bibliotheek Zuid" --lang nl,en,ti --status limited --note "alleen ’s ochtends") &&
    O2=$(bu arm offer add --provider "$P2" --category information,digital --area Feijenoord \
        --lang ti,nl --capacity 20 --until 7d) &&
    B2=$(bu arm bulletin add --title "Stroomuitval Zuid" --body "Opladen kan in de bibliotheek — ናይ ኤሌክትሪክ" \
        --lang nl,ti --source "Gemeente") && ok=1 || ok=0
check "each node makes records of its own (x86-64: place, need; arm64: place, offer, bulletin)" [ "$ok" = 1 ]

start x86 && start arm || { fail "both daemons start"; daemons_finish; echo "$PASS passed, $FAIL failed"; exit 1; }
pass "both daemons start (the arm64 one under qemu-user)"
link arm x86
check "the arm64 node dials the x86-64 node and both see the link" wait_connected arm x86
check "sync --wait on the arm64 node" sync_wait arm
check "sync --wait on the x86-64 node" sync_wait x86
same_state "x86-64 and arm64 nodes list the same records of every kind" x86 arm
for id in "$P1" "$N1" "$P2" "$O2" "$B2"; do
    has_record x86 "$id" && has_record arm "$id" || { WHY="record $id missing on one side"; break; }
done
check "each record is on both nodes" [ -z "$WHY" ]

# changes after they connected travel both ways at once
# is_field NODE ID FIELD JSON: FIELD of record ID on NODE is JSON
is_field() { [ "$(field "$1" "$2" "$3")" = "$4" ]; }
bu arm place status "$P2" closed --note "dicht tot maandag" >/dev/null
check "a status change made on the arm64 node reaches the x86-64 node" \
    wait_until "$WAIT" is_field x86 "$P2" status '"closed"'
bu x86 need claim "$N1" --by "$O2" >/dev/null
check "a claim made on the x86-64 node reaches the arm64 node" \
    wait_until "$WAIT" is_field arm "$N1" status '"claimed"'
sync_wait arm >/dev/null && sync_wait x86 >/dev/null
same_state "after the changes both nodes still list the same records" x86 arm
for pair in "x86 arm" "arm x86"; do
    set -- $pair
    r=$(peer_field "$1" "$2" rejected)
    check "$1 rejected none of $2's edits (rejected: $r)" [ "$r" = 0 ]
done

daemons_finish
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
