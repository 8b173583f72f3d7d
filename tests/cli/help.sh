#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Help is generated from the command table: every command has all seven
# sections, -h works at every level, and help needs no tenant and writes
# nothing.
. "$(dirname "$0")/../lib/common.sh"

export MECH_HOME="$T/empty-home"   # no tenant, not even a home
mech help --json
expect_rc 0 "help --json"
entries=$(json "$out" '"\n".join(e["noun"] + "|" + e["verb"] for e in d["result"]["entries"])')
n=0
while IFS='|' read -r noun verb; do
	# shellcheck disable=SC2086
	mech help $noun $verb </dev/null
	expect_rc 0 "help $noun $verb"
	for section in PURPOSE USAGE ARGUMENTS FLAGS "SIDE EFFECTS" EXAMPLES "NEXT STEPS"; do
		expect_in "$out" "$section" "help $noun $verb has $section"
	done
	# shellcheck disable=SC2086
	mech $noun $verb -h </dev/null
	expect_rc 0 "$noun $verb -h"
	expect_in "$out" "PURPOSE" "$noun $verb -h prints help"
	n=$((n + 1))
done <<<"$entries"
[ "$n" -ge 20 ] && ok || fail "only $n commands in the map"
mech app -h
expect_rc 0 "noun -h"
expect_in "$out" "create NAME --image REF" "noun help lists verbs"
mech app
expect_rc 0 "a noun alone prints its commands"
expect_in "$out" "mech app -a APP [-i INSTANCE] set-image REF" "usage shows targets"
mech
expect_rc 0 "bare mech"
for stage in identity deploy expose data inspect; do expect_in "$out" "$stage" "workflow map has $stage"; done
mech help exit-codes
expect_rc 0 "exit codes"
for code in "   0  ok" "   3  write_refused" "  64  usage" "  65  invalid" "  69  unavailable" "  75  contention" "  77  forbidden" "  78  config"; do
	expect_in "$out" "$code" "exit-code table row $code"
done
mech --version
expect_in "$out" "mech " "version"
mech --version --json
expect_eq "$(json "$out" 'd["result"]["version"]')" "$("$MECH" --version | cut -d' ' -f2)" \
	"--version --json carries the version"
# the map names every noun; --json is the whole catalogue, flag by flag
mech help
for noun in $(json "$("$MECH" help --json)" '" ".join(sorted(set(e["noun"] for e in d["result"]["entries"])))'); do
	expect_in "$out" "    $noun " "the map names the noun $noun"
done
expect_in "$out" "app      create, list, info" "with its verbs"
mech help --json
expect_eq "$(json "$out" 'len(d["result"]["catalogue"]) == len(d["result"]["commands"])')" "True" "one catalogue entry per command"
expect_eq "$(json "$out" '[f for c in d["result"]["catalogue"] if c["command"] == "app.create" for f in c["flags"] if f["name"] == "replicas"][0]')" \
	"{'name': 'replicas', 'short': None, 'type': 'int', 'metavar': 'N', 'help': 'replicas (default 1)', 'required': False, 'repeats': False, 'default': '1', 'min': 0, 'max': 100}" "a flag's type, default, bounds"
expect_eq "$(json "$out" '[f["repeats"] for c in d["result"]["catalogue"] if c["command"] == "app.create" for f in c["flags"] if f["name"] == "env"][0]')" "True" "--env repeats"
expect_eq "$(json "$out" '[f["short"] for c in d["result"]["catalogue"] if c["command"] == "app.deploy" for f in c["flags"] if f["name"] == "app"][0]')" "a" "short forms"
expect_eq "$(json "$out" 'sorted(f["name"] for c in d["result"]["catalogue"] if c["command"] == "app.deploy" for f in c["flags"])')" \
	"['app', 'dry-run', 'force', 'instance', 'tag', 'timeout', 'wait']" "a write lists --dry-run and --force"
expect_eq "$(json "$out" '[f["short"] for f in d["result"]["global_flags"] if f["name"] == "output"][0]')" "o" "global flags too"
mech help bogus
expect_rc 64 "help for an unknown command"
[ ! -e "$MECH_HOME" ] && ok || fail "help created $MECH_HOME"
# --readonly refuses every mutating command, before touching anything
mech --readonly app create web --image nginx:1.27
expect_rc 77 "readonly refuses a write"
expect_in "$err" "read-only" "readonly says why"
finish
