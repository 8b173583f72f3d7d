#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The live commands against mech sim: app list/info live fields, wait
# (0 done, 1 degraded, 2 pending), sync, diff, --wait on create, route and
# addon info/wait, whoami; faults map to their exit codes; the password the
# sim generated never appears in any output.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
sim_start --sync-delay 300ms --health-delay 300ms --degrade-tag broken
sim_config

# not configured reads report it instead of failing
mech app list --json
expect_rc 0 "app list with Argo CD"
expect_eq "$(json "$out" 'd["result"]["argocd"]')" "live" "list is live"

mech app create web --image nginx:1.27 --port 80 --wait --timeout 30s --json
expect_rc 0 "app create --wait"
expect_eq "$(json "$out" 'd["result"]["state"]')" "done" "create --wait reached done"
expect_eq "$(json "$out" 'd["result"]["live"]["sync"]')" "Synced" "synced"
expect_eq "$(json "$out" 'd["result"]["live"]["health"]')" "Healthy" "healthy"
expect_eq "$(json "$out" 'd["result"]["live"]["revision"]')" "$(head_of alice)" "at the written revision"
expect_in "$err" "alice--web--main" "progress lines name the Application"

mech app list --json
expect_eq "$(json "$out" 'd["result"]["apps"][0]["instances"][0]["live"]["health"]')" "Healthy" "app list live health"
expect_eq "$(json "$out" 'd["result"]["apps"][0]["instances"][0]["live"]["current"]')" "True" "live revision is the one mech wrote"
mech app list
expect_in "$out" "Synced" "text list shows sync"
mech app -a web info --json
expect_rc 0 "info"
expect_eq "$(json "$out" 'd["result"]["instances"][0]["replicas"]["ready"]')" "1" "replicas ready from Kubernetes"
expect_in "$(json "$out" '[r["kind"] for r in d["result"]["instances"][0]["live"]["resources"]]')" "Deployment" "resources listed"
# each resource's health: Argo CD's List has none, so info reads the Application with Get
expect_eq "$(json "$out" 'sorted((r["kind"], r["health"]) for r in d["result"]["instances"][0]["live"]["resources"])')" \
	"[('Deployment', 'Healthy'), ('Service', 'Healthy')]" "info: each resource's health"
mech app -a web info
expect_rc 0 "info (text)"
grep -qE '^  Deployment +web--main +Synced +Healthy$' <<<"$out" && ok || fail "info text: no health column for the Deployment: $out"

# deploy a tag, then wait for it
mech app -a web deploy --tag 1.28
mech app -a web wait --tag 1.28 --timeout 30s
expect_rc 0 "wait for a tag"
# a degraded rollout: exit 1 with the reason
mech app -a web deploy --tag broken
mech app -a web wait --timeout 30s
expect_rc 1 "wait on a degraded app"
expect_in "$err" "Degraded" "reason given"
# pending: a timeout shorter than the sync, on a sim whose syncs take an
# hour (with the 300 ms one, a slow machine could see the app settle first)
sim_stop
sim_start --sync-delay 1h --health-delay 300ms --degrade-tag broken
sim_config
mech app -a web deploy --tag 1.29
mech app -a web wait --timeout 100ms --json
expect_rc 2 "wait times out while progressing"
expect_eq "$(json "$out" 'd["result"]["state"]')" "pending" "pending state"
sim_stop
sim_start --sync-delay 300ms --health-delay 300ms --degrade-tag broken
sim_config
mech app -a web wait --timeout 30s
expect_rc 0 "then it settles"

mech app -a web sync --json
expect_rc 0 "sync"
mech app -a web diff
expect_rc 0 "diff is a result"
mech app -a web diff --exit-code --json
dr=$rc
json_valid "$out" "diff JSON"
[ "$dr" = 0 ] || [ "$dr" = 1 ] && ok || fail "diff --exit-code gives 0 or 1, got $dr"
mech app -a web wait --timeout 1x
expect_rc 65 "bad duration"

# routes
mech route -a web create --wait --timeout 30s --json
expect_rc 0 "route create --wait"
expect_eq "$(json "$out" 'd["result"]["accepted"]')" "True" "route accepted"
expect_eq "$(json "$out" 'd["result"]["state"]')" "done" "--wait: result.state, as app create --wait"
expect_in "$(json "$out" 'd["result"]["subject"]')" "mechanics(route.create)" "the receipt stays the result"
mech route -a web info --json
expect_eq "$(json "$out" 'd["result"]["resolved_refs"]')" "True" "refs resolved"
mech route -a nope info
expect_rc 4 "route info for a missing app"

# addons: connection info, never a password
mech addon create db --type postgres --wait --timeout 60s --json
expect_rc 0 "addon create --wait"
expect_eq "$(json "$out" 'd["result"]["ready"]')" "True" "cluster ready"
expect_eq "$(json "$out" 'd["result"]["state"]')" "done" "--wait: result.state"
mech addon -n db info --json
all_out="$out"
expect_eq "$(json "$out" 'd["result"]["connection"]["secret"]')" "db-app" "secret named"
expect_eq "$(json "$out" 'd["result"]["connection"]["database"]')" "app" "database"
expect_eq "$(json "$out" 'd["result"]["connection"]["env"]')" "DATABASE_URL" "env to wire"
mech addon -n db info
all_out="$all_out $out $err"
pw=$(/usr/bin/python3 -c 'import base64,json,sys,urllib.request
print(base64.b64decode(json.load(urllib.request.urlopen(sys.argv[1]))["data"]["password"]).decode())' \
	"$SIM_URL/api/v1/namespaces/x-alice/secrets/db-app")
[ -n "$pw" ] && ok || fail "the sim generated a password"
# the Cluster runs the image its manifest pins (status.image, as the operator reports it)
expect_eq "$(curl -s --max-time 30 "$SIM_URL/apis/postgresql.cnpg.io/v1/namespaces/x-alice/clusters/db" |
	json "$(cat)" "d['status']['image'] == d['spec']['imageName'] and '-standard-' in d['spec']['imageName']")" \
	True "Cluster status.image is the pinned standard image"
for c in "app list --json" "app -a web info" "app -a web info --json" "addon list --json" "addon -n db wait --timeout 5s" "log --json" "whoami --json"; do
	# shellcheck disable=SC2086
	mech $c
	all_out="$all_out $out $err"
done
expect_not_in "$all_out" "$pw" "the generated password never appears in mech's output"

mech whoami --json
expect_eq "$(json "$out" 'd["result"]["argocd"]')" "$SIM_URL" "whoami names the endpoint"
expect_in "$(json "$out" 'd["result"]["argocd_status"]')" "ok" "whoami: Argo CD answers"
expect_in "$(json "$out" 'd["result"]["kubernetes_status"]')" "ok" "whoami: Kubernetes answers"

# --gone after delete
render_overlays alice
mech app -a web delete --force
mech app -a web wait --gone --timeout 30s
expect_rc 0 "wait --gone"

# faults: Argo CD down → 69 naming the endpoint; bad token → 77
sim_stop
mech app list
expect_rc 69 "argocd unreachable"
expect_in "$err" "127.0.0.1" "message names the endpoint"
mech whoami --json
expect_rc 0 "whoami with Argo CD down"
expect_in "$(json "$out" 'd["result"]["argocd_status"]')" "unavailable" "whoami says it does not answer"
echo secret-token >"$T/token"
sim_start --token-file "$T/token"
sim_config
mech app list
expect_rc 77 "no token: forbidden"
sim_config 'argocd: {}' 2>/dev/null
printf 'argocd: {url: "%s", token_file: "%s"}\nkubernetes: {url: "%s", token_file: "%s"}\n' "$SIM_URL" "$T/token" "$SIM_URL" "$T/token" >"$MECH_HOME/mech.yaml"
mech app list
expect_rc 0 "with the token"
sim_stop
sim_start --fail-rate 1
sim_config
mech app list
expect_rc 69 "500s map to 69"
sim_stop
sim_start --malformed
sim_config
mech app list
expect_rc 69 "malformed JSON maps to 69"
finish
