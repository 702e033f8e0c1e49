#!/usr/bin/env bash
# demo.sh - what `make demo` runs: three buurt nodes (kroon, bibliotheek,
# moskee) in throw-away homes, each loaded with its own organisations' part of
# the example neighbourhood (examples/neighbourhood.sh --node), linked in a
# line on 127.0.0.1 and shown converging; a status change on kroon reaches
# moskee through bibliotheek; then "the board" a coalition coordinator looks
# at: places by status, open needs, and who can help with one of them; and
# moskee's web board for phones (buurtd --http) and the printed sheet.
#
# usage: bash examples/demo.sh      (after `make all`; uses build/buurt)

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
buurt_bin=$root/build/buurt
[ -x "$buurt_bin" ] || { echo "demo.sh: $buurt_bin not found; run 'make all' first" >&2; exit 1; }

buurtd_bin=$root/build/buurtd
[ -x "$buurtd_bin" ] || { echo "demo.sh: $buurtd_bin not found; run 'make all' first" >&2; exit 1; }

top=$(mktemp -d "${TMPDIR:-/tmp}/buurt-demo.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$top"
}
trap cleanup EXIT
home=$top/kroon

bu() { "$buurt_bin" --home "$home" "$@"; }
on() { local h=$1; shift; "$buurt_bin" --home "$top/$h" "$@"; }

# count KIND NODE: how many records of KIND the node holds
count() { on "$2" list "$1" --json | sed -n 's/.*"count":\([0-9]*\).*/\1/p'; }

# wait_for SECONDS CMD...: poll until CMD succeeds (no fixed sleeps)
wait_for() {
    local limit=$(( $1 * 10 )) i=0; shift
    until "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -le $limit ] || return 1
        sleep 0.1
    done
}

# Output width: the terminal's, else 100.
width=100
if [ -t 1 ]; then
    cols=$(tput cols 2>/dev/null || true)
    case $cols in ''|*[!0-9]*) ;; *) [ "$cols" -ge 60 ] && width=$cols ;; esac
fi

# fit: keep buurt's tables readable at $width columns. Columns are found from
# the table's header line (the first line starting with "ID" or "#"). A row
# that is too long keeps as many whole columns as fit; the columns that do not
# fit go on a continuation line, indented under the second column, and the
# last column (NOTE, SUMMARY, WHY) is word-wrapped under itself.
fit() {
    awk -v W="$width" '
    # print text word-wrapped: first line after prefix pre, the others indented by ind
    function wrap(pre, text, ind,   n, i, words, line, pad) {
        pad = sprintf("%" ind "s", "")
        n = split(text, words, " ")
        line = pre
        for (i = 1; i <= n; i++) {
            if (length(line) > ind && length(line) + 1 + length(words[i]) > W) {
                print line
                line = pad words[i]
            } else if (length(line) > ind || (length(line) == ind && line != pad && i > 1)) {
                line = line " " words[i]
            } else {
                line = line words[i]
            }
        }
        print line
    }
    function rtrim(s) { sub(/ +$/, "", s); return s }
    function row(s,   k, head, rest) {
        if (length(s) <= W) { print rtrim(s); return }
        if (c[m] + 40 <= W) {               # room beside for the last column: wrap it there
            wrap(sprintf("%-" c[m] "s", substr(s, 1, c[m])), substr(s, c[m] + 1), c[m])
            return
        }
        for (k = m; k > 2 && c[k] > W + 2; k--) ;
        head = rtrim(substr(s, 1, c[k]))
        rest = substr(s, c[k] + 1)
        print head
        if (rest ~ /[^ ]/) {
            rest = sprintf("%" c[2] "s", "") rest
            if (length(rest) <= W) print rtrim(rest)
            else {
                k = c[2] + c[m] - c[k]
                if (k + 40 <= W)            # last column beside the others
                    wrap(sprintf("%-" k "s", substr(rest, 1, k)), substr(rest, k + 1), k)
                else {                      # last column on lines of its own
                    print rtrim(substr(rest, 1, k))
                    wrap(sprintf("%" c[2] "s", ""), substr(rest, k + 1), c[2])
                }
            }
        }
    }
    m == 0 && /^(ID|#) +[A-Z]/ {
        for (i = 1; i <= length($0); i++)
            if (substr($0, i, 1) != " " && (i == 1 || substr($0, i - 1, 1) == " "))
                c[++m] = i - 1
    }
    m == 0 { if (length($0) <= W) print; else wrap("", $0, 4); next }
    { row($0) }'
}

heading() {
    printf '\n%s\n' "$1"
    printf '%s\n' "$1" | sed 's/./=/g'
    shift
    for line in "$@"; do printf '%s\n' "$line"; done
    echo
}

# show CMD...: print the command as a user would type it, then its output.
show() {
    printf '$ buurt %s\n' "$*"
    bu "$@" | fit
}

echo "buurt demo: three organisations' nodes on this machine, each holding its own"
echo "part of a fictional Rotterdam-Zuid neighbourhood, syncing over an encrypted mesh."
echo "Homes are temporary and removed at the end; only 127.0.0.1 is used."
echo
declare -A name=([kroon]="Buurthuis De Kroon" [bibliotheek]="Bibliotheek Afrikaanderwijk" [moskee]="Moskee Mevlana")
declare -A id
for n in kroon bibliotheek moskee; do
    id[$n]=$(on $n init --name "${name[$n]}")
    printf '%-12s node %.16s…  %s\n' "$n" "${id[$n]}" "${name[$n]}"
done
mesh=$(on kroon mesh create "Rotterdam-Zuid" 2>/dev/null)
on kroon member add "${id[bibliotheek]}" --name "${name[bibliotheek]}" >/dev/null
on kroon member add "${id[moskee]}" --name "${name[moskee]}" >/dev/null
on bibliotheek mesh join "$mesh" >/dev/null
on moskee mesh join "$mesh" >/dev/null
echo "mesh \"Rotterdam-Zuid\" founded by kroon, which admitted the other two."
echo
echo "Each node records its own organisations' data (no network yet):"
for n in kroon bibliotheek moskee; do
    bash "$here/neighbourhood.sh" --home "$top/$n" --buurt "$buurt_bin" --node $n | sed "s| into $top/$n\$| on $n|"
done
echo
shown() {
    for n in kroon bibliotheek moskee; do
        printf '%-12s %7s %6s %7s %11s %10s\n' $n "$(count places $n)" "$(count needs $n)" \
            "$(count offers $n)" "$(count coalitions $n)" "$(count bulletins $n)"
    done
}
printf '%-12s %7s %6s %7s %11s %10s\n' node places needs offers coalitions bulletins
shown
echo
for n in kroon bibliotheek moskee; do
    web=()
    [ $n = moskee ] && web=(--http 127.0.0.1:0) # the web board for phones (a free port)
    "$buurtd_bin" --home "$top/$n" --listen 'tcp://127.0.0.1:*' --no-beacon --sync-interval 5000 \
        "${web[@]}" 2>"$top/$n.log" &
    pids+=($!)
done
for n in kroon bibliotheek moskee; do
    wait_for 10 test -S "$top/$n/control.sock" -a -s "$top/$n/buurtd.endpoint" ||
        { echo "demo.sh: buurtd for $n did not start:" >&2; cat "$top/$n.log" >&2; exit 1; }
done
ep() { cat "$top/$1/buurtd.endpoint"; }
# A line: kroon <-> bibliotheek <-> moskee. moskee cannot reach kroon directly.
on bibliotheek peer add "$(ep kroon)" "${id[kroon]}" >/dev/null
on moskee peer add "$(ep bibliotheek)" "${id[bibliotheek]}" >/dev/null
echo "buurtd runs on each node; links: kroon <-> bibliotheek <-> moskee (no kroon <-> moskee)."
echo

synced() {
    for n in kroon bibliotheek moskee; do on $n sync --wait --timeout 20 >/dev/null || return 1; done
    local want; want=$(count places kroon)
    [ "$(count places bibliotheek)" = "$want" ] && [ "$(count places moskee)" = "$want" ] &&
    [ "$(count needs kroon)" = "$(count needs moskee)" ] && [ "$(count offers kroon)" = "$(count offers moskee)" ]
}
echo "… syncing (sync --wait on each node)"
wait_for 60 synced || { echo "demo.sh: the nodes did not converge" >&2; tail "$top"/*.log >&2; exit 1; }
shown
echo "converged: every node holds the whole neighbourhood."

place=$(on kroon list places --json | tr '{' '\n' | sed -n 's/.*"id":"\([0-9a-f]*\)","kind":"place".*/\1/p' | head -1)
pname=$(on kroon show "$place" | sed -n 's/^name  *//p')
echo
printf '$ buurt --home kroon place status %.10s closed --note "power cut; help at the door"\n' "$place"
on kroon place status "$place" closed --note "power cut; help at the door"
arrived() { on moskee show "$place" --json | grep -q '"status":"closed"'; }
t0=$(date +%s%N)
wait_for 20 arrived || { echo "demo.sh: the change did not reach moskee" >&2; exit 1; }
t1=$(date +%s%N)
printf 'moskee (two hops away, through bibliotheek) sees "%s" closed after %d ms:\n' "$pname" $(( (t1 - t0) / 1000000 ))
printf '$ buurt --home moskee show %.10s\n' "$place"
on moskee show "$place" | grep -E '^(name|status|status_note) '
home=$top/moskee
echo
echo "The board, as read on moskee:"

heading "Places by status" \
    "Which organisations are open, which work differently (\"alternative\": help by" \
    "phone or at the door), and which are closed or overloaded. CAP is how many" \
    "people a place can take on now."
show list places

heading "Open needs" \
    "What is needed in the neighbourhood and nobody has taken on yet, most urgent" \
    "first. Needs say what is needed, never who needs it."
show list needs --status open

need=$(bu list needs --status open --category food --area Feijenoord \
       | awk '/Turkish-speaking/ { print $1; exit }')
[ -n "$need" ] || { echo "demo.sh: the example need for warm meals was not found" >&2; exit 1; }

heading "Who can help?" \
    "For the open need for warm meals for older Turkish-speaking residents in" \
    "Feijenoord: offers and places ranked by category, area, language, the groups" \
    "they reach, capacity now and status. Closed or full providers come last."
show who-can-help "$need"

heading "When the network is down: the web board and the printed sheet" \
    "moskee's buurtd also serves a read-only board to phones on its Wi-Fi" \
    "(buurtd --http 0.0.0.0:8080; here 127.0.0.1). buurt print makes the A4 sheet" \
    "for the door, with a QR code to that board (-o sheet.pdf with Chromium)."
url=$(cat "$top/moskee/buurtd.http")
printf 'web board: %s  (?lang=ar, /needs, /offers, /bulletins, /print)\n' "$url"
python3 - "$url" "$pname" <<'PY' 2>/dev/null || echo "(python3 not found: open the address in a browser)"
import html as H, re, sys, urllib.request
html = urllib.request.urlopen(sys.argv[1] + "?lang=en", timeout=20).read().decode()
item = re.search(r"<li>(?:(?!</li>).)*" + re.escape(sys.argv[2]) + r"(?:(?!</li>).)*</li>", html, re.S)
text = H.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item.group(0) if item else ""))).strip()
print("GET %s?lang=en: %d bytes; %s" % (sys.argv[1], len(html), text[:110]))
PY
printf '$ buurt print --area Feijenoord --lang en -o sheet.html\n'
(cd "$top" && bu print --area Feijenoord --lang en -o sheet.html)

echo
echo "Stopping the three nodes (SIGTERM); nothing acknowledged is lost."
echo "Try it yourself: buurt --home DIR init --name NAME, then"
echo "bash examples/neighbourhood.sh --home DIR (see examples/README.md)."
