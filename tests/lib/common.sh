# SPDX-License-Identifier: Apache-2.0
# Shared helpers for end-to-end tests: a hermetic temp home, assertions,
# skipping, and independent checks with the git CLI. Source it from a test
# script. docs/testing.md describes the rules these helpers enforce.
set -u
MECH=${MECH:?MECH must point at the built mech binary}
SRC=${MECH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# The exit code of a skipped test. It is none of mech's exit codes (0-4,
# 64-78), nor 126/127 (cannot run) or 128+N (a signal): a test that only
# passes mech's code through cannot be mistaken for a skip. git bisect run
# gives 125 the same meaning. tests/CMakeLists.txt reads it from this line.
readonly MECH_TEST_SKIP_CODE=125
# The test's name as ctest knows it (cli/crash), for messages and the allow list.
TEST_NAME=${MECH_TEST_NAME:-$(p=$(realpath -- "$0") && p=${p#"$(realpath -- "$SRC")/tests/"} && echo "${p%.sh}")}
_test_exit= # how the script means to end: skip, finish (set just before exiting)
SKIPPED_PARTS=()
T=$(mktemp -d "${TMPDIR:-/tmp}/mech-test.XXXXXX")
export HOME="$T/userhome" MECH_HOME="$T/home" TZ=UTC LANG=C.UTF-8 NO_COLOR=1
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME="Hanna Human" GIT_AUTHOR_EMAIL=hanna@example.com
export GIT_COMMITTER_NAME="Hanna Human" GIT_COMMITTER_EMAIL=hanna@example.com
unset MECH_TENANT SSH_ORIGINAL_COMMAND
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global protocol.file.allow always
PASS=0
FAIL=0
cleanup_hooks=()
# Wait for the pack merges writes started in the background (core/git/maint.c,
# mech_maint_run): each holds an flock on its repo's compact.lock.
merges_wait() { # [dir]: every repo under it, default $T
	local l
	while IFS= read -r l; do flock "$l" true; done < <(find "${1:-$T}" -name compact.lock 2>/dev/null)
}
# The EXIT trap (tests/lib/sshd.sh chains its own in front of it): undo the
# test's side effects, then make sure the exit status says what happened.
# An exit with the skip code that skip() did not make (a `set -e` script
# stopped by a command that happened to exit 125) and an exit 0 that
# finish() did not make (an early `exit 0` hides every check after it) are
# failures.
cleanup() {
	local rc=$? h
	for h in "${cleanup_hooks[@]+"${cleanup_hooks[@]}"}"; do eval "$h" || true; done
	merges_wait
	rm -rf "$T"
	if [ "$rc" -eq "$MECH_TEST_SKIP_CODE" ] && [ "$_test_exit" != skip ]; then
		printf 'FAIL: %s: exit %d is the skip code, but skip was not called: an unexpected exit of a command (set -e?) is a failure, not a skip\n' \
			"$TEST_NAME" "$rc" >&2
		exit 1
	fi
	if [ "$rc" -eq 0 ] && [ "$_test_exit" != finish ]; then
		printf 'FAIL: %s: exit 0 before finish: the checks after it did not run\n' "$TEST_NAME" >&2
		exit 1
	fi
}
trap cleanup EXIT

# skip REASON...: this test cannot run on this machine; say why and stop.
# The one way a test skips. Under MECH_TEST_STRICT=1 a skip is a failure,
# unless MECH_TEST_ALLOW_SKIP has a line "NAME: reason" for this test.
skip() {
	if [ "${MECH_TEST_STRICT:-0}" = 1 ] && ! skip_allowed; then
		printf 'FAIL: strict mode: %s would have skipped: %s\n' "$TEST_NAME" "$*" >&2
		_test_exit=strict
		exit 1
	fi
	printf 'SKIP: %s: %s\n' "$TEST_NAME" "$*" >&2
	_test_exit=skip
	exit "$MECH_TEST_SKIP_CODE"
}
# skip_allowed: does MECH_TEST_ALLOW_SKIP ("NAME: reason" lines) let this test skip?
skip_allowed() {
	local line reason
	while IFS= read -r line; do
		line=${line#"${line%%[![:space:]]*}"}
		[ "${line%%:*}" = "$TEST_NAME" ] && [ "$line" != "$TEST_NAME" ] || continue
		reason=${line#*:}
		if [ -z "${reason//[[:space:]]/}" ]; then
			printf 'MECH_TEST_ALLOW_SKIP lists %s without a reason\n' "$TEST_NAME" >&2
			return 1
		fi
		return 0
	done <<<"${MECH_TEST_ALLOW_SKIP:-}"
	return 1
}
# skip_part REASON...: one part of the test cannot run here; the rest goes
# on. If nothing fails, finish then skips the whole test with the reasons,
# so a test counts as passed only when every part of it ran.
skip_part() {
	printf 'SKIP (part): %s\n' "$*" >&2
	SKIPPED_PARTS+=("$*")
}
# need TOOL [why]: a tool `make deps` does not install (kubectl, valgrind):
# without it the test cannot run here (skip; strict mode: fail)
need() {
	command -v "$1" >/dev/null 2>&1 || skip "${2:-$1 is not installed}"
}
# require TOOL [PACKAGE]: a tool `make deps` installs: missing, it is a
# failure, not a skip (the suite's own set-up is broken)
require() {
	command -v "$1" >/dev/null 2>&1 && return 0
	printf 'FAIL: %s: %s is missing (Debian package %s, which make deps installs)\n' \
		"$TEST_NAME" "$1" "${2:-$1}" >&2
	_test_exit=require
	exit 1
}

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds (0) or
# SECONDS pass (1). SECONDS is a hang guard, never what a test asserts: wait
# for the state, then check it.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}
ok() { PASS=$((PASS + 1)); }
fail() {
	FAIL=$((FAIL + 1))
	printf 'FAIL: %s\n' "$*" >&2
}
# run CMD... : captures $out, $err, $rc
run() {
	out=$("$@" 2>"$T/stderr") && rc=0 || rc=$?
	err=$(cat "$T/stderr")
}
mech() { run "$MECH" "$@"; }
# exit_words CODE: "exit 3", or "exit 139 (killed by signal 11, SEGV)"
exit_words() {
	if [ "$1" -gt 128 ] && [ "$1" -lt 160 ]; then
		printf 'exit %d (killed by signal %d, %s)' "$1" $(($1 - 128)) "$(kill -l $(($1 - 128)) 2>/dev/null)"
	else
		printf 'exit %d' "$1"
	fi
}
expect_rc() {
	if [ "$rc" -eq "$1" ]; then ok; else fail "$2: $(exit_words "$rc"), want $1; stdout: ${out:0:400}; stderr: ${err:0:400}"; fi
}
expect_in() { # haystack needle what
	case "$1" in *"$2"*) ok ;; *) fail "$3: missing \"$2\" in: ${1:0:600}" ;; esac
}
expect_not_in() {
	case "$1" in *"$2"*) fail "$3: unexpected \"$2\" in: ${1:0:600}" ;; *) ok ;; esac
}
expect_eq() {
	if [ "$1" = "$2" ]; then ok; else fail "$3: got \"$1\", want \"$2\""; fi
}
repo_of() { echo "$MECH_HOME/tenants/$1/gitops.git"; }
head_of() { git --git-dir="$(repo_of "$1")" rev-parse refs/heads/main; }
fsck_ok() { # tenant
	merges_wait "$(repo_of "$1")"
	if git --git-dir="$(repo_of "$1")" fsck --strict --no-dangling >/dev/null 2>"$T/fsck"; then ok
	else fail "git fsck --strict on $1: $(cat "$T/fsck")"; fi
}
# jq-free JSON field read with Debian's python (python3 on PATH may differ)
json() { # json-text python-expression-on-d
	/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$2" <<<"$1"
}
json_valid() { # text what: exactly one JSON object
	if /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert isinstance(d, dict)' <<<"$1" 2>/dev/null
	then ok; else fail "$2: stdout is not one JSON object: ${1:0:300}"; fi
}
# seed_random: for a randomized test. Seeds bash's $RANDOM from
# MECH_TEST_SEED, or from a fresh random seed, and prints it so a failure
# can be replayed: MECH_TEST_SEED=N ctest -R NAME.
TEST_SEED=
seed_random() {
	TEST_SEED=${MECH_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	case $TEST_SEED in
	'' | *[!0-9]*)
		fail "MECH_TEST_SEED must be a decimal number, not \"$TEST_SEED\""
		finish
		;;
	esac
	printf '%s: seed %s (replay: MECH_TEST_SEED=%s ctest -R %s)\n' "$TEST_NAME" "$TEST_SEED" \
		"$TEST_SEED" "$TEST_NAME"
	RANDOM=$TEST_SEED
}
finish() {
	local part
	printf '%d passed, %d failed\n' "$PASS" "$FAIL"
	if [ "$FAIL" -ne 0 ] && [ -n "$TEST_SEED" ]; then
		printf 'replay this run: MECH_TEST_SEED=%s ctest -R %s\n' "$TEST_SEED" "$TEST_NAME" >&2
	fi
	if [ "$FAIL" -eq 0 ] && [ "$PASS" -eq 0 ]; then
		fail "no check ran"
	fi
	if [ "$FAIL" -ne 0 ]; then
		for part in "${SKIPPED_PARTS[@]+"${SKIPPED_PARTS[@]}"}"; do
			printf 'also not run: %s\n' "$part" >&2
		done
		_test_exit=finish
		exit 1
	fi
	if [ ${#SKIPPED_PARTS[@]} -gt 0 ]; then
		skip "$PASS checks passed, but not every part ran: $(printf '%s; ' "${SKIPPED_PARTS[@]}")"
	fi
	_test_exit=finish
	exit 0
}
seed_tenant() { # name
	"$MECH" admin init >/dev/null 2>&1
	"$MECH" admin tenant add "$1" >/dev/null 2>"$T/seed.err" || { cat "$T/seed.err" >&2; exit 1; }
}
human_clone() { # tenant dir
	git clone -q "$(repo_of "$1")" "$2"
}
# hotfix_by_hand TENANT DIR: a person's clone in DIR pins web/main to
# nginx:1.27-hotfix ("hotfix web by hand") and pushes it: the human change
# the console tests then force a write over
hotfix_by_hand() {
	human_clone "$1" "$2"
	sed -i 's/newTag: .*/newTag: "1.27-hotfix"/' "$2/apps/web/overlays/main/kustomization.yaml"
	(cd "$2" && git commit -qam "hotfix web by hand" && git push -q origin HEAD:main)
}
