#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech console navigation through a real terminal (tmux) against `mech
# sim`: apps → Enter → a resource (live vs desired, its events) → l logs
# with the sim's lines, followed while shown (a rollout's new pod appears
# without a key), f stops following → back; Enter on the instance's last
# writer opens its receipt; h → R shows the rollback plan, y writes one
# app.rollback receipt (read back with git log).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tmux.sh"
. "$(dirname "$0")/../lib/sim.sh"
require tmux

seed_tenant alice
sim_start --sync-delay 200ms --health-delay 200ms --keepalive 300ms
sim_config
run "$MECH" app create web --image nginx:1.27 --wait --timeout 30s
expect_rc 0 "app create --wait"
run "$MECH" app -a web deploy --tag 1.28 --wait --timeout 30s
expect_rc 0 "app deploy --wait"
REPO=$(repo_of alice)
FIRST=$(git --git-dir="$REPO" log --format=%H --grep='app.create' -1)

session_gone() { ! tmx has-session -t t 2>/dev/null; }
# stderr goes to a file so sanitizer reports (the suite also runs under ASan) are seen
tmux_start 140 40 env MECH_HOME="$MECH_HOME" HOME="$HOME" NO_COLOR=1 TZ=UTC LANG=C.UTF-8 \
	sh -c 'exec "$0" console 2>"$1"' "$MECH" "$T/console.err"
expect_screen "argocd: live" "the console is live"
expect_screen "Healthy" "web is Healthy"

# apps → app detail: its resources are rows; jjj selects the pod, Enter opens it
keys Enter
expect_screen "Pod/web--main-" "app detail lists the pod"
keys j j j Enter
expect_screen "namespace x-alice  app web  instance main" "the resource view"
expect_screen "Live vs desired" "its live-vs-desired section"
expect_screen "Scheduled" "its events"
keys Escape
expect_screen "differ from Git" "back on app detail"

# l on a row that is not a pod: every pod of the instance, followed
keys g l
expect_screen "Ready to serve requests" "the sim's log lines"
expect_screen "every pod of main" "of the instance's pods"
expect_screen "following" "it follows while shown"
run "$MECH" app -a web deploy --tag 1.29
expect_rc 0 "a rollout while the logs are shown"
expect_screen "Starting nginx 1.29 on :8080" "the new pod's lines appear without a key" 60
keys f
expect_screen "stopped following" "f stops following"
expect_screen "not following" "the view says so"
keys e
expect_screen "Events of web/main" "e from the logs: the instance's events"
keys Escape Escape
expect_screen "differ from Git" "back on app detail"

# the instance's last writer (its third line) opens its receipt
keys g j j Enter
expect_screen "Mechanics-Verb: app.deploy" "Enter on the last writer opens the receipt"
keys Escape

# h → R on the first state: the plan, then y
keys h
expect_screen "history web/main" "the instance's history"
expect_screen "image nginx:1.28 → nginx:1.29" "what each commit changed"
keys G R
expect_screen "dry run: nothing was written" "R shows the plan"
expect_screen "It writes. y = run" "and asks"
keys y
expect_screen "[machine] mechanics(app.rollback)" "the rollback ran: its receipt is shown"
expect_eq "$(git --git-dir="$REPO" log -1 --format=%s)" \
	"mechanics(app.rollback): roll web/main back to ${FIRST:0:12}" "a new app.rollback receipt (git log)"
NEW=$(head_of alice)
expect_screen "receipt ${NEW:0:12} written" "the message names the receipt"
keys q q q q q
wait_until 30 session_gone
if tmx has-session -t t 2>/dev/null; then fail "q did not quit"; else ok; fi
if grep -qE 'Sanitizer|runtime error' "$T/console.err"; then fail "sanitizer: $(head -40 "$T/console.err")"; else ok; fi
finish
