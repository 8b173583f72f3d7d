#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `app wait --tag T` fails fast when Git holds another tag for the
# instance: Argo CD will never run T, so exit 65 at once with what to do
# (text and --json as every other invalid value) instead of waiting the
# whole timeout. Nothing is written.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
sim_start --sync-delay 200ms --health-delay 200ms
sim_config

mech app create web --image nginx:1.2 --port 80 --wait --timeout 30s
expect_rc 0 "app create --wait"
before=$(head_of alice)

# without the fast failure each of these would wait 20s and exit 2
mech app -a web wait --tag 1.3 --timeout 20s
expect_rc 65 "wait for a tag Git does not hold"
expect_eq "$out" "" "nothing on stdout"
expect_in "$err" "web/main is at 1.2 in Git; deploy 1.3 first" "says where Git is and what to do"
expect_in "$err" "mech app -a web -i main deploy --tag 1.3" "hint gives the command"
expect_eq "$(head_of alice)" "$before" "nothing written"

mech app -a web wait --tag 1.3 --timeout 20s --json
expect_rc 65 "--json"
json_valid "$out" "wait --tag --json"
expect_eq "$(json "$out" 'd["ok"], d["error"]["code"], d["error"]["exit"]')" "(False, 'invalid', 65)" \
	"--json: ok, code and exit as other 65s"
expect_in "$(json "$out" 'd["error"]["message"]')" "web/main is at 1.2 in Git; deploy 1.3 first" \
	"--json message"

# the tag Git holds still waits and succeeds
mech app -a web wait --tag 1.2 --timeout 30s
expect_rc 0 "wait for the tag Git holds"
mech app -a web deploy --tag 1.3
expect_rc 0 "deploy 1.3"
mech app -a web wait --tag 1.3 --timeout 30s
expect_rc 0 "wait for 1.3 once deployed"
mech app -a web wait --tag 1.2 --timeout 20s
expect_rc 65 "the old tag now fails fast"
expect_in "$err" "web/main is at 1.3 in Git; deploy 1.2 first" "after a deploy"

# an untagged image is "latest", as docker reads it
mech app -a web set-image nginx
expect_rc 0 "set-image without a tag"
mech app -a web wait --tag 1.3 --timeout 20s
expect_rc 65 "untagged image vs a tag"
expect_in "$err" "web/main is at latest in Git" "untagged reads as latest"

finish
