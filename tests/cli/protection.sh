#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The write policy end to end: a human's change is never overwritten
# without --force, and every forced overwrite is recorded.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"

seed_tenant alice
mech app create web --image nginx:1.27 --port 80
expect_rc 0 "app create"
fsck_ok alice

# A human edits the overlay through a clone and pushes.
human_clone alice "$T/clone"
printf 'replicas:\n- name: web\n  count: 3\n' >>"$T/clone/apps/web/overlays/main/kustomization.yaml"
git -C "$T/clone" commit -qam "scale web to 3"
git -C "$T/clone" push -q origin HEAD
human=$(git -C "$T/clone" rev-parse HEAD)
before=$(head_of alice)

# set-image is refused, naming the commit
mech app -a web set-image nginx:1.28
expect_rc 3 "set-image over a human edit"
expect_in "$err" "$human" "conflict names the human commit"
expect_in "$err" "apps/web/overlays/main/kustomization.yaml" "conflict names the path"
expect_in "$err" "Hanna Human" "conflict names the author"
expect_in "$err" "--force" "refusal says how to override"
expect_eq "$(head_of alice)" "$before" "refused write leaves the branch"

# --json carries the conflict
mech app -a web set-image nginx:1.28 --json
expect_rc 3 "set-image --json"
json_valid "$out" "refusal JSON"
expect_eq "$(json "$out" 'd["error"]["code"]')" "write_refused" "error code"
expect_eq "$(json "$out" 'd["error"]["exit"]')" "3" "error exit"
expect_eq "$(json "$out" 'd["error"]["conflicts"][0]["commit"]')" "$human" "conflict commit in JSON"
expect_eq "$(json "$out" 'd["error"]["conflicts"][0]["path"]')" "apps/web/overlays/main/kustomization.yaml" "conflict path in JSON"
expect_eq "$(json "$out" 'd["error"]["conflicts"][0]["subject"]')" "scale web to 3" "conflict subject"
expect_eq "$(json "$out" 'd["ok"]')" "False" "ok is false"

# --dry-run shows the plan and writes nothing
mech app -a web set-image nginx:1.28 --dry-run --json
expect_rc 0 "dry run"
expect_eq "$(json "$out" 'd["result"]["plan"][0]["needs_force"]')" "True" "plan says --force is needed"
expect_eq "$(json "$out" 'd["result"]["plan"][0]["class"]')" "human" "plan names the class"
expect_eq "$(json "$out" 'd["result"]["plan"][0]["last_writer"]')" "$human" "plan names the last writer"
expect_eq "$(json "$out" 'd["commit"]')" "None" "dry run has no commit"
expect_eq "$(head_of alice)" "$before" "dry run leaves the branch"

# --force lands, with one trailer naming the human commit
mech app -a web set-image nginx:1.28 --force
expect_rc 0 "forced set-image"
after=$(head_of alice)
trailers=$(git --git-dir="$(repo_of alice)" log -1 --format='%(trailers:key=Mechanics-Forced-Over,valueonly)' "$after")
expect_eq "$trailers" "$human apps/web/overlays/main/kustomization.yaml" "Forced-Over trailer"
# the human's replicas survive: mech rewrote only the image entry
git --git-dir="$(repo_of alice)" show "$after:apps/web/overlays/main/kustomization.yaml" >"$T/ov"
expect_in "$(cat "$T/ov")" "count: 3" "hand-added replicas kept"
expect_in "$(cat "$T/ov")" '1.28' "new tag written"
mech log --class forced --json
expect_eq "$(json "$out" 'd["result"]["commits"][0]["forced_over"][0]["commit"]')" "$human" "log --class forced"
fsck_ok alice
render_overlays alice # the human's replicas and mech's image, together

# Now the last writer is the forced (machine) commit: a new write needs no --force.
mech app -a web deploy --tag 1.29
expect_rc 0 "deploy after a forced write"

# A human deleting mech's file is protected the same way.
git -C "$T/clone" pull -q
git -C "$T/clone" rm -q apps/web/base/service.yaml
git -C "$T/clone" commit -qm "web needs no service"
git -C "$T/clone" push -q origin HEAD
deleter=$(git -C "$T/clone" rev-parse HEAD)
before=$(head_of alice)
mech app create web --image nginx:1.29 --port 80
expect_rc 3 "re-creating a file a human deleted"
expect_in "$err" "$deleter" "conflict names the deleting commit"
expect_in "$err" "apps/web/base/service.yaml" "conflict names the deleted path"
expect_eq "$(head_of alice)" "$before" "refused re-create leaves the branch"
mech app create web --image nginx:1.29 --port 80 --force
expect_rc 0 "forced re-create"
expect_in "$(git --git-dir="$(repo_of alice)" log -1 --format=%B)" "Mechanics-Forced-Over: $deleter apps/web/base/service.yaml" "trailer for the delete"
render_overlays alice # the service the human deleted is back

# A human change arriving through a merge commit.
git -C "$T/clone" pull -q
git -C "$T/clone" checkout -qb tweak
printf 'commonAnnotations:\n  team: web\n' >>"$T/clone/apps/web/overlays/main/kustomization.yaml"
git -C "$T/clone" commit -qam "an annotation on a branch"
side=$(git -C "$T/clone" rev-parse HEAD)
git -C "$T/clone" checkout -q main
echo "notes" >"$T/clone/NOTES.md"
git -C "$T/clone" add NOTES.md
git -C "$T/clone" commit -qm "notes"
git -C "$T/clone" merge -q --no-ff -m "merge tweak" tweak
git -C "$T/clone" push -q origin HEAD
want=$(git --git-dir="$(repo_of alice)" log -1 --format=%H -- apps/web/overlays/main/kustomization.yaml)
expect_eq "$want" "$side" "git itself names the side-branch commit"
before=$(head_of alice)
mech app -a web deploy --tag 1.30
expect_rc 3 "write over a change merged from a branch"
expect_in "$err" "$side" "conflict names the side-branch commit, as git log -1 does"
expect_eq "$(head_of alice)" "$before" "refused write leaves the branch"

# delete: refuses over human files, removes exactly apps/web and mech's routes
mkdir -p "$T/clone/network/routes/web"
git -C "$T/clone" pull -q
printf 'kind: ConfigMap\n' >"$T/clone/network/routes/web/custom.yaml"
printf 'kind: ConfigMap\n' >"$T/clone/network/extra.yaml"
git -C "$T/clone" add network
git -C "$T/clone" commit -qm "hand-made network files"
git -C "$T/clone" push -q origin HEAD
mech app -a web delete
expect_rc 3 "delete over human changes"
mech app -a web delete --force
expect_rc 0 "forced delete"
tree=$(git --git-dir="$(repo_of alice)" ls-tree -r --name-only main)
expect_not_in "$tree" "apps/web/" "apps/web removed"
expect_in "$tree" "network/routes/web/custom.yaml" "user-authored route dir file kept"
expect_in "$tree" "network/extra.yaml" "user network file kept"
expect_in "$tree" "argocd/apps.applicationset.yaml" "seed kept"
mech app -a web delete
expect_rc 4 "deleting a missing app"
fsck_ok alice
finish
