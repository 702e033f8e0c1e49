#!/usr/bin/env bash
# tests/layers.sh -- the layering of docs/architecture.md, checked on the
# sources: proto/ includes nothing of node/ or cli/, node/ includes nothing
# of cli/, and no two modules (a .h with its .c) include each other, however
# many steps the loop takes. Reads the #include "..." lines only.
# Run from the repository root: bash tests/layers.sh
# Prints ok/FAIL lines and ends with "N passed, M failed"; exits 1 on failure.
set -u
cd "$(dirname "$0")/.." || exit 1
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIPPED layers: no python3"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
python3 - <<'EOF'
import glob, os, re, sys

deps = {}
for f in sorted(glob.glob("proto/*.[ch]") + glob.glob("node/*.[ch]") + glob.glob("cli/*.[ch]")):
    mod = os.path.splitext(f)[0]
    for line in open(f, encoding="utf-8"):
        m = re.match(r'\s*#\s*include\s+"([^"]+)\.h"', line)
        if m and m.group(1) != mod:
            deps.setdefault(mod, {})[m.group(1)] = f

passed = failed = 0
def check(ok, name, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name)
        if why:
            print("       " + why)

for layer, banned in (("proto/", ("node/", "cli/")), ("node/", ("cli/",))):
    bad = [f"{deps[m][d]} includes {d}.h" for m in deps if m.startswith(layer)
           for d in deps[m] if d.startswith(banned)]
    check(not bad, f"{layer} includes nothing of {' or '.join(banned)}", "; ".join(bad))

# a loop: a module that reaches itself through its includes
loops = set()
def walk(start, at, path, seen):
    for d in deps.get(at, {}):
        if d == start:
            loops.add(" -> ".join(path + [d]))
        elif d not in seen:
            seen.add(d)
            walk(start, d, path + [d], seen)
for m in deps:
    walk(m, m, [m], {m})
check(not loops, "no two modules include each other (directly or in a loop)",
      "; ".join(sorted(loops)[:5]))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
