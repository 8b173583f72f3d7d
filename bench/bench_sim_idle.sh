#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `mech sim` left idle (issue 19): the CPU it uses once every Application is
# Healthy and nothing changes, on a tenant of 1,000 and 10,000 apps
# (SIM_IDLE_APPS), each build against the others in the same run: the
# builds take turns, ROUNDS (3) times, on the same repository; the figure
# is the median. CPU is utime + stime from /proc/PID/stat over
# SIM_IDLE_SECONDS (20), after every app is Healthy and 2 s more; in
# percent of one core. The sim runs as the benchmarks start it (`--sync-delay
# 0ms --health-delay 0ms --kustomize builtin`), without
# MECH_SIM_CHECK_RENDER. Prints a Markdown section for bench/RESULTS.md on
# stdout, progress on stderr. Never run by ctest.
#
#   bench/bench_sim_idle.sh MECH [LABEL=MECH...]     (an older build: base=path/to/mech)
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench_sim_idle.sh MECH [LABEL=MECH...]" >&2; exit 64; }
APPS_LIST=${SIM_IDLE_APPS:-1000 10000}
SECONDS_IDLE=${SIM_IDLE_SECONDS:-20}
ROUNDS=${ROUNDS:-3}
COMMITS=1
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-sim-idle.XXXXXX")
sim_pid=
trap '[ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null; rm -rf "$work"' EXIT
export TZ=UTC NO_COLOR=1 LANG=C.UTF-8 GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
unset MECH_TENANT MECH_SIM_CHECK_RENDER 2>/dev/null || true
say() { printf 'bench_sim_idle: %s\n' "$*" >&2; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
. "$(dirname "$0")/lib_tenant.sh"
builds "$@"
MECH=${bins[0]} # make_home's tenant is written by the first build
ticks=$(getconf CLK_TCK)

# idle BIN APPS: start BIN's sim on the home, wait until APPS apps are
# Healthy, print its CPU (% of a core) over SECONDS_IDLE, stop it
idle() {
	local bin=$1 apps=$2 c0 c1 t0 t1
	sim_healthy "$bin" "$apps"
	sleep 2
	c0=$(cpu_ticks "$sim_pid") t0=$(date +%s%N)
	sleep "$SECONDS_IDLE"
	c1=$(cpu_ticks "$sim_pid") t1=$(date +%s%N)
	kill "$sim_pid"
	wait "$sim_pid" 2>/dev/null || true
	sim_pid=
	awk -v c="$((c1 - c0))" -v hz="$ticks" -v ns="$((t1 - t0))" \
		'BEGIN {printf "%.1f\n", 100 * (c / hz) / (ns / 1e9)}'
}

rows=
for n in $APPS_LIST; do
	make_home "$work/a$n" "$n" 1
	export MECH_HOME=$work/a$n/mech HOME=$work/a$n/home
	# the tenant's apps are "web" and app1..app(n-1)
	for ((r = 0; r < ROUNDS; r++)); do
		for k in "${!bins[@]}"; do
			say "$n apps, round $((r + 1)): ${labels[$k]}"
			idle "${bins[$k]}" "$n" >>"$work/cpu.$n.$k"
		done
	done
	row="| $n |"
	for k in "${!bins[@]}"; do
		row+=" $(median <"$work/cpu.$n.$k") % ($(paste -sd/ "$work/cpu.$n.$k")) |"
	done
	rows+="$row"$'\n'
	rm -rf "$work/a$n"
done

head="| apps |"
sep="|---|"
for k in "${!bins[@]}"; do
	head+=" ${labels[$k]}: idle CPU, median (rounds) |"
	sep+="---|"
done
cat <<EOF
### mech sim left idle ($(date -u +%Y-%m-%d), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))

\`bench/bench_sim_idle.sh\`: utime + stime of \`mech sim --sync-delay 0ms --health-delay 0ms
--kustomize builtin\` over ${SECONDS_IDLE} s once every Application is Healthy, in percent of one
core; the builds take turns on the same repository, ${ROUNDS} rounds.

$head
$sep
$rows
EOF
