#!/usr/bin/env bash
# tests/browser.sh -- the web board (buurtd --http) in a real browser:
# headless Chromium loads the pages of a node holding the example
# neighbourhood and the test asserts on the DOM Chromium built
# (--dump-dom), and keeps screenshots at 360x800 (a phone) and 1280x800.
#
#   1. the board, needs, offers, bulletins, a place and the print view
#      render: the DOM has the places, no <script> element, and the
#      page's own links (every href is a path on the board).
#   2. a status change made with the CLI is in the DOM on the next load.
#   (Chromium asks for English by Accept-Language: pages without ?lang=
#   come in English, which checks that header too.)
#   3. the Arabic page's DOM has <html lang="ar" dir="rtl">.
#   4. a private coalition's records (sealed for it) are absent from the
#      DOM even though this node can read them.
#   5. screenshots of the board (nl, ar), a place and the print view at
#      360x800 and 1280x800 are PNGs; they stay in the test's temporary
#      directory, and are copied to $ARTEFACTS when that is set.
#
# Without Chromium it prints SKIPPED with the reason and exits 0 (CI
# installs it: .ci/deps-browser). Chromium is found as $CHROMIUM, else
# chromium, chromium-browser or google-chrome on PATH.
# Env: BUURT, BUURTD, CHROMIUM, ARTEFACTS. Run from the repository root.
# shellcheck disable=SC2015,SC2016
set -u

CHROME=${CHROMIUM:-}
if [ -z "$CHROME" ]; then
    for c in chromium chromium-browser google-chrome; do
        command -v "$c" >/dev/null 2>&1 && { CHROME=$(command -v "$c"); break; }
    done
fi
if [ -z "$CHROME" ]; then
    echo "SKIPPED browser tests: Chromium is not installed (Debian: apt install chromium; CI runs .ci/deps-browser)"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi

# shellcheck source=lib/daemons.bash source-path=SCRIPTDIR
. "$(dirname "$0")/lib/daemons.bash" || exit 1
daemons_init

SANDBOX=()
[ "$(id -u)" = 0 ] && SANDBOX=(--no-sandbox) # Chromium's sandbox refuses root
# chrome ARGS...: headless Chromium with its own profile, bounded in time.
chrome() {
    timeout 90 "$CHROME" --headless --disable-gpu --no-first-run --hide-scrollbars \
        "${SANDBOX[@]}" --user-data-dir="$T/profile" "$@" 2>>"$T/chrome.err"
}
# warm PATH: asks for PATH (as Chromium does, in English) until buurtd
# answers 200 rather than 503 "being rendered" (a page rendered after a
# change can take longer than a request waits when the machine is slow,
# as under make check-asan); at most 60 s.
warm() {
    python3 - "$URL$1" <<'PYEOF' 2>/dev/null
import sys, time, urllib.request, urllib.error
deadline = time.time() + 60
while time.time() < deadline:
    try:
        req = urllib.request.Request(sys.argv[1], headers={"Accept-Language": "en-US,en;q=0.9"})
        with urllib.request.urlopen(req, timeout=30) as r:
            if r.status == 200:
                sys.exit(0)
    except urllib.error.HTTPError as e:
        if e.code != 503:
            sys.exit(0)  # the page answers; the checks say whether rightly
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(1)
PYEOF
}
# dom PATH: the DOM Chromium built for PATH, into $T/dom.
dom() { warm "$1"; chrome --dump-dom "$URL$1" >"$T/dom"; }
has() { grep -qF -- "$1" "$T/dom"; }

# ---------------------------------------------------------------- setup
mknode a "Buurthuis De Kroon" && mknode b Bibliotheek && mkmesh a b || {
    fail "setup: nodes and mesh"
    echo "$PASS passed, $FAIL failed"
    exit 1
}
bash examples/neighbourhood.sh --home "$T/a" --buurt "$BUURT" >"$T/load.out" 2>&1 ||
    fail "setup: examples/neighbourhood.sh" "$(tail -3 "$T/load.out")"
PRIV=$(bu a coalition add --name "Geheime Kring Zuid" --purpose "private food parcels" \
    --private --nodes "${NID[b]}" 2>/dev/null) &&
    bu a need add --category food --summary "parcels for the hidden households" --area Feijenoord \
        --coalition "$PRIV" >/dev/null 2>&1 || fail "setup: private coalition and need"
KROON=$(bu a list places --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["items"]:
    if p["fields"]["name"] == "Buurthuis De Kroon":
        print(p["id"])')
HPORT=$(free_port)
RUNS[a]=1
LOG[a]=$T/a.log.1
"$BUURTD" --home "$T/a" --listen "tcp://127.0.0.1:${PORT[a]}" --no-beacon --http "127.0.0.1:$HPORT" \
    2>"${LOG[a]}" &
PID[a]=$!
wait_until "$WAIT" s_started a || { fail "setup: buurtd --http"; echo "$PASS passed, $FAIL failed"; exit 1; }
URL="http://127.0.0.1:$HPORT"

# ---------------------------------------------------------------- 1. pages
for p in "/" "/needs" "/offers" "/bulletins" "/place/$KROON" "/print"; do
    dom "$p"
    WHY="DOM of $(wc -c <"$T/dom") bytes; chrome: $(tail -2 "$T/chrome.err")"
    check "1. Chromium renders $p" eval 'has "</html>" && has "<h1"'
    WHY="$(grep -io '<script[^>]*>' "$T/dom" | head -1)"
    check "1. $p: no <script> in the DOM" eval '! grep -qi "<script" "$T/dom"'
    WHY="$(grep -o 'href="[^"]*"' "$T/dom" | grep -v 'href="/' | head -2)"
    check "1. $p: every link stays on the board" eval '! grep -o "href=\"[^\"]*\"" "$T/dom" | grep -qv "href=\"/"'
done
dom "/?lang=nl" # Chromium asks for English (Accept-Language)
WHY="no Buurthuis De Kroon with its status"
check "1. the board's DOM lists the places with status words" eval \
    'has "Buurthuis De Kroon" && has "Op een andere manier" && has "Bibliotheek Afrikaanderwijk"'

# ---------------------------------------------------------------- 2. live
bu a place status "$KROON" closed --note "dicht wegens stroomstoring" >/dev/null || fail "2. status via CLI"
dom "/place/$KROON?lang=nl"
WHY="$(grep -o 'class="st [^<]*' "$T/dom")"
check "2. a status change made with the CLI is in the DOM on the next load" eval \
    'has "st-closed\">✖ Dicht" && has "dicht wegens stroomstoring"'

# ---------------------------------------------------------------- 3. Arabic
dom "/?lang=ar"
WHY="$(grep -o '<html[^>]*>' "$T/dom")"
check "3. the Arabic page is <html lang=\"ar\" dir=\"rtl\">" eval 'has "<html lang=\"ar\" dir=\"rtl\">" && has "لوحة الحي"'

# ---------------------------------------------------------------- 4. private
leak=
for p in "/" "/needs" "/offers" "/print"; do
    dom "$p"
    for s in "Geheime Kring" "hidden households"; do has "$s" && leak="$leak $p:$s"; done
done
WHY="found:$leak"
check "4. sealed records of a private coalition are absent from the DOM" [ -z "$leak" ]

# ---------------------------------------------------------------- 5. screenshots
shots=0
for spec in "board-nl:/" "board-ar:/?lang=ar" "place:/place/$KROON?lang=en" "needs:/needs?lang=tr" "print:/print?lang=en"; do
    name=${spec%%:*}
    path=${spec#*:}
    for size in 360,800 1280,800; do
        f="$T/shot-$name-${size/,/x}.png"
        chrome --window-size="$size" --screenshot="$f" "$URL$path" >/dev/null
        if [ -s "$f" ] && head -c 8 "$f" | grep -q PNG; then
            shots=$((shots + 1))
        else
            fail "5. screenshot $name at $size" "$(tail -2 "$T/chrome.err")"
        fi
    done
done
WHY="$shots of 10"
check "5. screenshots at 360x800 and 1280x800 are PNGs" [ "$shots" = 10 ]
if [ -n "${ARTEFACTS:-}" ]; then
    mkdir -p "$ARTEFACTS" && cp "$T"/shot-*.png "$ARTEFACTS/" && echo "screenshots copied to $ARTEFACTS"
fi

daemons_finish
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
