#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The SSH front door end to end, through a real OpenSSH sshd on 127.0.0.1
# that asks `mech ssh-keys` about every key (DESIGN §7, docs/ssh.md):
# the key decides tenant and author, one structured command per
# connection, shell syntax never reaches a shell, exit codes and JSON
# pass through ssh unchanged.
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
. "$SRC/tests/lib/sshd.sh"

# sshd runs an AuthorizedKeysCommand only from a root-owned path; the build
# may be anywhere (/tmp, a home directory), so the test runs a copy of it
sshd_copy_command "$MECH" || { echo "cannot copy $MECH for sshd" >&2; exit 1; }
MECH=$SSHD_COMMAND

"$MECH" admin init >/dev/null 2>&1 || { echo "admin init failed" >&2; exit 1; }
ssh-keygen -q -t ed25519 -N '' -C alice@example.com -f "$T/alice" </dev/null
ssh-keygen -q -t ed25519 -N '' -C bob@example.org -f "$T/bob" </dev/null
ssh-keygen -q -t ed25519 -N '' -C 'a stranger' -f "$T/guest" </dev/null
mech admin tenant add alice --key "$T/alice.pub"
expect_rc 0 "tenant add alice --key"
mech admin tenant add bob --key "$T/bob.pub"
expect_rc 0 "tenant add bob --key"

# the shipped snippet's settings verbatim (no ExposeAuthInfo: the forced
# command names the key), for root instead of the user mech
sshd_mech_conf "$MECH" "$MECH_HOME" root || exit 1
sshd_start "$T/sshd" \
	"Subsystem sftp /usr/lib/openssh/sftp-server" \
	"${SSHD_MECH_CONF[@]}" || { echo "sshd did not start" >&2; exit 1; }

# as KEY ARGS… : one ssh connection with KEY's identity; sets out/err/rc
as() {
	local key=$1
	shift
	run sshd_ssh -i "$T/$key" -T root@127.0.0.1 -- "$@" </dev/null
}
R_ALICE=$(repo_of alice)
R_BOB=$(repo_of bob)
tree_of() { git --git-dir="$(repo_of "$1")" ls-tree -r --name-only main; }
fp_of() { ssh-keygen -lf "$T/$1.pub" | awk '{print $2}'; }

# --- a registered key: the write lands, authored by the key's identity ---
base=$(head_of alice)
as alice app create web --image nginx:1.27
expect_rc 0 "alice: app create web over ssh"
expect_in "$err" "apps/web/base/deployment.yaml" "progress names the path on stderr"
expect_eq "$(git --git-dir="$R_ALICE" rev-list --count "$base"..main)" "1" "one commit for one verb"
expect_eq "$(git --git-dir="$R_ALICE" log -1 --format=%ae main)" "alice@example.com" "author e-mail is the key's comment"
expect_eq "$(git --git-dir="$R_ALICE" log -1 --format=%an main)" "alice" "author name from the key's e-mail"
expect_eq "$(git --git-dir="$R_ALICE" log -1 --format='%cn <%ce>' main)" "Mechanics <mechanics@localhost>" "committer is the machine"
expect_eq "$(git --git-dir="$R_ALICE" log -1 --format='%(trailers:key=Mechanics-Tenant,valueonly)' main)" "alice" "tenant trailer"
expect_eq "$(git --git-dir="$R_ALICE" log -1 --format=%s main)" "mechanics(app.create): add app web" "receipt subject"

as alice --json app create api --image nginx:1.27 --port 8080
expect_rc 0 "alice: --json app create over ssh"
json_valid "$out" "--json app create over ssh"
expect_eq "$(json "$out" 'd["ok"]')" "True" "json ok"
expect_eq "$(json "$out" 'd["command"]')" "app.create" "json command"
expect_eq "$(json "$out" 'd["tenant"]')" "alice" "json tenant"
expect_eq "$(json "$out" 'd["commit"]')" "$(head_of alice)" "json commit is the branch head"
expect_eq "$(git --git-dir="$R_ALICE" log -1 --format=%ae main)" "alice@example.com" "json write authored by alice"

as alice whoami
expect_rc 0 "alice: whoami"
expect_in "$out" "alice" "whoami names the tenant"
expect_in "$out" "alice@example.com" "whoami names the acting user"
expect_in "$out" "$(fp_of alice)" "whoami shows the key's fingerprint"

as alice
expect_rc 0 "empty command: the workflow map"
expect_in "$out" "whoami" "workflow map mentions whoami"

# --- nothing but one structured command: injection forms ---
C=$T/canary
alice_head=$(head_of alice)
bob_head=$(head_of bob)
W1025=$(printf 'a%.0s' $(seq 1 1025))
LONGCMD="app list"
for _ in $(seq 1 90); do LONGCMD="$LONGCMD $(printf 'b%.0s' $(seq 1 99))"; done # > 9000 bytes, every word short
# code|request (the request is sent as one string; ssh sends it verbatim)
cases=(
	"64|app list; touch $C"
	"64|app list;touch $C"
	"64|app list && touch $C"
	"64|app list || touch $C"
	"64|app list | tee $C"
	"64|app list & touch $C"
	"64|app list \`touch $C\`"
	"64|app list \$(touch $C)"
	"64|app list > $C"
	"64|app list >> $C"
	"64|app list < /etc/passwd"
	"64|(app list)"
	"64|app list \$HOME"
	"64|app list \${HOME}"
	"64|app list"$'\n'"touch $C"
	"64|app list"$'\r'"touch $C"
	"64|app list"$'\x01'
	"64|app -a '"$'\n'"' info"
	"64|app list \\; touch $C"
	"64|'app' \"list\";touch $C"
	"64|'app' \"list\";id"
	"64|app list 'touch $C"
	"64|app list \"touch $C"
	"64|app create evil --image nginx:1.27; touch $C"
	"64|app create evil --image nginx:1.27 && touch $C"
	"64|app create evil --image \$(touch $C)"
	"64|app create evil --image nginx:1.27 | tee $C"
	"64|app create evil --image nginx:1.27"$'\n'"app create evil2 --image nginx:1.27"
	"64|app list "$'\xff\xfe'
	"64|app -a $W1025 info"
	"64|$LONGCMD"
	"65|app create 'web;id' --image nginx:1.27"
	"65|app create \"web\$(touch $C)\" --image nginx:1.27"
	"65|app create 'evil\`touch $C\`' --image nginx:1.27"
	"65|app create evil --image 'nginx:1.27;touch $C'"
	"65|app create ../etc --image nginx:1"
	"65|app create '../../etc' --image nginx:1"
	"65|app create evil/x --image nginx:1"
	"65|app create .git --image nginx:1"
	"77|--tenant bob app list"
	"77|app list --tenant bob"
	"77|app list --tenant=bob"
	"77|--ten bob app list"
	"77|--home /tmp app list"
	"77|--home=/tmp app list"
	"77|app create evil --image nginx:1.27 --ho /tmp"
	"77|admin tenant list"
	"77|admin tenant add mallory --key /etc/passwd"
	"77|admin init"
)
for c in "${cases[@]}"; do
	want=${c%%|*}
	req=${c#*|}
	as alice "$req"
	what="injection [$(printf '%q' "${req:0:80}")]"
	expect_rc "$want" "$what"
	if [ -n "$err" ]; then ok; else fail "$what: no explanation on stderr"; fi
	expect_eq "$out" "" "$what: nothing on stdout"
	[ ! -e "$C" ] || { fail "$what: the canary was created"; rm -f "$C"; }
done
# the explanations say why
as alice "app list; touch $C"
expect_in "$err" "no shell" "shell syntax: says mech is not a shell"
expect_in "$err" "\`;\`" "shell syntax: names the character"
as alice "app list 'touch $C"
expect_in "$err" "unterminated single quote" "unterminated quote: says so"
as alice "app list"$'\n'"touch $C"
expect_in "$err" "newline" "newline: says so"
as alice "app -a $W1025 info"
expect_in "$err" "longer than 1024 bytes" "over-long word: names the limit"
as alice "$LONGCMD"
expect_in "$err" "longer than 8192 bytes" "over-long command: names the limit"
as alice --tenant bob app list
expect_in "$err" "key" "--tenant: the key decides"
as alice admin tenant list
expect_in "$err" "operator" "admin: operator-only"
# --upload-pack style options are never passed on to anything: usage or invalid value
for req in "app create web --image --upload-pack=touch $C" "app create evil --upload-pack=touch --image nginx:1.27" \
	"--upload-pack=touch app list" "app list --exec=touch"; do
	as alice "$req"
	what="option smuggling [$req]"
	case $rc in 64 | 65) ok ;; *) fail "$what: exit $rc, want 64 or 65; stderr: ${err:0:300}" ;; esac
	if [ -n "$err" ]; then ok; else fail "$what: no explanation on stderr"; fi
done
# --json still reports a refused request as one JSON object
as alice "--json app list; touch $C"
expect_rc 64 "--json with shell syntax"
json_valid "$out" "--json refusal"
expect_eq "$(json "$out" 'd["ok"]')" "False" "--json refusal ok:false"
expect_eq "$(json "$out" 'd["error"]["code"]')" "usage" "--json refusal code"
as alice --json --tenant bob app list
expect_rc 77 "--json --tenant"
expect_eq "$(json "$out" 'd["error"]["code"]')" "forbidden" "--json --tenant code"
# quotes are data, not syntax: a quoted shell character is just a value, judged by
# the command's own validation (an --env value may hold anything) and never run
as alice "app create quoted --image nginx:1.27 --env 'X=\$(touch $C); id'"
expect_rc 0 "quoted \$() as an --env value is data"
git --git-dir="$R_ALICE" show main:apps/quoted/base/deployment.yaml >"$T/quoted.yaml" 2>&1
expect_in "$(cat "$T/quoted.yaml")" "\$(touch $C); id" "the quoted value is stored verbatim"
alice_head=$(head_of alice)
# a subsystem request (sftp) runs the forced command, which knows no such command
run sshd_ssh -i "$T/alice" -T -s root@127.0.0.1 sftp </dev/null
expect_rc 64 "sftp subsystem"
# (sshd does not forward a subsystem's stderr, so there is no message to check)

if [ ! -e "$C" ]; then ok; else fail "the canary exists: something ran a shell"; fi
expect_eq "$(head_of alice)" "$alice_head" "alice's branch unchanged by refused requests"
expect_eq "$(head_of bob)" "$bob_head" "bob's branch unchanged by alice's requests"
tree=$(tree_of alice)
expect_not_in "$tree" "apps/etc/" "no ../etc app"
expect_not_in "$tree" "apps/evil2/" "no app from a second line"
expect_not_in "$tree" "apps/evil" "no app from an injected command"
expect_eq "$(find "$MECH_HOME" -name etc -o -name 'evil*' -o -name mallory | head -n 1)" "" "nothing named by a refused request in MECH_HOME"
fsck_ok alice

# --- bob can neither read nor write alice's tenant ---
as bob app create billing --image nginx:1.27
expect_rc 0 "bob: app create billing"
expect_eq "$(git --git-dir="$R_BOB" log -1 --format=%ae main)" "bob@example.org" "bob's commit authored by bob's key"
as bob app list
expect_rc 0 "bob: app list"
expect_in "$out" "billing" "bob sees his app"
expect_not_in "$out" "api" "bob does not see alice's api"
expect_not_in "$out" "web" "bob does not see alice's web"
as bob --json app list
expect_rc 0 "bob: --json app list"
json_valid "$out" "bob's --json app list"
expect_eq "$(json "$out" 'd["tenant"]')" "bob" "bob's tenant in JSON"
expect_eq "$(json "$out" '" ".join(sorted(a["name"] for a in d["result"]["apps"]))')" "billing" "bob's apps are only his"
as alice app list
expect_in "$out" "web" "alice sees her web"
alice_head=$(head_of alice)
as bob app -a web info
expect_rc 4 "bob: alice's app is not found"
expect_not_in "$out$err" "alice" "bob learns nothing about alice"
as bob app -a web delete --force
expect_rc 4 "bob: cannot delete alice's app"
as bob app -a web set-image nginx:1.28
expect_rc 4 "bob: cannot set-image on alice's app"
for req in "--tenant alice app list" "app list --tenant=alice" "--tenant=alice app -a web delete --force" \
	"--home $MECH_HOME app list" "--ten alice app list"; do
	as bob "$req"
	expect_rc 77 "bob: [$req]"
done
as bob log -n 100 --json
expect_rc 0 "bob: log"
expect_not_in "$out" "alice" "bob's log has nothing of alice"
as bob whoami --json
expect_eq "$(json "$out" 'd["result"]["tenant"]')" "bob" "bob's key is bob's tenant"
expect_eq "$(head_of alice)" "$alice_head" "alice's branch untouched by bob"
expect_in "$(tree_of alice)" "apps/web/base/deployment.yaml" "alice's app is still there"
expect_not_in "$(tree_of alice)" "apps/billing/" "bob's app is not in alice's tree"
expect_not_in "$(tree_of bob)" "apps/web/" "alice's app is not in bob's tree"
expect_not_in "$(git --git-dir="$R_ALICE" log --format='%ae' main)" "bob@" "no bob commit in alice's repo"

# --- an unknown key: help and whoami only ---
as guest help
expect_rc 0 "guest: help"
expect_in "$out" "whoami" "guest help is the workflow map"
as guest
expect_rc 0 "guest: empty command"
as guest app -h
expect_rc 0 "guest: app -h"
as guest whoami
expect_rc 0 "guest: whoami"
expect_in "$out" "$(fp_of guest)" "guest whoami shows the SHA256 fingerprint"
expect_in "$out" "SHA256:" "fingerprint format"
as guest --json whoami
expect_rc 0 "guest: --json whoami"
expect_eq "$(json "$out" 'd["result"]["fingerprint"]')" "$(fp_of guest)" "guest fingerprint in JSON"
expect_eq "$(json "$out" 'd["result"]["registered"]')" "False" "guest is not registered"
alice_head=$(head_of alice)
bob_head=$(head_of bob)
for req in "app create web --image nginx:1.27" "app list" "log" "app -a web info" "shell"; do
	as guest "$req"
	expect_rc 77 "guest: [$req]"
	# docs/ssh.md: "exit 77, showing the key's fingerprint to give an operator"
	expect_in "$err" "$(fp_of guest)" "guest refusal [$req] shows the fingerprint"
done
for req in "--tenant alice app list" "--home /tmp whoami" "admin tenant list" "admin tenant add mallory"; do
	as guest "$req"
	expect_rc 77 "guest: [$req]"
done
as guest "app list; touch $C"
expect_rc 64 "guest: shell syntax"
expect_eq "$(head_of alice)" "$alice_head" "guests change nothing (alice)"
expect_eq "$(head_of bob)" "$bob_head" "guests change nothing (bob)"
expect_eq "$(ls "$MECH_HOME/tenants")" "$(printf 'alice\nbob')" "guests create no tenant"

# --- exit codes and streams pass through ssh ---
as alice app -a nope info
expect_rc 4 "not found through ssh"
expect_eq "$out" "" "error: nothing on stdout"
expect_in "$err" "nope" "error on stderr names the app"
as alice app -a nope info --json
expect_rc 4 "not found through ssh, --json"
json_valid "$out" "--json error"
expect_eq "$(json "$out" 'd["ok"]')" "False" "--json error ok:false"
expect_eq "$(json "$out" 'd["error"]["code"]')" "not_found" "--json error code"
expect_eq "$(json "$out" 'd["error"]["exit"]')" "4" "--json error exit"
as alice app create
expect_rc 64 "missing argument through ssh"
as alice "app create bad --image 'Not A Ref!'"
expect_rc 65 "invalid image through ssh"
as alice app frobnicate
expect_rc 64 "unknown verb through ssh"
as alice app -a web delete --dry-run --json
expect_rc 0 "dry run through ssh"
expect_eq "$(json "$out" 'd["commit"]')" "None" "dry run has no commit"

# --- the REPL and the TUI need a terminal ---
as alice shell
expect_rc 64 "shell without -t"
expect_in "$err" "ssh -t" "shell says to use ssh -t"
as alice console
expect_rc 64 "console without -t"
expect_in "$err" "ssh -t" "console says to use ssh -t"

# every session was logged by sshd as a forced command with the key mech chose
if grep -q "forced-command (key-option) '$MECH --home" "$SSHD_LOG"; then ok; else fail "sshd did not run mech as a forced command"; fi
fsck_ok alice
fsck_ok bob
render_overlays alice
render_overlays bob
finish
