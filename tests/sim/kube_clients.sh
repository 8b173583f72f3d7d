#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech sim --tls against clients no one here wrote: kubectl (discovery,
# lists, tables, selectors, watch, a NotFound Status as kubectl prints it)
# and the official JavaScript client @kubernetes/client-node from npm (list,
# then watch until one event), both authenticating with a bearer token over
# TLS, as client-go only does over HTTPS; and mech's own argocd.ca_file and
# kubernetes.ca_file against the sim's CA. The token stays in files, never
# in argv.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

need kubectl "kubectl is not installed"

seed_tenant alice
"$MECH" --tenant alice app create web --image registry.example.com/alice/web:1.0 \
	--replicas 2 >/dev/null 2>"$T/create.err" || { cat "$T/create.err" >&2; fail "app create"; finish; }
W="$T/wc"
human_clone alice "$W"
mkdir -p "$W/network/routes/web"
route_file "$W/network/routes/web/main.yaml" web alice
(cd "$W" && git add -A && git commit -qm "a route" && git push -q origin HEAD:main)

printf 'sim-token-%s\n' "$RANDOM$RANDOM" >"$T/token"
chmod 600 "$T/token"
sim_start --tls --token-file "$T/token" --sync-delay 200ms --health-delay 200ms
URL=$SIM_URL CA=$MECH_HOME/sim/ca.crt
case "$URL" in https://127.0.0.1:*) ok ;; *) fail "--tls: not an https URL: $URL"; finish ;; esac
expect_in "$(cat "$SIM_ERR")" "$CA" "the sim names its CA file"
[ -s "$CA" ] && ok || fail "no CA certificate at $CA"
for key in ca.key tls.key; do
	expect_eq "$(stat -c %a "$MECH_HOME/sim/$key")" 600 "$key is private"
done
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 --cacert "$CA" "$URL/version")" 200 "curl trusts ca.crt"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 --cacert "$CA" "${URL/127.0.0.1/localhost}/version")" 200 "the certificate names localhost"

cat >"$T/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster: {server: "$URL", certificate-authority: "$CA"}
users:
- name: tester
  user: {tokenFile: "$T/token"}
contexts:
- name: sim
  context: {cluster: sim, user: tester, namespace: x-alice}
current-context: sim
YAML
chmod 600 "$T/kubeconfig"
k() { kubectl --kubeconfig "$T/kubeconfig" --request-timeout=30s "$@"; }
ready() { [ "$(k get deployment web--main -o jsonpath='{.status.readyReplicas}' 2>/dev/null)" = 2 ]; }
wait_until 60 ready || { fail "web--main never ready (kubectl): $(k get deployment web--main -o json 2>&1 | head -c 300)"; finish; }

# ---- kubectl ----
if k get deployments -n x-alice -o json >"$T/deps" 2>"$T/err"; then
	expect_eq "$(json "$(cat "$T/deps")" "[(i['kind'], i['metadata']['name'], i['spec']['replicas']) for i in d['items']]")" \
		"[('Deployment', 'web--main', 2)]" "kubectl get deployments -o json"
else fail "kubectl get deployments: $(cat "$T/err")"; fi
routed() { k get httproutes.gateway.networking.k8s.io -n x-alice >"$T/routes" 2>"$T/err" && grep -q '^web--main ' "$T/routes"; }
wait_until 60 routed || fail "kubectl get httproutes.gateway.networking.k8s.io: $(cat "$T/routes" "$T/err")"
expect_eq "$(head -1 "$T/routes" | awk '{print $1}')" NAME "kubectl prints a table of HTTPRoutes"
if k get --raw /apis >"$T/apis" 2>"$T/err"; then
	expect_eq "$(json "$(cat "$T/apis")" "sorted(g['name'] for g in d['groups'])")" \
		"['apps', 'gateway.networking.k8s.io', 'postgresql.cnpg.io']" "kubectl get --raw /apis"
else fail "kubectl get --raw /apis: $(cat "$T/err")"; fi
if k get events -n x-alice -o json >"$T/events" 2>"$T/err"; then
	expect_in "$(json "$(cat "$T/events")" "sorted(set(i['reason'] for i in d['items']))")" "'ScalingReplicaSet'" "kubectl get events"
else fail "kubectl get events: $(cat "$T/err")"; fi
k get events -n x-alice >"$T/events.txt" 2>"$T/err" || fail "kubectl get events (table): $(cat "$T/err")"
expect_eq "$(head -1 "$T/events.txt" | tr -s ' ')" "LAST SEEN TYPE REASON OBJECT MESSAGE" "kubectl get events: the apiserver's columns"
expect_in "$(cat "$T/events.txt")" "ScalingReplicaSet   deployment/web--main" "kubectl get events: reason and object"
k get pods -n x-alice >"$T/pods.txt" 2>"$T/err" || fail "kubectl get pods (table): $(cat "$T/err")"
expect_eq "$(head -1 "$T/pods.txt" | tr -s ' ')" "NAME READY STATUS RESTARTS AGE" "kubectl get pods: the apiserver's columns"
expect_eq "$(awk 'NR > 1 {print $2, $3}' "$T/pods.txt" | sort -u)" "1/1 Running" "kubectl get pods: ready and running"
k get deployment web--main >"$T/dep.txt" 2>"$T/err" || fail "kubectl get deployment web--main: $(cat "$T/err")"
expect_eq "$(tail -1 "$T/dep.txt" | awk '{print $1, $2, $3, $4}')" "web--main 2/2 2 2" "kubectl get deployment NAME: READY UP-TO-DATE AVAILABLE"
if k get pods -n x-alice -l 'app.kubernetes.io/name=web' -o name >"$T/pods" 2>"$T/err"; then
	expect_eq "$(grep -c '^pod/web--main-' "$T/pods")" 2 "kubectl get pods -l: the Deployment's pods"
else fail "kubectl get pods -l: $(cat "$T/err")"; fi
k get pods -n x-alice -l 'app.kubernetes.io/name in (api,db)' -o name >"$T/pods" 2>"$T/err"
expect_eq "$(cat "$T/pods")" "" "kubectl get pods -l 'k in (…)' selecting nothing"
k get deploy,rs -n x-alice -o name >"$T/all" 2>"$T/err" || fail "kubectl get deploy,rs (short names): $(cat "$T/err")"
expect_in "$(cat "$T/all")" "replicaset.apps/web--main-" "kubectl resolves the short name rs"
k get deployment nope -n x-alice >"$T/out" 2>"$T/err"
expect_eq "$?" 1 "kubectl get of a missing Deployment fails"
expect_eq "$(cat "$T/err")" 'Error from server (NotFound): deployments.apps "nope" not found' "kubectl prints the Status message"
# watch: the list, then one event when Git changes
k get deployments -n x-alice -w --output-watch-events -o json --request-timeout=90s >"$T/kwatch" 2>"$T/kwatch.err" &
KW=$!
cleanup_hooks+=("kill $KW 2>/dev/null")
listed() { grep -q '"ADDED"' "$T/kwatch"; }
wait_until 60 listed || fail "kubectl get -w: no initial ADDED: $(cat "$T/kwatch.err")"
"$MECH" --tenant alice app -a web deploy --tag 1.1 >/dev/null 2>"$T/deploy.err" || fail "app deploy: $(cat "$T/deploy.err")"
watched() { grep -q '"MODIFIED"' "$T/kwatch"; }
wait_until 60 watched || fail "kubectl get -w: no MODIFIED event: $(tail -c 300 "$T/kwatch") $(cat "$T/kwatch.err")"
kill "$KW" 2>/dev/null
wait "$KW" 2>/dev/null
expect_in "$(cat "$T/kwatch")" "registry.example.com/alice/web:1.1" "kubectl -w: the event carries the new image"

# ---- mech itself, with ca_file ----
printf 'argocd: {url: "%s", token_file: "%s", ca_file: "%s", timeout_ms: 5000}\nkubernetes: {url: "%s", token_file: "%s", ca_file: "%s"}\n' \
	"$URL" "$T/token" "$CA" "$URL" "$T/token" "$CA" >"$MECH_HOME/mech.yaml"
mech app list
expect_rc 0 "mech app list over TLS with argocd.ca_file"
mech whoami --json
expect_in "$(json "$out" 'd["result"]["argocd_status"]')" "ok" "whoami: Argo CD over TLS"
expect_in "$(json "$out" 'd["result"]["kubernetes_status"]')" "ok" "whoami: Kubernetes over TLS"
printf 'argocd: {url: "%s", token_file: "%s", timeout_ms: 5000}\n' "$URL" "$T/token" >"$MECH_HOME/mech.yaml"
mech app list
[ "$rc" -ne 0 ] && ok || fail "without ca_file the sim's certificate must not be trusted"

# ---- @kubernetes/client-node (npm) ----
# 1.x: 2.x needs Node >= 22 (undici 8)
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	skip_part "@kubernetes/client-node: node or npm is not installed"
elif ! npm install --no-save --no-audit --no-fund --prefix "$T/node" '@kubernetes/client-node@1' \
	>"$T/npm.log" 2>&1; then
	skip_part "@kubernetes/client-node: npm install failed (registry unreachable?): $(tail -3 "$T/npm.log")"
else
	cat >"$T/node/client.mjs" <<'JS'
// list deployments, then watch from the list's resourceVersion until one event
import * as fs from 'node:fs';
import * as k8s from '@kubernetes/client-node';
const [url, ca, tokenFile] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromOptions({
	clusters: [{ name: 'sim', server: url, caFile: ca }],
	users: [{ name: 'tester', token: fs.readFileSync(tokenFile, 'utf8').trim() }],
	contexts: [{ name: 'sim', cluster: 'sim', user: 'tester', namespace: 'x-alice' }],
	currentContext: 'sim',
});
const apps = kc.makeApiClient(k8s.AppsV1Api);
const list = await apps.listNamespacedDeployment({ namespace: 'x-alice' });
console.log(JSON.stringify({ list: list.items.map((d) => d.metadata.name) }));
await new k8s.Watch(kc).watch('/apis/apps/v1/namespaces/x-alice/deployments',
	{ resourceVersion: list.metadata.resourceVersion },
	(type, obj) => {
		console.log(JSON.stringify({ type, name: obj.metadata.name,
			image: obj.spec.template.spec.containers[0].image }));
		process.exit(0);
	},
	(err) => { console.log(JSON.stringify({ ended: String(err) })); process.exit(1); });
try {
	await apps.readNamespacedDeployment({ namespace: 'x-alice', name: 'nope' });
} catch (e) {
	console.log(JSON.stringify({ notFound: e.code, message: JSON.parse(e.body).message }));
}
JS
	# timeout(1): a hang guard, not what is asserted
	timeout 120 node "$T/node/client.mjs" "$URL" "$CA" "$T/token" >"$T/node.out" 2>"$T/node.err" &
	NODE=$!
	cleanup_hooks+=("kill $NODE 2>/dev/null")
	node_listed() { grep -qs '"notFound"' "$T/node.out"; }
	wait_until 60 node_listed || fail "client-node: no list: $(cat "$T/node.out" "$T/node.err")"
	expect_eq "$(head -1 "$T/node.out")" '{"list":["web--main"]}' "client-node lists deployments"
	expect_in "$(cat "$T/node.out")" '{"notFound":404,"message":"deployments.apps \"nope\" not found"}' "client-node reads the Status"
	"$MECH" --tenant alice app -a web deploy --tag 1.2 >/dev/null 2>"$T/deploy.err" || fail "app deploy: $(cat "$T/deploy.err")"
	wait "$NODE"
	expect_eq "$?" 0 "client-node watch ends after one event: $(cat "$T/node.err")"
	expect_eq "$(tail -1 "$T/node.out")" '{"type":"MODIFIED","name":"web--main","image":"registry.example.com/alice/web:1.2"}' "client-node watches one event"
fi

# a restart keeps the CA: clients trust the sim across restarts
ca_before=$(sha256sum <"$CA")
sim_stop
sim_start --tls --token-file "$T/token"
expect_eq "$(sha256sum <"$CA")" "$ca_before" "a restart reuses the CA"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 --cacert "$CA" "$SIM_URL/version")" 200 "and its certificate still verifies"
finish
