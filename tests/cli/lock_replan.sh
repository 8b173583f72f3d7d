#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What a write checks, it checks on the head it commits on, however long it
# waited for the tenant lock: while it waits (the test holds the lock, and
# sees the write in the kernel's queue, /proc/locks), a person pushes, and
#  - a push changing the file the write rewrites gets the write refused
#    (exit 3, naming the person's commit), nothing written;
#  - a push changing another file gets the write committed on top of it,
#    both changes kept.
# The pause is the held lock, not a timer.
. "$(dirname "$0")/../lib/common.sh"
[ -r /proc/locks ] || skip "no /proc/locks to see the queue in"

seed_tenant alice
mech app create web --image nginx:1.27 --port 80
expect_rc 0 "app create web"
mech app create api --image nginx:1.27 --port 80
expect_rc 0 "app create api"
merges_wait
lock=$MECH_HOME/tenants/alice/lock
[ -f "$lock" ] || : >"$lock"
ino=$(stat -c %i "$lock")
G="git --git-dir=$(repo_of alice)"
waiting() { grep -qE -- "-> FLOCK +ADVISORY +WRITE +[0-9]+ [0-9a-f:]+:$ino " /proc/locks; }
queue() { # out err command…: start a write while the test holds the lock, until it waits
	exec 9>>"$lock"
	flock 9 || { fail "cannot take the tenant lock for the test"; finish; }
	"${@:3}" >"$1" 2>"$2" 9>&- &
	queued=$!
	for _ in $(seq 300); do waiting && break; sleep 0.1; done # hang guard: 30 s
	waiting && ok || fail "the write is not waiting for the tenant lock: $(cat /proc/locks)"
}
push() { # file message: a person's commit changing file, pushed while the write waits
	printf '# %s\n' "$2" >>"$T/clone/$1"
	git -C "$T/clone" commit -qam "$2" && git -C "$T/clone" push -q origin HEAD:main
	git -C "$T/clone" rev-parse HEAD
}
human_clone alice "$T/clone"

# the person changes the overlay set-image rewrites: refused as without the wait
queue "$T/o1" "$T/e1" "$MECH" app -a web set-image nginx:1.28
human=$(push apps/web/overlays/main/kustomization.yaml "pin web by hand")
exec 9>&- # let go: the write runs on the person's commit
wait "$queued"
expect_eq "$?" "3" "the queued write is refused: $(cat "$T/e1")"
expect_in "$(cat "$T/e1")" "$human" "the refusal names the person's commit"
expect_in "$(cat "$T/e1")" "apps/web/overlays/main/kustomization.yaml" "and the path"
expect_eq "$(head_of alice)" "$human" "nothing written over the person's commit"

# the person changes another app: the write lands on top, both changes kept
git -C "$T/clone" pull -q --rebase origin main
queue "$T/o2" "$T/e2" "$MECH" app -a api set-image nginx:1.29
human=$(push apps/web/overlays/main/kustomization.yaml "note on web")
exec 9>&-
wait "$queued"
expect_eq "$?" "0" "the queued write lands: $(cat "$T/e2")"
expect_eq "$($G rev-parse main^)" "$human" "on top of the person's commit"
expect_in "$($G show main:apps/api/overlays/main/kustomization.yaml)" "1.29" "the write's change"
expect_in "$($G show main:apps/web/overlays/main/kustomization.yaml)" "# note on web" \
	"the person's change kept"
fsck_ok alice
finish
