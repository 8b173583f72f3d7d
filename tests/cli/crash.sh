#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 at random moments: the repo stays valid, the branch is at the old
# or the new commit, and the next verb succeeds. The moments come from a
# printed seed (MECH_TEST_SEED replays the same delays; where in a write
# they land still depends on the machine's speed).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
seed_random

seed_tenant alice
G="git --git-dir=$(repo_of alice)"
ROUNDS=${MECH_CRASH_ROUNDS:-200}
moved=0
for i in $(seq 1 "$ROUNDS"); do
	old=$(head_of alice)
	# a create, or a deploy once the app is there (a create would not change it)
	if $G cat-file -e "main:apps/app$((i % 7))" 2>/dev/null; then
		"$MECH" app -a "app$((i % 7))" deploy --tag "1.$i" >/dev/null 2>&1 &
	else
		"$MECH" app create "app$((i % 7))" --image "nginx:1.$i" >/dev/null 2>&1 &
	fi
	pid=$!
	# a random delay of 0-29 ms (a write takes about 15), then SIGKILL
	sleep "$(printf '0.%03d' $((RANDOM % 30)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	new=$(head_of alice)
	if [ "$new" != "$old" ]; then
		moved=$((moved + 1))
		parent=$($G rev-parse "$new^")
		[ "$parent" = "$old" ] && ok || fail "round $i: branch moved to $new whose parent is not $old"
	else
		ok
	fi
	merges_wait "$(repo_of alice)"
	if ! $G fsck --strict --no-dangling >/dev/null 2>"$T/fsck"; then
		fail "round $i: fsck: $(cat "$T/fsck")"
		break
	fi
	# the next verb succeeds
	if ! "$MECH" app create "after$i" --image "nginx:2.$i" >/dev/null 2>"$T/next.err" ||
		! "$MECH" app -a "after$i" delete --force >/dev/null 2>>"$T/next.err"; then
		fail "round $i: next verb failed: $(cat "$T/next.err")"
		break
	fi
done
printf 'crash: %d rounds, the branch moved in %d of the killed runs\n' "$ROUNDS" "$moved"
fsck_ok alice
render_overlays alice # whatever was killed, what landed renders
finish
