#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech sim's fault injection, which the client tests and the console lean
# on: --fail-rate answers with proper 500/503 bodies (Argo CD runtimeError,
# Kubernetes Status, stream error), --malformed breaks every JSON body,
# --latency delays answers, --drop-stream cuts the watch in the middle of
# an event. Each is checked from the outside with curl. (--fail-rate 0.5
# draws inside the sim: the check that both kinds occur in 40 requests fails
# by chance once in 2^39 runs.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

PY=/usr/bin/python3
CHECK="$PY $SRC/tests/lib/check_swagger.py"
[ -d "${MECH_SPEC_DIR:-}" ] || skip "the schemas of ../shared/spec (MECH_SPEC_DIR=${MECH_SPEC_DIR:-}) are missing"
$PY -c 'import jsonschema' || { fail "python3-jsonschema (make deps installs it)"; finish; }
need curl "curl(1) is not installed"

seed_tenant alice

SIMS=()
start_sim() { # flags… → sets URL
	sim_start "$@"
	SIMS+=("$SIM_PID")
	URL=$SIM_URL
}
status_of() { curl -s --max-time 30 -o "$T/body" -w '%{http_code}' "$@"; }

# ---- --fail-rate 1: every answer fails, with the server's own error shapes ----
start_sim --fail-rate 1
code=$(status_of "$URL/api/v1/applications")
case "$code" in 500 | 503) ok ;; *) fail "fail-rate: list answered $code" ;; esac
if $CHECK --strict runtimeError "$T/body" >"$T/check" 2>&1; then ok; else fail "fail-rate body: $(cat "$T/check")"; fi
expect_eq "$(json "$(cat "$T/body")" "d['code'] in (2, 14) and d['error'] == d['message']")" True "gRPC code and message"
code=$(status_of "$URL/apis/apps/v1/namespaces/x-alice/deployments/web--main")
case "$code" in 500 | 503) ok ;; *) fail "fail-rate: kube answered $code" ;; esac
expect_eq "$(json "$(cat "$T/body")" "(d['kind'], d['status'], d['code'] == $code)")" "('Status', 'Failure', True)" "kube error is a Status"
code=$(status_of -H 'Accept: text/event-stream' "$URL/api/v1/stream/applications")
expect_eq "$code" 503 "stream refused"
expect_eq "$(sed -n 's/^data: //p' "$T/body" | json "$(cat)" "d['error']['http_code']")" 503 "stream error chunk"

# ---- --fail-rate 0.5: some of each ----
start_sim --fail-rate 0.5
good=0 bad=0
for _ in $(seq 40); do
	case "$(status_of "$URL/api/v1/applications")" in
	200) good=$((good + 1)) ;;
	500 | 503) bad=$((bad + 1)) ;;
	*) fail "fail-rate 0.5: unexpected status" ;;
	esac
done
[ "$good" -gt 0 ] && [ "$bad" -gt 0 ] && ok || fail "fail-rate 0.5: $good good, $bad bad of 40"

# ---- --malformed: JSON bodies cut short ----
start_sim --malformed
expect_eq "$(status_of "$URL/api/v1/applications")" 200 "malformed: status stays 200"
if $PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/body" 2>/dev/null; then
	fail "malformed: the list parsed"
else ok; fi

# ---- --latency ----
start_sim --latency 400ms
t=$(curl -s -o /dev/null --max-time 10 -w '%{time_total}' "$URL/api/v1/applications")
expect_eq "$($PY -c "print($t >= 0.4)")" True "latency delays answers ($t s)"

# ---- --drop-stream: a watch cut in the middle of an event ----
start_sim --drop-stream 500ms --sync-delay 100ms --health-delay 100ms
curl -sN --max-time 60 -H 'Accept: text/event-stream' \
	"$URL/api/v1/stream/applications?projects=alice" >"$T/stream.txt" && rc=0 || rc=$?
case "$rc" in 18 | 56) ok ;; *) fail "drop-stream: curl exit $rc, want 18/56 (transfer cut)" ;; esac
tail_line=$(tail -c 200 "$T/stream.txt")
case "$tail_line" in *$'\n\n') fail "drop-stream: the stream ended on an event boundary" ;; *) ok ;; esac
if $CHECK --sse v1alpha1ApplicationWatchEvent "$T/stream.txt" >"$T/check" 2>&1; then
	fail "drop-stream: the cut stream validated"
else
	expect_in "$(cat "$T/check")" "middle of an event" "checker sees the cut"
fi

# ---- every sim stops on SIGTERM with exit 0 ----
for pid in "${SIMS[@]}"; do
	kill -TERM "$pid"
	wait "$pid" && rc=0 || rc=$?
	expect_eq "$rc" 0 "sim $pid stops cleanly"
done
finish
