#!/usr/bin/env bash
# bench/arm64.sh -- footprint of the arm64 build (make bench-arm64): the
# sizes of build-arm64/buurt and buurtd (as built, and stripped), and the
# memory of an arm64 buurtd with N records (default 100,000), run under
# qemu-user on this x86-64 host. Not part of make test.
#
#   bash bench/arm64.sh [N]
#
# Needs the cross build (make cross-arm64) and the native one (make all).
# The home is filled by the native bench/gen.c (build/tools/gen: signing
# 100,000 edits natively takes seconds, under qemu minutes); the arm64
# buurtd then opens that store as it is, which is itself a check that the
# log's format does not depend on the host.
#
# Memory: VmHWM (peak) and VmRSS of the process in /proc/PID/status after
# start and 5 s idle, as bench/run.sh reads them. Under qemu-user that
# process is qemu, whose resident memory is the arm64 program's plus
# qemu's own (its translated code and bookkeeping), so the same daemon
# is also measured with an empty home: the difference is what the records
# cost. The native x86-64 buurtd is measured the same way, for comparison.
# Timings under emulation mean nothing and are not printed.
set -u
cd "$(dirname "$0")/.." || exit 1
N=${1:-100000}
XB=build-arm64
QEMU=${QEMU:-qemu-aarch64-static}
for b in build/buurt build/buurtd build/tools/gen "$XB/buurt" "$XB/buurtd"; do
    [ -x "$b" ] || { echo "bench-arm64: $b missing; run make all and make cross-arm64 first" >&2; exit 1; }
done
command -v "$QEMU" >/dev/null || { echo "bench-arm64: no $QEMU (run .ci/deps-cross)" >&2; exit 1; }
QEMU=$(command -v "$QEMU")
STRIP=aarch64-linux-gnu-strip

T=$(mktemp -d) || exit 1
DPID=
cleanup() {
    if [ -n "$DPID" ]; then
        kill -TERM "$DPID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$DPID" 2>/dev/null
        wait "$DPID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export HOME=$T/home LC_ALL=C
mkdir -p "$HOME"
unset BUURT_HOME XDG_DATA_HOME BUURT_NOW_MS

mb() { awk -v f="$2:" '$1 == f {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
kb_to_mb() { awk -v b="$1" 'BEGIN { printf "%.0f KB", b / 1024 }'; }

# measure LABEL HOME CMD...: starts CMD --home HOME (a buurtd), waits until
# the native CLI's `peers` answers through its control socket, idles 5 s,
# prints "LABEL<TAB>peak<TAB>now" in MB and stops it.
measure() {
    local label=$1 home=$2 i
    shift 2
    "$@" --home "$home" --listen 'tcp://127.0.0.1:*' --no-beacon 2>"$T/$label.log" &
    DPID=$!
    for i in $(seq 1200); do
        build/buurt --home "$home" peers >/dev/null 2>&1 && break
        kill -0 "$DPID" 2>/dev/null || { echo "bench-arm64: $label died: $(tail -n 3 "$T/$label.log")" >&2; return 1; }
        sleep 0.1
    done
    sleep 5
    printf '%s\t%s\t%s\n' "$label" "$(mb "$DPID" VmHWM)" "$(mb "$DPID" VmRSS)"
    kill -TERM "$DPID"
    wait "$DPID" 2>/dev/null
    DPID=
}

echo "bench-arm64: generating $N edits with build/tools/gen" >&2
build/buurt --home "$T/full" init --name "Bench arm64" >/dev/null &&
    build/buurt --home "$T/full" mesh create "Bench" >/dev/null 2>&1 &&
    G=$(build/tools/gen "$T/full" "$N" 1) || { echo "bench-arm64: gen failed" >&2; exit 1; }
EDITS=$(echo "$G" | sed -n 's/.*"edits": *\([0-9]*\).*/\1/p')
LOG_BYTES=$(stat -c %s "$T/full/store/edits.log")
build/buurt --home "$T/empty" init --name "Empty" >/dev/null || exit 1

echo "bench-arm64: measuring (about a minute)" >&2
ROWS=$T/rows
{
    measure "arm64 buurtd, $EDITS edits" "$T/full" "$QEMU" "$XB/buurtd"
    measure "arm64 buurtd, empty home" "$T/empty" "$QEMU" "$XB/buurtd"
    measure "x86-64 buurtd, $EDITS edits" "$T/full" build/buurtd
    measure "x86-64 buurtd, empty home" "$T/empty" build/buurtd
} >"$ROWS" || exit 1

"$STRIP" -o "$T/buurt.s" "$XB/buurt" && "$STRIP" -o "$T/buurtd.s" "$XB/buurtd" || exit 1
strip -o "$T/buurt.x" build/buurt && strip -o "$T/buurtd.x" build/buurtd || exit 1

echo "buurt footprint on arm64 ($EDITS edits, store log $(awk -v b="$LOG_BYTES" 'BEGIN { printf "%.1f MB", b / 1048576 }'))"
echo
printf '%-10s %-22s %-22s\n' "binary" "arm64 (stripped)" "x86-64 (stripped)"
for p in buurt buurtd; do
    printf '%-10s %-22s %-22s\n' "$p" \
        "$(kb_to_mb "$(stat -c %s "$XB/$p")") ($(kb_to_mb "$(stat -c %s "$T/$p.s")"))" \
        "$(kb_to_mb "$(stat -c %s "build/$p")") ($(kb_to_mb "$(stat -c %s "$T/$p.x")"))"
done
echo
printf '%-34s %10s %10s\n' "process (after start + 5 s idle)" "peak MB" "now MB"
while IFS="$(printf '\t')" read -r l h r; do printf '%-34s %10s %10s\n' "$l" "$h" "$r"; done <"$ROWS"
awk -F'\t' 'NR == 1 { a = $2 } NR == 2 { b = $2 } NR == 3 { c = $2 } NR == 4 { d = $2 }
    END { printf "\nthe records cost (peak, full minus empty): arm64 %.1f MB, x86-64 %.1f MB\n", a - b, c - d }' "$ROWS"
echo "(arm64 figures are of qemu-aarch64-static running buurtd: they include qemu's own memory)"
echo "shared libraries (arm64): $(aarch64-linux-gnu-readelf -d "$XB/buurtd" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | paste -sd' ')"
