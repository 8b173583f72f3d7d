#!/bin/bash
# Every command family under valgrind: writes, reads, refusals, the live
# commands against mech sim and the console's five views. No invalid access,
# no definite or indirect leak. (The whole suite also runs under ASan/UBSan.)
. "$(dirname "$0")/../lib/common.sh"
command -v valgrind >/dev/null || { echo "skipped: valgrind missing"; exit 77; }
# valgrind cannot run a binary built with AddressSanitizer; that build is
# checked by the sanitizers themselves
if ldd "$MECH" 2>/dev/null | grep -q libasan; then
	echo "skipped: $MECH is built with AddressSanitizer"
	exit 77
fi
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
vg() { # what args...
	local what=$1
	shift
	# shellcheck disable=SC2086
	if $VG "$MECH" "$@" >"$T/vg.out" 2>"$T/vg.err"; then ok
	else
		local rc=$?
		if [ "$rc" = 99 ]; then fail "$what under valgrind: $(grep -E '==[0-9]+==' "$T/vg.err" | head -20)"
		else ok; fi # a documented non-zero exit (e.g. 3) is fine; only valgrind's code fails
	fi
}
vg "admin init" admin init
vg "tenant add" admin tenant add alice
vg "app create" app create web --image nginx:1.27 --env A=1
vg "set-image" app -a web set-image nginx:1.28
vg "refused write" app -a nope set-image nginx:1.28
vg "dry run" app -a web deploy --tag 1.29 --dry-run --json
vg "route create" route -a web create
vg "addon create" addon create db --type postgres
vg "app list" app list --json
vg "app info" app -a web info
vg "log" log --json
vg "show" show HEAD
vg "help" help app create
vg "bad input" app create Web --image x

# the live half, against mech sim: libcurl (loaded on first use), the
# Argo CD and Kubernetes clients, the wait loop, and the console's views
. "$(dirname "$0")/../lib/sim.sh"
if "$MECH" sim -h >/dev/null 2>&1; then
	sim_start --sync-delay 200ms --health-delay 200ms
	sim_config
	vg "app list (live)" app list --json
	vg "app wait" app -a web wait --timeout 60s
	vg "app info (live)" app -a web info --json
	vg "route info" route -a web info --json
	vg "addon info" addon -n db info --json
	printf '1\n2\n3\n4\n5\n' >"$T/console.script"
	if MECH_CONSOLE_SCRIPT="$T/console.script" SHELL=/bin/sh \
		script -qec "$VG --log-file=$T/vg-console.log $MECH console" /dev/null >/dev/null 2>&1 &&
		! grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]' "$T/vg-console.log"; then
		ok
	else
		fail "console under valgrind: $(grep -E '==[0-9]+==' "$T/vg-console.log" | head -20)"
	fi
fi
finish
