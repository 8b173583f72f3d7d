#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `app history`: every commit, receipt or human, that changed what one
# instance runs (image, replicas, env), newest first, with each field's
# from and to read from the trees; commits that only touched another
# instance are left out. Bad input: the usual errors, nothing written.
. "$(dirname "$0")/../lib/common.sh"

seed_tenant alice
G="git --git-dir=$(repo_of alice)"

mech app create web --image nginx:1.27 --env MODE=a
expect_rc 0 "app create"
mech app -a web deploy --tag 1.28
expect_rc 0 "deploy 1.28"
mech app -a web instance add canary
expect_rc 0 "instance add canary"
mech app -a web -i canary set-image nginx:1.29
expect_rc 0 "canary moves on (not main's history)"

# a person scales main in the overlay and changes the env in the base
human_clone alice "$T/clone"
printf 'replicas:\n- name: web\n  count: 3\n' >>"$T/clone/apps/web/overlays/main/kustomization.yaml"
sed -i 's/value: a$/value: b/' "$T/clone/apps/web/base/deployment.yaml"
grep -q 'value: b' "$T/clone/apps/web/base/deployment.yaml" || fail "the env edit did not apply"
git -C "$T/clone" commit -qam "scale web to 3, MODE=b"
git -C "$T/clone" push -q origin HEAD
human=$(git -C "$T/clone" rev-parse HEAD)

mech --json app -a web -i main history
expect_rc 0 "history of web/main"
json_valid "$out" "history JSON"
expect_eq "$(json "$out" 'len(d["result"]["history"])')" "3" "three commits changed web/main (canary's two did not)"
expect_eq "$(json "$out" 'd["result"]["history"][0]["commit"]')" "$human" "newest first: the person's commit"
expect_eq "$(json "$out" 'd["result"]["history"][0]["class"]')" "human" "its class"
expect_eq "$(json "$out" '[ (c["field"], c["from"], c["to"]) for c in d["result"]["history"][0]["changes"] ]')" \
	"[('replicas', '1', '3'), ('env.MODE', 'a', 'b')]" "replicas and env, from and to"
expect_eq "$(json "$out" 'd["result"]["history"][0]["state"]')" \
	"{'exists': True, 'image': 'nginx:1.28', 'replicas': 3, 'env': {'MODE': 'b'}}" "the state after it"
expect_eq "$(json "$out" 'd["result"]["history"][1]["verb"]')" "app.deploy" "then the deploy"
expect_eq "$(json "$out" 'd["result"]["history"][1]["changes"]')" \
	"[{'field': 'image', 'from': 'nginx:1.27', 'to': 'nginx:1.28'}]" "the deploy changed the image"
expect_eq "$(json "$out" 'd["result"]["history"][2]["changes"][0]')" \
	"{'field': 'instance', 'from': None, 'to': 'present'}" "the create added the instance"
# the same commits as git's own path-limited log, less canary's
want=$($G log --format=%H -- apps/web | grep -v -e "$($G log -1 --format=%H --grep=canary)" |
	grep -v -e "$($G log -1 --format=%H --grep='add instance')")
expect_eq "$(json "$out" '"\n".join(h["commit"] for h in d["result"]["history"])')" "$want" "git log -- apps/web agrees"

mech app -a web -i canary history
expect_rc 0 "text history of canary"
expect_in "$out" "image nginx:1.28 -> nginx:1.29" "canary's set-image"
expect_in "$out" "instance added" "canary's creation"
expect_in "$out" "$(echo "$human" | cut -c1-12)" "the base env edit changed canary too"
expect_in "$out" "env.MODE a -> b" "as env.MODE"
mech app -a web -i canary history -n 1 --json
expect_eq "$(json "$out" 'len(d["result"]["history"])')" "1" "-n 1"

# scale and env write their own files (replicas.yaml, env.yaml): history reads them
mech app -a web -i canary scale --replicas 2
expect_rc 0 "scale canary to 2"
mech app -a web -i canary env set MODE=c --json
expect_rc 0 "env set MODE=c on canary"
mech app -a web -i canary env set DB --from-secret db-app:uri
expect_rc 0 "env set DB from a secret on canary"
mech app -a web -i canary env unset MODE
expect_rc 0 "then unset MODE on canary (the base's too)"
mech --json app -a web -i canary history -n 4
expect_rc 0 "canary's history"
expect_eq "$(json "$out" '[h["verb"] for h in d["result"]["history"]]')" \
	"['app.env-unset', 'app.env-set', 'app.env-set', 'app.scale']" "the four receipts, newest first"
expect_eq "$(json "$out" '[[(c["field"], c["from"], c["to"]) for c in h["changes"]] for h in d["result"]["history"]]')" \
	"[[('env.MODE', 'c', None)], [('env.DB', None, '<from secret db-app:uri>')], [('env.MODE', 'b', 'c')], [('replicas', '1', '2')]]" \
	"each with its change, from and to"
expect_eq "$(json "$out" 'd["result"]["history"][0]["state"]')" \
	"{'exists': True, 'image': 'nginx:1.29', 'replicas': 2, 'env': {'DB': '<from secret db-app:uri>'}}" "the state after the last"
mech --json app -a web -i main history -n 1
expect_eq "$(json "$out" 'd["result"]["history"][0]["commit"]')" "$human" "main's history does not see canary's files"

# bad input
before=$(head_of alice)
mech app -a wbe history
expect_rc 4 "a missing app"
expect_in "$err" "did you mean web?" "with the nearest name"
mech app -a web -i nope history
expect_rc 4 "a missing instance"
mech app -a web history
expect_rc 64 "two instances and no -i"
mech app -a web -i main history -n 0
expect_rc 65 "-n 0"
mech app -a 'We b' history
expect_rc 65 "an invalid app name"
expect_eq "$(head_of alice)" "$before" "reads write nothing"
finish
