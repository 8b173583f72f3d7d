#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A receipt mech reports is on disk (gitops.fsync, default on), in an order
# that makes it durable: strace shows the new pack, its index and the ref's
# new value (its claim) flushed, the index and the pack named, then
# objects/pack flushed; then the claim linked as the ref's lock and renamed
# over the ref, refs/heads flushed; and only then the commit line on stdout.
# Of those flushes only two follow one another while the tenant lock is
# held: the three files are flushed at once (on threads of their own), and
# refs/heads after the lock is let go, as is the file the rename replaced
# closed (its blocks freed). A new tenant's first receipt also
# flushes every directory above it up to MECH_HOME. With `gitops.fsync:
# false` nothing is flushed.
. "$(dirname "$0")/../lib/common.sh"
need strace "strace is not installed (make deps installs it)"

trace() { # file command…: its flushes, links, renames and writes, with fd paths
	# (LeakSanitizer cannot run under ptrace: the sanitizer build checks leaks elsewhere)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -y -qq -o "$1" \
		-e trace=fsync,fdatasync,sync_file_range,syncfs,sync,link,rename,renameat,renameat2,write,close \
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
synced() { # trace path-regex: the line where the flush of path-regex returned 0
	# (a flush on another thread at the same time shows as "<unfinished ...>",
	# then "<... fsync resumed>) = 0" on its thread's next line)
	local n tid
	n=$(at "$1" "fsync\\([0-9]+<$2>(\\) = 0| <unfinished \\.\\.\\.>)") || return
	[ -n "$n" ] || return
	if sed -n "${n}p" "$1" | grep -q ' = 0$'; then echo "$n"; return; fi
	tid=$(sed -n "${n}p" "$1" | cut -d' ' -f1)
	at "$1" "^$tid +<\\.\\.\\. fsync resumed>.* = 0$" "$n"
}
flushes() { grep -cE '(fsync|fdatasync|sync_file_range|syncfs|sync)\(' "$1" || true; }

seed_tenant alice
R=$(repo_of alice)
P=$R/objects/pack
trace "$T/write.st" "$MECH" app create web --image nginx:1.27
expect_eq "$?" "0" "app create under strace: $(cat "$T/err")"
S=$T/write.st
pack_sync=$(synced "$S" "$P/pack_mech_[A-Za-z0-9]{6}_pack")
idx_sync=$(synced "$S" "$P/pack_mech_[A-Za-z0-9]{6}_idx")
idx_name=$(at "$S" "rename\\(\"$P/pack_mech_[A-Za-z0-9]{6}_idx\", \"$P/pack-[0-9a-f]{40}\\.idx\"\\) = 0")
pack_name=$(at "$S" "rename\\(\"$P/pack_mech_[A-Za-z0-9]{6}_pack\", \"$P/pack-[0-9a-f]{40}\\.pack\"\\) = 0")
pack_dir=$(at "$S" "fsync\\([0-9]+<$P>\\) = 0" "$pack_name")
ref_sync=$(synced "$S" "$R/mech-claims/refs/heads/main")
ref_lock=$(at "$S" "link\\(\"$R/mech-claims/refs/heads/main\", \"$R/refs/heads/main\\.lock\"\\) = 0")
ref_rename=$(at "$S" "rename\\(\"$R/refs/heads/main\\.lock\", \"$R/refs/heads/main\"\\) = 0")
ref_dir=$(at "$S" "fsync\\([0-9]+<$R/refs/heads>\\) = 0" "$ref_rename")
printed=$(at "$S" "write\\(1<[^>]*>, \"commit [0-9a-f]{12}")
unlocked=$(at "$S" "close\\([0-9]+<$MECH_HOME/tenants/alice/lock>\\) = 0" "$ref_rename")
in_order "the pack and its index: flushed, named (the index first), their directory flushed; then the ref's value locked, renamed, refs/heads flushed; then the commit printed" \
	"$pack_sync" "$idx_name" "$pack_name" "$pack_dir" "$ref_lock" "$ref_rename" "$ref_dir" \
	"$printed"
in_order "the index flushed before it is named" "$idx_sync" "$idx_name"
in_order "the ref's new value flushed before it becomes the lock" "$ref_sync" "$ref_lock"
# what the next writer waits for: the claim is flushed with the pack, on a
# thread of its own (strace -f names each thread), before anything is named
in_order "the claim flushed before the pack's index is named" "$ref_sync" "$idx_name"
tid() { sed -n "${2}p" "$1" | cut -d' ' -f1; }
[ "$(printf '%s\n' "$(tid "$S" "$pack_sync")" "$(tid "$S" "$idx_sync")" "$(tid "$S" "$ref_sync")" |
	sort -u | wc -l)" -eq 3 ] && ok || fail "pack, index and claim are not flushed on three threads"
in_order "the tenant lock let go after the rename, before refs/heads is flushed" \
	"$ref_rename" "$unlocked" "$ref_dir"
# the file the rename replaced is held open and closed, its blocks freed (a
# discard on a disk mounted with it), only once the tenant lock is let go
old_ref=$(at "$S" "close\\([0-9]+<$R/refs/heads/main>\\(deleted\\)\\) = 0" "$ref_rename")
in_order "the branch's old file closed after the tenant lock is let go" "$unlocked" "$old_ref"
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
