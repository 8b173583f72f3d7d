#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What mech changes after create, one small file per concern: `app scale`
# (replicas.yaml, or the overlay's own replicas entry), `app env set|unset|
# list` (env.yaml, or the base Deployment with --all-instances) and `addon
# link|unlink` (an env.yaml secretKeyRef). Retries write nothing; a
# person's edit of env.yaml blocks neither deploy nor scale; kubectl
# kustomize renders what was written; bad input is refused and writes
# nothing (more cases as data: tests/data/config-*.json).
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"

seed_tenant alice
G="git --git-dir=$(repo_of alice)"
show() { $G show "main:$1"; }
OV=apps/web/overlays/main

mech app create web --image nginx:1.27 --env A=base --env B=keep
expect_rc 0 "app create"
expect_eq "$($G ls-tree --name-only main:$OV)" "kustomization.yaml" "a new app has no patch files"

# ---- scale ----
mech app -a web scale --replicas 1 --json
expect_rc 0 "scale to the base's number"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "writes nothing (no file for nothing)"
mech app -a web scale --replicas 3 --json
expect_rc 0 "scale to 3"
expect_eq "$(json "$out" 'd["result"]["subject"]')" "mechanics(app.scale): scale web/main to 3" "the receipt's subject"
expect_in "$($G log -1 --format=%B main)" "replicas: 3" "body: replicas"
expect_in "$($G log -1 --format=%B main)" "instance: main" "body: instance"
expect_eq "$(show $OV/replicas.yaml)" "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3" "replicas.yaml: a patch of the base Deployment"
expect_eq "$(show $OV/kustomization.yaml | sed -n '/^patches:/,$p')" "patches:
- path: replicas.yaml" "listed once in the overlay's patches"
head=$(head_of alice)
mech app -a web scale --replicas 3 --json
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "scale again: changed false"
expect_eq "$(head_of alice)" "$head" "and no commit"
mech app -a web scale --replicas 0 --dry-run
expect_rc 0 "scale to 0 (dry run)"
expect_eq "$(head_of alice)" "$head" "a dry run writes nothing"

# ---- env set / unset / list ----
mech app -a web env set A=inst C=new --json
expect_rc 0 "env set two variables"
expect_eq "$(json "$out" 'd["result"]["subject"]')" "mechanics(app.env-set): set env A, C of web/main" "its subject"
mech app -a web env set DATABASE_URL --from-secret db-app:uri
expect_rc 0 "env set --from-secret"
mech app -a web env unset B
expect_rc 0 "env unset of a base variable, for this instance"
expect_eq "$(show $OV/env.yaml)" "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        env:
        - name: A
          value: inst
        - name: C
          value: new
        - name: DATABASE_URL
          valueFrom:
            secretKeyRef:
              name: db-app
              key: uri
        - name: B
          \$patch: delete" "env.yaml: a strategic-merge patch, B deleted for main only"
expect_eq "$(show $OV/kustomization.yaml | sed -n '/^patches:/,$p')" "patches:
- path: replicas.yaml
- path: env.yaml" "env.yaml listed after replicas.yaml"
head=$(head_of alice)
mech app -a web env set A=inst C=new --json
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "the same env set again writes nothing"
mech app -a web env unset NOPE --json
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "unset of a name set nowhere writes nothing"
expect_eq "$(head_of alice)" "$head" "no commit for either"

mech app -a web env list --json
expect_rc 0 "env list"
expect_eq "$(json "$out" '[(e["name"], e["value"], e["secret"], e["key"], e["source"]) for e in d["result"]["env"]]')" \
	"[('A', 'inst', None, None, 'instance'), ('C', 'new', None, None, 'instance'), ('DATABASE_URL', None, 'db-app', 'uri', 'instance')]" \
	"effective env: base merged with env.yaml, B gone"
mech app -a web env list
expect_in "$out" "from secret db-app:uri" "text: the secret reference"
expect_in "$out" "instance (env.yaml)" "text: where it comes from"

mech app -a web env set --all-instances REGION=eu
expect_rc 0 "env set --all-instances"
expect_in "$(show apps/web/base/deployment.yaml)" "name: REGION" "in the base Deployment"
mech app -a web env set --all-instances A=all
expect_rc 0 "env set --all-instances of a name main's env.yaml overrides"
expect_in "$err" "instance main sets A in its env.yaml, which wins over the base's" "says so"
mech app -a web env set --all-instances A=all --json
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "--all-instances again: nothing written"
mech app -a web instance add staging
expect_eq "$($G ls-tree --name-only main:apps/web/overlays/staging | tr '\n' ' ')" "env.yaml kustomization.yaml replicas.yaml " \
	"instance add copies the patch files its overlay lists"
mech app -a web -i staging env list --json
expect_eq "$(json "$out" '[(e["name"], e["source"]) for e in d["result"]["env"]]')" \
	"[('A', 'instance'), ('C', 'instance'), ('DATABASE_URL', 'instance'), ('REGION', 'base')]" "so it runs main's env"
mech app -a web -i staging env unset A C DATABASE_URL
expect_rc 0 "unset staging's own variables"
mech app -a web -i staging env list --json
expect_eq "$(json "$out" '[(e["name"], e["source"]) for e in d["result"]["env"]]')" \
	"[('REGION', 'base')]" "unset hides the base's A too, B stays deleted, REGION shows"
mech app -a web -i staging env unset --all-instances REGION
expect_rc 64 "-i and --all-instances together"

# what kustomize makes of it
render_overlays alice web/main web/staging
if command -v kubectl >/dev/null; then
	r=$(cd "$T" && rm -rf rc && git clone -q "$(repo_of alice)" rc && cd rc && kubectl kustomize $OV)
	expect_in "$r" "replicas: 3" "kustomize renders the replicas"
	expect_eq "$(printf '%s\n' "$r" | python3 -c '
import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d["kind"] == "Deployment":
        print([(e["name"], e.get("value"), e.get("valueFrom")) for e in d["spec"]["template"]["spec"]["containers"][0]["env"]])')" \
		"[('A', 'inst', None), ('C', 'new', None), ('DATABASE_URL', None, {'secretKeyRef': {'key': 'uri', 'name': 'db-app'}}), ('REGION', 'eu', None)]" \
		"kustomize: base value overridden, B deleted, instance values added, secretKeyRef"
	mech app -a web -i main env list --json
	expect_eq "$(json "$out" '[e["name"] for e in d["result"]["env"]]')" "['A', 'C', 'DATABASE_URL', 'REGION']" \
		"env list shows the order kustomize renders"
fi

# ---- addon link / unlink ----
mech addon create db --type postgres
expect_rc 0 "addon create"
mech addon -n db link -a web -i staging --json
expect_rc 0 "addon link"
expect_eq "$(json "$out" 'd["result"]["subject"]')" "mechanics(addon.link): link db to web/staging as DATABASE_URL" "its subject"
head=$(head_of alice)
mech addon -n db link -a web -i staging --json
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "link twice: nothing written"
expect_eq "$(head_of alice)" "$head" "no commit"
mech addon -n db link -a web -i staging --env PG_URL
expect_rc 0 "a second link under another name"
mech app -a web -i staging env list --json
expect_eq "$(json "$out" '[(e["name"], e["secret"], e["key"]) for e in d["result"]["env"] if e["secret"]]')" \
	"[('DATABASE_URL', 'db-app', 'uri'), ('PG_URL', 'db-app', 'uri')]" "both links read the addon's secret"
if command -v kubectl >/dev/null; then
	r=$(cd "$T/rc" && git pull -q && kubectl kustomize apps/web/overlays/staging)
	expect_in "$r" "name: db-app" "kustomize renders the link's secretKeyRef"
fi
mech addon -n db info --json
expect_eq "$(json "$out" '[(l["app"], l["instance"], l["env"]) for l in d["result"]["links"]]')" \
	"[('web', 'main', 'DATABASE_URL'), ('web', 'staging', 'DATABASE_URL'), ('web', 'staging', 'PG_URL')]" \
	"addon info shows what is linked (main's env set --from-secret db-app:uri is a link too)"
mech addon -n db info
expect_in "$out" "linked: web/staging as PG_URL" "in text too"
mech app -a web info --json
expect_eq "$(json "$out" '[(i["name"], i["desired"]["replicas"], i["desired"]["links"]) for i in d["result"]["instances"]]')" \
	"[('main', 3, [{'addon': 'db', 'env': 'DATABASE_URL'}]), ('staging', 3, [{'addon': 'db', 'env': 'DATABASE_URL'}, {'addon': 'db', 'env': 'PG_URL'}])]" \
	"app info shows each instance's replicas and links"
mech app -a web info
expect_in "$out" "staging: replicas 3, env " "app info text: replicas and env names"
expect_in "$out" "linked: db as PG_URL" "and the links"
mech addon -n db unlink -a web -i staging --env PG_URL
expect_rc 0 "unlink one name"
mech addon -n db unlink -a web -i staging --json
expect_rc 0 "unlink the rest"
expect_eq "$(json "$out" 'd["result"]["subject"]')" "mechanics(addon.unlink): unlink db from web/staging" "its subject"
mech app -a web -i staging env list --json
expect_eq "$(json "$out" '[e["name"] for e in d["result"]["env"] if e["secret"]]')" "[]" "no link left"
mech addon -n db unlink -a web -i staging --json
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "unlink again: nothing written"

# ---- a person's edit of env.yaml blocks neither deploy nor scale ----
human_clone alice "$T/clone"
sed -i 's/value: new$/value: hand/' "$T/clone/$OV/env.yaml"
sed -i '1i # tuned by hand' "$T/clone/$OV/env.yaml"
git -C "$T/clone" commit -qam "C by hand"
git -C "$T/clone" push -q origin HEAD
mech app -a web -i main deploy --tag 1.28
expect_rc 0 "deploy after a human env.yaml edit, without --force"
mech app -a web -i main scale --replicas 2
expect_rc 0 "scale likewise"
mech app -a web -i main env set C=hand --json
expect_rc 0 "env set of what the person's env.yaml already says"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "changes nothing (no re-render of their file)"
mech app -a web -i main env set C=mech
expect_rc 3 "but env set over the person's env.yaml needs --force"
mech app -a web -i main env set C=mech --force
expect_rc 0 "with --force"

# ---- a person's replicas entry in the overlay wins: scale rewrites it ----
git -C "$T/clone" pull -q
printf 'replicas:\n- name: web\n  count: 5\n' >>"$T/clone/apps/web/overlays/staging/kustomization.yaml"
git -C "$T/clone" commit -qam "staging to 5 by hand"
git -C "$T/clone" push -q origin HEAD
mech app -a web -i staging scale --replicas 5 --json
expect_rc 0 "scale to the number the person's entry already says"
expect_eq "$(json "$out" 'd["result"]["changed"]')" "False" "changes nothing, needs no --force"
mech app -a web -i staging scale --replicas 4 --force
expect_rc 0 "scale of an overlay with its own replicas entry"
expect_in "$err" "scale rewrote it" "says so"
expect_in "$(show apps/web/overlays/staging/kustomization.yaml)" "count: 4" "the entry now says 4"
expect_in "$(show apps/web/overlays/staging/replicas.yaml)" "replicas: 3" "replicas.yaml (which would lose) is left alone"

# ---- bad input: clear error, exit code, nothing written ----
head=$(head_of alice)
mech app -a web -i main scale --replicas 101
expect_rc 65 "replicas above 100"
mech app -a web -i main scale --replicas -1
expect_rc 65 "negative replicas"
mech app -a web -i main env set A-B=x
expect_rc 65 "a bad env name"
expect_in "$err" "invalid --env key \"A-B\"" "named"
mech app -a web -i main env set NOEQUALS
expect_rc 65 "env set without ="
mech app -a web -i main env set K --from-secret Bad_Secret:uri
expect_rc 65 "a bad secret name"
expect_in "$err" "invalid secret name \"Bad_Secret\"" "named"
mech app -a web -i main env set K --from-secret db-app:'a b'
expect_rc 65 "a bad secret key"
mech app -a web -i main env set K --from-secret db-app
expect_rc 65 "--from-secret without :KEY"
mech app -a web -i main env set 1K --from-secret db-app:uri
expect_rc 65 "a bad env name with --from-secret"
mech app -a web -i main env set A=1 B=2 --from-secret db-app:uri
expect_rc 64 "--from-secret with two variables"
mech app -a web -i main env unset 'A=1'
expect_rc 65 "unset takes names"
mech app -a web env set A=1
expect_rc 64 "two instances and no -i"
mech app -a wbe -i main scale --replicas 2
expect_rc 4 "a misspelt app"
expect_in "$err" "did you mean web?" "did you mean"
mech addon -n dbb link -a web -i main
expect_rc 4 "a missing addon"
expect_in "$err" "did you mean db?" "did you mean"
mech addon -n db link -a web -i main --env 'X Y'
expect_rc 65 "a bad --env for link"
expect_eq "$(head_of alice)" "$head" "nothing was written"
finish
