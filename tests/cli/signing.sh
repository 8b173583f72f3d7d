#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Signed receipts: git verify-commit accepts every mech commit with the
# file `mech admin allowed-signers` prints; an unsigned commit imitating
# the grammar and the machine identity is classed human (and protected);
# rotation keeps old receipts verifiable.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
require ssh-keygen openssh-client
require openssl

mech admin init --json
expect_rc 0 "admin init"
expect_in "$(json "$out" 'd["result"]["signing_key"]')" "SHA256:" "init reports the signing key"
[ "$(stat -c %a "$MECH_HOME/keys/signing_ed25519")" = 600 ] && ok || fail "private key is 0600"
"$MECH" admin tenant add alice >/dev/null 2>&1
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1
"$MECH" admin allowed-signers >"$T/allowed"
expect_in "$(cat "$T/allowed")" 'mechanics@localhost namespaces="git" ssh-ed25519 ' "allowed-signers format"
G="git --git-dir=$(repo_of alice) -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=$T/allowed"
for c in $($G rev-list main); do
	if $G verify-commit "$c" >/dev/null 2>"$T/v"; then ok; else fail "verify-commit $c: $(cat "$T/v")"; fi
done
expect_in "$($G log -1 --format=%G?)" "G" "git reports a good signature"

# a forged receipt: right grammar, machine committer, no signature
human_clone alice "$T/clone"
sed -i 's/nginx/evil/' "$T/clone/apps/web/overlays/main/kustomization.yaml"
git -C "$T/clone" -c user.name=Mechanics -c user.email=mechanics@localhost commit -qa \
	--author="alice <alice@localhost>" -F - <<'MSG'
mechanics(app.set-image): set image of web/main to evil

Mechanics-Verb: app.set-image
Mechanics-Tenant: alice
Mechanics-Target: app/web
Mechanics-Request: 00000000-0000-4000-8000-000000000000
MSG
GIT_COMMITTER_NAME=Mechanics GIT_COMMITTER_EMAIL=mechanics@localhost git -C "$T/clone" commit -q --amend --no-edit
git -C "$T/clone" push -q origin HEAD
forged=$(git -C "$T/clone" rev-parse HEAD)
expect_eq "$(git -C "$T/clone" log -1 --format='%cn <%ce>')" "Mechanics <mechanics@localhost>" "the forgery imitates the committer"
mech log -n 1 --json
expect_eq "$(json "$out" 'd["result"]["commits"][0]["class"]')" "human" "an unsigned imitation is human"
mech app -a web set-image nginx:1.28
expect_rc 3 "the forgery is protected like any human edit"
expect_in "$err" "$forged" "conflict names the forged commit"
mech app -a web set-image nginx:1.28 --force
expect_rc 0 "forced over it"
render_overlays alice

# rotation: new commits verify with the new key, old ones still verify
old=$($G rev-parse main)
mech admin rotate-key
expect_rc 0 "rotate"
"$MECH" app -a web deploy --tag 1.29 >/dev/null 2>&1
"$MECH" admin allowed-signers >"$T/allowed2"
expect_eq "$(wc -l <"$T/allowed2")" "2" "current and retired key allowed"
G2="git --git-dir=$(repo_of alice) -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=$T/allowed2"
$G2 verify-commit main >/dev/null 2>&1 && ok || fail "new receipt verifies"
$G2 verify-commit "$old" >/dev/null 2>&1 && ok || fail "old receipt still verifies after rotation"
$G verify-commit main >/dev/null 2>&1 && fail "new receipt verified with the old key only" || ok
mech log -n 3 --json
expect_eq "$(json "$out" '[c["class"] for c in d["result"]["commits"]]')" "['machine', 'forced', 'human']" "classes after rotation"
fsck_ok alice

# the key file is RFC 8410 PKCS#8 PEM: OpenSSL reads mech's, and mech signs
# with one `openssl genpkey` made (the format earlier releases wrote)
pub_of() { # PEM file -> the base64 of its SSH public key blob
	openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | /usr/bin/python3 -c '
import base64, struct, sys
k = sys.stdin.buffer.read()
s = lambda b: struct.pack(">I", len(b)) + b
print(base64.b64encode(s(b"ssh-ed25519") + s(k)).decode())'
}
expect_eq "$(pub_of "$MECH_HOME/keys/signing_ed25519")" \
	"$(cut -d' ' -f2 "$MECH_HOME/keys/signing_ed25519.pub")" "OpenSSL derives mech's public key"
H2="$T/home2"
MECH_HOME=$H2 "$MECH" admin init >/dev/null 2>&1
openssl genpkey -algorithm ed25519 -out "$H2/keys/signing_ed25519" 2>/dev/null
echo "ssh-ed25519 $(pub_of "$H2/keys/signing_ed25519") mechanics@localhost" >"$H2/keys/signing_ed25519.pub"
MECH_HOME=$H2 "$MECH" admin tenant add bob >/dev/null 2>&1
MECH_HOME=$H2 "$MECH" --tenant bob app create web --image nginx:1.27 >/dev/null 2>"$T/e" ||
	fail "a write signed with an OpenSSL key: $(cat "$T/e")"
MECH_HOME=$H2 "$MECH" admin allowed-signers >"$T/allowed3"
G3="git --git-dir=$H2/tenants/bob/gitops.git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=$T/allowed3"
$G3 verify-commit main >/dev/null 2>"$T/v" && ok || fail "a receipt signed with an OpenSSL key: $(cat "$T/v")"
printf -- '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIA==\n-----END PRIVATE KEY-----\n' >"$H2/keys/signing_ed25519"
MECH_HOME=$H2 "$MECH" --tenant bob app create api --image nginx:1.27 >/dev/null 2>"$T/e"
expect_eq "$?" "78" "a key file that is not an Ed25519 key is a configuration error"
expect_in "$(cat "$T/e")" "signing key" "the message names the signing key"
expect_eq "$($G3 rev-list --count main)" "2" "nothing written with an unreadable key"
finish
