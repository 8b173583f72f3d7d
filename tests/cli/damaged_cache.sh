#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech's own caches under MECH_HOME/cache (the last-writer index, the app
# cache) carry checksums: a flipped digit or byte, or a file from before the
# checksums, is rebuilt from Git and never believed. The answers a user sees
# stay right: a human's commit still needs --force. The commit briefs' cache
# (each last writer's author) has a checksum too.
. "$(dirname "$0")/../lib/common.sh"

seed_tenant alice
IDX="$MECH_HOME/cache/alice/lastwriter-main.idx"
APPS="$MECH_HOME/cache/alice/apps-main.cache"
OV=apps/web/overlays/main/kustomization.yaml
mech app create web --image nginx:1.27 --port 80
expect_rc 0 "app create"
human_clone alice "$T/clone"
printf 'replicas:\n- name: web\n  count: 3\n' >>"$T/clone/$OV"
git -C "$T/clone" commit -qam "scale web to 3"
git -C "$T/clone" push -q origin HEAD
human=$(git -C "$T/clone" rev-parse HEAD)

needs_force() { # what: the plan of a set-image still names the human commit
	mech app -a web set-image nginx:1.28 --dry-run --json
	expect_rc 0 "$1: dry run"
	expect_eq "$(json "$out" 'd["result"]["plan"][0]["last_writer"]')" "$human" "$1: last writer"
	expect_eq "$(json "$out" 'd["result"]["plan"][0]["class"]')" "human" "$1: class"
	expect_eq "$(json "$out" 'd["result"]["plan"][0]["needs_force"]')" "True" "$1: needs --force"
}
rm -f "$IDX" # built afresh: one snapshot, in blocks (the deltas come later)
needs_force "fresh index"
[ -s "$IDX" ] && ok || fail "the index was written"
expect_in "$(head -1 "$IDX")" "mech-lastwriter 4 " "the index is in format 4"
grep -aq " 2 $OV\$" "$IDX" && ok || fail "the index says human (2) for $OV: $(grep -aF "$OV" "$IDX")"
cp "$IDX" "$T/good.idx"

# one digit in a snapshot block: human (2) becomes machine (1); the block's sum finds it
sed -i "s| 2 $OV\$| 1 $OV|" "$IDX"
grep -aq " 1 $OV\$" "$IDX" && ok || fail "the damage was not made"
needs_force "a flipped class digit"
cmp -s "$IDX" "$T/good.idx" && ok || fail "the damaged index is not rebuilt as it was"

# the same digit in a delta (+ line) appended by a later write
mech app create api --image nginx:1.27
expect_rc 0 "app create api"
# the write moved the index to its own commit (a delta from the head it
# built on), so the next write or read finds it at the head
expect_in "$(grep -a '^@' "$IDX" | tail -1)" " $(head_of alice) " "the write recorded its own commit"
needs_force "the read after a write"
grep -aq '^@' "$IDX" && ok || fail "no delta in the index: $(tail -3 "$IDX")"
grep -aq "^+[0-9a-f]* 1 apps/api/overlays/main/kustomization.yaml\$" "$IDX" && ok ||
	fail "the delta has api's overlay as mech's: $(grep -a '^+' "$IDX")"
# mech's own file (1) becomes a human's (2)
sed -i 's|^+\([0-9a-f]*\) 1 apps/api/overlays/main/kustomization.yaml$|+\1 2 apps/api/overlays/main/kustomization.yaml|' "$IDX"
grep -aq "^+[0-9a-f]* 2 apps/api/" "$IDX" && ok || fail "the damage was not made"
mech app -a api set-image nginx:1.28 --dry-run --json
expect_eq "$(json "$out" 'd["result"]["plan"][0]["class"]')" "machine" "a flipped digit in a delta: class"
expect_eq "$(json "$out" 'd["result"]["plan"][0]["needs_force"]')" "False" \
	"a flipped digit in a delta: mech's own file needs no --force"
needs_force "a flipped digit in a delta"
mech log -n 5 --json
expect_rc 0 "log after a damaged delta"
grep -aq '^+' "$IDX" && fail "the damaged index was not rewritten" || ok

# an index from before the checksums (mech-lastwriter 2) is rebuilt, not read
tip=$(head_of alice)
printf 'mech-lastwriter 2 %s\n' "$tip" >"$IDX"
grep -aF " $OV" "$T/good.idx" | sed 's/ 2 / 1 /' >>"$IDX"
needs_force "an index of version 2"
expect_in "$(head -1 "$IDX")" "mech-lastwriter 4 $tip " "version 2 rewritten as version 4"

# ---- the app cache ----
mech app list --json
expect_rc 0 "app list"
listed=$out
[ -s "$APPS" ] && ok || fail "app list wrote no cache"
# an image one byte off: believed, the listing would say nginx:1.26
sed -i 's/nginx:1\.27/nginx:1.26/' "$APPS"
grep -q 'nginx:1.26' "$APPS" && ok || fail "the damage was not made"
mech app list --json
expect_eq "$out" "$listed" "a damaged app cache does not change the listing"
grep -q 'nginx:1.26' "$APPS" && fail "the damaged app cache was not rewritten" || ok
# a cache from before the checksums (mech-apps 2): not read, rewritten
sed -i '1s/^mech-apps 3 \(.*\) [0-9a-f]\{16\}$/mech-apps 2 \1/' "$APPS"
sed -i 's/nginx:1\.27/nginx:1.26/' "$APPS"
expect_in "$(head -1 "$APPS")" "mech-apps 2 " "the cache was made version 2"
mech app list --json
expect_eq "$out" "$listed" "an app cache of version 2 does not change the listing"
expect_in "$(head -1 "$APPS")" "mech-apps 3 " "version 2 rewritten as version 3"

# ---- the commit briefs (core/git/brief.c): each last writer's author ----
BRIEFS="$MECH_HOME/cache/alice/briefs-main.cache"
rm -f "$BRIEFS"
mech app list --json
expect_rc 0 "app list without a brief cache"
listed=$out
[ -s "$BRIEFS" ] && ok || fail "app list wrote no brief cache"
expect_in "$(head -1 "$BRIEFS")" "mech-briefs 1 " "the brief cache's header"
mech app list --json
expect_eq "$out" "$listed" "the listing from the brief cache equals the one from Git"
# an author's email one byte off: believed, the listing would say so
sed -i '2s/@/#/' "$BRIEFS"
grep -q '#' "$BRIEFS" && ok || fail "the damage was not made"
mech app list --json
expect_eq "$out" "$listed" "a damaged brief cache does not change the listing"
grep -q '#' "$BRIEFS" && fail "the damaged brief cache was not rewritten" || ok
finish
