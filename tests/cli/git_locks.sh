#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The ref lock is shared with git (core/git/ref.c): a lock a human's push holds
# is waited for, never removed, so neither update is lost; a lock a killed
# mech left is recognised as its own and removed by the next write.
# (A lock held past the budget: git_lock_budget.sh.)
. "$(dirname "$0")/../lib/common.sh"
need strace "strace is not installed (make deps installs it)"

seed_tenant alice
R=$(repo_of alice)
G="git --git-dir=$R"
human_clone alice "$T/h"

# wait (bounded) for a file to appear; the caller checks it did
appear() { local i; for ((i = 0; i < 400; i++)); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }

# --- a human's push holds refs/heads/main.lock for 4 s (its
# reference-transaction hook runs while git holds the lock), and mech writes
# meanwhile: both land. (mech used to remove a lock older than 2 s; git then
# lost its own update, or reported it accepted while mech's took its place.)
cat >"$R/hooks/reference-transaction" <<'EOF'
#!/bin/sh
cat >/dev/null
[ "$1" = prepared ] && sleep 4
exit 0
EOF
chmod +x "$R/hooks/reference-transaction"
printf 'from a human\n' >"$T/h/HUMAN.md"
git -C "$T/h" add HUMAN.md && git -C "$T/h" commit -qm "docs: a human's note"
human=$(git -C "$T/h" rev-parse HEAD)
git -C "$T/h" push -q origin main 2>"$T/push.err" &
push=$!
appear "$R/refs/heads/main.lock" && ok || fail "the human's push never took refs/heads/main.lock"
mech app create web --image nginx:1.27
expect_rc 0 "a write while a human's push holds the ref lock"
wait "$push" && ok || fail "the human's push failed: $(cat "$T/push.err")"
rm "$R/hooks/reference-transaction"
$G merge-base --is-ancestor "$human" main && ok || fail "the human's commit is not on main"
expect_eq "$($G log --format=%s main --grep='^Mechanics-Target: app/web$' | head -1)" \
	"mechanics(app.create): add app web" "mech's receipt is on main"
expect_eq "$($G rev-list --count main)" "3" "seed, the human's commit and mech's: nothing lost"
expect_eq "$($G show main:HUMAN.md)" "from a human" "the human's file is in the tree mech wrote"
[ ! -e "$R/refs/heads/main.lock" ] && ok || fail "a ref lock stayed behind"
fsck_ok alice

# --- a write killed while it holds the ref lock (SIGKILL as it renames the
# lock over the ref) leaves the lock; it is mech's own (a hard link to its
# claim), so the next write removes it and lands
head=$(head_of alice)
{ strace -f -o /dev/null -P "$R/refs/heads/main.lock" -e trace=rename -e inject=rename:signal=KILL \
	"$MECH" app create killed --image nginx:1.27 >/dev/null; } 2>/dev/null
expect_eq "$?" "137" "the write was killed (SIGKILL) at its ref update"
expect_eq "$(head_of alice)" "$head" "the killed write did not move the branch"
[ -e "$R/refs/heads/main.lock" ] && ok || fail "the killed write left no lock (the test did not kill it where it meant to)"
mech app create after --image nginx:1.27
expect_rc 0 "the write after a killed one"
[ ! -e "$R/refs/heads/main.lock" ] && ok || fail "the killed write's lock is still there"
[ -z "$(find "$R/mech-claims" -type f)" ] && ok || fail "a claim stayed behind: $(find "$R/mech-claims" -type f)"
expect_eq "$($G rev-parse main~1)" "$head" "the write after it builds on the old head"
git -C "$T/h" pull -q --rebase origin main && printf 'again\n' >>"$T/h/HUMAN.md" &&
	git -C "$T/h" commit -qam "docs: again" && git -C "$T/h" push -q origin main &&
	ok || fail "a human push after the recovered lock"
fsck_ok alice

# --- a write whose ref lock is taken only for a moment (a concurrent
# human push without hooks) still lands: many of each at once, none lost
for i in $(seq 1 8); do git clone -q "$R" "$T/h$i"; done
pids=()
for i in $(seq 1 8); do
	(
		export GIT_AUTHOR_NAME="Hanna $i"
		printf '%s\n' "$i" >"$T/h$i/human$i.txt"
		git -C "$T/h$i" add "human$i.txt" && git -C "$T/h$i" commit -qm "human $i"
		# a push that loses the race (lock taken, or main moved) pulls and tries again
		for _ in $(seq 1 50); do
			git -C "$T/h$i" push -q origin main 2>/dev/null && exit 0
			git -C "$T/h$i" pull -q --rebase origin main 2>/dev/null || true
		done
		exit 1
	) &
	pids+=($!)
	"$MECH" app create "race$i" --image nginx:1.27 >/dev/null 2>"$T/race$i.err" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a racing push or write failed: $(cat "$T"/race*.err)"; done
for i in $(seq 1 8); do
	[ -n "$($G log --format=%H main --grep="^Mechanics-Target: app/race$i\$")" ] && ok ||
		fail "mech's write race$i is not on main"
	[ -n "$($G log --format=%H main --author="Hanna $i" --grep="^human $i\$")" ] && ok ||
		fail "human push $i is not on main"
done
fsck_ok alice
finish
