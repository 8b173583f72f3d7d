#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Undo as receipts: `app rollback` puts an instance's own files back as they
# were before its last deploy (or at --to REV), with a Mechanics-Rollback-To
# trailer; `revert REV` undoes one commit's changes to the files mech
# manages by a three-way merge, as `git revert`, with Mechanics-Reverts.
# Both go through the write policy; reverting a forced write restores the
# human change it overrode. Bad input: clear errors, nothing written.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"

seed_tenant alice
G="git --git-dir=$(repo_of alice)"
ov() { $G show main:apps/web/overlays/main/kustomization.yaml; }
trailer() { $G log -1 --format="%(trailers:key=$1,valueonly)" main; }

mech app create web --image nginx:1.27
expect_rc 0 "app create"
created=$(head_of alice)
mech app -a web rollback
expect_rc 4 "rollback with no deploy yet"
expect_in "$err" "no deploy to roll back" "says why"
expect_eq "$(head_of alice)" "$created" "nothing written"

mech app -a web deploy --tag 1.28
expect_rc 0 "deploy 1.28"
mech --json app -a web rollback
expect_rc 0 "rollback"
expect_eq "$(json "$out" 'd["result"]["subject"]')" "mechanics(app.rollback): roll web/main back to ${created:0:12}" "receipt subject"
expect_in "$(ov)" 'newTag: "1.27"' "the tag before the deploy"
expect_eq "$(trailer Mechanics-Rollback-To)" "$created" "Mechanics-Rollback-To names the commit"
mech log -n 1 --json
expect_eq "$(json "$out" 'd["result"]["commits"][0]["class"]')" "machine" "a receipt like any"
expect_eq "$(json "$out" '[d["result"]["commits"][0][k] for k in ("image", "tag", "instance")]')" \
	"['nginx:1.27', '1.27', 'main']" "log --json carries the receipt's image, tag and instance"
mech log -n 1 --json --class human
expect_eq "$(json "$out" 'len(d["result"]["commits"])')" "0" "no human commit yet"
mech app -a web history -n 1 --json
expect_eq "$(json "$out" 'd["result"]["history"][0]["changes"][0]')" \
	"{'field': 'image', 'from': 'nginx:1.28', 'to': 'nginx:1.27'}" "history shows the rollback"

# --to a commit; before the instance existed is refused
mech app -a web deploy --tag 1.29
expect_rc 0 "deploy 1.29"
before=$(head_of alice)
mech app -a web rollback --to "$($G rev-parse "$created~1")"
expect_rc 65 "rollback to before the app existed"
expect_in "$err" "did not exist" "says so"
mech app -a web rollback --to nope
expect_rc 4 "rollback to an unknown revision"
mech app -a web rollback --to -x
expect_rc 65 "a revision that looks like a flag"
expect_eq "$(head_of alice)" "$before" "refusals write nothing"
mech app -a web rollback --to "${created:0:10}" --dry-run --json
expect_rc 0 "rollback --dry-run"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "True" "would change"
expect_eq "$(head_of alice)" "$before" "dry run writes nothing"
mech app -a web rollback --to "${created:0:10}"
expect_rc 0 "rollback --to the create"
expect_in "$(ov)" 'newTag: "1.27"' "back at the created tag"
render_overlays alice

# a person's later edit of the overlay: rollback needs --force
human_clone alice "$T/clone"
printf 'commonAnnotations:\n  team: web\n' >>"$T/clone/apps/web/overlays/main/kustomization.yaml"
git -C "$T/clone" commit -qam "annotate web" && git -C "$T/clone" push -q origin HEAD
annotated=$(git -C "$T/clone" rev-parse HEAD)
mech app -a web rollback
expect_rc 3 "rollback over a human edit"
expect_in "$err" "$annotated" "names the human commit"

# revert: a deploy undone, the person's later annotation (other lines) kept
mech app -a web deploy --tag 2.0 --force
expect_rc 0 "forced deploy over the annotation"
deploy20=$(head_of alice)
mech --json revert "$deploy20"
expect_rc 0 "revert the deploy (its own receipt is the last writer)"
expect_eq "$(json "$out" 'd["command"]')" "revert" "command id"
expect_in "$(ov)" 'newTag: "1.27"' "the tag before it"
expect_in "$(ov)" "team: web" "the annotation stays"
expect_eq "$(trailer Mechanics-Reverts)" "$deploy20" "Mechanics-Reverts trailer"
expect_eq "$(trailer Mechanics-Verb)" "commit.revert" "receipt verb"
mech log -n 1 --json
expect_eq "$(json "$out" 'd["result"]["commits"][0]["class"]')" "machine" "a receipt"

# reverting a forced write restores the human change it overrode
git -C "$T/clone" pull -q
sed -i 's/newTag: "1.27"/newTag: "9.9"/' "$T/clone/apps/web/overlays/main/kustomization.yaml"
git -C "$T/clone" commit -qam "pin 9.9 by hand" && git -C "$T/clone" push -q origin HEAD
mech app -a web deploy --tag 3.0 --force
expect_rc 0 "forced deploy over the hand-pinned tag"
forced=$(head_of alice)
mech log -n 1 --json --class human
expect_eq "$(json "$out" '[d["result"]["commits"][0][k] for k in ("image", "tag", "instance")]')" \
	"[None, None, None]" "a human commit has no receipt facts"
mech revert "$forced"
expect_rc 0 "revert the forced write"
expect_in "$(ov)" 'newTag: "9.9"' "the person's tag is back"

# overlapping later changes: a conflict, nothing written
mech app -a web deploy --tag 4.0
mid=$(head_of alice)
mech app -a web deploy --tag 4.1
before=$(head_of alice)
mech revert "$mid"
expect_rc 1 "revert under a later change of the same line"
expect_in "$err" "later commits changed the same lines of apps/web/overlays/main/kustomization.yaml" "names the path"
expect_eq "$(head_of alice)" "$before" "nothing written"

# bad input
mech revert nope
expect_rc 4 "unknown revision"
mech revert -- -x
expect_rc 65 "a revision that looks like a flag"
dangling=$($G commit-tree "main^{tree}" -m "not on the branch")
mech revert "$dangling"
expect_rc 65 "a commit not on the branch"
expect_in "$err" "not on alice's branch" "says so"
mech revert
expect_rc 64 "no revision"
expect_eq "$(head_of alice)" "$before" "refusals write nothing"
# a seed commit: only its managed files would go (none), the rest is named
mech revert "$($G rev-list --max-parents=0 main)"
expect_rc 0 "revert of the seed"
expect_in "$err" "argocd/project.yaml is not a file mech manages" "names what it leaves"
expect_eq "$(head_of alice)" "$before" "and changes nothing"
fsck_ok alice
render_overlays alice
finish
