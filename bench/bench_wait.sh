#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `mech app create --wait` and `mech app deploy --wait` against mech sim
# with --realistic: Argo CD without a Git webhook, whose application
# controller notices a commit every 3 minutes and whose ApplicationSet
# generator runs every 3 minutes. mech asks for a refresh after the write
# (?refresh=normal; the ApplicationSet's refresh annotation for a create),
# so a wait takes the sim's sync and rollout (--sync-delay and
# --health-delay, 1s each by default), not the poll. Median of RUNS rounds.
#
#   bench/bench_wait.sh MECH
#
# Prints KEY=VALUE lines on stdout; progress on stderr.
set -euo pipefail
MECH=$(realpath "${1:?usage: bench_wait.sh MECH}")
RUNS=${RUNS:-3}
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-wait.XXXXXX")
sim_pid=
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export MECH_HOME=$work/mech HOME=$work/home TZ=UTC NO_COLOR=1
mkdir -p "$HOME"
say() { printf 'bench_wait: %s\n' "$*" >&2; }
ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$MECH" admin init >/dev/null
"$MECH" admin tenant add bench >/dev/null 2>&1
"$MECH" sim --listen 127.0.0.1:0 --realistic >"$work/sim.out" 2>/dev/null &
sim_pid=$!
for _ in $(seq 1 200); do grep -qs 'listening on' "$work/sim.out" && break; sleep 0.05; done
url=$(sed -n 's/^mech sim: listening on //p' "$work/sim.out")
printf 'argocd: {url: "%s", timeout_ms: 30000}\n' "$url" >"$MECH_HOME/mech.yaml"

timed() { # label command...: wall ms of one run, which must end done (exit 0)
	local t0 t1
	t0=$(ms)
	"$@" --wait --timeout 5m >/dev/null 2>"$work/err" || { say "$1: $(cat "$work/err")"; exit 1; }
	t1=$(ms)
	echo $(((t1 - t0) / 1000000))
}
create=$(for i in $(seq 1 "$RUNS"); do timed "$MECH" app create "web$i" --image nginx:1.27; done | median)
deploy=$(for i in $(seq 1 "$RUNS"); do timed "$MECH" app -a web1 deploy --tag "1.$((27 + i))"; done | median)
say "create --wait ${create} ms, deploy --wait ${deploy} ms (poll interval 180 s)"
printf 'WAIT_RUNS=%s\nWAIT_CREATE_MS=%s\nWAIT_DEPLOY_MS=%s\nWAIT_POLL_S=180\n' "$RUNS" "$create" "$deploy"
