#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Writers queueing for the tenant lock: W (16) `mech app create` started
# at once on one tenant, ROUNDS (5) times; each writer's latency (start to
# exit) is recorded. Peer: a first-come queue, in which the last of W
# writers waits W times one write (a write timed alone, median of 9, in the
# same run), the bound a fair lock can reach. Then 8 writers at LOCK_TPUT_APPS (1,000) apps
# for commits per second (LOCK_TPUT_N, 40 writes each), every commit
# counted (0 lost).
#
#   bench/bench_lock.sh MECH [LABEL=MECH...]
#
# With more binaries (an older build, say, `main=/tmp/main/build/mech`),
# each is measured the same way in the same run, one after the other per
# round. Prints KEY=VALUE lines (milliseconds) and progress on stderr.
set -euo pipefail
shopt -s inherit_errexit

[ $# -ge 1 ] || { echo "usage: bench_lock.sh MECH [LABEL=MECH...]" >&2; exit 64; }
W=${LOCK_WRITERS:-16}
ROUNDS=${ROUNDS:-5}
TN=${LOCK_TPUT_N:-40}
TA=${LOCK_TPUT_APPS:-1000}
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-lock.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME=$work/home TZ=UTC LANG=C.UTF-8 NO_COLOR=1
mkdir -p "$HOME"
say() { echo "bench_lock: $*" >&2; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if (i<1) i=1; print a[i]}'; }
ms_since() { awk -v d=$(($(date +%s%N) - $1)) 'BEGIN {printf "%.3f\n", d / 1e6}'; }

labels=()
bins=()
for a in "$@"; do
	case $a in *=*) labels+=("${a%%=*}"); bins+=("$(realpath "${a#*=}")") ;;
	*) labels+=(mech); bins+=("$(realpath "$a")") ;; esac
done

# one writer: its latency in ms on stdout
one() { # bin home name
	local s
	s=$(date +%s%N)
	MECH_HOME=$2 "$1" --tenant bench app create "$3" --image nginx:1.27 >/dev/null 2>&1 ||
		{ say "write $3 failed"; return 1; }
	ms_since "$s"
}

for i in "${!bins[@]}"; do
	home=$work/h$i
	MECH_HOME=$home "${bins[$i]}" admin tenant add bench >/dev/null 2>&1
	for k in $(seq 9); do one "${bins[$i]}" "$home" "solo$k" >>"$work/solo$i"; done
	flock "$home/tenants/bench/gitops.git/compact.lock" true
done
for ((r = 1; r <= ROUNDS; r++)); do
	for i in "${!bins[@]}"; do
		home=$work/h$i
		pids=()
		for ((k = 1; k <= W; k++)); do
			one "${bins[$i]}" "$home" "r${r}w$k" >"$work/lat$i.$r.$k" &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p"; done
		cat "$work/lat$i.$r".* >>"$work/lat$i"
		flock "$home/tenants/bench/gitops.git/compact.lock" true
	done
done
for i in "${!bins[@]}"; do
	l=${labels[$i]}
	home=$work/h$i
	n=$(git --git-dir="$home/tenants/bench/gitops.git" rev-list --count main)
	[ "$n" -eq $((1 + 9 + ROUNDS * W)) ] || { say "$l: $n commits, expected $((1 + 9 + ROUNDS * W))"; exit 1; }
	solo=$(median <"$work/solo$i")
	p50=$(pct 50 <"$work/lat$i")
	p99=$(pct 99 <"$work/lat$i")
	max=$(pct 100 <"$work/lat$i")
	fair=$(awk -v s="$solo" -v w="$W" 'BEGIN {printf "%.3f", s * w}')
	say "$l: one write $solo ms; $W at once: p50 $p50, p99 $p99, max $max ms; first-come queue $fair ms: p99 $(awk -v a="$p99" -v b="$fair" 'BEGIN {printf "%.2f", a / b}')x"
	echo "LOCK_${l}_SOLO_MS=$solo"
	echo "LOCK_${l}_P50_MS=$p50"
	echo "LOCK_${l}_P99_MS=$p99"
	echo "LOCK_${l}_MAX_MS=$max"
	echo "LOCK_${l}_FAIR_MS=$fair"
done

# throughput: 8 writers, TN writes each, on a tenant of TA apps
for i in "${!bins[@]}"; do
	l=${labels[$i]}
	home=$work/t$i
	MECH_HOME=$home "${bins[$i]}" admin tenant add bench >/dev/null 2>&1
	repo=$home/tenants/bench/gitops.git
	for k in $(seq "$TA"); do
		printf 'M 100644 inline apps/imp%d/overlays/main/kustomization.yaml\ndata 41\nresources:\n- ../../base\n# imported %05d\n\n' "$k" "$k"
	done | { printf 'commit refs/heads/main\ncommitter Mechanics <mechanics@localhost> 1700000000 +0000\ndata 11\nimport apps\nfrom %s\n' \
		"$(git --git-dir="$repo" rev-parse main)"; cat; } | git --git-dir="$repo" fast-import --quiet
	MECH_HOME=$home "${bins[$i]}" --tenant bench app create warm --image nginx:1.27 >/dev/null 2>&1
	flock "$repo/compact.lock" true
	base=$(git --git-dir="$repo" rev-list --count main)
	s=$(date +%s%N)
	pids=()
	for ((w = 1; w <= 8; w++)); do
		(for ((k = 1; k <= TN; k++)); do
			MECH_HOME=$home "${bins[$i]}" --tenant bench app create "t${w}x$k" --image nginx:1.27 \
				>/dev/null 2>&1 || echo "t${w}x$k" >>"$work/lost$i"
		done) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	t=$(ms_since "$s")
	n=$(($(git --git-dir="$repo" rev-list --count main) - base))
	failed=0
	[ -f "$work/lost$i" ] && failed=$(wc -l <"$work/lost$i")
	lost=$((8 * TN - failed - n)) # answered as done, yet not in the history
	cps=$(awk -v n="$n" -v t="$t" 'BEGIN {printf "%.1f", n / t * 1000}')
	say "$l: 8 writers x $TN at $TA apps: $n commits in $t ms, $cps commits/s, $failed failed, $lost lost"
	echo "LOCK_${l}_TPUT_CPS=$cps"
	echo "LOCK_${l}_TPUT_LOST=$lost"
	echo "LOCK_${l}_TPUT_FAILED=$failed"
	flock "$repo/compact.lock" true
done
echo "LOCK_TPUT_N=$TN"
echo "LOCK_TPUT_APPS=$TA"
echo "LOCK_WRITERS=$W"
echo "LOCK_ROUNDS=$ROUNDS"
echo "LOCK_LABELS='${labels[*]}'"
