# SPDX-License-Identifier: Apache-2.0
# tmux helpers for terminal tests: a private server, bounded waits for
# screen text (never fixed sleeps as assertions).
TMUX_SOCK="mech-test-$$"
tmx() { tmux -L "$TMUX_SOCK" "$@"; }
tmux_start() { # cols rows command...
	local cols=$1 rows=$2
	shift 2
	tmx new-session -d -s t -x "$cols" -y "$rows" "$@"
	cleanup_hooks+=("tmux -L $TMUX_SOCK kill-server 2>/dev/null")
}
screen() { tmx capture-pane -p -t t 2>/dev/null; }
# wait_for TEXT [seconds]: poll the screen until TEXT shows up (the seconds, 30 by
# default, are a hang guard, not a deadline the program must meet)
wait_for() {
	local i limit=$(( ${2:-30} * 20 ))
	for ((i = 0; i < limit; i++)); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
expect_screen() { # text what
	if wait_for "$1" "${3:-30}"; then ok; else fail "$2: \"$1\" not on screen:
$(screen)"; fi
}
keys() { tmx send-keys -t t "$@"; }
