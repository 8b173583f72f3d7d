# Shared helpers for end-to-end tests: a hermetic temp home, assertions,
# and independent checks with the git CLI. Source it from a test script.
set -u
MECH=${MECH:?MECH must point at the built mech binary}
SRC=${MECH_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/mech-test.XXXXXX")
export HOME="$T/userhome" MECH_HOME="$T/home" TZ=UTC LANG=C.UTF-8 NO_COLOR=1
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME="Hanna Human" GIT_AUTHOR_EMAIL=hanna@example.com
export GIT_COMMITTER_NAME="Hanna Human" GIT_COMMITTER_EMAIL=hanna@example.com
unset MECH_TENANT SSH_ORIGINAL_COMMAND
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global protocol.file.allow always
PASS=0
FAIL=0
cleanup_hooks=()
# Wait for the pack merges writes started in the background (core/maint.c,
# mech_maint_run): each holds an flock on its repo's compact.lock.
merges_wait() { # [dir]: every repo under it, default $T
	local l
	while IFS= read -r l; do flock "$l" true; done < <(find "${1:-$T}" -name compact.lock 2>/dev/null)
}
cleanup() {
	local h
	for h in "${cleanup_hooks[@]+"${cleanup_hooks[@]}"}"; do eval "$h" || true; done
	merges_wait
	rm -rf "$T"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); }
fail() {
	FAIL=$((FAIL + 1))
	printf 'FAIL: %s\n' "$*" >&2
}
# run CMD... : captures $out, $err, $rc
run() {
	out=$("$@" 2>"$T/stderr") && rc=0 || rc=$?
	err=$(cat "$T/stderr")
}
mech() { run "$MECH" "$@"; }
expect_rc() {
	if [ "$rc" -eq "$1" ]; then ok; else fail "$2: exit $rc, want $1; stdout: ${out:0:400}; stderr: ${err:0:400}"; fi
}
expect_in() { # haystack needle what
	case "$1" in *"$2"*) ok ;; *) fail "$3: missing \"$2\" in: ${1:0:600}" ;; esac
}
expect_not_in() {
	case "$1" in *"$2"*) fail "$3: unexpected \"$2\" in: ${1:0:600}" ;; *) ok ;; esac
}
expect_eq() {
	if [ "$1" = "$2" ]; then ok; else fail "$3: got \"$1\", want \"$2\""; fi
}
repo_of() { echo "$MECH_HOME/tenants/$1/gitops.git"; }
head_of() { git --git-dir="$(repo_of "$1")" rev-parse refs/heads/main; }
fsck_ok() { # tenant
	merges_wait "$(repo_of "$1")"
	if git --git-dir="$(repo_of "$1")" fsck --strict --no-dangling >/dev/null 2>"$T/fsck"; then ok
	else fail "git fsck --strict on $1: $(cat "$T/fsck")"; fi
}
# jq-free JSON field read with Debian's python (python3 on PATH may differ)
json() { # json-text python-expression-on-d
	/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$2" <<<"$1"
}
json_valid() { # text what: exactly one JSON object
	if /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert isinstance(d, dict)' <<<"$1" 2>/dev/null
	then ok; else fail "$2: stdout is not one JSON object: ${1:0:300}"; fi
}
finish() {
	printf '%d passed, %d failed\n' "$PASS" "$FAIL"
	[ "$FAIL" -eq 0 ]
	exit $?
}
seed_tenant() { # name
	"$MECH" admin init >/dev/null 2>&1
	"$MECH" admin tenant add "$1" >/dev/null 2>"$T/seed.err" || { cat "$T/seed.err" >&2; exit 1; }
}
human_clone() { # tenant dir
	git clone -q "$(repo_of "$1")" "$2"
}
