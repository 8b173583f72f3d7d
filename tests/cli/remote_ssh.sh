#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Two mech hosts sharing one ssh:// remote served by a real sshd with
# git-shell (libgit2 + libssh2 on mech's side): seed, adopt, 16 concurrent
# writes split across the hosts never lose a commit; an unknown host key
# (in ~/.ssh/known_hosts or the gitops.known_hosts file) or a server that is
# down is exit 69 with nothing half-done.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
# libgit2's ssh transport leaks inside git_remote_connect_ext (tests/lsan.supp);
# its frames are only visible to LeakSanitizer with full unwinding.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}fast_unwind_on_malloc=0"
. "$SRC/tests/lib/sshd.sh"

require git-shell git
GIT_SHELL=$(command -v git-shell)
sshd_git_server "$T/sshd" "$T/gitkey" || { echo "sshd did not start" >&2; exit 1; }

mkdir -p "$T/srv"
git init -q --bare "$T/srv/alice.git"
R="git --git-dir=$T/srv/alice.git"
URL="ssh://root@127.0.0.1:$SSHD_PORT$T/srv/{tenant}.git"
for h in h1 h2; do
	mkdir -p "$T/$h"
	printf 'gitops:\n  remote: "%s"\n  ssh_key: "%s"\n' "$URL" "$T/gitkey" >"$T/$h/mech.yaml"
done
export GIT_SSH_COMMAND
GIT_SSH_COMMAND=$(sshd_git_ssh_command "$T/gitkey")
GURL="root@127.0.0.1:$T/srv/alice.git" # the same repository for the git CLI (port in GIT_SSH_COMMAND)

# The server itself works for the git CLI (else the harness is broken, not mech).
if git ls-remote "$GURL" >"$T/lsr" 2>"$T/lsr.err"; then ok; else
	fail "git ls-remote over ssh: $(cat "$T/lsr.err")"
	finish
fi
# the forced command really confines the key to git-shell
run sshd_ssh -i "$T/gitkey" -T root@127.0.0.1 -- "touch $T/canary" </dev/null
if [ "$rc" -ne 0 ] && [ ! -e "$T/canary" ]; then ok; else fail "the git key ran a shell command (exit $rc)"; fi

# Seed from host 1.
MECH_HOME="$T/h1" "$MECH" admin tenant add alice --json >"$T/h1.json" 2>"$T/h1.err"
rc=$?
if [ "$rc" -ne 0 ]; then
	# mech supports ssh:// remotes (libssh2, loaded on first use): an
	# "unsupported protocol" here is a regression, not a property of the machine
	fail "seeding over ssh:// exited $rc: $(cat "$T/h1.err")"
	finish
fi
ok
out=$(cat "$T/h1.json")
json_valid "$out" "seed --json"
expect_eq "$(json "$out" 'd["result"]["adopted"]')" "False" "first host seeds the remote"
seed=$(json "$out" 'd["commit"]')
expect_eq "$($R rev-parse main 2>&1)" "$seed" "the seed commit is on the remote"
expect_eq "$($R rev-list --count main)" "1" "one seed commit on the remote"

# Adopt from host 2.
MECH_HOME="$T/h2" "$MECH" admin tenant add alice --json >"$T/h2.json" 2>"$T/h2.err"
rc=$?
expect_eq "$rc" "0" "second host adopts over ssh: $(cat "$T/h2.err")"
out=$(cat "$T/h2.json")
expect_eq "$(json "$out" 'd["result"]["adopted"]')" "True" "second host adopts the seeded remote"
expect_eq "$(json "$out" 'd["commit"]')" "None" "adoption makes no commit"
expect_eq "$($R rev-list --count main)" "1" "still one commit on the remote"
expect_eq "$(git --git-dir="$T/h2/tenants/alice/gitops.git" rev-parse main 2>&1)" "$seed" "host 2's mirror holds the seed"

# 16 concurrent writes, split across the two hosts.
pids=()
for i in $(seq 1 16); do
	h=h$((i % 2 + 1))
	MECH_HOME="$T/$h" "$MECH" app create "svc$i" --image "nginx:1.$i" >"$T/out.$i" 2>"$T/err.$i" &
	pids+=($!)
done
codes=()
for i in $(seq 1 16); do
	if wait "${pids[$((i - 1))]}"; then codes[i]=0; ok; else
		codes[i]=$?
		fail "concurrent create svc$i over ssh:// exited ${codes[i]}: $(cat "$T/err.$i")"
	fi
done
# whatever the outcome, no acknowledged write is lost and no refused one half-lands
for i in $(seq 1 16); do
	if $R cat-file -e "main:apps/svc$i" 2>/dev/null; then on=0; else on=1; fi
	if [ "${codes[i]}" = 0 ]; then
		if [ "$on" = 0 ]; then ok; else fail "svc$i: exit 0 but not on the remote (a lost commit)"; fi
	else
		if [ "$on" = 1 ]; then ok; else fail "svc$i: exit ${codes[i]} but it is on the remote"; fi
	fi
done
expect_eq "$($R rev-list --count main)" "17" "seed + 16 commits on the remote"
expect_eq "$($R ls-tree --name-only main:apps | sort)" "$(for i in $(seq 1 16); do echo "svc$i"; done | sort)" \
	"the 16 apps on the remote"
expect_eq "$($R log --format=%s "$seed"..main | sed -n 's/^mechanics(app.create): add app //p' | sort -u | wc -l)" \
	"16" "16 distinct receipts"
expect_eq "$($R log --format=%P main | awk '{print NF}' | sort -u | tr '\n' ' ')" "0 1 " "linear history, no merges"
if $R fsck --strict --no-dangling >/dev/null 2>"$T/fsck"; then ok; else fail "fsck of the remote: $(cat "$T/fsck")"; fi
# the git CLI reads the same history over ssh
rhead=$($R rev-parse main)
expect_eq "$(git ls-remote "$GURL" refs/heads/main | cut -f1)" "$rhead" "git ls-remote over ssh sees the head"
if git clone -q "$GURL" "$T/clone" 2>"$T/clone.err"; then ok; else fail "git clone over ssh: $(cat "$T/clone.err")"; fi
expect_eq "$(git -C "$T/clone" rev-list --count HEAD 2>&1)" "17" "the clone has 17 commits"
expect_eq "$(find "$T/clone/apps" -mindepth 1 -maxdepth 1 -type d | wc -l)" "16" "the clone has 16 apps"
# both hosts follow the remote on their next read
for h in h1 h2; do
	MECH_HOME="$T/$h" "$MECH" log -n 100 --json >"$T/log.$h" 2>"$T/log.$h.err"
	expect_eq "$(json "$(cat "$T/log.$h")" 'len(d["result"]["commits"])')" "17" "$h sees every commit"
done
if grep -q "forced-command (key-option) '$GIT_SHELL" "$SSHD_LOG"; then ok; else fail "sshd did not serve mech through git-shell"; fi
MECH_HOME="$T/h2" render_overlays alice

# An unknown host key: refused (69), nothing written anywhere.
mv "$HOME/.ssh/known_hosts" "$T/known_hosts.good"
ssh-keygen -q -t ed25519 -N '' -f "$T/impostor" </dev/null
echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$T/impostor.pub")" >"$HOME/.ssh/known_hosts"
mirror1=$(git --git-dir="$T/h1/tenants/alice/gitops.git" rev-parse main)
MECH_HOME="$T/h1" "$MECH" app create spoofed --image nginx:1.27 >"$T/o" 2>"$T/e"
expect_eq "$?" "69" "a wrong host key is exit 69"
expect_in "$(cat "$T/e")" "Git remote" "the message names the remote"
expect_eq "$($R rev-parse main)" "$rhead" "remote unchanged after a host key mismatch"
expect_eq "$(git --git-dir="$T/h1/tenants/alice/gitops.git" rev-parse main)" "$mirror1" "mirror unchanged after a host key mismatch"
rm -f "$HOME/.ssh/known_hosts"
MECH_HOME="$T/h1" "$MECH" app create spoofed --image nginx:1.27 >"$T/o" 2>"$T/e"
expect_eq "$?" "69" "no known_hosts entry is exit 69"
expect_eq "$($R rev-parse main)" "$rhead" "remote unchanged without a known host key"
mv "$T/known_hosts.good" "$HOME/.ssh/known_hosts"
MECH_HOME="$T/h1" "$MECH" app create verified --image nginx:1.27 >"$T/o" 2>"$T/e"
expect_eq "$?" "0" "the right host key again: write lands: $(cat "$T/e")"
expect_eq "$($R rev-list --count main)" "18" "one more commit on the remote"
rhead=$($R rev-parse main)

# gitops.known_hosts: the file mech.yaml names is the one checked, not ~/.ssh/known_hosts.
cp "$HOME/.ssh/known_hosts" "$T/kh.good"
echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$T/impostor.pub")" >"$T/kh.bad"
cp "$T/kh.bad" "$HOME/.ssh/known_hosts" # the default file now holds a wrong key
cp "$T/h1/mech.yaml" "$T/h1.yaml.orig"
printf '  known_hosts: "%s"\n' "$T/kh.good" >>"$T/h1/mech.yaml"
MECH_HOME="$T/h1" "$MECH" app create pinned --image nginx:1.27 >"$T/o" 2>"$T/e"
expect_eq "$?" "0" "gitops.known_hosts with the server's key: write lands: $(cat "$T/e")"
expect_eq "$($R rev-list --count main)" "19" "one more commit on the remote"
rhead=$($R rev-parse main)
for case in bad:kh.bad missing:kh.missing; do
	f=$T/${case#*:}
	cp "$T/h1.yaml.orig" "$T/h1/mech.yaml"
	printf '  known_hosts: "%s"\n' "$f" >>"$T/h1/mech.yaml"
	MECH_HOME="$T/h1" "$MECH" app create "kh-${case%%:*}" --image nginx:1.27 --json >"$T/o" 2>"$T/e"
	expect_eq "$?" "69" "gitops.known_hosts ${case%%:*}: exit 69"
	out=$(cat "$T/o")
	expect_eq "$(json "$out" 'd["error"]["code"]')" "unavailable" "gitops.known_hosts ${case%%:*}: --json code"
	expect_in "$(json "$out" 'd["error"]["message"]')" "$f" "gitops.known_hosts ${case%%:*}: the message names the file"
	expect_in "$(json "$out" 'd["error"]["message"]')" "host key of 127.0.0.1:$SSHD_PORT" \
		"gitops.known_hosts ${case%%:*}: the message names the host"
	expect_eq "$($R rev-parse main)" "$rhead" "gitops.known_hosts ${case%%:*}: the remote is unchanged"
done
cp "$T/h1.yaml.orig" "$T/h1/mech.yaml"
cp "$T/kh.good" "$HOME/.ssh/known_hosts"

# The server goes away: exit 69, nothing half-done.
sshd_stop
for h in h1 h2; do
	M="git --git-dir=$T/$h/tenants/alice/gitops.git"
	mirror=$($M rev-parse main)
	MECH_HOME="$T/$h" "$MECH" app create late --image nginx:1.27 >"$T/o" 2>"$T/e"
	expect_eq "$?" "69" "$h: sshd down is exit 69"
	expect_in "$(cat "$T/e")" "Git remote" "$h: the message names the remote"
	expect_eq "$($M rev-parse main)" "$mirror" "$h: the mirror's branch is unchanged"
	expect_eq "$($M ls-tree --name-only main:apps | grep -c '^late$')" "0" "$h: no half-done local commit"
	merges_wait "$T/$h"
	if $M fsck --strict --no-dangling >/dev/null 2>"$T/fsck"; then ok; else fail "$h: fsck of the mirror: $(cat "$T/fsck")"; fi
done
MECH_HOME="$T/h2" "$MECH" app create late --image nginx:1.27 --json >"$T/o" 2>"$T/e"
expect_eq "$?" "69" "sshd down, --json"
out=$(cat "$T/o")
json_valid "$out" "unavailable --json"
expect_eq "$(json "$out" 'd["error"]["code"]')" "unavailable" "error code unavailable"
expect_eq "$($R rev-parse main)" "$rhead" "the remote is unchanged"
if $R fsck --strict --no-dangling >/dev/null 2>"$T/fsck"; then ok; else fail "final fsck of the remote: $(cat "$T/fsck")"; fi
finish
