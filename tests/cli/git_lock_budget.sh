#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A ref lock someone else holds longer than a write waits for locks (a git
# killed mid-update, a hook that hangs) is never removed: the write waits its
# budget (a minute), then exits 75 naming the lock file and its age, with
# nothing written, and the lock stays where it was. (Its own file: the wait
# is a minute.)
. "$(dirname "$0")/../lib/common.sh"

seed_tenant alice
R=$(repo_of alice)
G="git --git-dir=$R"
head=$(head_of alice)

# a lock as git leaves it (the value it was writing), five minutes old, and
# beside it a claim a killed mech left after its own lock was gone: the claim
# must not make mech take the foreign lock for its own
printf '%s\n' "$head" >"$R/refs/heads/main.lock"
touch -d '5 minutes ago' "$R/refs/heads/main.lock"
cp -p "$R/refs/heads/main.lock" "$T/lock.copy"
inode=$(stat -c %i "$R/refs/heads/main.lock")
mkdir -p "$R/mech-claims/refs/heads"
printf '%s\n' "$head" >"$R/mech-claims/refs/heads/main"

mech app create web --image nginx:1.27
expect_rc 75 "a write whose ref stays locked by another process"
expect_in "$err" "$R/refs/heads/main.lock" "the error names the lock file"
age=$(sed -n 's/.*(created \([0-9]*\) s ago).*/\1/p' <<<"$err")
[ -n "$age" ] && [ "$age" -ge 300 ] && ok || fail "the error gives the lock's age (5 minutes): $err"
expect_in "$err" "nothing was written" "the error says nothing was written"
expect_in "$err" "remove $R/refs/heads/main.lock" "the hint says what to do if no git runs"
[ -e "$R/refs/heads/main.lock" ] && ok || fail "the other process's lock was removed"
expect_eq "$(stat -c %i "$R/refs/heads/main.lock")" "$inode" "the lock is the same file"
cmp -s "$R/refs/heads/main.lock" "$T/lock.copy" && ok || fail "the lock's content changed"
expect_eq "$(head_of alice)" "$head" "the branch did not move"
[ -z "$($G log --format=%H main --grep='^Mechanics-Target: app/web$')" ] && ok ||
	fail "a receipt landed although the write failed"

# once the lock is gone (its holder finished, or a human removed it) writes go on
rm "$R/refs/heads/main.lock"
mech app create web --image nginx:1.27
expect_rc 0 "the write after the lock is gone"
fsck_ok alice
finish
