#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The agent's second day over a real sshd (the shipped snippet): a retried
# create is a no-op or `exists`, never a rollback; app history, rollback,
# revert and log's receipt facts answer over SSH; destructive verbs need
# --force; -o json is --json; a misspelt app gets "did you mean". Each
# write is one receipt authored by the key; refusals write nothing.
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$SRC/tests/lib/sshd.sh"

sshd_front_door "$T" alice || { echo "the SSH front door did not start" >&2; exit 1; }

as() { run sshd_ssh -i "$T/alice" -T root@127.0.0.1 -- "$@" </dev/null; }
G="git --git-dir=$(repo_of alice)"
last() { $G log -1 --format="$1" main; }

as app create web --image nginx:1.27
expect_rc 0 "app create over SSH"
created=$(head_of alice)
as app -a web deploy --tag 1.28
expect_rc 0 "deploy over SSH"

# a retried create: the same is a no-op, the old one is refused, not a rollback
head=$(head_of alice)
as app create web --image nginx:1.28 -o json
expect_rc 0 "the same create again (-o json)"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "changed:false"
as app create web --image nginx:1.27 --json
expect_rc 65 "the create from before the deploy"
expect_eq "$(json "$out" 'd["error"]["code"]')" "exists" "exists"
expect_eq "$(head_of alice)" "$head" "nothing written"

as app -a web history --json
expect_rc 0 "history over SSH"
expect_eq "$(json "$out" '[c["to"] for h in d["result"]["history"] for c in h["changes"] if c["field"] == "image"]')" \
	"['nginx:1.28', 'nginx:1.27']" "the deploy, then the create"
as log -n 1 --json
expect_eq "$(json "$out" '[d["result"]["commits"][0][k] for k in ("image", "tag", "instance")]')" \
	"['nginx:1.28', '1.28', 'main']" "log's receipt facts over SSH"

as app -a web rollback --json
expect_rc 0 "rollback over SSH"
expect_eq "$(last '%(trailers:key=Mechanics-Rollback-To,valueonly)')" "$created" "Mechanics-Rollback-To"
expect_eq "$(last '%an <%ae>')" "alice <alice@example.com>" "authored by alice's key"
rolled=$(head_of alice)
as revert "$rolled"
expect_rc 0 "revert over SSH"
expect_eq "$(last '%(trailers:key=Mechanics-Reverts,valueonly)')" "$rolled" "Mechanics-Reverts"
expect_in "$($G show main:apps/web/overlays/main/kustomization.yaml)" 'newTag: "1.28"' "the rollback undone"

head=$(head_of alice)
as app -a wbe history
expect_rc 4 "a misspelt app over SSH"
expect_in "$err" "did you mean web?" "did you mean"
as app -a web delete
expect_rc 3 "delete without --force over SSH"
as revert nope
expect_rc 4 "an unknown revision over SSH"
as app -a web rollback --to -x
expect_rc 65 "a revision that looks like a flag"
expect_eq "$(head_of alice)" "$head" "refusals write nothing"
as app -a web delete --force
expect_rc 0 "delete --force over SSH"
finish
