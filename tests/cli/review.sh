#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The operator's review of forced writes (issue 17), CLI side:
# `log --all-tenants` lists every tenant's receipts newest first, each
# with its tenant; it is an operator command (77 over SSH) and excludes
# --tenant (64).
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"

seed_tenant alice
"$MECH" admin tenant add bob >/dev/null 2>&1 || { echo "tenant add bob failed" >&2; exit 1; }
mech --tenant alice app create web --image nginx:1.27 --port 80
expect_rc 0 "alice app create"

# A human edits alice's overlay; a forced write then goes over it.
human_clone alice "$T/clone"
printf 'replicas:\n- name: web\n  count: 3\n' >>"$T/clone/apps/web/overlays/main/kustomization.yaml"
git -C "$T/clone" commit -qam "scale web to 3"
git -C "$T/clone" push -q origin HEAD
human=$(git -C "$T/clone" rev-parse HEAD)
# commit times are in seconds: let bob's receipt be strictly the newest
sleep 1.1
mech --tenant alice app -a web set-image nginx:1.28 --force
expect_rc 0 "forced set-image"
forced=$(head_of alice)
sleep 1.1
mech --tenant bob app create shop --image nginx:1.27 --port 80
expect_rc 0 "bob app create"
bobs=$(head_of bob)

# ---- log --all-tenants ----
mech log --all-tenants --json
expect_rc 0 "log --all-tenants"
json_valid "$out" "log --all-tenants JSON"
expect_eq "$(json "$out" 'd["result"]["commits"][0]["commit"]')" "$bobs" "newest first: bob's create"
expect_eq "$(json "$out" 'd["result"]["commits"][0]["tenant"]')" "bob" "…with its tenant"
expect_eq "$(json "$out" 'd["result"]["commits"][1]["commit"]')" "$forced" "then alice's forced write"
expect_eq "$(json "$out" 'd["result"]["commits"][1]["tenant"]')" "alice" "…with its tenant"
expect_eq "$(json "$out" 'd["result"]["commits"][2]["commit"]')" "$human" "then the human's edit"
expect_eq "$(json "$out" 'len(d["result"]["commits"])')" \
	"$(($(git --git-dir="$(repo_of alice)" rev-list --count main) + $(git --git-dir="$(repo_of bob)" rev-list --count main)))" \
	"every commit of both tenants"
expect_eq "$(json "$out" 'all(a["date"] >= b["date"] for a, b in zip(d["result"]["commits"], d["result"]["commits"][1:]))')" \
	"True" "dates never increase"
expect_eq "$(json "$out" 'sorted(set(c["tenant"] for c in d["result"]["commits"]))')" "['alice', 'bob']" "both tenants"
mech log --all-tenants -n 2 --json
expect_eq "$(json "$out" '[c["commit"] for c in d["result"]["commits"]]')" "['$bobs', '$forced']" "-n 2: the two newest overall"
mech log --all-tenants --class forced --json
expect_rc 0 "log --all-tenants --class forced"
expect_eq "$(json "$out" '[(c["tenant"], c["commit"]) for c in d["result"]["commits"]]')" \
	"[('alice', '$forced')]" "only the forced write"
expect_eq "$(json "$out" 'd["result"]["commits"][0]["forced_over"][0]["commit"]')" "$human" "…naming the human commit"
mech log --all-tenants --class forced
expect_rc 0 "text"
expect_in "$out" "TENANT" "a TENANT column"
expect_in "$out" "alice" "the tenant's name"
expect_in "$out" "${forced:0:12}" "the forced commit"
# one tenant's log is unchanged: no tenant field
mech --tenant bob log --json
expect_eq "$(json "$out" '"tenant" in d["result"]["commits"][0]')" "False" "one tenant's log has no tenant field"

# ---- show of a human commit: who forced over it ----
mech --tenant alice show "$human" --json
expect_rc 0 "show the human commit"
expect_eq "$(json "$out" '[(o["commit"], o["verb"], o["target"], o["path"]) for o in d["result"]["overridden_by"]]')" \
	"[('$forced', 'app.set-image', 'app/web', 'apps/web/overlays/main/kustomization.yaml')]" "overridden_by names the forced receipt"
mech --tenant alice show "$human"
expect_in "$out" "overridden by ${forced:0:7} app.set-image app/web: apps/web/overlays/main/kustomization.yaml" "text says who overrode it"
mech --tenant alice show "$forced" --json
expect_eq "$(json "$out" 'd["result"]["overridden_by"]')" "[]" "nothing forced over the forced receipt"
mech --tenant bob show "$bobs"
expect_not_in "$out" "overridden by" "no line when nothing overrode it"

# ---- still overridden? ----
mech log --all-tenants --class forced --json
expect_eq "$(json "$out" 'd["result"]["commits"][0]["forced_over"][0]["still_overridden"]')" "True" "log: the human's version is still overridden"
mech --tenant alice show "$forced" --json
expect_eq "$(json "$out" 'd["result"]["forced_over"][0]["still_overridden"]')" "True" "show: still overridden"
# restoring the human's version: revert the forced receipt
mech --tenant alice revert "$forced"
expect_rc 0 "revert the forced receipt"
mech --tenant alice show "$forced" --json
expect_eq "$(json "$out" 'd["result"]["forced_over"][0]["still_overridden"]')" "False" "show: restored after the revert"
mech --tenant alice log --class forced --json
expect_eq "$(json "$out" 'd["result"]["commits"][0]["forced_over"][0]["still_overridden"]')" "False" "log: restored after the revert"

# ---- review: a git note on the forced commit ----
mech --tenant alice log --class forced --unreviewed --json
expect_eq "$(json "$out" '[c["commit"] for c in d["result"]["commits"]]')" "['$forced']" "--unreviewed: the forced write"
expect_eq "$(json "$out" 'd["result"]["commits"][0]["reviewed"]')" "None" "not reviewed yet"
mech --tenant alice review "${forced:0:10}" --comment "agreed with hanna" --json
expect_rc 0 "review"
expect_eq "$(json "$out" 'd["result"]["commit"]')" "$forced" "review names the full commit"
note=$(git --git-dir="$(repo_of alice)" notes --ref=mechanics-review show "$forced")
expect_in "$note" "reviewed-by: $(id -un) <$(id -un)@localhost>" "the note says who reviewed"
expect_in "$note" "reviewed-at: 20" "…when"
expect_in "$note" "comment: agreed with hanna" "…and the comment"
expect_eq "$(git --git-dir="$(repo_of alice)" log -1 --format='%an <%ae>|%cn' refs/notes/mechanics-review)" \
	"$(id -un) <$(id -un)@localhost>|Mechanics" "note authored by the operator, committed by mech"
mech --tenant alice log --class forced --unreviewed --json
expect_eq "$(json "$out" 'd["result"]["commits"]')" "[]" "--unreviewed: none left"
mech --tenant alice log --class forced --json
expect_eq "$(json "$out" 'd["result"]["commits"][0]["reviewed"]["comment"]')" "agreed with hanna" "log carries the review"
mech --tenant alice show "$forced" --json
expect_eq "$(json "$out" 'd["result"]["reviewed"]["by"]')" "$(id -un) <$(id -un)@localhost>" "show carries the review"
mech --tenant alice show "$human" --json
expect_eq "$(json "$out" 'd["result"]["reviewed"]')" "None" "an unreviewed commit: null"

# ---- bad input ----
notes_before=$(git --git-dir="$(repo_of alice)" rev-parse refs/notes/mechanics-review)
mech --tenant bob review "$bobs"
expect_rc 65 "review of a machine commit"
expect_in "$err" "not a forced write" "…says why"
mech --tenant alice review "$human"
expect_rc 65 "review of a human commit"
mech --tenant alice review deadbeef0000
expect_rc 4 "review of an unknown rev"
mech --tenant alice review "$forced" --comment "$(printf 'two\nlines')"
expect_rc 65 "a multi-line comment"
expect_eq "$(git --git-dir="$(repo_of alice)" rev-parse refs/notes/mechanics-review)" "$notes_before" "refusals write no note"
expect_eq "$(git --git-dir="$(repo_of bob)" show-ref refs/notes/mechanics-review || true)" "" "bob has no notes"
mech --tenant alice log --unreviewed
expect_rc 64 "--unreviewed without --class forced"
run env SSH_ORIGINAL_COMMAND="review $forced" "$MECH" ssh --tenant alice
expect_rc 77 "review over the SSH forced command"

mech --tenant alice log --all-tenants
expect_rc 64 "--all-tenants with --tenant"
expect_in "$err" "exclude each other" "…says why"
mech log --all-tenants --class nope
expect_rc 65 "unknown class"
run env SSH_ORIGINAL_COMMAND="log --all-tenants" "$MECH" ssh --tenant alice
expect_rc 77 "log --all-tenants over the SSH forced command"
expect_in "$err" "operator command" "…is an operator command"
run env SSH_ORIGINAL_COMMAND="log --json" "$MECH" ssh --tenant alice
expect_rc 0 "a tenant's own log over SSH still works"

# a read-only session refuses the note, as any write
before=$(git --git-dir="$(repo_of alice)" for-each-ref refs/notes)
mech --tenant alice --readonly review "$forced"
expect_rc 77 "review in a read-only session"
expect_eq "$(git --git-dir="$(repo_of alice)" for-each-ref refs/notes)" "$before" "no note written"
finish
