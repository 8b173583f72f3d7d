#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Pod logs and events in mech sim, as kubectl reads them: a healthy pod's
# startup lines; a --degrade-tag image crash-loops (CrashLoopBackOff, a
# previous container whose log ends with an error line, a BackOff Warning
# event with a count); the log endpoint's query parameters and its errors
# as Status objects (404 unknown pod, 400 unknown container, no previous
# container, bad tailLines); follow=true streams until the client leaves.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
sim_start --sync-delay 100ms --health-delay 100ms --degrade-tag broken
sim_config
"$MECH" --tenant alice app create web --image registry.example.com/alice/nginx:1.27 --port 8080 \
	--wait --timeout 30s >/dev/null 2>"$T/create.err" || { cat "$T/create.err" >&2; fail "app create"; finish; }
API="$SIM_URL/api/v1/namespaces/x-alice"
SEL='app.kubernetes.io%2Fname%3Dweb%2Cmech.dev%2Finstance%3Dmain'
pods() { curl -s --max-time 30 "$API/pods?labelSelector=$SEL" | python3 -c 'import json,sys; print(" ".join(i["metadata"]["name"] for i in json.load(sys.stdin)["items"]))'; }
POD=$(pods)
[ -n "$POD" ] && ok || { fail "no pod selected by the instance labels"; finish; }

# ---- the log endpoint over plain HTTP ----
code=$(curl -s -o "$T/log" -D "$T/hdr" -w '%{http_code}' --max-time 30 "$API/pods/$POD/log")
expect_eq "$code" 200 "GET pods/NAME/log"
expect_in "$(cat "$T/hdr")" "text/plain" "the log is text/plain"
expect_eq "$(head -1 "$T/log")" "Starting nginx 1.27 on :8080" "a healthy pod's startup line"
expect_eq "$(wc -l <"$T/log")" 3 "three startup lines"
expect_eq "$(curl -s --max-time 30 "$API/pods/$POD/log?tailLines=1")" "Ready to serve requests" "tailLines=1: the last line"
expect_eq "$(curl -s --max-time 30 "$API/pods/$POD/log?tailLines=0")" "" "tailLines=0: nothing"
expect_eq "$(curl -s --max-time 30 "$API/pods/$POD/log?limitBytes=8")" "Starting" "limitBytes cuts the text"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z Starting' <<<"$(curl -s --max-time 30 "$API/pods/$POD/log?timestamps=true")" \
	&& ok || fail "timestamps=true prefixes RFC 3339 times"
expect_eq "$(curl -s --max-time 30 "$API/pods/$POD/log?sinceSeconds=86400" | wc -l)" 3 "sinceSeconds=1d: every line"
status() { # url → "code reason: message"
	curl -s -o "$T/st" -w '%{http_code}' --max-time 30 "$1" >"$T/code"
	printf '%s %s\n' "$(cat "$T/code")" "$(json "$(cat "$T/st")" 'd["reason"] + ": " + d["message"]')"
}
expect_eq "$(status "$API/pods/nope/log")" '404 NotFound: pods "nope" not found' "an unknown pod: 404 Status"
expect_eq "$(status "$API/pods/$POD/log?container=side")" "400 BadRequest: container side is not valid for pod $POD" "an unknown container: 400"
expect_eq "$(status "$API/pods/$POD/log?previous=true")" \
	"400 BadRequest: previous terminated container \"web\" in pod \"$POD\" not found" "no previous container: 400"
expect_eq "$(status "$API/pods/$POD/log?tailLines=-1")" \
	"400 BadRequest: tailLines: Invalid value: -1: must be greater than or equal to 0" "tailLines=-1: 400"
expect_eq "$(status "$API/pods/$POD/log?sinceSeconds=0")" \
	"400 BadRequest: sinceSeconds: Invalid value: 0: must be greater than 0" "sinceSeconds=0: 400"
expect_eq "$(status "$API/pods/$POD/log?limitBytes=x")" \
	"400 BadRequest: limitBytes: Invalid value: \"x\": must be an integer" "limitBytes=x: 400"

# follow: the lines, then the stream stays open until the client leaves
curl -sN --max-time 2 "$API/pods/$POD/log?follow=true" >"$T/follow" 2>/dev/null
expect_eq "$?" 28 "follow=true keeps the stream open (curl's own limit ends it)"
expect_eq "$(cat "$T/follow")" "$(cat "$T/log")" "follow=true sends the lines first"

# kubectl reads the healthy pod's log
if command -v kubectl >/dev/null; then
	k() { kubectl --server "$SIM_URL" --request-timeout=30s "$@"; }
	if k logs -n x-alice "$POD" >"$T/kl" 2>"$T/err"; then
		expect_eq "$(cat "$T/kl")" "$(cat "$T/log")" "kubectl logs"
	else fail "kubectl logs: $(cat "$T/err")"; fi
	k logs -n x-alice --tail 1 "$POD" >"$T/kl" 2>"$T/err"
	expect_eq "$(cat "$T/kl")" "Ready to serve requests" "kubectl logs --tail 1"
	k logs -n x-alice nope >/dev/null 2>"$T/err"
	expect_in "$(cat "$T/err")" 'pods "nope" not found' "kubectl logs: an unknown pod"
else
	skip_part "kubectl is not installed: kubectl logs / get events not checked"
fi

# ---- a degraded image crash-loops ----
"$MECH" --tenant alice app -a web deploy --tag broken >/dev/null 2>&1
crashing() { [ "$(curl -s --max-time 30 "$API/pods?labelSelector=$SEL" | python3 -c 'import json,sys; print(sum(c.get("state",{}).get("waiting",{}).get("reason")=="CrashLoopBackOff" for i in json.load(sys.stdin)["items"] for c in i["status"].get("containerStatuses",[])))')" -ge 1 ]; }
wait_until 60 crashing || { fail "no pod in CrashLoopBackOff after a --degrade-tag deploy"; finish; }
BAD=$(curl -s --max-time 30 "$API/pods?labelSelector=$SEL" | python3 -c 'import json,sys; print([i["metadata"]["name"] for i in json.load(sys.stdin)["items"] if i["status"]["containerStatuses"][0]["state"].get("waiting")][0])')
prev=$(curl -s --max-time 30 "$API/pods/$BAD/log?previous=true")
expect_eq "$(tail -1 <<<"$prev")" "error: nginx broken: startup check failed: exit status 1" "--previous ends with the error line"
expect_eq "$(curl -s --max-time 30 "$API/pods/$BAD/log")" "$prev" "a crash-looping container serves its last run"
ev=$(curl -s --max-time 30 "$API/events")
expect_eq "$(json "$ev" '[(e["type"], e["reason"], e["count"], e["involvedObject"]["kind"]) for e in d["items"] if e["type"] == "Warning" and e["involvedObject"]["name"] == "'"$BAD"'"]')" \
	"[('Warning', 'BackOff', 5, 'Pod')]" "a BackOff Warning event on the pod, seen 5 times"
expect_in "$(json "$ev" '[e["message"] for e in d["items"] if e["type"] == "Warning"]')" \
	"Back-off restarting failed container web in pod ${BAD}_x-alice(" "the kubelet's message"
expect_eq "$(json "$ev" 'all(e["firstTimestamp"] and e["lastTimestamp"] for e in d["items"])')" True "events carry first and last timestamps"

# ---- kubectl reads them ----
if command -v kubectl >/dev/null; then
	if k logs -n x-alice --previous "$BAD" >"$T/kl" 2>"$T/err"; then
		expect_eq "$(cat "$T/kl")" "$prev" "kubectl logs --previous"
	else fail "kubectl logs --previous: $(cat "$T/err")"; fi
	if k get events -n x-alice >"$T/kev" 2>"$T/err"; then
		grep -qE "Warning +BackOff +pod/$BAD " "$T/kev" && ok || fail "kubectl get events: no BackOff row: $(cat "$T/kev")"
	else fail "kubectl get events: $(cat "$T/err")"; fi
fi
finish
