#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `mech app list` with N apps (default 1000) against mech sim: wall time
# (median) and peak memory, next to the peer a script would assemble for
# the same table — Argo CD's application list (curl) plus the desired
# state from Git (git ls-tree + git show of every overlay) — in the same run.
# The sim renders with its builtin kustomize: what is measured is mech's
# side, not 1,000 runs of kubectl.
#
#   bench/bench_applist.sh MECH [N]
#
# Prints KEY=VALUE lines on stdout; progress on stderr.
set -euo pipefail
MECH=$(realpath "${1:?usage: bench_applist.sh MECH [N]}")
N=${2:-${APPLIST_N:-1000}}
RUNS=${RUNS:-5}
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-list.XXXXXX")
sim_pid=
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export MECH_HOME=$work/mech HOME=$work/home TZ=UTC NO_COLOR=1
mkdir -p "$HOME"
say() { printf 'bench_applist: %s\n' "$*" >&2; }
ms() { date +%s%N; }

"$MECH" admin init >/dev/null
"$MECH" admin tenant add bench >/dev/null 2>&1
say "creating $N apps"
for i in $(seq 1 "$N"); do
	"$MECH" app create "app$i" --image "nginx:1.$((i % 30))" >/dev/null 2>&1
done
"$MECH" sim --listen 127.0.0.1:0 --sync-delay 0ms --health-delay 0ms --kustomize builtin >"$work/sim.out" 2>/dev/null &
sim_pid=$!
for _ in $(seq 1 600); do grep -qs 'listening on' "$work/sim.out" && break; sleep 0.05; done
url=$(sed -n 's/^mech sim: listening on //p' "$work/sim.out")
[ -n "$url" ] || { say "mech sim did not start listening in 30 s"; exit 1; }
printf 'argocd: {url: "%s", timeout_ms: 30000}\n' "$url" >"$MECH_HOME/mech.yaml"
# let the sim settle every app
for _ in $(seq 1 600); do
	n=$(curl -s "$url/api/v1/applications?projects=bench" | grep -o '"status":"Healthy"' | wc -l)
	[ "$n" -ge "$N" ] && break
	sleep 0.2
done
"$MECH" app list --json >"$work/list.json"
got=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for a in d["result"]["apps"] for i in a["instances"] if isinstance(i.get("live"),dict) and i["live"]["health"]=="Healthy"))' "$work/list.json")
[ "$got" = "$N" ] || { say "app list saw $got healthy instances, want $N"; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mech_runs=$(for _ in $(seq 1 "$RUNS"); do t0=$(ms); "$MECH" app list --json >/dev/null; t1=$(ms); echo $(((t1 - t0) / 1000)); done | median)
peak=$(/usr/bin/time -f %M "$MECH" app list --json 2>&1 >/dev/null | tail -1)
repo=$MECH_HOME/tenants/bench/gitops.git
peer() {
	curl -s "$url/api/v1/applications?projects=bench" >/dev/null
	git --git-dir="$repo" ls-tree -r --name-only main -- apps | grep '/overlays/' |
		while read -r f; do git --git-dir="$repo" show "main:$f" >/dev/null; done
}
peer_runs=$(for _ in $(seq 1 "$RUNS"); do t0=$(ms); peer; t1=$(ms); echo $(((t1 - t0) / 1000)); done | median)
printf 'APPLIST_N=%s\nAPPLIST_MECH_MS=%s.%03d\nAPPLIST_MECH_PEAK_KB=%s\nAPPLIST_PEER_MS=%s.%03d\n' "$N" \
	$((mech_runs / 1000)) $((mech_runs % 1000)) "$peak" $((peer_runs / 1000)) $((peer_runs % 1000))
