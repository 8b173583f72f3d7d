#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech console in its headless scripted mode (MECH_CONSOLE_SCRIPT, as tig's
# test mode): every view reached by keys and compared with golden screens
# (shas, dates, ages and request ids masked), drill-downs, hunk navigation,
# filter, the key list, the minimum size, key rebinding and unbinding, bad
# theme and key files (exit 78 naming file:line), NO_COLOR, colour goldens (:screen-save-attrs), the `:` prompt
# (--readonly refuses writes; deletes ask, cancel is the default).
# UPDATE_GOLDEN=1 rewrites tests/tui/golden/ from this run.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
require script bsdutils
. "$(dirname "$0")/../lib/console.sh"

console_tenant
W="$T/wc"
hotfix_by_hand alice "$W"
"$MECH" app -a web set-image nginx:1.28 --force >/dev/null 2>&1 || fail "forced set-image"
render_overlays alice

# the console needs a terminal (SH_TTY): script(1) gives it one; the
# scripted mode itself draws to /dev/null at a fixed size

# ---- every view by its key, drill-downs, hunks, filter, keys, minimum size ----
cat >"$T/tour" <<SCRIPT
:screen-save $T/apps.screen
2
:screen-save $T/routes.screen
3
:screen-save $T/addons.screen
4
:screen-save $T/history.screen
5
:screen-save $T/forced.screen
<Enter>
:screen-save $T/forced-detail.screen
]
:screen-save $T/forced-hunk.screen
]
:screen-save $T/forced-hunk2.screen
[
:screen-save $T/forced-hunk-back.screen
q
4
jjj
<Enter>
:screen-save $T/commit.screen
d
:screen-save $T/commit-diff.screen
<Esc>
1
/work
:screen-save $T/filter-typing.screen
<Enter>
<Enter>
:screen-save $T/app-detail.screen
<Esc>
<Esc>
:screen-save $T/filter-cleared.screen
?
:screen-save $T/keys.screen
q
:resize 60x20
:screen-save $T/small.screen
:resize 120x30
:screen-save $T/wide.screen
q
SCRIPT
console "$T/tour"
expect_rc 0 "scripted tour"
for s in apps routes addons history forced forced-detail forced-hunk forced-hunk2 forced-hunk-back \
	commit commit-diff filter-typing app-detail filter-cleared keys small wide; do
	golden "$s"
done
# what a user would look for, independent of the golden files
expect_in "$(cat "$T/forced.screen")" "Hanna Human" "forced view names the human author"
expect_in "$(cat "$T/forced.screen")" "hotfix web" "forced view shows the overridden commit"
expect_in "$(cat "$T/forced-hunk.screen")" "HUMAN COMMIT" "the human commit follows the forced one"
expect_in "$(cat "$T/forced-hunk2.screen")" '+  newTag: "1.27-hotfix"' "second hunk is the human change"
expect_in "$(cat "$T/app-detail.screen")" "argocd not configured" "app detail without Argo CD"
expect_in "$(cat "$T/small.screen")" "needs at least 80x24" "minimum size message"
expect_not_in "$(cat "$T/filter-typing.screen")" " web " "filter hides web"

# ---- the last writers' cells (LAST WRITER, AGE, EMAIL, MESSAGE): read from
# Git, then from the brief cache that console left (core/git/brief.c) ----
B="$MECH_HOME/cache/alice/briefs-main.cache"
rm -f "$B"
printf ':resize 240x40\n:screen-save %s\n' "$T/briefs-git.screen" >"$T/s"
console "$T/s"
expect_rc 0 "the console without a brief cache"
[ -s "$B" ] && ok || fail "the console left no brief cache"
printf ':resize 240x40\n:screen-save %s\n' "$T/briefs-cache.screen" >"$T/s"
console "$T/s"
expect_rc 0 "the console with the brief cache"
ages() { sed -E 's/ [0-9]+[smhdwy] / <age> /g' "$1"; }
expect_eq "$(ages "$T/briefs-cache.screen")" "$(ages "$T/briefs-git.screen")" \
	"the apps view from the brief cache equals the one from Git"
expect_in "$(cat "$T/briefs-cache.screen")" "set image of web/main" "the writer's subject is shown"
# a damaged cache is read from Git again, and shows the same
sed -i '2s/@/#/' "$B"
grep -q '#' "$B" && ok || fail "the damage was not made"
printf ':resize 240x40\n:screen-save %s\n' "$T/briefs-damaged.screen" >"$T/s"
console "$T/s"
expect_eq "$(ages "$T/briefs-damaged.screen")" "$(ages "$T/briefs-git.screen")" \
	"a damaged brief cache does not change the apps view"
grep -q '#' "$B" && fail "the damaged brief cache was not rewritten" || ok

# ---- NO_COLOR gives mono; without it T cycles themes ----
printf '?\n:screen-save %s\n' "$T/nocolor.screen" >"$T/s"
console "$T/s"
expect_in "$(cat "$T/nocolor.screen")" "Theme: mono" "NO_COLOR selects mono"
printf 'T\n:screen-save %s\n' "$T/t1.screen" >"$T/s"
out=$(env -u NO_COLOR MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh script -qec "$MECH console" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "theme switch run"
expect_in "$(tail -1 "$T/t1.screen")" "theme light" "T goes from default to light"
printf ':theme high-contrast\n?\n:screen-save %s\n' "$T/t2.screen" >"$T/s"
out=$(env -u NO_COLOR MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh script -qec "$MECH console" /dev/null 2>&1) && rc=0 || rc=$?
expect_in "$(cat "$T/t2.screen")" "Theme: high-contrast" ":theme NAME loads a theme"

# ---- colour: the same views with each cell's colour area, at 80x24 and 140x40 ----
for size in 80x24 140x40; do
	cat >"$T/colour" <<SCRIPT
:resize $size
:screen-save-attrs $T/colour-apps-$size.screen
4
jjj
<Enter>
d
:screen-save-attrs $T/colour-commit-diff-$size.screen
q
5
:screen-save-attrs $T/colour-forced-$size.screen
q
SCRIPT
	out=$(env -u NO_COLOR TERM=xterm-256color MECH_CONSOLE_SCRIPT="$T/colour" SHELL=/bin/sh \
		script -qec "$MECH console" /dev/null 2>&1) && rc=0 || rc=$?
	expect_rc 0 "colour tour at $size"
	for s in apps commit-diff forced; do golden "colour-$s-$size"; done
done
# the areas are the theme's: added lines are diff-add, the forced row is coloured as forced
add=$(area_letter "$T/colour-commit-diff-80x24.screen" diff-add)
[ -n "$add" ] && ok || fail "the legend names diff-add"
codes=$(grep -A1 '^ +apiVersion' "$T/colour-commit-diff-80x24.screen" | sed -n 2p)
expect_in "$codes" "$add$add$add$add" "an added line is drawn in diff-add"

# ---- a bad theme file names file and line ----
mkdir -p "$MECH_HOME/themes"
printf 'color header white blue\n# fine\ncolor no-such-area red\n' >"$MECH_HOME/themes/broken.theme"
cp "$MECH_HOME/mech.yaml" "$T/mech.yaml.orig"
sed -i 's/theme: default/theme: broken/' "$MECH_HOME/mech.yaml"
printf 'q\n' >"$T/s"
out=$(env -u NO_COLOR MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh script -qec "$MECH console" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 78 "bad theme is a configuration error"
expect_in "$out" "broken.theme:3: unknown colour area \"no-such-area\"" "bad theme names file:line"
sed -i 's/theme: broken/theme: nosuch/' "$MECH_HOME/mech.yaml"
out=$(env -u NO_COLOR MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh script -qec "$MECH console" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 78 "missing theme"
expect_in "$out" "theme \"nosuch\" not found" "missing theme named"
cp "$T/mech.yaml.orig" "$MECH_HOME/mech.yaml"

# ---- keys: rebind, unbind, bad file ----
printf '# my keys\nbind generic x quit\nbind generic q none\nbind generic <C-n> move-down\n' \
	>"$MECH_HOME/console-keys"
printf '4\nq\n:screen-save %s\n<C-n>\n?\n:screen-save %s\n<Esc>\nx\n:screen-save %s\n' \
	"$T/k1.screen" "$T/k2.screen" "$T/k3.screen" >"$T/s"
console "$T/s"
expect_rc 0 "rebound keys run"
expect_in "$(tail -1 "$T/k1.screen")" "q: not bound" "q unbound"
expect_in "$(cat "$T/k2.screen")" "x                      quit" "help lists the new binding"
expect_in "$(cat "$T/k2.screen")" "j <Down> <C-n>" "help lists every key of an action"
[ ! -e "$T/k3.screen" ] && ok || fail "x did not quit"
printf 'bind generic x quit\nbind generic q explode\n' >"$MECH_HOME/console-keys"
console "$T/s"
expect_rc 78 "bad key file"
expect_in "$out" "console-keys:2: unknown action \"explode\"" "bad key file names file:line"
printf 'bind nowhere x quit\n' >"$MECH_HOME/console-keys"
console "$T/s"
expect_in "$out" "console-keys:1: unknown keymap" "unknown keymap"
rm -f "$MECH_HOME/console-keys"

# ---- the : prompt: a read, a write refused by --readonly, a delete confirmed ----
head0=$(head_of alice)
printf ':app list\n:screen-save %s\n<Esc>\n:app create ro --image nginx:1\n:screen-save %s\n' \
	"$T/p1.screen" "$T/p2.screen" >"$T/s"
console "$T/s" --readonly
expect_rc 0 "readonly console"
expect_in "$(cat "$T/p1.screen")" "worker" ":app list ran in read-only mode"
expect_in "$(cat "$T/p2.screen")" "read-only" ":app create refused in read-only mode"
expect_in "$(cat "$T/p2.screen")" "exit 77" "refusal exit code shown"
expect_eq "$(head_of alice)" "$head0" "read-only wrote nothing"

printf ':app -a worker delete\n:screen-save %s\nn\n:screen-save %s\n' "$T/d1.screen" "$T/d2.screen" >"$T/s"
console "$T/s"
expect_in "$(tail -1 "$T/d1.screen")" "It deletes. y = run, any other key cancels [y/N]" "delete asks"
expect_in "$(tail -1 "$T/d2.screen")" "cancelled" "n cancels"
expect_eq "$(head_of alice)" "$head0" "cancelled delete wrote nothing"
printf ':app -a worker delete\n<Enter>\n:screen-save %s\n' "$T/d3.screen" >"$T/s"
console "$T/s"
expect_eq "$(head_of alice)" "$head0" "Enter (the default) cancels too"
printf ':app -a worker delete --force\ny\n:screen-save %s\n<Enter>\n:screen-save %s\n' "$T/d4.screen" "$T/d5.screen" >"$T/s"
console "$T/s"
expect_in "$(cat "$T/d4.screen")" "receipt" "confirmed delete shows its receipt"
expect_in "$(cat "$T/d5.screen")" "app.delete" "Enter opens the receipt"
expect_not_in "$(git --git-dir="$(repo_of alice)" ls-tree -r --name-only HEAD)" "apps/worker/" "worker deleted"
expect_eq "$(git --git-dir="$(repo_of alice)" log -1 --format=%s)" "mechanics(app.delete): remove app worker" "delete receipt read by git"
printf ':shell\n:screen-save %s\n' "$T/p3.screen" >"$T/s"
console "$T/s"
expect_in "$(tail -1 "$T/p3.screen")" "needs its own terminal" "nested shell refused"
printf ':sim --poll 1s\n:screen-save %s\n' "$T/p4.screen" >"$T/s"
console "$T/s"
expect_in "$(tail -1 "$T/p4.screen")" "does not run inside the console" "a server (mech sim) refused"

# without a terminal the console refuses clearly
mech console </dev/null
expect_rc 64 "console without a terminal"
expect_in "$err" "needs a terminal" "refusal says why"

# ---- over SSH a : command runs as the key's session: no other tenant, no operator command ----
# (bob's seed is a whole second newer than alice's receipts so far: the merged history below is stable)
# commit times are whole seconds: wait for the clock to pass alice's newest
past_alice() { [ "$(date +%s)" -gt "$(git --git-dir="$(repo_of alice)" log -1 --format=%ct main)" ]; }
wait_until 10 past_alice
"$MECH" admin tenant add bob >/dev/null 2>&1 || fail "tenant add bob"
bob0=$(head_of bob)
alice0=$(head_of alice)
printf ':--tenant bob app create evil --image nginx:1\n:app create evil2 --image nginx:1 --tenant bob\n:admin tenant add eve\n:screen-save %s\n:app create mine --image nginx:1\n' \
	"$T/ssh.screen" >"$T/s"
out=$(MECH_CONSOLE_SCRIPT="$T/s" SSH_ORIGINAL_COMMAND=console SHELL=/bin/sh \
	script -qec "$MECH ssh --tenant alice" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "console over the SSH forced command"
expect_eq "$(head_of bob)" "$bob0" ":--tenant over SSH wrote nothing to another tenant"
[ ! -e "$MECH_HOME/tenants/eve" ] && ok || fail ":admin tenant add ran over SSH"
[ ! -e "$T/ssh.screen" ] && ok || fail ":screen-save wrote a file over SSH"
expect_eq "$(git --git-dir="$(repo_of alice)" log -1 --format=%s)" "mechanics(app.create): add app mine" \
	"the session's own tenant still writes"
[ "$(head_of alice)" != "$alice0" ] && ok || fail "alice's write missing"

# ---- operator mode: --all-tenants shows every tenant ----
opconsole() { # script-file [global flags...]: `mech console --all-tenants`, as console()
	local s=$1
	shift
	out=$(MECH_CONSOLE_SCRIPT="$s" SHELL=/bin/sh script -qec "$MECH $* console --all-tenants" /dev/null 2>&1) && rc=0 || rc=$?
}
# bob's receipts from here on are a whole second newer than alice's
wait_until 10 past_alice
"$MECH" --tenant bob app create api --image nginx:1.28 >/dev/null 2>&1 || fail "bob: app create api"
"$MECH" --tenant bob route -a api create >/dev/null 2>&1 || fail "bob: route create"
"$MECH" --tenant bob addon create cache --type postgres >/dev/null 2>&1 || fail "bob: addon create"
WB="$T/wcb"
human_clone bob "$WB"
sed -i 's/newTag: .*/newTag: "1.28-pinned"/' "$WB/apps/api/overlays/main/kustomization.yaml"
(cd "$WB" && git commit -qam "pin api by hand" && git push -q origin HEAD:main)
"$MECH" --tenant bob app -a api set-image nginx:1.29 --force >/dev/null 2>&1 || fail "bob: forced set-image"
render_overlays bob

cat >"$T/ops" <<SCRIPT
:screen-save $T/ops-apps.screen
2
:screen-save $T/ops-routes.screen
3
:screen-save $T/ops-addons.screen
4
:screen-save $T/ops-history.screen
5
:screen-save $T/ops-forced.screen
<Enter>
:screen-save $T/ops-forced-detail.screen
q
1
/bob
:screen-save $T/ops-filter.screen
<Enter>
<Enter>
:screen-save $T/ops-app-detail.screen
<Esc>
<Esc>
:resize 120x30
:screen-save $T/ops-wide.screen
:resize 80x24
SCRIPT
opconsole "$T/ops"
expect_rc 0 "operator console"
for s in ops-apps ops-routes ops-addons ops-history ops-forced ops-forced-detail ops-filter \
	ops-app-detail ops-wide; do
	golden "$s"
done
expect_in "$(head -1 "$T/ops-apps.screen")" "all tenants (2)" "header counts the tenants"
expect_in "$(sed -n 3p "$T/ops-apps.screen")" "TENANT" "a TENANT column"
for v in apps routes addons history forced; do
	expect_in "$(cat "$T/ops-$v.screen")" " alice " "$v view shows alice's rows"
	expect_in "$(cat "$T/ops-$v.screen")" " bob " "$v view shows bob's rows"
done
# the forced list is read when its view opens: both tenants' forced writes and what they overrode
expect_eq "$(grep -c '^ bob     └ human' "$T/ops-forced.screen")" 1 "bob's overridden human commit, after lazy loading"
expect_eq "$(grep -c '^ alice   └ human' "$T/ops-forced.screen")" 1 "alice's overridden human commit, after lazy loading"
expect_in "$(cat "$T/ops-forced-detail.screen")" "bob forced" "the forced detail names its tenant"
expect_not_in "$(cat "$T/ops-filter.screen")" " alice " "/bob filters by tenant name"
expect_in "$(cat "$T/ops-app-detail.screen")" "app bob/api/main" "Enter opens bob's app"
expect_in "$(cat "$T/ops-app-detail.screen")" "image nginx:1.29" "…read from bob's repo"

# : commands run as the row's tenant; a write without --tenant asks, naming it
bob1=$(head_of bob)
cat >"$T/s" <<SCRIPT
/bob
<Enter>
:app list
:screen-save $T/op1.screen
<Esc>
:app create viaops --image nginx:1
:screen-save $T/op2.screen
n
:app create viaops --image nginx:1
y
:screen-save $T/op3.screen
<Esc>
5
/zzz
<Enter>
:app list
:screen-save $T/op4.screen
SCRIPT
opconsole "$T/s"
expect_in "$(sed -n 3p "$T/op1.screen")" '$ mech --tenant bob app list' ":app list ran as the row's tenant"
expect_in "$(cat "$T/op1.screen")" "nginx:1.29" "…and listed bob's apps"
expect_in "$(tail -1 "$T/op2.screen")" 'Run `app create viaops --image nginx:1` as tenant bob? It writes.' "a write asks, naming the tenant"
expect_eq "$(git --git-dir="$(repo_of bob)" log -1 --format=%s)" "mechanics(app.create): add app viaops" "confirmed write landed in bob's repo"
expect_in "$(cat "$T/op3.screen")" "receipt" "its receipt is shown"
expect_in "$(tail -1 "$T/op4.screen")" "which tenant?" "no row selected: the command is refused"

# bad input: --all-tenants with --tenant; over SSH operator mode is refused (77)
printf 'q\n' >"$T/s"
opconsole "$T/s" --tenant alice
expect_rc 64 "--all-tenants with --tenant"
expect_in "$out" "exclude each other" "…says why"
out=$(MECH_CONSOLE_SCRIPT="$T/s" SSH_ORIGINAL_COMMAND="console --all-tenants" SHELL=/bin/sh \
	script -qec "$MECH ssh --tenant alice" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 77 "console --all-tenants over the SSH forced command"
expect_in "$out" "operator command" "…is an operator command"
# with several tenants, one must be named (or all)
console "$T/s"
expect_rc 64 "two tenants and no --tenant"
expect_in "$out" "--tenant" "…asks for --tenant"
finish
