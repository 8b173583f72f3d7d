#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `app list` asks Argo CD on a thread of its own while it reads Git
# (shell/h_app.c, live_fetch): a failure there is still the command's,
# with its code and message, and a bad argocd.url is a configuration error.
. "$(dirname "$0")/../lib/common.sh"

seed_tenant alice
mech app create web --image nginx:1.27
expect_rc 0 "app create"

# nothing listens on a port just freed
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
printf 'argocd: {url: "http://127.0.0.1:%s", timeout_ms: 3000}\n' "$port" >"$MECH_HOME/mech.yaml"
mech app list
expect_rc 69 "app list with Argo CD unreachable"
expect_in "$err" "Argo CD" "the error names Argo CD"
expect_eq "$out" "" "nothing listed on stdout"
mech app list --json
expect_rc 69 "app list --json with Argo CD unreachable"
expect_eq "$(json "$out" 'd["error"]["code"]')" unavailable "the JSON error's code"
expect_in "$(json "$out" 'd["error"]["message"]')" "Argo CD" "the JSON error names Argo CD"

printf 'argocd: {url: "ftp://127.0.0.1:%s"}\n' "$port" >"$MECH_HOME/mech.yaml"
mech app list --json
expect_rc 78 "app list with an argocd.url that is not HTTP"
expect_eq "$(json "$out" 'd["error"]["code"]')" config "a configuration error"

# and without Argo CD, the listing alone
rm -f "$MECH_HOME/mech.yaml"
mech app list --json
expect_rc 0 "app list without Argo CD"
expect_eq "$(json "$out" 'd["result"]["argocd"]')" "not configured" "argocd: not configured"
expect_eq "$(json "$out" '[i["live"] for a in d["result"]["apps"] for i in a["instances"]]')" "[None]" \
	"live is null"
finish
