#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech sim's Kubernetes API as a client reads it over HTTP: Status errors,
# discovery, lists with resourceVersion and label/field selectors, the
# objects controllers derive (ReplicaSet, Pods with ownerReferences,
# Events, Namespaces), and watch streams (events after a resourceVersion,
# 410 Expired for one older than the sim keeps, timeoutSeconds). Real
# clients (kubectl, @kubernetes/client-node) are in sim/kube_clients.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

need curl "curl(1) is not installed"

seed_tenant alice
"$MECH" --tenant alice app create web --image registry.example.com/alice/web:1.0 \
	--replicas 2 >/dev/null 2>"$T/create.err" || { cat "$T/create.err" >&2; fail "app create"; finish; }
human_clone alice "$T/wc"
mkdir -p "$T/wc/addons/db"
printf 'apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: db\nspec:\n  instances: 1\n  storage:\n    size: 1Gi\n' \
	>"$T/wc/addons/db/cluster.yaml"
(cd "$T/wc" && git add -A && git commit -qm "a database" && git push -q origin HEAD:main)
printf 'sim-token-%s\n' "$RANDOM$RANDOM" >"$T/token"
TOKEN=$(cat "$T/token")
sim_start --token-file "$T/token" --sync-delay 200ms --health-delay 200ms
URL=$SIM_URL
api() { curl -s --max-time 30 -H "Authorization: Bearer $TOKEN" "$@"; }
code_of() { curl -s --max-time 30 -H "Authorization: Bearer $TOKEN" -o "$T/body" -w '%{http_code} %{content_type}' "$@"; }
status_is() { # what code reason [message]
	local got
	got=$(json "$(cat "$T/body")" "(d['kind'], d['apiVersion'], d['status'], d['code'], d['reason'])" 2>&1)
	expect_eq "$got" "('Status', 'v1', 'Failure', $2, '$3')" "$1: a Status"
	[ -z "${4:-}" ] || expect_eq "$(json "$(cat "$T/body")" "d['message']")" "$4" "$1: message"
}
rollout_done() {
	[ "$(api "$URL/apis/apps/v1/namespaces/x-alice/deployments/web--main" |
		json "$(cat)" "d.get('status',{}).get('readyReplicas',0)" 2>/dev/null)" = 2 ]
}
wait_until 60 rollout_done || { fail "web--main never became ready"; finish; }
secret_listed() { [ "$(api "$URL/api/v1/namespaces/x-alice/secrets" | json "$(cat)" "[i['metadata']['name'] for i in d['items']]" 2>/dev/null)" = "['db-app']" ]; }
wait_until 60 secret_listed || fail "SecretList: no db-app: $(api "$URL/api/v1/namespaces/x-alice/secrets" | head -c 300)"

# ---- errors are Status objects, as JSON ----
expect_eq "$(code_of "$URL/apis/apps/v1/namespaces/x-alice/deployments/nope")" "404 application/json" "404 of an object"
status_is "missing Deployment" 404 NotFound 'deployments.apps "nope" not found'
expect_eq "$(json "$(cat "$T/body")" "d['details']")" "{'name': 'nope', 'group': 'apps', 'kind': 'deployments'}" "NotFound details"
expect_eq "$(code_of "$URL/api/v1/namespaces/x-alice/secrets/nope")" "404 application/json" "404 of a core object"
expect_eq "$(json "$(cat "$T/body")" "d['details']")" "{'name': 'nope', 'kind': 'secrets'}" "core details have no group"
expect_eq "$(code_of "$URL/apis/example.com/v1/namespaces/x/things")" "404 application/json" "unknown group"
status_is "unknown path" 404 NotFound "the server could not find the requested resource"
expect_eq "$(code_of "$URL/apis/apps/v1/namespaces/x/statefulsets")" "404 application/json" "unknown resource of a served group"
expect_eq "$(code_of -X DELETE "$URL/apis/apps/v1/namespaces/x-alice/deployments/web--main")" "405 application/json" "DELETE"
status_is "DELETE" 405 MethodNotAllowed
expect_eq "$(curl -s -o "$T/body" -w '%{http_code} %{content_type}' "$URL/apis/apps/v1/deployments")" "401 application/json" "no token"
status_is "no token" 401 Unauthorized Unauthorized
expect_eq "$(code_of "$URL/api/v1/namespaces/x-alice/pods?labelSelector=a+b")" "400 application/json" "bad labelSelector"
status_is "bad labelSelector" 400 BadRequest
expect_in "$(cat "$T/body")" 'labelSelector \"a b\"' "bad labelSelector: named"
expect_eq "$(code_of "$URL/api/v1/namespaces/x-alice/pods?fieldSelector=spec.nodeName%3Dx")" "400 application/json" "unsupported fieldSelector"
expect_in "$(cat "$T/body")" "field label not supported: spec.nodeName" "unsupported fieldSelector: named"
expect_eq "$(code_of "$URL/api/v1/namespaces/x-alice/pods?watch=1&resourceVersion=abc")" "400 application/json" "bad resourceVersion"
expect_in "$(cat "$T/body")" 'resourceVersion: Invalid value: \"abc\"' "bad resourceVersion: named"

# ---- discovery ----
expect_eq "$(api "$URL/api" | json "$(cat)" "(d['kind'], d['versions'])")" "('APIVersions', ['v1'])" "/api"
expect_eq "$(api "$URL/apis" | json "$(cat)" "(d['kind'], sorted(g['preferredVersion']['groupVersion'] for g in d['groups']))")" \
	"('APIGroupList', ['apps/v1', 'gateway.networking.k8s.io/v1', 'postgresql.cnpg.io/v1'])" "/apis"
expect_eq "$(api "$URL/apis/apps/v1" | json "$(cat)" "(d['kind'], d['groupVersion'], [(r['name'], r['singularName'], r['kind'], r['namespaced'], r['verbs'], r.get('shortNames')) for r in d['resources']])")" \
	"('APIResourceList', 'apps/v1', [('deployments', 'deployment', 'Deployment', True, ['get', 'list', 'watch'], ['deploy']), ('replicasets', 'replicaset', 'ReplicaSet', True, ['get', 'list', 'watch'], ['rs'])])" "/apis/apps/v1"
expect_eq "$(api "$URL/api/v1" | json "$(cat)" "sorted((r['name'], r['namespaced']) for r in d['resources'])")" \
	"[('events', True), ('namespaces', False), ('pods', True), ('secrets', True), ('services', True)]" "/api/v1"
expect_eq "$(api "$URL/apis/gateway.networking.k8s.io/v1" | json "$(cat)" "[r['kind'] for r in d['resources']]")" "['HTTPRoute']" "gateway group"
expect_eq "$(api "$URL/apis/postgresql.cnpg.io" | json "$(cat)" "(d['kind'], d['preferredVersion']['version'])")" "('APIGroup', 'v1')" "/apis/<group>"

# ---- lists ----
api "$URL/apis/apps/v1/namespaces/x-alice/deployments" >"$T/deps"
expect_eq "$(json "$(cat "$T/deps")" "(d['kind'], d['apiVersion'], [i['metadata']['name'] for i in d['items']])")" \
	"('DeploymentList', 'apps/v1', ['web--main'])" "DeploymentList"
expect_eq "$(json "$(cat "$T/deps")" "all(int(i['metadata']['resourceVersion']) <= int(d['metadata']['resourceVersion']) for i in d['items'])")" \
	True "items' resourceVersions are at most the list's"
expect_eq "$(api "$URL/apis/apps/v1/deployments" | json "$(cat)" "[(i['metadata']['namespace'], i['metadata']['name']) for i in d['items']]")" \
	"[('x-alice', 'web--main')]" "all namespaces"
expect_eq "$(api "$URL/apis/apps/v1/namespaces/x-bob/deployments" | json "$(cat)" "d['items']")" "[]" "another namespace: empty"
rs=$(api "$URL/apis/apps/v1/namespaces/x-alice/replicasets" | json "$(cat)" "[(i['metadata']['name'], i['metadata']['ownerReferences'][0]['kind'], i['metadata']['ownerReferences'][0]['name'], i['status']['readyReplicas']) for i in d['items']]")
case "$rs" in "[('web--main-"*"', 'Deployment', 'web--main', 2)]") ok ;; *) fail "ReplicaSet of web--main: $rs" ;; esac
rsname=$(api "$URL/apis/apps/v1/namespaces/x-alice/replicasets" | json "$(cat)" "d['items'][0]['metadata']['name']")
pods=$(api "$URL/api/v1/namespaces/x-alice/pods?labelSelector=app.kubernetes.io%2Fname" | json "$(cat)" "sorted(set((i['metadata']['ownerReferences'][0]['name'], i['status']['phase'], i['metadata']['labels']['app.kubernetes.io/name']) for i in d['items']))+[len(d['items'])]")
expect_eq "$pods" "[('$rsname', 'Running', 'web'), 2]" "two Running pods owned by the ReplicaSet"
sel() { api "$URL/api/v1/namespaces/x-alice/pods" -G --data-urlencode "labelSelector=$1" | json "$(cat)" "len(d['items'])"; }
expect_eq "$(sel 'app.kubernetes.io/name=web')" 2 "selector k=v"
# the overlay's instance label is mech's own, in the selector too; Argo CD's tracking key is not used
expect_eq "$(json "$(cat "$T/deps")" "d['items'][0]['spec']['selector']['matchLabels']")" \
	"{'app.kubernetes.io/name': 'web', 'mech.dev/instance': 'main'}" "Deployment selector: app name and mech.dev/instance"
expect_eq "$(sel 'app.kubernetes.io/name=web,mech.dev/instance=main')" 2 "pods by mech.dev/instance"
expect_eq "$(sel 'app.kubernetes.io/instance')" 0 "no pod carries app.kubernetes.io/instance"
expect_eq "$(sel 'app.kubernetes.io/name==web')" 2 "selector k==v"
# db-1, CloudNativePG's, has no such label: != and notin select it, as the apiserver does
expect_eq "$(sel 'app.kubernetes.io/name!=web')" 1 "selector k!=v"
expect_eq "$(sel 'app.kubernetes.io/name')" 2 "selector k"
expect_eq "$(sel '!app.kubernetes.io/name')" 1 "selector !k"
expect_eq "$(sel 'app.kubernetes.io/name in (api, web)')" 2 "selector k in (a,b)"
expect_eq "$(sel 'app.kubernetes.io/name notin (web)')" 1 "selector k notin (a)"
expect_eq "$(sel 'app.kubernetes.io/name notin (web),cnpg.io/cluster in (db)')" 1 "selector: set-based, two requirements"
expect_eq "$(sel 'app.kubernetes.io/name=web,nope')" 0 "selector: every requirement"
expect_eq "$(api "$URL/apis/apps/v1/namespaces/x-alice/deployments?fieldSelector=metadata.name%3Dweb--main" | json "$(cat)" "len(d['items'])")" 1 "fieldSelector metadata.name"
expect_eq "$(api "$URL/apis/apps/v1/namespaces/x-alice/deployments?fieldSelector=metadata.name%21%3Dweb--main" | json "$(cat)" "len(d['items'])")" 0 "fieldSelector metadata.name!="
ev=$(api "$URL/api/v1/namespaces/x-alice/events" | json "$(cat)" "sorted(set((i['involvedObject']['kind'], i['reason']) for i in d['items']))")
expect_eq "$ev" "[('Deployment', 'ScalingReplicaSet'), ('Pod', 'Scheduled'), ('Pod', 'Started'), ('ReplicaSet', 'SuccessfulCreate')]" "Events"
expect_eq "$(api "$URL/api/v1/namespaces" | json "$(cat)" "[i['metadata']['name'] for i in d['items'] if i['metadata']['name']=='x-alice']")" "['x-alice']" "Namespaces"
expect_eq "$(api "$URL/api/v1/namespaces/x-alice" | json "$(cat)" "(d['kind'], d['status']['phase'])")" "('Namespace', 'Active')" "GET a Namespace"
expect_eq "$(api "$URL/api/v1/namespaces/x-alice/secrets" | json "$(cat)" "(d['kind'], d['items'][0]['type'], sorted(d['items'][0]['data'])[:3], d['items'][0]['metadata']['resourceVersion'].isdigit())")" \
	"('SecretList', 'kubernetes.io/basic-auth', ['dbname', 'fqdn-jdbc-uri', 'fqdn-uri'], True)" "SecretList with the CNPG app secret"
expect_eq "$(api "$URL/api/v1/secrets?labelSelector=cnpg.io%2Fcluster%3Ddb" | json "$(cat)" "[i['metadata']['name'] for i in d['items']]")" "['db-app']" "Secrets of all namespaces, by label"
expect_eq "$(api "$URL/apis/postgresql.cnpg.io/v1/namespaces/x-alice/clusters" | json "$(cat)" "(d['kind'], [i['metadata']['name'] for i in d['items']])")" \
	"('ClusterList', ['db'])" "CNPG ClusterList"
expect_eq "$(api "$URL/api/v1/namespaces/x-alice/services?labelSelector=cnpg.io%2Fcluster%3Ddb" | json "$(cat)" "sorted((i['metadata']['name'], i['spec']['ports'][0]['port'], i['metadata']['ownerReferences'][0]['kind']) for i in d['items'])")" \
	"[('db-r', 5432, 'Cluster'), ('db-ro', 5432, 'Cluster'), ('db-rw', 5432, 'Cluster')]" "CloudNativePG's Services of the Cluster"
expect_eq "$(api "$URL/api/v1/namespaces/x-alice/pods?labelSelector=cnpg.io%2FinstanceRole%3Dprimary" | json "$(cat)" "[(i['metadata']['name'], i['status']['phase']) for i in d['items']]")" \
	"[('db-1', 'Running')]" "CloudNativePG's primary Pod"
dep_rv=$(json "$(cat "$T/deps")" "d['items'][0]['metadata']['resourceVersion']")
expect_eq "$(api "$URL/apis/apps/v1/namespaces/x-alice/deployments/web--main" | json "$(cat)" "d['metadata']['resourceVersion']")" "$dep_rv" "GET and list agree on resourceVersion"
expect_eq "$(api "$URL/api/v1/applications/alice--web--main/resource-tree" | json "$(cat)" "[n['resourceVersion'] for n in d['nodes'] if n['kind'] == 'Deployment']")" \
	"['$dep_rv']" "Argo CD's resource tree shows the same resourceVersion"

# ---- tables, as kubectl asks for them ----
TABLE='Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
expect_eq "$(api -H "$TABLE" "$URL/apis/apps/v1/namespaces/x-alice/deployments" | json "$(cat)" "(d['kind'], [c['name'] for c in d['columnDefinitions']], [r['cells'][:4] for r in d['rows']], d['rows'][0]['object']['kind'])")" \
	"('Table', ['Name', 'Ready', 'Up-to-date', 'Available', 'Age'], [['web--main', '2/2', 2, 2]], 'Deployment')" "a Table of Deployments"
expect_eq "$(api -H "$TABLE" "$URL/api/v1/namespaces/x-alice/events" | json "$(cat)" "[c['name'] for c in d['columnDefinitions']]")" \
	"['Last Seen', 'Type', 'Reason', 'Object', 'Message']" "a Table of Events"
expect_eq "$(api -H "$TABLE" "$URL/apis/apps/v1/namespaces/x-alice/deployments/web--main" | json "$(cat)" "(d['kind'], len(d['rows']))")" "('Table', 1)" "GET as a Table"
expect_eq "$(api -H "$TABLE" "$URL/api/v1/namespaces/x-alice/secrets" | json "$(cat)" "d['kind']")" "SecretList" "Secrets are never a Table"
api -N -H "$TABLE" "$URL/apis/apps/v1/namespaces/x-alice/deployments?watch=1&timeoutSeconds=1" >"$T/twatch"
expect_eq "$(head -1 "$T/twatch" | json "$(cat)" "(d['type'], d['object']['kind'], d['object']['rows'][0]['cells'][0])")" "('ADDED', 'Table', 'web--main')" "a watch of Table rows"

# ---- watch ----
list_rv=$(api "$URL/apis/apps/v1/namespaces/x-alice/deployments" | json "$(cat)" "d['metadata']['resourceVersion']")
# from the list: nothing old again; a change arrives as MODIFIED
api -N "$URL/apis/apps/v1/namespaces/x-alice/deployments?watch=1&resourceVersion=$list_rv&timeoutSeconds=30" >"$T/watch" &
WATCH=$!
cleanup_hooks+=("kill $WATCH 2>/dev/null")
"$MECH" --tenant alice app -a web deploy --tag 1.1 >/dev/null 2>"$T/set.err" || fail "app deploy: $(cat "$T/set.err")"
modified() { grep -q '"type":"MODIFIED"' "$T/watch"; }
wait_until 60 modified || fail "no MODIFIED event after app deploy: $(head -c 300 "$T/watch")"
kill "$WATCH" 2>/dev/null
wait "$WATCH" 2>/dev/null
first=$(head -1 "$T/watch")
expect_eq "$(json "$first" "(d['type'], d['object']['kind'], d['object']['metadata']['name'], int(d['object']['metadata']['resourceVersion']) > $list_rv)")" \
	"('MODIFIED', 'Deployment', 'web--main', True)" "watch from the list's resourceVersion: the change, nothing before it"
expect_not_in "$(cat "$T/watch")" '"type":"ADDED"' "no ADDED replay after a resourceVersion"
# without a resourceVersion: every object first, then the stream ends at timeoutSeconds
api -N "$URL/apis/apps/v1/namespaces/x-alice/deployments?watch=true&timeoutSeconds=1" >"$T/watch0"
expect_eq "$(head -1 "$T/watch0" | json "$(cat)" "(d['type'], d['object']['metadata']['name'])")" "('ADDED', 'web--main')" "watch without resourceVersion starts with ADDED"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $TOKEN" "$URL/apis/apps/v1/deployments?watch=1&timeoutSeconds=1")" 200 "watch ends on timeoutSeconds"
api -N "$URL/api/v1/namespaces/x-alice/secrets?watch=1&timeoutSeconds=1" >"$T/swatch"
expect_eq "$(json "$(cat "$T/swatch")" "(d['type'], d['object']['metadata']['name'], sorted(d['object']['data'])[-1])")" "('ADDED', 'db-app', 'username')" "a watch of Secrets"
# watch with a selector: only what it selects
api -N "$URL/api/v1/namespaces/x-alice/pods?watch=1&timeoutSeconds=1&labelSelector=app.kubernetes.io%2Fname%3Dnope" >"$T/watchsel"
expect_eq "$(wc -c <"$T/watchsel")" 0 "watch with a selector that selects nothing"
# older than the journal: 200 and one ERROR event with a 410 Expired Status
expect_eq "$(curl -s -N --max-time 30 -H "Authorization: Bearer $TOKEN" -o "$T/gone" -w '%{http_code}' "$URL/apis/apps/v1/namespaces/x-alice/deployments?watch=1&resourceVersion=1")" 200 "stale watch: HTTP 200"
expect_eq "$(json "$(cat "$T/gone")" "(d['type'], d['object']['kind'], d['object']['code'], d['object']['reason'], d['object']['message'].startswith('too old resource version: 1 ('))")" \
	"('ERROR', 'Status', 410, 'Expired', True)" "stale watch: ERROR 410 Expired"
finish
