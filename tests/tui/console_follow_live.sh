#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The apps view follows the branch through a real terminal (tmux): the
# console keeps its listing and, when the branch moves on, reads again only
# the apps the new commits changed (mech_app_list_update). Each step checks
# the changed row and an unchanged neighbour: a new image, a person's edit
# (a new last writer), a deleted app, a new app, a route (routes/ only), and
# a branch set back by hand (not a continuation: everything read again).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tmux.sh"
require tmux

seed_tenant alice
for a in web api jobs; do
	"$MECH" app create "$a" --image nginx:1.27 >/dev/null 2>&1 || fail "app create $a"
done
before=$(head_of alice)

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
# no_row REGEX WHAT: once the screen has settled on TEXT, no line matches REGEX
no_row() {
	if screen | grep -qE -- "$1"; then fail "$2: /$1/ still on screen:
$(screen)"; else ok; fi
}

tmux_start 200 30 env MECH_HOME="$MECH_HOME" HOME="$HOME" NO_COLOR=1 TZ=UTC LANG=C.UTF-8 \
	sh -c 'exec "$0" console 2>"$1"' "$MECH" "$T/console.err"
wait_row '^ api +main +nginx:1\.27 ' "the apps view"

"$MECH" app -a api set-image nginx:1.99 >/dev/null 2>&1 || fail "set-image"
wait_row '^ api +main +nginx:1\.99 .*set image of api/main to nginx:1\.99' "the changed app: new image and last writer"
wait_row '^ jobs +main +nginx:1\.27 .*add app jobs' "an unchanged app keeps its row"

hotfix_by_hand alice "$T/clone"
wait_row '^ web +main +nginx:1\.27-hotfix .*human .*hotfix web by hand' "a person's edit: a human last writer"
wait_row '^ api +main +nginx:1\.99 ' "api is unchanged by the person's edit"

"$MECH" app -a jobs delete --force >/dev/null 2>&1 || fail "app delete"
"$MECH" app create cron --image busybox:1.36 >/dev/null 2>&1 || fail "app create cron"
wait_row '^ cron +main +busybox:1\.36 ' "a new app appears"
no_row '^ jobs ' "a deleted app is gone"

"$MECH" route -a api create >/dev/null 2>&1 || fail "route create"
wait_row '^ api +main +nginx:1\.99 .*api\.alice\.' "a route (only routes/ changed) shows on its app"

# set back by hand: not a continuation of what was listed, so all is read again
git --git-dir="$(repo_of alice)" update-ref refs/heads/main "$before"
wait_row '^ jobs +main +nginx:1\.27 ' "the branch set back: the deleted app is back"
wait_row '^ api +main +nginx:1\.27 ' "… and api's image is the old one"
no_row '^ cron ' "… and the app created after is gone"
no_row 'hotfix' "… and the person's edit"

keys q
wait_until 30 bash -c "! tmux -L $TMUX_SOCK has-session -t t 2>/dev/null"
if grep -qE 'Sanitizer|runtime error' "$T/console.err"; then fail "sanitizer: $(head -40 "$T/console.err")"; else ok; fi
finish
