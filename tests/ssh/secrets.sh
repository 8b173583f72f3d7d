#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `secret set` over the SSH front door: `ssh -T host -- secret set NAME KEY
# < file` carries the value on the channel's stdin, so it reaches the
# cluster (mech sim) but not argv, sshd's log, mech's output or Git; the
# ledger is authored by the key's identity. `secret list` and `info` work
# over SSH too.
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"
. "$SRC/tests/lib/sshd.sh"

sshd_copy_command "$MECH" || { echo "cannot copy $MECH for sshd" >&2; exit 1; }
MECH=$SSHD_COMMAND

"$MECH" admin init >/dev/null 2>&1 || { echo "admin init failed" >&2; exit 1; }
ssh-keygen -q -t ed25519 -N '' -C alice@example.com -f "$T/alice" </dev/null
mech admin tenant add alice --key "$T/alice.pub"
expect_rc 0 "tenant add alice --key"
sim_start
sim_config
ns_ready() { curl -sf -o /dev/null "$SIM_URL/api/v1/namespaces/x-alice"; }
wait_until 60 ns_ready || { fail "the sim never made namespace x-alice"; finish; }
sshd_mech_conf "$MECH" "$MECH_HOME" root || exit 1
sshd_start "$T/sshd" "${SSHD_MECH_CONF[@]}" || { echo "sshd did not start" >&2; exit 1; }

VALUE="ssh-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$VALUE" >"$T/value"
R=$(repo_of alice)
base=$(head_of alice)
run sshd_ssh -i "$T/alice" -T root@127.0.0.1 -- secret set db-pass password <"$T/value"
expect_rc 0 "ssh -T host -- secret set db-pass password < file"
expect_in "$out" "mechanics(secret.set): set db-pass key password (version 1)" "the receipt over ssh"
expect_eq "$(git --git-dir="$R" rev-list --count "$base"..main)" 1 "one receipt"
expect_eq "$(git --git-dir="$R" log -1 --format='%an <%ae>' main)" "alice <alice@example.com>" "authored by the key's identity"
expect_in "$(git --git-dir="$R" show main:secrets/db-pass.yaml)" "set_by: alice <alice@example.com>" "the ledger names who set it"
doc=$(curl -s "$SIM_URL/api/v1/namespaces/x-alice/secrets/db-pass")
expect_eq "$(json "$doc" 'd["data"]["password"]')" "$(printf '%s' "$VALUE" | base64 -w0)" "the cluster has the value"
out_all="$out$err"

run sshd_ssh -i "$T/alice" -T root@127.0.0.1 -- --json secret -n db-pass info </dev/null
expect_rc 0 "secret info over ssh"
expect_eq "$(json "$out" '[(k["key"], k["version"], k["in_cluster"]) for k in d["result"]["keys"]]')" \
	"[('password', 1, True)]" "info over ssh"
out_all="$out_all$out$err"
run sshd_ssh -i "$T/alice" -T root@127.0.0.1 -- secret list </dev/null
expect_rc 0 "secret list over ssh"
expect_in "$out" "db-pass" "list over ssh"
out_all="$out_all$out$err"

# a terminal-less empty stdin is refused like locally
run sshd_ssh -i "$T/alice" -T root@127.0.0.1 -- secret set db-pass other </dev/null
expect_rc 65 "empty stdin over ssh"

for enc in "$VALUE" "$(printf '%s' "$VALUE" | base64 -w0)"; do
	if grep -qaF -- "$enc" "$SSHD_LOG"; then fail "the value is in sshd's log"; else ok; fi
	if git --git-dir="$R" log -p --all | grep -qF -- "$enc"; then fail "the value is in git log -p"; else ok; fi
	if git --git-dir="$R" cat-file --batch-all-objects --batch | grep -qaF -- "$enc"; then fail "the value is in a git object"; else ok; fi
	expect_not_in "$out_all" "$enc" "the value is in no ssh output"
	if grep -qaF -- "$enc" "$SIM_ERR"; then fail "the value is in the sim's log"; else ok; fi
done
finish
