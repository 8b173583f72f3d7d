#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech sim's flags are rows of the command table: -h, `help sim`, the man
# page and the completion list every one; a bad value or an unknown flag
# fails as any command's does (exit 65/64, the same message and --json
# shape); the flags the sim used to parse by hand (--poll, --keepalive,
# -v, --name=value) still work. Handlers name flags by SH_OPT_ constants,
# so a misspelt flag does not compile: checked with the compiler at the end.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

FLAGS="listen token-file sync-delay health-delay degrade-tag latency fail-rate malformed drop-stream keepalive poll poll-interval appset-requeue realistic tls kustomize verbose"
seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1 || fail "app create web"

# ---- every flag, documented from the table ----
mech sim -h
expect_rc 0 "sim -h"
help=$out
for f in $FLAGS; do expect_in "$help" "--$f" "sim -h lists --$f"; done
expect_in "$help" "-v, --verbose" "sim -h gives -v"
mech help sim
expect_eq "$out" "$help" "help sim is sim -h"
mech help sim --json
expect_eq "$(json "$out" '" ".join(f["name"] for f in d["result"]["flags"])')" "$FLAGS" \
	"help sim --json lists the sim's flags"
mech gen man
man=$(sed 's/\\-/-/g' <<<"$out")
for f in $FLAGS; do expect_in "$man" "--$f" "mech(1) has --$f"; done
mech gen bash-completion
words=" $(sed -n "s/^	'sim ') echo '\([^']*\)'.*/\1/p" <<<"$out") "
for f in $FLAGS; do expect_in "$words" " --$f " "completion offers --$f"; done
expect_in "$words" " -v " "completion offers -v"

# ---- a bad value: 65, as a bad value of any other command ----
mech sim --sync-delay x
expect_rc 65 "bad --sync-delay"
expect_eq "$out" "" "nothing on stdout"
expect_in "$err" 'mech: invalid --sync-delay "x": ' "message names the flag and value"
expect_in "$err" 'expected a duration such as 500ms' "message says what is valid"
sim_err=$err
mech app -a web wait --timeout x
expect_rc 65 "bad --timeout of app wait"
expect_eq "${sim_err/--sync-delay/--X}" "${err/--timeout/--X}" "the same message as app wait's"
mech sim --sync-delay x --json
expect_rc 65 "bad --sync-delay --json"
json_valid "$out" "bad --sync-delay --json"
sim_json=$out
expect_eq "$(json "$out" 'd["ok"], d["error"]["code"], d["error"]["exit"]')" "(False, 'invalid', 65)" \
	"--json: ok, code and exit"
expect_in "$(json "$out" 'd["error"]["message"]')" "--sync-delay" "--json message names the flag"
mech app -a web wait --timeout x --json
shape='sorted(d) + sorted(d["error"])'
expect_eq "$(json "$sim_json" "$shape")" "$(json "$out" "$shape")" "the same JSON shape as app wait's"
for bad in "--health-delay 1x" "--latency -1s" "--drop-stream 5" "--keepalive 1d" "--poll=ms" \
	"--listen 0.0.0.0:0" "--listen nowhere" "--listen 127.0.0.1:65536" \
	"--token-file $T/none" "--fail-rate 2" "--fail-rate nan" "--fail-rate 0.5x" "--kustomize helm" "--kustomize=" \
	"--poll-interval 3" "--poll-interval -3m" "--appset-requeue 3d" "--appset-requeue 25h" \
	"--realistic --poll-interval x"; do
	# shellcheck disable=SC2086
	mech sim $bad --json
	expect_rc 65 "sim $bad"
	expect_eq "$(json "$out" 'd["error"]["code"]')" "invalid" "sim $bad: code"
done

# ---- usage: 64, with a suggestion ----
mech sim --sync-dealy 1s
expect_rc 64 "unknown sim flag"
expect_in "$err" "unknown flag --sync-dealy for \`sim\`" "names the flag"
expect_in "$err" "did you mean --sync-delay?" "suggests the flag"
mech sim --pol 50ms --json
expect_rc 64 "unknown sim flag --json"
expect_eq "$(json "$out" 'd["error"]["code"], d["error"]["exit"]')" "('usage', 64)" "--json usage"
expect_in "$(json "$out" 'd["error"]["hint"]')" "--poll" "--json hint suggests --poll"
mech sim --poll
expect_rc 64 "a duration flag without its value"
mech sim --malformed=yes
expect_rc 64 "a switch with a value"
mech sim 127.0.0.1:0
expect_rc 64 "a stray argument"
mech sim --tls=yes
expect_rc 64 "--tls is a switch"
mech sim --realistic=3m
expect_rc 64 "--realistic is a switch"
mech sim --poll-interval
expect_rc 64 "--poll-interval without its value"
# --tls with a CA but no server certificate beside it: 78, naming the file, nothing made
mkdir -p "$MECH_HOME/sim"
: >"$MECH_HOME/sim/ca.crt"
mech sim --tls --listen 127.0.0.1:0
expect_rc 78 "--tls with a broken certificate set"
expect_in "$err" "$MECH_HOME/sim/tls.crt" "--tls names the unreadable file"
expect_eq "$(ls "$MECH_HOME/sim")" "ca.crt" "--tls made nothing beside it"
rm -r "$MECH_HOME/sim"
# --kustomize kubectl without kubectl on PATH: 78 before it listens, saying what to do
run env PATH=/nonexistent "$MECH" sim --kustomize kubectl --listen 127.0.0.1:0
expect_rc 78 "--kustomize kubectl without kubectl"
expect_in "$err" "--kustomize kubectl: kubectl not on PATH" "--kustomize kubectl names what is missing"
expect_in "$err" "--kustomize builtin" "--kustomize kubectl: the hint names the fallback"
expect_not_in "$out" "listening" "--kustomize kubectl without kubectl does not listen"
SSH_ORIGINAL_COMMAND="sim --poll 1s" run "$MECH" ssh --tenant alice
expect_rc 77 "sim is refused over SSH"

# ---- the flags work: the old hand-parsed forms, and -v's log ----
sim_start --poll=50ms --keepalive 200ms -v --sync-delay 0ms --health-delay 0ms --degrade-tag=broken
for _ in $(seq 200); do
	grep -qs 'alice--web--main: created' "$SIM_ERR" && break
	sleep 0.05
done
expect_in "$(cat "$SIM_ERR")" "mech sim: alice--web--main: created" "-v logs the Applications"
expect_in "$SIM_URL" "http://127.0.0.1:" "the URL on stdout"
kill -TERM "$SIM_PID"
wait "$SIM_PID" && rc=0 || rc=$?
expect_eq "$rc" 0 "SIGTERM stops it with exit 0"

# --json: one object, given once it listens, and nothing more when it stops
"$MECH" sim --listen 127.0.0.1:0 --json >"$T/json.out" 2>"$T/json.err" &
pid=$!
cleanup_hooks+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null")
for _ in $(seq 200); do
	[ -s "$T/json.out" ] && break
	sleep 0.05
done
url=$(json "$(cat "$T/json.out")" 'd["result"]["url"]')
expect_in "$url" "http://127.0.0.1:" "--json: result.url"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/applications")" 200 "it serves"
kill -TERM "$pid"
wait "$pid" && rc=0 || rc=$?
expect_eq "$rc" 0 "--json: SIGTERM stops it with exit 0"
json_valid "$(cat "$T/json.out")" "--json: stdout is one JSON object after the stop"
expect_eq "$(json "$(cat "$T/json.out")" 'd["ok"], d["command"]')" "(True, 'sim')" "--json: ok"

# ---- a misspelt flag does not compile ----
cc=${CC:-cc}
cflags="-std=gnu11 -fsyntax-only -Werror -I$SRC/shell -I$SRC/core/include $(pkg-config --cflags libgit2 libcjson)"
compiles() { # the option argument of sh_arg
	printf '#include "cmd.h"\nconst char *f(const sh_args *a);\nconst char *f(const sh_args *a) { return sh_arg(a, %s); }\n' \
		"$1" >"$T/opt.c"
	# shellcheck disable=SC2086
	"$cc" $cflags "$T/opt.c" 2>"$T/cc.err"
}
if compiles SH_OPT_SYNC_DELAY; then ok; else fail "a correct option does not compile: $(cat "$T/cc.err")"; fi
if compiles SH_OPT_SYNC_DELEY; then fail "a misspelt option compiled"; else
	expect_in "$(cat "$T/cc.err")" "SH_OPT_SYNC_DELEY" "the compiler names the misspelling"
fi
if compiles '"sync-delay"'; then fail "a flag named by string compiled"; else ok; fi
finish
