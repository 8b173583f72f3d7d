#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What cuts Argo CD's poll short, in the sim with --realistic (3-minute
# intervals, so only these can explain what the test sees):
# GET /api/v1/applications/NAME?refresh=normal|hard compares the
# Application with the branch tip and answers only once that is done (the
# answer itself carries the new revision); the ApplicationSet's
# argocd.argoproj.io/application-set-refresh annotation, set through GET
# /api/v1/applicationsets/NAME and POST /api/v1/applicationsets?upsert=true,
# runs the generator at once and is removed after. The 403/404 rules are
# those of the Application endpoints (argocd-api.md §2).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"
need curl "curl(1) is not installed"

get() { curl -s "$SIM_URL$1"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
post() { # path body [content-type]
	curl -s -X POST -H "Content-Type: ${3:-application/json}" --data-binary "$2" "$SIM_URL$1"
}
revision() { json "$1" 'd["status"]["sync"]["revision"]'; }

seed_tenant alice
seed_tenant bob
export MECH_TENANT=alice
"$MECH" app create web --image nginx:1.27 --port 80 >/dev/null 2>&1 || fail "app create web"
sim_start --poll 20ms --realistic --sync-delay 100ms --health-delay 100ms
sim_config
mech app -a web wait --timeout 60s
expect_rc 0 "the app that exists at start is there"
APP=/api/v1/applications/alice--web--main

# ---- ?refresh= on an Application ----
mech app -a web deploy --tag 1.28
expect_rc 0 "deploy 1.28"
h=$(head_of alice)
sleep 0.3 # some ticks: without a refresh the 3-minute poll interval holds it back
expect_eq "$([ "$(revision "$(get "$APP?project=alice")")" = "$h" ] && echo noticed || echo not)" not \
	"without refresh the commit is not noticed"
expect_eq "$(revision "$(get "$APP?project=alice&refresh=normal")")" "$h" \
	"refresh=normal answers once compared: the answer is at the new commit"
mech app -a web wait --tag 1.28 --timeout 60s
expect_rc 0 "and the automated sync follows"
mech app -a web deploy --tag 1.29
expect_eq "$(revision "$(get "$APP?refresh=hard")")" "$(head_of alice)" "refresh=hard (no project) too"
mech app -a web deploy --tag 1.30
# argo-cd server/application/application.go Get: any value but "hard" is a normal refresh
expect_eq "$(revision "$(get "$APP?project=alice&refresh=yes")")" "$(head_of alice)" \
	"another value is a normal refresh, as Argo CD reads it"
expect_eq "$(code "$SIM_URL/api/v1/applications/alice--nope--main?refresh=normal")" 403 \
	"refresh of a missing app without project: 403"
expect_eq "$(code "$SIM_URL/api/v1/applications/alice--nope--main?project=alice&refresh=normal")" 404 \
	"with a project: 404"
expect_eq "$(code "$SIM_URL$APP?project=bob&refresh=normal")" 404 "in another project: 404"
expect_eq "$(code "$SIM_URL$APP?projects=alice&projects=bob&refresh=normal")" 400 "two projects: 400"

# ---- the ApplicationSet ----
AS=/api/v1/applicationsets/alice--apps
doc=$(get "$AS")
expect_eq "$(json "$doc" 'd["kind"], d["metadata"]["name"], d["spec"]["template"]["spec"]["project"]')" \
	"('ApplicationSet', 'alice--apps', 'alice')" "GET an ApplicationSet"
expect_eq "$(json "$doc" '"annotations" in d["metadata"]')" "False" "no refresh annotation"
expect_eq "$(json "$doc" '[r["name"] for r in d["status"]["resources"]]')" "['alice--web--main']" \
	"its Applications in status.resources"
expect_eq "$(code "$SIM_URL/api/v1/applicationsets/alice--nope")" 404 "a missing ApplicationSet: 404"
expect_in "$(get /api/v1/applicationsets/alice--nope)" '"code":5' "NotFound's gRPC code"
expect_eq "$(code -X DELETE "$SIM_URL$AS")" 405 "DELETE is not served"

mech app create api --image nginx:1.27 --port 80
expect_rc 0 "app create api"
sleep 0.3 # some ticks: the 3-minute requeue holds the generator back
expect_eq "$(code "$SIM_URL/api/v1/applications/alice--api--main?project=alice")" 404 \
	"no Application before the requeue"

refresh_doc=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["metadata"].setdefault("annotations", {})["argocd.argoproj.io/application-set-refresh"]="true"; print(json.dumps(d))' "$doc")
other=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["spec"]["template"]["spec"]["project"]="bob"; print(json.dumps(d))' "$refresh_doc")
missing=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["metadata"]["name"]="bob--nope"; print(json.dumps(d))' "$refresh_doc")
expect_in "$(post /api/v1/applicationsets "$refresh_doc")" "use upsert flag" "without upsert: refused"
expect_eq "$(json "$(post /api/v1/applicationsets "$doc")" 'd["metadata"]["name"]')" "alice--apps" \
	"without upsert and unchanged: returned as it is, as Argo CD's Create does"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "$refresh_doc" "$SIM_URL/api/v1/applicationsets")" 400 "without upsert: 400"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "$other" "$SIM_URL/api/v1/applicationsets?upsert=true")" 403 "another project: 403"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "$missing" "$SIM_URL/api/v1/applicationsets?upsert=true")" 403 \
	"creating one: 403 (a tenant may not)"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' \
	--data-binary "$refresh_doc" "$SIM_URL/api/v1/applicationsets?upsert=true")" 415 "not JSON: 415"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary '{' "$SIM_URL/api/v1/applicationsets?upsert=true")" 400 "bad JSON: 400"
expect_eq "$(code "$SIM_URL/api/v1/applications/alice--api--main?project=alice")" 404 \
	"refused upserts ran nothing"
ans=$(post '/api/v1/applicationsets?upsert=true' "$doc")
expect_eq "$(json "$ans" 'd["metadata"]["name"]')" "alice--apps" "upsert without the annotation: 200"
sleep 0.3
expect_eq "$(code "$SIM_URL/api/v1/applications/alice--api--main?project=alice")" 404 \
	"an upsert without the annotation runs nothing"

ans=$(post '/api/v1/applicationsets?upsert=true' "$refresh_doc")
expect_eq "$(json "$ans" 'd["metadata"]["annotations"]["argocd.argoproj.io/application-set-refresh"]')" \
	"true" "the answer carries the annotation"
exists() { [ "$(code "$SIM_URL/api/v1/applications/$1?project=alice")" = 200 ]; }
wait_until 60 exists alice--api--main ||
	fail "the annotation did not run the generator"
expect_eq "$(json "$(get "$AS")" '"annotations" in d["metadata"]')" "False" \
	"the controller removed the annotation"
mech app -a api wait --timeout 60s
expect_rc 0 "the new Application syncs"
finish
