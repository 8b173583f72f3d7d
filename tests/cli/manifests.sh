#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every manifest mech writes (seed, apps, instances, routes, addons)
# validates against the real schemas in ../shared/spec and passes yamllint;
# every overlay builds with kubectl kustomize into manifests that validate.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"

SPEC=${MECH_SPEC_DIR:-$SRC/../shared/spec}
[ -d "$SPEC" ] || skip "the schemas of ../shared/spec ($SPEC) are missing"
require yamllint
seed_tenant alice
set -e
"$MECH" app create web --image nginx:1.27 --port 80 --env A=1 --env 'B=two words' >/dev/null 2>&1
"$MECH" app create api --image registry.example.com/alice/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef --replicas 0 >/dev/null 2>&1
"$MECH" app -a web instance add staging >/dev/null 2>&1
"$MECH" app -a web -i staging set-image nginx:1.28 >/dev/null 2>&1
"$MECH" route -a web -i main create >/dev/null 2>&1
"$MECH" route -a web -i staging create --host staging.alice.apps.localhost --path /v1 >/dev/null 2>&1
"$MECH" addon create db --type postgres >/dev/null 2>&1
"$MECH" addon create big --type postgres --version 18 --storage 10Gi --memory 1Gi >/dev/null 2>&1
"$MECH" addon -n big set --memory 768Mi >/dev/null 2>&1
set +e
git clone -q "$(repo_of alice)" "$T/co"
files=$(cd "$T/co" && git ls-files '*.yaml')
count=$(echo "$files" | wc -l)
[ "$count" -ge 14 ] && ok || fail "expected at least 14 manifests, got $count"
(cd "$T/co" && /usr/bin/python3 "$SRC/tests/lib/validate_manifests.py" "$SPEC" $files) >"$T/val" 2>&1
rc=$?
expect_eq "$rc" "0" "schema validation of every manifest: $(head -c 2000 "$T/val")"
(cd "$T/co" && yamllint -s -c "$SRC/tests/lib/yamllint.yaml" $files) >"$T/lint" 2>&1
expect_eq "$?" "0" "yamllint: $(head -c 2000 "$T/lint")"
# and the validator is not a rubber stamp: a broken route must fail it
sed 's/port: 80/port: "x"/' "$T/co/network/routes/web/main.yaml" >"$T/broken.yaml"
/usr/bin/python3 "$SRC/tests/lib/validate_manifests.py" "$SPEC" "$T/broken.yaml" >/dev/null 2>&1
expect_eq "$?" "1" "validator rejects a route with a bad port"
# no secret value anywhere in the repo
expect_not_in "$(cd "$T/co" && git grep -il 'password' -- '*.yaml')" ".yaml" "no password key in any manifest"
render_overlays alice web/main web/staging api/main
render_overlays alice # and those are all there are
finish
