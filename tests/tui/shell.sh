#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech shell through a real pseudo-terminal (tmux): completion of nouns,
# verbs, flags and app names; history across runs; Ctrl-C; Ctrl-D; the
# prompt's exit code.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
. "$(dirname "$0")/../lib/tmux.sh"
require tmux

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1
"$MECH" app create worker --image busybox:1.36 >/dev/null 2>&1
render_overlays alice
# the caches made the tenant's cache directory, 0755: the shell makes it private
expect_eq "$(stat -c %a "$MECH_HOME/cache/alice")" 755 "cache directory before the shell"
session_gone() { ! tmx has-session -t t 2>/dev/null; }
tmux_start 120 40 env MECH_HOME="$MECH_HOME" HOME="$HOME" NO_COLOR=1 "$MECH" shell
expect_screen "mech alice [0]>" "prompt with tenant and exit code"

# noun and verb completion
keys 'ap' Tab
expect_screen "mech alice [0]> app" "noun completed"
keys 'li' Tab
expect_screen "mech alice [0]> app list" "verb completed (with the space after the noun)"
keys Enter
expect_screen "worker" "app list ran"
expect_screen "mech alice [0]> " "exit code 0 after app list"

# flag completion, and app names read from the repo
keys 'app -a w' Tab Tab
expect_screen "worker" "app names offered"
keys 'or' Tab ' inf' Tab Enter
expect_screen "app worker" "completed app name used"

# a failing command shows its exit code in the prompt
keys 'app -a nope info' Enter
expect_screen "mech alice [4]>" "exit code 4 in the prompt"
keys 'app create web --ima' Tab 'nginx'
expect_screen "app create web --image nginx" "flag completed"
keys C-u 'aap' Enter
expect_screen "did you mean" "suggestion for a typo"
expect_screen "mech alice [64]>" "exit code 64 in the prompt"
# shell syntax is refused here too
keys 'app list; id' Enter
expect_screen "one structured command" "shell syntax refused"

# Ctrl-C abandons the line
keys 'app create half-typed' C-c
expect_screen "mech alice [130]>" "Ctrl-C gives a fresh prompt"
keys 'help' Enter
# (the map is longer than the 24-row pane: its last section is what stays on screen)
expect_screen "5. inspect" "workflow map inside the shell"

# Ctrl-D leaves
keys C-d
wait_until 30 session_gone
if tmx has-session -t t 2>/dev/null; then fail "Ctrl-D did not leave the shell"; else ok; fi

# history survives across runs
hist="$MECH_HOME/cache/alice/shell_history"
[ -s "$hist" ] && ok || fail "history file written"
expect_in "$(cat "$hist")" "app -a nope info" "history holds the commands"
expect_eq "$(stat -c %a "$hist")" 600 "history file created the user's alone"
expect_eq "$(stat -c %a "$(dirname "$hist")")" 700 "history directory made the user's alone"
chmod 0644 "$hist" # as an older mech left it
tmux_start 120 40 env MECH_HOME="$MECH_HOME" HOME="$HOME" NO_COLOR=1 "$MECH" shell
expect_screen "mech alice [0]>" "second run"
# Up, one entry at a time: the next Up only once the screen shows the last
# one's line (pressed on a timer, a slow screen would be overtaken)
screen_changed() { [ "$(screen)" != "$1" ]; }
for i in 1 2 3 4 5 6; do
	before=$(screen)
	keys Up
	wait_until 10 screen_changed "$before" || break
	screen | grep -qF "app -a nope info" && break
done
expect_screen "app -a nope info" "history recalled in a new run"
keys C-u 'exit' Enter
wait_until 30 session_gone
if tmx has-session -t t 2>/dev/null; then fail "exit did not leave"; else ok; fi
expect_eq "$(stat -c %a "$hist")" 600 "a readable history made private again"

# without a terminal the shell refuses clearly
mech shell </dev/null
expect_rc 64 "shell without a terminal"
expect_in "$err" "needs a terminal" "refusal says why"
finish
