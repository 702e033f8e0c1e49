#!/usr/bin/env bash
# tests/cross/arm64.sh -- the arm64 cross step (make cross-arm64): builds
# buurt, buurtd, the test tools and every unit test for aarch64 with
# Debian's cross compiler against the arm64 (multiarch) packages of the
# dependencies, into build-arm64/; runs the unit tests under qemu-user; and
# syncs a native x86-64 node with an arm64 node on loopback
# (tests/cross/sync.sh). Prints the time each part took.
#
# Run after .ci/deps-cross (the make target does both). When the cross
# compiler, qemu or an arm64 library is missing, says "SKIPPED cross-arm64:
# REASON" and exits 0; any build or test failure exits 1.
#
# How the arm64 programs run: qemu-aarch64-static is called explicitly
# (binfmt_misc is usually not available in a container, and this works
# either way), with no -L: the arm64 libraries and loader are the
# multiarch ones under /lib/aarch64-linux-gnu (libc6:arm64, which the
# :arm64 -dev packages bring). With -L /usr/aarch64-linux-gnu the
# toolchain's own libc6-arm64-cross, a different glibc build, is mixed
# with them and the first thread a program starts hangs. Criterion starts
# each test by execve of the test program, which the x86-64 kernel cannot
# run without binfmt_misc; build-arm64/qemu-exec.so (tests/cross/qemu-exec.c),
# preloaded into the tests, runs such an execve through qemu instead.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
XB=build-arm64
CROSS_CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
QEMU=${QEMU:-qemu-aarch64-static}
ARCH_LIBDIR=/usr/lib/aarch64-linux-gnu
DEPS=$ROOT/$XB/deps$ARCH_LIBDIR # Criterion when unpacked by .ci/deps-cross
export PKG_CONFIG_LIBDIR=$ARCH_LIBDIR/pkgconfig:/usr/share/pkgconfig PKG_CONFIG_PATH=
unset MAKEFLAGS MFLAGS MAKELEVEL

skip() {
    echo "SKIPPED cross-arm64: $*"
    exit 0
}
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

command -v "$CROSS_CC" >/dev/null 2>&1 || skip "no $CROSS_CC (package gcc-aarch64-linux-gnu; run .ci/deps-cross)"
command -v "$QEMU" >/dev/null 2>&1 || skip "no $QEMU (package qemu-user-static; run .ci/deps-cross)"
[ -e /lib/ld-linux-aarch64.so.1 ] || skip "no arm64 C library (libc6:arm64; run .ci/deps-cross)"
pkg-config --exists libzmq libsodium msgpack libzstd 2>/dev/null ||
    skip "the arm64 libzmq, libsodium, msgpack or libzstd is missing from $ARCH_LIBDIR/pkgconfig (run .ci/deps-cross)"
RUN_LIB=
if pkg-config --exists criterion 2>/dev/null; then
    TEST_LIBS=$(pkg-config --libs criterion)
elif [ -e "$DEPS/libcriterion.so.3" ] && [ -e "$DEPS/libnanomsg.so.5" ]; then
    TEST_LIBS="-L$DEPS -lcriterion -Wl,-rpath-link,$DEPS"
    RUN_LIB=$DEPS
else
    skip "no arm64 Criterion (libcriterion-dev:arm64, or libcriterion3:arm64 unpacked into $XB/deps by .ci/deps-cross)"
fi

FAILED=0
t0=$(now_ms)
echo "== cross build: make B=$XB CC=$CROSS_CC (and the native build, for the x86-64 node)"
make -s -j2 all tools || { echo "cross-arm64: the native build failed" >&2; exit 1; }
TESTS=$(for f in tests/test_*.c; do t=${f#tests/}; echo "$XB/tests/${t%.c}"; done)
# shellcheck disable=SC2086 # TESTS is a list of targets
make -s -j2 B="$XB" CC="$CROSS_CC" TEST_LIBS="$TEST_LIBS" all tools $TESTS ||
    { echo "cross-arm64: the arm64 build failed" >&2; exit 1; }
"$CROSS_CC" -O2 -Wall -Wextra -Werror -shared -fPIC -o "$XB/qemu-exec.so" tests/cross/qemu-exec.c -ldl ||
    { echo "cross-arm64: cannot build $XB/qemu-exec.so" >&2; exit 1; }
for b in "$XB/buurt" "$XB/buurtd"; do
    # ELF e_machine (2 bytes at offset 18): 0xb7 is AArch64
    m=$(od -An -tx1 -j18 -N2 "$b" | tr -d ' ')
    [ "$m" = b700 ] || { echo "cross-arm64: $b is not an AArch64 program (e_machine $m)" >&2; exit 1; }
done
t_build=$(($(now_ms) - t0))
echo "   built in $(secs $t_build) s: $(stat -c '%n %s B' "$XB/buurt" "$XB/buurtd" | paste -sd, | sed 's/,/, /')"

echo "== unit tests under $QEMU"
t0=$(now_ms)
QENV=(-E "LD_PRELOAD=$ROOT/$XB/qemu-exec.so")
[ -n "$RUN_LIB" ] && QENV+=(-E "LD_LIBRARY_PATH=$RUN_LIB")
for t in $TESTS; do
    echo "== $t"
    BUURT_QEMU=$(command -v "$QEMU") "$QEMU" "${QENV[@]}" "$t" --jobs 2 || { echo "FAIL $t (arm64)"; FAILED=1; }
done
t_unit=$(($(now_ms) - t0))

echo "== two-node sync: native x86-64 buurtd and arm64 buurtd under $QEMU on 127.0.0.1"
t0=$(now_ms)
W=$(mktemp -d) || exit 1
trap 'rm -rf "$W"' EXIT
for p in buurt buurtd; do
    printf '#!/bin/sh\nexec %s %s "$@"\n' "$(command -v "$QEMU")" "$ROOT/$XB/$p" >"$W/$p"
    chmod +x "$W/$p"
done
BUURT=$ROOT/build/buurt BUURTD=$ROOT/build/buurtd ARM_BUURT=$W/buurt ARM_BUURTD=$W/buurtd \
    bash tests/cross/sync.sh || FAILED=1
t_sync=$(($(now_ms) - t0))

echo "cross-arm64: build $(secs $t_build) s, unit tests $(secs $t_unit) s, two-node sync $(secs $t_sync) s"
if [ "$FAILED" -ne 0 ]; then
    echo "cross-arm64: FAILED" >&2
    exit 1
fi
echo "cross-arm64: all arm64 unit tests and the x86-64/arm64 sync passed"
