#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech sim against a tenant repo: every endpoint answered as the Argo CD
# swagger and the CRDs describe (checked by tests/lib/check_swagger.py with
# python3-jsonschema), the reconcile states in order (OutOfSync → Synced/
# Progressing → Healthy, Degraded for --degrade-tag, DELETED when an app
# leaves Git), CNPG secrets and HTTPRoute conditions, 401 without the token.
# Nothing here races the sim's clock: states are waited for, their order is
# read from the watch stream (every change is an event there), and a state
# that must be caught while it lasts is made to last (a sim whose sync takes
# an hour).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

PY=/usr/bin/python3
CHECK="$PY $SRC/tests/lib/check_swagger.py"
[ -d "${MECH_SPEC_DIR:-}" ] || skip "the schemas of ../shared/spec (MECH_SPEC_DIR=${MECH_SPEC_DIR:-}) are missing"
$PY -c 'import jsonschema, yaml' || { fail "python3-jsonschema and python3-yaml (make deps installs them)"; finish; }
need curl "curl(1) is not installed"

# ---- a tenant as mech seeds it, plus human pushes with the git CLI ----
seed_tenant alice
if ! "$MECH" --tenant alice app create web --image registry.example.com/alice/web:1.0 \
	--replicas 2 >/dev/null 2>"$T/create.err"; then
	cat "$T/create.err" >&2
	fail "mech app create web"
fi
W="$T/wc"
human_clone alice "$W"
push() { # message
	(cd "$W" && git add -A && git commit -qm "$1" && git push -q origin HEAD:main)
	git -C "$W" rev-parse HEAD
}
mkdir -p "$W/network/routes/web" "$W/addons/db"
route_file "$W/network/routes/web/main.yaml" web alice
sed 's/web--main/ghost--main/; s/web\.alice/ghost.alice/' "$W/network/routes/web/main.yaml" \
	>"$W/network/routes/web/ghost.yaml"
cat >"$W/addons/db/cluster.yaml" <<'EOF'
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: db
spec:
  instances: 1
  storage:
    size: 1Gi
EOF
push "routes and a database" >/dev/null

# ---- start the sim ----
printf 'sim-token-%s\n' "$RANDOM$RANDOM" >"$T/token"
TOKEN=$(cat "$T/token")
sim_start --token-file "$T/token" --sync-delay 1s --health-delay 1s --degrade-tag broken \
	--keepalive 300ms
SIM=$SIM_PID URL=$SIM_URL
case "$URL" in http://127.0.0.1:*) ok ;; *) fail "no URL on stdout: $URL"; finish ;; esac

api() { curl -s --max-time 30 -H "Authorization: Bearer $TOKEN" "$@"; }
status_of() { curl -s --max-time 30 -o "$T/body" -w '%{http_code}' "$@"; }
valid() { # definition file what [--crd …]
	if $CHECK --strict "$1" "$2" >"$T/check" 2>&1; then ok; else fail "$3: $(head -5 "$T/check")"; fi
}
valid_crd() { # crd version file what
	if $CHECK --crd "$1" --version "$2" "$3" >"$T/check" 2>&1; then ok; else fail "$4: $(head -5 "$T/check")"; fi
}
app_field() { # app python-expr
	api "$URL/api/v1/applications/$1?project=alice" >"$T/app.json"
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/app.json" "$2" 2>/dev/null
}
state_of() { app_field "$1" "d['status']['sync']['status']+'/'+d['status']['health']['status']"; }
in_state() { [ "$(state_of "$1")" = "$2" ]; }
wait_for() { wait_until 60 in_state "$1" "$2"; } # app state: the 60 s are a hang guard
# stream_states APP REV: APP's states in the watch stream while it shows REV,
# consecutive repeats folded
stream_states() {
	$PY - "$T/stream.txt" "$1" "$2" <<'EOF'
import json, sys
seen = []
for line in open(sys.argv[1]):
    if not line.startswith("data: "):
        continue
    try:
        a = json.loads(line[6:])["result"]["application"]
    except (ValueError, KeyError):
        continue
    st = a.get("status", {})
    if a["metadata"]["name"] != sys.argv[2] or st.get("sync", {}).get("revision") != sys.argv[3]:
        continue
    s = st["sync"]["status"] + "/" + st["health"]["status"]
    if not seen or seen[-1] != s:
        seen.append(s)
print(" ".join(seen))
EOF
}
in_stream() { grep -q "$1" "$T/stream.txt"; }

# ---- authentication ----
expect_eq "$(status_of "$URL/api/v1/applications")" 401 "list without a token"
valid runtimeError "$T/body" "401 body is Argo CD's runtimeError"
expect_in "$(cat "$T/body")" '"no session information"' "401 message"
expect_eq "$(status_of -H 'Authorization: Bearer nope' "$URL/api/v1/applications")" 401 "wrong token"
expect_eq "$(status_of "$URL/apis/apps/v1/namespaces/x-alice/deployments/web--main")" 401 "kube without token"
expect_eq "$(json "$(cat "$T/body")" "d['kind']+'/'+d['reason']")" "Status/Unauthorized" "kube 401 is a Status"
expect_eq "$(status_of "$URL/api/version")" 200 "version probe works without a token"

# ---- the Applications the ApplicationSet would generate ----
wait_for alice--web--main Synced/Healthy || fail "web never became Synced/Healthy: $(state_of alice--web--main)"
api "$URL/api/v1/applications?projects=alice" >"$T/list.json"
valid v1alpha1ApplicationList "$T/list.json" "list"
expect_eq "$(json "$(cat "$T/list.json")" "' '.join(i['metadata']['name'] for i in d['items'])")" \
	"alice--addons alice--network alice--web--main" "one Application per overlay + network + addons"
expect_eq "$(json "$(cat "$T/list.json")" "set(i['spec']['project'] for i in d['items'])")" "{'alice'}" "project = tenant"
expect_eq "$(json "$(cat "$T/list.json")" "d['items'][2]['spec']['source']['path']+' '+d['items'][2]['spec']['destination']['namespace']")" \
	"apps/web/overlays/main x-alice" "source path and destination namespace"
expect_eq "$(api "$URL/api/v1/applications?projects=bob" | json "$(cat)" "len(d['items'])")" 0 "other projects see nothing"
# Argo CD 3.x: List carries no per-resource health (resourceHealthSource appTree); Get does
expect_eq "$(json "$(cat "$T/list.json")" "sorted(set(i['status']['resourceHealthSource'] for i in d['items']))")" "['appTree']" "list: resourceHealthSource appTree"
expect_eq "$(json "$(cat "$T/list.json")" "[r['kind'] for i in d['items'] for r in i['status'].get('resources', []) if 'health' in r]")" "[]" "list: no status.resources[].health"
expect_eq "$(json "$(cat "$T/list.json")" "len([r for i in d['items'] for r in i['status'].get('resources', [])]) > 0")" "True" "list: status.resources[] still there"
expect_eq "$(app_field alice--web--main "sorted((r['kind'], r['health']['status']) for r in d['status']['resources'])")" \
	"[('Deployment', 'Healthy'), ('Service', 'Healthy')]" "get: status.resources[].health"

for app in alice--web--main alice--network alice--addons; do
	api "$URL/api/v1/applications/$app?project=alice" >"$T/a.json"
	valid v1alpha1Application "$T/a.json" "get $app"
	api "$URL/api/v1/applications/$app/resource-tree?project=alice" >"$T/t.json"
	valid v1alpha1ApplicationTree "$T/t.json" "resource-tree $app"
	api "$URL/api/v1/applications/$app/managed-resources?project=alice" >"$T/m.json"
	valid applicationManagedResourcesResponse "$T/m.json" "managed-resources $app"
done
expect_eq "$(json "$(cat "$T/m.json")" "json.loads(d['items'][0]['targetState'])['kind']")" Cluster "targetState is JSON in a string"
expect_eq "$(app_field alice--web--main "d['status']['summary']['images']")" "['registry.example.com/alice/web:1.0']" "images from the overlay"
expect_eq "$(app_field alice--web--main "len(d['status']['sync']['revision'])")" 40 "sync.revision is a commit"

expect_eq "$(status_of -H "Authorization: Bearer $TOKEN" "$URL/api/v1/applications/nope?project=alice")" 404 "unknown app with a project"
valid runtimeError "$T/body" "404 body"
expect_eq "$(status_of -H "Authorization: Bearer $TOKEN" "$URL/api/v1/applications/nope")" 403 "unknown app without a project (Argo CD hides existence)"
expect_eq "$(status_of -H "Authorization: Bearer $TOKEN" "$URL/api/v1/applications/alice--web--main?project=bob")" 404 "app of another project"

# ---- sync ----
expect_eq "$(status_of -H "Authorization: Bearer $TOKEN" -X POST -d '{}' "$URL/api/v1/applications/alice--web--main/sync")" 415 "sync without JSON content type"
api -X POST -H 'Content-Type: application/json' -d '{"project":"alice","prune":true}' \
	"$URL/api/v1/applications/alice--web--main/sync" >"$T/sync.json"
valid v1alpha1Application "$T/sync.json" "sync answer"
expect_eq "$(json "$(cat "$T/sync.json")" "d['operation']['initiatedBy']['username']")" admin "operation requested"
manual_sync_done() {
	[ "$(app_field alice--web--main "d['status']['operationState']['phase']+' '+d['status']['operationState']['operation']['initiatedBy'].get('username', '')")" = "Succeeded admin" ]
}
wait_until 60 manual_sync_done || fail "the manual sync never finished: $(cat "$T/app.json")"
wait_for alice--web--main Synced/Healthy || fail "web after manual sync: $(state_of alice--web--main)"
# a second sync while one runs: on a sim whose operations last an hour, the
# one it starts with is still running whenever the request arrives
sim_start --token-file "$T/token" --sync-delay 1h
SLOW=$SIM_URL
slow_field() { # app python-expr, as app_field on the slow sim
	api "$SLOW/api/v1/applications/$1?project=alice" >"$T/slow.json"
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/slow.json" "$2" 2>/dev/null
}
slow_running() { [ "$(slow_field alice--web--main "d['status']['operationState']['phase']")" = Running ]; }
wait_until 60 slow_running || fail "no operation runs on the slow sim: $(cat "$T/slow.json")"
expect_eq "$(status_of -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"project":"alice"}' "$SLOW/api/v1/applications/alice--web--main/sync")" \
	400 "second sync while one runs"
expect_in "$(cat "$T/body")" "another operation is already in progress" "second sync message"
sim_stop

# ---- Kubernetes objects ----
api "$URL/apis/apps/v1/namespaces/x-alice/deployments/web--main" >"$T/dep.json"
expect_eq "$(json "$(cat "$T/dep.json")" "(d['spec']['replicas'], d['status']['readyReplicas'], d['status']['observedGeneration']==d['metadata']['generation'])")" \
	"(2, 2, True)" "Deployment replicas from the manifest, rolled out"
expect_eq "$(status_of -H "Authorization: Bearer $TOKEN" "$URL/apis/apps/v1/namespaces/x-alice/deployments/nope")" 404 "missing Deployment"
expect_eq "$(json "$(cat "$T/body")" "d['kind']+' '+d['reason']+' '+d['message']")" 'Status NotFound deployments.apps "nope" not found' "NotFound Status"
expect_eq "$(status_of -H "Authorization: Bearer $TOKEN" "$URL/apis/example.com/v1/namespaces/x/things/y")" 404 "unknown API path"
expect_eq "$(json "$(cat "$T/body")" "(d['kind'], d['reason'], d['code'], d['message'])")" \
	"('Status', 'NotFound', 404, 'the server could not find the requested resource')" \
	"unknown API path: a Status with client-go's message"

wait_for alice--addons Synced/Healthy || fail "addons: $(state_of alice--addons)"
api "$URL/apis/postgresql.cnpg.io/v1/namespaces/x-alice/clusters/db" >"$T/cluster.json"
valid_crd cnpg-clusters-crd.yaml v1 "$T/cluster.json" "Cluster against the CNPG CRD"
expect_eq "$(json "$(cat "$T/cluster.json")" "d['status']['phase']+' '+str(d['status']['readyInstances'])")" "Cluster in healthy state 1" "Cluster ready"
api "$URL/api/v1/namespaces/x-alice/secrets/db-app" >"$T/secret.json"
# the shape CloudNativePG writes, the generated password present but never in Git
$PY - "$T/secret.json" "$W" >"$T/secret.check" 2>&1 <<'EOF' && ok || fail "db-app secret: $(cat "$T/secret.check")"
import base64, json, re, subprocess, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "Secret" and d["type"] == "kubernetes.io/basic-auth", d["type"]
v = {k: base64.b64decode(x).decode() for k, x in d["data"].items()}
assert set(v) >= {"username", "password", "dbname", "host", "port", "uri", "jdbc-uri", "pgpass"}, sorted(v)
assert v["username"] == "app" and v["dbname"] == "app", v["username"]
assert v["host"] == "db-rw" and v["port"] == "5432", (v["host"], v["port"])
assert re.fullmatch(r"[A-Za-z0-9]{64}", v["password"]), "password is 64 alphanumerics"
assert v["uri"] == "postgresql://app:%s@db-rw.x-alice:5432/app" % v["password"], "uri"
assert v["pgpass"] == "db-rw:5432:app:app:%s\n" % v["password"], "pgpass"
grep = subprocess.run(["git", "-C", sys.argv[2], "grep", "-q", v["password"], "origin/main"])
assert grep.returncode == 1, "the password is not in Git"
EOF
first_pw=$(json "$(cat "$T/secret.json")" "d['data']['password']")
expect_eq "$(api "$URL/api/v1/namespaces/x-alice/secrets/db-app" | json "$(cat)" "d['data']['password']")" "$first_pw" "the password is stable"

api "$URL/apis/gateway.networking.k8s.io/v1/namespaces/x-alice/httproutes/web--main" >"$T/route.json"
valid_crd gateway-httproutes-crd.yaml v1 "$T/route.json" "HTTPRoute against the Gateway API CRD"
expect_eq "$(json "$(cat "$T/route.json")" "[(c['type'],c['status']) for c in d['status']['parents'][0]['conditions']]")" \
	"[('Accepted', 'True'), ('ResolvedRefs', 'True')]" "route to an existing Service"
api "$URL/apis/gateway.networking.k8s.io/v1/namespaces/x-alice/httproutes/ghost--main" >"$T/route.json"
expect_eq "$(json "$(cat "$T/route.json")" "[(c['type'],c['status'],c['reason']) for c in d['status']['parents'][0]['conditions']]")" \
	"[('Accepted', 'True', 'Accepted'), ('ResolvedRefs', 'False', 'BackendNotFound')]" "route to a missing Service"
wait_for alice--network Synced/Degraded
expect_eq "$(state_of alice--network)" "Synced/Degraded" "network app degraded by the dangling route"

# ---- a new commit: OutOfSync → Synced/Progressing → Synced/Healthy, in order ----
curl -sN --max-time 900 -H "Authorization: Bearer $TOKEN" -H 'Accept: text/event-stream' \
	"$URL/api/v1/stream/applications?projects=alice" >"$T/stream.txt" &
STREAM=$!
cleanup_hooks+=("kill $STREAM 2>/dev/null")
# the stream is connected once it has sent web's ADDED event
wait_until 60 in_stream '"type":"ADDED","application":{"metadata":{"name":"alice--web--main"' ||
	fail "the watch stream sent no ADDED event for web: $(head -c 300 "$T/stream.txt")"
sed -i 's/newTag: .*/newTag: "1.1"/' "$W/apps/web/overlays/main/kustomization.yaml"
rev=$(push "web 1.1")
# the states the stream reported for the new commit (before the sim notices
# it, the old one shows), once it reports the last of them
settled_in_stream() { case "$(stream_states alice--web--main "$rev")" in *Synced/Healthy) true ;; *) false ;; esac; }
wait_until 60 settled_in_stream || fail "the stream never reported web Synced/Healthy at $rev"
expect_eq "$(stream_states alice--web--main "$rev")" "OutOfSync/Healthy Synced/Progressing Synced/Healthy" "states after a commit"
expect_eq "$(app_field alice--web--main "d['status']['sync']['revision']")" "$rev" "sync.revision is the new commit"
expect_eq "$(app_field alice--web--main "d['status']['summary']['images'][0]")" "registry.example.com/alice/web:1.1" "new image"
expect_eq "$(app_field alice--web--main "d['status']['history'][-1]['revision']")" "$rev" "history records the deploy"

# ---- --degrade-tag ----
sed -i 's/newTag: .*/newTag: broken/' "$W/apps/web/overlays/main/kustomization.yaml"
push "web broken" >/dev/null
wait_for alice--web--main Synced/Degraded || fail "broken tag: $(state_of alice--web--main)"
expect_eq "$(app_field alice--web--main "d['status']['health']['message']")" 'Deployment "web--main" exceeded its progress deadline' "degraded message"
expect_eq "$(api "$URL/apis/apps/v1/namespaces/x-alice/deployments/web--main" | json "$(cat)" "[c['reason'] for c in d['status']['conditions'] if c['type']=='Progressing'][0]")" \
	ProgressDeadlineExceeded "Deployment condition"

# ---- removing the app directory removes its Application ----
git -C "$W" rm -rq apps/web
push "remove web" >/dev/null
app_gone() { [ "$(status_of -H "Authorization: Bearer $TOKEN" "$URL/api/v1/applications/alice--web--main?project=alice")" = 404 ]; }
wait_until 60 app_gone
expect_eq "$(status_of -H "Authorization: Bearer $TOKEN" "$URL/api/v1/applications/alice--web--main?project=alice")" 404 "app gone after its directory left Git"
expect_eq "$(status_of -H "Authorization: Bearer $TOKEN" "$URL/apis/apps/v1/namespaces/x-alice/deployments/web--main")" 404 "its Deployment pruned"
# the stream has said so, and a keepalive has followed some event
deleted_and_kept_alive() {
	in_stream '"type":"DELETED","application":{"metadata":{"name":"alice--web--main"' &&
		[ "$(grep -c '^:$' "$T/stream.txt")" -gt 0 ]
}
wait_until 60 deleted_and_kept_alive || fail "the stream did not report web DELETED, or sent no keepalive"
kill $STREAM 2>/dev/null
wait $STREAM 2>/dev/null
if $CHECK --strict --sse v1alpha1ApplicationWatchEvent "$T/stream.txt" >"$T/check" 2>&1; then ok; else fail "stream: $(head -5 "$T/check")"; fi
events=$(grep -o '"type":"[A-Z]*","application":{"metadata":{"name":"alice--web--main"' "$T/stream.txt" | cut -d'"' -f4 | uniq | tr '\n' ' ')
expect_eq "$events" "ADDED MODIFIED DELETED " "stream events for web"
expect_in "$(cat "$T/stream.txt")" $'\n:\n' "keepalive comments"

# ---- loopback only; clean stop ----
run "$MECH" sim --listen 0.0.0.0:0
expect_rc 65 "non-loopback listen address"
expect_in "$err" "loopback" "refusal names the rule"
kill -TERM $SIM
wait $SIM && rc=0 || rc=$?
expect_eq "$rc" 0 "SIGTERM stops the sim cleanly"
finish
