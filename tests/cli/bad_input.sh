#!/bin/bash
# Bad input, one row per case: the documented exit code, a message naming
# the argument and what would be valid, and nothing written.
. "$(dirname "$0")/../lib/common.sh"

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1
"$MECH" admin tenant add bob >/dev/null 2>&1
export MECH_TENANT=alice
start_a=$(head_of alice)
start_b=$(head_of bob)

# row: expected-exit  stderr-fragment  args...
row() {
	local want=$1 frag=$2
	shift 2
	mech "$@"
	expect_rc "$want" "mech $*"
	expect_in "$err" "$frag" "message for: mech $*"
	[ -z "$out" ] && ok || fail "mech $*: stdout should be empty on error, got: ${out:0:200}"
}

long=$(printf 'a%.0s' $(seq 1 41))
# names
row 65 'invalid app name "Web"' app create Web --image nginx:1.27
row 65 'invalid app name "-web"' app create --image nginx:1.27 -- -web
row 65 'invalid app name "web-"' app create web- --image nginx:1.27
row 65 'invalid app name "we_b"' app create we_b --image nginx:1.27
row 65 "invalid app name \"$long\"" app create "$long" --image nginx:1.27
row 65 'invalid app name "../etc"' app create ../etc --image nginx:1.27
row 65 'invalid app name "a/b"' app create a/b --image nginx:1.27
row 65 'invalid app name' app create 'web;id' --image nginx:1.27
row 65 'invalid app name' app create 'web$(id)' --image nginx:1.27
row 65 'invalid app name' app create '' --image nginx:1.27
row 65 'invalid app name' app create 'wéb' --image nginx:1.27
row 65 'invalid instance name' app create web2 --image nginx:1.27 -i Main
row 65 'invalid app name' app -a WEB set-image nginx:1.28
row 65 'invalid instance name' app -a web -i ../x set-image nginx:1.28
# images
row 65 'invalid image reference' app create web2 --image Nginx:1.27
row 65 'invalid image reference' app create web2 --image 'nginx:1.27;id'
row 65 'invalid image reference' app create web2 --image 'nginx 1.27'
row 65 'invalid image reference' app create web2 --image ':1.27'
row 65 'invalid image reference' app create web2 --image 'nginx@sha256:xyz'
row 65 'invalid image reference' app create web2 --image 'nginx:-bad'
row 65 'invalid image reference' app create web2 --image ''
row 65 'invalid image reference' app create web2 --image '--upload-pack=touch'
row 65 'invalid image reference' app -a web set-image 'nginx:$(id)'
row 65 'invalid --tag' app -a web deploy --tag '-x'
row 65 'invalid --tag' app -a web deploy --tag 'a b'
row 65 'invalid --tag' app -a web deploy --tag ''
# ports, replicas, env
row 65 'invalid --port "0"' app create web2 --image nginx:1.27 --port 0
row 65 'invalid --port "65536"' app create web2 --image nginx:1.27 --port 65536
row 65 'invalid --port "80a"' app create web2 --image nginx:1.27 --port 80a
row 65 'invalid --port "-1"' app create web2 --image nginx:1.27 --port=-1
row 65 'expected an integer 1-65535' app create web2 --image nginx:1.27 --port 99999999999999999999
row 65 'invalid --replicas "101"' app create web2 --image nginx:1.27 --replicas 101
row 65 'invalid --env "NOEQUALS"' app create web2 --image nginx:1.27 --env NOEQUALS
row 65 'invalid --env key "1X"' app create web2 --image nginx:1.27 --env 1X=y
row 65 'invalid --env key "A-B"' app create web2 --image nginx:1.27 --env A-B=y
row 65 'invalid --env' app create web2 --image nginx:1.27 --env =x
row 65 'control characters' app create web2 --image nginx:1.27 --env "$(printf 'A=x\ny')"
# usage
row 64 'unknown command "aap"' aap list
row 64 'did you mean `mech app`' aap list
row 64 'unknown command `app creat`' app creat web --image nginx:1.27
row 64 'did you mean `mech app create`' app creat web --image nginx:1.27
row 64 'unknown flag --imag' app create web2 --imag nginx:1.27
row 64 'did you mean --image' app create web2 --imag nginx:1.27
row 64 'needs --image REF' app create web2
row 64 'needs NAME' app create --image nginx:1.27
row 64 'unexpected argument "extra"' app create web2 extra --image nginx:1.27
row 64 'flag --image needs a value' app create web2 --image
row 64 'flag --port given twice' app create web2 --image nginx:1.27 --port 1 --port 2
row 64 'flag --force takes no value' app -a web set-image nginx:1.28 --force=yes
row 64 'needs --app APP' app set-image nginx:1.28
row 64 'unknown global flag' --bogus app list
row 64 'needs a verb' app instance
# log / show
row 65 'invalid --class "robot"' log --class robot
row 65 'invalid --path' log --path ../x
row 65 'invalid --path' log --path /etc/passwd
row 65 'invalid --max-count "0"' log -n 0
row 4 'revision "nope" not found' show nope
# not found
row 4 'app nope not found' app -a nope set-image nginx:1.28
row 4 'app nope not found' app -a nope deploy --tag 1
row 4 'app nope not found' app -a nope delete
row 4 'instance canary of app web not found' app -a web -i canary set-image nginx:1.28
row 4 'app nope not found' app -a nope info
# tenants
row 65 'unknown tenant "carol"' --tenant carol app list
row 65 'invalid tenant' --tenant 'Carol' app list
row 65 'invalid tenant name' admin tenant add 'bad_name'
row 65 'invalid --email' admin tenant add dave --email not-an-email
( unset MECH_TENANT; mech app list; expect_rc 64 "missing tenant with two tenants"; expect_in "$err" "missing --tenant" "missing tenant message"; expect_in "$err" "alice, bob" "lists tenants" )

expect_eq "$(head_of alice)" "$start_a" "no bad input moved alice's branch"
expect_eq "$(head_of bob)" "$start_b" "no bad input moved bob's branch"
[ ! -e "$MECH_HOME/tenants/carol" ] && ok || fail "unknown tenant created a directory"
[ ! -e "$MECH_HOME/tenants/dave" ] && ok || fail "invalid tenant add left a directory"

# JSON errors: exactly one object with the error fields
mech app create Web --image nginx:1.27 --json
expect_rc 65 "json error"
json_valid "$out" "error JSON"
expect_eq "$(json "$out" 'd["error"]["code"]')" "invalid" "json error code"
expect_eq "$(json "$out" 'd["error"]["exit"]')" "65" "json error exit"
mech aap --json
expect_eq "$(json "$out" 'd["error"]["code"]')" "usage" "usage error code"

# bad configuration: exit 78 naming file, line and key
printf 'gitops:\n  branch: main\n  bogus: 1\n' >"$MECH_HOME/mech.yaml"
mech app list
expect_rc 78 "unknown config key"
expect_in "$err" "mech.yaml:3: unknown key gitops.bogus" "config error names file:line and key"
printf 'argocd:\n  timeout_ms: soon\n' >"$MECH_HOME/mech.yaml"
mech app list
expect_rc 78 "bad config value"
expect_in "$err" "mech.yaml:2: argocd.timeout_ms" "bad value names line and key"
printf 'gitops: [\n' >"$MECH_HOME/mech.yaml"
mech app list
expect_rc 78 "broken YAML"
expect_in "$err" "mech.yaml" "broken YAML names the file"
finish
