#!/usr/bin/env bash
# The console against tig on the same tenant repo with COMMITS commits
# (default 100,000): time to the first history screen and peak memory.
# Both run scripted (mech: MECH_CONSOLE_SCRIPT, tig: TIG_SCRIPT) under
# script(1) for a terminal, open the history, save the screen and quit.
# With APPS apps (default 1,000) in the repo, the console's apps view is
# loaded too (it lists desired state for every app at start).
#
#   bench/bench_console.sh MECH [COMMITS] [APPS]
set -euo pipefail
MECH=$(realpath "${1:?usage: bench_console.sh MECH [COMMITS] [APPS]}")
COMMITS=${2:-${CONSOLE_COMMITS:-100000}}
APPS=${3:-${CONSOLE_APPS:-1000}}
command -v tig >/dev/null || { echo "bench_console: tig is not installed (apt-get install tig)" >&2; exit 77; }
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-console.XXXXXX")
trap 'rm -rf "$work"' EXIT
export MECH_HOME=$work/mech HOME=$work/home TZ=UTC NO_COLOR=1
mkdir -p "$HOME"
say() { printf 'bench_console: %s\n' "$*" >&2; }
"$MECH" admin init >/dev/null
"$MECH" admin tenant add bench >/dev/null 2>&1
repo=$MECH_HOME/tenants/bench/gitops.git
say "importing $APPS apps and $COMMITS commits"
/usr/bin/python3 - "$COMMITS" "$APPS" "$(git --git-dir="$repo" rev-parse main)" <<'PY' | git --git-dir="$repo" fast-import --quiet
import sys
commits, apps, parent = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = sys.stdout.buffer
def blob(data):
    out.write(b"data %d\n" % len(data) + data + b"\n")
t = 1700000000
out.write(b"commit refs/heads/main\ncommitter Hanna <h@example.com> %d +0000\n" % t)
blob(b"add apps")
out.write(b"from %s\n" % parent.encode())
for a in range(apps):
    dep = (b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app%d\nspec:\n"
           b"  template:\n    spec:\n      containers:\n      - name: app%d\n        image: nginx:1.27\n") % (a, a)
    ov = (b"resources:\n- ../../base\nimages:\n- name: nginx\n  newTag: \"1.27\"\n")
    for path, data in ((b"apps/app%d/base/deployment.yaml" % a, dep),
                       (b"apps/app%d/overlays/main/kustomization.yaml" % a, ov)):
        out.write(b"M 100644 inline " + path + b"\n")
        blob(data)
for i in range(commits):
    out.write(b"commit refs/heads/main\ncommitter Hanna <h@example.com> %d +0000\n" % (t + i + 1))
    blob(b"tune app%d (%d)" % (i % apps, i))
    out.write(b"M 100644 inline apps/app%d/overlays/main/notes.txt\n" % (i % apps))
    blob(b"%d\n" % i)
PY
git --git-dir="$repo" gc -q
printf '4\n:screen-save %s/mech.screen\n' "$work" >"$work/mech.script"
printf ':save-display %s/tig.screen\n:quit\n' "$work" >"$work/tig.script"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # name command...: prints "ms kb" (median ms of RUNS, peak of the last)
	local i line ms=() kb=0
	for i in 1 2 3; do
		/usr/bin/time -o "$work/time.out" -f '%e %M' "$@" >/dev/null 2>&1
		line=$(tail -1 "$work/time.out")
		ms+=("$(awk -v s="${line% *}" 'BEGIN {printf "%d", s * 1000}')")
		kb=${line#* }
	done
	printf '%s %s\n' "$(printf '%s\n' "${ms[@]}" | median)" "$kb"
}
# warm the last-writer cache and the page cache for both sides first
"$MECH" --tenant bench app list >/dev/null
git --git-dir="$repo" log --oneline | tail -1 >/dev/null
read -r mech_ms mech_kb < <(measure env MECH_CONSOLE_SCRIPT="$work/mech.script" SHELL=/bin/sh \
	script -qec "$MECH --tenant bench console" /dev/null)
grep -q "tune app" "$work/mech.screen" || { say "mech's history screen is missing"; exit 1; }
read -r tig_ms tig_kb < <(cd "$work" && measure env TIG_SCRIPT="$work/tig.script" SHELL=/bin/sh \
	script -qec "env GIT_DIR=$repo tig main" /dev/null)
grep -q "tune app" "$work/tig.screen" || { say "tig's screen is missing"; exit 1; }
printf 'CONSOLE_COMMITS=%s\nCONSOLE_APPS=%s\nCONSOLE_MECH_MS=%s\nCONSOLE_MECH_PEAK_KB=%s\nCONSOLE_TIG_MS=%s\nCONSOLE_TIG_PEAK_KB=%s\n' \
	"$COMMITS" "$APPS" "$mech_ms" "$mech_kb" "$tig_ms" "$tig_kb"
