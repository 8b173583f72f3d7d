#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Argo CD's failure semantics in mech sim and what mech concludes from them:
# a human edit that breaks kustomize gives a ComparisonError (sync Unknown,
# no sync.revision, no automated sync) and `app wait` ends at once with
# exit 1 and the condition's message instead of timing out (2); a manual
# sync of such an app fails as Argo CD's does. The long --timeout is a hang
# guard: exit 1 (not 2) is the proof the wait did not run out.
# Sync windows: a deny window holds the automated sync without an error
# and the sync endpoint answers 403 with Argo CD's message, which mech
# reports with exit 77 (not as a token problem); manualSync lets it through.
# The AppProject: a resource in another tenant's namespace, or a cluster-
# scoped kind it does not whitelist, fails the sync with Argo CD's words;
# the sync is retried (spec.syncPolicy.retry: retryCount, "Retrying attempt
# #N") and then Failed with a SyncError, and app wait ends with exit 1.
# Argo CD knows argocd/*.yaml only as an operator applied them: each change
# to them here is followed by a re-apply (SIGHUP).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

need curl "curl(1) is not installed"
# the failure states as the Argo CD swagger describes them (../shared/spec)
swagger() { # what: GET web's Application and check it against v1alpha1Application
	if [ ! -d "${MECH_SPEC_DIR:-}" ] || ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		skip_part "swagger check of $1: ../shared/spec or python3-jsonschema is missing"
		return
	fi
	api "$SIM_URL/api/v1/applications/alice--web--main" >"$T/app.json"
	if /usr/bin/python3 "$SRC/tests/lib/check_swagger.py" --strict v1alpha1Application "$T/app.json" \
		>"$T/check" 2>&1; then ok; else fail "$1: $(head -5 "$T/check")"; fi
}

seed_tenant alice
sim_start --sync-delay 200ms --health-delay 200ms
sim_config
api() { curl -s --max-time 30 "$@"; }
app_field() { # app python-expr
	api "$SIM_URL/api/v1/applications/$1" | json "$(cat)" "$2"
}
W="$T/wc"
push() { # message
	(cd "$W" && git add -A && git commit -qm "$1" && git pull -q --rebase origin main &&
		git push -q origin HEAD:main)
}

mech app create web --image nginx:1.27 --port 80 --wait --timeout 60s
expect_rc 0 "app create --wait"
human_clone alice "$W"

# ---- item 1+2: a kustomization naming a file that does not exist ----
sed -i 's/^resources:$/resources:\n- missing.yaml/' "$W/apps/web/base/kustomization.yaml"
push "a resource that does not exist"
mech app -a web wait --timeout 60s --json
expect_rc 1 "wait on an app whose manifests cannot be generated"
expect_eq "$(json "$out" 'd["error"]["code"]')" "failed" "the error envelope (formats.md: no result)"
expect_in "$(json "$out" 'd["error"]["message"]')" "alice--web--main failed: ComparisonError: Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = " "message is the condition"
expect_in "$out" "missing.yaml: no such file" "the message names the missing file"
mech app -a web wait --timeout 60s
expect_rc 1 "the same in text"
expect_in "$err" "ComparisonError" "text error names the condition"
# what Argo CD shows: Unknown, no revision, no automated sync
expect_eq "$(app_field alice--web--main "d['status']['sync']['status']")" Unknown "sync Unknown"
expect_eq "$(app_field alice--web--main "'revision' in d['status']['sync']")" False "no sync.revision"
expect_eq "$(app_field alice--web--main "[c['type'] for c in d['status']['conditions']]")" "['ComparisonError']" "the condition"
swagger "an app with a ComparisonError"
expect_eq "$(app_field alice--web--main "d['status']['operationState']['phase']")" Succeeded "no automated sync of the broken commit"
# a manual sync fails as Argo CD's SyncAppState does
mech app -a web sync
expect_rc 0 "sync requested"
op_done() { [ "$(app_field alice--web--main "d['status']['operationState']['phase']")" = Error ]; }
wait_until 60 op_done || fail "manual sync did not end in Error"
expect_in "$(app_field alice--web--main "d['status']['operationState']['message']")" "ComparisonError: Failed to load target state" "sync message"

# ---- a fix ends it: a wait on the fixed commit is not misled by the old condition ----
git -C "$W" checkout -q HEAD~1 -- apps/web/base/kustomization.yaml
push "fix"
mech app -a web wait --timeout 60s
expect_rc 0 "wait after the fix"

# ---- sync windows ----
cat >>"$W/argocd/project.yaml" <<'YAML'
  syncWindows:
  - kind: deny
    schedule: '* * * * *'
    duration: 1h
    applications:
    - '*'
YAML
push "a deny window"
# Argo CD knows the project as an operator applied it: not yet
dry_sync() { curl -s --max-time 30 -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d '{"dryRun":true}' "$SIM_URL/api/v1/applications/alice--web--main/sync"; }
expect_eq "$(dry_sync)" 200 "a window only in Git does nothing"
sim_reapply alice
expect_eq "$(dry_sync)" 403 "applied, it holds syncs"
last_op=$(app_field alice--web--main "d['status']['operationState']['phase']+' '+d['status']['operationState']['startedAt']")
mech app -a web deploy --tag 1.28
expect_rc 0 "deploy under a deny window"
head=$(head_of alice)
seen_head() { [ "$(app_field alice--web--main "d['status']['sync'].get('revision')")" = "$head" ]; }
wait_until 60 seen_head || fail "the sim never compared $head"
# compared in the same tick as the automated sync would start: it did not
expect_eq "$(app_field alice--web--main "d['status']['sync']['status']")" OutOfSync "held OutOfSync by the window"
expect_eq "$(app_field alice--web--main "d['status']['operationState']['phase']+' '+d['status']['operationState']['startedAt']")" "$last_op" "no automated sync started"
expect_eq "$(app_field alice--web--main "d['status'].get('conditions', [])")" "[]" "no error shown for a window"
code=$(curl -s --max-time 30 -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d '{}' "$SIM_URL/api/v1/applications/alice--web--main/sync")
expect_eq "$code" 403 "sync endpoint refuses"
expect_eq "$(json "$(cat "$T/body")" "(d['error'], d['code'], d['message'])")" \
	"('cannot sync: blocked by sync window', 7, 'cannot sync: blocked by sync window')" "Argo CD's body"
mech app -a web sync
expect_rc 77 "app sync in a deny window"
expect_in "$err" "cannot sync: blocked by sync window" "Argo CD's message"
expect_not_in "$err" "token" "not a token problem"
mech app -a web sync --json
expect_rc 77 "the same in JSON"
expect_eq "$(json "$out" 'd["error"]["code"]')" "forbidden" "forbidden"
# manualSync: true lets a manual sync through
sed -i 's/^    duration: 1h$/    duration: 1h\n    manualSync: true/' "$W/argocd/project.yaml"
push "manual syncs allowed"
sim_reapply alice
head=$(head_of alice)
wait_until 60 seen_head || fail "the sim never compared $head"
mech app -a web sync
expect_rc 0 "manual sync allowed by manualSync"
mech app -a web wait --tag 1.28 --timeout 60s
expect_rc 0 "the manual sync deployed 1.28"

# ---- the AppProject enforced, with retries ----
git -C "$W" pull -q --rebase origin main
sed -i '/^  syncWindows:$/,$d' "$W/argocd/project.yaml"
# a fast retry, as a human may set it (Argo CD reads the Application's syncPolicy.retry)
set_retry() { # limit duration: replaces the seed's retry block
	python3 - "$W/argocd/apps.applicationset.yaml" "$1" "$2" <<'PY'
import sys
path, limit, duration = sys.argv[1:]
out, skip = [], False
for line in open(path).read().splitlines():
    if skip and line.startswith("         "):
        continue
    skip = line == "        retry:"
    if skip:
        out += [line, "          limit: " + limit, "          backoff:",
                "            duration: " + duration, "            factor: 1"]
    else:
        out.append(line)
open(path, "w").write("\n".join(out) + "\n")
PY
	grep -q "duration: $2" "$W/argocd/apps.applicationset.yaml" || fail "no retry block to replace"
}
set_retry 2 100ms
push "no window; a fast retry"
sim_reapply alice
cat >"$W/apps/web/base/bob.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: intruder
  namespace: x-bob
data:
  a: b
YAML
sed -i 's/^resources:$/resources:\n- bob.yaml/' "$W/apps/web/base/kustomization.yaml"
push "a ConfigMap in bob's namespace"
bad=$(head_of alice)
mech app -a web wait --timeout 60s
expect_rc 1 "wait on a sync the project refuses"
expect_in "$err" "namespace x-bob is not permitted in project 'alice'" "Argo CD's message"
expect_eq "$(app_field alice--web--main "d['status']['operationState']['phase']")" Failed "operation Failed"
expect_eq "$(app_field alice--web--main "d['status']['operationState']['retryCount']")" 2 "retried twice"
expect_eq "$(app_field alice--web--main "d['status']['operationState']['message']")" \
	"one or more synchronization tasks are not valid: namespace x-bob is not permitted in project 'alice' (retried 2 times)." "final message"
expect_eq "$(app_field alice--web--main "[(c['type'], c['message']) for c in d['status']['conditions']]")" \
	"[('SyncError', \"Failed last sync attempt to [$bad]: one or more synchronization tasks are not valid: namespace x-bob is not permitted in project 'alice' (retried 2 times).\")]" "SyncError condition"
expect_eq "$(app_field alice--web--main "d['status']['sync']['status']")" OutOfSync "left OutOfSync"
swagger "an app with a SyncError"
# automated sync does not try that revision again: the operation stays as it ended
ended=$(app_field alice--web--main "d['status']['operationState']['startedAt']")
mech app -a web wait --timeout 60s
expect_rc 1 "a later wait still fails"
expect_eq "$(app_field alice--web--main "d['status']['operationState']['startedAt']")" "$ended" "no new automated attempt"

# a cluster-scoped kind outside the whitelist, retried slowly: Running with a count
set_retry 1 1h
push "a slow retry"
sim_reapply alice
git -C "$W" rm -q apps/web/base/bob.yaml
sed -i '/^- bob.yaml$/d' "$W/apps/web/base/kustomization.yaml"
cat >"$W/apps/web/base/ns.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: x-alice-extra
YAML
sed -i 's/^resources:$/resources:\n- ns.yaml/' "$W/apps/web/base/kustomization.yaml"
push "a Namespace"
retrying() { [ "$(app_field alice--web--main "d['status']['operationState'].get('retryCount')")" = 1 ]; }
wait_until 60 retrying || fail "no retry counted: $(app_field alice--web--main "d['status']['operationState']")"
expect_eq "$(app_field alice--web--main "d['status']['operationState']['phase']")" Running "Running while retrying"
swagger "an operation being retried"
expect_in "$(app_field alice--web--main "d['status']['operationState']['message']")" \
	"one or more synchronization tasks are not valid: resource :Namespace is not permitted in project alice. Retrying attempt #1 at " "retry message"
mech app -a web wait --timeout 300ms
expect_rc 2 "retrying is progressing"
expect_in "$err" "Retrying attempt #1" "the progress line shows the retry"
finish
