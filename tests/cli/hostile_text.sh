#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Text from Git reaches the terminal shown, never sent: a human's commit
# with escape sequences (ESC[2J clears the screen, OSC 52 writes the
# clipboard, a C1 CSI) in its message, author and paths, and a directory
# under apps/ whose name is not UTF-8. Text output carries them as \xNN,
# JSON parses as UTF-8 with the bad bytes as U+FFFD and controls escaped.
. "$(dirname "$0")/../lib/common.sh"
require script bsdutils

seed_tenant alice
mech app create web --image nginx:1.27
expect_rc 0 "app create"

ESC=$'\033'
CSI=$'\302\233' # U+009B, a one-character CSI for some terminals
RLO=$'\342\200\256' # U+202E, right-to-left override
human_clone alice "$T/h"
mkdir -p "$T/h/apps/web/notes" "$T/h/apps/"$'bad\377\376name'"/overlays/main"
printf 'hi\n' >"$T/h/apps/web/notes/x${ESC}[2Jy.txt"
printf 'resources: []\n' >"$T/h/apps/"$'bad\377\376name'"/overlays/main/kustomization.yaml"
printf 'replicas:\n- name: web\n  count: 2\n' >>"$T/h/apps/web/overlays/main/kustomization.yaml"
git -C "$T/h" add -A
BEL=$'\a'
GIT_AUTHOR_NAME="Eve ${ESC}[2J${ESC}]52;c;aGFjaw==${ESC}\\" GIT_AUTHOR_EMAIL=eve@example.com \
	git -C "$T/h" commit -qm "tune ${ESC}[2J web${CSI}31m ${RLO}gpj.exe" -m "body ${ESC}]52;c;aGFjaw==${BEL} line"
git -C "$T/h" push -q origin main || fail "human push"
human=$(git -C "$T/h" rev-parse HEAD)

no_raw() { # what: neither stdout nor stderr holds ESC, a C1 control or RLO
	case "$out$err" in
	*"$ESC"* | *"$CSI"* | *"$RLO"*) fail "$1: a raw control reached the terminal: $(printf %q "$out$err" | head -c 400)" ;;
	*) ok ;;
	esac
}

mech log -n 3
expect_rc 0 "log"
no_raw "log"
expect_in "$out" 'tune \x1b[2J web\xc2\x9b31m \xe2\x80\xaegpj.exe' "log shows the subject's controls as \\xNN"
mech log -n 1 --author Eve
no_raw "log --author"
mech show "$human"
expect_rc 0 "show"
no_raw "show"
expect_in "$out" 'Eve \x1b[2J\x1b]52;c;aGFjaw==' "show escapes the author"
expect_in "$out" 'body \x1b]52;c;aGFjaw==\x07 line' "show escapes the body"
expect_in "$out" 'apps/web/notes/x\x1b[2Jy.txt' "show escapes a path"
mech app -a web info
expect_rc 0 "app info"
no_raw "app info"
mech app list
expect_rc 0 "app list"
no_raw "app list"
expect_in "$out" 'bad\xff\xfename' "app list shows a non-UTF-8 name's bytes as \\xNN"

# a write over the human's commit is refused, naming it: the conflict line too
mech app -a web set-image nginx:1.28
expect_rc 3 "refused over the human commit"
no_raw "refusal's conflict line"
expect_in "$err" 'tune \x1b[2J web' "the conflict shows the subject escaped"

# JSON: valid UTF-8, U+FFFD for the bad bytes, controls escaped
for cmd in "app list" "log -n 3" "show $human" "app -a web info"; do
	# shellcheck disable=SC2086
	mech $cmd --json
	expect_rc 0 "$cmd --json"
	no_raw "$cmd --json"
	/usr/bin/python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))' <<<"$out" &&
		ok || fail "$cmd --json is not valid UTF-8 JSON: $(printf %q "$out" | head -c 300)"
done
mech app list --json
expect_eq "$(json "$out" '[a["name"] for a in d["result"]["apps"] if a["name"].startswith("bad")]')" \
	"['bad��name']" "a non-UTF-8 name reads with U+FFFD"
mech log -n 1 --json
expect_in "$out" '\u009b' "C1 escaped in JSON"
expect_in "$out" '\u202e' "RLO escaped in JSON"
expect_in "$(json "$out" 'd["result"]["commits"][0]["subject"]')" "tune ${ESC}[2J web" \
	"JSON keeps the subject's text, escaped only as JSON"

# the console draws them as '?': its history view, through a real terminal (script)
printf ':screen-save %s\n4\n:screen-save %s\n' "$T/apps.screen" "$T/history.screen" >"$T/tour"
MECH_CONSOLE_SCRIPT="$T/tour" SHELL=/bin/sh script -qec "$MECH console" /dev/null >/dev/null 2>&1 ||
	fail "console tour"
screens=$(cat "$T/apps.screen" "$T/history.screen" 2>/dev/null)
expect_in "$screens" "tune ?[2J w" "the console shows the subject's ESC as ?"
expect_in "$screens" "Eve ?[2J?]5" "and the author's"
case "$screens" in
*"$ESC"* | *"$CSI"* | *"$RLO"*) fail "a raw control reached the console's screen" ;;
*) ok ;;
esac
finish
