#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The operator's review in a real terminal (tmux) against `mech sim`: in
# the forced view, R shows the revert's plan and asks; y writes one
# commit.revert receipt and the human row then says "restored"; m puts
# `review SHA` on the prompt line, Enter writes the note git reads under
# refs/notes/mechanics-review, and the write moves below the unreviewed
# ones; the tab's count follows. The apps view marks an Application
# behind what mech wrote.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tmux.sh"
. "$(dirname "$0")/../lib/sim.sh"
require tmux

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1
"$MECH" app create worker --image busybox:1.36 >/dev/null 2>&1
W="$T/wc"
hotfix_by_hand alice "$W"
"$MECH" app -a web set-image nginx:1.28 --force >/dev/null 2>&1 || fail "forced set-image web"
forced_web=$(head_of alice)
(cd "$W" && git pull -q --rebase origin main)
sed -i 's/newTag: .*/newTag: "1.36-debug"/' "$W/apps/worker/overlays/main/kustomization.yaml"
(cd "$W" && git commit -qam "debug worker by hand" && git push -q origin HEAD:main)
"$MECH" app -a worker set-image busybox:1.37 --force >/dev/null 2>&1 || fail "forced set-image worker"
forced_worker=$(head_of alice)

sim_start --sync-delay 200ms --health-delay 200ms --keepalive 300ms
sed -i "s|^argocd: .*|argocd: {url: \"$SIM_URL\", token_file: \"\", ca_file: \"\", namespace: argocd, timeout_ms: 2000}|; s|^kubernetes: .*|kubernetes: {url: \"$SIM_URL\", token_file: \"\", ca_file: \"\"}|" \
	"$MECH_HOME/mech.yaml"

session_gone() { ! tmx has-session -t t 2>/dev/null; }
row() { screen | grep -E "$1"; }
# row_has REGEX TEXT: the row matching REGEX shows TEXT (polled; the bound is a hang guard)
row_has() {
	local i
	for ((i = 0; i < 600; i++)); do
		row "$1" | grep -qF -- "$2" && return 0
		sleep 0.05
	done
	return 1
}
expect_row() { # regex text what
	if row_has "$1" "$2"; then ok; else fail "$3: no row /$1/ with \"$2\":
$(screen)"; fi
}

# stderr goes to a file so sanitizer reports are seen
tmux_start 120 30 env -u NO_COLOR MECH_HOME="$MECH_HOME" HOME="$HOME" TZ=UTC LANG=C.UTF-8 \
	sh -c 'exec "$0" console 2>"$1"' "$MECH" "$T/console.err"
expect_screen "argocd: live" "the console is live"
expect_row '^ web ' Healthy "web turns Healthy"

keys 5
expect_screen "5 forced (2)" "the tab counts two unreviewed writes"
expect_row "^ forced +${forced_worker:0:7}" unreviewed "worker's forced write is unreviewed"
expect_row "^ └ human .*apps/worker" overridden "worker's human change is still overridden"

# R on the selected (newest) write: the plan, then the question
head0=$(head_of alice)
keys R
expect_screen "revert ${forced_worker:0:12} --dry-run" "R shows the plan's command"
expect_screen "dry run: nothing was written" "…and its output"
expect_screen "It restores the human's version." "…then asks"
expect_eq "$(head_of alice)" "$head0" "nothing written before y"
keys y
expect_screen "[machine] mechanics(commit.revert)" "y runs the revert: its receipt is shown"
expect_in "$(git --git-dir="$(repo_of alice)" log -1 --format=%s main)" \
	"mechanics(commit.revert): revert ${forced_worker:0:12}" "a commit.revert receipt"
expect_eq "$(git --git-dir="$(repo_of alice)" rev-list --count "$head0..main")" 1 "one receipt"
keys Escape
expect_row "^ └ human .*apps/worker" restored "the forced row now says restored"
expect_row "^ └ human .*apps/web" overridden "the other is still overridden"

# m on web's write: the prompt line, Enter, the note
keys j j m
expect_screen ":review ${forced_web:0:12}" "m puts review SHA on the prompt line"
keys -- "--comment 'checked with hanna'" Enter
expect_screen "reviewed ${forced_web:0:12}" "the review ran"
note=$(git --git-dir="$(repo_of alice)" notes --ref=mechanics-review show "$forced_web" 2>&1)
expect_in "$note" "reviewed-by:" "git notes --ref=mechanics-review show prints the note"
expect_in "$note" "comment: checked with hanna" "…with the comment"
keys Escape
expect_screen "5 forced (1)" "the tab counts one unreviewed"
expect_row "^ forced +${forced_web:0:7}" "reviewed" "web's write reads reviewed"
if screen | sed -n 4p | grep -q "${forced_worker:0:7}"; then ok; else fail "unreviewed first:
$(screen)"; fi

# the apps view: the revert moved worker's overlay; its Application catches up (no ↓ once synced)
keys 1
expect_row '^ worker ' "busybox:1.36-debug" "the apps view shows the restored image"
if wait_until 30 bash -c "! tmux -L $TMUX_SOCK capture-pane -p -t t | grep -E '^ worker ' | grep -q '↓'"; then ok
else fail "worker's revision stays behind: $(screen)"; fi
keys q
wait_until 30 session_gone
if tmx has-session -t t 2>/dev/null; then fail "q did not quit"; else ok; fi
if grep -qE 'Sanitizer|runtime error' "$T/console.err"; then fail "sanitizer: $(head -40 "$T/console.err")"; else ok; fi
finish
