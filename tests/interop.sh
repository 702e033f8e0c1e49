#!/usr/bin/env bash
# tests/interop.sh -- end-to-end test of `buurt export` and `buurt import`
# (docs/interop.md).
#
#   1. golden files: a small fixed data set (a fixed test key and
#      BUURT_NOW_MS, so ids and times are the same every run) exported in
#      every format must match tests/golden/interop/ byte for byte. After a
#      deliberate format change, regenerate them with
#          BUURT_WRITE_GOLDEN=1 bash tests/interop.sh
#      and review the diff.
#   2. the example neighbourhood (examples/neighbourhood.sh) exported in
#      every format: HSDS checked against the standard's tables (required
#      fields, unique ids, references that exist, enumerations), GeoJSON
#      against RFC 7946 (FeatureCollection, Point, [longitude, latitude], no
#      crs), HXL's hashtag row, and no field outside the documented lists,
#      no node id and no need text with personal data in any file.
#   3. round trips: HSDS and CSV into a fresh node give the same places and
#      offers, the documented losses aside.
#   4. import twice: no duplicates; a changed row updates its record only.
#   5. bad input: each rejected row with its line and reason, nothing
#      written; --dry-run writes nothing; files that are not what the format
#      says are refused.
#   6. HSDS's JSON forms and zip archives: the JSON form and the .zip give
#      the same places and offers as the folder; another directory's
#      package (HSDS 3.x API objects, no buurt taxonomy) becomes offers
#      through the taxonomy mapping, with what maps to nothing listed as
#      left out; malformed JSON and damaged zips are refused with one line
#      before anything is written.
#
# Needs python3. Runs in a few seconds; prints one FAIL line per failed
# check and ends with "N passed, M failed"; exits 1 if any check failed.
set -u

BUURT=${BUURT:-build/buurt}
case $BUURT in /*) ;; *) BUURT=$PWD/$BUURT ;; esac
[ -x "$BUURT" ] || { echo "interop.sh: $BUURT is not executable; run make all" >&2; exit 1; }
command -v python3 >/dev/null || { echo "interop.sh: needs python3" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GOLDEN=$ROOT/tests/golden/interop

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
export HOME=$T/home
mkdir -p "$HOME"
unset BUURT_HOME XDG_DATA_HOME
export LC_ALL=C
export BUURT_NOW_MS=1767225600000 # 2026-01-01T00:00:00Z

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok; else bad "$d"; fi
}
bu() { local h=$1; shift; "$BUURT" --home "$h" "$@"; }

# ---------------------------------------------------------------- 1. goldens

# A test key, public on purpose: it makes the record ids of the golden data
# the same every run.
G=$T/golden
bu "$G" init --name Golden >/dev/null
printf 'buurt-ed25519-sk %s\n' \
    a4e3fca325e707d3dc0cb35528e1be5d3d2da14e574ed73e9f83f531a22030d6a0002c755b6637c3370f7a0f3d07003e2ecb9921893b1816a2dd22d026064b4a \
    >"$G/node.key"
chmod 600 "$G/node.key"
kroon=$(bu "$G" place add --name "Buurthuis De Kroon" --kind community-centre --area Feijenoord \
    --address "Oranjeboomstraat 114" --lat 51.9055 --lon 4.4945 --lang nl,tr,ar \
    --hours "Mon-Fri 9:00-21:00" --access "step-free entrance" --functions inform,connect \
    --contact "info@dekroon.example, 010 000 1101" --status alternative \
    --note 'closed; help by phone, "doorstep" too' --capacity 25 --channels phone,doorstep \
    --reaches "older Turkish migrants")
mevlana=$(bu "$G" place add --name "مسجد مولانا" --kind religious --area Feijenoord --lat 51.9008 --lon 4.5031 \
    --lang ar,tr --status open)
eritrea=$(bu "$G" place add --name "ማሕበር ኤርትራውያን" --kind migrant-organisation --area Afrikaanderwijk \
    --lang ti,nl --status limited --note "Tuesdays only")
coal=$(bu "$G" coalition add --name "Feijenoord Zorgt" --purpose "one intake for food and errands" --area Feijenoord)
bu "$G" coalition member "$coal" "$kroon" --role lead >/dev/null
bu "$G" offer add --provider "$kroon" --category food,contact --area Feijenoord --lang nl,tr --capacity 15 \
    --until 14d --note "warm meal at the door, Tue and Thu" >/dev/null
bu "$G" offer add --provider "$eritrea" --category information --area Afrikaanderwijk --lang ti --capacity 10 >/dev/null
bu "$G" offer add --provider "$coal" --category errands --area Feijenoord --capacity 30 >/dev/null
bu "$G" need add --category food --area Feijenoord --people 6 --summary "Warm meals for older residents" >/dev/null
bu "$G" need add --category food --area Feijenoord --people 2 --summary "Halal food parcels" >/dev/null
bu "$G" need add --category information --area Afrikaanderwijk --summary "Letters read out in Tigrinya" >/dev/null
bu "$G" need add --category contact --area Feijenoord --summary "Call back on 06 12345678 please" \
    --allow-contact-details >/dev/null
bu "$G" bulletin add --title "Test bus" --body "Weekdays 9-16, no appointment" --lang nl,en >/dev/null
: "$mevlana"

mkdir -p "$T/gout"
bu "$G" export --format csv -o "$T/gout/csv" >/dev/null
bu "$G" export --format hsds -o "$T/gout/hsds" >/dev/null
bu "$G" export --format hxl -o "$T/gout/3w.csv" >/dev/null
bu "$G" export --format geojson -o "$T/gout/places.geojson" >/dev/null
if [ "${BUURT_WRITE_GOLDEN:-0}" = 1 ]; then
    rm -rf "$GOLDEN"
    mkdir -p "$GOLDEN"
    cp -r "$T/gout/." "$GOLDEN/"
    rm -f "$GOLDEN/hsds/hsds.json" # the same rows as the CSV tables; checked below, not kept
    echo "interop.sh: wrote $GOLDEN"
fi
if diff -r -x hsds.json "$GOLDEN" "$T/gout" >"$T/golden.diff"; then ok; else
    bad "exports differ from tests/golden/interop (diff below; BUURT_WRITE_GOLDEN=1 after a deliberate change)"
    head -40 "$T/golden.diff"
fi
# the same store gives the same bytes
bu "$G" export --format hsds -o "$T/gout2" >/dev/null
check "a second HSDS export is byte-identical" diff -r "$T/gout/hsds" "$T/gout2"
check "golden CSV keeps Arabic and Tigrinya text" grep -q "مسجد مولانا" "$T/gout/csv/places.csv"
check "golden GeoJSON keeps non-Latin names" grep -q "مسجد مولانا" "$T/gout/places.geojson"
check "a need with a phone number is withheld from every export" \
    bash -c "! grep -rq '06 12345678' '$T/gout'"

# ---------------------------------------------------------------- 2. neighbourhood

N=$T/n
bu "$N" init --name Zuid >/dev/null
bash "$ROOT/examples/neighbourhood.sh" --home "$N" --buurt "$BUURT" >/dev/null || bad "neighbourhood.sh failed"
NODE=$(bu "$N" id)
E=$T/export
mkdir -p "$E"
check "export csv" bu "$N" export --format csv -o "$E/csv" --json >"$E/csv.json"
check "export hsds" bu "$N" export --format hsds -o "$E/hsds" >/dev/null
check "export hxl" bu "$N" export --format hxl -o "$E/3w.csv" >/dev/null
check "export geojson" bu "$N" export --format geojson -o "$E/places.geojson" >/dev/null
check "export geojson to stdout" bash -c "'$BUURT' --home '$N' export --format geojson -o - | cmp -s - '$E/places.geojson'"
check "no node id appears in any export" bash -c "! grep -rq '$NODE' '$E'"

python3 - "$E" "$N" "$BUURT" <<'EOF' || bad "structural checks (see above)"
import csv, json, os, re, subprocess, sys
E, N, B = sys.argv[1:4]
errors = []
def err(m): errors.append(m)

def rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))

# HSDS 3.x: the tables buurt writes, their required fields and enumerations,
# as Open Referral's schema (schema/simple/schema.csv) defines them.
REQUIRED = {
    "organization": ["id", "name", "description"],
    "program": ["id", "organization_id", "name", "description"],
    "service": ["id", "organization_id", "name", "status"],
    "location": ["id", "location_type"],
    "service_at_location": ["id", "service_id", "location_id"],
    "service_area": ["id"],
    "phone": ["id", "number"],
    "language": ["id"],
    "schedule": ["id"],
    "accessibility": ["id"],
    "unit": ["id", "name"],
    "service_capacity": ["id", "service_id", "unit_id", "available", "updated"],
    "taxonomy": ["id", "name", "description"],
    "taxonomy_term": ["id", "name", "description"],
    "attribute": ["id", "link_id", "taxonomy_term_id", "link_entity"],
}
ENUMS = {("service", "status"): {"active", "inactive", "defunct", "temporarily closed"},
         ("location", "location_type"): {"physical", "postal", "virtual"}}
REFS = {"organization_id": "organization", "program_id": "program", "service_id": "service",
        "location_id": "location", "unit_id": "unit", "taxonomy_term_id": "taxonomy_term",
        "taxonomy_id": "taxonomy"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
H = os.path.join(E, "hsds")
pkg = json.load(open(os.path.join(H, "datapackage.json")))
if pkg.get("profile") != "tabular-data-package":
    err("datapackage.json: profile is not tabular-data-package")
names = {r["name"] for r in pkg["resources"]}
if names != set(REQUIRED):
    err("datapackage.json lists %s" % sorted(names ^ set(REQUIRED)))
T = {}
for t in REQUIRED:
    T[t] = rows(os.path.join(H, t + ".csv"))
ids = {t: {r["id"] for r in T[t]} for t in T}
for t, rs in T.items():
    if len(ids[t]) != len(rs):
        err("%s: ids are not unique" % t)
    for r in rs:
        for f in REQUIRED[t]:
            if not r.get(f):
                err("%s %s: required %s is empty" % (t, r.get("id"), f))
        if not UUID.match(r["id"]):
            err("%s: id %s is not a UUID" % (t, r["id"]))
        for (tt, f), allowed in ENUMS.items():
            if tt == t and r[f] not in allowed:
                err("%s %s: %s '%s' is not one of %s" % (t, r["id"], f, r[f], sorted(allowed)))
        for f, target in REFS.items():
            if r.get(f) and r[f] not in ids[target]:
                err("%s %s: %s %s names no %s" % (t, r["id"], f, r[f], target))
        if t == "attribute" and r["link_id"] not in ids.get(r["link_entity"], set()):
            err("attribute %s: link_id names no %s" % (r["id"], r["link_entity"]))
        for f in ("latitude", "longitude", "available"):
            if r.get(f):
                float(r[f])
hj = json.load(open(os.path.join(H, "hsds.json")))
for t in REQUIRED:
    if len(hj.get(t, [])) != len(T[t]):
        err("hsds.json: %s has %d rows, the CSV %d" % (t, len(hj.get(t, [])), len(T[t])))
if len(T["location"]) != 30 or len(T["program"]) != 3:
    err("HSDS: expected 30 locations and 3 programs, got %d and %d" % (len(T["location"]), len(T["program"])))

# GeoJSON, RFC 7946
g = json.load(open(os.path.join(E, "places.geojson")))
if g.get("type") != "FeatureCollection" or "crs" in g:
    err("GeoJSON: not a FeatureCollection, or has a crs member (RFC 7946 §4)")
for ft in g["features"]:
    geo = ft.get("geometry") or {}
    c = geo.get("coordinates")
    if ft.get("type") != "Feature" or geo.get("type") != "Point" or not isinstance(c, list) or len(c) != 2:
        err("GeoJSON: feature %s is not a Point feature" % ft.get("id"))
        continue
    lon, lat = c
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        err("GeoJSON: %s out of range" % c)
    for k in ("name", "kinds", "status", "status_at", "area"):
        if k not in ft["properties"]:
            err("GeoJSON: feature %s has no %s" % (ft.get("id"), k))
kroon = [f for f in g["features"] if f["properties"]["name"] == "Buurthuis De Kroon"]
if not kroon or kroon[0]["geometry"]["coordinates"] != [4.4945, 51.9055]:
    err("GeoJSON: Buurthuis De Kroon is not at [4.4945, 51.9055] (longitude first)")

# HXL: a row of headings, then a row of hashtags
with open(os.path.join(E, "3w.csv"), newline="", encoding="utf-8") as f:
    hx = list(csv.reader(f))
tag = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*$")
for t in hx[1]:
    if not tag.match(t):
        err("HXL: '%s' is not a hashtag" % t)
for t in ("#org+name", "#adm2+name", "#sector+code", "#status", "#date+reported", "#geo+lat", "#geo+lon",
          "#language+code", "#inneed"):
    if t not in hx[1]:
        err("HXL: no %s column" % t)
kinds = [r[0] for r in hx[2:]]
needs = json.loads(subprocess.check_output([B, "--home", N, "list", "needs", "--json"]))["items"]
pairs = {(n["fields"].get("area", ""), n["fields"]["category"]) for n in needs
         if n.get("status_now", n["fields"].get("status")) in ("open", "claimed")}
if kinds.count("needs") != len(pairs):
    err("HXL: %d need rows for %d (area, category) pairs: needs must be counted, not listed" % (kinds.count("needs"), len(pairs)))

# no field outside the documented lists (docs/interop.md)
DOC = {
    "places.csv": "id name kinds address area lat lon langs hours access functions contact status status_note status_at capacity channels reaches hub source_ref",
    "offers.csv": "id provider provider_name categories area langs capacity until note source_ref",
    "needs.csv": "id category summary area langs urgency people status expires coalition",
    "coalitions.csv": "id name purpose area functions contact members",
    "bulletins.csv": "id date title body langs source area replaces translation_of",
}
for fn, cols in DOC.items():
    with open(os.path.join(E, "csv", fn), newline="", encoding="utf-8-sig") as f:
        head = next(csv.reader(f))
    if head != cols.split():
        err("CSV %s: columns %s are not the documented ones" % (fn, head))
HSDS_COLS = {
    "organization": "id name description email", "program": "id organization_id name description",
    "service": "id organization_id program_id name description status alert last_modified",
    "location": "id location_type organization_id name description latitude longitude",
    "service_at_location": "id service_id location_id", "service_area": "id service_id name",
    "phone": "id organization_id number type description", "language": "id service_id location_id code",
    "schedule": "id service_id location_id description", "accessibility": "id location_id description",
    "unit": "id name", "service_capacity": "id service_id unit_id available description updated",
    "taxonomy": "id name description", "taxonomy_term": "id code name description taxonomy_id",
    "attribute": "id link_id taxonomy_term_id link_type link_entity value",
}
for t, cols in HSDS_COLS.items():
    with open(os.path.join(H, t + ".csv"), newline="", encoding="utf-8") as f:
        head = next(csv.reader(f))
    if head != cols.split():
        err("HSDS %s: columns %s are not the documented ones" % (t, head))
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
EOF
[ $? -eq 0 ] && ok

# ---------------------------------------------------------------- 3. round trips

# compare.py NODE-A NODE-B IGNORED-FIELDS: same places (by name) and offers
# (by provider name and categories), fields compared except those ignored
cat >"$T/compare.py" <<'EOF'
import json, subprocess, sys
B, a, b, ignore = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4].split(","))
want_offers = int(sys.argv[5])
def items(h, k):
    return json.loads(subprocess.check_output([B, "--home", h, "list", k, "--json"]))["items"]
def places(h):
    return {p["fields"]["name"]: {k: v for k, v in p["fields"].items() if k not in ignore} for p in items(h, "places")}
pa, pb = places(a), places(b)
errors = []
if set(pa) != set(pb):
    errors.append("places differ: %s" % sorted(set(pa) ^ set(pb)))
for n in pa:
    if n in pb and pa[n] != pb[n]:
        errors.append("%s: %s" % (n, {k: (pa[n].get(k), pb[n].get(k)) for k in set(pa[n]) | set(pb[n]) if pa[n].get(k) != pb[n].get(k)}))
def offers(h):
    names = {p["id"]: p["fields"]["name"] for p in items(h, "places")}
    out = set()
    for o in items(h, "offers"):
        f = o["fields"]
        if f["provider"] in names:
            out.add((names[f["provider"]], tuple(f["categories"]), f.get("area"), tuple(f.get("langs", [])), f.get("capacity")))
    return out
oa, ob = offers(a), offers(b)
if oa != ob or len(ob) != want_offers:
    errors.append("offers differ (%d here, %d there, %d expected): %s" % (len(oa), len(ob), want_offers, sorted(oa ^ ob)[:3]))
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
EOF

R1=$T/r1
bu "$R1" init --name R1 >/dev/null
check "import the HSDS export into a fresh node" bu "$R1" import --format hsds "$E/hsds" >/dev/null 2>&1
# HSDS loses: hub (no field), contact text that is neither e-mail nor phone,
# editors (node ids), and coalitions' offers (3 in the example)
check "HSDS round trip: same places and offers, documented losses aside" \
    python3 "$T/compare.py" "$BUURT" "$N" "$R1" source_ref,editors,hub,contact 17
R2=$T/r2
bu "$R2" init --name R2 >/dev/null
check "import the CSV export into a fresh node" bu "$R2" import --format csv "$E/csv" >/dev/null 2>&1
check "CSV round trip: same places and offers (coalitions' offers aside)" \
    python3 "$T/compare.py" "$BUURT" "$N" "$R2" source_ref,editors 17

# ---------------------------------------------------------------- 4. twice

S=$T/s
MAP=$ROOT/examples/social-map.map
bu "$S" init --name Sociale-kaart >/dev/null
out=$(bu "$S" import --format csv "$ROOT/examples/social-map.csv" --map "$MAP")
check "the Dutch social map imports: $out" grep -q "imported: 6 new" <<<"$out"
out=$(bu "$S" import --format csv "$ROOT/examples/social-map.csv" --map "$MAP")
check "a second import changes nothing: $out" grep -q "0 new, 0 updated, 6 unchanged" <<<"$out"
check "no duplicates after two imports" \
    bash -c "[ \$('$BUURT' --home '$S' list places --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"count\"])') = 6 ]"
check "Dutch kinds are mapped" bash -c "'$BUURT' --home '$S' list places --category library | grep -q 'Bibliotheek Bloemhof'"
sed 's/^Kerk De Ark;\(.*\);gesloten$/Kerk De Ark;\1;open/' "$ROOT/examples/social-map.csv" >"$T/social-map.csv"
out=$(BUURT_NOW_MS=1767229200000 bu "$S" import --format csv "$T/social-map.csv" --map "$MAP" --json)
check "a changed row updates its record, and only that" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
up = [r for r in d["records"] if r["action"] == "updated"]
sys.exit(0 if d["updated"] == 1 and d["unchanged"] == 5 and up[0]["fields"] == ["status", "status_at"] else 1)' "$out"
check "the update shows" bash -c "'$BUURT' --home '$S' list places --status open | grep -q 'Kerk De Ark'"

# ---------------------------------------------------------------- 5. bad input

printf 'Naam;Soort;Wijk\nGoed;Buurthuis;Zuid\n;Kerk;Zuid\nZwembad De Wel;Zwembad;Zuid\n"Bel 06 12345678";Kerk;Zuid\n"%s";Kerk;Zuid\nGoed;Moskee;Zuid\n' \
    "$(python3 -c 'print("x" * 130)')" >"$T/bad.csv"
printf 'Naam = name\nSoort = kinds\nWijk = area\n' >"$T/bad.map"
before=$(bu "$S" edits | wc -l)
bu "$S" import --format csv "$T/bad.csv" --map "$T/bad.map" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
check "bad rows: exit 1 (got $rc)" [ $rc = 1 ]
for want in "bad.csv:3: no name" "bad.csv:4: unknown kind 'Zwembad'" "bad.csv:5: name: text contains a phone number" \
    "bad.csv:6: name: must be 1 to 120 characters" "bad.csv:7: the same key as line 2"; do
    check "reported: $want" grep -qF "$want" "$T/bad.err"
done
check "nothing written when a row is rejected" [ "$(bu "$S" edits | wc -l)" = "$before" ]
bu "$S" import --format csv "$T/bad.csv" --map "$T/bad.map" --dry-run >/dev/null 2>&1
check "--dry-run writes nothing" [ "$(bu "$S" edits | wc -l)" = "$before" ]
out=$(bu "$S" import --format csv "$T/bad.csv" --map "$T/bad.map" --skip-bad 2>/dev/null)
check "--skip-bad imports the good row: $out" grep -q "imported: 1 new" <<<"$out"
before=$(bu "$S" edits | wc -l)
printf 'Naam;Soort\n"never closed;Kerk\n' >"$T/broken.csv"
bu "$S" import --format csv "$T/broken.csv" --map "$T/bad.map" >/dev/null 2>"$T/broken.err"
check "an unclosed quote: exit 1 with the line" bash -c "[ $? = 1 ] && grep -q 'line 2' '$T/broken.err'"
head -c 2000 /dev/urandom >"$T/random.csv"
bu "$S" import --format csv "$T/random.csv" --map "$T/bad.map" >/dev/null 2>&1
check "random bytes are refused (exit 1)" [ $? = 1 ]
bu "$S" import --format hsds "$T/social-map.csv" >/dev/null 2>&1
check "a file is not an HSDS package (exit 1)" [ $? = 1 ]
mkdir -p "$T/empty"
bu "$S" import --format hsds "$T/empty" >/dev/null 2>"$T/empty.err"
check "an empty folder is not an HSDS package" bash -c "[ $? = 1 ] && grep -q 'not an HSDS data package' '$T/empty.err'"
bu "$S" import --format csv "$E/csv/needs.csv" >/dev/null 2>&1
check "a sheet of unknown columns without --map is refused" [ $? = 1 ]
check "and nothing was written by any of them" [ "$(bu "$S" edits | wc -l)" = "$before" ]
bu "$S" import --format xml "$T/bad.csv" >/dev/null 2>&1
check "an unknown format is a usage error (exit 2)" [ $? = 2 ]
bu "$S" export --format hsds >/dev/null 2>&1
check "export without -o is a usage error (exit 2)" [ $? = 2 ]
bu "$S" export --format csv -o "$T/x" --kind swimming >/dev/null 2>&1
check "an unknown --kind is a usage error (exit 2)" [ $? = 2 ]
bu "$N" export --format hxl -o "$T/lib.csv" --kind library >/dev/null
check "--kind library exports only libraries" bash -c "[ \$(grep -c '^place,' '$T/lib.csv') = 1 ]"

# ---------------------------------------------------------------- 6. JSON, zip, other directories

# the JSON form (hsds.json) gives what the CSV tables give
R3=$T/r3
bu "$R3" init --name R3 >/dev/null
check "import the HSDS JSON form into a fresh node" bu "$R3" import --format hsds "$E/hsds/hsds.json" >/dev/null 2>&1
check "HSDS JSON round trip: same places and offers as the CSV tables give" \
    python3 "$T/compare.py" "$BUURT" "$N" "$R3" source_ref,editors,hub,contact 17
# zip: export, export again (same bytes), import
check "export hsds as a .zip" bu "$N" export --format hsds -o "$E/hsds.zip" >/dev/null
bu "$N" export --format hsds -o "$E/hsds2.zip" >/dev/null
check "a second .zip export is byte-identical" cmp -s "$E/hsds.zip" "$E/hsds2.zip"
check "the .zip holds the folder's files" python3 -c '
import sys, zipfile, os
names = sorted(zipfile.ZipFile(sys.argv[1]).namelist())
sys.exit(0 if names == sorted(os.listdir(sys.argv[2])) else 1)' "$E/hsds.zip" "$E/hsds"
R4=$T/r4
bu "$R4" init --name R4 >/dev/null
check "import the HSDS .zip into a fresh node" bu "$R4" import --format hsds "$E/hsds.zip" >/dev/null 2>&1
check "HSDS zip round trip: same places and offers" \
    python3 "$T/compare.py" "$BUURT" "$N" "$R4" source_ref,editors,hub,contact 17
out=$(bu "$R4" import --format hsds "$E/hsds" 2>/dev/null)
check "the folder after its .zip adds nothing (one dataset): $out" grep -q "0 new, 0 updated, 47 unchanged" <<<"$out"
R5=$T/r5
bu "$R5" init --name R5 >/dev/null
bu "$N" export --format csv -o "$E/sheets.zip" >/dev/null
check "import the CSV sheets as a .zip" bu "$R5" import --format csv "$E/sheets.zip" >/dev/null 2>&1
check "CSV zip round trip: same places and offers" \
    python3 "$T/compare.py" "$BUURT" "$N" "$R5" source_ref,editors 17

# another directory's package: HSDS 3.x API objects, no buurt taxonomy
cat >"$T/gemeente.json" <<'JSON'
{"total_items": 4, "page": 1, "contents": [
 {"id": "svc-1", "name": "Voedselbank uitgifte", "status": "active", "description": "Pakketten op vrijdag",
  "organization": {"id": "org-1", "name": "Voedselbank Zuid", "description": "voedselbank",
                   "phones": [{"id": "ph-1", "number": "010 000 2222"}]},
  "service_areas": [{"id": "sa-1", "name": "Charlois"}],
  "languages": [{"id": "la-1", "code": "nl"}, {"id": "la-2", "code": "ar"}],
  "service_at_locations": [{"id": "sal-1", "location": {"id": "loc-1", "location_type": "physical",
     "name": "Uitgiftepunt Wolphaert", "latitude": 51.88, "longitude": 4.48,
     "addresses": [{"id": "ad-1", "address_1": "Wolphaertsbocht 1", "city": "Rotterdam",
                    "postal_code": "3083 AA", "state_province": "ZH", "country": "NL"}]}}]},
 {"id": "svc-2", "name": "Winteropvang", "status": "active",
  "organization": {"id": "org-1", "name": "Voedselbank Zuid", "description": "voedselbank"},
  "attributes": [{"id": "at-1", "taxonomy_term": {"id": "tt-1", "code": "BH-1800.8500", "name": "Emergency Shelter"}}],
  "service_at_locations": [{"id": "sal-2", "location": {"id": "loc-1"}}]},
 {"id": "svc-3", "name": "Inloopspreekuur geldzaken", "status": "active",
  "organization": {"id": "org-1", "name": "Voedselbank Zuid", "description": "voedselbank"},
  "service_at_locations": [{"id": "sal-3", "location": {"id": "loc-1"}}]},
 {"id": "svc-4", "name": "Tuinonderhoud", "status": "active",
  "organization": {"id": "org-1", "name": "Voedselbank Zuid", "description": "voedselbank"},
  "service_at_locations": [{"id": "sal-4", "location": {"id": "loc-1"}}]}
]}
JSON
cat >"$T/foreign.py" <<'PY'
import json, subprocess, sys
B, h = sys.argv[1:3]
def items(k):
    return json.loads(subprocess.check_output([B, "--home", h, "list", k, "--json"]))["items"]
places = items("places")
got = sorted(tuple(o["fields"]["categories"]) for o in items("offers"))
ok = (len(places) == 1 and places[0]["fields"]["name"] == "Uitgiftepunt Wolphaert"
      and places[0]["fields"].get("address") == "Wolphaertsbocht 1, 3083 AA, Rotterdam"
      and got == [("food",), ("information", "money"), ("shelter",)])
if not ok:
    print("  places %s, offers %s" % ([p["fields"] for p in places], got))
sys.exit(0 if ok else 1)
PY
F=$T/f
bu "$F" init --name Foreign >/dev/null
bu "$F" import --format hsds "$T/gemeente.json" --json >"$T/f.json" 2>"$T/f.err"
check "another directory's package imports (exit 0)" [ $? = 0 ]
check "its services become offers through the taxonomy mapping" python3 "$T/foreign.py" "$BUURT" "$F"
check "a service that maps to nothing is listed as left out in --json, with its line" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
l = d["left_out"]
sys.exit(0 if d["ignored"] == 1 and len(l) == 1 and d["created"] == 4 and l[0]["file"] == "gemeente.json"
         and l[0]["line"] == 18 and "Tuinonderhoud" in l[0]["reason"] else 1)' "$T/f.json"
bu "$F" import --format hsds "$T/gemeente.json" >"$T/f2.out" 2>"$T/f2.err"
check "without --json, the left-out service is on stderr" grep -qF "left out: gemeente.json:18: service 'Tuinonderhoud'" "$T/f2.err"
check "importing it again changes nothing: $(cat "$T/f2.out")" grep -q "0 new, 0 updated, 4 unchanged" "$T/f2.out"

# refused before anything is written, with one line that says why
before=$(bu "$F" edits | wc -l)
printf '{"organization": [{"id": "a", "name": "x",}]}\n' >"$T/bad.json"
bu "$F" import --format hsds "$T/bad.json" >/dev/null 2>"$T/badjson.err"
check "malformed JSON: exit 1" [ $? = 1 ]
check "malformed JSON: one line naming the fault" \
    bash -c "[ \$(wc -l <'$T/badjson.err') = 1 ] && grep -q 'not JSON buurt can read: line 1: a comma before' '$T/badjson.err'"
printf '{"organization": [{"id": "a", "name": "Dubbel", "name": "x"}]}' >"$T/dup.json"
bu "$F" import --format hsds "$T/dup.json" >/dev/null 2>&1
check "a name twice in one JSON object is refused" [ $? = 1 ]
head -c 3000 "$E/hsds.zip" >"$T/cut.zip"
bu "$F" import --format hsds "$T/cut.zip" >/dev/null 2>"$T/cut.err"
check "a truncated zip: exit 1, one line" \
    bash -c "[ $? = 1 ] && [ \$(wc -l <'$T/cut.err') = 1 ] && grep -q 'not a zip archive buurt can read' '$T/cut.err'"
python3 -c '
import sys, zipfile
i = zipfile.ZipFile(sys.argv[1]).getinfo("location.csv")
d = bytearray(open(sys.argv[1], "rb").read())
start = i.header_offset + 30 + len(i.filename.encode()) + len(i.extra)
d[start + i.compress_size // 2] ^= 0x55
open(sys.argv[2], "wb").write(d)' "$E/hsds.zip" "$T/crc.zip"
bu "$F" import --format hsds "$T/crc.zip" >/dev/null 2>"$T/crc.err"
check "a zip with a damaged entry: exit 1, one line" \
    bash -c "[ $? = 1 ] && [ \$(wc -l <'$T/crc.err') = 1 ] && grep -q 'is damaged: location.csv cannot be unpacked' '$T/crc.err'"
check "nothing was written by any of them" [ "$(bu "$F" edits | wc -l)" = "$before" ]

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
