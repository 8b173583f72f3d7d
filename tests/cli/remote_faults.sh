#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A Git remote over HTTP (lighttpd + git http-backend) behind a fault proxy
# (tests/lib/fault_proxy.py) tells the truth about every push:
#  - the connection is cut after the server moved the ref: mech fetches
#    again, finds its commit and reports the write (exit 0);
#  - and the server is gone for that fetch too: exit 69 with its own code
#    (outcome_unknown), "may have landed", never "nothing was written";
#  - a server that accepts and never answers is given gitops.timeout, then
#    exit 69 naming the remote and the timeout, the tenant lock released
#    (the next write is not blocked by it), while fetching or pushing;
#  - a pre-receive hook that declines: exit 77 at once with its reason,
#    one push attempt, nothing moved, over HTTP and HTTPS (the same over
#    ssh: remote_refusal.sh);
#  - a lock on the remote ref is contention: re-planned, then 75.
. "$(dirname "$0")/../lib/common.sh"
. "$SRC/tests/lib/lighttpd.sh"

mkdir -p "$T/srv"
git init -q --bare "$T/srv/alice.git"
git --git-dir="$T/srv/alice.git" config http.receivepack true
R="git --git-dir=$T/srv/alice.git"
M="git --git-dir=$MECH_HOME/tenants/alice/gitops.git"
lighttpd_start "$T/www" "$T/srv" || { fail "lighttpd did not start"; finish; }

echo pass >"$T/mode"
: >"$T/events"
/usr/bin/python3 "$SRC/tests/lib/fault_proxy.py" "$LIGHTTPD_PORT" "$T/proxy.port" "$T/mode" \
	"$T/events" 2>>"$T/proxy.log" &
cleanup_hooks+=("kill $! 2>/dev/null; wait $! 2>/dev/null")
wait_until 20 test -s "$T/proxy.port" || { fail "the fault proxy did not start: $(cat "$T/proxy.log")"; finish; }
PORT=$(cat "$T/proxy.port")
URL="http://127.0.0.1:$PORT/git/{tenant}.git"
URL_ALICE="http://127.0.0.1:$PORT/git/alice.git"
mkdir -p "$MECH_HOME"
printf 'gitops:\n  remote: "%s"\n  timeout: 2s\n  fsync: false\n' "$URL" >"$MECH_HOME/mech.yaml"
# mode M: every later connection gets M, afresh; events seen so far are forgotten
gen=0
mode() { gen=$((gen + 1)) && echo "$1 $gen" >"$T/mode" && : >"$T/events"; }
# the hang guard of a command that must not hang (never what is asserted)
bounded() { timeout 120 "$@"; }

# pass: the proxy itself is transparent
mech admin tenant add alice
expect_rc 0 "seeding the remote through the proxy: $err"
mech app create web --image nginx:1.27
expect_rc 0 "a write through the proxy: $err"
expect_eq "$($R rev-parse main)" "$($M rev-parse main)" "remote and mirror agree"

# cut after the ref moved, the refetch answers: the write is reported done
mode cut-after-push
before=$($R rev-parse main)
mech app create cut1 --image nginx:1.27 --json
expect_rc 0 "a push whose answer was cut, found on the remote by fetching again: $err"
expect_in "$(cat "$T/events")" "cut" "the proxy cut the push's answer"
json_valid "$out" "cut --json"
expect_eq "$(json "$out" 'd["ok"]')" "True" "ok: true"
expect_eq "$(json "$out" 'd["commit"]')" "$($R rev-parse main)" "the receipt reported is the remote's head"
expect_eq "$($R rev-parse main^)" "$before" "one commit on top of the old head"
if $R cat-file -e main:apps/cut1 2>/dev/null; then ok; else fail "cut1 is not on the remote"; fi
expect_eq "$($M rev-parse main)" "$($R rev-parse main)" "the mirror follows the remote"
expect_not_in "$err$out" "nothing was written" "no false 'nothing was written'"

# cut, and the server is gone for the refetch: the outcome cannot be known
mode cut-then-down
mirror=$($M rev-parse main)
mech app create cut2 --image nginx:1.27 --json
expect_rc 69 "a cut push that cannot be checked"
json_valid "$out" "maybe-landed --json"
expect_eq "$(json "$out" 'd["error"]["code"]')" "outcome_unknown" "its own error code"
expect_eq "$(json "$out" 'd["error"]["exit"]')" "69" "exit 69 in JSON"
expect_in "$(json "$out" 'd["error"]["message"]')" "may have landed" "the message says it may have landed"
expect_in "$(json "$out" 'd["error"]["message"]')" "$URL_ALICE" "the message names the remote"
expect_in "$(json "$out" 'd["error"]["hint"]')" "mech log -n 1" "the hint says how to find out"
expect_not_in "$err$out" "nothing was written" "never 'nothing was written' when it may have landed"
expect_in "$(cat "$T/events")" "down" "the refetch found the server down"
if $R cat-file -e main:apps/cut2 2>/dev/null; then ok; else fail "the harness did not land cut2"; fi
expect_eq "$($M rev-parse main)" "$mirror" "the mirror is left where it was"
# the hint works: once the server answers, `mech log -n 1` shows the receipt
mode pass
mech log -n 1 --json
expect_rc 0 "mech log -n 1 after the server is back: $err"
expect_in "$(json "$out" 'd["result"]["commits"][0]["subject"]')" "cut2" "mech log -n 1 shows the receipt that landed"
mode cut-then-down
mech app create cut3 --image nginx:1.27
expect_rc 69 "text output, cut and down"
expect_in "$err" "may have landed" "text: may have landed"
expect_in "$err" "mech log -n 1" "text: the hint"
expect_not_in "$err" "nothing was written" "text: never 'nothing was written'"
mode pass

# a server that accepts and never answers: bounded by gitops.timeout
mode hang
run bounded "$MECH" app create hang1 --image nginx:1.27
expect_rc 69 "a silent server is exit 69"
expect_in "$err" "$URL_ALICE" "the message names the remote"
expect_in "$err" "gitops.timeout" "the message names the setting"
expect_in "$err" "2000ms" "and its value"
expect_in "$(cat "$T/events")" "hang" "the proxy held the request"
# the lock was released: the next write is not refused for it (still silent: 69 again)
run bounded "$MECH" app create hang2 --image nginx:1.27 --json
expect_rc 69 "right after, still silent: the same timeout, not a held lock"
expect_eq "$(json "$out" 'd["error"]["code"]')" "unavailable" "JSON code unavailable"
expect_not_in "$err$out" "lock" "no lock in the way"
mode pass
mech app create after-hang --image nginx:1.27
expect_rc 0 "the server answers again: the write lands: $err"
if $R cat-file -e main:apps/after-hang 2>/dev/null; then ok; else fail "after-hang not on the remote"; fi

# silent only for the push: the upload may have reached it, so mech looks
# again; the ref did not move, and it says so (not "may have landed")
mode hang-push
before=$($R rev-parse main)
mirror=$($M rev-parse main)
run bounded "$MECH" app create hang3 --image nginx:1.27 --json
expect_rc 69 "a push that is never answered"
expect_eq "$(json "$out" 'd["error"]["code"]')" "unavailable" "the refetch settled it: unavailable"
expect_in "$(json "$out" 'd["error"]["message"]')" "does not hold the commit" "it says the remote does not hold it"
expect_in "$(json "$out" 'd["error"]["message"]')" "gitops.timeout" "and why the push failed"
expect_eq "$($R rev-parse main)" "$before" "the remote is unchanged"
expect_eq "$($M rev-parse main)" "$mirror" "the mirror is unchanged"
mode pass

# a pre-receive hook that declines: 77 at once, its reason shown, one attempt
cat >"$T/srv/alice.git/hooks/pre-receive" <<HOOK
#!/bin/sh
echo attempt >>"$T/hook.count"
echo "frozen: deploys to main are closed until Monday" >&2
exit 1
HOOK
chmod +x "$T/srv/alice.git/hooks/pre-receive"
before=$($R rev-parse main)
mirror=$($M rev-parse main)
mech app create denied --image nginx:1.27 --json
expect_rc 77 "a declining hook is forbidden (77)"
json_valid "$out" "refusal --json"
expect_eq "$(json "$out" 'd["error"]["code"]')" "forbidden" "JSON code forbidden"
expect_in "$(json "$out" 'd["error"]["message"]')" "pre-receive hook declined" "the server's status"
expect_in "$(json "$out" 'd["error"]["message"]')" "frozen: deploys to main are closed until Monday" "the hook's own reason"
expect_eq "$(wc -l <"$T/hook.count")" "1" "exactly one push attempt"
expect_eq "$($R rev-parse main)" "$before" "the remote is unchanged"
expect_eq "$($M rev-parse main)" "$mirror" "the local mirror is unchanged"
mech app create denied2 --image nginx:1.27
expect_rc 77 "text output: 77"
expect_in "$err" "frozen: deploys to main are closed until Monday" "text: the hook's reason on stderr"
expect_eq "$(wc -l <"$T/hook.count")" "2" "one more attempt, not eight"
rm "$T/srv/alice.git/hooks/pre-receive"

# a lock on the remote ref is contention, not a refusal: re-planned up to
# gitops.retries (each attempt passes the hook, then finds the ref locked),
# then 75; once the lock is gone the write lands
cat >"$T/srv/alice.git/hooks/pre-receive" <<HOOK
#!/bin/sh
echo attempt >>"$T/lock.count"
HOOK
chmod +x "$T/srv/alice.git/hooks/pre-receive"
printf 'gitops:\n  remote: "%s"\n  retries: 3\n  fsync: false\n' "$URL" >"$MECH_HOME/mech.yaml"
before=$($R rev-parse main)
$R rev-parse main >"$T/srv/alice.git/refs/heads/main.lock"
: >"$T/lock.count"
mech app create locked --image nginx:1.27 --json
expect_rc 75 "a locked remote ref is contention (75)"
expect_eq "$(json "$out" 'd["error"]["code"]')" "contention" "JSON code contention"
expect_eq "$(wc -l <"$T/lock.count")" "3" "one push per attempt, gitops.retries of them"
expect_eq "$($R rev-parse main)" "$before" "the locked remote is unchanged"
rm "$T/srv/alice.git/refs/heads/main.lock"
mech app create locked --image nginx:1.27
expect_rc 0 "the lock gone, the write lands: $err"
rm "$T/srv/alice.git/hooks/pre-receive"

# over HTTPS (lighttpd with the test CA, mounted over the system bundle in a
# private mount namespace as tls_remote.sh does): a declining hook is 77 too
if [ "$(id -u)" -eq 0 ]; then NS=(unshare -m --propagation private)
else NS=(unshare -rm --propagation private); fi
if ! command -v openssl >/dev/null || ! "${NS[@]}" true 2>/dev/null; then
	skip_part "HTTPS refusal: no openssl or no mount namespace (${NS[*]})"
else
	lighttpd_ca "$T/ca" || { fail "cannot make the test CA"; finish; }
	# libgit2 with mbedTLS matches 127.0.0.1 against DNS names only: re-sign with one
	printf 'subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		>"$T/ca/server.ext"
	openssl x509 -req -in "$T/ca/server.csr" -CA "$T/ca/ca.crt" -CAkey "$T/ca/ca.key" -CAcreateserial \
		-days 3650 -extfile "$T/ca/server.ext" -out "$T/ca/server.crt" >/dev/null 2>&1 ||
		{ fail "cannot sign the server certificate"; finish; }
	lighttpd_start "$T/tls" "$T/srv" --tls "$T/ca/server.crt" "$T/ca/server.key" ||
		{ fail "lighttpd (https) did not start"; finish; }
	git init -q --bare "$T/srv/bob.git"
	git --git-dir="$T/srv/bob.git" config http.receivepack true
	H2="$T/home-https"
	mkdir -p "$H2"
	printf 'gitops:\n  remote: "%s/{tenant}.git"\n  fsync: false\n' "$LIGHTTPD_URL" >"$H2/mech.yaml"
	tls() { "${NS[@]}" sh -c 'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && shift && exec "$@"' \
		tls-ns "$T/ca/ca.crt" env MECH_HOME="$H2" "$MECH" "$@"; }
	run tls admin tenant add bob
	expect_rc 0 "seeding over https: $err"
	hook=$T/srv/bob.git/hooks/pre-receive
	printf '#!/bin/sh\necho attempt >>"%s"\necho "bob: read-only until the audit ends" >&2\nexit 1\n' \
		"$T/tls.count" >"$hook"
	chmod +x "$hook"
	before=$(git --git-dir="$T/srv/bob.git" rev-parse main)
	run tls app create denied --image nginx:1.27 --json
	expect_rc 77 "a declining hook over https is forbidden (77)"
	expect_in "$(json "$out" 'd["error"]["message"]')" "bob: read-only until the audit ends" "https: the hook's reason"
	expect_eq "$(wc -l <"$T/tls.count")" "1" "https: exactly one push attempt"
	expect_eq "$(git --git-dir="$T/srv/bob.git" rev-parse main)" "$before" "https: the remote is unchanged"
	expect_eq "$(git --git-dir="$H2/tenants/bob/gitops.git" rev-parse main)" "$before" "https: the mirror is unchanged"
fi

# gitops.timeout is a checked duration
printf 'gitops:\n  remote: "%s"\n  timeout: soon\n' "$URL" >"$MECH_HOME/mech.yaml"
mech app list
expect_rc 78 "a timeout that is no duration is a configuration error"
expect_in "$err" "gitops.timeout" "the error names the key"
printf 'gitops:\n  remote: "%s"\n  timeout: 10ms\n' "$URL" >"$MECH_HOME/mech.yaml"
mech app list
expect_rc 78 "a timeout below 100ms is a configuration error"
$R fsck --strict --no-dangling >/dev/null 2>"$T/fsck" && ok || fail "fsck of the remote: $(cat "$T/fsck")"
finish
