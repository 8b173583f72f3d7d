#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A pack write killed half-way leaves temporaries in objects/pack (a
# write's pack_mech_<random>_pack and _idx, a merge's libgit2
# pack_git2_<random>, pack_git2_<…>idx.lock) or an index whose pack never
# got its name; nothing used to remove them (hundreds of MB after killed
# merges). The next merge removes those older than any live writer can be
# (an hour), keeps fresh ones and files of git's own naming, and loses no
# receipt. Checked against git's own view (`git count-objects -v` garbage).
. "$(dirname "$0")/../lib/common.sh"
need strace "strace is not installed (make deps installs it)"

seed_tenant alice
R=$(repo_of alice)
G="git --git-dir=$R"
P=$R/objects/pack
landed=()
write() { # app: one write that must land
	"$MECH" app create "$1" --image nginx:1.27 >/dev/null 2>"$T/write.err" &&
		landed+=("$1") || fail "app create $1: $(cat "$T/write.err")"
}
garbage() { $G count-objects -v 2>/dev/null | sed -n 's/^garbage: //p'; }
write first

# Real leftovers, from writes killed (SIGKILL) as they name their new pack:
# at the first rename (the index's), a temporary pack and a temporary index;
# at the second (the pack's), a temporary pack and an index without its pack.
# (A dry run first brings the last-writer index up to date: its own rename is then not among the write's.)
for when in 1 1 2; do
	"$MECH" app create "killed$when" --image nginx:1.27 --dry-run >/dev/null 2>&1
	{ strace -f -o /dev/null -e trace=rename -e inject=rename:signal=KILL:when=$when \
		"$MECH" app create "killed$when" --image nginx:1.27 >/dev/null; } 2>/dev/null
	expect_eq "$?" "137" "a write killed at rename $when of its pack"
done
mapfile -t killed < <(find "$P" -name 'pack_mech_*')
mapfile -t orphans < <(for i in "$P"/pack-*.idx; do [ -e "${i%.idx}.pack" ] || echo "$i"; done)
expect_eq "${#killed[@]}" "5" "the killed writes left their temporaries (3 packs, 2 indexes)"
expect_eq "${#orphans[@]}" "1" "the write killed at its pack's rename left an index without its pack"
[ "$(garbage)" -gt 0 ] && ok || fail "git counts no garbage in objects/pack: $($G count-objects -v)"

# Age them as if they were left two hours ago; put beside them the same kinds
# of file as a live writer has them now, and git's own temporaries: all of
# those must stay.
touch -d '2 hours ago' "${killed[@]}" "${orphans[@]}"
printf 'x' >"$R/objects/tmp_object_git2_0ld0ld0ld0ld0ld0"
touch -d '2 hours ago' "$R/objects/tmp_object_git2_0ld0ld0ld0ld0ld0"
kept=("$P/pack_git2_f7e5f7e5f7e5f7e5" "$P/pack_git2_f7e5f7e5f7e5idx.lock"
	"$P/pack-$(printf 'f%.0s' {1..40}).idx" "$R/objects/tmp_object_git2_f7e5f7e5f7e5f7e5"
	"$P/tmp_pack_0ld0ld" "$P/tmp_idx_0ld0ld" "$P/pack-$(printf 'e%.0s' {1..40}).pack")
cp "${killed[0]}" "${kept[0]}"
for f in "${kept[@]:1}"; do printf 'x' >"$f"; done
touch -d '2 hours ago' "${kept[@]:4}"

# writes until packs are merged (16 packs), then wait for the merge
for i in $(seq 1 20); do write "app$i"; done
merges_wait "$R"
n=$(find "$P" -name 'pack-*.pack' | wc -l)
[ "$n" -lt 16 ] && ok || fail "no merge ran: $n packs"

for f in "${killed[@]}" "${orphans[@]}" "$R/objects/tmp_object_git2_0ld0ld0ld0ld0ld0"; do
	[ ! -e "$f" ] && ok || fail "an old leftover was not removed: ${f#"$R"/}"
done
for f in "${kept[@]}"; do
	[ -e "$f" ] && ok || fail "a fresh temporary or one of git's own was removed: ${f#"$R"/}"
done

# nothing else is garbage to git once the planted files go; no receipt is lost
rm -f "${kept[@]}"
expect_eq "$(garbage)" "0" "git counts no garbage left"
for app in "${landed[@]}"; do
	[ -n "$($G log --format=%H main --grep="^Mechanics-Target: app/$app\$")" ] && ok ||
		fail "the receipt of $app is lost"
done
expect_eq "$($G rev-list --count main)" "$((${#landed[@]} + 1))" "seed + every write that landed"
expect_eq "$($G rev-list --objects --all | cut -d' ' -f1 | $G cat-file --batch-check | grep -c missing)" \
	"0" "every object a ref reaches is readable"
fsck_ok alice
finish
