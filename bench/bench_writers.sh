#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Throughput of concurrent writers on one tenant: 8 loops (WRITERS) of
# `mech app create`, N (20) writes each, on tenants of APPS apps (default
# 10 1000 10000), every commit counted afterwards with `git rev-list` and
# the repository checked with `git fsck` (0 lost: a write that answered
# success is in the history). With several binaries (`old=/tmp/old/mech`),
# each gets its own tenant per size and they take turns, ROUNDS (3) times,
# so that a busy machine weighs on all of them alike; the figure is the
# median of the rounds' commits per second. Every round writes to a fresh
# copy of the prepared tenant, so that each is measured at APPS apps (the
# writes of earlier rounds would otherwise grow it round after round).
# Two rates: until the last writer answered (CPS), and until the pack
# merges the writes started in the background are done too (DRAINED_CPS).
#
#   bench/bench_writers.sh MECH [LABEL=MECH...]
#
# Prints KEY=VALUE lines on stdout and progress on stderr.
set -euo pipefail
shopt -s inherit_errexit

[ $# -ge 1 ] || { echo "usage: bench_writers.sh MECH [LABEL=MECH...]" >&2; exit 64; }
W=${WRITERS:-8}
N=${N:-20}
ROUNDS=${ROUNDS:-3}
APPS=${APPS:-10 1000 10000}
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-writers.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home TZ=UTC LANG=C.UTF-8 NO_COLOR=1
mkdir -p "$HOME"
say() { echo "bench_writers: $*" >&2; }
. "$(dirname "$0")/lib_tenant.sh"
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

builds "$@"

for a in $APPS; do
	for i in "${!bins[@]}"; do writes_tenant "${bins[$i]}" "$work/p$a.$i" "$a"; done
	for ((r = 1; r <= ROUNDS; r++)); do
		for i in "${!bins[@]}"; do
			home=$work/h$a.$i
			rm -rf "$home"
			cp -a "$work/p$a.$i" "$home"
			repo=$home/tenants/bench/gitops.git
			base=$(git --git-dir="$repo" rev-list --count main)
			: >"$work/failed"
			s=$(date +%s%N)
			pids=()
			for ((w = 1; w <= W; w++)); do
				(for ((k = 1; k <= N; k++)); do
					MECH_HOME=$home "${bins[$i]}" --tenant bench app create "r${r}w${w}x$k" \
						--image nginx:1.27 >/dev/null 2>&1 || echo "r${r}w${w}x$k" >>"$work/failed"
				done) &
				pids+=($!)
			done
			for p in "${pids[@]}"; do wait "$p"; done
			t=$(($(date +%s%N) - s))
			flock "$repo/compact.lock" true # the merges the writes started
			td=$(($(date +%s%N) - s))
			n=$(($(git --git-dir="$repo" rev-list --count main) - base))
			failed=$(wc -l <"$work/failed")
			lost=$((W * N - failed - n)) # answered as done, yet not in the history
			git --git-dir="$repo" fsck --strict --no-dangling >/dev/null 2>&1 ||
				{ say "${labels[$i]}: git fsck failed at $a apps"; exit 1; }
			cps=$(awk -v n="$n" -v t="$t" 'BEGIN {printf "%.1f", n / t * 1e9}')
			dcps=$(awk -v n="$n" -v t="$td" 'BEGIN {printf "%.1f", n / t * 1e9}')
			say "${labels[$i]}: $a apps, round $r: $n commits in $((t / 1000000)) ms, $cps commits/s ($dcps with the merges), $failed failed, $lost lost"
			echo "$cps" >>"$work/cps.$a.$i"
			echo "$dcps" >>"$work/dcps.$a.$i"
			echo "$lost" >>"$work/lost.$a.$i"
			echo "$failed" >>"$work/failed.$a.$i"
		done
	done
	for i in "${!bins[@]}"; do
		l=${labels[$i]}
		echo "WRITERS_${l}_${a}_CPS=$(median <"$work/cps.$a.$i")"
		echo "WRITERS_${l}_${a}_DRAINED_CPS=$(median <"$work/dcps.$a.$i")"
		echo "WRITERS_${l}_${a}_LOST=$(awk '{s+=$1} END {print s}' "$work/lost.$a.$i")"
		echo "WRITERS_${l}_${a}_FAILED=$(awk '{s+=$1} END {print s}' "$work/failed.$a.$i")"
	done
done
echo "WRITERS=$W"
echo "WRITERS_N=$N"
echo "WRITERS_ROUNDS=$ROUNDS"
echo "WRITERS_LABELS='${labels[*]}'"
