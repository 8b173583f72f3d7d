#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every write is a receipt the git CLI can read: subject grammar,
# trailers, author/committer, files; equal inputs make no new commit.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"

"$MECH" admin init >/dev/null
mech admin tenant add alice --name "Alice Agent" --email alice@example.com --json
expect_rc 0 "tenant add"
json_valid "$out" "tenant add JSON"
expect_eq "$(json "$out" 'd["command"]')" "tenant.add" "command id"
seed=$(head_of alice)
expect_eq "$(json "$out" 'd["commit"]')" "$seed" "JSON commit is the seed commit"
G="git --git-dir=$(repo_of alice)"
expect_eq "$($G log -1 --format=%s)" "mechanics(tenant.seed): seed tenant alice" "seed subject"
expect_eq "$($G ls-tree -r --name-only main | tr '\n' ' ')" \
	"README.md addons/README.md argocd/addons.application.yaml argocd/apps.applicationset.yaml argocd/network.application.yaml argocd/project.yaml network/README.md " \
	"seed files"
expect_eq "$($G rev-list --count main)" "1" "one seed commit"
fsck_ok alice

check_receipt() { # verb target
	local rev=main
	expect_in "$($G log -1 --format=%s $rev)" "mechanics($1): " "$1 subject prefix"
	local subj
	subj=$($G log -1 --format=%s $rev)
	[ ${#subj} -le 72 ] && ok || fail "$1 subject over 72 chars: $subj"
	expect_eq "$($G log -1 --format='%(trailers:key=Mechanics-Verb,valueonly)' $rev)" "$1" "$1 verb trailer"
	expect_eq "$($G log -1 --format='%(trailers:key=Mechanics-Tenant,valueonly)' $rev)" "alice" "$1 tenant trailer"
	expect_eq "$($G log -1 --format='%(trailers:key=Mechanics-Target,valueonly)' $rev)" "$2" "$1 target trailer"
	local req
	req=$($G log -1 --format='%(trailers:key=Mechanics-Request,valueonly)' $rev)
	[[ "$req" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] && ok || fail "$1 request id: $req"
	expect_eq "$($G log -1 --format='%an <%ae>' $rev)" "Alice Agent <alice@example.com>" "$1 author"
	expect_eq "$($G log -1 --format='%cn <%ce>' $rev)" "Mechanics <mechanics@localhost>" "$1 committer"
	fsck_ok alice
}

mech app create web --image registry.example.com/alice/web:3f2a9c1d0e4b --port 3000 --replicas 2 --env LOG_LEVEL=debug --env 'GREETING=hello world' --json
expect_rc 0 "app create"
json_valid "$out" "app create JSON"
expect_eq "$(json "$out" 'd["ok"]')" "True" "ok"
expect_eq "$(json "$out" 'd["tenant"]')" "alice" "tenant in JSON"
expect_eq "$(json "$out" 'd["commit"]')" "$(head_of alice)" "commit in JSON"
expect_eq "$(json "$out" '",".join(f["path"]+":"+f["action"] for f in d["files"])')" \
	"apps/web/base/deployment.yaml:create,apps/web/base/service.yaml:create,apps/web/base/kustomization.yaml:create,apps/web/overlays/main/kustomization.yaml:create" "files in JSON"
expect_in "$(json "$out" 'd["next"]')" "mech route -a web create" "next steps"
expect_in "$err" "alice/gitops:apps/web/base/deployment.yaml  created" "progress line on stderr"
check_receipt app.create app/web
expect_eq "$($G show --name-only --format= main | sort | tr '\n' ' ')" \
	"apps/web/base/deployment.yaml apps/web/base/kustomization.yaml apps/web/base/service.yaml apps/web/overlays/main/kustomization.yaml " \
	"files in the commit"
expect_in "$($G log -1 --format=%b)" "image: registry.example.com/alice/web:3f2a9c1d0e4b" "body names the image"
expect_in "$($G log -1 --format=%b)" "files: apps/web/base/deployment.yaml" "body lists files"
dep=$($G show main:apps/web/base/deployment.yaml)
expect_in "$dep" "containerPort: 3000" "port rendered"
expect_in "$dep" "replicas: 2" "replicas rendered"
expect_in "$dep" "hello world" "env rendered"
expect_in "$dep" "app.kubernetes.io/managed-by: mech" "managed-by label"

# same inputs again: no new commit, stated plainly
head=$(head_of alice)
mech app create web --image registry.example.com/alice/web:3f2a9c1d0e4b --port 3000 --replicas 2 --env LOG_LEVEL=debug --env 'GREETING=hello world' --json
expect_rc 0 "idempotent create"
expect_eq "$(json "$out" 'd["commit"]')" "None" "no commit for equal inputs"
expect_eq "$(head_of alice)" "$head" "branch unchanged for equal inputs"

mech app -a web deploy --tag 4b5c6d7e
expect_rc 0 "deploy"
check_receipt app.deploy app/web
expect_in "$($G show main:apps/web/overlays/main/kustomization.yaml)" "newTag: 4b5c6d7e" "deploy keeps repository, new tag"
mech app info -a web --json
expect_eq "$(json "$out" 'd["result"]["instances"][0]["image"]')" "registry.example.com/alice/web:4b5c6d7e" "info reads the deployed image"

mech app -a web set-image ghcr.io/other/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
expect_rc 0 "set-image by digest"
check_receipt app.set-image app/web
mech app -a web info --json
expect_eq "$(json "$out" 'd["result"]["instances"][0]["image"]')" "ghcr.io/other/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "info reads the digest image"

render_overlays alice # an image by digest
mech app -a web deploy --tag v2
expect_rc 0 "deploy after a digest"
mech app -a web info --json
expect_eq "$(json "$out" 'd["result"]["instances"][0]["image"]')" "ghcr.io/other/web:v2" "deploy after a digest keeps the new repository"

mech app -a web delete --force --json
expect_rc 0 "delete"
check_receipt app.delete app/web
expect_eq "$($G ls-tree -r --name-only main | grep -c '^apps/')" "0" "apps/ empty after delete"

# log and show agree with git
mech log --json
json_valid "$out" "log JSON"
expect_eq "$(json "$out" 'len(d["result"]["commits"])')" "$($G rev-list --count main)" "log lists every commit"
expect_eq "$(json "$out" '" ".join(c["commit"] for c in d["result"]["commits"])')" "$($G log --format=%H | tr '\n' ' ' | sed 's/ $//')" "log order matches git log"
expect_eq "$(json "$out" 'd["result"]["commits"][0]["class"]')" "machine" "class"
expect_eq "$(json "$out" 'd["result"]["commits"][0]["verb"]')" "app.delete" "verb"
mech log -n 2 --path apps/web/overlays/main/kustomization.yaml --json
expect_eq "$(json "$out" '" ".join(c["commit"] for c in d["result"]["commits"])')" \
	"$($G log -2 --format=%H -- apps/web/overlays/main/kustomization.yaml | tr '\n' ' ' | sed 's/ $//')" "log --path matches git log -- path"
mech show HEAD~1 --json
expect_eq "$(json "$out" 'd["result"]["commit"]')" "$($G rev-parse HEAD~1)" "show resolves HEAD~1"
expect_in "$(json "$out" 'd["result"]["diff"]')" "+++ b/apps/web/overlays/main/kustomization.yaml" "show has the diff"
mech show HEAD
expect_rc 0 "show text"
expect_in "$out" "Mechanics-Verb: app.delete" "show prints trailers"
expect_in "$out" "D  apps/web/base/deployment.yaml" "show lists files"
mech show deadbeef
expect_rc 4 "show of a missing revision"
finish
