#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `app list --json` writes the Git side while Argo CD is still answering
# and puts each instance's live state in its place after: every instance
# gets its own Application's state, the one `app info` shows, and an
# instance whose Application the ApplicationSet has not generated yet gets
# null (text: Missing), between instances that have one.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
# the generator runs only when asked (app create --wait asks; a bare create does not)
sim_start --appset-requeue 1h --sync-delay 0ms --health-delay 0ms
sim_config

mech app create api --image nginx:1.27 --port 80 --wait --timeout 30s
expect_rc 0 "create api --wait"
mech app create web --image nginx:1.28 --port 80 --wait --timeout 30s
expect_rc 0 "create web --wait"
mech app create cache --image redis:7 --port 6379
expect_rc 0 "create cache, not waited for"
mech app -a web instance add staging
expect_rc 0 "instance add, not waited for"

mech app list --json
expect_rc 0 "app list"
list=$out
expect_eq "$(json "$list" 'd["result"]["argocd"]')" "live" "Argo CD is live"
expect_eq "$(json "$list" '[(a["name"], i["name"], i["live"] is None) for a in d["result"]["apps"] for i in a["instances"]]')" \
	"[('api', 'main', False), ('cache', 'main', True), ('web', 'main', False), ('web', 'staging', True)]" \
	"the instances without an Application read null, the others not"
for app in api web; do
	mech app -a "$app" -i main info --json
	expect_rc 0 "info $app"
	pick='{k: v for k, v in L.items() if k != "resources"}'
	want=$(json "$out" "(lambda L: $pick)(d['result']['instances'][0]['live'])")
	got=$(json "$list" "(lambda L: $pick)([a for a in d['result']['apps'] if a['name'] == '$app'][0]['instances'][0]['live'])")
	expect_eq "$got" "$want" "$app: the list's live state is info's (resources aside: List has no health)"
	expect_in "$got" "'application': 'alice--$app--main'" "$app: its own Application"
done
mech app list
expect_rc 0 "text list"
expect_eq "$(echo "$out" | awk '$1 == "cache" {print $4}')" "Missing" "text: cache has no Application"
expect_eq "$(echo "$out" | awk '$1 == "web" && $2 == "main" {print $4}')" "Synced" "text: web is synced"
finish
