#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A receipt mech reports is on disk (gitops.fsync, default on), in an order
# that makes it durable: strace shows the new pack and its index flushed,
# named, then objects/pack flushed; then the ref's new value, its lock, the rename
# over the ref and refs/heads; and only then the commit line on stdout. A
# new tenant's first receipt also flushes every directory above it up to
# MECH_HOME. With `gitops.fsync: false` nothing is flushed.
. "$(dirname "$0")/../lib/common.sh"
need strace "strace is not installed (make deps installs it)"

trace() { # file command…: its flushes, links, renames and writes, with fd paths
	# (LeakSanitizer cannot run under ptrace: the sanitizer build checks leaks elsewhere)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -y -qq -o "$1" \
		-e trace=fsync,fdatasync,sync_file_range,syncfs,sync,link,rename,renameat,renameat2,write \
		"${@:2}" >"$T/out" 2>"$T/err"
}
at() { # trace regex [line]: the number of the first line after `line` matching regex
	local from=${3:-0} n
	n=$(tail -n +"$((from + 1))" "$1" | grep -n -m1 -E "$2" | cut -d: -f1)
	[ -n "$n" ] && echo $((from + n))
}
in_order() { # what line…: each found, each after the one before
	local what=$1 prev=0 n
	shift
	for n in "$@"; do
		if [ -z "$n" ] || [ "$n" -le "$prev" ]; then
			fail "$what: steps out of order or missing (lines: $*)"
			return
		fi
		prev=$n
	done
	ok
}
flushes() { grep -cE '(fsync|fdatasync|sync_file_range|syncfs|sync)\(' "$1" || true; }

seed_tenant alice
R=$(repo_of alice)
P=$R/objects/pack
trace "$T/write.st" "$MECH" app create web --image nginx:1.27
expect_eq "$?" "0" "app create under strace: $(cat "$T/err")"
S=$T/write.st
pack_sync=$(at "$S" "fsync\\([0-9]+<$P/pack_mech_[A-Za-z0-9]{6}_pack>\\) = 0")
idx_sync=$(at "$S" "fsync\\([0-9]+<$P/pack_mech_[A-Za-z0-9]{6}_idx>\\) = 0")
idx_name=$(at "$S" "rename\\(\"$P/pack_mech_[A-Za-z0-9]{6}_idx\", \"$P/pack-[0-9a-f]{40}\\.idx\"\\) = 0")
pack_name=$(at "$S" "rename\\(\"$P/pack_mech_[A-Za-z0-9]{6}_pack\", \"$P/pack-[0-9a-f]{40}\\.pack\"\\) = 0")
pack_dir=$(at "$S" "fsync\\([0-9]+<$P>\\) = 0" "$pack_name")
ref_sync=$(at "$S" "fsync\\([0-9]+<$R/mech-claims/refs/heads/main>\\) = 0")
ref_lock=$(at "$S" "link\\(\"$R/mech-claims/refs/heads/main\", \"$R/refs/heads/main\\.lock\"\\) = 0")
ref_rename=$(at "$S" "rename\\(\"$R/refs/heads/main\\.lock\", \"$R/refs/heads/main\"\\) = 0")
ref_dir=$(at "$S" "fsync\\([0-9]+<$R/refs/heads>\\) = 0" "$ref_rename")
printed=$(at "$S" "write\\(1<[^>]*>, \"commit [0-9a-f]{12}")
in_order "the pack and its index: flushed, named (the index first), their directory flushed; then the ref's value flushed, locked, renamed, refs/heads flushed; then the commit printed" \
	"$pack_sync" "$idx_sync" "$idx_name" "$pack_name" "$pack_dir" "$ref_sync" "$ref_lock" \
	"$ref_rename" "$ref_dir" "$printed"
expect_eq "$(head_of alice)" "$(sed -n 's/^commit \([0-9a-f]*\).*/\1/p' "$T/out" | xargs -r git --git-dir="$R" rev-parse)" \
	"the printed commit is the branch head"

# a new tenant's first receipt: the directories it created, up to MECH_HOME
trace "$T/seed.st" "$MECH" admin tenant add bob
expect_eq "$?" "0" "tenant add under strace: $(cat "$T/err")"
RB=$(repo_of bob)
S=$T/seed.st
rename=$(at "$S" "rename\\(\"$RB/refs/heads/main\\.lock\", \"$RB/refs/heads/main\"\\) = 0")
for d in "$RB/refs/heads" "$RB/refs" "$RB" "$MECH_HOME/tenants/bob" "$MECH_HOME/tenants" "$MECH_HOME" \
	"$RB/objects"; do
	[ -n "$(at "$S" "fsync\\([0-9]+<$d>\\) = 0" "$rename")" ] && ok ||
		fail "the first receipt did not flush $d after its ref"
done

# the opt-out, for throwaway homes: not one flush, and the write still lands
printf 'gitops:\n  fsync: false\n' >"$MECH_HOME/mech.yaml"
trace "$T/nosync.st" "$MECH" --tenant alice app create api --image nginx:1.27
expect_eq "$?" "0" "app create with gitops.fsync: false"
expect_eq "$(flushes "$T/nosync.st")" "0" "with gitops.fsync: false nothing is flushed"
expect_eq "$(git --git-dir="$R" log -1 --format=%s main)" "mechanics(app.create): add app api" \
	"the write landed"
[ "$(flushes "$T/write.st")" -gt 0 ] && ok || fail "the default write flushed nothing"

# a bad value is a configuration error (exit 78)
printf 'gitops:\n  fsync: sometimes\n' >"$MECH_HOME/mech.yaml"
mech --tenant alice app create db --image nginx:1.27
expect_rc 78 "gitops.fsync: sometimes"
expect_in "$err" "gitops.fsync" "the error names the key"
rm "$MECH_HOME/mech.yaml"
fsck_ok alice
fsck_ok bob
finish
