#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# route wait: ResolvedRefs=False with reason BackendNotFound is pending, not
# failed, while the backend's Application is not yet Synced and Healthy (in
# production the route often arrives first); it fails once the backend's
# app is Synced and Healthy and the Service is still not found a few polls
# later. The sim holds the backend back deterministically: its ApplicationSet
# requeue is an hour, so the instance's Application (and its Service) exist
# only once `app wait` asks the ApplicationSet to refresh, while the network
# Application (not generated) applies the route at once.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
sim_start --appset-requeue 1h --sync-delay 200ms --health-delay 200ms
sim_config

mech app create web --image nginx:1.27 --port 80
expect_rc 0 "app create (its Application waits for the requeue)"
mech route -a web create
expect_rc 0 "route create"

"$MECH" route -a web wait --timeout 60s --json >"$T/route.out" 2>"$T/route.err" &
rpid=$!
cleanup_hooks+=("kill $rpid 2>/dev/null")
seen() { grep -qs "BackendNotFound" "$T/route.err"; }
wait_until 60 seen || fail "the route wait never saw BackendNotFound"
expect_in "$(cat "$T/route.err")" "waiting for the backend's Application alice--web--main" \
	"says what it waits for"
kill -0 "$rpid" 2>/dev/null && ok || fail "route wait ended on BackendNotFound: $(cat "$T/route.out")"

mech app -a web wait --timeout 60s
expect_rc 0 "the backend app syncs (its Application generated on request)"
wait "$rpid" && rc=0 || rc=$?
expect_eq "$rc" 0 "route wait ends done once the backend exists"
expect_eq "$(json "$(cat "$T/route.out")" 'd["result"]["state"]')" "done" "state done"
expect_eq "$(json "$(cat "$T/route.out")" 'd["result"]["resolved_refs"]')" "True" "refs resolved"

# ---- a backend that stays missing once its app is Synced and Healthy: failed ----
W="$T/wc"
human_clone alice "$W"
sed -i 's/^    - name: web--main$/    - name: web--nope/' "$W/network/routes/web/main.yaml"
grep -q 'web--nope' "$W/network/routes/web/main.yaml" || fail "the route file has no backend name to change"
(cd "$W" && git commit -qam "point the route at a Service that does not exist" && git push -q origin HEAD:main)
applied() { "$MECH" route -a web info 2>/dev/null | grep -q BackendNotFound; }
wait_until 60 applied || fail "the sim never applied the changed route"
mech route -a web wait --timeout 60s --json
expect_rc 1 "BackendNotFound with the backend Synced and Healthy fails"
expect_eq "$(json "$out" 'd["ok"]')" "False" "not ok"
expect_in "$err" 'ResolvedRefs=False (BackendNotFound): Service "web--nope" not found' "with the reason"
finish
