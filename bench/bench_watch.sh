#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Argo CD watch stream under a burst: N apps, then one commit that
# changes all N overlays, so mech sim sends N ADDED events on connect and
# about 3N state changes. mech's client (bench/watch_probe, core/live/http.c's
# SSE reader and core/live/argocd.c's parser) and curl -N read the same stream in
# the same run; the figure is events per second over the active window, and
# whether mech saw as many events as curl.
#
#   bench/bench_watch.sh MECH PROBE [N]
set -euo pipefail
MECH=$(realpath "${1:?usage: bench_watch.sh MECH PROBE [N]}")
PROBE=$(realpath "${2:?usage: bench_watch.sh MECH PROBE [N]}")
N=${3:-${WATCH_N:-1000}}
work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-watch.XXXXXX")
sim_pid=
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export MECH_HOME=$work/mech HOME=$work/home TZ=UTC NO_COLOR=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
mkdir -p "$HOME"
say() { printf 'bench_watch: %s\n' "$*" >&2; }
"$MECH" admin init >/dev/null
"$MECH" admin tenant add bench >/dev/null 2>&1
say "creating $N apps"
for i in $(seq 1 "$N"); do "$MECH" app create "app$i" --image "nginx:1.1" >/dev/null 2>&1; done
"$MECH" sim --listen 127.0.0.1:0 --sync-delay 0ms --health-delay 0ms --kustomize builtin --poll 50ms >"$work/sim.out" 2>/dev/null &
sim_pid=$!
for _ in $(seq 1 600); do grep -qs 'listening on' "$work/sim.out" && break; sleep 0.05; done
url=$(sed -n 's/^mech sim: listening on //p' "$work/sim.out")
[ -n "$url" ] || { say "mech sim did not start listening in 30 s"; exit 1; }
for _ in $(seq 1 600); do
	n=$(curl -s "$url/api/v1/applications?projects=bench" | grep -o '"status":"Healthy"' | wc -l)
	[ "$n" -ge "$N" ] && break
	sleep 0.2
done
# readers first, then the burst
curl -sN "$url/api/v1/stream/applications?projects=bench" -H 'Accept: text/event-stream' >"$work/curl.out" &
curl_pid=$!
"$PROBE" "$url" bench "$((N * 2))" 60000 "$N" >"$work/probe.out" &
probe_pid=$!
sleep 1
git clone -q "$MECH_HOME/tenants/bench/gitops.git" "$work/clone"
sed -i 's/newTag: "\{0,1\}1.1"\{0,1\}$/newTag: "1.2"/' "$work"/clone/apps/*/overlays/main/kustomization.yaml
git -C "$work/clone" commit -qam "deploy 1.2 everywhere"
git -C "$work/clone" push -q origin HEAD
wait "$probe_pid"
kill "$curl_pid" 2>/dev/null || true
read -r events window replay_ms <"$work/probe.out"
curl_events=$(grep -c '^data:' "$work/curl.out" || true)
rate=$(awk -v e="$N" -v w="$replay_ms" 'BEGIN { if (w > 0) printf "%.0f", e * 1000 / w; else print "more than " e * 1000 }')
printf 'WATCH_N=%s\nWATCH_MECH_EVENTS=%s\nWATCH_CURL_EVENTS=%s\nWATCH_WINDOW_MS=%s\nWATCH_REPLAY_MS=%s\nWATCH_MECH_REPLAY_RATE=%s\n' \
	"$N" "$events" "$curl_events" "$window" "$replay_ms" "$rate"
