#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech console's addon and route detail through a real terminal (tmux)
# against `mech sim`: the detail follows Git and Argo CD without a restart
# (a write elsewhere changes the addon's parameters and last writer; a
# route's Application turns Healthy), Enter on the last writer opens the
# new receipt, Esc goes back, and r reads the live state again.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tmux.sh"
. "$(dirname "$0")/../lib/sim.sh"
require tmux

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1 || fail "app create"
"$MECH" addon create db --type postgres >/dev/null 2>&1 || fail "addon create"
sim_start --sync-delay 300ms --health-delay 300ms --keepalive 300ms
sim_config

tmux_start 120 40 env MECH_HOME="$MECH_HOME" HOME="$HOME" NO_COLOR=1 TZ=UTC LANG=C.UTF-8 \
	sh -c 'exec "$0" console 2>"$1"' "$MECH" "$T/console.err"
expect_screen "argocd: live" "the console is live"
keys 3
expect_screen "postgres" "addons view"
keys Enter
expect_screen "Addon (Git)" "Enter opens the addon detail"
expect_screen "Cluster/db in alice--addons  Synced  Healthy" "the Cluster turns Synced and Healthy, live"
keys r
expect_screen 'phase "Cluster in healthy state"' "r reads the Cluster's live state"

# a write elsewhere: the detail follows Git without a restart
expect_screen "none: \`mech addon -n db link -a APP\`" "no linked app yet"
"$MECH" addon -n db link -a web >/dev/null 2>&1 || fail "addon link"
expect_screen "env DATABASE_URL" "the linked app appears without a restart"
"$MECH" addon -n db set --memory 768Mi >/dev/null 2>&1 || fail "addon set"
expect_screen "memory 768Mi" "the new parameter, without a restart"
expect_screen "mechanics(addon.set)" "the new last writer"
keys j j j Enter
expect_screen "Mechanics-Verb: addon.set" "Enter on the last writer opens its receipt"
keys Escape
expect_screen "Addon (Git)" "Esc: back on the detail"
keys Escape
expect_screen "deleting an app keeps its addons" "Esc: back on the addons list"

# a route created while the console runs: its detail turns Healthy live
"$MECH" route -a web create >/dev/null 2>&1 || fail "route create"
keys 2
expect_screen "web.alice.apps.localhost" "the new route is listed"
keys Enter
expect_screen "Route (Git)" "Enter opens the route detail"
expect_screen "HTTPRoute/web--main in alice--network  Synced  Healthy" "the HTTPRoute turns Healthy, live"
keys r
expect_screen "Accepted=True  Accepted: Route is accepted" "r reads the parents' conditions"
keys q q q
wait_until 30 bash -c "! tmux -L $TMUX_SOCK has-session -t t 2>/dev/null"
if grep -qE 'Sanitizer|runtime error' "$T/console.err"; then fail "sanitizer: $(head -40 "$T/console.err")"; else ok; fi
finish
