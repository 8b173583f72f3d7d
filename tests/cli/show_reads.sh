#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `mech show` reads only what the commit changed (issue 19): its diff and
# file list are git's for a commit that adds, modifies, deletes, changes a
# mode and turns a file into a directory; and it still answers when a
# subtree the commit did not touch, or an older commit, is missing from the
# object store, which a diff of the whole tree or a walk of the whole
# history would have to read. `app info` likewise reads its own app only:
# another app's missing file does not stop it.
. "$(dirname "$0")/../lib/common.sh"

seed_tenant alice
G="git --git-dir=$(repo_of alice)"
mech app create web --image nginx:1.27
expect_rc 0 "app create web"

human_clone alice "$T/clone"
C="git -C $T/clone"
mkdir -p "$T/clone/zzz"
echo "kept" >"$T/clone/zzz/kept.txt"
echo "a file" >"$T/clone/apps/web/extra"
mkdir -p "$T/clone/apps/other/base"
sed 's/web/other/' "$T/clone/apps/web/base/deployment.yaml" >"$T/clone/apps/other/base/deployment.yaml"
$C add -A && $C commit -qm "a person adds zzz/, apps/web/extra and app other"
first=$($C rev-parse HEAD)
echo "note" >>"$T/clone/README.md"
$C commit -qam "a person edits the README"
# one commit: modify, add nested, delete, mode change, file -> directory
sed -i 's/newTag: "1.27"/newTag: "1.28"/' "$T/clone/apps/web/overlays/main/kustomization.yaml"
mkdir -p "$T/clone/apps/web/notes/deep"
echo "new" >"$T/clone/apps/web/notes/deep/a.txt"
$C rm -q apps/web/base/service.yaml
chmod +x "$T/clone/apps/web/base/kustomization.yaml"
$C rm -q apps/web/extra
mkdir -p "$T/clone/apps/web/extra"
echo "inside" >"$T/clone/apps/web/extra/x.txt"
$C add -A && $C commit -qm "a person changes many things at once"
$C push -q origin HEAD
expect_eq "$(head_of alice)" "$($C rev-parse HEAD)" "pushed"

mech --json show HEAD
expect_rc 0 "show HEAD"
expect_eq "$(json "$out" 'd["result"]["diff"]')" \
	"$($G diff --no-color --no-ext-diff --full-index --abbrev=7 HEAD~1 HEAD | sed 's/^\(index [0-9a-f]\{7\}\)[0-9a-f]*\.\.\([0-9a-f]\{7\}\)[0-9a-f]*/\1..\2/')" \
	"the diff is git's"
expect_eq "$(json "$out" '" ".join(f["path"] + ":" + f["action"] for f in d["result"]["files"])')" \
	"$($G diff --no-renames --name-status HEAD~1 HEAD | awk '{a = $1 == "A" ? "create" : $1 == "D" ? "delete" : "update"; printf "%s%s:%s", (NR > 1 ? " " : ""), $2, a}')" \
	"the files are git's, in tree order"
mech show HEAD
expect_rc 0 "show HEAD (text)"
expect_in "$out" "D  apps/web/base/service.yaml" "text lists the deletion"
expect_in "$out" "A  apps/web/extra/x.txt" "text lists the file under the new directory"
before=$out

obj() { echo "$(repo_of alice)/objects/${1:0:2}/${1:2}"; }

# app info without a file of app "other" (a loose object)
mech app -a web info
expect_rc 0 "app info web"
info=$out
other=$($G rev-parse HEAD:apps/other/base/deployment.yaml)
[ -f "$(obj "$other")" ] || fail "apps/other's deployment is not a loose object"
rm -f "$(obj "$other")" "$MECH_HOME"/cache/alice/apps-*.cache
mech app -a web info
expect_rc 0 "app info web without another app's deployment"
expect_eq "$out" "$info" "same output"

# the objects a whole-tree diff or a whole-history walk would need
zzz=$($G rev-parse HEAD:zzz)
[ -f "$(obj "$zzz")" ] || fail "zzz/'s tree is not a loose object (the push was packed)"
[ -f "$(obj "$first")" ] || fail "the first human commit is not a loose object"
rm -f "$(obj "$zzz")" "$(obj "$first")"
$G cat-file -e "$zzz" 2>/dev/null && fail "zzz/'s tree is still readable"
mech show HEAD
expect_rc 0 "show HEAD without an untouched subtree and an old commit"
expect_eq "$out" "$before" "same output"

finish
