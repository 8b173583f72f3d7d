#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# scale, env set and addon link with --wait against mech sim, which renders
# the overlays with kubectl kustomize as Argo CD does: the wait ends when
# the instance is Synced and Healthy at the written revision, and the live
# Deployment runs the replicas scale wrote (patches and all).
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

need kubectl "kubectl is not installed: the sim's builtin kustomize ignores patches"

seed_tenant alice
export MECH_TENANT=alice
sim_start --sync-delay 100ms --health-delay 100ms --kustomize kubectl
sim_config

mech app create web --image nginx:1.27 --wait --timeout 30s
expect_rc 0 "app create --wait"
mech app -a web scale --replicas 3 --wait --timeout 30s
expect_rc 0 "scale --wait: Synced and Healthy at the scale's revision"
mech --json app -a web info
expect_eq "$(json "$out" 'd["result"]["instances"][0]["replicas"]')" "{'ready': 3, 'desired': 3}" \
	"the live Deployment runs the 3 replicas of replicas.yaml"
expect_eq "$(json "$out" 'd["result"]["instances"][0]["desired"]["replicas"]')" "3" "as Git says"
mech app -a web env set LOG_LEVEL=debug --wait --timeout 30s
expect_rc 0 "env set --wait"
mech addon create db --type postgres --wait --timeout 60s
expect_rc 0 "addon create --wait"
mech addon -n db link -a web --wait --timeout 30s
expect_rc 0 "addon link --wait"
mech app -a web scale --replicas 0 --wait --timeout 30s
expect_rc 0 "scale to 0 --wait"
mech --json app -a web info
expect_eq "$(json "$out" 'd["result"]["instances"][0]["replicas"]["desired"]')" "0" "stopped"
finish
