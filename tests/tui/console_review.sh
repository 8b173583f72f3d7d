#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The operator's review in the console (issue 17): the forced view says
# whether each forced write is reviewed and whether the human change it
# overrode is still overridden at the head; unreviewed first, counted on
# the tab; R restores the human's version (plan, confirm, revert receipt),
# m marks a write reviewed (review note); --readonly and SSH refuse. The
# history marks overridden human commits. Golden screens at 80x24, 140x40
# and 200x50 (text and colour areas). UPDATE_GOLDEN=1 rewrites the
# review-* goldens from this run.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
require script bsdutils
. "$(dirname "$0")/../lib/console.sh"

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1
"$MECH" app create worker --image busybox:1.36 >/dev/null 2>&1
# two human edits, each overridden by a forced write
W="$T/wc"
hotfix_by_hand alice "$W"
"$MECH" app -a web set-image nginx:1.28 --force >/dev/null 2>&1 || fail "forced set-image web"
(cd "$W" && git pull -q --rebase origin main)
sed -i 's/newTag: .*/newTag: "1.36-debug"/' "$W/apps/worker/overlays/main/kustomization.yaml"
(cd "$W" && git commit -qam "debug worker by hand" && git push -q origin HEAD:main)
"$MECH" app -a worker set-image busybox:1.37 --force >/dev/null 2>&1 || fail "forced set-image worker"


mask_review() { # mask, and the reviewer (the local user running the test)
	# (a drill-down's title is cut in the middle of a sha at 80 columns)
	console_mask | sed -E -e 's/by [^ <]+ <[^>]*@localhost>/by <user>/g' \
		-e 's/(\$ mech (revert|review) )[0-9a-f]{1,12}$/\1<sha>/'
}
goldens() { # name...: each saved screen against tests/tui/golden/review-NAME.screen
	local n
	for n in "$@"; do
		if [ -s "$T/$n.screen" ]; then
			mask_review <"$T/$n.screen" >"$T/$n.tmp" && mv "$T/$n.tmp" "$T/review-$n.screen"
		fi
		golden "review-$n"
	done
}
notes() { git --git-dir="$(repo_of alice)" notes --ref=mechanics-review list 2>/dev/null; }
forced_web=$(git --git-dir="$(repo_of alice)" log -1 --format=%H --grep='set image of web' main)
forced_worker=$(head_of alice)

# ---- refused without writing: --readonly (R and m), over SSH (m: `review` is operator-only) ----
head0=$(head_of alice)
cat >"$T/s" <<SCRIPT
5
R
:screen-save $T/ro-restore.screen
jj
m
:screen-save $T/ro-review.screen
SCRIPT
console "$T/s" --readonly
expect_rc 0 "read-only console"
expect_in "$(tail -1 "$T/ro-restore.screen")" "read-only session: R would write a revert receipt" "R refused read-only"
expect_in "$(tail -1 "$T/ro-review.screen")" "read-only session: m would write a review note" "m refused read-only"
expect_eq "$(head_of alice)" "$head0" "read-only: no receipt"
expect_eq "$(notes)" "" "read-only: no review note"
printf '5\nm\n<Enter>\n:review %s\n' "$forced_worker" >"$T/s"
out=$(MECH_CONSOLE_SCRIPT="$T/s" SSH_ORIGINAL_COMMAND=console SHELL=/bin/sh \
	script -qec "$MECH ssh --tenant alice" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "console over SSH"
expect_eq "$(notes)" "" "over SSH neither m nor :review writes a note"

# ---- the forced view: unreviewed, overridden; R plans, asks, restores; m reviews ----
cat >"$T/s" <<SCRIPT
5
:screen-save $T/forced-80x24.screen
:resize 140x40
:screen-save $T/forced-140x40.screen
:resize 200x50
:screen-save $T/forced-200x50.screen
:resize 80x24
4
:screen-save $T/history-80x24.screen
5
R
:screen-save $T/restore-ask-80x24.screen
n
:screen-save $T/restore-cancelled.screen
<Esc>
R
:resize 140x40
:screen-save $T/restore-ask-140x40.screen
:resize 200x50
:screen-save $T/restore-ask-200x50.screen
:resize 80x24
y
:screen-save $T/restore-done-80x24.screen
<Esc>
:screen-save $T/after-restore.screen
jj
m
:screen-save $T/mark-prompt-80x24.screen
--comment 'agreed with hanna'
<Enter>
:screen-save $T/mark-done-80x24.screen
:resize 140x40
:screen-save $T/mark-done-140x40.screen
:resize 200x50
:screen-save $T/mark-done-200x50.screen
:resize 80x24
<Esc>
:screen-save $T/reviewed-80x24.screen
:resize 140x40
:screen-save $T/reviewed-140x40.screen
:resize 200x50
:screen-save $T/reviewed-200x50.screen
:resize 140x40
4
:screen-save $T/history-140x40.screen
:resize 200x50
:screen-save $T/history-200x50.screen
:resize 140x40
5
g
R
:screen-save $T/nothing-to-restore.screen
SCRIPT
head0=$(head_of alice)
console "$T/s"
expect_rc 0 "forced view: restore and review"
goldens forced-80x24 forced-140x40 forced-200x50 history-80x24 restore-ask-80x24 \
	restore-ask-140x40 restore-ask-200x50 restore-done-80x24 mark-prompt-80x24 \
	mark-done-80x24 mark-done-140x40 mark-done-200x50 reviewed-80x24 reviewed-140x40 \
	reviewed-200x50 history-140x40 history-200x50
# what a user looks for, independent of the goldens
expect_in "$(sed -n 2p "$T/forced-80x24.screen")" "5 forced (2)" "the tab counts the unreviewed writes"
expect_eq "$(grep -c '^ forced .* unreviewed' "$T/forced-80x24.screen")" 2 "both writes unreviewed"
expect_eq "$(grep -c '└ human .* overridden' "$T/forced-80x24.screen")" 2 "both human changes still overridden"
expect_in "$(cat "$T/forced-80x24.screen")" "2 forced writes overrode 2 human changes, 2 unreviewed, 2 still overridden" "summary in English"
expect_in "$(cat "$T/history-80x24.screen")" "overridden by ${forced_web:0:7}" "history marks the human commit with what forced over it"
expect_in "$(cat "$T/restore-ask-80x24.screen")" "revert ${forced_worker:0:12} --dry-run" "R shows the plan first"
expect_in "$(cat "$T/restore-ask-80x24.screen")" "dry run: nothing was written" "…a dry run"
expect_in "$(tail -1 "$T/restore-ask-80x24.screen")" "Run \`revert ${forced_worker:0:12}\`? It restores the human's version." "…then asks"
expect_in "$(tail -1 "$T/restore-cancelled.screen")" "cancelled: nothing was run" "n cancels"
expect_in "$(cat "$T/restore-done-80x24.screen")" "receipt" "the restore's receipt is shown"
expect_in "$(sed -n 3p "$T/after-restore.screen")" "STATUS" "the plan made way for the result: one Esc is back on the forced view"
revert=$(git --git-dir="$(repo_of alice)" log -1 --format=%H main)
expect_in "$(git --git-dir="$(repo_of alice)" log -1 --format=%s main)" \
	"mechanics(commit.revert): revert ${forced_worker:0:12} (" "one commit.revert receipt"
expect_eq "$(git --git-dir="$(repo_of alice)" rev-list --count "$head0..main")" 1 "…and only one (the cancel wrote nothing)"
expect_in "$(git --git-dir="$(repo_of alice)" show main:apps/worker/overlays/main/kustomization.yaml)" '1.36-debug' "the human's version is back"
expect_in "$(tail -1 "$T/mark-prompt-80x24.screen")" ":review ${forced_web:0:12}" "m puts review SHA on the prompt line"
expect_in "$(git --git-dir="$(repo_of alice)" notes --ref=mechanics-review show "$forced_web")" "comment: agreed with hanna" "m wrote the note, with the comment"
expect_in "$(sed -n 2p "$T/reviewed-80x24.screen")" "5 forced (1)" "the tab counts one unreviewed"
expect_in "$(grep -A1 "^ forced .*unreviewed" "$T/reviewed-80x24.screen" | sed -n 2p)" "restored" "the restored change says so"
expect_in "$(sed -n 6p "$T/reviewed-80x24.screen")" "reviewed" "reviewed writes come after the unreviewed"
expect_in "$(cat "$T/history-140x40.screen")" "overridden by ${forced_worker:0:7}, restored" "history: overridden, then restored"
expect_not_in "$(sed -n 3p "$T/history-140x40.screen")" "EMAIL" "history: no email below 200 columns"
expect_in "$(grep ' human ' "$T/history-200x50.screen" | head -1)" "hanna@example.com" "history: the author's email at 200 columns"
expect_in "$(tail -1 "$T/nothing-to-restore.screen")" "nothing to restore" "R on a restored write says so"
expect_eq "$(git --git-dir="$(repo_of alice)" rev-parse main)" "$revert" "…and writes nothing"
[ "$(git --git-dir="$(repo_of alice)" log -1 --format=%H main)" != "$head0" ] && ok || fail "no receipt written"

# colour areas of the forced view after the review
cat >"$T/s" <<SCRIPT
5
:screen-save-attrs $T/colour-forced-80x24.screen
:resize 140x40
:screen-save-attrs $T/colour-forced-140x40.screen
SCRIPT
out=$(env -u NO_COLOR TERM=xterm-256color MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh \
	script -qec "$MECH console" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "colour forced view"
goldens colour-forced-80x24 colour-forced-140x40

# ---- operator mode: R and m act as the row's tenant ----
past_alice() { [ "$(date +%s)" -gt "$(git --git-dir="$(repo_of alice)" log -1 --format=%ct main)" ]; }
wait_until 10 past_alice
"$MECH" admin tenant add bob >/dev/null 2>&1 || fail "tenant add bob"
"$MECH" --tenant bob app create api --image nginx:1.28 >/dev/null 2>&1 || fail "bob: app create"
WB="$T/wcb"
human_clone bob "$WB"
sed -i 's/newTag: .*/newTag: "1.28-pinned"/' "$WB/apps/api/overlays/main/kustomization.yaml"
(cd "$WB" && git commit -qam "pin api by hand" && git push -q origin HEAD:main)
"$MECH" --tenant bob app -a api set-image nginx:1.29 --force >/dev/null 2>&1 || fail "bob: forced"
forced_bob=$(head_of bob)
alice1=$(head_of alice)
cat >"$T/s" <<SCRIPT
5
:screen-save $T/ops-forced.screen
R
:screen-save $T/ops-restore-ask.screen
y
<Esc>
g
m
<Enter>
:screen-save $T/ops-review-done.screen
SCRIPT
out=$(MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh script -qec "$MECH console --all-tenants" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "operator console"
expect_in "$(sed -n 4p "$T/ops-forced.screen")" " bob " "bob's unreviewed write first"
expect_in "$(cat "$T/ops-restore-ask.screen")" "\$ mech --tenant bob revert ${forced_bob:0:12} --dry-run" "the plan runs as bob"
expect_in "$(tail -1 "$T/ops-restore-ask.screen")" "as tenant bob?" "the question names the tenant"
expect_in "$(git --git-dir="$(repo_of bob)" log -1 --format=%s main)" "mechanics(commit.revert): revert ${forced_bob:0:12}" "restored in bob's repo"
expect_eq "$(head_of alice)" "$alice1" "alice's repo untouched"
expect_in "$(cat "$T/ops-review-done.screen")" "\$ mech --tenant bob review ${forced_bob:0:12}" "m reviews as bob"
expect_in "$(git --git-dir="$(repo_of bob)" notes --ref=mechanics-review show "$forced_bob")" "reviewed-by:" "bob's note written"


# over SSH the CLI allows `revert` as the key's tenant: R plans, asks and restores there too
printf '5\njj\nR\ny\n' >"$T/s"
out=$(MECH_CONSOLE_SCRIPT="$T/s" SSH_ORIGINAL_COMMAND=console SHELL=/bin/sh \
	script -qec "$MECH ssh --tenant alice" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "R over SSH"
expect_in "$(git --git-dir="$(repo_of alice)" log -1 --format=%s main)" \
	"mechanics(commit.revert): revert ${forced_web:0:12} (" "R over SSH restored web's human change"

# ---- apps against mech sim: each Application's own revision, ↓ when behind what mech wrote ----
. "$(dirname "$0")/../lib/sim.sh"
# an Application notices a commit only when refreshed (`app wait` asks): set-image alone leaves it behind
sim_start --poll-interval 1h --appset-requeue 1h --sync-delay 100ms --health-delay 100ms
cp "$MECH_HOME/mech.yaml" "$T/mech.yaml.nosim"
sed -i "s|^argocd: .*|argocd: {url: \"$SIM_URL\", token_file: \"\", ca_file: \"\", namespace: argocd, timeout_ms: 3000}|; s|^kubernetes: .*|kubernetes: {url: \"$SIM_URL\", token_file: \"\", ca_file: \"\"}|" \
	"$MECH_HOME/mech.yaml"
"$MECH" --tenant alice app -a web wait --timeout 60s >/dev/null 2>&1 || fail "web synced"
"$MECH" --tenant alice app -a worker wait --timeout 60s >/dev/null 2>&1 || fail "worker synced"
synced=$(head_of alice)
"$MECH" --tenant alice app -a web set-image nginx:1.30 >/dev/null 2>&1 || fail "set-image web"
cat >"$T/s" <<SCRIPT
:screen-save $T/apps-80x24.screen
:resize 140x40
:screen-save $T/apps-140x40.screen
:resize 200x50
:screen-save $T/apps-200x50.screen
SCRIPT
console "$T/s" --tenant alice
expect_rc 0 "apps view against the sim"
goldens apps-80x24 apps-140x40 apps-200x50
expect_in "$(grep '^ web ' "$T/apps-140x40.screen")" "${synced:0:7}↓" "web's Application is behind what mech wrote"
expect_not_in "$(grep '^ worker ' "$T/apps-140x40.screen")" "↓" "worker's is not"
expect_in "$(cat "$T/apps-80x24.screen")" "1 behind Git (↓)" "the summary counts it"
for c in APP SYNC HEALTH "LAST WRITER"; do
	expect_in "$(sed -n 3p "$T/apps-80x24.screen")" "$c" "$c stays at 80 columns"
done
expect_not_in "$(sed -n 3p "$T/apps-140x40.screen")" "EMAIL" "no email column below 200 columns"
for c in AGE EMAIL MESSAGE; do
	expect_in "$(sed -n 3p "$T/apps-200x50.screen")" "$c" "$c appears at 200 columns"
done
expect_in "$(grep '^ web ' "$T/apps-200x50.screen")" "set image of web/main to nginx:1.30" "the last writer's message at 200 columns"
cat >"$T/s" <<SCRIPT
:screen-save-attrs $T/colour-apps-80x24.screen
:resize 140x40
:screen-save-attrs $T/colour-apps-140x40.screen
SCRIPT
out=$(env -u NO_COLOR TERM=xterm-256color MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh \
	script -qec "$MECH --tenant alice console" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "colour apps view"
goldens colour-apps-80x24 colour-apps-140x40
sim_stop

# ---- the header: an Argo CD error's reason (not its endpoint), cut at its end when long ----
sed -i "s|^argocd: .*|argocd: {url: \"http://127.0.0.1:1\", token_file: \"\", ca_file: \"\", namespace: argocd, timeout_ms: 1000}|" \
	"$MECH_HOME/mech.yaml"
printf ':resize 100x24\n:screen-save %s\n:resize 200x24\n:screen-save %s\n' "$T/err.screen" "$T/err-wide.screen" >"$T/s"
console "$T/s" --tenant alice
header=$(head -1 "$T/err.screen")
expect_in "$header" "│ cannot connect (" "the error's reason, not its endpoint"
case "$header" in *…) ok ;; *) fail "a long error is cut at its end with …: $header" ;; esac
expect_in "$(head -1 "$T/err-wide.screen")" "Couldn't connect to server) │ git $(git --git-dir="$(repo_of alice)" rev-parse --short=7 main)" \
	"the whole reason when it fits, then the git tip"

# ---- NO_COLOR: T and :theme NAME stay mono and say why ----
printf 'T\n:screen-save %s\n?\n:screen-save %s\n' "$T/nc1.screen" "$T/nc2.screen" >"$T/s"
out=$(NO_COLOR=1 MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh script -qec "$MECH --tenant alice console" /dev/null 2>&1) && rc=0 || rc=$?
expect_in "$(tail -1 "$T/nc1.screen")" "NO_COLOR is set: the theme stays mono" "T under NO_COLOR says why"
expect_in "$(cat "$T/nc2.screen")" "Theme: mono" "…and the theme is still mono"
printf ':theme high-contrast\n:screen-save %s\n?\n:screen-save %s\n' "$T/nc3.screen" "$T/nc4.screen" >"$T/s"
out=$(NO_COLOR=1 MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh script -qec "$MECH --tenant alice console" /dev/null 2>&1) && rc=0 || rc=$?
expect_in "$(tail -1 "$T/nc3.screen")" "NO_COLOR is set: the theme stays mono" ":theme NAME under NO_COLOR says why"
expect_in "$(cat "$T/nc4.screen")" "Theme: mono" "…and loads nothing"
cp "$T/mech.yaml.nosim" "$MECH_HOME/mech.yaml"

finish
