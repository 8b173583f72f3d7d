#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# 32 concurrent SSH sessions across two tenants through a real sshd:
# every write lands exactly once, in its own tenant's repository only,
# authored by the key that made it.
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
. "$SRC/tests/lib/sshd.sh"

# sshd runs an AuthorizedKeysCommand only from a root-owned path; the build
# may be anywhere (/tmp, a home directory), so the test runs a copy of it
sshd_copy_command "$MECH" || { echo "cannot copy $MECH for sshd" >&2; exit 1; }
MECH=$SSHD_COMMAND

N=16 # per tenant
"$MECH" admin init >/dev/null 2>&1 || { echo "admin init failed" >&2; exit 1; }
ssh-keygen -q -t ed25519 -N '' -C alice@example.com -f "$T/alice" </dev/null
ssh-keygen -q -t ed25519 -N '' -C bob@example.org -f "$T/bob" </dev/null
mech admin tenant add alice --key "$T/alice.pub"
expect_rc 0 "tenant add alice"
mech admin tenant add bob --key "$T/bob.pub"
expect_rc 0 "tenant add bob"

# the shipped snippet's settings verbatim, for root instead of the user mech
sshd_mech_conf "$MECH" "$MECH_HOME" root || exit 1
sshd_start "$T/sshd" "${SSHD_MECH_CONF[@]}" || { echo "sshd did not start" >&2; exit 1; }

base_alice=$(head_of alice)
base_bob=$(head_of bob)

# app1..app16 for alice, app17..app32 for bob, all at once, interleaved
pids=()
tenant_of=()
for i in $(seq 1 $((2 * N))); do
	if [ "$i" -le "$N" ]; then t=alice; else t=bob; fi
	tenant_of[i]=$t
	sshd_ssh -i "$T/$t" -T root@127.0.0.1 -- app create "app$i" --image "nginx:1.$i" \
		</dev/null >"$T/out.$i" 2>"$T/err.$i" &
	pids[i]=$!
done
for i in $(seq 1 $((2 * N))); do
	if wait "${pids[i]}"; then ok; else
		fail "${tenant_of[i]}: concurrent app create app$i exited $?: $(cat "$T/err.$i")"
	fi
done

check_tenant() { # tenant base first last other-tenant email
	local t=$1 base=$2 first=$3 last=$4 other=$5 email=$6
	local G want got
	G="git --git-dir=$(repo_of "$t")"
	expect_eq "$($G rev-list --count "$base"..main)" "$N" "$t: exactly $N new commits"
	expect_eq "$($G log --format=%P "$base"..main | awk '{print NF}' | sort -u)" "1" "$t: linear history"
	want=$(for i in $(seq "$first" "$last"); do echo "app$i"; done | sort)
	got=$($G ls-tree --name-only main:apps | sort)
	expect_eq "$got" "$want" "$t: its tree holds exactly its own apps"
	got=$($G log --format=%s "$base"..main | sed -n 's/^mechanics(app.create): add app //p' | sort)
	expect_eq "$got" "$want" "$t: one receipt per app"
	expect_eq "$($G log --format=%ae "$base"..main | sort -u)" "$email" "$t: every commit authored by its key"
	expect_eq "$($G log --format='%(trailers:key=Mechanics-Tenant,valueonly)' "$base"..main | sed '/^$/d' | sort -u)" \
		"$t" "$t: every receipt names its tenant"
	got=$($G log --format=%B "$base"..main | grep -c '^Mechanics-Request: ' || true)
	expect_eq "$got" "$N" "$t: a request id per receipt"
	expect_eq "$($G log --format='%(trailers:key=Mechanics-Request,valueonly)' "$base"..main | sed '/^$/d' | sort -u | wc -l)" \
		"$N" "$t: request ids are unique"
	for i in $(seq 1 $((2 * N))); do
		[ "${tenant_of[i]}" = "$other" ] || continue
		if $G cat-file -e "main:apps/app$i" 2>/dev/null; then
			fail "$t: holds $other's app$i"
		else ok; fi
	done
	expect_eq "$($G grep -l "nginx:1\." main -- apps | sed 's|^main:apps/\([^/]*\)/.*|\1|' | sort -u)" "$want" \
		"$t: only its own images are referenced"
	fsck_ok "$t"
}
check_tenant alice "$base_alice" 1 "$N" bob alice@example.com
check_tenant bob "$base_bob" $((N + 1)) $((2 * N)) alice bob@example.org
render_overlays alice
render_overlays bob

# each session's own report names its own tenant's repo
for i in $(seq 1 $((2 * N))); do
	expect_in "$(cat "$T/err.$i")" "${tenant_of[i]}/gitops:apps/app$i/" "app$i progress names ${tenant_of[i]}'s repo"
done

# and what each tenant sees over ssh afterwards
for t in alice bob; do
	run sshd_ssh -i "$T/$t" -T root@127.0.0.1 -- --json app list </dev/null
	expect_rc 0 "$t: app list"
	expect_eq "$(json "$out" 'len(d["result"]["apps"])')" "$N" "$t sees exactly $N apps"
done
finish
