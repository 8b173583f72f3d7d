#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `make demo` runs `mech demo`: the scripted tour must run end to end,
# every step with the exit code the tour promises; the overlay it leaves
# (a human's replicas, mech's forced tag) builds with kubectl kustomize.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
export MECH_DEMO_NO_CONSOLE=1 MECH_DEMO_KEEP=1
run "$MECH" demo
demo_home=$(sed -n 's/^mech demo: a temporary home at //p' <<<"$out")
case "$demo_home" in
/tmp/mech-demo-*/home) cleanup_hooks+=("rm -rf '${demo_home%/home}'") ;;
*) fail "the demo names no temporary home: ${out:0:200}" ;;
esac
expect_rc 0 "mech demo"
expect_in "$out" "demo: done" "the tour finished"
expect_in "$out" "(exit 3)" "the refusal was shown"
expect_in "$out" "Mechanics-Forced-Over:" "the forced receipt was shown"
expect_in "$out" "Synced and Healthy" "the live part reached Healthy"
expect_in "$out" "DATABASE_URL" "connection info shown"
[ -d "$demo_home" ] && MECH_HOME=$demo_home render_overlays alice
finish
