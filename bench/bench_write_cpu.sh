#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CPU per write: N (30) sequential `mech app create` on a tenant of APPS
# apps (default 10 1000 10000; the tenant of bench_writers.sh), counted by
# `perf stat -e task-clock` over the whole loop, the detached pack merges
# the writes start included (the loop ends by waiting for them: flock on
# compact.lock); divided by N. That is the CPU a write costs the machine,
# which bounds commits per second before any lock: at C ms a write, 2 CPUs
# give at most 2000 / C commits a second. With several builds
# (`old=/tmp/old/mech`), each gets its own tenant per size and they take
# turns, ROUNDS (3) times; the figure is the median of the rounds. The bash
# loop itself (a fork and exec per write) is in every figure alike.
#
#   bench/bench_write_cpu.sh MECH [LABEL=MECH...]
#
# Prints KEY=VALUE lines on stdout (ms of CPU per write) and progress on stderr.
set -euo pipefail
shopt -s inherit_errexit

[ $# -ge 1 ] || { echo "usage: bench_write_cpu.sh MECH [LABEL=MECH...]" >&2; exit 64; }
command -v perf >/dev/null || { echo "bench_write_cpu: needs perf (linux-perf)" >&2; exit 69; }
N=${N:-30}
ROUNDS=${ROUNDS:-3}
APPS=${APPS:-10 1000 10000}
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-write-cpu.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home TZ=UTC LANG=C.UTF-8 NO_COLOR=1
mkdir -p "$HOME"
say() { echo "bench_write_cpu: $*" >&2; }
. "$(dirname "$0")/lib_tenant.sh"
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

builds "$@"

# the loop perf counts: N writes, then the merges they started
cat >"$work/loop.sh" <<'LOOP'
#!/usr/bin/env bash
bin=$1 home=$2 n=$3 tag=$4
for ((k = 1; k <= n; k++)); do
	MECH_HOME=$home "$bin" --tenant bench app create "$tag$k" --image nginx:1.27 >/dev/null 2>&1 ||
		{ echo "write $tag$k failed" >"$home/failed"; exit 1; }
done
flock "$home/tenants/bench/gitops.git/compact.lock" true
LOOP
chmod +x "$work/loop.sh"

for a in $APPS; do
	for i in "${!bins[@]}"; do writes_tenant "${bins[$i]}" "$work/h$a.$i" "$a"; done
	for ((r = 1; r <= ROUNDS; r++)); do
		for i in "${!bins[@]}"; do
			home=$work/h$a.$i
			ms=$(perf stat -x, -e task-clock "$work/loop.sh" "${bins[$i]}" "$home" "$N" "r${r}x" 2>&1 >/dev/null |
				awk -F, '/task-clock/ {print $1}') || true
			[ ! -e "$home/failed" ] || { say "${labels[$i]}: $(cat "$home/failed")"; exit 1; }
			per=$(awk -v m="$ms" -v n="$N" 'BEGIN {printf "%.2f", m / n}')
			say "${labels[$i]}: $a apps, round $r: $per ms of CPU a write (load $(cut -d' ' -f1 /proc/loadavg))"
			echo "$per" >>"$work/cpu.$a.$i"
		done
	done
	for i in "${!bins[@]}"; do
		repo=$work/h$a.$i/tenants/bench/gitops.git
		git --git-dir="$repo" fsck --strict --no-dangling >/dev/null 2>&1 ||
			{ say "${labels[$i]}: git fsck failed at $a apps"; exit 1; }
		echo "WRITE_CPU_${labels[$i]}_${a}_MS=$(median <"$work/cpu.$a.$i")"
		echo "WRITE_CPU_${labels[$i]}_${a}_ROUNDS='$(tr '\n' ' ' <"$work/cpu.$a.$i" | sed 's/ $//')'"
		echo "WRITE_CPU_${labels[$i]}_${a}_PACKS=$(find "$repo/objects/pack" -name '*.pack' | wc -l)"
	done
done
echo "WRITE_CPU_N=$N"
echo "WRITE_CPU_ROUNDS=$ROUNDS"
echo "WRITE_CPU_LABELS='${labels[*]}'"
