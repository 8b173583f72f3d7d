#!/bin/bash
# `make demo` runs `mech demo`: the scripted tour must run end to end,
# every step with the exit code the tour promises.
. "$(dirname "$0")/../lib/common.sh"
export MECH_DEMO_NO_CONSOLE=1
run "$MECH" demo
expect_rc 0 "mech demo"
expect_in "$out" "demo: done" "the tour finished"
expect_in "$out" "(exit 3)" "the refusal was shown"
expect_in "$out" "Mechanics-Forced-Over:" "the forced receipt was shown"
expect_in "$out" "Synced and Healthy" "the live part reached Healthy"
expect_in "$out" "DATABASE_URL" "connection info shown"
finish
