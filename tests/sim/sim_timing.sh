#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech sim's realistic timing: --poll-interval (Argo CD's
# timeout.reconciliation: an existing Application notices a new commit only
# that often), --appset-requeue (the ApplicationSet generator re-reads Git
# only that often: a new app's Application appears no sooner), and
# --realistic (3m both; explicit flags win). The "not yet" checks read the
# sim well inside a 3-minute interval, so they cannot race it; the "now"
# checks wait for the state, with a timeout as a hang guard only.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"
need curl "curl(1) is not installed"

app_json() { # Application: its JSON from the sim (the tenant's project)
	curl -s "$SIM_URL/api/v1/applications/$1?project=alice"
}
polls() { # let the sim tick a few times (--poll 20ms): it reads the tip each tick
	sleep 0.5
}

seed_tenant alice
"$MECH" app create web --image nginx:1.27 --port 80 >/dev/null 2>&1 || fail "app create web"

# --realistic with a short --poll-interval: the explicit flag wins over 3m
sim_start --poll 20ms --realistic --poll-interval 1s --sync-delay 100ms --health-delay 100ms -v
sim_config
# an Application that exists when the sim starts is generated and compared at once
mech app -a web wait --timeout 60s
expect_rc 0 "the first generator run creates the existing app"
first=$(head_of alice)

# a new app: the generator waits for its 3-minute requeue
mech app create api --image nginx:1.27 --port 80
expect_rc 0 "app create api"
polls
expect_in "$(app_json alice--api--main)" 'not found' "no Application before the ApplicationSet requeue"
expect_not_in "$(cat "$SIM_ERR")" "alice--api--main: created" "the sim did not generate it"

# a new commit for an existing app: noticed within --poll-interval (1s here)
mech app -a web deploy --tag 1.28
expect_rc 0 "deploy 1.28"
mech app -a web wait --tag 1.28 --timeout 60s
expect_rc 0 "the commit is noticed at the next poll interval"
sim_stop

# --realistic alone: 3 minutes for a commit as well
sim_start --poll 20ms --realistic --sync-delay 100ms --health-delay 100ms
sim_config
before=$(json "$(app_json alice--web--main)" 'd["status"]["sync"]["revision"]')
expect_eq "$before" "$(head_of alice)" "the sim starts compared with the tip"
mech app -a web deploy --tag 1.29
expect_rc 0 "deploy 1.29"
polls
expect_eq "$(json "$(app_json alice--web--main)" 'd["status"]["sync"]["revision"]')" "$before" \
	"the commit is not noticed before the poll interval"
expect_eq "$(json "$(app_json alice--web--main)" 'd["status"]["sync"]["status"]')" "Synced" \
	"still Synced to the old revision"
sim_stop

# the defaults stay instant: a commit is compared at the next tick
sim_start --poll 20ms --sync-delay 100ms --health-delay 100ms
sim_config
mech app create jobs --image nginx:1.27 --port 80
expect_rc 0 "app create jobs"
mech app -a jobs wait --timeout 60s
expect_rc 0 "without --realistic a new app appears at once"
mech app -a web wait --tag 1.29 --timeout 60s
expect_rc 0 "without --realistic a commit is noticed at once"
[ "$first" != "$(head_of alice)" ] || fail "the repo moved on"
finish
