#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# app logs, app events and a failed wait over the SSH front door, against
# mech sim: a tenant's key reads its own instance's logs and events, JSON
# and exit codes pass through ssh unchanged (0, 1 with result.failing, 4
# for an unknown pod, 64 for an unbounded --follow).
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$SRC/tests/lib/sshd.sh"
. "$(dirname "$0")/../lib/sim.sh"

sshd_copy_command "$MECH" || { echo "cannot copy $MECH for sshd" >&2; exit 1; }
MECH=$SSHD_COMMAND

"$MECH" admin init >/dev/null 2>&1 || { echo "admin init failed" >&2; exit 1; }
ssh-keygen -q -t ed25519 -N '' -C alice@example.com -f "$T/alice" </dev/null
mech admin tenant add alice --key "$T/alice.pub"
expect_rc 0 "tenant add alice"
sim_start --sync-delay 100ms --health-delay 100ms --degrade-tag broken
sim_config
sshd_mech_conf "$MECH" "$MECH_HOME" root || exit 1
sshd_start "$T/sshd" "${SSHD_MECH_CONF[@]}" || { echo "sshd did not start" >&2; exit 1; }
as() { # KEY ARGS…: one connection with KEY
	local key=$1
	shift
	run sshd_ssh -i "$T/$key" -T root@127.0.0.1 -- "$@" </dev/null
}

as alice app create web --image nginx:1.27 --wait --timeout 30s
expect_rc 0 "create --wait over ssh"
as alice app -a web logs --json
expect_rc 0 "logs over ssh"
expect_eq "$(json "$out" 'd["result"]["pods"][0]["lines"][0]')" "Starting nginx 1.27 on :8080" "the pod's first line"
as alice app -a web events
expect_rc 0 "events over ssh"
expect_in "$out" "deployment/web--main" "the Deployment's events"
as alice app -a web logs --pod nope
expect_rc 4 "an unknown pod over ssh"
as alice app -a web logs --follow
expect_rc 64 "--follow without --timeout over ssh"
as alice app -a web logs --follow --timeout 1s --json
expect_rc 0 "--follow --timeout over ssh"
expect_eq "$(json "$out" 'd["result"]["ended"]')" "timeout" "the stream ends at the timeout"
as alice app -a web deploy --tag broken
expect_rc 0 "deploy a tag that degrades"
as alice app -a web wait --timeout 30s --json
expect_rc 1 "a failed wait over ssh"
expect_eq "$(json "$out" 'd["result"]["failing"]["reason"]')" "BackOff" "it names the back-off"
expect_eq "$(json "$out" 'd["next"][0]')" "mech app -a web -i main logs" "next: logs"
finish
