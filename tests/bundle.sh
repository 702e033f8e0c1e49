#!/usr/bin/env bash
# tests/bundle.sh -- end-to-end tests of sneakernet bundles (`buurt bundle
# create` / `buurt bundle apply`) with the real binaries: nodes of one mesh
# that never connect to each other exchange edits through files only.
#
#   0. Usage: --help, exit 2 for usage errors, 1 for a missing file and a
#      node outside any mesh.
#   1. A makes records and a bundle; B (never connected to A) applies it and
#      lists the same records; applying it again: 0 new, exit 0.
#   2. --since last-bundle holds only what A stored since its last bundle
#      (plus the certificates), and B takes exactly that.
#   3. --area: fewer edits, the certificates still in.
#   4. A bundle from another mesh is refused with a clear error and changes
#      nothing.
#   5. A forged edit (one bit of its signature flipped, tests/tools/tamper)
#      is rejected with its reason and the edit's id, exit 1; the rest of
#      the bundle applies.
#   6. A bit flipped in the middle of a bundle file: every intact edit is
#      applied on a fresh node, the damaged bytes are named, exit 1; a cut
#      bundle likewise; a file that is no bundle is refused.
#   7. With B's buurtd running: apply and create are run by the daemon, the
#      CLI passing FILE relative to its own working directory; what B takes
#      from a bundle reaches D, a peer of B, by push.
#
# Fresh homes in one mktemp -d directory (removed on exit; KEEP=1 keeps
# it); daemons on loopback with static peers and no beacons, stopped by
# pid on exit. Env: BUURT, BUURTD, TOOLS (tests/tools, for tamper). About
# 10 s.
set -u
. "$(dirname "$0")/lib/daemons.bash" || exit 1
daemons_init

# json FILE KEY: a top-level field of a JSON document.
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# edits NODE: how many edits NODE stores (`buurt edits`, one a line).
edits() { bu "$1" edits | wc -l; }

# apply NODE FILE: runs bundle apply; sets OUT, ERR, RC.
apply() {
    OUT=$($TIMEOUT "$BUURT" --home "$T/$1" bundle apply "$2" 2>"$T/err")
    RC=$?
    ERR=$(cat "$T/err")
}

# has TEXT: the last apply printed TEXT (stdout or stderr).
has() {
    case "$OUT $ERR" in *"$1"*) return 0 ;; esac
    WHY="expected \"$1\" in: $OUT $ERR (exit $RC)"
    return 1
}

mknode a "Buurthuis De Kroon" && mknode b "Bibliotheek Zuid" && mknode c "Moskee" &&
    mknode d "Voedselbank" && mknode x "Elders" || exit 1
mkmesh a b c d || { echo "$SELF: cannot set up the mesh" >&2; exit 1; }

# ---------------------------------------------------------------- 0. usage
# code NAME WANT CMD...: CMD exits WANT.
code() {
    local name=$1 want=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    WHY="exit $rc, not $want: $(cat "$T/err")"
    check "$name" [ "$rc" = "$want" ]
}
for c in "" create apply; do
    # shellcheck disable=SC2086
    code "bundle $c --help exits 0" 0 "$BUURT" --home "$T/a" bundle $c --help
    WHY="no usage line" check "bundle $c --help prints usage" grep -q usage "$T/out"
done
code "bundle without a subcommand: exit 2" 2 bu a bundle
code "bundle create without -o: exit 2" 2 bu a bundle create
code "bundle create --since nonsense: exit 2" 2 bu a bundle create --since soon -o "$T/x.bundle"
code "bundle apply without a file: exit 2" 2 bu a bundle apply
code "bundle apply of a missing file: exit 1" 1 bu a bundle apply "$T/missing.bundle"
code "bundle create outside a mesh: exit 1" 1 bu x bundle create -o "$T/x.bundle"
WHY="$(cat "$T/err")" check "bundle create outside a mesh says so" grep -q "no mesh" "$T/err"

# ---------------------------------------------------------------- 1. round trip
P1=$(bu a place add --name "Buurthuis De Kroon" --kind community-centre --area Feijenoord)
P2=$(bu a place add --name "Bieb Zuid" --kind library --area Charlois)
bu a place status "$P1" limited --note "alleen telefoon" >/dev/null
bu a need add --category food --summary "boodschappen voor twee gezinnen" --area Feijenoord >/dev/null
bu a bulletin add --title "Water" --body "het water is weer veilig" >/dev/null
check "a makes a bundle" bu a bundle create -o "$T/all.bundle" >/dev/null
apply b "$T/all.bundle"
check "b applies it: exit 0" [ "$RC" = 0 ]
check "b: every edit new, none rejected" has "already known 0, rejected 0"
check "b lists the same records as a" same_state "same records" a b
apply b "$T/all.bundle"
check "applying it again: exit 0" [ "$RC" = 0 ]
check "applying it again: 0 new" has "new 0,"
check "applying it again changes nothing" same_state "same records" a b

# ---------------------------------------------------------------- 2. --since last-bundle
bu a place status "$P2" closed --note "stroomuitval" >/dev/null
P3=$(bu a place add --name "Sporthal" --kind sports --area Charlois)
bu a --json bundle create --since last-bundle -o "$T/since.bundle" >"$T/since.json"
EDITS=$(json "$T/since.json" edits) CERTS=$(json "$T/since.json" certificates)
WHY="the bundle holds $EDITS edits, $CERTS of them certificates"
check "--since last-bundle: only the 2 new edits and the certificates" [ $((EDITS - CERTS)) = 2 ]
apply b "$T/since.bundle"
check "b takes exactly the 2 new edits" has "new 2, already known $CERTS, rejected 0"
check "b has the new place" has_record b "$P3"

# ---------------------------------------------------------------- 3. --area
bu a --json bundle create --area feijenoord -o "$T/area.bundle" >"$T/area.json"
AE=$(json "$T/area.json" edits) AC=$(json "$T/area.json" certificates) ALL=$(edits a)
WHY="area bundle: $AE edits ($AC certificates) of $ALL"
check "--area: fewer edits, every certificate" [ "$AE" -lt "$ALL" ] && [ "$AC" = "$CERTS" ]

# ---------------------------------------------------------------- 4. another mesh
bu x mesh create "Elders" >/dev/null 2>&1
bu x place add --name "Ergens" --kind other >/dev/null
bu x bundle create -o "$T/other.bundle" >/dev/null
BEFORE=$(edits b)
apply b "$T/other.bundle"
check "another mesh's bundle: exit 1" [ "$RC" = 1 ]
check "another mesh's bundle: a clear error" has "from another mesh"
WHY="b's edit count changed"
check "another mesh's bundle changes nothing" [ "$(edits b)" = "$BEFORE" ]

# ---------------------------------------------------------------- 5. a forged edit
bu a place status "$P3" open >/dev/null
FORGED=$("$TOOLS/tamper" "$T/a") || { fail "tamper" "cannot forge an edit on a"; FORGED=none; }
bu a bundle create --since last-bundle -o "$T/forged.bundle" >/dev/null
apply b "$T/forged.bundle"
check "a forged edit: exit 1" [ "$RC" = 1 ]
check "a forged edit: rejected 1" has "rejected 1"
check "a forged edit: named with its reason" has "rejected ${FORGED:0:10} place at byte"
check "a forged edit: the reason is the signature" has "signature"
check "the genuine edit beside it is new" has "new 1,"

# ---------------------------------------------------------------- 6. damage
python3 - "$T/all.bundle" "$T/flip.bundle" "$T/cut.bundle" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
f = bytearray(d)
f[len(f) // 2] ^= 0x10
open(sys.argv[2], 'wb').write(f)
open(sys.argv[3], 'wb').write(d[:len(d) * 2 // 3])
EOF
apply c "$T/flip.bundle"
check "a flipped bit: exit 1" [ "$RC" = 1 ]
check "a flipped bit: the damaged bytes are named" has "damaged: bytes"
check "a flipped bit: the rest is applied" has "rejected 0"
N_ALL=$(python3 -c 'import sys; print(sys.argv[1].split()[-2])' "$(bu b bundle apply "$T/all.bundle" | head -1)")
WHY="c holds $(edits c) edits, the bundle $N_ALL"
check "a flipped bit: one edit lost, the others stored" [ "$(edits c)" = $((N_ALL - 1)) ]
apply c "$T/cut.bundle"
check "a cut bundle: exit 1" [ "$RC" = 1 ]
check "a cut bundle: says its end is missing" has "end is missing"
head -c 3000 /dev/urandom >"$T/noise.bundle"
apply c "$T/noise.bundle"
check "random bytes: exit 1, not a bundle" [ "$RC" = 1 ] && has "not a buurt bundle"

# ---------------------------------------------------------------- 7. with buurtd
start b && start d || exit 1
link d b
wait_connected d b || fail "d and b connect"
sync_wait d
P4=$(bu a place add --name "Noodpost" --kind other --area Feijenoord)
mkdir -p "$T/stick"
(cd "$T/stick" && $TIMEOUT "$BUURT" --home "$T/a" bundle create --since last-bundle -o new.bundle >/dev/null)
check "create with a relative FILE" [ -s "$T/stick/new.bundle" ]
OUT=$(cd "$T/stick" && $TIMEOUT "$BUURT" --home "$T/b" bundle apply new.bundle 2>"$T/err")
RC=$?
ERR=$(cat "$T/err")
check "apply through b's buurtd, FILE relative to the caller: exit 0" [ "$RC" = 0 ]
check "apply through b's buurtd: new 1" has "new 1,"
check "b's buurtd pushes it on to d" wait_until "$WAIT" has_record d "$P4"
(cd "$T/stick" && $TIMEOUT "$BUURT" --home "$T/b" bundle create -o from-b.bundle >/dev/null)
check "create through b's buurtd, FILE relative to the caller" [ -s "$T/stick/from-b.bundle" ]
apply c "$T/stick/from-b.bundle"
check "c takes b's bundle, made by its daemon" has "rejected 0"
check "c has the record that came to b on a stick" has_record c "$P4"

daemons_finish
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
