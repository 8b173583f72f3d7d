#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every command family under valgrind: writes, reads, refusals, the live
# commands against mech sim and the console's five views. No invalid access,
# no definite or indirect leak. (The whole suite also runs under ASan/UBSan.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
need valgrind "valgrind is not installed"
# valgrind cannot run a binary built with AddressSanitizer; that build is
# checked by the sanitizers themselves (tests/CMakeLists.txt does not
# register this test there)
if ldd "$MECH" 2>/dev/null | grep -q libasan; then
	skip "$MECH is built with AddressSanitizer, which valgrind cannot run"
fi
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
# vg WHAT WANT ARGS...: mech ARGS under valgrind must exit WANT, the code the
# command documents. valgrind's own 99 means errors or leaks; any other code
# (a crash is 128+N) is a failure too, never "fine because it is not 99".
vg() {
	local what=$1 want=$2
	shift 2
	# shellcheck disable=SC2086
	$VG "$MECH" "$@" >"$T/vg.out" 2>"$T/vg.err" && rc=0 || rc=$?
	if [ "$rc" = "$want" ]; then ok
	elif [ "$rc" = 99 ]; then fail "$what under valgrind: $(grep -E '==[0-9]+==' "$T/vg.err" | head -20)"
	else fail "$what under valgrind: $(exit_words "$rc"), want $want: $(tail -5 "$T/vg.err")"; fi
}
vg "admin init" 0 admin init
vg "tenant add" 0 admin tenant add alice
vg "app create" 0 app create web --image nginx:1.27 --env A=1
vg "set-image" 0 app -a web set-image nginx:1.28
vg "refused write" 4 app -a nope set-image nginx:1.28
vg "dry run" 0 app -a web deploy --tag 1.29 --dry-run --json
vg "route create" 0 route -a web create
vg "addon create" 0 addon create db --type postgres
vg "app list" 0 app list --json
vg "app info" 0 app -a web info
vg "log" 0 log --json
vg "show" 0 show HEAD
vg "help" 0 help app create
vg "bad input" 65 app create Web --image x
render_overlays alice

# the live half, against mech sim (always built): libcurl (loaded on first
# use), the Argo CD and Kubernetes clients, the wait loop, and the console's views
. "$(dirname "$0")/../lib/sim.sh"
sim_start --sync-delay 200ms --health-delay 200ms
sim_config
vg "app list (live)" 0 app list --json
vg "app wait" 0 app -a web wait --timeout 60s
vg "app info (live)" 0 app -a web info --json
vg "route info" 0 route -a web info --json
vg "addon info" 0 addon -n db info --json
printf '1\n2\n3\n4\n5\n' >"$T/console.script"
MECH_CONSOLE_SCRIPT="$T/console.script" SHELL=/bin/sh \
	script -qec "$VG --log-file=$T/vg-console.log $MECH console" /dev/null >"$T/console.out" 2>&1 &&
	rc=0 || rc=$?
if [ "$rc" = 0 ] && ! grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]' "$T/vg-console.log"; then
	ok
else
	fail "console under valgrind: $(exit_words "$rc"), want 0: $(grep -E '==[0-9]+==' "$T/vg-console.log" | head -20) $(tail -5 "$T/console.out")"
fi
finish
