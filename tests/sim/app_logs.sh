#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# app logs and app events against mech sim: the instance's pods (prefixed
# when several), --tail, --pod, --container, --previous, --follow bounded
# by --timeout; events filtered to the instance, warnings first. A
# degraded deploy: wait fails naming the pod's back-off event
# (result.failing), keeps result.live and suggests logs/events/rollback,
# and logs returns the crash lines. A pending wait that never saw the
# Application has live: null.
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
sim_start --sync-delay 100ms --health-delay 100ms --degrade-tag broken
sim_config
mech app create web --image registry.example.com/alice/nginx:1.27 --replicas 2 --wait --timeout 30s
expect_rc 0 "app create --wait"
mech app create api --image nginx:1.27 --wait --timeout 30s
expect_rc 0 "a second app: its pods and events stay out of web's"

# ---- logs ----
mech app -a web logs
expect_rc 0 "logs"
expect_eq "$(grep -c '^\[web--main-[a-z0-9]*-[a-z0-9]*\] Starting nginx 1.27 on :8080$' <<<"$out")" 2 "one startup line per pod, prefixed [pod]"
expect_not_in "$out" "api--main" "another app's pods are not read"
mech app -a web logs --json
expect_rc 0 "logs --json"
expect_eq "$(json "$out" '[len(p["lines"]) for p in d["result"]["pods"]]')" "[3, 3]" "every line of each pod"
expect_eq "$(json "$out" '(d["result"]["app"], d["result"]["instance"], d["result"]["tail"], d["result"]["pods"][0]["error"])')" "('web', 'main', 200, None)" "logs --json fields"
POD=$(json "$out" 'd["result"]["pods"][0]["pod"]')
mech app -a web logs --tail 1 --pod "$POD"
expect_rc 0 "logs --tail 1 --pod"
expect_eq "$out" "Ready to serve requests" "one pod: no prefix; --tail 1: the last line"
mech app -a web logs --since 1h --pod "$POD" -c web
expect_eq "$(wc -l <<<"$out")" 3 "--since 1h --container web"
mech app -a web logs --pod nope
expect_rc 4 "an unknown pod: not found"
expect_in "$err" "pod nope is not one of web/main's pods ($POD" "the pods are named"
mech app -a web logs --container side
expect_rc 4 "an unknown container: not found"
mech app -a web logs --previous --pod "$POD"
expect_rc 1 "no previous container: failed"
expect_in "$err" "previous terminated container \"web\" in pod \"$POD\" not found" "the API's reason"
mech app -a web logs --previous --json
expect_rc 1 "no pod has a previous container: failed"
mech app -a web logs --follow --timeout 5s
expect_rc 64 "--follow on two pods needs --pod"
mech app -a web logs --follow --timeout 1s --pod "$POD" --json
expect_rc 0 "--follow --timeout: ends at the timeout"
expect_eq "$(json "$out" '(d["result"]["ended"], d["result"]["pods"][0]["lines"])')" \
	"('timeout', ['Starting nginx 1.27 on :8080', 'Listening on :8080', 'Ready to serve requests'])" "followed lines, then the timeout"
mech app -a web logs --follow --timeout 1s --pod "$POD"
expect_eq "$(head -1 <<<"$out")" "Starting nginx 1.27 on :8080" "--follow prints as it reads"

# --follow ends when the pod goes (a rollout replaces it), before its timeout
"$MECH" app -a web logs --follow --timeout 120s --pod "$POD" >"$T/follow.out" 2>"$T/follow.err" &
FOLLOWER=$!
cleanup_hooks+=("kill $FOLLOWER 2>/dev/null")
streaming() { grep -q "Ready to serve requests" "$T/follow.out"; }
wait_until 60 streaming || fail "--follow printed nothing: $(cat "$T/follow.err")"
mech app -a web deploy --tag 1.28
mech app -a web wait --timeout 30s
expect_rc 0 "a rollout replaces the followed pod"
wait "$FOLLOWER"
expect_eq "$?" 0 "the follower ends with exit 0"
expect_in "$(cat "$T/follow.err")" "$POD: the stream ended: the pod is gone" "it ended because the pod went"
mech app -a web logs --json
POD=$(json "$out" 'd["result"]["pods"][0]["pod"]')

# ---- events ----
mech app -a web events
expect_rc 0 "events"
expect_eq "$(head -1 <<<"$out" | tr -s ' ')" "LAST SEEN TYPE REASON OBJECT COUNT MESSAGE" "kubectl's columns"
expect_in "$out" "deployment/web--main" "the Deployment's events"
expect_in "$out" "pod/$POD" "the pods' events"
expect_not_in "$out" "api--main" "another app's events are not shown"
mech app -a web events --json
expect_eq "$(json "$out" 'sorted({e["kind"] for e in d["result"]["events"]})')" "['Deployment', 'Pod', 'ReplicaSet']" "kinds of the instance's objects"

# ---- a degraded deploy ----
mech app -a web deploy --tag broken
mech app -a web wait --timeout 30s --json
expect_rc 1 "wait on a degraded deploy: failed"
expect_eq "$(json "$out" '(d["ok"], d["error"]["code"], d["result"]["state"], d["result"]["live"]["health"])')" \
	"(False, 'failed', 'failed', 'Degraded')" "the failure keeps the last Application state"
expect_eq "$(json "$out" 'd["result"]["failing"]["reason"]')" "BackOff" "the failing pod's last warning"
BAD=$(json "$out" 'd["result"]["failing"]["pod"]')
expect_in "$(json "$out" 'd["result"]["failing"]["message"]')" "Back-off restarting failed container web in pod $BAD" "its message"
expect_eq "$(json "$out" 'd["next"]')" \
	"['mech app -a web -i main logs', 'mech app -a web -i main events', 'mech app -a web -i main rollback']" "next: logs, events, rollback"
mech app -a web wait --timeout 30s
expect_rc 1 "text: failed"
expect_in "$err" "failing pod $BAD: BackOff: Back-off restarting failed container" "text names the pod"
expect_in "$out" "next: mech app -a web -i main logs" "text: next"
mech app -a web logs --pod "$BAD"
expect_rc 0 "logs of the crash-looping pod"
expect_eq "$(sed -n 2p <<<"$out")" "error: nginx broken: startup check failed: exit status 1" "its last run ends with the error"
mech app -a web logs --previous --pod "$BAD"
expect_rc 0 "logs --previous"
expect_eq "$(sed -n 2p <<<"$out")" "error: nginx broken: startup check failed: exit status 1" "--previous: the crash"
mech app -a web logs --json
expect_eq "$(json "$out" 'd["next"][0]')" "mech app -a web -i main events" "logs of failing pods suggests events"
mech app -a web events --json
expect_eq "$(json "$out" '(d["result"]["events"][0]["type"], d["result"]["events"][0]["reason"], d["result"]["events"][0]["count"])')" \
	"('Warning', 'BackOff', 5)" "warnings first, with their count"
expect_eq "$(json "$out" 'd["next"]')" "['mech app -a web -i main logs']" "events with warnings suggests logs"
# the next the failure suggested: rollback, then the wait ends Healthy at the old tag
mech app -a web -i main rollback --wait --timeout 30s --json
expect_rc 0 "rollback --wait after the degraded deploy"
expect_eq "$(json "$out" '(d["result"]["state"], d["result"]["live"]["health"])')" "('done', 'Healthy')" "Healthy again"
mech app -a web wait --tag 1.28 --timeout 30s
expect_rc 0 "at the tag from before the degraded deploy"
mech app -a web deploy --tag 1.27
mech app -a web wait --timeout 30s --json
expect_rc 0 "back to a good tag"
expect_eq "$(json "$out" 'd["result"]["live"]["health"]')" "Healthy" "healthy again"

# ---- an overlay from before mech.dev/instance keeps the old instance label ----
mech app create old --image nginx:1.27
human_clone alice "$T/human"
sed -i 's#mech.dev/instance: main#app.kubernetes.io/instance: old--main#' "$T/human/apps/old/overlays/main/kustomization.yaml"
git -C "$T/human" commit -qam "old: the label an earlier mech wrote"
git -C "$T/human" push -q origin HEAD:main
mech app -a old wait --timeout 30s
expect_rc 0 "the legacy-labelled instance runs"
mech app -a old logs --json
expect_rc 0 "logs of a legacy-labelled instance"
expect_eq "$(json "$out" '[p["lines"][0] for p in d["result"]["pods"]]')" "['Starting nginx 1.27 on :8080']" "its pods are found by the old label"

# ---- a wait that never saw the Application: live is null ----
sim_stop
sim_start --poll 1h
sim_config
mech app create late --image nginx:1.27
mech app -a late wait --timeout 300ms --json
expect_rc 2 "pending: the Application never appeared"
expect_eq "$(json "$out" '(d["result"]["state"], d["result"]["live"])')" "('pending', None)" "live is null, not absent"
mech app list --json
expect_eq "$(json "$out" '[i["live"] for a in d["result"]["apps"] if a["name"] == "late" for i in a["instances"]]')" "[None]" "app list: no Application yet is null, not a string"
mech app -a late info --json
expect_eq "$(json "$out" 'd["result"]["instances"][0]["live"]')" "None" "app info: the same"
finish
