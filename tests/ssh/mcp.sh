#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `ssh -T mech@host -- mcp` through a real sshd and the shipped forced
# command, with the official MCP SDK's client (npm) spawning ssh: the key
# decides the tenant and the author of every tool call's receipt, a tool
# argument cannot name another tenant, operator commands are no tools, and
# an unregistered key's server offers help and whoami only.
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$SRC/tests/lib/sshd.sh"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	skip "@modelcontextprotocol/sdk: node or npm is not installed"
fi
if ! npm install --no-save --no-audit --no-fund --prefix "$T/node" '@modelcontextprotocol/sdk@1' \
	>"$T/npm.log" 2>&1; then
	skip "@modelcontextprotocol/sdk: npm install failed (registry unreachable?): $(tail -3 "$T/npm.log")"
fi
cp "$SRC/tests/lib/mcp_client.mjs" "$T/node/client.mjs"

sshd_copy_command "$MECH" || { echo "cannot copy $MECH for sshd" >&2; exit 1; }
MECH=$SSHD_COMMAND
"$MECH" admin init >/dev/null 2>&1 || { echo "admin init failed" >&2; exit 1; }
ssh-keygen -q -t ed25519 -N '' -C alice@example.com -f "$T/alice" </dev/null
ssh-keygen -q -t ed25519 -N '' -C bob@example.org -f "$T/bob" </dev/null
ssh-keygen -q -t ed25519 -N '' -C 'a stranger' -f "$T/guest" </dev/null
mech admin tenant add alice --key "$T/alice.pub"
expect_rc 0 "tenant add alice --key"
mech admin tenant add bob --key "$T/bob.pub"
expect_rc 0 "tenant add bob --key"
sshd_mech_conf "$MECH" "$MECH_HOME" root || exit 1
sshd_start "$T/sshd" "${SSHD_MECH_CONF[@]}" || { echo "sshd did not start" >&2; exit 1; }
bob_before=$(head_of bob)

# sdk PHASE KEY [REMOTE ARGS…]: the SDK client spawning `ssh … -- mcp`
sdk() {
	local phase=$1 key=$2
	shift 2
	# shellcheck disable=SC2046 # sshd_client_opts gives one option a word
	run node "$T/node/client.mjs" "$phase" stdio ssh $(sshd_client_opts) -i "$T/$key" -T \
		root@127.0.0.1 -- mcp "$@"
}
line() { grep "^{\"$1\":" <<<"$out"; }

sdk ssh alice
expect_rc 0 "SDK over ssh as alice ($err)"
tools=$(json "$(line tools)" '" ".join(d["tools"])')
expect_in " $tools " " app_create " "alice's tools"
for t in admin_init admin_tenant_add sim console shell mcp; do
	expect_not_in " $tools " " $t " "no tool $t over SSH"
done
expect_eq "$(json "$(line whoami)" 'd["whoami"]["structuredContent"]["tenant"]')" alice "whoami: the key's tenant"
expect_eq "$(json "$(line whoami)" 'd["whoami"]["structuredContent"]["fingerprint"]')" \
	"$(ssh-keygen -lf "$T/alice.pub" | awk '{print $2}')" "whoami: the key"
expect_eq "$(json "$(line app_create)" 'd["app_create"]["isError"]')" False "app_create over ssh"
expect_eq "$(git --git-dir="$(repo_of alice)" log -1 --format=%ae)" alice@example.com "the key's identity authors the receipt"
expect_eq "$(git --git-dir="$(repo_of alice)" ls-tree --name-only HEAD apps/)" apps/api "in alice's repository"
expect_eq "$(json "$(line app_list)" 'd["app_list"]["structuredContent"]["error"]["exit"]')" 77 \
	"a tenant argument: forbidden"
expect_eq "$(head_of bob)" "$bob_before" "bob's repository untouched"

# resources over SSH: only the key's tenant's
# shellcheck disable=SC2046 # sshd_client_opts gives one option a word
out=$(printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}' \
	'{"jsonrpc":"2.0","id":1,"method":"resources/list"}' \
	'{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"mech://alice/app/api"}}' \
	'{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"mech://bob/app/api"}}' |
	/usr/bin/python3 "$SRC/tests/lib/mcp_rpc.py" ssh $(sshd_client_opts) -i "$T/alice" -T root@127.0.0.1 -- mcp)
expect_eq "$(json "$out" 'sorted(set(r["uri"].split("/")[2] for r in d["answers"][1]["result"]["resources"]))')" "['alice']" \
	"resources/list over ssh: the key's tenant's only"
expect_eq "$(json "$out" 'json.loads(d["answers"][2]["result"]["contents"][0]["text"])["name"]')" api "resources/read of alice's app"
expect_eq "$(json "$out" 'd["answers"][3]["error"]["code"]')" -32002 "another tenant's URI: not found"

# --tenant after mcp is refused by the forced command itself, before any session
run sshd_ssh -i "$T/alice" -T root@127.0.0.1 -- mcp --tenant bob </dev/null
expect_rc 77 "mcp --tenant over ssh"
# --http would listen on the server's loopback as the mech user: refused, for a tenant and a guest
for key in alice guest; do
	# shellcheck disable=SC2046 # sshd_client_opts gives one option a word
	run timeout 60 ssh $(sshd_client_opts) -i "$T/$key" -T root@127.0.0.1 -- mcp --http 127.0.0.1:0 --no-auth </dev/null
	expect_rc 77 "mcp --http over ssh as $key: refused"
	expect_in "$err" "local only" "and says why"
done

sdk guest guest
expect_rc 0 "SDK over ssh as a guest ($err)"
expect_eq "$(json "$(line tools)" 'd["tools"]')" "['help', 'whoami']" "a guest's tools: help and whoami"
expect_eq "$(json "$(line whoami)" 'd["whoami"]["structuredContent"]["registered"]')" False "guest whoami"
expect_eq "$(json "$(line help)" 'd["help"]["structuredContent"]["command"]')" app.create "guest help"
expect_eq "$(json "$(line app_list_error)" 'd["app_list_error"]["code"]')" -32602 "a guest calling app_list: no such tool"
finish
