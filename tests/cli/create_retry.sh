#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Retries are safe (DESIGN §13): a create whose target exists is a no-op when
# the inputs are the same (exit 0, changed:false, no commit) and exit 65
# `exists` naming each field that differs otherwise — never a rollback of
# what a later deploy or a human wrote. Every write result carries `changed`.
. "$(dirname "$0")/../lib/common.sh"

seed_tenant alice
G="git --git-dir=$(repo_of alice)"
overlay() { $G show main:apps/web/overlays/main/kustomization.yaml; }

mech --tenant alice --json app create web --image nginx:1.27 --env A=1 --replicas 2
expect_rc 0 "app create"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "True" "a first create changes the repository"

# the same command again: nothing written, changed false
before=$(head_of alice)
mech --tenant alice --json app create web --image nginx:1.27 --env A=1 --replicas 2
expect_rc 0 "the same create again"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "changed:false"
expect_eq "$(json "$out" 'd["commit"]')" "None" "no commit"
expect_eq "$(head_of alice)" "$before" "nothing written"
mech --tenant alice app create web --image nginx:1.27 --env A=1 --replicas 2
expect_in "$out" "nothing changed" "the text says nothing changed"

# a deploy moves the instance on; the old create must not roll it back
mech --tenant alice app -a web deploy --tag 1.28
expect_rc 0 "deploy 1.28"
before=$(head_of alice)
mech --tenant alice --json app create web --image nginx:1.27 --env A=1 --replicas 2
expect_rc 65 "a create with the image before the deploy"
expect_eq "$(json "$out" 'd["error"]["code"]')" "exists" "error code exists"
msg=$(json "$out" 'd["error"]["message"]')
expect_in "$msg" "image: Git has nginx:1.28, asked nginx:1.27" "names the image that differs"
expect_in "$msg" "deploy TAG" "names the verb that changes it"
expect_eq "$(head_of alice)" "$before" "nothing written"
expect_in "$(overlay)" "newTag: \"1.28\"" "the deployed tag stays"

# each differing field is named; env by name only
mech --tenant alice app create web --image nginx:1.28 --env A=secret-value --env B=2 --replicas 3 --port 9090
expect_rc 65 "a create with other replicas, port and env"
expect_in "$err" "replicas: Git has 2, asked 3" "replicas named"
expect_in "$err" "port: Git has 8080, asked 9090" "port named"
expect_in "$err" "env: A differs, B only asked" "env names"
expect_not_in "$err" "secret-value" "env values are not printed"
expect_not_in "$err" "image:" "the image is the same"
expect_eq "$(head_of alice)" "$before" "nothing written"

# a create naming an instance the app does not have
mech --tenant alice app create web --image nginx:1.28 --env A=1 --replicas 2 -i canary
expect_rc 65 "create of an existing app with a new instance"
expect_in "$err" "it has no instance canary" "names the missing instance"
expect_in "$err" "instance add canary" "and the verb that adds it"

# instance add, retried
mech --tenant alice --json app -a web instance add canary
expect_rc 0 "instance add"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "True" "changed"
before=$(head_of alice)
mech --tenant alice --json app -a web instance add canary
expect_rc 0 "the same instance add again"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "changed:false"
expect_eq "$(head_of alice)" "$before" "nothing written"
mech --tenant alice app -a web -i canary set-image nginx:1.29
expect_rc 0 "canary moves on"
before=$(head_of alice)
mech --tenant alice --json app -a web instance add canary
expect_rc 65 "instance add over a canary that moved on"
expect_eq "$(json "$out" 'd["error"]["code"]')" "exists" "error code exists"
expect_in "$(json "$out" 'd["error"]["message"]')" "image: Git has nginx:1.29, main runs nginx:1.28" "names the image"
expect_eq "$(head_of alice)" "$before" "nothing written"

# route create, retried
mech --tenant alice route -a web -i main create --path /api
expect_rc 0 "route create"
before=$(head_of alice)
mech --tenant alice --json route -a web -i main create --path /api
expect_rc 0 "the same route create again"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "changed:false"
expect_eq "$(head_of alice)" "$before" "nothing written"
mech --tenant alice --json route -a web -i main create
expect_rc 65 "a route create with another path"
expect_eq "$(json "$out" 'd["error"]["code"]')" "exists" "error code exists"
expect_in "$(json "$out" 'd["error"]["message"]')" "path: Git has /api, asked /" "names the path"
expect_in "$(json "$out" 'd["error"]["hint"]')" "route -a web -i main delete" "says how to change it"
expect_eq "$(head_of alice)" "$before" "nothing written"

# addon create, retried
mech --tenant alice addon create db --type postgres --memory 512Mi
expect_rc 0 "addon create"
before=$(head_of alice)
mech --tenant alice --json addon create db --type postgres --memory 0.5Gi
expect_rc 0 "the same addon again (512Mi written as 0.5Gi)"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "changed:false"
expect_eq "$(head_of alice)" "$before" "nothing written"
mech --tenant alice --json addon create db --type postgres --memory 1Gi --version 18
expect_rc 65 "an addon create with other memory and version"
expect_eq "$(json "$out" 'd["error"]["code"]')" "exists" "error code exists"
msg=$(json "$out" 'd["error"]["message"]')
expect_in "$msg" "version: Git has 17, asked 18" "names the version"
expect_in "$msg" "memory: Git has 512Mi, asked 1Gi" "names the memory"
expect_in "$msg" "addon -n db set --memory 1Gi" "and the verb that changes it"
expect_eq "$(head_of alice)" "$before" "nothing written"
mech --tenant alice addon -n bd info
expect_rc 4 "a misspelt addon"
expect_in "$err" "did you mean db?" "with the nearest name"

# --dry-run says whether it would change
mech --tenant alice --json app -a web -i main deploy --tag 1.30 --dry-run
expect_rc 0 "dry run"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "True" "a dry run that would change"
fsck_ok alice
finish
