#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Concurrent writers never lose a commit: 16 app creates on one tenant,
# and the same from two homes sharing one file:// remote.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
require openssl

seed_tenant alice
base=$(head_of alice)
pids=()
for i in $(seq 1 16); do
	"$MECH" app create "app$i" --image "nginx:1.$i" >"$T/out.$i" 2>"$T/err.$i" &
	pids+=($!)
done
for i in $(seq 1 16); do
	wait "${pids[$((i - 1))]}" && ok || fail "concurrent create app$i: $(cat "$T/err.$i")"
done
G="git --git-dir=$(repo_of alice)"
expect_eq "$($G rev-list --count "$base"..main)" "16" "16 commits on top of the seed"
expect_eq "$($G ls-tree --name-only main:apps | wc -l)" "16" "16 apps in the tree"
expect_eq "$($G log --format=%s "$base"..main | grep -c '^mechanics(app.create): add app app')" "16" "16 receipts"
expect_eq "$($G log --format=%P "$base"..main | awk '{print NF}' | sort -u)" "1" "linear history, no merges"
fsck_ok alice
render_overlays alice

# Two mech hosts sharing one remote (file://): each host has its own home.
git init -q --bare "$T/remote/alice.git"
for h in h1 h2; do
	mkdir -p "$T/$h"
	printf 'gitops:\n  remote: "file://%s/remote/{tenant}.git"\n' "$T" >"$T/$h/mech.yaml"
done
MECH_HOME="$T/h1" "$MECH" admin tenant add alice --json >"$T/h1.json" 2>"$T/h1.err"
expect_eq "$(json "$(cat "$T/h1.json")" 'd["result"]["adopted"]')" "False" "first host seeds the remote"
MECH_HOME="$T/h2" "$MECH" admin tenant add alice --json >"$T/h2.json" 2>"$T/h2.err"
expect_eq "$(json "$(cat "$T/h2.json")" 'd["result"]["adopted"]')" "True" "second host adopts the seeded remote"
expect_eq "$(json "$(cat "$T/h2.json")" 'd["commit"]')" "None" "adoption makes no commit"
R="git --git-dir=$T/remote/alice.git"
expect_eq "$($R rev-list --count main)" "1" "one seed on the remote"
pids=()
for i in $(seq 1 16); do
	h=h$((i % 2 + 1))
	MECH_HOME="$T/$h" "$MECH" app create "svc$i" --image "nginx:1.$i" >"$T/rout.$i" 2>"$T/rerr.$i" &
	pids+=($!)
done
for i in $(seq 1 16); do
	wait "${pids[$((i - 1))]}" && ok || fail "remote create svc$i: $(cat "$T/rerr.$i")"
done
expect_eq "$($R rev-list --count main)" "17" "seed + 16 commits on the remote"
expect_eq "$($R ls-tree --name-only main:apps | wc -l)" "16" "16 apps on the remote"
if $R fsck --strict --no-dangling >/dev/null 2>&1; then ok; else fail "fsck of the shared remote"; fi
# each host's mirror follows the remote on its next read
MECH_HOME="$T/h1" "$MECH" log -n 100 --json >"$T/log.json"
expect_eq "$(json "$(cat "$T/log.json")" 'len(d["result"]["commits"])')" "17" "host 1 sees every commit"

MECH_HOME="$T/h1" render_overlays alice

# An unreachable remote: exit 69, nothing half-done.
before=$($R rev-parse main)
mv "$T/remote" "$T/remote.away"
MECH_HOME="$T/h1" "$MECH" app create late --image nginx:1.27 >"$T/o" 2>"$T/e"; rc=$?
expect_eq "$rc" "69" "unreachable remote is exit 69"
expect_in "$(cat "$T/e")" "Git remote" "message names the remote"
mv "$T/remote.away" "$T/remote"
expect_eq "$($R rev-parse main)" "$before" "remote unchanged"
expect_eq "$(git --git-dir="$T/h1/tenants/alice/gitops.git" ls-tree --name-only main:apps | grep -c '^late$')" "0" "no half-done local commit"
MECH_HOME="$T/h1" "$MECH" app create late --image nginx:1.27 >/dev/null 2>&1 && ok || fail "write after the remote is back"

# An https remote whose certificate no trusted CA signed: refused during the
# TLS handshake (the CA bundle and the random generator, set up on first
# use by core/git/git_lazy.c, are both needed to get there), nothing written.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.crt" -days 2 \
	-subj /CN=127.0.0.1 >/dev/null 2>&1
openssl s_server -accept 127.0.0.1:0 -cert "$T/tls.crt" -key "$T/tls.key" -www \
	>"$T/tls.out" 2>&1 &
tls_pid=$!
cleanup_hooks+=("kill $tls_pid")
for _ in $(seq 600); do grep -q '^ACCEPT' "$T/tls.out" && break; sleep 0.1; done # hang guard: 60 s
port=$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p' "$T/tls.out")
[ -n "$port" ] || { fail "openssl s_server did not listen: $(cat "$T/tls.out")"; finish; }
mkdir -p "$T/h3"
printf 'gitops:\n  remote: "https://127.0.0.1:%s/{tenant}.git"\n' "$port" >"$T/h3/mech.yaml"
MECH_HOME="$T/h3" "$MECH" admin tenant add alice >"$T/o" 2>"$T/e"; rc=$?
expect_eq "$rc" "69" "https remote with an untrusted certificate is exit 69"
expect_in "$(cat "$T/e")" "certificate" "the message says the certificate is the problem"
expect_eq "$(ls "$T/h3/tenants" 2>/dev/null | wc -l)" "0" "no tenant repo left behind"
finish
