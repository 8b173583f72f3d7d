#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Instances, routes and addons: what they write, and every refusal with
# its exit code, leaving the branch unchanged.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"

seed_tenant alice
G="git --git-dir=$(repo_of alice)"
mech app create web --image nginx:1.27
expect_rc 0 "app create"

# instances
mech app -a web instance add staging
expect_rc 0 "instance add"
expect_in "$($G show main:apps/web/overlays/staging/kustomization.yaml)" "nameSuffix: --staging" "overlay copied for the new instance"
mech app -a web set-image nginx:1.28
expect_rc 64 "set-image with two instances and none named"
expect_in "$err" "has 2 instances (main, staging)" "disambiguation message"
mech app -a web -i staging set-image nginx:1.28
expect_rc 0 "set-image on a named instance"
mech app -a web info --json
expect_eq "$(json "$out" '",".join(i["name"]+"="+i["image"] for i in d["result"]["instances"])')" "main=nginx:1.27,staging=nginx:1.28" "info per instance"
mech app -a web instance add staging
expect_rc 65 "instance add twice"
mech app -a web instance add canary --from nope
expect_rc 4 "instance add from a missing instance"

# routes
mech route -a web create
expect_rc 64 "route create with two instances and none named"
mech route -a web -i main create --json
expect_rc 0 "route create"
expect_eq "$(json "$out" 'd["files"][0]["path"]')" "network/routes/web/main.yaml" "route file"
expect_in "$($G show main:network/routes/web/main.yaml)" "web.alice.apps.localhost" "default host"
mech route -a web -i staging create --host staging.alice.apps.localhost --path /v1
expect_rc 0 "route with host and path"
before=$(head_of alice)
mech route -a web -i staging create --host evil.example.com
expect_rc 65 "host outside the tenant's domain"
expect_in "$err" "must be under *.alice.apps.localhost" "host rule explained"
mech route -a nope create
expect_rc 4 "route for a missing app"
mech route -a web -i nope create
expect_rc 4 "route for a missing instance"
mech route -a web -i main create --path 'no-slash'
expect_rc 65 "bad path"
mech route -a web -i main create --host 'Bad_Host'
expect_rc 65 "bad host"
expect_eq "$(head_of alice)" "$before" "refused routes leave the branch"
mech route list --json
expect_eq "$(json "$out" 'sorted(r["host"] for r in d["result"]["routes"])')" "['staging.alice.apps.localhost', 'web.alice.apps.localhost']" "route list"
expect_eq "$(json "$out" 'set(r["owner"] for r in d["result"]["routes"])')" "{'mech'}" "routes owned by mech"
mech app list --json
expect_eq "$(json "$out" '[i["route"] for i in d["result"]["apps"][0]["instances"]]')" "['web.alice.apps.localhost', 'staging.alice.apps.localhost']" "app list shows routes"
mech app -a web -i staging info --json
expect_eq "$(json "$out" '[i["name"] for i in d["result"]["instances"]]')" "['staging']" \
	"app info -i shows only that instance in JSON, as in text"
mech route -a web -i main info --json
expect_rc 0 "route info without kubernetes.url"
expect_eq "$(json "$out" 'd["result"]["kubernetes"]')" "not configured" "route info says so"
mech route -a web -i main wait --timeout 1s
expect_rc 78 "route wait needs kubernetes.url"
render_overlays alice web/main web/staging
before=$(head_of alice)
mech app -a web instance remove staging
expect_rc 3 "instance remove without --force"
expect_in "$err" "always needs --force" "destructive: --force required"
expect_eq "$(head_of alice)" "$before" "nothing written"
mech app -a web instance remove staging --force
expect_rc 0 "instance remove"
tree=$($G ls-tree -r --name-only main)
expect_not_in "$tree" "apps/web/overlays/staging" "overlay removed"
expect_not_in "$tree" "network/routes/web/staging.yaml" "its route removed"
mech route -a web delete
expect_rc 3 "route delete without --force"
mech route -a web delete --force
expect_rc 0 "route delete (only instance)"
mech route -a web delete --force
expect_rc 4 "deleting a missing route"

# addons
mech addon type list --json
expect_eq "$(json "$out" 'd["result"]["types"][0]["type"]')" "postgres" "catalog"
mech addon type info postgres
expect_in "$out" "256Mi..1Gi" "bounds in type info"
mech addon type info redis
expect_rc 65 "unknown type"
mech addon create db --type postgres --json
expect_rc 0 "addon create"
c=$($G show main:addons/db/cluster.yaml)
expect_in "$c" "kind: Cluster" "CNPG cluster"
expect_in "$c" "database: app" "initdb database"
expect_not_in "$c" "password" "no credential in Git"
# a pinned minor of the standard flavour, and the receipt says which
img=$(sed -n 's/^  imageName: //p' <<<"$c")
case "$img" in ghcr.io/cloudnative-pg/postgresql:17.[0-9]*-standard-trixie) ok ;; *) fail "imageName is no pinned 17.x standard image: $img" ;; esac
expect_in "$($G log -1 --format=%B main)" "image: $img" "the receipt names the image"
before=$(head_of alice)
mech addon create db2 --type postgres --storage 20Gi
expect_rc 65 "storage above the bound"
expect_in "$err" "1Gi to 10Gi" "bounds named"
mech addon create db2 --type postgres --memory 128Mi
expect_rc 65 "memory below the bound"
mech addon create db2 --type postgres --version 16
expect_rc 65 "unsupported version"
mech addon create db2 --type mysql
expect_rc 65 "unknown type on create"
mech addon create db --type postgres
expect_rc 0 "the same addon create again is a no-op"
mech addon create db --type postgres --storage 2Gi
expect_rc 65 "addon exists with other storage"
expect_in "$err" "storage: Git has 1Gi, asked 2Gi" "the difference named"
mech addon -n db set --storage 5Gi
expect_rc 65 "storage is create-only"
expect_in "$err" "create-only" "create-only explained"
mech addon -n db delete
expect_rc 3 "delete without --force"
expect_in "$err" "would delete: addons/db/cluster.yaml" "refusal shows the plan"
mech addon -n db delete --dry-run --json
expect_rc 0 "addon delete --dry-run"
expect_eq "$(json "$out" 'd["result"]["plan"][0]["needs_force"]')" "True" \
	"the plan says delete needs --force, as the real run does"
expect_eq "$(json "$out" 'd["next"]')" "[]" "a dry run suggests no follow-ups"
# without kubernetes.url, info still answers from Git; a wait cannot
mech addon -n db info --json
expect_rc 0 "addon info without kubernetes.url"
expect_eq "$(json "$out" 'd["result"]["kubernetes"]')" "not configured" "addon info says so"
expect_eq "$(json "$out" 'd["result"]["connection"]["secret"]')" "db-app" "connection still named"
mech addon -n db wait --timeout 1s
expect_rc 78 "addon wait needs kubernetes.url"
mech addon -n nope set --memory 1Gi
expect_rc 4 "set on a missing addon"
expect_eq "$(head_of alice)" "$before" "refused addon writes leave the branch"
mech addon -n db set --memory 1Gi
expect_rc 0 "set memory"
expect_in "$($G show main:addons/db/cluster.yaml)" "memory: 1Gi" "memory changed"
mech addon list --json
expect_eq "$(json "$out" 'd["result"]["addons"][0]["memory"]')" "1Gi" "addon list"
render_overlays alice
mech app -a web delete --force
expect_rc 0 "deleting the app"
expect_in "$($G ls-tree -r --name-only main)" "addons/db/cluster.yaml" "deleting an app never deletes an addon"
mech addon -n db delete --force
expect_rc 0 "forced addon delete"
expect_not_in "$($G ls-tree -r --name-only main)" "addons/db/" "addon removed"
fsck_ok alice
finish
