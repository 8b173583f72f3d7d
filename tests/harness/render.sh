#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# render_overlays (tests/lib/render.sh) is not a rubber stamp: an overlay
# kustomize cannot build, one that renders no Service, and one whose
# rendered Deployment is invalid each fail it, naming the overlay; a good
# one passes; without kubectl the part is skipped (strict mode: fails).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
need kubectl "kubectl is not installed"

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1 || fail "app create web"
"$MECH" app create api --image nginx:1.27 >/dev/null 2>&1 || fail "app create api"
"$MECH" app create db --image postgres:16 >/dev/null 2>&1 || fail "app create db"

# verdict ARGS...: render_overlays ARGS in a subshell (its failures are
# expected here); $out: what it said, $rc: 0 if it failed nothing
verdict() {
	(
		FAIL=0 SKIPPED_PARTS=()
		render_overlays "$@"
		[ ${#SKIPPED_PARTS[@]} -eq 0 ] || echo "skipped part: ${SKIPPED_PARTS[*]}"
		[ "$FAIL" -eq 0 ]
	) >"$T/verdict" 2>&1 && rc=0 || rc=$?
	out=$(cat "$T/verdict")
}
verdict alice
expect_eq "$rc" 0 "mech's own overlays render and validate: $out"

# a human breaks three overlays in three ways
W=$T/wc
human_clone alice "$W"
sed -i 's|\.\./\.\./base|../../nope|' "$W/apps/web/overlays/main/kustomization.yaml"
sed -i '/service.yaml/d' "$W/apps/api/base/kustomization.yaml"
cat >>"$W/apps/db/overlays/main/kustomization.yaml" <<'EOF'
patches:
- target: {kind: Deployment}
  patch: |-
    - op: replace
      path: /spec/selector/matchLabels
      value: {tier: db}
EOF
git -C "$W" commit -qam "break three overlays" && git -C "$W" push -q origin HEAD:main || fail "push"

verdict alice web/main
expect_eq "$rc" 1 "an overlay that does not build fails"
expect_in "$out" "kubectl kustomize apps/web/overlays/main (alice) does not build" "…naming it"
verdict alice api/main
expect_eq "$rc" 1 "an overlay without a Service fails"
expect_in "$out" "renders kinds \"Deployment \", not a Deployment and a Service" "…saying what it renders"
verdict alice db/main
expect_eq "$rc" 1 "an invalid rendered Deployment fails"
expect_in "$out" "do not validate" "…through the validator"
expect_in "$out" "selector does not match template labels" "…with its reason"
verdict alice
expect_eq "$rc" 1 "all overlays: the broken ones fail"

# without kubectl: a skipped part, which strict mode turns into a failure
mkdir -p "$T/bin"
for tool in git python3 sed sort tr head cat; do ln -sf "$(command -v "$tool")" "$T/bin/$tool"; done
PATH=$T/bin verdict alice
expect_eq "$rc" 0 "without kubectl nothing fails…"
expect_in "$out" "skipped part: kubectl is not installed" "…but the part is skipped"
finish
