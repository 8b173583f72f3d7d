#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The console's headless scripted mode and its golden screens, for the
# tests/tui/console_*.sh scripts (after common.sh):
#
#   console SCRIPT [global flags...]   run `mech console` on a key script under
#                                      script(1); output in $out, exit code in $rc
#   golden NAME                        compare $T/NAME.screen, masked, with
#                                      tests/tui/golden/NAME.screen
#                                      (UPDATE_GOLDEN=1 rewrites it instead)
#   area_letter FILE AREA              the letter of a colour area in a colour
#                                      screen (:screen-save-attrs) FILE
#   console_tenant                     alice with two apps, a route and an addon
#
# What varies between runs is masked in the text rows: request ids, dates,
# shas, ages, the sim's port and pod names; in a colour screen the cells under
# a masked span read "~" in the row of colour areas. A script may define
# golden_filter (stdin → stdout) to order what a run may print in either order.
GOLDEN="$SRC/tests/tui/golden"

# console_tenant: tenant alice with web (nginx:1.27), worker (busybox:1.36,
# two replicas), a route to web and a postgres addon db: the headless tours'
# starting point
console_tenant() {
	seed_tenant alice
	"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1 || fail "app create web"
	"$MECH" app create worker --image busybox:1.36 --replicas 2 >/dev/null 2>&1 ||
		fail "app create worker"
	"$MECH" route -a web create >/dev/null 2>&1 || fail "route create"
	"$MECH" addon create db --type postgres >/dev/null 2>&1 || fail "addon create"
}

console() {
	local s=$1
	shift
	out=$(MECH_CONSOLE_SCRIPT="$s" SHELL=/bin/sh script -qec "$MECH $* console" /dev/null 2>&1) && rc=0 || rc=$?
}

console_mask() { # a colour screen: only its text rows
	/usr/bin/python3 -c '
import re, sys
subs = [(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>"),
        (r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", "<date>"),
        (r"127\.0\.0\.1:[0-9]+", "127.0.0.1:<port>"),
        (r"([a-z0-9-]+--[a-z0-9-]+)-[a-z0-9]{6,}-[a-z0-9]{5}\b", r"\1-<pod>"),
        (r"([a-z0-9-]+--[a-z0-9-]+)-[a-z0-9]{6,}\b", r"\1-<rs>"),
        (r"\b[0-9a-f]{7,40}\b", "<sha>"),
        (r"\b[0-9]{1,3}[smhd]\b *", "<age> ")]
lines = sys.stdin.read().split("\n")
colour = bool(lines) and lines[0].startswith("# colour areas")
for i, line in enumerate(lines):
    if colour and (i == 0 or i % 2 == 0):
        continue  # the legend and the rows of colour areas
    if colour and i + 1 < len(lines):
        # under what varies, the colour row says only "masked" ("~"): a dim
        # age of "9s" and one of "10s" colour different numbers of cells
        codes = list(lines[i + 1])
        for pat, _ in subs:
            for m in re.finditer(pat, line):
                for x in range(m.start(), min(m.end(), len(codes))):
                    codes[x] = "~"
        lines[i + 1] = "".join(codes)
    for pat, rep in subs:
        line = re.sub(pat, rep, line)
    lines[i] = line
sys.stdout.write("\n".join(lines))'
}

golden() {
	if [ ! -s "$T/$1.screen" ]; then fail "$1: no screen saved"; return; fi
	if declare -F golden_filter >/dev/null; then
		console_mask <"$T/$1.screen" | golden_filter >"$T/$1.masked"
	else
		console_mask <"$T/$1.screen" >"$T/$1.masked"
	fi
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		cp "$T/$1.masked" "$GOLDEN/$1.screen"
		# a run that writes the goldens compares nothing: it must not pass as one that did
		[ "${#SKIPPED_PARTS[@]}" -gt 0 ] || skip_part "UPDATE_GOLDEN: the golden screens were rewritten, not compared"
	fi
	if diff -u "$GOLDEN/$1.screen" "$T/$1.masked" >"$T/diff"; then ok
	else fail "$1 differs from $GOLDEN/$1.screen:
$(cat "$T/diff")"; fi
}

area_letter() {
	head -1 "$1" | tr ' ' '\n' | sed -n "s/^\\(.\\)=$2\$/\\1/p"
}
