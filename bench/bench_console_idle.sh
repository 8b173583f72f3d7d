#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The console left open on a large tenant while writes land (one `app create` a second): the CPU it uses
# (percent of one core) and how its resident memory moves, against tig left
# open on the same repository with a periodic refresh (its peer for "shows
# new commits as they come").
#
# A tenant of APPS apps (default 10,000) and IDLE_COMMITS commits (default
# 100,000, every 100th changing an app, as bench_console.sh); the console (apps view) and tig
# (main view, `refresh-mode = periodic`, every second) each run in their own
# tmux pane for SECONDS (default 30) while one `mech app create` lands
# every second. CPU is utime + stime from /proc/PID/stat over the window;
# memory is VmRSS, and RssAnon (private: heap), at the start and at the end
# (the start is after five warm-up writes).
#
# With IDLE_SIM=1 (the default) the tenant's Argo CD is `mech sim`
# (`--kustomize builtin`), started before the console and waited for until
# every app is Healthy: the console then also keeps APPS Applications live
# through its watch, and each write adds one more. IDLE_SIM=0 runs without
# Argo CD (Git only). The sim's own CPU is not counted.
#
#   bench/bench_console_idle.sh MECH [APPS] [SECONDS]
set -euo pipefail
MECH=$(realpath "${1:?usage: bench_console_idle.sh MECH [APPS] [SECONDS]}")
APPS=${2:-${IDLE_APPS:-10000}}
SECONDS_OPEN=${3:-${IDLE_SECONDS:-30}}
COMMITS=${IDLE_COMMITS:-100000}
command -v tmux >/dev/null || { echo "bench_console_idle: tmux is not installed" >&2; exit 77; }
command -v tig >/dev/null || { echo "bench_console_idle: tig is not installed (apt-get install tig)" >&2; exit 77; }
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-idle.XXXXXX")
sock="$work/tmux.sock"
sim_pid=
trap 'tmux -S "$sock" kill-server 2>/dev/null || true; [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null; rm -rf "$work"' EXIT
export TZ=UTC NO_COLOR=1
say() { printf 'bench_console_idle: %s\n' "$*" >&2; }
. "$(dirname "$0")/lib_tenant.sh"

make_home "$work/h" "$APPS" 100
export MECH_HOME=$work/h/mech HOME=$work/h/home
repo=$MECH_HOME/tenants/bench/gitops.git
if [ "${IDLE_SIM:-1}" = 1 ]; then
	sim_healthy "$MECH" "$APPS"
	printf 'argocd: {url: "%s", timeout_ms: 60000}\n' "$url" >"$MECH_HOME/mech.yaml"
fi
printf 'set refresh-mode = periodic\nset refresh-interval = 1\n' >"$work/tigrc"

ticks=$(getconf CLK_TCK)
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# the heap and other private memory: what a leak would grow (VmRSS also
# counts the pack files libgit2 maps, which the kernel can drop)
anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }

# open TOOL-COMMAND in a pane, wait for WHAT on its screen; prints the pid
open_pane() { # name what command...
	local name=$1 what=$2 i pid
	shift 2
	tmux -S "$sock" new-session -d -s "$name" -x 200 -y 50 "exec $*"
	for ((i = 0; i < 600; i++)); do
		tmux -S "$sock" capture-pane -p -t "$name" 2>/dev/null | grep -q "$what" && break
		sleep 0.1
	done
	tmux -S "$sock" capture-pane -p -t "$name" | grep -q "$what" ||
		{ say "$name never showed \"$what\""; exit 1; }
	tmux -S "$sock" display -p -t "$name" '#{pane_pid}'
}

# watch PID for SECONDS_OPEN seconds with a write every second:
# "cpu% rss0 rss1 anon0 anon1"
watch_writes() { # pid tag
	local pid=$1 tag=$2 c0 c1 r0 r1 a0 a1 t0 t1 i
	# five writes first: the first ones grow the heap to its working size, and
	# "flat" is about what happens after that
	for ((i = 0; i < 5; i++)); do
		"$MECH" --tenant bench app create "warm$tag-$i" --image "nginx:1.$i" >/dev/null 2>&1 ||
			{ say "warm-up write $i failed"; exit 1; }
		sleep 1
	done
	c0=$(cpu_ticks "$pid") r0=$(rss_kb "$pid") a0=$(anon_kb "$pid") t0=$(date +%s%N)
	for ((i = 0; i < SECONDS_OPEN; i++)); do
		"$MECH" --tenant bench app create "idle$tag-$i" --image "nginx:1.$i" >/dev/null 2>&1 ||
			{ say "write $i failed"; exit 1; }
		sleep 1
	done
	c1=$(cpu_ticks "$pid") r1=$(rss_kb "$pid") a1=$(anon_kb "$pid") t1=$(date +%s%N)
	awk -v c="$((c1 - c0))" -v hz="$ticks" -v ns="$((t1 - t0))" -v r0="$r0" -v r1="$r1" \
		-v a0="$a0" -v a1="$a1" \
		'BEGIN {printf "%.1f %d %d %d %d\n", 100 * (c / hz) / (ns / 1e9), r0, r1, a0, a1}'
}

# a session that outlives the two measured ones, so the server stays up between them
tmux -S "$sock" new-session -d -s keep -x 80 -y 24 "exec sleep 100000"
pid=$(open_pane mech "app1 " env MECH_HOME="$MECH_HOME" HOME="$HOME" \
	"$MECH" --tenant bench console)
say "console open (pid $pid); $SECONDS_OPEN writes, one a second"
read -r mech_cpu mech_rss0 mech_rss1 mech_anon0 mech_anon1 < <(watch_writes "$pid" 2)
# the console followed the writes: the last one is on its screen or in its header
tmux -S "$sock" kill-session -t mech

pid=$(open_pane tig "\[main\]" env HOME="$HOME" TIGRC_USER="$work/tigrc" GIT_DIR="$repo" tig main)
say "tig open (pid $pid); $SECONDS_OPEN writes, one a second"
read -r tig_cpu tig_rss0 tig_rss1 tig_anon0 tig_anon1 < <(watch_writes "$pid" 3)
tmux -S "$sock" capture-pane -p -t tig | grep -q "idle3-" ||
	say "tig did not show the writes (refresh-mode periodic)"
tmux -S "$sock" kill-session -t tig

cat <<EOF
IDLE_APPS=$APPS
IDLE_SIM=${IDLE_SIM:-1}
IDLE_SECONDS=$SECONDS_OPEN
IDLE_MECH_CPU_PCT=$mech_cpu
IDLE_MECH_RSS0_KB=$mech_rss0
IDLE_MECH_RSS1_KB=$mech_rss1
IDLE_MECH_ANON0_KB=$mech_anon0
IDLE_MECH_ANON1_KB=$mech_anon1
IDLE_TIG_CPU_PCT=$tig_cpu
IDLE_TIG_RSS0_KB=$tig_rss0
IDLE_TIG_RSS1_KB=$tig_rss1
IDLE_TIG_ANON0_KB=$tig_anon0
IDLE_TIG_ANON1_KB=$tig_anon1
EOF
