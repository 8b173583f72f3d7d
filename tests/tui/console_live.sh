#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech console through a real terminal (tmux) against `mech sim`: every
# view by its key, an app created with `mech app create` appearing and
# turning Synced/Healthy without a restart, the forced-overwrite view with
# both commits, filter, theme switch, resize, the sim killed and restarted
# on the same port (the console says so, keeps running and catches up),
# `:` running a command (with its receipt), --readonly refusing writes, and
# operator mode (--all-tenants) following every tenant's apps live.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
. "$(dirname "$0")/../lib/tmux.sh"
. "$(dirname "$0")/../lib/sim.sh"
require tmux

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1
"$MECH" route -a web create >/dev/null 2>&1
"$MECH" addon create db --type postgres >/dev/null 2>&1

start_sim() { # [port]
	SIM_PORT=${1:-0} sim_start --sync-delay 300ms --health-delay 300ms --keepalive 300ms
	SIM=$SIM_PID URL=$SIM_URL
}
start_sim
case "$URL" in http://127.0.0.1:*) ok ;; *) fail "sim did not start: $URL"; finish ;; esac
PORT=${URL##*:}
sed -i "s|^argocd: .*|argocd: {url: \"$URL\", token_file: \"\", ca_file: \"\", namespace: argocd, timeout_ms: 2000}|; s|^kubernetes: .*|kubernetes: {url: \"$URL\", token_file: \"\", ca_file: \"\"}|" \
	"$MECH_HOME/mech.yaml"

session_gone() { ! tmx has-session -t t 2>/dev/null; }
# row_has NAME TEXT [seconds]: the row of NAME shows TEXT (polled, bounded)
row_has() {
	local i limit=$(( ${3:-30} * 20 ))
	for ((i = 0; i < limit; i++)); do
		screen | grep -E "^ $1 " | grep -qF -- "$2" && return 0
		sleep 0.05
	done
	return 1
}
expect_row() { # name text what [seconds: a hang guard]
	if row_has "$1" "$2" "${4:-30}"; then ok; else fail "$3: row $1 lacks \"$2\":
$(screen)"; fi
}

# stderr goes to a file so sanitizer reports (the suite also runs under ASan) are seen
tmux_start 100 30 env -u NO_COLOR MECH_HOME="$MECH_HOME" HOME="$HOME" TZ=UTC LANG=C.UTF-8 \
	sh -c 'exec "$0" console 2>"$1"' "$MECH" "$T/console.err"
expect_screen "argocd: live" "header shows the live connection"
expect_row web Healthy "web turns Healthy"
expect_row web Synced "web is Synced"
expect_screen "sync: Synced 1" "summary counts by sync"

# an app created outside the console appears, then reconciles
"$MECH" app create api --image nginx:1.28 >/dev/null 2>&1 || fail "app create api"
expect_row api "nginx:1.28" "new app appears without a restart"
expect_row api Healthy "new app turns Healthy from the watch stream"
expect_screen "health: Healthy 2" "summary follows"

# every view by its key
keys 2
expect_screen "web.alice.apps.localhost" "routes view"
expect_row web Healthy "route health from the network Application"
keys 3
expect_screen "postgres" "addons view"
expect_row db Healthy "addon health from the addons Application"
# r lists the Applications again. Argo CD's List has no per-resource health,
# so the console reads the network and addons Applications with Get: once
# the routes view is back (keys run in order, after the refresh), its row
# has the route's health, not "-" until the next watch event
keys r 2
expect_screen "web.alice.apps.localhost" "routes view after a refresh"
expect_in "$(screen | grep -E '^ web ')" "Healthy" "route health after a refresh (List, then Get)"
keys 3
expect_screen "postgres" "addons view after a refresh"
expect_in "$(screen | grep -E '^ db ')" "Healthy" "addon health after a refresh (List, then Get)"
keys 4
expect_screen "app.create" "history view"
expect_screen "tenant.seed" "history reaches the seed"
keys Enter
expect_screen "Mechanics-Verb: app.create" "commit detail with trailers (the newest receipt: app api)"
keys ']'
expect_screen "@@ " "hunk navigation"
keys q 1
expect_screen "sync: Synced" "back to apps"
keys g Enter
expect_screen "Deployment/api--main" "app detail: resource tree"
expect_screen "Pod/api--main" "tree reaches pods"
expect_screen "Live vs desired" "app detail: diff section"
keys Escape

# a human edit, then a forced write over it
W="$T/wc"
hotfix_by_hand alice "$W"
"$MECH" app -a web set-image nginx:1.29 --force >/dev/null 2>&1 || fail "forced write"
keys 5
expect_screen "└ human" "forced view lists the overridden commit"
expect_screen "Hanna Human" "with its human author"
keys Enter
expect_screen "FORCED WRITE" "forced detail"
keys ']'
expect_screen "HUMAN COMMIT" "the human commit follows the forced one"
keys ']'
expect_screen '+  newTag: "1.27-hotfix"' "the human change is shown"
keys q
expect_screen "1 forced write overrode 1 human change" "back on the forced view"
# read once when opened; a new forced write then joins it (only the new commits are walked)
(cd "$W" && git pull -q --rebase origin main && sed -i 's/newTag: .*/newTag: "1.29-hotfix"/' \
	apps/web/overlays/main/kustomization.yaml && git commit -qam "hotfix web again" &&
	git push -q origin HEAD:main) || fail "second human edit"
"$MECH" app -a web set-image nginx:1.29.1 --force >/dev/null 2>&1 || fail "second forced write"
expect_screen "2 forced writes overrode 2 human changes" "the forced view follows new commits"
keys 1

# filter
keys / api Enter
expect_screen 'filter "api": 1 of 2' "filter status"
if screen | grep -qE '^ web '; then fail "filter still shows web"; else ok; fi
keys Escape
expect_row web nginx "Esc clears the filter"

# theme switch (colours reach the terminal)
keys T
expect_screen "theme light" "T switches theme"
case "$(tmx capture-pane -e -p -t t)" in *$'\e['*) ok ;; *) fail "no colour escapes with a theme" ;; esac

# resize below the minimum and back
tmx resize-window -t t -x 70 -y 20
expect_screen "needs at least 80x24" "too small says so"
tmx resize-window -t t -x 100 -y 30
expect_row web nginx "back to normal after resize"

# pause for slow links, and resume
keys p
expect_screen "argocd: paused" "p pauses live updates"
keys p
expect_screen "argocd: live" "p resumes"

# the sim goes away: the console stays, says so, and catches up
kill "$SIM"
wait "$SIM" 2>/dev/null
expect_screen "reconnecting" "header shows reconnecting"
"$MECH" app create late --image nginx:1.30 >/dev/null 2>&1 || fail "app create late"
expect_row late "nginx:1.30" "Git changes still appear while Argo CD is down"
start_sim "$PORT"
case "$URL" in *":$PORT") ok ;; *) fail "sim did not come back on port $PORT: $URL" ;; esac
expect_screen "argocd: live" "reconnected" 30
expect_row late Healthy "caught up with what happened while down" 30

# : runs a command through the same core path
keys : 'app create viaprompt --image nginx:1.31' Enter
expect_screen "exit 0 (done)" ":app create ran"
expect_screen "receipt " "its receipt is shown"
expect_eq "$(git --git-dir="$(repo_of alice)" log -1 --format=%s)" \
	"mechanics(app.create): add app viaprompt" "receipt read by git"
keys Escape
expect_row viaprompt Healthy "the new app reconciles"
keys q
wait_until 30 session_gone
if tmx has-session -t t 2>/dev/null; then fail "q did not quit"; else ok; fi
if grep -qE 'Sanitizer|runtime error' "$T/console.err"; then fail "sanitizer: $(head -40 "$T/console.err")"; else ok; fi

# --readonly: reads work, writes are refused
head0=$(head_of alice)
tmux_start 100 30 env MECH_HOME="$MECH_HOME" HOME="$HOME" NO_COLOR=1 TZ=UTC LANG=C.UTF-8 \
	sh -c 'exec "$0" --readonly console 2>"$1"' "$MECH" "$T/console2.err"
expect_screen "read-only" "header says read-only"
keys : 'app create nope --image nginx:1' Enter
expect_screen "this session is read-only" ":app create refused"
expect_screen "exit 77" "with exit 77"
expect_eq "$(head_of alice)" "$head0" "nothing written"
keys q q
wait_until 30 session_gone
if grep -qE 'Sanitizer|runtime error' "$T/console2.err"; then fail "sanitizer: $(head -40 "$T/console2.err")"; else ok; fi

# operator mode: one watch covers every tenant's Applications, rows say whose
"$MECH" admin tenant add bob >/dev/null 2>&1 || fail "tenant add bob"
tmux_start 100 30 env MECH_HOME="$MECH_HOME" HOME="$HOME" NO_COLOR=1 TZ=UTC LANG=C.UTF-8 \
	sh -c 'exec "$0" console --all-tenants 2>"$1"' "$MECH" "$T/console3.err"
expect_screen "all tenants (2)" "operator header"
expect_screen "argocd: live" "operator console is live"
"$MECH" --tenant bob app create shop --image nginx:1.32 >/dev/null 2>&1 || fail "bob: app create shop"
tenant_row_has() { # tenant app text: bounded poll of the row "TENANT APP …"
	local i
	for ((i = 0; i < 600; i++)); do
		screen | grep -E "^ $1 +$2 " | grep -qF -- "$3" && return 0
		sleep 0.05
	done
	return 1
}
if tenant_row_has bob shop Healthy; then ok; else fail "bob's new app turns Healthy in operator mode:
$(screen)"; fi
if tenant_row_has alice web Healthy; then ok; else fail "alice's app is live in operator mode:
$(screen)"; fi
keys 5
expect_screen "└ human" "operator forced view (read when opened)"
keys q
wait_until 30 session_gone
if grep -qE 'Sanitizer|runtime error' "$T/console3.err"; then fail "sanitizer: $(head -40 "$T/console3.err")"; else ok; fi
render_overlays alice
render_overlays bob
finish
