#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The test library's exits say what happened (docs/testing.md): skip() is
# the one way to skip and exits with the skip code; strict mode turns a
# skip into a failure unless MECH_TEST_ALLOW_SKIP names the test with a
# reason; a `set -e` script stopped by a command that exits with the skip
# code, an exit 0 before finish and a test that checked nothing all fail;
# sshd.sh's chained EXIT trap keeps those rules and removes its copy of
# mech. The unit tests' skip.c follows the same rules. Each case is a small
# script run in its own process.
. "$(dirname "$0")/../lib/common.sh"

# child NAME BODY: a test script that sources the library, then runs BODY
child() {
	cat >"$T/$1.sh" <<EOF
. "$SRC/tests/lib/common.sh"
echo "\$T" >"$T/$1.tmpdir"
$2
EOF
}
# outcome NAME WANT-EXIT WANT-STDERR [env assignments...]: run child NAME
outcome() {
	local name=$1 want=$2 msg=$3
	shift 3
	# the run's own strict mode (CI's, say) must not leak into the cases
	env -u MECH_TEST_STRICT -u MECH_TEST_ALLOW_SKIP MECH_TEST_NAME="harness/$name" "$@" \
		bash "$T/$name.sh" >"$T/$name.out" 2>"$T/$name.err" &&
		rc=0 || rc=$?
	out=$(cat "$T/$name.out") err=$(cat "$T/$name.err")
	expect_rc "$want" "$name ($*)"
	[ -z "$msg" ] || expect_in "$out$err" "$msg" "$name: output ($*)"
	if [ -s "$T/$name.tmpdir" ] && [ -e "$(cat "$T/$name.tmpdir")" ]; then
		fail "$name: its temp directory $(cat "$T/$name.tmpdir") was left behind"
	else ok; fi
}
S=$MECH_TEST_SKIP_CODE
[ "$S" -ne 77 ] && [ "$S" -lt 126 ] && [ "$S" -gt 78 ] && ok ||
	fail "the skip code $S collides with mech's exit codes or the shell's"

# ---- skip, and strict mode ------------------------------------------------------
child skipper 'skip "no widget here"; fail "ran on after skip"'
outcome skipper "$S" "SKIP: harness/skipper: no widget here" MECH_TEST_STRICT=0
outcome skipper 1 "FAIL: strict mode: harness/skipper would have skipped: no widget here" \
	MECH_TEST_STRICT=1
outcome skipper "$S" "SKIP: harness/skipper: no widget here" MECH_TEST_STRICT=1 \
	"MECH_TEST_ALLOW_SKIP=harness/other: not this one
  harness/skipper: this runner has no widgets"
outcome skipper 1 "lists harness/skipper without a reason" MECH_TEST_STRICT=1 \
	"MECH_TEST_ALLOW_SKIP=harness/skipper:  "
outcome skipper 1 "would have skipped" MECH_TEST_STRICT=1 "MECH_TEST_ALLOW_SKIP=harness/skip: a prefix"
child needer 'need no-such-tool-mech "no-such-tool-mech is not installed"; ok; finish'
outcome needer "$S" "no-such-tool-mech is not installed"
outcome needer 1 "strict mode" MECH_TEST_STRICT=1
child requirer 'require no-such-tool-mech some-package; ok; finish'
outcome requirer 1 "no-such-tool-mech is missing (Debian package some-package"

# ---- exits that are not what they seem -----------------------------------------------
child stray125 'set -e; ok; bash -c "exit $MECH_TEST_SKIP_CODE"; finish'
outcome stray125 1 "is the skip code, but skip was not called"
child exit125 'ok; exit $MECH_TEST_SKIP_CODE'
outcome exit125 1 "is the skip code, but skip was not called"
child subshell 'set -e; ok; x=$(skip "inside \$(...)"); finish'
outcome subshell 1 "is the skip code, but skip was not called"
child early0 'ok; exit 0; fail "never reached"; finish'
outcome early0 1 "exit 0 before finish"
child passes 'ok; finish'
outcome passes 0 "1 passed, 0 failed"
child fails 'ok; fail "a wrong thing"; finish'
outcome fails 1 "FAIL: a wrong thing"
child nothing 'finish'
outcome nothing 1 "no check ran"
child parts 'ok; skip_part "the groff half"; ok; finish'
outcome parts "$S" "not every part ran: the groff half"
outcome parts 1 "strict mode: harness/parts would have skipped" MECH_TEST_STRICT=1
child partsfail 'skip_part "the groff half"; fail "broken"; finish'
outcome partsfail 1 "also not run: the groff half"
child crash 'run bash -c "kill -SEGV \$\$"; expect_rc 0 "a crash"; finish'
outcome crash 1 "a crash: exit 139 (killed by signal 11, SEGV), want 0"

# ---- a randomized test's seed: printed, and the same seed gives the same numbers ----
child seeded 'seed_random; echo "numbers $RANDOM $RANDOM $RANDOM"; ok; finish'
outcome seeded 0 "harness/seeded: seed 4242 (replay: MECH_TEST_SEED=4242 ctest -R harness/seeded)" \
	MECH_TEST_SEED=4242
first=$(grep '^numbers' <<<"$out")
outcome seeded 0 "" MECH_TEST_SEED=4242
expect_eq "$(grep '^numbers' <<<"$out")" "$first" "the same seed, the same random numbers"
outcome seeded 0 "replay: MECH_TEST_SEED="
child seedfail 'seed_random; fail "unlucky"; finish'
outcome seedfail 1 "replay this run: MECH_TEST_SEED=99 ctest -R harness/seedfail" MECH_TEST_SEED=99

# ---- the same through sshd.sh's EXIT trap, chained in front of common.sh's ----------
SSHD=". \"$SRC/tests/lib/sshd.sh\"; _sshd_install_traps;"
child sshd_stray "$SSHD set -e; ok; bash -c \"exit \$MECH_TEST_SKIP_CODE\"; finish"
outcome sshd_stray 1 "is the skip code, but skip was not called"
child sshd_skip "$SSHD sshd_skip 'no sshd here'"
outcome sshd_skip "$S" "SKIP: harness/sshd_skip: no sshd here"
outcome sshd_skip 1 "strict mode: harness/sshd_skip would have skipped: no sshd here" MECH_TEST_STRICT=1
child sshd_pass "$SSHD ok; finish"
outcome sshd_pass 0 ""
child sshd_early0 "$SSHD ok; exit 0"
outcome sshd_early0 1 "exit 0 before finish"
if [ "$(id -u)" = 0 ]; then
	# the copy for sshd: root-owned, 0755 all the way up, gone after the test
	child sshd_copy "$SSHD sshd_copy_command \"\$MECH\" && echo \"\$SSHD_COMMAND\" >$T/copy &&
		[ \"\$(stat -c '%U %a' \"\$(dirname \"\$SSHD_COMMAND\")\")\" = 'root 755' ] && ok; finish"
	outcome sshd_copy 0 ""
	case "$(cat "$T/copy")" in /run/mech-test.*/mech) ok ;; *) fail "the copy is at $(cat "$T/copy")" ;; esac
	[ ! -e "$(dirname "$(cat "$T/copy")")" ] && ok || fail "the copy's directory was left behind"
	child sshd_nocopy "$SSHD MECH=/tmp/not-there; sshd_start $T/sshd-nocopy \"AuthorizedKeysCommand $T/x ssh-keys\" || fail 'refused'; finish"
	outcome sshd_nocopy 1 "sshd_copy_command"
else
	# as any other user, the copy is a skip that says why
	child sshd_copy "$SSHD sshd_copy_command \"\$MECH\"; ok; finish"
	outcome sshd_copy "$S" "the sshd tests run as root"
fi

# ---- the unit tests' main(): skipped tests make the binary exit with the skip code ----
U=${MECH_TEST_BIN_DIR:?MECH_TEST_BIN_DIR must name the tests directory of the build}/test_manifest
filter=--filter=manifest/validator_refuses_broken_manifests
unit() { # want message [env...]
	local want=$1 msg=$2
	shift 2
	env -u MECH_TEST_STRICT -u MECH_TEST_ALLOW_SKIP MECH_TEST_NAME=unit/test_manifest \
		MECH_SPEC_DIR="$T/no-spec" "$@" "$U" --jobs 1 $filter \
		>"$T/unit.out" 2>&1 && rc=0 || rc=$?
	out=$(cat "$T/unit.out") err=$out
	expect_rc "$want" "test_manifest without ../shared ($*)"
	expect_in "$out" "$msg" "test_manifest without ../shared: output ($*)"
}
unit "$S" "SKIP: unit/test_manifest: manifest::validator_refuses_broken_manifests: MECH_SPEC_DIR"
unit 1 "strict mode: unit/test_manifest would have skipped: MECH_SPEC_DIR" MECH_TEST_STRICT=1
unit "$S" "1 test(s) skipped" MECH_TEST_STRICT=1 "MECH_TEST_ALLOW_SKIP=unit/test_manifest: no ../shared here"
unit 1 "strict mode" MECH_TEST_STRICT=1 "MECH_TEST_ALLOW_SKIP=unit/test_manifest:"
finish
