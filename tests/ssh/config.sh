#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# scale, env set|unset|list and addon link|unlink through a real sshd
# (the shipped snippet): each write is one receipt authored by the key, the
# reads answer over SSH, and bad input over SSH is refused with the same
# exit code and nothing written.
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$SRC/tests/lib/sshd.sh"

sshd_front_door "$T" alice || { echo "the SSH front door did not start" >&2; exit 1; }

as() { run sshd_ssh -i "$T/alice" -T root@127.0.0.1 -- "$@" </dev/null; }
G="git --git-dir=$(repo_of alice)"
last() { $G log -1 --format="$1" main; }

as app create web --image nginx:1.27 --env A=base
expect_rc 0 "app create over SSH"
as app -a web scale --replicas 2 --json
expect_rc 0 "scale over SSH"
expect_eq "$(json "$out" 'd["result"]["subject"]')" "mechanics(app.scale): scale web/main to 2" "its receipt"
expect_eq "$(last '%an <%ae>')" "alice <alice@example.com>" "authored by alice's key"
as app -a web env set LOG_LEVEL=debug
expect_rc 0 "env set over SSH"
as addon create db --type postgres
expect_rc 0 "addon create over SSH"
as addon -n db link -a web
expect_rc 0 "addon link over SSH"
expect_eq "$(last %s)" "mechanics(addon.link): link db to web/main as DATABASE_URL" "its receipt"
as app -a web env list --json
expect_rc 0 "env list over SSH"
expect_eq "$(json "$out" '[(e["name"], e["value"], e["secret"], e["source"]) for e in d["result"]["env"]]')" \
	"[('LOG_LEVEL', 'debug', None, 'instance'), ('DATABASE_URL', None, 'db-app', 'instance'), ('A', 'base', None, 'base')]" \
	"the effective env"
as addon -n db info --json
expect_eq "$(json "$out" '[(l["app"], l["instance"], l["env"]) for l in d["result"]["links"]]')" \
	"[('web', 'main', 'DATABASE_URL')]" "addon info over SSH shows the link"
as app -a web env unset LOG_LEVEL
expect_rc 0 "env unset over SSH"
as addon -n db unlink -a web
expect_rc 0 "addon unlink over SSH"

head=$(head_of alice)
as app -a web env set K --from-secret 'Bad:uri'
expect_rc 65 "a bad secret name over SSH"
expect_in "$err" "invalid secret name" "named"
as app -a web scale --replicas 101
expect_rc 65 "too many replicas over SSH"
as addon -n dbx link -a web
expect_rc 4 "a missing addon over SSH"
expect_eq "$(head_of alice)" "$head" "nothing written"
finish
