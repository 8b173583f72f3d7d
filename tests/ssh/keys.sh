#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Keys through a real sshd configured with the shipped snippet
# (packaging/sshd_config.d/mech.conf, no ExposeAuthInfo): two keys of one
# tenant author their own receipts; a key removed with `admin tenant key
# remove` or a tenant removed with `admin tenant remove` is refused at the
# next connection; a damaged tenant record sorted first does not lock the
# others out (docs/ssh.md).
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$SRC/tests/lib/sshd.sh"

sshd_copy_command "$MECH" || { echo "cannot copy $MECH for sshd" >&2; exit 1; }
MECH=$SSHD_COMMAND

"$MECH" admin init >/dev/null 2>&1 || { echo "admin init failed" >&2; exit 1; }
ssh-keygen -q -t ed25519 -N '' -C alice@example.com -f "$T/alice" </dev/null
ssh-keygen -q -t ecdsa -N '' -C ci@example.com -f "$T/ci" </dev/null
ssh-keygen -q -t ed25519 -N '' -C bob@example.org -f "$T/bob" </dev/null
fp_of() { ssh-keygen -lf "$T/$1.pub" | awk '{print $2}'; }
mech admin tenant add alice --key "$T/alice.pub"
expect_rc 0 "tenant add alice"
mech admin tenant key add alice "$T/ci.pub"
expect_rc 0 "a second key for alice"
mech admin tenant add bob --key "$T/bob.pub"
expect_rc 0 "tenant add bob"

sshd_mech_conf "$MECH" "$MECH_HOME" root || exit 1
sshd_start "$T/sshd" "${SSHD_MECH_CONF[@]}" || { echo "sshd did not start" >&2; exit 1; }
expect_not_in "$(tr 'A-Z' 'a-z' <"$SSHD_CONFIG")" "exposeauthinfo" "the server does not set ExposeAuthInfo"
expect_in "$(cat "$SSHD_CONFIG")" "$(grep -m1 'DisableForwarding' "$SRC/packaging/sshd_config.d/mech.conf")" \
	"the snippet's lines are in the server's config"

as() { # KEY ARGS…: one connection with KEY
	local key=$1
	shift
	run sshd_ssh -i "$T/$key" -T root@127.0.0.1 -- "$@" </dev/null
}
R=$(repo_of alice)
author() { git --git-dir="$R" log -1 --format='%an <%ae>' main; }

# --- two keys of one tenant, each the author of its own receipts ---
as alice app create web --image nginx:1.27
expect_rc 0 "alice's key: app create"
expect_eq "$(author)" "alice <alice@example.com>" "receipt authored by alice's key"
as ci app create api --image nginx:1.27
expect_rc 0 "ci's key: app create"
expect_eq "$(author)" "ci <ci@example.com>" "receipt authored by ci's key"
as alice app -a web deploy --tag 1.27.1
expect_rc 0 "alice's key again"
expect_eq "$(author)" "alice <alice@example.com>" "alice's key, not the last one that connected"
as ci --json whoami
expect_rc 0 "ci: whoami"
expect_eq "$(json "$out" 'd["result"]["fingerprint"]')" "$(fp_of ci)" "whoami names the key that logged in"
expect_eq "$(json "$out" 'd["result"]["email"]')" "ci@example.com" "whoami names the key's identity"

# --- a removed key is refused at its next connection ---
mech admin tenant key remove alice "$(fp_of ci)"
expect_rc 0 "key remove ci"
h=$(head_of alice)
as ci app create evil --image nginx:1.27
expect_rc 77 "the removed key cannot write"
expect_eq "$(head_of alice)" "$h" "nothing written by the removed key"
as ci whoami
expect_rc 0 "the removed key is a guest"
expect_in "$out" "not registered" "whoami says so"
as alice app list
expect_rc 0 "the tenant's other key still works"
mech admin tenant key add alice "$(fp_of ci)"
expect_rc 0 "the key back, by fingerprint"
as ci app list
expect_rc 0 "a key registered by fingerprint logs in"

# --- a damaged record sorted first locks nobody out ---
mkdir -p "$MECH_HOME/tenants/aaa"
printf 'name: aaa\nkeys: [\n' >"$MECH_HOME/tenants/aaa/tenant.yaml"
as bob app list
expect_rc 0 "bob logs in past a damaged tenant record"
as alice whoami
expect_rc 0 "alice logs in past a damaged tenant record"
rm -r "$MECH_HOME/tenants/aaa"

# --- a removed tenant is refused at its next connection ---
mech admin tenant remove bob --force
expect_rc 0 "tenant remove bob"
as bob app list
expect_rc 77 "the removed tenant's key is refused"
as bob whoami
expect_in "$out" "not registered" "and is a guest"

finish
