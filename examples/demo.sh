#!/usr/bin/env bash
# demo.sh - what `make demo` runs: one buurt node in a throw-away home, loaded
# with the example neighbourhood (examples/neighbourhood.sh), then "the board"
# a coalition coordinator looks at: places by status, open needs, and who can
# help with one of them.
#
# usage: bash examples/demo.sh      (after `make all`; uses build/buurt)

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
buurt_bin=$root/build/buurt
[ -x "$buurt_bin" ] || { echo "demo.sh: $buurt_bin not found; run 'make all' first" >&2; exit 1; }

home=$(mktemp -d "${TMPDIR:-/tmp}/buurt-demo.XXXXXX")
trap 'rm -rf "$home"' EXIT

bu() { "$buurt_bin" --home "$home" "$@"; }

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

echo "buurt demo: one node holding a fictional Rotterdam-Zuid neighbourhood"
echo "(Feijenoord and Afrikaanderwijk), in a temporary home removed at the end."
echo
printf '$ buurt init --name "Buurthuis De Kroon"\n'
echo "node id: $(bu init --name "Buurthuis De Kroon")"
printf '$ bash examples/neighbourhood.sh --home HOME\n'
bash "$here/neighbourhood.sh" --home "$home" --buurt "$buurt_bin" | sed "s| into $home\$||"

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

echo
echo "Try it yourself: buurt --home DIR init --name NAME, then"
echo "bash examples/neighbourhood.sh --home DIR (see examples/README.md)."
