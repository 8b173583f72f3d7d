#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Tool-call latency over a warm `mech mcp` session vs the same command as a
# fresh `mech` process, for a write (app create) and a read (log -n 20).
#
#   bench/bench_mcp.sh            # uses build/mech
#   MECH=path/to/mech bench/bench_mcp.sh
#
# N (default 100) calls of each kind per round, ROUNDS (3) rounds, the
# fresh and the warm runs alternating within a round so a change of the
# machine's load reaches both. Both are driven by the same Python loop
# (bench/bench_mcp.py): the fresh side is subprocess.run of `mech --json …`,
# the warm side one tools/call written to the session and its answer read.
# The session keeps libgit2, the configuration and the dynamic loader's
# work from call to call; each call still opens the tenant repo, as a
# command does. Prints a Markdown section and writes it into RESULTS
# (default bench/RESULTS.md) between its markers, which bench/run keeps.
set -euo pipefail
shopt -s inherit_errexit

root=$(cd "$(dirname "$0")/.." && pwd)
mech=${MECH:-$root/build/mech}
N=${N:-100}
ROUNDS=${ROUNDS:-3}
results=${RESULTS:-$root/bench/RESULTS.md}
[ -x "$mech" ] || { echo "bench_mcp: no $mech; build first (make build)" >&2; exit 1; }

work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-mcp.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home MECH_HOME=$work/mech TZ=UTC LANG=C.UTF-8 NO_COLOR=1 GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
"$mech" admin init >/dev/null 2>&1
"$mech" admin tenant add bench >/dev/null 2>&1

# one JSON line per round: {"fresh_write": ms, "mcp_write": ms, "fresh_read": ms, "mcp_read": ms}
for r in $(seq 1 "$ROUNDS"); do
	echo "bench_mcp: round $r of $ROUNDS ($N writes and $N reads each way)" >&2
	/usr/bin/python3 "$root/bench/bench_mcp.py" "$mech" bench "$N" "r$r" >>"$work/rounds"
done

med() { # key: the median over the rounds, per call
	/usr/bin/python3 -c 'import json,sys,statistics
print("%.2f" % statistics.median(json.loads(l)[sys.argv[1]] for l in open(sys.argv[2])))' "$1" "$work/rounds"
}
fw=$(med fresh_write) mw=$(med mcp_write) fr=$(med fresh_read) mr=$(med mcp_read)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
# the build type the binary was built with, when its build tree says
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$mech")/CMakeCache.txt" 2>/dev/null || true)
load=$(cut -d' ' -f1-3 /proc/loadavg)
section=$(
	echo "<!-- bench/bench_mcp.sh -->"
	echo "## MCP: a tool call over a warm \`mech mcp\` session vs a fresh process"
	echo
	echo "\`bench/bench_mcp.sh\`, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -m), $(nproc) CPUs, ${cpu:-unknown},"
	echo "mech $(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown). $N calls of each"
	echo "kind per round, median of $ROUNDS rounds, milliseconds per call as the client sees"
	echo "it (request written to answer read; for the fresh process, spawn to exit)."
	echo "Binary: \`${mech#"$root"/}\` (CMAKE_BUILD_TYPE ${btype:-unknown}); load average after: $load."
	echo "Write: \`app create aN --image nginx:1.27\` (\`app_create\`); read: \`log -n 20\` (\`log\`)."
	echo
	echo "| | fresh \`mech --json …\` | \`tools/call\` on one session | ratio |"
	echo "|---|---|---|---|"
	echo "| write | $fw ms | $mw ms | **$(ratio "$fw" "$mw")×** |"
	echo "| read | $fr ms | $mr ms | **$(ratio "$fr" "$mr")×** |"
	echo
	echo "Rounds (ms per call, fresh/mcp): $(/usr/bin/python3 -c 'import json,sys
print("; ".join("write %.2f/%.2f, read %.2f/%.2f" % (d["fresh_write"], d["mcp_write"], d["fresh_read"], d["mcp_read"]) for d in map(json.loads, open(sys.argv[1]))))' "$work/rounds")."
	echo "<!-- end bench/bench_mcp.sh -->"
)
printf '%s\n' "$section"
if [ -f "$results" ] && grep -q '^<!-- bench/bench_mcp.sh -->$' "$results"; then
	awk -v new="$section" '
		/^<!-- bench\/bench_mcp.sh -->$/ {print new; skip = 1; next}
		/^<!-- end bench\/bench_mcp.sh -->$/ {skip = 0; next}
		!skip {print}' "$results" >"$results.tmp"
	mv "$results.tmp" "$results"
else
	printf '\n%s\n' "$section" >>"$results"
fi
echo "bench_mcp: wrote ${results#"$root"/}" >&2
