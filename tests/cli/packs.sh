#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A write's objects land as one pack (core/git/objstore.c), small packs are
# merged so readers never search many, and nothing a ref reaches is lost:
# checked with the git CLI after writes, a human's push and merges.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"

seed_tenant alice
R=$(repo_of alice)
G="git --git-dir=$R"
loose() { find "$R/objects" -path "$R/objects/pack" -prune -o -path "$R/objects/info" -prune \
	-o -type f -print | wc -l; }
packs() { merges_wait "$R"; find "$R/objects/pack" -name 'pack-*.pack' | wc -l; }
reachable_ok() { # how many objects reachable from a ref are missing (0), or why it cannot say
	# rev-list stops at the first object it cannot read: its status counts,
	# not only the lines it printed before stopping
	if ! $G rev-list --objects --all >"$T/objects" 2>"$T/objects.err"; then
		echo "git rev-list --objects --all failed: $(head -3 "$T/objects.err")"
		return
	fi
	cut -d' ' -f1 "$T/objects" | $G cat-file --batch-check | grep -c missing
}

expect_eq "$(loose)" "0" "the seed wrote no loose objects"
expect_eq "$(packs)" "1" "the seed is one pack"

"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1 || fail "app create"
expect_eq "$(loose)" "0" "a write adds no loose objects"
expect_eq "$(packs)" "2" "a write adds one pack"
pack=$(ls -t "$R"/objects/pack/pack-*.pack | head -1)
expect_eq "$(git verify-pack -v "$pack" | grep -cE ' (blob|tree|commit) ')" \
	"$($G rev-list --objects main~1..main | $G cat-file --batch-check='%(objecttype)' | wc -l)" \
	"the pack holds exactly the objects the commit added"

# many writes: the pack count stays bounded and every object stays reachable
for i in $(seq 1 40); do
	"$MECH" app create "svc$i" --image "nginx:1.$i" >/dev/null 2>&1 || fail "app create svc$i"
done
expect_eq "$($G rev-list --count main)" "42" "seed + 41 commits"
n=$(packs)
[ "$n" -lt 16 ] && ok || fail "after 41 writes there are $n packs; merging should keep them under 16"
expect_eq "$(reachable_ok)" "0" "no reachable object is missing after merges"
fsck_ok alice

# a human's push (loose objects from git) and mech's packs live side by side
human_clone alice "$T/h"
printf 'note\n' >"$T/h/NOTES.md"
git -C "$T/h" add NOTES.md && git -C "$T/h" commit -qm "docs: a note" && git -C "$T/h" push -q origin main ||
	fail "human push"
"$MECH" app -a web set-image nginx:1.28 >/dev/null 2>&1 || fail "a write after a human push"
expect_eq "$($G show main:NOTES.md)" "note" "the human's file is kept"
expect_eq "$(reachable_ok)" "0" "no reachable object is missing after the human push"

# merges run after the command, detached, under an flock on compact.lock:
# while one holds it, writes go on and leave the merging to it
exec 9>"$R/compact.lock"
flock 9
before=$(find "$R/objects/pack" -name 'pack-*.pack' | wc -l)
for i in $(seq 1 20); do
	"$MECH" app create "busy$i" --image "nginx:1.$i" >/dev/null 2>&1 9>&- || fail "app create busy$i while a merge runs"
done
expect_eq "$(find "$R/objects/pack" -name 'pack-*.pack' | wc -l)" "$((before + 20))" \
	"no write merges while another merge holds the lock"
exec 9>&-
"$MECH" app create "busy21" --image nginx:1.21 >/dev/null 2>&1 || fail "app create busy21"
n=$(packs)
[ "$n" -lt 16 ] && ok || fail "the first write after the merge lock is free merges: $n packs"
expect_eq "$($G rev-list --count main)" "65" "seed, 63 writes and a human commit: none lost"
expect_eq "$(reachable_ok)" "0" "no reachable object is missing after a held-off merge"

# a pack marked .keep is never merged away
keep=$(ls "$R"/objects/pack/pack-*.pack | head -1)
touch "${keep%.pack}.keep"
for i in $(seq 41 60); do
	"$MECH" app create "svc$i" --image "nginx:1.$i" >/dev/null 2>&1 || fail "app create svc$i"
done
[ -f "$keep" ] && ok || fail "a pack with a .keep file was removed"
render_overlays alice
expect_eq "$(reachable_ok)" "0" "no reachable object is missing after more merges"
fsck_ok alice

# merging is geometric in objects, as `git repack --geometric=2`: a pack of
# many objects is not rewritten to take in a few small ones (by bytes, the
# few undeltified new packs would outweigh it and every merge would copy it)
"$MECH" admin tenant add bob >/dev/null 2>&1 || fail "tenant add bob"
RB=$(repo_of bob)
git clone -q "$RB" "$T/hb"
mkdir -p "$T/hb/docs"
for i in $(seq 1 600); do echo "page $i" >"$T/hb/docs/p$i.md"; done
git -C "$T/hb" add docs && git -C "$T/hb" commit -qm "docs: 600 pages" && git -C "$T/hb" push -q origin main ||
	fail "human push of 600 files"
big=$(for i in "$RB"/objects/pack/pack-*.idx; do echo "$(git verify-pack -v "$i" | grep -c '^[0-9a-f]\{40\} ') $i"; done |
	sort -n | tail -1 | cut -d' ' -f2)
for i in $(seq 1 20); do
	"$MECH" --tenant bob app create "b$i" --image "nginx:1.$i" >/dev/null 2>&1 || fail "bob app create b$i"
done
merges_wait "$RB"
[ -f "$big" ] && ok || fail "the 600-object pack was rewritten by a merge of small ones"
[ "$(find "$RB/objects/pack" -name 'pack-*.pack' | wc -l)" -lt 16 ] && ok || fail "bob's small packs were not merged"
git --git-dir="$RB" fsck --strict --no-dangling >/dev/null 2>&1 && ok || fail "fsck of bob"
# a merge that fails leaves its reason in compact.log; writes go on, say it
# on stderr, and merging waits before trying again
"$MECH" admin tenant add carol >/dev/null 2>&1 || fail "tenant add carol"
RC=$(repo_of carol)
for i in 1 2 3; do
	"$MECH" --tenant carol app create "c$i" --image nginx:1.27 >/dev/null 2>&1 || fail "carol app create c$i"
done
# the pack of c2's write, inside a blob's compressed data (c2's own files, which
# no later write reads; its trees are, for the last writers): a merge must read it
bad=$(ls -tr "$RC"/objects/pack/pack-*.pack | sed -n 3p)
read -r in_pack offset < <(git verify-pack -v "$bad" | awk '$2 == "blob" { print $4, $5; exit }')
[ -n "$offset" ] || fail "no blob in c2's pack"
printf 'garbage!garbage!garbage!garbage!' |
	dd of="$bad" bs=1 seek=$((offset + in_pack / 2)) conv=notrunc status=none
for i in $(seq 4 16); do
	"$MECH" --tenant carol app create "c$i" --image nginx:1.27 >/dev/null 2>"$T/e" ||
		fail "carol app create c$i: $(cat "$T/e")"
done
merges_wait "$RC"
[ -s "$RC/compact.log" ] && ok || fail "a failed merge leaves compact.log"
expect_in "$(cat "$RC/compact.log" 2>/dev/null)" "cannot merge the packs" "compact.log says what failed"
n=$(find "$RC/objects/pack" -name 'pack-*.pack' | wc -l)
mech --tenant carol app create c17 --image nginx:1.27
expect_rc 0 "a write after a failed merge succeeds"
expect_in "$err" "mech: warning: the last merge of carol's packs failed: cannot merge the packs" \
	"the write warns about the failed merge"
expect_in "$err" "compact.log" "the warning names the log"
merges_wait "$RC"
expect_eq "$(find "$RC/objects/pack" -name 'pack-*.pack' | wc -l)" "$((n + 1))" \
	"no merge is tried again right after a failure"
finish
