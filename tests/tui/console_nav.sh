#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech console navigation (issue 17), headless against `mech sim`: app
# detail as a list (its resources and last writers are rows), Enter on a
# resource (live vs desired and its events), l logs (p the previous
# container), e events, h the instance's history, R a rollback that shows
# its plan (--dry-run) and asks (cancel writes nothing; y writes one
# app.rollback receipt and names it; --readonly refuses; in operator mode
# it runs as the row's tenant), Enter on a last writer opens its receipt,
# the logs keymap in console-keys, logs and events without kubernetes.url.
# Golden screens at 80x24 and 140x40, in colour too (shas, ages, pod hashes
# and ports masked), and a resource that differs (a sim whose first sync is
# an hour away). UPDATE_GOLDEN=1 rewrites this script's goldens
# (tests/tui/golden/nav-*, colour-nav-*).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"
require script bsdutils
. "$(dirname "$0")/../lib/console.sh"
# events of the same second come in either order: sort a run of event rows
# (in a colour screen each row with the row of its colour areas under it)
golden_filter() {
	/usr/bin/python3 -c '
import sys
lines = sys.stdin.readlines()
step = 2 if lines and lines[0].startswith("# colour areas") else 1
out, rows, i = lines[:step - 1], [], step - 1
while i < len(lines):
    item = lines[i:i + step]
    i += step
    if item[0].startswith("   <age> "):
        rows.append(item)
        continue
    for r in sorted(rows) + [item]:
        out += r
    rows = []
for r in sorted(rows):
    out += r
sys.stdout.write("".join(out))'
}

seed_tenant alice
sim_start --sync-delay 100ms --health-delay 100ms --degrade-tag broken
sim_config
run "$MECH" app create web --image nginx:1.27 --wait --timeout 30s
expect_rc 0 "app create --wait"
run "$MECH" app -a web deploy --tag 1.28 --wait --timeout 30s
expect_rc 0 "app deploy --wait"
REPO=$(repo_of alice)
FIRST=$(git --git-dir="$REPO" log --format=%H --grep='app.create' -1)


# ---- every new view and state, at 80x24 and at 140x40 ----
# app detail starts on its first resource (Service, then the Deployment's tree);
# jjj selects the pod; R on the older state asks, n cancels
tour() { # prefix
	cat <<SCRIPT
<Enter>
:screen-save $T/$1-app.screen
jjj
<Enter>
:screen-save $T/$1-resource.screen
<Esc>
l
:screen-save $T/$1-logs.screen
<Esc>
e
:screen-save $T/$1-events.screen
<Esc>
h
:screen-save $T/$1-app-history.screen
j
R
:screen-save $T/$1-rollback-confirm.screen
n
:screen-save $T/$1-rollback-cancelled.screen
q
SCRIPT
}
head0=$(head_of alice)
for size in 80x24 140x40; do
	p=nav; [ "$size" = 140x40 ] && p=nav-wide
	tour "$p" >"$T/tour-$p"
	out=$(MECH_CONSOLE_SIZE=$size MECH_CONSOLE_SCRIPT="$T/tour-$p" SHELL=/bin/sh script -qec "$MECH console" /dev/null 2>&1) && rc=0 || rc=$?
	expect_rc 0 "scripted navigation at $size"
	for s in app resource logs events app-history rollback-confirm; do
		golden "$p-$s"
	done
done
# the same screens with each cell's colour area (the selected resource, warnings, the question)
for size in 80x24 140x40; do
	tour "colour-nav-$size" | sed 's/:screen-save /:screen-save-attrs /' >"$T/colour-$size"
	out=$(env -u NO_COLOR TERM=xterm-256color MECH_CONSOLE_SIZE=$size MECH_CONSOLE_SCRIPT="$T/colour-$size" \
		SHELL=/bin/sh script -qec "$MECH console" /dev/null 2>&1) && rc=0 || rc=$?
	expect_rc 0 "colour navigation at $size"
	for s in app resource logs events app-history rollback-confirm; do
		golden "colour-nav-$size-$s"
	done
done
expect_eq "$(head_of alice)" "$head0" "the colour tour cancelled too"
s=$(area_letter "$T/colour-nav-80x24-app.screen" selection)
codes=$(grep -A1 '^   Service/web--main' "$T/colour-nav-80x24-app.screen" | sed -n 2p)
expect_in "$codes" "$s$s$s$s$s$s$s$s" "app detail starts with its first resource selected"
a=$(area_letter "$T/colour-nav-80x24-app-history.screen" default)
m=$(area_letter "$T/colour-nav-80x24-app-history.screen" machine)
codes=$(grep -A1 'instance added' "$T/colour-nav-80x24-app-history.screen" | sed -n 2p)
expect_in "$codes" "$a$m$m$m$m$m$m$m$a" "the history's class is coloured by class"

# what a user looks for, independent of the goldens
expect_in "$(cat "$T/nav-wide-app.screen")" "Pod/web--main-" "app detail lists the pod"
expect_in "$(cat "$T/nav-wide-resource.screen")" "Live vs desired" "resource view: its diff section"
expect_in "$(cat "$T/nav-wide-resource.screen")" "Scheduled" "resource view: the pod's events"
expect_in "$(cat "$T/nav-wide-logs.screen")" "Ready to serve requests" "l: the sim's log lines"
expect_in "$(cat "$T/nav-wide-events.screen")" "ScalingReplicaSet" "e: the instance's events"
expect_in "$(cat "$T/nav-wide-app-history.screen")" "image nginx:1.27 → nginx:1.28" "h: what each commit changed"
expect_in "$(cat "$T/nav-wide-rollback-confirm.screen")" "dry run: nothing was written" "R shows the plan first"
expect_in "$(cat "$T/nav-wide-rollback-confirm.screen")" "rollback --to ${FIRST:0:12}\`? It writes." "then asks"
expect_in "$(tail -1 "$T/nav-wide-rollback-cancelled.screen")" "cancelled: nothing was run" "n cancels"
expect_eq "$(head_of alice)" "$head0" "cancel (and the plan) wrote nothing"

# ---- y rolls back: one app.rollback receipt, named in the message ----
cat >"$T/yes" <<SCRIPT
h
j
R
y
:screen-save $T/rolled.screen
<Enter>
:screen-save $T/rolled-receipt.screen
q
SCRIPT
console "$T/yes"
expect_rc 0 "rollback run"
NEW=$(head_of alice)
expect_eq "$(git --git-dir="$REPO" log -1 --format=%s)" \
	"mechanics(app.rollback): roll web/main back to ${FIRST:0:12}" "one app.rollback receipt"
expect_in "$(git --git-dir="$REPO" log -1 --format=%B)" "Mechanics-Rollback-To: $FIRST" "its trailer names the state"
expect_in "$(tail -1 "$T/rolled.screen")" "receipt ${NEW:0:12} written" "the message names the receipt"
expect_in "$(cat "$T/rolled-receipt.screen")" "Mechanics-Verb: app.rollback" "Enter opens the receipt"

# ---- a read-only session refuses R before anything runs ----
head1=$(head_of alice)
printf 'h\nj\nR\n:screen-save %s\n' "$T/ro.screen" >"$T/ro"
console "$T/ro" --readonly
expect_rc 0 "read-only run"
expect_in "$(tail -1 "$T/ro.screen")" "read-only: nothing is rolled back" "--readonly refuses R"
expect_eq "$(head_of alice)" "$head1" "nothing written read-only"

# ---- Enter on a last writer opens its receipt; the apps row has l e h too ----
cat >"$T/writer" <<SCRIPT
<Enter>
g
jj
<Enter>
:screen-save $T/writer.screen
<Esc>
<Esc>
h
:screen-save $T/apps-h.screen
<Esc>
e
:screen-save $T/apps-e.screen
q
SCRIPT
console "$T/writer"
expect_rc 0 "writer run"
expect_in "$(cat "$T/writer.screen")" "Mechanics-Verb: app.rollback" "the instance's last writer is the rollback"
expect_in "$(head -3 "$T/writer.screen")" "commit ${NEW:0:8}" "its commit view"
expect_in "$(cat "$T/apps-h.screen")" "history web/main" "h on an apps row"
expect_in "$(cat "$T/apps-e.screen")" "Events of web/main" "e on an apps row"

# ---- a crash-looping pod: p reads the previous container, warnings first ----
run "$MECH" app -a web deploy --tag broken --wait --timeout 30s
expect_rc 1 "a broken deploy ends Degraded"
cat >"$T/crash" <<SCRIPT
l
:screen-save $T/crash-logs.screen
p
:screen-save $T/crash-prev.screen
<Esc>
e
:screen-save $T/crash-events.screen
q
SCRIPT
MECH_CONSOLE_SIZE=140x40 console "$T/crash"
expect_rc 0 "crash run"
expect_in "$(cat "$T/crash-prev.screen")" "previous container" "p: the previous container"
expect_in "$(sed -n 6p "$T/crash-events.screen")" "Warning" "warnings first"

# ---- the logs keymap is bindable; a bad keymap names the three ----
printf 'bind logs F follow\n' >"$MECH_HOME/console-keys"
printf 'l\nF\n:screen-save %s\n' "$T/F.screen" >"$T/keys"
console "$T/keys"
expect_rc 0 "logs keymap run"
expect_in "$(tail -1 "$T/F.screen")" "following the log" "F bound to follow in the logs keymap"
expect_in "$(sed -n 4p "$T/F.screen")" "following" "the view says it follows"
printf 'bind nosuch F follow\n' >"$MECH_HOME/console-keys"
console "$T/keys"
expect_rc 78 "unknown keymap"
expect_in "$out" "keymaps: generic, diff, logs" "the hint names the logs keymap"
rm -f "$MECH_HOME/console-keys"

# ---- operator mode: R names the row's tenant, so it writes to that repo ----
run "$MECH" admin tenant add bob
expect_rc 0 "tenant add bob"
bob0=$(head_of bob)
SECOND=$(git --git-dir="$REPO" log -1 --skip=1 --format=%H) # the history's second row: the rollback above
printf 'h\nj\nR\n:screen-save %s\ny\n:screen-save %s\n' "$T/ops-ask.screen" "$T/ops-done.screen" >"$T/ops"
out=$(MECH_CONSOLE_SIZE=140x40 MECH_CONSOLE_SCRIPT="$T/ops" SHELL=/bin/sh script -qec "$MECH console --all-tenants" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "operator run"
expect_in "$(cat "$T/ops-ask.screen")" "\$ mech --tenant alice app -a web -i main rollback --to" "the plan names the tenant"
expect_in "$(tail -1 "$T/ops-ask.screen")" "Run \`app -a web -i main rollback --to" "the question…"
expect_in "$(tail -1 "$T/ops-ask.screen")" "as tenant alice? It writes." "…names the tenant"
expect_eq "$(git --git-dir="$REPO" log -1 --format=%s)" \
	"mechanics(app.rollback): roll web/main back to ${SECOND:0:12}" "alice's repo has the rollback"
expect_eq "$(head_of bob)" "$bob0" "bob's repo is untouched"
expect_in "$(cat "$T/ops-done.screen")" "[machine] mechanics(app.rollback)" "its receipt is shown from alice's repo"

# ---- a resource that differs: a sim that has not synced yet (its first sync is an hour away) ----
sim_stop
sim_start --sync-delay 1h --health-delay 100ms
sim_config
for size in 80x24 140x40; do
	p=nav-diff; [ "$size" = 140x40 ] && p=nav-wide-diff
	printf '<Enter>\n<Enter>\n:screen-save %s\n]\n:screen-save %s\n' "$T/$p.screen" "$T/$p-hunk.screen" >"$T/diff-$p"
	out=$(MECH_CONSOLE_SIZE=$size MECH_CONSOLE_SCRIPT="$T/diff-$p" SHELL=/bin/sh script -qec "$MECH --tenant alice console" /dev/null 2>&1) && rc=0 || rc=$?
	expect_rc 0 "a resource that differs at $size"
	golden "$p"
	golden "$p-hunk"
done
expect_in "$(cat "$T/nav-wide-diff.screen")" "not in the cluster yet" "the resource is not live yet"
expect_in "$(cat "$T/nav-wide-diff-hunk.screen")" "@@ -" "] moves to its hunk"

# ---- without kubernetes.url, logs and events say what to set ----
sed -i '/^kubernetes:/d' "$MECH_HOME/mech.yaml"
printf 'l\n:screen-save %s\n<Esc>\ne\n:screen-save %s\n' "$T/nokube-l.screen" "$T/nokube-e.screen" >"$T/nokube"
console "$T/nokube" --tenant alice
expect_rc 0 "a console without kubernetes.url"
expect_in "$(cat "$T/nokube-l.screen")" "Kubernetes is not configured (kubernetes.url" "l says what to set"
expect_in "$(cat "$T/nokube-e.screen")" "Kubernetes is not configured (kubernetes.url" "e says what to set"
finish
