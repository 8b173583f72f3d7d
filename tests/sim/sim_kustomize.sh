#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# How mech sim renders an overlay. With kubectl on PATH it runs `kubectl
# kustomize` as Argo CD's repo server runs kustomize: a strategic-merge patch
# and a configMapGenerator a human adds are served (the ConfigMap with the
# hash suffix real kustomize gives it, and the reference to it rewritten), a
# build that fails is a ComparisonError carrying kustomize's own message,
# a commit that does not touch an overlay or its base does not run kustomize
# again, and its private copies are removed. With --kustomize builtin, or
# without kubectl, the sim says at start that it uses its own subset, and
# patches and generators are ignored, as documented.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

need curl "curl(1) is not installed"

seed_tenant alice
"$MECH" --tenant alice app create web --image registry.example.com/alice/web:1.0 \
	>/dev/null 2>"$T/create.err" || { cat "$T/create.err" >&2; fail "app create"; finish; }
W="$T/wc"
human_clone alice "$W"
O=apps/web/overlays/main
cat >>"$W/$O/kustomization.yaml" <<'YAML'
patches:
- path: tuning.yaml
configMapGenerator:
- name: web-config
  literals:
  - GREETING=hello
YAML
cat >"$W/$O/tuning.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: web
        env:
        - name: GREETING
          valueFrom:
            configMapKeyRef:
              name: web-config
              key: GREETING
YAML
push() { (cd "$W" && git add -A && git commit -qm "$1" && git push -q origin HEAD:main); }
push "a patch and a generator, by hand"

app_json() { curl -s --max-time 30 "$SIM_URL/api/v1/applications/alice--web--main"; }
app_field() { json "$(app_json)" "$1" 2>/dev/null; }
at_head() { [ "$(app_field "d['status']['sync'].get('revision')")" = "$(head_of alice)" ]; }
managed() { # kinds and names of the managed resources
	curl -s --max-time 30 "$SIM_URL/api/v1/applications/alice--web--main/managed-resources" |
		json "$(cat)" "sorted((i['kind'], i['name']) for i in d['items'])"
}
replicas() { curl -s --max-time 30 "$SIM_URL/apis/apps/v1/namespaces/x-alice/deployments/web--main" |
	json "$(cat)" "d['spec']['replicas']" 2>/dev/null; }
synced_with() { # replicas: the app is Synced and its Deployment has that many
	[ "$(app_field "d['status']['sync']['status']")" = Synced ] && [ "$(replicas)" = "$1" ]
}

# ---- with kubectl: real kustomize ----
if command -v kubectl >/dev/null 2>&1; then
	# a kubectl that logs its calls, so the test sees when the sim runs it
	mkdir -p "$T/bin" "$T/simtmp"
	printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\nexec "%s" "$@"\n' "$T/kubectl.log" \
		"$(command -v kubectl)" >"$T/bin/kubectl"
	chmod +x "$T/bin/kubectl"
	builds() { grep -c '^kustomize ' "$T/kubectl.log" 2>/dev/null || true; }
	PATH="$T/bin:$PATH" TMPDIR="$T/simtmp" sim_start --sync-delay 100ms --health-delay 100ms
	expect_in "$(cat "$SIM_ERR")" "mech sim: rendering kustomize directories with \`$T/bin/kubectl kustomize\` (kustomize v" \
		"the sim names the kustomize it renders with"
	wait_until 60 synced_with 3 || fail "the patched Deployment never came: replicas $(replicas), $(app_field "d['status']['sync']")"
	# what kustomize itself makes of the same checkout, independently of the sim
	want_cm=$(kubectl kustomize "$W/$O" | /usr/bin/python3 -c '
import sys
name = None; kind = None
for line in sys.stdin:
    if line.startswith("kind: "): kind = line.split()[1]
    if line.startswith("  name: ") and kind == "ConfigMap": print(line.split()[1]); break')
	case $want_cm in web-config--main-??????????) ok ;; *) fail "kubectl kustomize gave no hashed ConfigMap: $want_cm" ;; esac
	expect_eq "$(managed)" "[('ConfigMap', '$want_cm'), ('Deployment', 'web--main'), ('Service', 'web--main')]" \
		"managed resources: the generated ConfigMap with its hash suffix"
	kubectl --server "$SIM_URL" get deployment web--main -n x-alice -o json >"$T/dep.json" 2>"$T/kubectl.err" ||
		fail "kubectl get deployment: $(cat "$T/kubectl.err")"
	expect_eq "$(json "$(cat "$T/dep.json")" "(d['spec']['replicas'], d['spec']['template']['spec']['containers'][0]['env'])")" \
		"(3, [{'name': 'GREETING', 'valueFrom': {'configMapKeyRef': {'key': 'GREETING', 'name': '$want_cm'}}}])" \
		"kubectl reads the patched Deployment, its reference rewritten to the hashed name"
	n=$(builds)
	[ "$n" -ge 1 ] && ok || fail "kubectl kustomize never ran"
	expect_eq "$(find "$T/simtmp" -mindepth 1 | head -3)" "" "the private copies are removed"

	# a commit that touches neither the overlay nor its base: no new build
	echo "notes" >>"$W/addons/README.md"
	push "an unrelated change"
	wait_until 60 at_head || fail "the sim never read the unrelated commit"
	expect_eq "$(builds)" "$n" "an unchanged overlay is not built again"
	# a change in the base the overlay names (../../base) is built again
	sed -i 's/^  replicas: 1$/  replicas: 1\n  minReadySeconds: 5/' "$W/apps/web/base/deployment.yaml"
	grep -q minReadySeconds "$W/apps/web/base/deployment.yaml" || fail "the base edit did not apply"
	push "a change in the base"
	base_seen() { [ "$(curl -s --max-time 30 "$SIM_URL/apis/apps/v1/namespaces/x-alice/deployments/web--main" |
		json "$(cat)" "d['spec'].get('minReadySeconds')" 2>/dev/null)" = 5 ]; }
	wait_until 60 base_seen || fail "a change in the base was not rendered"
	expect_eq "$(builds)" "$((n + 1))" "a change in the base builds once more"

	# a broken kustomization: sync Unknown, kustomize's own error as the ComparisonError
	good=$(git -C "$W" rev-parse HEAD)
	sed -i 's/^- ..\/..\/base$/- ..\/..\/base\n- missing.yaml/' "$W/$O/kustomization.yaml"
	push "a resource that is not there"
	unknown() { [ "$(app_field "d['status']['sync']['status']")" = Unknown ]; }
	wait_until 60 unknown || fail "a failed build did not make the sync Unknown: $(app_field "d['status']['sync']")"
	msg=$(app_field "[c['message'] for c in d['status'].get('conditions', []) if c['type'] == 'ComparisonError'][0]")
	expect_in "$msg" "Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = \`kustomize build <path to cached source>/$O\` failed exit status 1: Error: accumulating resources:" \
		"the ComparisonError is Argo CD's"
	expect_in "$msg" "<path to cached source>/$O/missing.yaml" "kustomize's text names the missing file"
	expect_not_in "$msg" "$T/simtmp" "the private copy's path is not shown"
	expect_not_in "$msg" "run.go" "kubectl's log prefix is not shown"
	expect_eq "$(replicas)" 3 "the last good objects stay"
	expect_eq "$(find "$T/simtmp" -mindepth 1 | head -3)" "" "the private copy of a failed build is removed"
	comparison_error() { app_field "[c['message'] for c in d['status'].get('conditions', []) if c['type'] == 'ComparisonError'][0]"; }
	error_has() { case $(comparison_error) in *"$1"*) return 0 ;; *) return 1 ;; esac; }
	# a remote base is refused, not fetched
	sed -i 's|^- missing.yaml$|- https://github.com/example/web//base?ref=v1|' "$W/$O/kustomization.yaml"
	push "a remote base"
	wait_until 60 error_has "the sim does not fetch remote bases" || fail "a remote base: $(comparison_error)"
	expect_in "$(comparison_error)" "remote resources https://github.com/example/web//base?ref=v1" "a remote base is named"
	# a symlink is not copied: what it points at outside the repository is never read
	ln -s /etc/passwd "$W/$O/leak.yaml"
	sed -i 's|^- https://github.com/example/web//base?ref=v1$|- leak.yaml|' "$W/$O/kustomization.yaml"
	push "a symlink out of the repository"
	wait_until 60 error_has "leak.yaml" || fail "a symlinked resource: $(comparison_error)"
	expect_in "$(comparison_error)" "failed exit status 1: Error: accumulating resources:" "a symlink is not there for kustomize"
	expect_not_in "$(comparison_error)" "root:" "nothing of /etc/passwd is shown"
	expect_eq "$(replicas)" 3 "the last good objects still stay"
	sim_stop
	(cd "$W" && git revert --no-edit "$good..HEAD" >/dev/null && git push -q origin HEAD:main)
else
	skip_part "kubectl is not installed: real kustomize not tested"
fi

# ---- the builtin subset: said at start, patches and generators ignored ----
sim_start --kustomize builtin --sync-delay 100ms --health-delay 100ms
expect_in "$(cat "$SIM_ERR")" "mech sim: --kustomize builtin: rendering overlays with the sim's own kustomize subset; patches and generators it lacks are ignored" \
	"--kustomize builtin says so at start"
wait_until 60 synced_with 1 || fail "builtin: the Deployment is not the unpatched one: replicas $(replicas)"
expect_eq "$(managed)" "[('Deployment', 'web--main'), ('Service', 'web--main')]" "builtin: no generated ConfigMap"
sim_stop

# ---- auto without kubectl on PATH: the same fallback, said at start ----
printf '#!/bin/sh\nPATH=/nonexistent exec "%s" "$@"\n' "$MECH" >"$T/mech-nokubectl"
chmod +x "$T/mech-nokubectl"
MECH="$T/mech-nokubectl" sim_start --sync-delay 100ms --health-delay 100ms
expect_in "$(cat "$SIM_ERR")" "mech sim: kubectl not on PATH: rendering overlays with the sim's own kustomize subset; patches and generators it lacks are ignored" \
	"without kubectl the sim says so at start"
wait_until 60 synced_with 1 || fail "no kubectl: the Deployment is not the unpatched one: replicas $(replicas)"
sim_stop
finish
