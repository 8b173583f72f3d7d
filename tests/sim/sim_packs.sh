#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `mech sim` reads the tenant's repository for as long as it runs; like the
# console it must not hold on to the packs the merges after mech's writes
# removed (mech_objstore_forget_gone): libgit2 keeps every pack it opened
# mapped, and so on disk, until its object database goes. After 41 writes
# the sim read one by one (`--wait`), its /proc/PID/maps may name at most
# the packs of one merge, not every removed pack.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
sim_start --sync-delay 0ms --health-delay 0ms --kustomize builtin
sim_config
PACKS="$MECH_HOME/tenants/alice/gitops.git/objects/pack"
LOCK="$MECH_HOME/tenants/alice/gitops.git/compact.lock"

for i in $(seq 1 40); do
	"$MECH" app create "a$i" --image nginx:1.27 --wait --timeout 30s >/dev/null 2>&1 ||
		fail "app create a$i --wait"
done
flock "$LOCK" true # the last merge those writes started is done
mech app create last --image nginx:1.27 --wait --timeout 30s
expect_rc 0 "the last write, seen by the sim"
flock "$LOCK" true

packs=$(ls "$PACKS"/pack-*.pack | wc -l)
[ "$packs" -lt 41 ] && ok || fail "no merge ran: $packs packs after 41 writes"
[ -r "/proc/$SIM_PID/maps" ] || fail "the sim is gone: $(cat "$SIM_ERR")"
gone=$(grep -c "$PACKS/pack-[0-9a-f]*\.pack (deleted)" "/proc/$SIM_PID/maps" || true)
[ "$gone" -le 16 ] && ok ||
	fail "the sim still maps $gone removed packs after 41 writes (at most one merge's 16)"
finish
