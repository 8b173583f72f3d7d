#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A human removes argocd/ (git rm + commit): mech's writes still land, but
# say that Argo CD will not see them, on stderr and in the JSON envelope's
# `warnings`, which is absent while there is nothing to warn about.
. "$(dirname "$0")/../lib/common.sh"

seed_tenant alice
WARN='mech: warning: argocd/ is missing: Argo CD will not see this change'
mech app create web --image nginx:1.27
expect_rc 0 "app create with argocd/ in place"
expect_not_in "$err" "warning" "no warning while argocd/ is there"
mech app create api --image nginx:1.27 --json
expect_rc 0 "app create --json with argocd/ in place"
expect_eq "$(json "$out" '"warnings" in d')" "False" "no warnings key while there is none"

human_clone alice "$T/h"
git -C "$T/h" rm -rq argocd
git -C "$T/h" commit -qm "drop argocd/"
git -C "$T/h" push -q origin main || fail "human push"

before=$(head_of alice)
mech app -a web set-image nginx:1.28
expect_rc 0 "a write without argocd/ still lands"
[ "$(head_of alice)" != "$before" ] && ok || fail "the write made no commit"
expect_in "$err" "$WARN" "stderr warns"
expect_eq "$(grep -c 'argocd/ is missing' <<<"$err")" 1 "warned once"
expect_not_in "$out" "warning" "the warning is not on stdout"

mech app -a web set-image nginx:1.29 --json
expect_rc 0 "--json write without argocd/"
json_valid "$out" "the envelope"
expect_eq "$(json "$out" 'd["ok"]')" "True" "ok"
expect_eq "$(json "$out" 'len(d["warnings"])')" 1 "one warning in JSON"
expect_in "$(json "$out" 'd["warnings"][0]')" "argocd/ is missing: Argo CD will not see this change" \
	"the JSON warning says what"
expect_in "$err" "$WARN" "stderr warns with --json too"

# a dry run shows the same warning; a write that changes nothing has none
mech app -a web set-image nginx:1.30 --dry-run --json
expect_rc 0 "dry run"
expect_eq "$(json "$out" 'len(d["warnings"])')" 1 "a dry run warns too"
mech app -a web set-image nginx:1.29 --json
expect_rc 0 "a write that changes nothing"
expect_eq "$(json "$out" '"warnings" in d')" "False" "nothing changed: nothing to warn about"
expect_not_in "$err" "warning" "nothing changed: no warning on stderr"
finish
