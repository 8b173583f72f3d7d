#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech console input through a real terminal (tmux): `y` sends OSC 52 and
# tmux (set-clipboard on) takes the sha into its paste buffer; the `:`
# prompt's Tab completion and history (0600 file, recalled after a
# restart); a mouse click and the wheel sent as the terminal's own mouse
# escape sequences; / search and n in a commit.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/tmux.sh"
require tmux

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1
"$MECH" app create worker --image busybox:1.36 >/dev/null 2>&1
HIST="$MECH_HOME/cache/alice/console_history"

start_console() {
	tmux_start 100 30 env -u NO_COLOR MECH_HOME="$MECH_HOME" HOME="$HOME" TZ=UTC LANG=C.UTF-8 \
		sh -c 'exec "$0" console 2>"$1"' "$MECH" "$T/console.err"
	tmx set-option -g set-clipboard on
	expect_screen "1 apps" "console started"
}
session_gone() { ! tmx has-session -t t 2>/dev/null; }

start_console
# ---- y: OSC 52 into tmux's buffer ----
keys 4
expect_screen "tenant.seed" "history view"
keys y
expect_screen "copied $(head_of alice | cut -c1-7)" "y says it copied"
expect_eq "$(tmx show-buffer 2>&1)" "$(head_of alice)" "tmux's buffer holds the sha (OSC 52)"

# ---- Tab completion and history ----
keys : a p p Space - a Space w Tab
expect_screen "Tab: web worker" "Tab lists the app names"
keys o Tab
expect_screen ":app -a worker" "Tab completes the one name left"
keys i n f o Enter
expect_screen "$ mech app -a worker info" "completed command ran"
keys Escape
keys : Up
expect_screen ":app -a worker info" "Up recalls it"
keys Escape q
for ((i = 0; i < 200; i++)); do session_gone && break; sleep 0.05; done
session_gone && ok || fail "q did not quit"
expect_eq "$(stat -c %a "$HIST" 2>/dev/null)" "600" "history file is 0600"
start_console
keys : Up
expect_screen ":app -a worker info" "history survives a restart"
keys Escape

# ---- mouse: xterm's X10 encoding ESC [ M button x+33 y+33 (cells from 0) ----
mouse() { # button x y
	keys -l "$(printf '\033[M%b%b%b' "\\x$(printf %x $((32 + $1)))" "\\x$(printf %x $((33 + $2)))" "\\x$(printf %x $((33 + $3)))")"
}
mouse 0 36 1 # press on "4 history"
mouse 3 36 1 # release
expect_screen "tenant.seed" "a click on a tab switches view"
mouse 0 10 4 # the second row
mouse 3 10 4
keys Enter
expect_screen "app.create app/web" "the clicked row opens"
# ---- search in the commit's text, then the wheel ----
keys / n g i n x Enter
expect_screen 'search "nginx": 1 of' "/ searches the commit"
expect_screen "image: nginx:1.27" "the first match is on screen"
keys n
expect_screen 'search "nginx": 2 of' "n goes to the next match"
top=$(screen | sed -n 4p)
mouse 65 10 10 # wheel down
for ((i = 0; i < 200; i++)); do [ "$(screen | sed -n 4p)" != "$top" ] && break; sleep 0.05; done
[ "$(screen | sed -n 4p)" != "$top" ] && ok || fail "the wheel did not scroll"
keys Escape q q
for ((i = 0; i < 200; i++)); do session_gone && break; sleep 0.05; done
expect_not_in "$(cat "$T/console.err" 2>/dev/null)" "Sanitizer" "no sanitizer report"
expect_not_in "$(cat "$T/console.err" 2>/dev/null)" "runtime error" "no UBSan report"
finish
