#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A tenant's keys without a hand edit (docs/ssh.md): `admin tenant key
# add|remove|list`, `admin tenant remove`, and `ssh-keys` over a damaged
# tenant record. Bad input exits with its code and leaves tenant.yaml as it
# was, byte for byte and mode. The forced command's --key decides authorship
# and a forged one is refused. tests/ssh/keys.sh drives the same through sshd.
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"

"$MECH" admin init >/dev/null 2>&1 || { echo "admin init failed" >&2; exit 1; }
for k in alice ci bob stranger; do
	ssh-keygen -q -t ed25519 -N '' -C "$k@example.com" -f "$T/$k" </dev/null
done
ssh-keygen -q -t ed25519 -N '' -C 'build bot' -f "$T/bot" </dev/null
fp_of() { ssh-keygen -lf "$T/$1.pub" | awk '{print $2}'; }
mech admin tenant add alice --key "$T/alice.pub"
expect_rc 0 "tenant add alice"
mech admin tenant add bob --key "$T/bob.pub"
expect_rc 0 "tenant add bob"
Y=$MECH_HOME/tenants/alice/tenant.yaml
chmod 0600 "$Y"
snap() { sha256sum "$Y" | cut -c1-64; stat -c %a "$Y"; }
unchanged() { # what: tenant.yaml is as it was, and no temporary is left
	expect_eq "$(snap)" "$before" "$1: tenant.yaml unchanged"
	expect_eq "$(find "$MECH_HOME/tenants" -name '*.tmp.*' | wc -l)" "0" "$1: no temporary left"
}

# --- key add: a .pub file, a key line, a fingerprint ---
mech admin tenant key add alice "$T/ci.pub"
expect_rc 0 "key add from a .pub file"
expect_in "$out" "$(fp_of ci) added to tenant alice" "key add names the key and tenant"
expect_in "$out" "ci <ci@example.com>" "the key acts as its comment's e-mail"
expect_eq "$(stat -c %a "$Y")" "600" "the rewrite keeps tenant.yaml's mode"
mech --json admin tenant key add alice "$(cat "$T/ci.pub")"
expect_rc 0 "the same key again, as a line: a no-op"
json_valid "$out" "key add --json"
expect_eq "$(json "$out" 'd["command"]')" "tenant.key-add" "json command"
expect_eq "$(json "$out" 'd["tenant"]')" "alice" "json tenant"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "an existing key: changed false"
expect_eq "$(json "$out" 'd["result"]["fingerprint"]')" "$(fp_of ci)" "json fingerprint"
mech admin tenant key add alice "$(fp_of bot)"
expect_rc 0 "key add by fingerprint alone"
expect_in "$out" "acts as alice <alice@localhost>" "a bare fingerprint acts as the tenant"

mech --json admin tenant key list alice
expect_rc 0 "key list --json"
json_valid "$out" "key list --json"
expect_eq "$(json "$out" 'len(d["result"]["keys"])')" "3" "three keys"
expect_eq "$(json "$out" '" ".join(k["fingerprint"] for k in d["result"]["keys"])')" \
	"$(fp_of alice) $(fp_of ci) $(fp_of bot)" "the keys in the order they were added"
expect_eq "$(json "$out" 'd["result"]["keys"][1]["email"]')" "ci@example.com" "json email of a key"
mech admin tenant key list alice
expect_rc 0 "key list"
expect_in "$out" "FINGERPRINT" "key list has a header"
expect_in "$out" "$(fp_of ci)" "key list names the key"

# --- refusals: exit code, the argument named, nothing written ---
before=$(snap)
bad_key() { # code what args...
	local code=$1 what=$2
	shift 2
	mech admin tenant key "$@"
	expect_rc "$code" "$what"
	expect_eq "$out" "" "$what: nothing on stdout"
	unchanged "$what"
}
bad_key 65 "a key another tenant has" add alice "$T/bob.pub"
expect_in "$err" "already registered to tenant bob" "names the owner"
bad_key 4 "an unknown tenant" add carol "$T/stranger.pub"
expect_in "$err" "unknown tenant \"carol\"" "names the tenant"
bad_key 65 "a malformed fingerprint" add alice 'SHA256:abc;id'
expect_in "$err" "KEY is not a key fingerprint" "names the argument"
bad_key 65 "a non-canonical fingerprint" add alice "$(fp_of stranger | sed 's/.$/Z/')"
bad_key 65 "a file that is not there" add alice "$T/nothere.pub"
expect_in "$err" "KEY is neither a fingerprint" "names the argument"
bad_key 65 "a private key" add alice "$T/stranger"
expect_in "$err" "is a private key" "a private key is refused"
expect_not_in "$err" "$(sed -n 2p "$T/stranger")" "nothing of the private key is echoed"
bad_key 65 "a key line with options" add alice "command=\"id\" $(cat "$T/stranger.pub")"
bad_key 4 "removing a key the tenant does not have" remove alice "$(fp_of stranger)"
expect_in "$err" "not registered to tenant alice" "names the key and tenant"
bad_key 4 "removing another tenant's key" remove alice "$(fp_of bob)"
bad_key 64 "a missing argument" add alice
bad_key 64 "an unknown key verb" frob alice
expect_in "$err" "unknown command \`admin tenant key frob\`" "names the words given"
mech admin tenant key
expect_rc 64 "the first words of a verb alone"
expect_in "$err" "\`admin tenant key\` needs a verb" "asks for the rest of the verb"

# --- key remove: the key no longer finds its tenant ---
K=($(cat "$T/ci.pub"))
mech ssh-keys mech "${K[0]}" "${K[1]}"
expect_rc 0 "ssh-keys for ci"
expect_in "$out" "ssh --tenant alice --key $(fp_of ci)\"" "the forced command names tenant and key"
mech --json admin tenant key remove alice "$(fp_of ci)"
expect_rc 0 "key remove by fingerprint"
expect_eq "$(json "$out" 'd["result"]["removed"]')" "True" "json removed"
expect_eq "$(stat -c %a "$Y")" "600" "remove keeps tenant.yaml's mode"
mech ssh-keys mech "${K[0]}" "${K[1]}"
expect_rc 0 "ssh-keys for a removed key"
expect_in "$out" "ssh --guest $(fp_of ci)\"" "a removed key is a guest"
mech admin tenant key remove alice "$T/bot.pub"
expect_rc 0 "a key registered by fingerprint, removed by its .pub file"
mech admin tenant key remove alice "$(fp_of bot)"
expect_rc 4 "removing it twice: not found"

# --- the forced command's --key: authorship, and forgeries refused ---
mech admin tenant key add alice "$T/ci.pub"
A=$(fp_of alice)
C=$(fp_of ci)
ssh_as() { # key-fingerprint request...
	local key=$1
	shift
	run env SSH_ORIGINAL_COMMAND="$*" "$MECH" ssh --tenant alice --key "$key"
}
ssh_as "$A" app create web --image nginx:1.27
expect_rc 0 "alice's key writes"
expect_eq "$(git --git-dir="$(repo_of alice)" log -1 --format='%an <%ae>' main)" \
	"alice <alice@example.com>" "authored by alice's key"
ssh_as "$C" app create api --image nginx:1.27
expect_rc 0 "ci's key writes"
expect_eq "$(git --git-dir="$(repo_of alice)" log -1 --format='%an <%ae>' main)" \
	"ci <ci@example.com>" "authored by ci's key, without ExposeAuthInfo"
h=$(head_of alice)
for forged in "$(fp_of bob)" "$(fp_of stranger)" 'SHA256:x' "${A}A" "${A%?}=" "${A/SHA256/sha256}" \
	"${A:0:20};id" ''; do
	ssh_as "$forged" app create evil --image nginx:1.27
	expect_rc 77 "forged --key \"$forged\" is refused"
	expect_eq "$(head_of alice)" "$h" "forged --key \"$forged\": nothing written"
done
run env SSH_ORIGINAL_COMMAND=whoami "$MECH" ssh --guest "$A" --key "$A"
expect_rc 64 "--key with --guest is a usage error"
# with ExposeAuthInfo as well, the two must agree
printf 'publickey %s\n' "$(cat "$T/alice.pub")" >"$T/auth_info"
run env SSH_USER_AUTH="$T/auth_info" SSH_ORIGINAL_COMMAND=whoami "$MECH" ssh --tenant alice --key "$C"
expect_rc 77 "--key that is not the key sshd saw"
run env SSH_USER_AUTH="$T/auth_info" SSH_ORIGINAL_COMMAND=whoami "$MECH" ssh --tenant alice
expect_rc 0 "no --key: ExposeAuthInfo still names the key"
expect_in "$out" "$A" "whoami from ExposeAuthInfo"

# --- ssh-keys over a damaged tenant record ---
mech admin tenant add carol
mech admin tenant add zed --key "$T/stranger.pub"
expect_rc 0 "tenant add zed"
cp "$MECH_HOME/tenants/bob/tenant.yaml" "$T/bob.yaml"
printf 'name: bob\nkeys: [ \033]52;c;aGk=\a\n' >"$MECH_HOME/tenants/bob/tenant.yaml"
Z=($(cat "$T/stranger.pub"))
mech ssh-keys mech "${Z[0]}" "${Z[1]}"
expect_rc 0 "a tenant sorted after a damaged one is served"
expect_in "$out" "ssh --tenant zed --key" "zed's key gets zed's command"
expect_in "$err" "tenants/bob/tenant.yaml" "stderr names the damaged file"
expect_eq "$(grep -c . <<<"$err")" "1" "one line on stderr"
expect_not_in "$err" $'\033' "the parse error is escaped"
G=($(cat "$T/bot.pub"))
mech ssh-keys mech "${G[0]}" "${G[1]}"
expect_rc 0 "a guest is served despite a damaged record"
expect_in "$out" "ssh --guest $(fp_of bot)" "guest line"
# the damaged record still names bob's key: refused, not downgraded to a guest
printf 'name: bob\nkeys: [ {fingerprint: %s\n' "$(fp_of bob)" >"$MECH_HOME/tenants/bob/tenant.yaml"
B=($(cat "$T/bob.pub"))
mech ssh-keys mech "${B[0]}" "${B[1]}"
expect_rc 78 "the key of the damaged tenant: configuration error"
expect_eq "$out" "" "no line for it: sshd refuses the key"
expect_in "$err" "names this key but cannot be read" "says why"
# registering a key while a record is damaged: refused, as that tenant may have it
mech admin tenant key add zed "$T/bot.pub"
expect_rc 78 "key add while a tenant record is damaged"
expect_in "$err" "tenants/bob/tenant.yaml" "names the damaged record"
cp "$T/bob.yaml" "$MECH_HOME/tenants/bob/tenant.yaml"

# --- tenant remove ---
before=$(snap)
mech admin tenant remove alice
expect_rc 3 "tenant remove without --force"
expect_in "$err" "needs --force" "says what it needs"
unchanged "tenant remove without --force"
mech admin tenant remove Alice --force
expect_rc 65 "tenant remove of an invalid name"
mech admin tenant remove nobody --force
expect_rc 4 "tenant remove of an unknown tenant"
mech --json admin tenant remove alice --force
expect_rc 0 "tenant remove --force"
json_valid "$out" "tenant remove --json"
expect_eq "$(json "$out" 'd["result"]["kept"][0]')" "$(repo_of alice)" "the repository is kept"
[ ! -e "$Y" ] && ok || fail "tenant.yaml is gone"
[ -d "$(repo_of alice)" ] && ok || fail "the repository stays without --purge"
mech ssh-keys mech "${K[0]}" "${K[1]}"
expect_in "$out" "ssh --guest" "a removed tenant's key is a guest"
mech admin tenant list
expect_not_in "$out" "alice" "tenant list no longer shows it"
h=$(head_of alice)
mech admin tenant add alice --key "$T/alice.pub"
expect_rc 0 "adding it again"
expect_in "$out" "alice" "re-added"
expect_eq "$(head_of alice)" "$h" "re-adding adopts the kept repository"
mkdir -p "$MECH_HOME/cache/alice"
mech admin tenant remove alice --force --purge
expect_rc 0 "tenant remove --force --purge"
[ ! -e "$MECH_HOME/tenants/alice" ] && ok || fail "--purge deletes tenants/alice"
[ ! -e "$MECH_HOME/cache/alice" ] && ok || fail "--purge deletes cache/alice"
[ -d "$(repo_of bob)" ] && ok || fail "another tenant is untouched"
# a record too damaged to load can be removed
printf 'name: [\n' >"$MECH_HOME/tenants/carol/tenant.yaml"
mech admin tenant remove carol --force
expect_rc 0 "a damaged tenant record can be removed"

# --- concurrent key adds: the tenant lock keeps every one ---
mech admin tenant add para
pids=()
for i in 1 2 3 4 5 6; do
	ssh-keygen -q -t ed25519 -N '' -C "p$i@example.com" -f "$T/p$i" </dev/null
	"$MECH" admin tenant key add para "$T/p$i.pub" >/dev/null 2>"$T/p$i.err" &
	pids+=($!)
done
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" && ok || fail "concurrent key add $((i + 1)): $(cat "$T/p$((i + 1)).err")"
done
mech --json admin tenant key list para
expect_eq "$(json "$out" 'len(d["result"]["keys"])')" "6" "six concurrent adds, six keys"

# --- the verbs in help and completion ---
mech help admin tenant key remove
expect_rc 0 "help for a three-word verb"
expect_in "$out" "mech admin tenant key remove T KEY" "its usage"
mech admin tenant key list -h
expect_rc 0 "-h on a three-word verb"
"$MECH" gen bash-completion >"$T/completion.bash"
expect_in "$(cat "$T/completion.bash")" "'admin tenant key') echo 'add remove list'" \
	"completion knows the third words"
run bash -c '. "$1"; COMP_WORDS=(mech admin tenant key r); COMP_CWORD=4; _mech; echo "${COMPREPLY[*]}"' _ "$T/completion.bash"
expect_eq "$out" "remove" "completion of the third word"
run bash -c '. "$1"; COMP_WORDS=(mech admin tenant key remove alice --); COMP_CWORD=6; _mech; echo "${COMPREPLY[*]}"' _ "$T/completion.bash"
expect_in "$out" "--json" "completion of flags after a three-word verb"
"$MECH" gen man >"$T/mech.1"
expect_in "$(cat "$T/mech.1")" "tenant key add" "the man page lists the verb"

finish
