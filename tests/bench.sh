#!/usr/bin/env bash
# bench.sh -- smoke check of the benchmarks: `bash bench/run.sh --quick`
# (a tenth of the sizes) must run and print every row. How fast is not
# checked here (shared machines are noisy; see `make bench`).
set -u
cd "$(dirname "$0")/.." || exit 1
if [ "${SKIP_BENCH:-0}" = 1 ]; then
    # make check-asan: timings under the sanitizers mean nothing
    echo "SKIPPED bench smoke run: SKIP_BENCH=1"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
pass=0 fail=0
if bash bench/run.sh --quick >"$out" 2>&1; then
    pass=$((pass + 1)); echo "ok   bench --quick runs"
else
    fail=$((fail + 1)); echo "FAIL bench --quick runs"; tail -20 "$out"
fi
for row in "verify ceiling" "reconcile 100000/3" "reconcile 10000/30" "reconcile 1000/300" \
    "start-up" "relay A->L->M" "control during a relay" "ZAP verdict during a relay" "catch-up" "footprint B" "footprint A" "idle CPU of A (5 peers" "query list needs" "query who-can-help" \
    "20-node propagation" "push C->A->D during a full listing" "push C->A->D while a member floods A" \
    "bundle size, 10,000 edits" "bundle apply" "first query after start: list" \
    "first query after start: who-can-help" "full listing: daemon peak vs reply size" \
    "city mesh: one edit to the last node" "city mesh: bytes for one edit" "city mesh: footprint per daemon"; do
    if grep -q "^$row" "$out"; then
        pass=$((pass + 1)); echo "ok   row: $row"
    else
        fail=$((fail + 1)); echo "FAIL row missing: $row"
    fi
done
if grep -E '^large reply through the daemon' "$out" | grep -q ' pass '; then
    pass=$((pass + 1)); echo "ok   a reply over 4 MiB comes back through the daemon"
else
    fail=$((fail + 1)); echo "FAIL a reply over 4 MiB comes back through the daemon"
    grep -E '^large reply' "$out"
fi
# the city mesh at a smaller size (16 nodes, --quick): every node converges
# after all write at once, and one edit costs the links at most 1.5 times
# the least bytes (announcing, protocol.md §10.8). Bytes, not timing.
if grep -E '^city mesh: [0-9]+ nodes x [0-9]+ edits at once' "$out" | grep -q 'converged in'; then
    pass=$((pass + 1)); echo "ok   city mesh: every node converges after all write at once"
else
    fail=$((fail + 1)); echo "FAIL city mesh: every node converges after all write at once"
    grep -E '^city mesh' "$out"
fi
if grep -E '^city mesh: bytes for one edit' "$out" | grep -q ' pass '; then
    pass=$((pass + 1)); echo "ok   city mesh: one edit costs at most 1.5 x the least bytes"
else
    fail=$((fail + 1)); echo "FAIL city mesh: one edit costs at most 1.5 x the least bytes"
    grep -E '^city mesh: bytes' "$out"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
