#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Addon and route waits are tied to the receipt: after `addon set --memory`
# or a route rewrite (a person's push), --wait does not succeed on the live object as it was
# before the write. The addons/network Application must be Synced at the
# written commit (or later) first, then the object must be ready for its
# new generation (CNPG: the Ready condition's observedGeneration; the sim
# keeps reporting the old generation's Ready for a moment after the change,
# as the operator does). --sync-delay 2s keeps the old object live long
# enough that a wait ignoring the receipt would end on it.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"
need curl "curl(1) is not installed"

seed_tenant alice
sim_start --sync-delay 2s --health-delay 1s
sim_config

mech addon create db --type postgres --memory 512Mi --wait --timeout 60s --json
expect_rc 0 "addon create --wait"
expect_eq "$(json "$out" 'd["result"]["memory"], d["result"]["generation"]')" "('512Mi', 1)" "created at 512Mi"

mech addon -n db set --memory 1Gi --wait --timeout 60s --json
expect_rc 0 "addon set --memory --wait"
expect_eq "$(json "$out" 'd["result"]["state"]')" "done" "done"
expect_eq "$(json "$out" 'd["result"]["memory"]')" "1Gi" "the state it reports carries the new memory"
expect_eq "$(json "$out" 'd["result"]["generation"], d["result"]["observed_generation"]')" "(2, 2)" \
	"ready for the new generation"
expect_in "$err" "waiting for Argo CD to sync commit $(head_of alice | cut -c1-12)" \
	"it waited for the receipt, not the old cluster"
live=$(curl -s "$SIM_URL/apis/postgresql.cnpg.io/v1/namespaces/x-alice/clusters/db")
expect_eq "$(json "$live" 'd["spec"]["resources"]["requests"]["memory"]')" "1Gi" "the live cluster has it"

mech addon -n db set --memory 1Gi --dry-run --wait
expect_rc 0 "--dry-run --wait does not wait"
mech addon -n db set --memory 768Mi --wait --timeout x
expect_rc 65 "--timeout is checked"
expect_eq "$(json "$(curl -s "$SIM_URL/apis/postgresql.cnpg.io/v1/namespaces/x-alice/clusters/db")" \
	'd["metadata"]["generation"]')" "2" "a bad --timeout wrote nothing"

# addon wait on its own is tied to the head commit as well
mech addon -n db set --memory 768Mi
expect_rc 0 "set without --wait"
mech addon -n db wait --timeout 60s --json
expect_rc 0 "addon wait"
expect_eq "$(json "$out" 'd["result"]["memory"], d["result"]["observed_generation"]')" "('768Mi', 3)" \
	"addon wait ends on the written memory"

# ---- a route rewrite ----
mech app create web --image nginx:1.27 --port 80 --wait --timeout 60s
expect_rc 0 "app create"
mech route -a web create --host one.alice.apps.localhost --wait --timeout 60s
expect_rc 0 "route create --wait"
# a rewrite is a person's edit (a create never changes an existing route)
W="$T/wc"
human_clone alice "$W"
sed -i 's/one\.alice\.apps\.localhost/two.alice.apps.localhost/' "$W/network/routes/web/main.yaml"
(cd "$W" && git commit -qam "move web to two.alice.apps.localhost" && git push -q origin HEAD:main)
mech route -a web wait --timeout 60s --json
expect_rc 0 "route wait after the rewrite"
expect_eq "$(json "$out" 'd["result"]["state"]')" "done" "done"
expect_in "$err" "waiting for Argo CD to sync commit $(head_of alice | cut -c1-12)" \
	"it waited for the network Application"
expect_in "$(cat "$W/network/routes/web/main.yaml")" "two.alice.apps.localhost" "the rewrite is in Git"
route=$(curl -s "$SIM_URL/apis/gateway.networking.k8s.io/v1/namespaces/x-alice/httproutes/web--main")
expect_eq "$(json "$route" 'd["spec"]["hostnames"]')" "['two.alice.apps.localhost']" \
	"when the wait ends the live route is the rewritten one"
expect_eq "$(json "$route" '[c["observedGeneration"] == d["metadata"]["generation"] for p in d["status"]["parents"] for c in p["conditions"]]')" \
	"[True, True]" "its conditions describe its generation"
finish
