#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A Git remote over ssh (sshd + git-shell) that refuses for good is not
# contention: a pre-receive hook that declines, or a gitolite-style update
# hook that denies the branch, ends the write at once with exit 77, the
# server's own reason on stderr and in JSON, exactly one push attempt and
# nothing moved; a remote that takes the push again works as before. A
# silent ssh server (accepts, never sends its banner) is bounded by
# gitops.timeout. The same over HTTP: remote_faults.sh.
. "$(dirname "$0")/../lib/common.sh"
# libgit2's ssh transport leaks inside git_remote_connect_ext (tests/lsan.supp);
# its frames are only visible to LeakSanitizer with full unwinding.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}fast_unwind_on_malloc=0"
. "$SRC/tests/lib/sshd.sh"

require git-shell git
sshd_git_server "$T/sshd" "$T/gitkey" || { echo "sshd did not start" >&2; exit 1; }

mkdir -p "$T/srv" "$MECH_HOME"
git init -q --bare "$T/srv/alice.git"
R="git --git-dir=$T/srv/alice.git"
M="git --git-dir=$MECH_HOME/tenants/alice/gitops.git"
URL_ALICE="ssh://root@127.0.0.1:$SSHD_PORT$T/srv/alice.git"
printf 'gitops:\n  remote: "%s"\n  ssh_key: "%s"\n  fsync: false\n' \
	"ssh://root@127.0.0.1:$SSHD_PORT$T/srv/{tenant}.git" "$T/gitkey" >"$MECH_HOME/mech.yaml"

mech admin tenant add alice
expect_rc 0 "seeding over ssh: $err"
mech app create web --image nginx:1.27
expect_rc 0 "a write over ssh: $err"

# attempts: how many times the hooks ran
hook() { # hook-name reason-line
	cat >"$T/srv/alice.git/hooks/$1" <<HOOK
#!/bin/sh
echo attempt >>"$T/$1.count"
echo "$2" >&2
exit 1
HOOK
	chmod +x "$T/srv/alice.git/hooks/$1"
}
declined() { # hook-name status reason
	local before mirror
	before=$($R rev-parse main)
	mirror=$($M rev-parse main)
	: >"$T/$1.count"
	mech app create "denied-$1" --image nginx:1.27 --json
	expect_rc 77 "$1 declines over ssh: forbidden (77)"
	json_valid "$out" "$1 --json"
	expect_eq "$(json "$out" 'd["error"]["code"]')" "forbidden" "$1: JSON code forbidden"
	expect_in "$(json "$out" 'd["error"]["message"]')" "$2" "$1: the server's status"
	expect_in "$(json "$out" 'd["error"]["message"]')" "$3" "$1: the hook's own reason"
	expect_in "$(json "$out" 'd["error"]["message"]')" "$URL_ALICE" "$1: the remote is named"
	expect_eq "$(wc -l <"$T/$1.count")" "1" "$1: exactly one push attempt"
	expect_eq "$($R rev-parse main)" "$before" "$1: the remote is unchanged"
	expect_eq "$($M rev-parse main)" "$mirror" "$1: the local mirror is unchanged"
	mech app create "denied-$1" --image nginx:1.27
	expect_rc 77 "$1: text output 77"
	expect_in "$err" "$3" "$1: the reason on stderr"
	expect_eq "$(wc -l <"$T/$1.count")" "2" "$1: one more attempt, not eight"
	rm "$T/srv/alice.git/hooks/$1"
}
hook pre-receive "frozen: main is closed for deploys"
declined pre-receive "pre-receive hook declined" "frozen: main is closed for deploys"
# gitolite refuses a branch in its update hook: "FATAL: W refs/heads/main ... DENIED"
hook update "FATAL: W refs/heads/main alice mech DENIED by fallthru"
declined update "hook declined" "FATAL: W refs/heads/main alice mech DENIED by fallthru"

mech app create accepted --image nginx:1.27
expect_rc 0 "without the hooks the write lands: $err"
if $R cat-file -e main:apps/accepted 2>/dev/null; then ok; else fail "accepted is not on the remote"; fi

# a silent ssh server: accepts the connection, never sends its banner
echo hang >"$T/mode"
: >"$T/events"
/usr/bin/python3 "$SRC/tests/lib/fault_proxy.py" "$SSHD_PORT" "$T/proxy.port" "$T/mode" \
	"$T/events" 2>>"$T/proxy.log" &
cleanup_hooks+=("kill $! 2>/dev/null; wait $! 2>/dev/null")
wait_until 20 test -s "$T/proxy.port" || { fail "the fault proxy did not start: $(cat "$T/proxy.log")"; finish; }
PORT=$(cat "$T/proxy.port")
printf 'gitops:\n  remote: "%s"\n  ssh_key: "%s"\n  timeout: 1500ms\n  fsync: false\n' \
	"ssh://root@127.0.0.1:$PORT$T/srv/{tenant}.git" "$T/gitkey" >"$MECH_HOME/mech.yaml"
mirror=$($M rev-parse main)
run timeout 120 "$MECH" app create silent --image nginx:1.27
expect_rc 69 "a silent ssh server is exit 69"
expect_in "$err" "ssh://root@127.0.0.1:$PORT" "the message names the remote"
expect_in "$err" "1500ms (gitops.timeout" "and the timeout"
expect_in "$(cat "$T/events")" "hang" "the proxy held the connection"
expect_eq "$($M rev-parse main)" "$mirror" "the mirror is unchanged"
$R fsck --strict --no-dangling >/dev/null 2>"$T/fsck" && ok || fail "fsck of the remote: $(cat "$T/fsck")"
finish
