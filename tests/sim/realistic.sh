#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech's conclusions against a sim with Argo CD's own timing (--realistic:
# an Application notices a commit only every 3 minutes, the ApplicationSet
# generator runs every 3 minutes, as without a Git webhook). Every wait
# below has a 60 s timeout, far under those intervals: a wait that ends
# done or failed (not pending, exit 2) got there because mech asked Argo CD
# to refresh, never because the sim happened to be quick.
#   - create --wait and deploy --wait end done;
#   - a human edit that breaks kustomize ends `app wait` with exit 1 and the
#     ComparisonError, and the fix ends it with 0;
#   - wait --tag for a tag Git does not hold is 65 at once;
#   - a route created with its app waits done (BackendNotFound is pending
#     while the backend syncs), an addon set --memory --wait ends on the new
#     generation;
#   - app info shows each resource's health (read with Get: List has none);
#   - a deny sync window: app sync is 77 with Argo CD's message.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
sim_start --realistic --sync-delay 200ms --health-delay 200ms
sim_config
W="$T/wc"
push() { # message
	(cd "$W" && git add -A && git commit -qm "$1" && git pull -q --rebase origin main &&
		git push -q origin HEAD:main)
}

mech app create web --image nginx:1.27 --port 80 --wait --timeout 60s
expect_rc 0 "create --wait with Argo CD's 3-minute polls"
mech route -a web create --wait --timeout 60s
expect_rc 0 "route create --wait: its backend synced meanwhile"
mech app -a web deploy --tag 1.28 --wait --timeout 60s --json
expect_rc 0 "deploy --wait"
expect_eq "$(json "$out" 'd["result"]["state"]')" "done" "done"
mech app -a web info --json
expect_eq "$(json "$out" '[r["health"] for r in d["result"]["instances"][0]["live"]["resources"] if r["kind"] == "Deployment"]')" \
	"['Healthy']" "per-resource health from Get"

mech app -a web wait --tag 9.9 --timeout 60s
expect_rc 65 "wait --tag for a tag Git does not hold"
expect_in "$err" "web/main is at 1.28 in Git; deploy 9.9 first" "says so at once"

# a human breaks kustomize: the wait fails with Argo CD's condition, not a timeout
human_clone alice "$W"
sed -i 's/^resources:$/resources:\n- missing.yaml/' "$W/apps/web/base/kustomization.yaml"
push "a resource that does not exist"
mech app -a web wait --timeout 60s
expect_rc 1 "wait on an app whose manifests cannot be generated"
expect_in "$err" "ComparisonError" "the condition"
expect_in "$err" "missing.yaml" "kustomize's own words"
git -C "$W" checkout -q HEAD~1 -- apps/web/base/kustomization.yaml
push "fix"
mech app -a web wait --timeout 60s
expect_rc 0 "the fix: done, not misled by the old condition"

# an addon's memory: the wait ends on the new generation
mech addon create db --type postgres --memory 512Mi --wait --timeout 60s
expect_rc 0 "addon create --wait"
mech addon -n db set --memory 1Gi --wait --timeout 60s --json
expect_rc 0 "addon set --wait"
expect_eq "$(json "$out" '(d["result"]["memory"], d["result"]["generation"] == d["result"]["observed_generation"])')" \
	"('1Gi', True)" "the live cluster has the new memory, at its generation"

# a deny window, applied by the operator
git -C "$W" pull -q --rebase origin main
cat >>"$W/argocd/project.yaml" <<'YAML'
  syncWindows:
  - kind: deny
    schedule: '* * * * *'
    duration: 1h
    applications:
    - '*'
YAML
push "a deny window"
sim_reapply alice
mech app -a web sync
expect_rc 77 "app sync in a deny window"
expect_in "$err" "cannot sync: blocked by sync window" "Argo CD's message"
expect_not_in "$err" "token" "not a token problem"
sim_stop
finish
