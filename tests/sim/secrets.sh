#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `mech secret` end to end against mech sim's Kubernetes API: the value goes
# from stdin to a Secret in x-alice and nowhere else; Git gets a ledger
# (secrets/NAME.yaml) with keys, versions and who set them. set (a new
# Secret, a second key, an overwrite → version 2), list, info, unset and
# delete (exit 3 without --force), refusals that write nothing (empty or
# oversized stdin, a token the cluster rejects → 77, a Secret that is not
# mech's → 65), and the value is in no commit, object, output or sim log.
# kubectl reads back what mech wrote.
# shellcheck disable=SC2154 # out/err/rc are set by run() in common.sh
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
printf 'sim-token-%s\n' "$RANDOM$RANDOM" >"$T/token"
printf 'a-token-the-cluster-rejects\n' >"$T/bad-token"
# a sim that wants a token: the cluster that rejects mech's (77)
sim_start --token-file "$T/token"
STRICT_URL=$SIM_URL
# a sim that has not synced yet: no namespace x-alice (Argo CD creates it)
sim_start --sync-delay 1h
EARLY_URL=$SIM_URL
sim_start
MAIN_URL=$SIM_URL
MAIN_ERR=$SIM_ERR
ns_ready() { curl -sf -o /dev/null "$MAIN_URL/api/v1/namespaces/x-alice"; }
wait_until 60 ns_ready || { fail "the sim never made namespace x-alice"; finish; }
cfg() { # URL [TOKEN-FILE]: mech.yaml with that Kubernetes API
	printf 'argocd: {url: "%s", timeout_ms: 3000}\nkubernetes: {url: "%s"%s}\n' \
		"$MAIN_URL" "$1" "${2:+, token_file: \"$2\"}" >"$MECH_HOME/mech.yaml"
}
cfg "$MAIN_URL"
R=$(repo_of alice)
export MECH_TENANT=alice
VALUE1="v1-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
VALUE2="v2-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
VALUE3="v3-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
ALL_OUT=$T/all-output # every stdout and stderr of mech, for the final grep
: >"$ALL_OUT"
m() { mech "$@"; printf '%s\n%s\n' "$out" "$err" >>"$ALL_OUT"; }
m_in() { # FILE ARGS…: mech with FILE on stdin
	local f=$1
	shift
	out=$("$MECH" "$@" <"$f" 2>"$T/stderr") && rc=0 || rc=$?
	err=$(cat "$T/stderr")
	printf '%s\n%s\n' "$out" "$err" >>"$ALL_OUT"
}
b64() { printf '%s' "$1" | base64 -w0; }
kget() { # NAME [URL]: the Secret as the API serves it (JSON)
	curl -s "${2:-$MAIN_URL}/api/v1/namespaces/x-alice/secrets/$1"
}

# ---- set: a new Secret ----
printf '%s\n' "$VALUE1" >"$T/v1" # one trailing newline: dropped
base=$(head_of alice)
m_in "$T/v1" --json secret set db-pass password
expect_rc 0 "secret set db-pass password"
json_valid "$out" "secret set --json"
expect_eq "$(json "$out" 'd["result"]["version"], d["result"]["cluster"], d["files"][0]["path"], d["result"]["changed"]')" \
	"(1, 'created', 'secrets/db-pass.yaml', True)" "a new Secret, version 1, the ledger created"
expect_eq "$(git --git-dir="$R" rev-list --count "$base"..main)" 1 "one receipt"
expect_eq "$(git --git-dir="$R" log -1 --format=%s main)" \
	"mechanics(secret.set): set db-pass key password (version 1)" "the receipt's subject"
doc=$(kget db-pass)
expect_eq "$(json "$doc" 'd["data"]["password"], d["type"], d["metadata"]["labels"]["app.kubernetes.io/managed-by"], d["metadata"]["labels"]["mech.dev/tenant"]')" \
	"('$(b64 "$VALUE1")', 'Opaque', 'mech', 'alice')" "the Secret holds the value (newline dropped), Opaque, labelled as mech's"

# ---- a second key, then an overwrite: version 2 ----
printf '%s' "$VALUE2" >"$T/v2"
m_in "$T/v2" secret set db-pass username
expect_rc 0 "secret set db-pass username"
expect_in "$err" "alice/gitops:secrets/db-pass.yaml  updated" "progress names the ledger"
printf '%s' "$VALUE3" >"$T/v3"
m_in "$T/v3" --json secret set db-pass password
expect_rc 0 "overwrite password"
expect_eq "$(json "$out" 'd["result"]["version"], d["result"]["cluster"]')" "(2, 'updated')" "an overwrite is version 2"
doc=$(kget db-pass)
expect_eq "$(json "$doc" 'sorted(d["data"].items())')" \
	"[('password', '$(b64 "$VALUE3")'), ('username', '$(b64 "$VALUE2")')]" "both keys, the new value"
ledger=$(git --git-dir="$R" show main:secrets/db-pass.yaml)
expect_in "$ledger" "kind: SecretLedger" "the ledger's kind"
expect_in "$ledger" "namespace: x-alice" "the ledger names the namespace"
expect_eq "$(printf '%s\n' "$ledger" | grep -A1 '^  password:' | tail -1)" "    version: 2" "ledger: password at version 2"

# ---- a dry run touches neither the cluster nor Git ----
base=$(head_of alice)
m_in "$T/v2" --json secret set db-pass password --dry-run
expect_rc 0 "secret set --dry-run"
expect_eq "$(json "$out" 'd["result"]["dry_run"], d["result"]["version"], d["commit"]')" "(True, 3, None)" "dry run: the version it would be"
expect_eq "$(head_of alice)" "$base" "dry run: no commit"
expect_eq "$(json "$(kget db-pass)" 'd["data"]["password"]')" "$(b64 "$VALUE3")" "dry run: the cluster keeps the value"

# ---- list and info: keys, versions, who; never a value ----
m --json secret list
expect_rc 0 "secret list"
expect_eq "$(json "$out" '[(s["name"], s["keys"], s["in_cluster"]) for s in d["result"]["secrets"]]')" \
	"[('db-pass', ['password', 'username'], True)]" "list: from the ledger, in the cluster"
m secret list
expect_in "$out" "db-pass  password,username" "list as text"
m --json secret -n db-pass info
expect_rc 0 "secret info"
expect_eq "$(json "$out" '[(k["key"], k["version"], k["set_by"], k["in_cluster"]) for k in d["result"]["keys"]]')" \
	"[('password', 2, 'alice <alice@localhost>', True), ('username', 1, 'alice <alice@localhost>', True)]" \
	"info: version and who set each key"
m secret -n db-pas info
expect_rc 4 "info of an unknown secret"
expect_in "$err" "did you mean db-pass" "a typo gets did you mean"

# bash completion offers the ledger's names after secret -n
"$MECH" gen bash-completion >"$T/mech.bash"
got=$(bash --norc --noprofile -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _mech; printf "%s\n" "${COMPREPLY[@]}"' \
	bash "$T/mech.bash" "$MECH" secret -n "")
expect_eq "$got" "db-pass" "completion: secret names after secret -n"

# ---- kubectl reads what mech wrote ----
if command -v kubectl >/dev/null; then
	kv=$(kubectl --server "$MAIN_URL" --request-timeout=30s \
		get secret db-pass -n x-alice -o json 2>"$T/kerr")
	if [ -n "$kv" ]; then expect_eq "$(json "$kv" 'd["data"]["username"]')" "$(b64 "$VALUE2")" "kubectl get secret: the value base64 in data"; else fail "kubectl get secret: $(cat "$T/kerr")"; fi
else
	skip_part "kubectl is not installed: its read of the Secret"
fi

# ---- refusals write nothing ----
base=$(head_of alice)
: >"$T/empty"
m_in "$T/empty" secret set db-pass other
expect_rc 65 "empty stdin"
expect_in "$err" "the value on stdin is empty" "empty: says so"
head -c $((1024 * 1024 + 3)) /dev/zero | tr '\0' 'x' >"$T/big"
m_in "$T/big" secret set db-pass big
expect_rc 65 "stdin over 1 MiB"
expect_in "$err" "larger than 1048576 bytes" "oversized: says so"
expect_eq "$(json "$(kget db-pass)" 'sorted(d["data"])')" "['password', 'username']" "refusals: the cluster unchanged"
# a token the cluster rejects: 77 and nothing written, in Git or the cluster
cfg "$STRICT_URL" "$T/bad-token"
m_in "$T/v1" --json secret set db-pass rejected
expect_rc 77 "the cluster rejects the token"
expect_eq "$(json "$out" 'd["error"]["code"]')" "forbidden" "forbidden in JSON"
cfg "$MAIN_URL"
expect_eq "$(json "$(curl -s -H "Authorization: Bearer $(cat "$T/token")" "$STRICT_URL/api/v1/namespaces/x-alice/secrets/db-pass")" 'd["code"]')" \
	404 "rejected: the strict cluster got no Secret"
expect_eq "$(json "$(kget db-pass)" 'sorted(d["data"])')" "['password', 'username']" "rejected: the cluster unchanged"
# before Argo CD made the namespace: 4, nothing written
cfg "$EARLY_URL"
m_in "$T/v1" secret set db-pass early
expect_rc 4 "the namespace does not exist yet"
expect_in "$err" "the namespace x-alice does not exist" "says which namespace"
cfg "$MAIN_URL"
# a Secret of the same name that is not mech's is not taken over
curl -s -o /dev/null -H 'Content-Type: application/json' \
	-X POST "$MAIN_URL/api/v1/namespaces/x-alice/secrets" \
	-d '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"theirs"},"data":{"k":"eA=="}}'
m_in "$T/v1" secret set theirs k
expect_rc 65 "a Secret that is not mech's"
expect_in "$err" "is not mech's" "says whose it is not"
expect_eq "$(json "$(kget theirs)" 'd["data"]["k"]')" "eA==" "their Secret unchanged"
expect_eq "$(head_of alice)" "$base" "no refusal wrote a commit"

# ---- the sim's Secret writes answer as the API server does ----
api() { # METHOD PATH CONTENT-TYPE BODY: "CODE REASON"
	curl -s -X "$1" -H "Content-Type: $3" -d "$4" "$MAIN_URL/api/v1/namespaces/x-alice/secrets$2" |
		/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("code", 200), d.get("reason", d.get("kind")))'
}
expect_eq "$(api POST "" application/json '{"kind":"Secret","metadata":{"name":"theirs"},"data":{"k":"eA=="}}')" \
	"409 AlreadyExists" "POST of an existing name: 409 AlreadyExists"
expect_eq "$(api POST "" application/json '{"kind":"Secret","metadata":{"name":"b64"},"data":{"k":"!!"}}')" \
	"400 BadRequest" "bad base64: 400"
expect_eq "$(api POST "" application/json '{"kind":"Secret","metadata":{"name":"Bad_Name"}}')" \
	"422 Invalid" "a bad name: 422 Invalid"
expect_eq "$(api PATCH /theirs application/json-patch+json '[]')" "415 UnsupportedMediaType" "a JSON patch: 415"
expect_eq "$(api PATCH /nope application/merge-patch+json '{}')" "404 NotFound" "PATCH of a missing Secret: 404"
expect_eq "$(api PATCH /theirs application/merge-patch+json '{"data":{"j":"eQ=="}}')" "200 Secret" "merge patch: 200, the Secret"
expect_eq "$(api DELETE /nope application/json '')" "404 NotFound" "DELETE of a missing Secret: 404"

# ---- drift: the Secret deleted behind mech's back shows, and set recreates it ----
curl -s -o /dev/null -X DELETE "$MAIN_URL/api/v1/namespaces/x-alice/secrets/db-pass"
m --json secret list
expect_eq "$(json "$out" '[(s["name"], s["in_cluster"]) for s in d["result"]["secrets"]]')" \
	"[('db-pass', False)]" "list: the ledger's secret is not in the cluster"
m --json secret -n db-pass info
expect_eq "$(json "$out" 'd["result"]["cluster"]["exists"], [k["in_cluster"] for k in d["result"]["keys"]]')" \
	"(False, [False, False])" "info: no key in the cluster"
m_in "$T/v3" --json secret set db-pass password
expect_eq "$(json "$out" 'd["result"]["version"], d["result"]["cluster"]')" "(3, 'created')" "set recreates it: version 3"
m_in "$T/v2" secret set db-pass username
expect_rc 0 "username set again"
m secret -n db-pass unset nokey --force
expect_rc 4 "unset of a key the ledger does not have"
expect_in "$err" "secret db-pass has no key \"nokey\"" "names the key"

# ---- unset and delete: destructive, exit 3 without --force ----
m secret -n db-pass unset username
expect_rc 3 "unset without --force"
expect_eq "$(json "$(kget db-pass)" 'sorted(d["data"])')" "['password', 'username']" "unset refused: the key stays"
m --json secret -n db-pass unset username --force
expect_rc 0 "unset --force"
expect_eq "$(json "$(kget db-pass)" 'sorted(d["data"])')" "['password']" "unset: the key is gone from the cluster"
expect_not_in "$(git --git-dir="$R" show main:secrets/db-pass.yaml)" "username" "unset: gone from the ledger"
base=$(head_of alice)
m secret -n db-pass delete
expect_rc 3 "delete without --force"
expect_in "$err" "would delete: secrets/db-pass.yaml and the Secret db-pass in x-alice" "the plan is shown"
expect_eq "$(head_of alice)" "$base" "refused delete: no commit"
expect_eq "$(json "$(kget db-pass)" 'd["kind"]')" "Secret" "refused delete: the Secret stays"
m --json secret -n db-pass delete --force
expect_rc 0 "delete --force"
expect_eq "$(json "$out" 'd["result"]["cluster"], d["files"]')" "('deleted', [{'path': 'secrets/db-pass.yaml', 'action': 'delete'}])" \
	"delete: the Secret and the ledger in one receipt"
expect_eq "$(json "$(kget db-pass)" 'd["code"]')" "404" "the Secret is gone"
expect_eq "$(git --git-dir="$R" ls-tree --name-only main secrets/)" "" "the ledger is gone"

# ---- the values are nowhere: commits, objects, outputs, the sim's log ----
for v in "$VALUE1" "$VALUE2" "$VALUE3"; do
	for enc in "$v" "$(b64 "$v")"; do
		if git --git-dir="$R" log -p --all | grep -qF -- "$enc"; then fail "a value is in git log -p"; else ok; fi
		if git --git-dir="$R" cat-file --batch-all-objects --batch | grep -qaF -- "$enc"; then
			fail "a value is in a git object"
		else ok; fi
		if grep -qaF -- "$enc" "$ALL_OUT"; then fail "a value is in mech's output"; else ok; fi
		if cat "$MAIN_ERR" "$SIM_ERR" | grep -qaF -- "$enc"; then fail "a value is in a sim's log"; else ok; fi
	done
done
fsck_ok alice
finish
