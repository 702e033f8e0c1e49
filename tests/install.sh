#!/usr/bin/env bash
# tests/install.sh -- `make install` and `make uninstall` into a temporary
# DESTDIR, the manual pages and the systemd unit.
#
# Installs the binaries of this build (the directory of env BUURT, default
# build/buurt; make e2e passes it) with PREFIX=/usr/local and then
# PREFIX=/usr, checks every file and its mode, runs the installed buurt,
# lints the pages with `groff -ww` (and `mandoc -T lint` when installed),
# checks that they name every command and option the programs' --help
# lists, verifies the installed unit with `systemd-analyze verify` (its
# Documentation= pages resolved from the installed man pages) and rates it
# with `systemd-analyze security --offline=yes`, checks the sysusers.d file
# with `systemd-sysusers --dry-run`, then uninstalls and checks that
# nothing is left. A missing checker is reported as SKIPPED with the
# reason (systemd-analyze: package systemd, see .ci/deps-cross).
# Needs no root and no systemd as PID 1. Run from the repository root:
# bash tests/install.sh. Prints ok/FAIL/SKIPPED lines and ends with
# "N passed, M failed, K skipped"; exits 1 if any check failed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 1
BUURT=${BUURT:-build/buurt}
case $BUURT in /*) ;; *) BUURT=$ROOT/$BUURT ;; esac
B=$(dirname "$BUURT")
for b in "$B/buurt" "$B/buurtd"; do
    [ -x "$b" ] || { echo "install.sh: $b is not an executable; run make all first" >&2; exit 1; }
done

T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
export HOME=$T/home LC_ALL=C
mkdir -p "$HOME"
unset BUURT_HOME XDG_DATA_HOME

PASS=0
FAIL=0
SKIP=0
ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; [ $# -gt 1 ] && printf '       %s\n' "${@:2}"; }
skip() { SKIP=$((SKIP + 1)); echo "SKIPPED $1"; }
# check NAME CMD...: ok when CMD exits 0
check() { local n=$1; shift; if "$@"; then ok "$n"; else bad "$n" "failed: $*"; fi; }

# mk TARGET ARGS...: make in the repository with this build directory, not
# as part of the make that may be running this script, and without
# building (-o all): what is installed is exactly the build under test
# (make check-asan runs this script against build-asan/)
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$ROOT" B="$B" -o all "$@"; }

# mode FILE: its octal mode, e.g. 755
mode() { stat -c %a "$1"; }

D=$T/dest
P=$D/usr/local
FILES="bin/buurt:755 bin/buurtd:755 share/man/man1/buurt.1:644 share/man/man8/buurtd.8:644
share/doc/buurt/README.md:644 share/doc/buurt/raspberry-pi.md:644
share/doc/buurt/docs/cli.md:644 share/doc/buurt/docs/architecture.md:644
share/doc/buurt/docs/protocol.md:644 share/doc/buurt/docs/trust.md:644
share/doc/buurt/docs/performance.md:644
lib/systemd/system/buurtd.service:644 lib/sysusers.d/buurt.conf:644"

# ---------------------------------------------------------------- install
if mk install PREFIX=/usr/local DESTDIR="$D" >"$T/install.out" 2>&1; then
    ok "make install PREFIX=/usr/local DESTDIR=... succeeds"
else
    bad "make install PREFIX=/usr/local DESTDIR=... succeeds" "$(tail -n 5 "$T/install.out")"
fi
missing=
for fm in $FILES; do
    f=${fm%:*} m=${fm#*:}
    if [ ! -f "$P/$f" ]; then
        missing="$missing $f(missing)"
    elif [ "$(mode "$P/$f")" != "$m" ]; then
        missing="$missing $f(mode $(mode "$P/$f"), want $m)"
    fi
done
if [ -z "$missing" ]; then ok "every file installed under PREFIX with its mode"; else bad "every file installed under PREFIX with its mode" "$missing"; fi
check "the installed buurt runs" sh -c "'$P/bin/buurt' --version | grep -q '^buurt [0-9]'"
check "the installed buurtd runs" sh -c "'$P/bin/buurtd' --help | grep -q '^usage: buurtd'"
check "the unit starts the installed buurtd" grep -qx 'ExecStart=/usr/local/bin/buurtd --home /var/lib/buurt' \
    "$P/lib/systemd/system/buurtd.service"
check "nothing installed outside PREFIX" sh -c "[ \"\$(ls -A '$D')\" = usr ] && [ \"\$(ls -A '$D/usr')\" = local ]"

# ---------------------------------------------------------------- manual pages
for page in man1/buurt.1 man8/buurtd.8; do
    f=$P/share/man/$page
    out=$(groff -ww -man -z "$f" 2>&1)
    if [ $? -eq 0 ] && [ -z "$out" ]; then ok "groff -ww: no warnings in $page"; else bad "groff -ww: no warnings in $page" "$out"; fi
    if command -v mandoc >/dev/null 2>&1; then
        out=$(mandoc -T lint "$f" 2>&1)
        if [ $? -eq 0 ] && [ -z "$out" ]; then ok "mandoc -T lint: clean $page"; else bad "mandoc -T lint: clean $page" "$out"; fi
    else
        skip "mandoc -T lint of $page: mandoc is not installed (package mandoc, .ci/deps-cross)"
    fi
done
if command -v man >/dev/null 2>&1; then
    check "man finds and renders buurt(1) from the installed tree" \
        sh -c "MANPATH='$P/share/man' MANWIDTH=80 man 1 buurt 2>/dev/null | grep -q '^NAME'"
    check "man finds and renders buurtd(8) from the installed tree" \
        sh -c "MANPATH='$P/share/man' MANWIDTH=80 man 8 buurtd 2>/dev/null | grep -q '^NAME'"
else
    skip "man renders the pages: man is not installed (package man-db)"
fi
# every command of buurt --help and every option of buurtd --help is in its page
# (the pages as plain text: no colours, bold or underlining)
txt() { groff -man -Tascii -P-c -P-b -P-u "$1" 2>/dev/null; }
cmds=$("$B/buurt" --help | awk '/^commands:/{c=1; next} /^$/{c=0} c{print $1}')
txt "$P/share/man/man1/buurt.1" >"$T/buurt.txt"
nomiss=
for c in $cmds; do
    grep -qE "^ {7}$c( |$)" "$T/buurt.txt" || nomiss="$nomiss $c"
done
if [ -n "$cmds" ] && [ -z "$nomiss" ]; then ok "buurt(1) describes every command of buurt --help"; else bad "buurt(1) describes every command of buurt --help" "missing:$nomiss"; fi
opts=$("$B/buurtd" --help | grep -oE '^  --[a-z-]+' | tr -d ' ')
txt "$P/share/man/man8/buurtd.8" >"$T/buurtd.txt"
nomiss=
for o in $opts; do
    grep -qE "^ {7}$o( |$)" "$T/buurtd.txt" || nomiss="$nomiss $o"
done
if [ -n "$opts" ] && [ -z "$nomiss" ]; then ok "buurtd(8) describes every option of buurtd --help"; else bad "buurtd(8) describes every option of buurtd --help" "missing:$nomiss"; fi

# ---------------------------------------------------------------- systemd unit
if command -v systemd-analyze >/dev/null 2>&1; then
    # verify checks that ExecStart= exists and that Documentation= pages
    # open with man: point both at the DESTDIR tree
    sed "s|^ExecStart=/usr/local/bin/buurtd|ExecStart=$P/bin/buurtd|" \
        "$P/lib/systemd/system/buurtd.service" >"$T/buurtd.service"
    out=$(cd "$T" && MANPATH=$P/share/man systemd-analyze verify "$T/buurtd.service" 2>&1)
    if [ $? -eq 0 ] && [ -z "$out" ]; then
        ok "systemd-analyze verify: the installed unit is clean"
    else
        bad "systemd-analyze verify: the installed unit is clean" "$out"
    fi
    if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
        out=$(cd "$T" && systemd-analyze security --offline=yes "$T/buurtd.service" 2>&1)
        level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for buurtd.service: \([0-9.]*\).*/\1/p')
        if [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
            ok "systemd-analyze security --offline=yes: exposure $level (<= 2.0)"
        else
            bad "systemd-analyze security --offline=yes: exposure <= 2.0" "$(printf '%s\n' "$out" | tail -n 3)"
        fi
    else
        skip "systemd-analyze security --offline: this systemd-analyze has no --offline (systemd < 250)"
    fi
else
    skip "systemd-analyze verify/security: systemd-analyze is not installed (package systemd, .ci/deps-cross)"
fi
if command -v systemd-sysusers >/dev/null 2>&1; then
    out=$(systemd-sysusers --root="$D" --dry-run 2>&1)
    if printf '%s\n' "$out" | grep -q "Creating user 'buurt'"; then
        ok "systemd-sysusers finds lib/sysusers.d/buurt.conf under /usr/local and would create user buurt"
    else
        bad "systemd-sysusers finds lib/sysusers.d/buurt.conf and would create user buurt" "$out"
    fi
else
    skip "systemd-sysusers --dry-run: not installed (package systemd)"
fi

# ---------------------------------------------------------------- uninstall
if mk uninstall PREFIX=/usr/local DESTDIR="$D" >"$T/uninstall.out" 2>&1; then
    ok "make uninstall PREFIX=/usr/local DESTDIR=... succeeds"
else
    bad "make uninstall PREFIX=/usr/local DESTDIR=... succeeds" "$(tail -n 5 "$T/uninstall.out")"
fi
left=$(find "$D" ! -type d)
if [ -z "$left" ] && [ ! -e "$P/share/doc/buurt" ]; then
    ok "after uninstall no file is left, nor share/doc/buurt"
else
    bad "after uninstall no file is left, nor share/doc/buurt" "$left"
fi

# ---------------------------------------------------------------- PREFIX=/usr
D2=$T/dest2
if mk install PREFIX=/usr DESTDIR="$D2" >"$T/install2.out" 2>&1 &&
    [ -x "$D2/usr/bin/buurtd" ] && [ -f "$D2/usr/share/man/man8/buurtd.8" ] &&
    grep -qx 'ExecStart=/usr/bin/buurtd --home /var/lib/buurt' "$D2/usr/lib/systemd/system/buurtd.service"; then
    ok "PREFIX=/usr: /usr/bin/buurtd, and the unit starts it"
else
    bad "PREFIX=/usr: /usr/bin/buurtd, and the unit starts it" "$(tail -n 5 "$T/install2.out")"
fi
mk uninstall PREFIX=/usr DESTDIR="$D2" >/dev/null 2>&1
left=$(find "$D2" ! -type d)
if [ -z "$left" ]; then ok "PREFIX=/usr: uninstall leaves no file"; else bad "PREFIX=/usr: uninstall leaves no file" "$left"; fi

echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" -eq 0 ]
