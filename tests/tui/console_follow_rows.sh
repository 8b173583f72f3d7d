#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The apps view keeps its rows and column widths across reloads and rebuilds
# only what changed (tui_view_row_kept, tui/widths.c): through a real
# terminal (tmux) against `mech sim`, each step checks the changed row and
# an unchanged neighbour. One app's Argo CD state turns Degraded and back
# while its neighbour stays Healthy; every write moves every Application's
# revision, which an unchanged row must show too; an image that becomes the
# widest widens the IMAGE column for every row, and the column shrinks back
# when it changes again; an app name that becomes the widest, then goes.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tmux.sh"
. "$(dirname "$0")/../lib/sim.sh"
require tmux

seed_tenant alice
for a in web api; do
	"$MECH" app create "$a" --image nginx:1.27 >/dev/null 2>&1 || fail "app create $a"
done
sim_start --sync-delay 100ms --health-delay 100ms --degrade-tag broken
sim_config

# wait_row REGEX WHAT: a screen line matching the extended REGEX shows up
wait_row() {
	local i
	for ((i = 0; i < 600; i++)); do
		screen | grep -qE -- "$1" && { ok; return; }
		sleep 0.05
	done
	fail "$2: no line like /$1/ on screen:
$(screen)"
}
# the short sha Argo CD syncs to once the write is in
short_head() { head_of alice | cut -c1-7; }

tmux_start 200 30 env MECH_HOME="$MECH_HOME" HOME="$HOME" NO_COLOR=1 TZ=UTC LANG=C.UTF-8 \
	sh -c 'exec "$0" console 2>"$1"' "$MECH" "$T/console.err"
# APP is 8 wide (its minimum), IMAGE 12: "web" + 5 + 2 spaces, "nginx:1.27" + 2 + 2
wait_row '^ web {7}main +nginx:1\.27 {4}Synced +Healthy ' "the apps view, columns at their minimum"
wait_row '^ api {7}main +nginx:1\.27 {4}Synced +Healthy ' "… both rows"

# Argo CD's state of one app changes; its neighbour's stays
"$MECH" app -a api set-image nginx:broken >/dev/null 2>&1 || fail "set-image broken"
wait_row '^ api +main +nginx:broken +[A-Za-z]+ +Degraded ' "api turns Degraded"
wait_row "^ web +main +nginx:1\\.27 +Synced +Healthy +$(short_head) " \
	"web stays Healthy, at the new revision"
"$MECH" app -a api set-image nginx:1.28 >/dev/null 2>&1 || fail "set-image back"
wait_row "^ api +main +nginx:1\\.28 +Synced +Healthy +$(short_head) " "api Healthy again"
wait_row "^ web +main +nginx:1\\.27 +Synced +Healthy +$(short_head) " "web follows the revision"

# an image that becomes the widest widens the column on every row …
long=registry.example.com/team/nginx:1.28
"$MECH" app -a api set-image "$long" >/dev/null 2>&1 || fail "set-image long"
wait_row "^ api +main +$long {2}Synced +Healthy " "the widest image, whole"
wait_row "^ web +main +nginx:1\\.27 {28}Synced +Healthy +$(short_head) " \
	"the unchanged row's column is as wide"
# … and shrinks back when it is no longer there
"$MECH" app -a api set-image nginx:1.29 >/dev/null 2>&1 || fail "set-image short"
wait_row "^ api {7}main +nginx:1\\.29 {4}Synced +Healthy +$(short_head) " "api's image short again"
wait_row "^ web {7}main +nginx:1\\.27 {4}Synced +Healthy +$(short_head) " "the column shrinks back"

# an app whose name is the widest widens APP, and the column shrinks when it goes
"$MECH" app create reporting-dashboards --image nginx:1.27 >/dev/null 2>&1 || fail "app create"
wait_row '^ reporting-dashboards {2}main +nginx:1\.27 +Synced +Healthy ' "a new app, the widest name"
wait_row '^ web {19}main +nginx:1\.27 ' "APP as wide for the other rows"
"$MECH" app -a reporting-dashboards delete --force >/dev/null 2>&1 || fail "app delete"
wait_row "^ web {7}main +nginx:1\\.27 {4}Synced +Healthy +$(short_head) " "APP shrinks back"
if screen | grep -q reporting-dashboards; then fail "the deleted app's row stays:
$(screen)"; else ok; fi

keys q
wait_until 30 bash -c "! tmux -L $TMUX_SOCK has-session -t t 2>/dev/null"
if grep -qE 'Sanitizer|runtime error' "$T/console.err"; then fail "sanitizer: $(head -40 "$T/console.err")"; else ok; fi
finish
