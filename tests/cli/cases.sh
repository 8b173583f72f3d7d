#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Command cases stated as data, one file each under tests/data/ (the format
# is in tests/data/README.md): the command, its exit code, what stdout,
# stderr and --json hold, and what it does to the tenant repos (for bad
# input: nothing). tests/lib/cases.py runs them, each against a fresh copy
# of its setup's home; the setups are built here, once each.
# MECH_CASES=GLOB runs the cases whose file name matches, e.g. 'port-*'.
. "$(dirname "$0")/../lib/common.sh"

DATA=$SRC/tests/data
# shellcheck disable=SC2206 # MECH_CASES is a glob
CASES=("$DATA"/${MECH_CASES:-*}.json)
[ -e "${CASES[0]}" ] || { fail "no case matches $DATA/${MECH_CASES:-*}.json"; finish; }

# ---- setups: setup_NAME builds the home a case names as "setup": "NAME" ----
# (none: no home at all, mech starts from nothing)
setup_none() { rmdir "$MECH_HOME"; }
# alice with one app, web (image nginx:1.27), and a second tenant, bob
setup_alice_web_bob() {
	seed_tenant alice
	"$MECH" app create web --image nginx:1.27 >/dev/null 2>"$T/setup.err" &&
		"$MECH" admin tenant add bob >/dev/null 2>>"$T/setup.err"
}

for name in $(/usr/bin/python3 "$SRC/tests/lib/cases.py" --list-setups "${CASES[@]}"); do
	fn=setup_${name//-/_}
	if ! declare -F "$fn" >/dev/null; then
		fail "no setup \"$name\" (a function $fn in tests/cli/cases.sh)"
		continue
	fi
	mkdir -p "$T/templates/$name"
	if (MECH_HOME=$T/templates/$name && "$fn"); then ok; else fail "setup $name: $(cat "$T/setup.err" 2>/dev/null)"; fi
	merges_wait "$T/templates/$name"
done
[ "$FAIL" -eq 0 ] || finish

/usr/bin/python3 "$SRC/tests/lib/cases.py" --mech "$MECH" --home "$T/home" --templates "$T/templates" \
	"${CASES[@]}" >"$T/cases.out"
rc=$?
cat "$T/cases.out"
PASS=$((PASS + $(grep -c '^ok ' "$T/cases.out")))
[ "$rc" -eq 0 ] || fail "$(grep -c '^FAIL ' "$T/cases.out") of ${#CASES[@]} cases failed (above)"
finish
