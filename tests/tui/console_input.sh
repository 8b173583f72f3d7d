#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech console input, headless (MECH_CONSOLE_SCRIPT): `/` searching text
# views (first match with context, highlight, n/N, wrap, no match, Esc),
# `/` still filtering lists, the `:` prompt's Tab completion (the shell's
# generator) and history (persisted 0600, kept across runs), --dry-run at
# the prompt not asking, `y` copy, and mouse events injected by the script
# (<click X Y>, <wheel-down X Y>; off with console.mouse: false). Golden
# screens at 80x24 and 140x40 in tests/tui/golden/input-*.screen.
# UPDATE_GOLDEN=1 rewrites them from this run.
. "$(dirname "$0")/../lib/common.sh"
require script bsdutils
GOLDEN="$SRC/tests/tui/golden"

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1
"$MECH" app create worker --image busybox:1.36 --replicas 2 >/dev/null 2>&1
"$MECH" route -a web create >/dev/null 2>&1
"$MECH" addon create db --type postgres >/dev/null 2>&1

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
