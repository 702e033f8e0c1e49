#!/usr/bin/env bash
# tests/persona.sh -- end-to-end scripts per persona of issue 11, asserting
# what each person sees, with real buurtd daemons on loopback (127.0.0.1
# only, no beacons, static peers):
#
#   1. field worker, offline then back: the laptop (fw) syncs with the
#      library (lib), goes offline (its buurtd stops), marks the community
#      centre closed with a note while the library marks it open and adds a
#      need; back online, `sync --wait --digest` tells what changed while
#      away and that one of its edits lost; `changes --json` lists the need
#      as new and the place's fields old -> new by the library's name;
#      `conflicts` shows both lost fields with the winner's organisation;
#      `conflicts accept` and `conflicts keep-mine` resolve one each
#      (keep-mine wins on the library too); a later, informed edit by the
#      library is a change, not a conflict; `changes --since EDIT` and
#      --since TIME select windows; bad --since is a usage error.
#   2. the field worker with no peer: `sync --wait` exits 3 and says it
#      reached no peer, naming the one it could not reach.
#   3. coordinator: `overview --json` counts match the records (places by
#      status with stale ones, open needs by category and urgency, offers
#      and capacity, a language no offer speaks); `--area` narrows it; the
#      text form names the categories; hand-off: the offer's owner marks a
#      need the coordinator claimed for it done.
#
# Env: BUURT, BUURTD (default build/buurt, build/buurtd). Needs python3.
# Run from the repository root: bash tests/persona.sh
# shellcheck disable=SC2015,SC2016,SC2034
set -u
# shellcheck source=lib/daemons.bash source-path=SCRIPTDIR
. "$(dirname "$0")/lib/daemons.bash" || exit 1
daemons_init

# jq-like: prints python expression E evaluated on JSON stdin as d
pj() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# ---------------------------------------------------------------- 1. field worker
t1() {
    local name="1. field worker back online"
    mknode lib Bibliotheek && mknode fw Veldwerker && mkmesh lib fw ||
        { fail "$name: setup"; return; }
    local P out rc
    P=$(add_place lib "Buurthuis Oost" --status limited --editors "${NID[fw]}") ||
        { fail "$name: place add"; return; }
    link fw lib && start lib && start fw && wait_connected fw lib && sync_wait fw ||
        { fail "$name: first sync"; return; }
    check "1a. the first sync is remembered" test -s "$T/fw/synced"
    WHY="peers: $(bu fw peers --json)"
    check "1a2. peers --json: when the node and each peer last synced" eval '
        [ "$(bu fw peers --json | pj "(d[\"last_sync_ms\"] > 0, [p[\"last_sync_ms\"] > 0 for p in d[\"peers\"]])")" = "(True, [True])" ]'

    # offline: the laptop's buurtd stops; both sides edit the same place
    stop fw
    bu fw place status "$P" closed --note "water damage" >/dev/null ||
        { fail "$name: offline status"; return; }
    # the library's edit is made later: it wins the merge
    local N
    bu lib place status "$P" open --note "open as usual" >/dev/null &&
        N=$(bu lib need add --category food --summary "meals for 4 households" --area Feijenoord) ||
        { fail "$name: library edits"; return; }

    start fw && wait_connected fw lib || { fail "$name: back online"; return; }
    out=$(bu fw sync --wait --timeout "$WAIT" --digest 2>&1)
    rc=$?
    WHY="exit $rc, output: $out"
    check "1b. sync --wait --digest: in sync, digest of what changed while away" \
        eval '[ $rc -eq 0 ] && grep -q "^in sync with 1 peer" <<<"$out" && grep -q "^while away" <<<"$out" && grep -q "1 new, 1 changed" <<<"$out"'
    WHY="output: $out"
    check "1c. the digest says one of your edits lost" grep -q "2 conflicts with your own edits" <<<"$out"

    local cj
    cj=$(bu fw changes --json)
    WHY="changes --json: $cj"
    check "1d. changes: the need is new, the place changed" eval '
        [ "$(pj "sorted((r[\"change\"], r[\"kind\"]) for r in d[\"records\"])" <<<"$cj")" = "[('"'"'changed'"'"', '"'"'place'"'"'), ('"'"'new'"'"', '"'"'need'"'"')]" ]'
    check "1e. changes: status limited -> open, set by the library (by name)" eval '
        [ "$(pj "[(f[\"old\"], f[\"new\"], f[\"by_name\"].split(\" \")[0]) for r in d[\"records\"] for f in r[\"fields\"] if f[\"field\"] == \"status\"]" <<<"$cj")" = "[('"'"'limited'"'"', '"'"'open'"'"', '"'"'Bibliotheek'"'"')]" ]'
    check "1f. changes: the lost status is a conflict naming the winner" eval '
        [ "$(pj "sorted((k[\"field\"], k[\"mine\"], k[\"theirs\"], k[\"by_name\"].split(\" \")[0]) for r in d[\"records\"] for k in r[\"conflicts\"])" <<<"$cj")" = "[('"'"'status'"'"', '"'"'closed'"'"', '"'"'open'"'"', '"'"'Bibliotheek'"'"'), ('"'"'status_note'"'"', '"'"'water damage'"'"', '"'"'open as usual'"'"', '"'"'Bibliotheek'"'"')]" ]'

    out=$(bu fw conflicts)
    WHY="conflicts: $out"
    check "1g. conflicts lists both lost fields with the winner's name" eval '
        grep -q "^2 conflicts" <<<"$out" && grep -q "yours:  closed" <<<"$out" && grep -q "theirs: open .*Bibliotheek" <<<"$out"'

    local sid=${P:0:10}
    out=$(bu fw conflicts accept "$sid/status" 2>&1)
    WHY="accept: $out; then: $(bu fw conflicts --json)"
    check "1h. accept resolves one conflict" eval '
        [ "$(bu fw conflicts --json | pj "[k[\"field\"] for k in d[\"conflicts\"]]")" = "['"'"'status_note'"'"']" ]'
    out=$(bu fw conflicts keep-mine "$sid/status_note" 2>&1)
    WHY="keep-mine: $out; then: $(bu fw conflicts --json)"
    check "1i. keep-mine resolves the other: no conflicts left" eval '
        [ "$(bu fw conflicts --json | pj "len(d[\"conflicts\"])")" = 0 ]'
    sync_wait fw >/dev/null
    WHY="lib sees status_note $(field lib "$P" status_note)"
    check "1j. keep-mine set the laptop's value again, and the library has it" eval '
        [ "$(field fw "$P" status_note)" = "\"water damage\"" ] && wait_until "$WAIT" eval "[ \"\$(field lib $P status_note)\" = \"\\\"water damage\\\"\" ]"'
    out=$(bu fw conflicts accept "$sid/status" 2>&1)
    rc=$?
    WHY="exit $rc: $out"
    check "1k. accepting a resolved conflict again: exit 1, says so" eval '[ $rc -eq 1 ] && grep -q "no unresolved conflict" <<<"$out"'

    # an informed edit after the laptop's edit reached the mesh: no conflict
    local mark
    mark=$(bu fw changes --json | pj 'd["from_edit"] + d["edits"]')
    bu lib place status "$P" overloaded >/dev/null && sync_wait fw >/dev/null ||
        { fail "$name: later edit"; return; }
    WHY="conflicts: $(bu fw conflicts --json)"
    check "1l. a later, informed edit is no conflict" eval '
        [ "$(bu fw conflicts --json | pj "len(d[\"conflicts\"])")" = 0 ]'

    # windows: since an edit id, since a time, bad input
    local eid
    eid=$(bu fw show "$P" --history --json | pj '[h["edit"] for h in d["history"]][-1]' 2>/dev/null)
    out=$(bu fw changes --since 1d --json 2>&1)
    WHY="since 1d: $out"
    check "1m. --since 1d covers every record made today" eval '
        [ "$(pj "sorted(r[\"kind\"] for r in d[\"records\"])" <<<"$out")" = "['"'"'need'"'"', '"'"'place'"'"']" ]'
    out=$(bu fw changes --since "${eid:0:12}" --json 2>&1)
    WHY="since ${eid:0:12}: $out"
    check "1n. --since EDIT: nothing arrived after the newest edit of the place" eval '
        [ -n "$eid" ] && [ "$(pj "len(d[\"records\"])" <<<"$out")" = 0 ]'
    out=$(bu fw changes --since yesterday-ish 2>&1)
    rc=$?
    WHY="exit $rc: $out"
    check "1o. a bad --since is a usage error" eval '[ $rc -eq 2 ] && grep -q "last-sync" <<<"$out"'
    stop fw
    stop lib
}

# ---------------------------------------------------------------- 2. no peer
t2() {
    local name="2. sync reaching no peer"
    mknode solo Veldwerker2 && mknode gone Buurthuis && mkmesh gone solo ||
        { fail "$name: setup"; return; }
    link solo gone && start solo || { fail "$name: start"; return; }
    local out rc
    out=$(bu solo sync --wait --timeout 2 2>&1)
    rc=$?
    WHY="exit $rc: $out"
    check "2a. sync --wait with no peer reachable: exit 3, names the unreached peer" eval '
        [ $rc -eq 3 ] && grep -q "reached no peer" <<<"$out" && grep -q "(${NID[gone]:0:10} at tcp://127.0.0.1:${PORT[gone]})" <<<"$out"'
    stop solo
}

# ---------------------------------------------------------------- 3. coordinator
t3() {
    local name="3. coordinator"
    mknode co Coordinatie && mknode mo Moskee && mkmesh co mo || { fail "$name: setup"; return; }
    local p1 p2 p3 m o n1 n2 n3 n4 out
    p1=$(add_place co "Buurthuis West" --status open) &&
        p2=$(add_place co "Sporthal" --status closed --area Charlois) &&
        p3=$(add_place co "Kerk" --status limited) &&
        m=$(add_place mo "Moskee Al-Fath" --status open) &&
        o=$(bu mo offer add --provider "$m" --category food,information --capacity 30 --lang ar,nl --area Feijenoord) &&
        n1=$(bu co need add --category food --summary "meals for 4 households" --area Feijenoord --urgency high --people 12) &&
        n2=$(bu co need add --category food --summary "baby food" --area Feijenoord --urgency critical) &&
        n3=$(bu co need add --category information --summary "explain the water advice" --area Feijenoord --lang ti) &&
        n4=$(bu co need add --category shelter --summary "two beds for a night" --area Charlois) ||
        { fail "$name: records"; return; }
    start co && start mo && link mo co && wait_connected mo co && sync_wait mo && sync_wait co ||
        { fail "$name: sync"; return; }
    out=$(bu co overview --json)
    WHY="overview: $out"
    check "3a. overview: places by status, none stale yet" eval '
        [ "$(pj "(d[\"places\"][\"total\"], d[\"places\"][\"by_status\"][\"open\"], d[\"places\"][\"by_status\"][\"closed\"], d[\"places\"][\"by_status\"][\"limited\"], d[\"places\"][\"stale\"])" <<<"$out")" = "(4, 2, 1, 1, 0)" ]'
    check "3b. overview: open needs by category and urgency, people, offers and capacity" eval '
        [ "$(pj "[(c[\"category\"], c[\"open\"], c[\"by_urgency\"][\"critical\"], c[\"by_urgency\"][\"high\"], c[\"people\"], c[\"offers\"], c[\"capacity\"]) for c in d[\"needs\"][\"by_category\"]]" <<<"$out")" = "[('"'"'food'"'"', 2, 1, 1, 12, 1, 30), ('"'"'shelter'"'"', 1, 0, 0, 0, 0, 0), ('"'"'information'"'"', 1, 0, 0, 0, 1, 30)]" ]'
    check "3c. overview: Tigrinya asked, spoken by no offer" eval '
        [ "$(pj "[(l[\"lang\"], l[\"needs\"]) for l in d[\"languages_unserved\"]]" <<<"$out")" = "[('"'"'ti'"'"', 1)]" ]'
    out=$(BUURT_NOW_MS=$(($(now_ms) + 25 * 3600000)) bu co overview --json)
    WHY="overview a day later: $out"
    check "3d. a day later every status is stale" eval '[ "$(pj "d[\"places\"][\"stale\"]" <<<"$out")" = 4 ]'
    out=$(bu co overview --area Charlois --json)
    WHY="overview --area Charlois: $out"
    check "3e. overview --area counts that area only" eval '
        [ "$(pj "(d[\"places\"][\"total\"], d[\"needs\"][\"open\"])" <<<"$out")" = "(1, 1)" ]'
    out=$(bu co overview)
    WHY="overview: $out"
    check "3f. overview text: categories and the unserved language" eval '
        grep -q "^food " <<<"$out" && grep -q "places: 4, open 2" <<<"$out" && grep -q "no open offer speaks: ti" <<<"$out"'

    # hand-off: the coordinator claims n1 for the mosque's offer; the
    # mosque marks it done
    bu co need claim "$n1" --by "$o" >/dev/null && sync_wait mo || { fail "$name: claim"; return; }
    out=$(bu mo need claim "$n1" --by "$o" 2>&1)
    rc=$?
    WHY="exit $rc: $out"
    check "3f2. claiming a claimed need names who holds it" eval '
        [ $rc -eq 1 ] && grep -q "already claimed by offer of Moskee Al-Fath (Coordinatie" <<<"$out"'
    out=$(bu mo need done "$n1" 2>&1)
    WHY="need done on the mosque: $out"
    check "3g. hand-off: the offer's owner marks the claimed need done" eval '[ "$(field mo "$n1" status)" = "\"done\"" ]'
    out=$(bu mo need done "$n1" 2>&1)
    rc=$?
    WHY="exit $rc: $out"
    check "3g2. a done need says so and how to reopen it" eval '
        [ $rc -eq 1 ] && grep -q "is already done (reopen with: buurt need reopen" <<<"$out"'
    out=$(bu mo overview --json)
    WHY="overview: $out"
    check "3h. overview after done: one open food need" eval '
        [ "$(pj "[c[\"open\"] for c in d[\"needs\"][\"by_category\"] if c[\"category\"] == \"food\"]" <<<"$out")" = "[1]" ]'
    stop mo
    stop co
}

# ---------------------------------------------------------------- 4. one need, one record; bulletins
t4() {
    local name="4. duplicates and bulletins"
    mknode vb Voedselbank || { fail "$name: setup"; return; }
    local n1 n2 out rc
    n1=$(bu vb need add --category food --summary "Meals for 4 households in Feijenoord" --area Feijenoord --people 4 --lang nl) ||
        { fail "$name: need"; return; }
    out=$(bu vb need add --category food --summary "meals for four households, Feijenoord" --area Feijenoord --people 3 --lang ar 2>&1 >/dev/null)
    n2=$(bu vb list needs --json | pj '[r["id"] for r in d["items"] if r["id"] != "'"$n1"'"][0]')
    WHY="stderr: $out"
    check "4a. need add warns about an open near-identical need and names it" eval '
        grep -q "warning: an open need looks the same: ${n1:0:10}" <<<"$out" && [ -n "$n2" ]'
    out=$(bu vb need add --category food --summary "Meals for 4 households" --area Feijenoord --no-duplicates 2>&1)
    rc=$?
    WHY="exit $rc: $out"
    check "4b. --no-duplicates refuses it (exit 1) and adds nothing" eval '
        [ $rc -eq 1 ] && [ "$(bu vb list needs --json | pj "d[\"count\"]")" = 2 ]'
    out=$(bu vb need add --category food --summary "baby food and nappies" --area Feijenoord 2>&1 >/dev/null)
    WHY="stderr: $out"
    check "4c. a different need is no duplicate" test -z "$out"
    out=$(bu vb need merge "${n1:0:6}" "${n2:0:6}" 2>&1)
    WHY="merge: $out; keep: $(bu vb show "$n1" --json)"
    check "4d. need merge: people added, languages joined, the duplicate cancelled" eval '
        [ "$(field vb "$n1" people)" = 7 ] && [ "$(field vb "$n1" langs)" = "[\"nl\", \"ar\"]" ] &&
        [ "$(field vb "$n2" status)" = "\"cancelled\"" ] && [ "$(field vb "$n2" duplicate_of)" = "\"$n1\"" ]'

    local b1 b2
    b1=$(bu vb bulletin add --title "Water weer veilig" --body "Het kraanwater is weer veilig om te drinken. Laat de kraan eerst twee minuten lopen voordat u het water gebruikt." --lang nl) &&
        b2=$(bu vb bulletin add --title "ماء الصنبور آمن" --body "ماء الصنبور آمن للشرب مرة أخرى." --lang ar --translation-of "$b1") &&
        bu vb bulletin add --title "Stroom uit" --body "Tot 18:00 geen stroom." --area Charlois --lang nl >/dev/null ||
        { fail "$name: bulletins"; return; }
    out=$(COLUMNS=60 bu vb list bulletins)
    WHY="list bulletins: $out"
    check "4e. list bulletins shows the text wrapped, translations under the original" eval '
        grep -q "^    Het kraanwater is weer veilig" <<<"$out" && ! grep -q "Het kraanwater.*gebruikt" <<<"$out" &&
        [ "$(grep -n "translation:" <<<"$out" | cut -d: -f1)" -gt "$(grep -n "Water weer veilig" <<<"$out" | cut -d: -f1)" ] &&
        grep -q "^    ${b2:0:10}" <<<"$out"'
    out=$(bu vb list bulletins --area Feijenoord --json | pj 'sorted(r["fields"]["title"] for r in d["items"])')
    WHY="--area Feijenoord: $out"
    check "4f. --area: bulletins of that area and mesh-wide ones" eval '[ "$out" = "['"'"'Water weer veilig'"'"', '"'"'ماء الصنبور آمن'"'"']" ]'
    out=$(bu vb list bulletins --lang ar --json | pj '[r["id"] for r in d["items"]]')
    WHY="--lang ar: $out"
    check "4g. --lang ar: the Arabic translation only" eval '[ "$out" = "['"'"'$b2'"'"']" ]'
    out=$(bu vb list bulletins --lang xx 2>&1)
    rc=$?
    WHY="exit $rc: $out"
    check "4h. --lang with a code that is no language: usage error" eval '[ $rc -eq 2 ]'
}

# ---------------------------------------------------------------- 5. organisation
t5() {
    local name="5. organisation sharing its status"
    mknode ms "Moskee Al-Fath" && mknode bi Bibliotheek && mkmesh bi ms || { fail "$name: setup"; return; }
    start bi && start ms && link ms bi && wait_connected ms bi || { fail "$name: start"; return; }
    local P out
    P=$(add_place ms "Moskee Al-Fath" --status open --note "iftar meals from 18:00" --channels doorstep,phone) &&
        sync_wait ms || { fail "$name: status"; return; }
    out=$(bu bi list places --json)
    WHY="library's list: $out"
    check "5a. the library sees the mosque's status, fresh, with its note" eval '
        [ "$(pj "[(r[\"fields\"][\"status\"], r[\"fields\"][\"status_note\"], r[\"stale\"], r[\"status_age_ms\"] < 600000) for r in d[\"items\"]]" <<<"$out")" = "[('"'"'open'"'"', '"'"'iftar meals from 18:00'"'"', False, True)]" ]'
    out=$(bu bi show "$P")
    WHY="show: $out"
    check "5b. show names the organisation that set it (its certificate's name), not a key" grep -q "by ms (${NID[ms]:0:10})" <<<"$out"
    out=$(BUURT_NOW_MS=$(($(now_ms) + 25 * 3600000)) bu bi list places)
    WHY="a day later: $out"
    check "5c. a day later the library's list marks the status stale" grep -q "(stale)" <<<"$out"
    bu ms place status "$P" closed --note "closed today" >/dev/null && sync_wait ms >/dev/null
    WHY="library sees: $(bu bi list places --json)"
    check "5d. a new status reaches the library, fresh" eval '
        wait_until "$WAIT" eval "bu bi list places --json | pj \"[(r[\\\"fields\\\"][\\\"status\\\"], r[\\\"stale\\\"]) for r in d[\\\"items\\\"]] == [(\\\"closed\\\", False)] or sys.exit(1)\" >/dev/null"'
    stop ms
    stop bi
}

t1
t2
t3
t4
t5
daemons_finish
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
