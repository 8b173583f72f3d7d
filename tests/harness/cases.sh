#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The case runner (tests/lib/cases.py) fails a case for each way its
# command differs from the file: exit code, stdout, stderr, JSON fields,
# and the repos (a write where none was expected, the wrong number of
# commits, the wrong subject); a malformed file (an unknown key, a missing
# one) fails rather than checking less. A case that matches passes.
. "$(dirname "$0")/../lib/common.sh"

C=$T/cases
mkdir -p "$C" "$T/templates/inited" "$T/templates/alice"
MECH_HOME=$T/templates/inited "$MECH" admin init >/dev/null 2>&1 || fail "admin init"
(MECH_HOME=$T/templates/alice && seed_tenant alice)
merges_wait "$T/templates"

# case NAME JSON: one case file
case_file() { printf '%s\n' "$2" >"$C/$1.json"; }
# runner NAME...: run those cases; $out holds the report, $rc its exit code
runner() {
	local f files=()
	for f in "$@"; do files+=("$C/$f.json"); done
	run /usr/bin/python3 "$SRC/tests/lib/cases.py" --mech "$MECH" --home "$T/home" \
		--templates "$T/templates" "${files[@]}"
}
# expect_case NAME WANT-EXIT TEXT...: the runner's verdict on one case
expect_case() {
	local name=$1 want=$2
	shift 2
	runner "$name"
	expect_rc "$want" "runner on $name"
	for text in "$@"; do expect_in "$out" "$text" "report on $name"; done
}

case_file good '{"about": "help", "args": ["help"], "exit": 0, "stdout_has": ["identity"],
	"stderr": "", "repo": "unchanged"}'
# "stderr" is not a key: the case is malformed, not a weaker check
expect_case good 1 "FAIL good: malformed case: unknown key 'stderr'"
case_file good '{"about": "help", "args": ["help"], "exit": 0, "stdout_has": ["identity"],
	"stderr_lacks": ["error"], "repo": "unchanged"}'
expect_case good 0 "ok good" "1 cases, 0 failed"

case_file exit '{"about": "wrong exit", "args": ["help"], "exit": 3, "repo": "unchanged"}'
expect_case exit 1 "FAIL exit (wrong exit):" "exit 0, want 3"
case_file stdout '{"about": "exact stdout", "args": ["app", "bogus"], "exit": 64, "stdout": "x",
	"repo": "unchanged"}'
expect_case stdout 1 "stdout '', want 'x'"
case_file stderr '{"about": "stderr text", "args": ["app", "bogus"], "exit": 64,
	"stderr_has": ["no such words"], "stderr_lacks": ["bogus"], "repo": "unchanged"}'
expect_case stderr 1 "stderr lacks 'no such words'" "stderr has 'bogus'"
case_file json '{"about": "json", "args": ["app", "bogus", "--json"], "exit": 64,
	"json": {"error.code": "invalid", "error.exit": "64", "error.nope": 1}, "repo": "unchanged"}'
expect_case json 1 'JSON error.code is "usage", want "invalid"' 'JSON error.exit is 64, want "64"' \
	"JSON has no error.nope"
case_file notjson '{"about": "not json", "args": ["help"], "exit": 0, "json": {"ok": true},
	"repo": "unchanged"}'
expect_case notjson 1 "stdout is not one JSON object"

# the repos: a new tenant, a commit, objects, and a count or subject that is off
case_file newtenant '{"about": "a tenant appears", "setup": "inited",
	"args": ["admin", "tenant", "add", "carol"], "exit": 0, "repo": "unchanged"}'
expect_case newtenant 1 "tenants [] became ['carol']"
case_file write '{"about": "a write", "setup": "alice", "args": ["app", "create", "web",
	"--image", "nginx:1.27"], "exit": 0, "repo": "unchanged"}'
expect_case write 1 "alice: refs changed" "alice: " "new objects"
case_file count '{"about": "one commit, not two", "setup": "alice", "args": ["app", "create",
	"web", "--image", "nginx:1.27"], "exit": 0,
	"repo": {"tenant": "alice", "commits": 2, "subject": "add web"}}'
expect_case count 1 "alice: 1 new commits, want 2" \
	"alice: subject 'mechanics(app.create): add app web', want 'add web'"
case_file lands '{"about": "one commit", "setup": "alice", "args": ["app", "create", "web",
	"--image", "nginx:1.27"], "exit": 0,
	"repo": {"tenant": "alice", "commits": 1, "subject": "mechanics(app.create): add app web"}}'
expect_case lands 0 "ok lands"

# malformed files fail, whatever the command does
case_file missing '{"about": "no repo", "args": ["help"], "exit": 0}'
expect_case missing 1 "missing key 'repo'"
case_file types '{"about": "types", "args": "help", "exit": "0", "repo": "same"}'
expect_case types 1 "'args' must be" "'exit' must be"
case_file nojson '{"about": "trailing comma", "args": ["help"],}'
expect_case nojson 1 "not a JSON case file"
case_file nosetup '{"about": "an unknown setup has no template", "setup": "nope",
	"args": ["help"], "exit": 0, "repo": "unchanged"}'
expect_case nosetup 1 "no home was built for setup 'nope'"
runner good exit lands
expect_rc 1 "several cases, one failing"
expect_in "$out" "3 cases, 1 failed" "the summary counts them"
finish
