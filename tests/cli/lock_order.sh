#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The tenant lock serves writers first come, first served: while the lock
# is held, four writes queue one after another (each seen waiting in the
# kernel's queue, /proc/locks, before the next starts); once it is let go
# their commits land in the order they arrived. A writer that polled for
# the lock is never seen queued, and could be overtaken by later ones.
. "$(dirname "$0")/../lib/common.sh"
[ -r /proc/locks ] || skip "no /proc/locks to see the queue in"

seed_tenant alice
merges_wait
lock=$MECH_HOME/tenants/alice/lock
[ -f "$lock" ] || : >"$lock"
ino=$(stat -c %i "$lock")
# queued PID: is PID waiting for the lock (a "->" line of /proc/locks)?
queued() { grep -qE -- "-> FLOCK +ADVISORY +WRITE +$1 [0-9a-f:]+:$ino " /proc/locks; }

exec 9>>"$lock"
flock 9 || { fail "cannot take the tenant lock for the test"; finish; }
pids=()
for k in 1 2 3 4; do
	"$MECH" app create "w$k" --image nginx:1.27 >"$T/out.$k" 2>"$T/err.$k" 9>&- &
	pids+=($!)
	for _ in $(seq 300); do queued "$!" && break; sleep 0.1; done # hang guard: 30 s
	if queued "$!"; then ok; else
		fail "write w$k is not waiting in the lock's queue: $(cat /proc/locks)"
		exec 9>&-
		finish
	fi
done
exec 9>&- # let go: the queue drains
for k in 1 2 3 4; do
	wait "${pids[$((k - 1))]}" && ok || fail "write w$k: $(cat "$T/err.$k")"
done
G="git --git-dir=$(repo_of alice)"
expect_eq "$($G log --reverse --format=%s -n 4 main | sed 's/.*add app //' | paste -sd' ')" \
	"w1 w2 w3 w4" "commits in the order the writers arrived"
fsck_ok alice
finish
