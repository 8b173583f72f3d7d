#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Start-up and a write, for builds of mech linked differently, in one run:
# whether linking the libraries' archives (MECH_STATIC_DEPS, the local
# build) still pays against the shared libraries (the package), and what
# core/git/git_lazy.c's deferrals cost or save.
#
#   bench/bench_startup.sh                       # builds both from this tree
#   bench/bench_startup.sh LABEL=path/to/mech …  # any builds (path after the last =)
#
# Per build: `perf stat -r RUNS -e task-clock,page-faults mech --version`
# (RUNS, default 200) and WRITE_N (100) sequential `mech app create` into a
# fresh tenant, median of ROUNDS (3) rounds. Rounds alternate between the
# builds, so a change of the machine's load reaches all of them. Prints a
# Markdown section and writes it into RESULTS (default bench/RESULTS.md)
# between its markers, which bench/run keeps; NOTE, if set, is a paragraph
# under the table (what the builds are, when they are not this tree's).
set -euo pipefail
shopt -s inherit_errexit

root=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-200}
WRITE_N=${WRITE_N:-100}
ROUNDS=${ROUNDS:-3}
results=${RESULTS:-$root/bench/RESULTS.md}
command -v perf >/dev/null || { echo "bench_startup: perf is not installed (linux-perf)" >&2; exit 1; }

say() { echo "bench_startup: $*" >&2; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
ms_since() { awk -v d=$(($(date +%s%N) - $1)) 'BEGIN {printf "%.3f\n", d / 1e6}'; }

labels=()
bins=()
if [ $# -eq 0 ]; then
	for kind in static:ON dynamic:OFF; do
		dir=$root/build-bench-${kind%:*}
		say "building $dir (MECH_STATIC_DEPS=${kind#*:})"
		cmake -S "$root" -B "$dir" -DMECH_TESTS=OFF -DMECH_STATIC_DEPS="${kind#*:}" >/dev/null
		cmake --build "$dir" -j "$(nproc)" --target mech >/dev/null
		labels+=("${kind%:*} (MECH_STATIC_DEPS=${kind#*:})")
		bins+=("$dir/mech")
	done
else
	for arg in "$@"; do
		labels+=("${arg%=*}")
		bins+=("${arg##*=}")
	done
fi
for b in "${bins[@]}"; do [ -x "$b" ] || { say "no binary $b"; exit 1; }; done

work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-startup.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home TZ=UTC LANG=C.UTF-8 NO_COLOR=1 GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"

# perf stat's summary: task-clock (ms), page faults, elapsed (ms)
perf_version() { # mech
	perf stat -r "$RUNS" -e task-clock,page-faults "$1" --version 2>&1 >/dev/null | awk '
		/task-clock/ {tc = $1}
		/page-faults/ {pf = $1}
		/seconds time elapsed/ {el = $1 * 1000}
		END {printf "%.2f %d %.2f\n", tc, pf, el}'
}

write_round() { # mech home
	local k s
	MECH_HOME=$2 "$1" admin tenant add bench >/dev/null 2>&1
	s=$(date +%s%N)
	for ((k = 1; k <= WRITE_N; k++)); do
		MECH_HOME=$2 "$1" --tenant bench app create "app$k" --image nginx:1.27 >/dev/null 2>&1 ||
			{ say "$1: app create app$k failed"; exit 1; }
	done
	ms_since "$s"
	[ "$(git --git-dir="$2/tenants/bench/gitops.git" rev-list --count main)" -eq $((WRITE_N + 1)) ] ||
		{ say "$1 made the wrong number of commits"; exit 1; }
}

declare -A tc pf el writes
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
	for i in "${!bins[@]}"; do
		read -r t p e < <(perf_version "${bins[i]}")
		tc[$i]+="$t " pf[$i]+="$p " el[$i]+="$e "
		w=$(write_round "${bins[i]}" "$work/h$r-$i")
		writes[$i]+="$w "
		say "round $r: ${labels[i]}: --version $t ms CPU, $p page faults, $e ms; $WRITE_N writes $w ms"
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
section=$(
	echo "<!-- bench/bench_startup.sh -->"
	echo "## Start-up: archives or shared libraries"
	echo
	echo "Written by \`bench/bench_startup.sh\` on $(date -u +%Y-%m-%d) ($(uname -m), $(nproc) CPUs,"
	echo "${cpu:-unknown CPU}, Linux $(uname -r); load average before $load_before, after"
	echo "$load_after). \`mech --version\`: \`perf stat -r $RUNS -e task-clock,page-faults\`,"
	echo "means; writes: $WRITE_N sequential \`mech app create\` into a fresh tenant, per write,"
	echo "median of $ROUNDS rounds (builds alternate within each round)."
	echo
	echo "| build | \`--version\` CPU | page faults | \`--version\` elapsed | per write |"
	echo "|---|---|---|---|---|"
	for i in "${!bins[@]}"; do
		printf '| %s | %s ms | %s | %s ms | %s ms |\n' "${labels[i]}" "$(med "${tc[$i]}")" \
			"$(med "${pf[$i]}")" "$(med "${el[$i]}")" \
			"$(awk -v t="$(med "${writes[$i]}")" -v n="$WRITE_N" 'BEGIN {printf "%.2f", t / n}')"
	done
	[ -z "${NOTE:-}" ] || printf '\n%s\n' "$NOTE"
	echo "<!-- end bench/bench_startup.sh -->"
)
printf '%s\n' "$section"
if [ -f "$results" ] && grep -q '^<!-- bench/bench_startup.sh -->$' "$results"; then
	awk -v new="$section" '
		/^<!-- bench\/bench_startup.sh -->$/ {print new; skip = 1; next}
		/^<!-- end bench\/bench_startup.sh -->$/ {skip = 0; next}
		!skip {print}' "$results" >"$results.tmp"
	mv "$results.tmp" "$results"
else
	printf '\n%s\n' "$section" >>"$results"
fi
say "wrote ${results#"$root"/}"
