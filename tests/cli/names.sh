#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Names cannot collide (docs/formats.md, "Names"): '--' joins derived names,
# two routes never share a host, in a tenant or across tenants, and a repo
# written with the old '-' names moves to '--' on mech's next write.
. "$(dirname "$0")/../lib/common.sh"

seed_tenant alice
seed_tenant bob
G="git --git-dir=$(repo_of alice)"

# the derived names of an instance
mech --tenant alice app create web --image nginx:1.27
expect_rc 0 "app create"
expect_in "$($G show main:apps/web/overlays/main/kustomization.yaml)" "nameSuffix: --main" "workloads are <app>--<instance>"
expect_in "$($G show main:argocd/apps.applicationset.yaml)" \
	"name: alice--{{index .path.segments 1}}--{{.path.basename}}" "Applications are <tenant>--<app>--<instance>"
expect_in "$($G show main:argocd/network.application.yaml)" "name: alice--network" "the network Application"

# web-a/main and web/a derive one host: the second route is refused, naming the first
mech --tenant alice app create web-a --image nginx:1.27
expect_rc 0 "app web-a"
mech --tenant alice app -a web instance add a
expect_rc 0 "instance web/a"
mech --tenant alice route -a web-a create
expect_rc 0 "route of web-a/main"
before=$(head_of alice)
mech --tenant alice --json route -a web -i a create
expect_rc 65 "a second route to web-a.alice.apps.localhost"
expect_eq "$(json "$out" 'd["error"]["code"]')" "invalid" "error code"
expect_in "$(json "$out" 'd["error"]["message"]')" "host web-a.alice.apps.localhost is already routed by route web-a/main" "names the other route"
expect_eq "$(head_of alice)" "$before" "nothing written"
mech --tenant alice route -a web-a create
expect_rc 0 "the same route again is no collision with itself"
mech --tenant alice route -a web -i a create --host web-a2.alice.apps.localhost
expect_rc 0 "another host for web/a"

# an explicit host another tenant already routes (the operator allows any host)
sed -i 's/^routes: *{/routes: {allow_any_host: true, /' "$MECH_HOME/mech.yaml"
grep -q allow_any_host "$MECH_HOME/mech.yaml" || fail "mech.yaml has no routes line to extend"
mech --tenant bob app create api --image nginx:1.27
expect_rc 0 "bob's app"
before=$(head_of bob)
mech --tenant bob route -a api create --host web-a.alice.apps.localhost
expect_rc 65 "bob's route to alice's host"
expect_in "$err" "already routed by route web-a/main (network/routes/web-a/main.yaml) of tenant alice" "names the tenant and route"
expect_eq "$(head_of bob)" "$before" "nothing written for bob"
mech --tenant bob route -a api create --host api.example.com
expect_rc 0 "a free host"

# an instance a human made whose derived names pass 63: its route is refused
long_app=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa long_inst=iiiiiiiiiiiiiiiiiiii
human_clone alice "$T/long"
mkdir -p "$T/long/apps/$long_app/overlays/$long_inst"
printf 'resources: []\n' >"$T/long/apps/$long_app/overlays/$long_inst/kustomization.yaml"
(cd "$T/long" && git add -A && git commit -qm "a long instance" && git push -q origin main) ||
	fail "human push"
before=$(head_of alice)
mech --tenant alice route -a "$long_app" -i "$long_inst" create --host long.alice.apps.localhost
expect_rc 65 "route of an instance whose Application would be 69 characters"
expect_in "$err" "the Application \"alice--$long_app--$long_inst\" would be 69 characters" "names the derived name and its length"
expect_eq "$(head_of alice)" "$before" "nothing written"

# a repo written before '--' by a mech without signing (a signing key makes
# a hand-made receipt human): an old mech receipt with '-' names
export MECH_HOME="$T/old-home"
seed_tenant alice
rm -r "$MECH_HOME/keys"
G="git --git-dir=$(repo_of alice)"
mech --tenant alice app create web-a --image nginx:1.27 && mech --tenant alice route -a web-a create
expect_rc 0 "an app and its route in the old home"
human_clone alice "$T/old"
sed -i 's/nameSuffix: --main/nameSuffix: -main/; s/web-a--main/web-a-main/' \
	"$T/old/apps/web-a/overlays/main/kustomization.yaml"
sed -i 's/web-a--main/web-a-main/g' "$T/old/network/routes/web-a/main.yaml"
# and the instance label of then: Argo CD's tracking key, valued <app>-<instance>
sed -i 's|mech.dev/instance: main|app.kubernetes.io/instance: web-a-main|' \
	"$T/old/apps/web-a/overlays/main/kustomization.yaml" "$T/old/network/routes/web-a/main.yaml"
sed -i 's/alice--/alice-/g' "$T/old/argocd/"*.yaml
(cd "$T/old" && git add -A &&
	GIT_COMMITTER_NAME=Mechanics GIT_COMMITTER_EMAIL=mechanics@localhost git commit -q -F - <<'MSG' &&
mechanics(tenant.seed): names as mech wrote them before "--"

Mechanics-Verb: tenant.seed
Mechanics-Tenant: alice
Mechanics-Target: tenant/alice
Mechanics-Request: 00000000-0000-4000-8000-000000000000
MSG
	git push -q origin main) || fail "old-style commit"
mech --tenant alice log -n 1 --json
expect_eq "$(json "$out" 'd["result"]["commits"][0]["class"]')" "machine" "the old receipt is mech's"
mech --tenant alice app -a web-a set-image nginx:1.28
expect_rc 0 "set-image on an old overlay"
overlay=$($G show main:apps/web-a/overlays/main/kustomization.yaml)
expect_in "$overlay" "nameSuffix: --main" "the overlay is renamed"
# a new Deployment, so a new selector: mech's instance label instead of Argo CD's tracking key
expect_in "$overlay" "mech.dev/instance: main" "the renamed overlay selects on mech.dev/instance"
expect_not_in "$overlay" "app.kubernetes.io/instance" "and no longer on app.kubernetes.io/instance"
route=$($G show main:network/routes/web-a/main.yaml)
expect_in "$route" "name: web-a--main" "its route follows in the same receipt"
expect_in "$route" "mech.dev/instance: main" "the route's label moves too"
expect_not_in "$route" "web-a-main" "no old name left in the route"
expect_in "$($G log -1 --format=%B main)" "renamed: web-a-main to web-a--main" "the receipt says so"
expect_in "$($G show main:argocd/apps.applicationset.yaml)" "name: alice-{{" "argocd/ waits for a tenant-level write"
mech admin tenant add alice
expect_rc 0 "tenant add on the seeded repo"
expect_in "$($G show main:argocd/apps.applicationset.yaml)" "name: alice--{{index" "the ApplicationSet renamed"
expect_in "$($G show main:argocd/network.application.yaml)" "name: alice--network" "the network Application renamed"
before=$(head_of alice)
mech admin tenant add alice
expect_rc 0 "tenant add again"
expect_eq "$(head_of alice)" "$before" "nothing left to rename"

finish
