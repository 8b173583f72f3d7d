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
. "$(dirname "$0")/../lib/console.sh"

console_tenant


# ---- the same tour at 80x24 and 140x40: search, completion, copy, the key list ----
# history: the 4th receipt is app.create web (its diff holds the image)
cat >"$T/tour" <<SCRIPT
4
jjj
<Enter>
/nginx
:screen-save $T/input-search-typing.screen
<Enter>
:screen-save $T/input-search.screen
n
:screen-save $T/input-search-next.screen
n
n
:screen-save $T/input-search-wrapped.screen
N
:screen-save $T/input-search-prev.screen
<Esc>
:screen-save $T/input-search-cleared.screen
/no-such-text
<Enter>
:screen-save $T/input-search-none.screen
<Esc>
<Esc>
y
:screen-save $T/input-copy.screen
<Colon>ad<Tab>
:screen-save $T/input-complete.screen
mi<Tab>
:screen-save $T/input-complete-one.screen
<C-u>app -a w<Tab>
:screen-save $T/input-complete-names.screen
<Esc>
?
/hunk
<Enter>
:screen-save $T/input-keys.screen
q
q
SCRIPT
web_sha=$(git --git-dir="$(repo_of alice)" log --format=%H --skip=3 -1 main)
for size in 80x24 140x40; do
	rm -f "$T"/input-*.screen
	MECH_CONSOLE_SIZE=$size console "$T/tour"
	expect_rc 0 "scripted tour at $size"
	sfx=; [ "$size" = 80x24 ] || sfx=-wide
	for s in search-typing search search-next search-wrapped search-prev search-cleared \
		search-none copy complete complete-one complete-names keys; do
		[ -n "$sfx" ] && [ -s "$T/input-$s.screen" ] && cp "$T/input-$s.screen" "$T/input-$s$sfx.screen"
		golden "input-$s$sfx"
	done
	# what a user looks for, independent of the goldens
	expect_in "$(cat "$T/input-search.screen")" "image: nginx:1.27" "first match on screen ($size)"
	expect_in "$(cat "$T/input-search.screen")" 'search "nginx": 1 of ' "match count ($size)"
	expect_in "$(tail -1 "$T/input-search-wrapped.screen")" "search wrapped" "n wraps ($size)"
	expect_in "$(tail -1 "$T/input-search-none.screen")" "no match for no-such-text" "no match ($size)"
	expect_not_in "$(cat "$T/input-search-cleared.screen")" 'search "' "Esc clears ($size)"
	expect_in "$(tail -1 "$T/input-copy.screen")" "copy: $web_sha" "y shows the selected sha ($size)"
	expect_in "$(cat "$T/input-complete.screen")" "Tab: addon addons admin" "Tab lists nouns and the console's commands ($size)"
	expect_eq "$(tail -1 "$T/input-complete-one.screen")" ":admin" "Tab completes the one noun left ($size)"
	expect_in "$(cat "$T/input-complete-names.screen")" "Tab: web worker" "Tab lists app names ($size)"
	expect_in "$(cat "$T/input-keys.screen")" "search-next" "help lists n ($size)"
done

# ---- colour: the matches drawn in the search area, at 80x24 and 140x40 ----
for size in 80x24 140x40; do
	printf '4\njjj\n<Enter>\n/nginx\n<Enter>\n:screen-save-attrs %s\n' \
		"$T/input-colour-search-$size.screen" >"$T/s"
	out=$(env -u NO_COLOR TERM=xterm-256color MECH_CONSOLE_SIZE=$size MECH_CONSOLE_SCRIPT="$T/s" \
		SHELL=/bin/sh script -qec "$MECH console" /dev/null 2>&1) && rc=0 || rc=$?
	expect_rc 0 "colour search at $size"
	golden "input-colour-search-$size"
	code=$(area_letter "$T/input-colour-search-$size.screen" search)
	plain=$(area_letter "$T/input-colour-search-$size.screen" default)
	# the row under "image: nginx:1.27": the 5 cells of "nginx" in the search area
	row=$(grep -A1 '^     image: nginx:1.27' "$T/input-colour-search-$size.screen" | sed -n 2p)
	expect_eq "${row:12:5}" "$code$code$code$code$code" "the match is drawn in the search area ($size)"
	expect_eq "${row:5:6}" "$plain$plain$plain$plain$plain$plain" "the text around it is not ($size)"
done

# ---- / on a list still filters ----
printf '1\n/work\n:screen-save %s\n' "$T/f.screen" >"$T/s"
console "$T/s"
expect_in "$(cat "$T/f.screen")" "worker" "/ filters the apps list"
expect_not_in "$(cat "$T/f.screen")" " web " "the filter hides web"
expect_in "$(cat "$T/f.screen")" 'filter "work": 1 of 2' "filter status"

# ---- prompt history: kept per tenant in a 0600 file, recalled after a restart ----
HIST="$MECH_HOME/cache/alice/console_history"
printf '<Colon>version<Enter>\n<Esc>\n<Colon>app list<Enter>\n<Esc>\n<Colon><Up>\n:screen-save %s\n<Up>\n:screen-save %s\n<Down><Down>\n:screen-save %s\n' \
	"$T/h1.screen" "$T/h2.screen" "$T/h3.screen" >"$T/s"
console "$T/s"
expect_rc 0 "history run"
expect_eq "$(tail -1 "$T/h1.screen")" ":app list" "Up recalls the last line"
expect_eq "$(tail -1 "$T/h2.screen")" ":version" "Up again the one before"
expect_eq "$(tail -1 "$T/h3.screen")" ":" "Down back to the empty line"
expect_eq "$(stat -c %a "$HIST" 2>/dev/null)" "600" "history file is 0600"
expect_eq "$(stat -c %a "$(dirname "$HIST")")" "700" "its directory is 0700"
expect_eq "$(cat "$HIST")" "version
app list" "history file holds the lines"
printf '<Colon><Up><Up>\n:screen-save %s\n<Esc>\n<Colon><Up>\n:screen-save %s\n' "$T/h4.screen" "$T/h5.screen" >"$T/s"
console "$T/s"
expect_eq "$(tail -1 "$T/h4.screen")" ":version" "history survives a restart"
expect_eq "$(tail -1 "$T/h5.screen")" ":app list" "after Esc, Up starts from the newest line again"
chmod 644 "$HIST"
console "$T/s"
expect_eq "$(stat -c %a "$HIST")" "600" "a looser history file is made 0600 again"
expect_not_in "$(cat "$MECH_HOME/cache/alice/shell_history" 2>/dev/null)" "version" "the shell's history is its own"

# over SSH the console writes no files: the history lasts the session
rm -f "$HIST"
printf '<Colon>version<Enter>\n<Esc>\n<Colon><Up><Enter>\n' >"$T/s"
out=$(MECH_CONSOLE_SCRIPT="$T/s" SSH_ORIGINAL_COMMAND=console SHELL=/bin/sh \
	script -qec "$MECH ssh --tenant alice" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "console over the SSH forced command"
[ ! -e "$HIST" ] && ok || fail "over SSH the history was written to $HIST"
# operator mode: the history of no one tenant
printf '<Colon>version<Enter>\n' >"$T/s"
out=$(MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh script -qec "$MECH console --all-tenants" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "operator console"
expect_eq "$(cat "$MECH_HOME/cache/_/console_history" 2>/dev/null)" "version" "operator history under cache/_"

# ---- the prompt edits as readline does: C-a, Left, C-u ----
printf '<Colon>pp lst<C-a>a<End><Left><Left>i\n:screen-save %s\n<Enter>\n:screen-save %s\n' \
	"$T/e1.screen" "$T/e2.screen" >"$T/s"
console "$T/s"
expect_eq "$(tail -1 "$T/e1.screen")" ":app list" "C-a and Left move the cursor"
expect_in "$(cat "$T/e2.screen")" '$ mech app list' "the edited line runs"

# `exit`, which the shell's completion offers, leaves as in `mech shell`
printf ':exit\n:screen-save %s\n' "$T/x.screen" >"$T/s"
console "$T/s"
expect_rc 0 ":exit run"
[ ! -e "$T/x.screen" ] && ok || fail ":exit did not leave"

# ---- --dry-run at the prompt runs at once; the write it stands for asks ----
head0=$(head_of alice)
printf ':app -a worker delete --dry-run\n:screen-save %s\n<Esc>\n:app -a worker delete\n:screen-save %s\nn\n' \
	"$T/d1.screen" "$T/d2.screen" >"$T/s"
console "$T/s"
expect_rc 0 "dry-run run"
expect_in "$(cat "$T/d1.screen")" "exit 0" "--dry-run ran without asking"
expect_not_in "$(cat "$T/d1.screen")" "[y/N]" "--dry-run did not ask"
expect_in "$(tail -1 "$T/d2.screen")" "It deletes." "without --dry-run it asks"
expect_eq "$(head_of alice)" "$head0" "nothing was written"

# ---- mouse, injected by the script: tabs, rows, the wheel; off by configuration ----
cat >"$T/s" <<SCRIPT
<click 22 1>
:screen-save $T/m1.screen
<click 36 1>
:screen-save $T/m2.screen
<click 10 5>
<Enter>
:screen-save $T/m3.screen
<wheel-down 10 10>
:screen-save $T/m4.screen
<wheel-up 10 10>
:screen-save $T/m5.screen
SCRIPT
console "$T/s"
expect_rc 0 "mouse run"
expect_in "$(sed -n 3p "$T/m1.screen")" "TYPE" "a click on tab 3 shows addons"
expect_in "$(sed -n 3p "$T/m2.screen")" "VERB" "a click on tab 4 shows history"
expect_in "$(sed -n 4p "$T/m3.screen")" "app.create app/wor" "a click selects the third row, Enter opens it"
expect_eq "$(sed -n 4p "$T/m4.screen")" "$(sed -n 7p "$T/m3.screen")" "the wheel scrolls down 3 lines"
expect_eq "$(sed -n 4p "$T/m5.screen")" "$(sed -n 4p "$T/m3.screen")" "and back up"
printf 'console: {theme: default, refresh: live, mouse: false}\n' >>"$MECH_HOME/mech.yaml"
sed -i '/^console: {theme: default, refresh: live}$/d' "$MECH_HOME/mech.yaml"
console "$T/s"
expect_rc 0 "mouse off run"
expect_in "$(sed -n 3p "$T/m1.screen")" "IMAGE" "console.mouse false: clicks do nothing"

finish
