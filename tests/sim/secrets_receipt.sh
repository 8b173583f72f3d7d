#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `secret set` writes the cluster first, then the receipt. When the receipt
# cannot be written after the cluster took the value (here: the branch's ref
# stays locked by another process, so the write gives up after its lock
# budget of a minute with exit 75), the error says exactly that — "the
# value is in the cluster but no receipt was written" — and never that
# nothing was written; the same command run again writes the receipt. (Its
# own file: the wait is a minute.)
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
sim_start
sim_config
ns_ready() { curl -sf -o /dev/null "$SIM_URL/api/v1/namespaces/x-alice"; }
wait_until 60 ns_ready || { fail "the sim never made namespace x-alice"; finish; }
export MECH_TENANT=alice
R=$(repo_of alice)
head=$(head_of alice)
VALUE="rcpt-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$VALUE" >"$T/value"

# a ref lock as a killed git leaves it: the dry run before the cluster write
# passes (it moves no ref), the receipt itself cannot land
printf '%s\n' "$head" >"$R/refs/heads/main.lock"
out=$("$MECH" --json secret set db-pass password <"$T/value" 2>"$T/stderr") && rc=0 || rc=$?
err=$(cat "$T/stderr")
expect_rc 75 "the receipt cannot be written: contention (75)"
msg=$(json "$out" 'd["error"]["message"]')
expect_in "$msg" "the value is in the cluster but no receipt was written: " "the message says the cluster has it"
if /usr/bin/python3 -c 'import re,sys; sys.exit(1 if re.search(r"nothing was written(?! to Git)", sys.argv[1]) else 0)' "$msg"
then ok; else fail "the message claims nothing was written: $msg"; fi
expect_in "$(json "$out" 'd["error"]["hint"]')" "run the same command again" "the hint says how to finish"
expect_eq "$(head_of alice)" "$head" "no receipt"
doc=$(curl -s "$SIM_URL/api/v1/namespaces/x-alice/secrets/db-pass")
expect_eq "$(json "$doc" 'd["data"]["password"]')" "$(printf '%s' "$VALUE" | base64 -w0)" "the cluster has the value"

# the lock's holder is gone: the same command writes the receipt
rm "$R/refs/heads/main.lock"
out=$("$MECH" --json secret set db-pass password <"$T/value" 2>"$T/stderr") && rc=0 || rc=$?
expect_rc 0 "run again"
expect_eq "$(json "$out" 'd["result"]["version"], d["result"]["cluster"]')" "(1, 'updated')" \
	"the receipt: version 1 (the first receipt), the cluster updated in place"
expect_in "$(git --git-dir="$R" show main:secrets/db-pass.yaml)" "password:" "the ledger has the key"
if git --git-dir="$R" log -p --all | grep -qF -- "$VALUE"; then fail "the value is in Git"; else ok; fi
expect_not_in "$out$err" "$VALUE" "the value is in no output"
finish
