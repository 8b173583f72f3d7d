#!/bin/bash
# The write and read paths under valgrind: no invalid access, no definite
# or indirect leak. (The whole suite also runs under ASan/UBSan.)
. "$(dirname "$0")/../lib/common.sh"
command -v valgrind >/dev/null || { echo "skipped: valgrind missing"; exit 77; }
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
finish
