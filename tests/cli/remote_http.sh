#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Git remotes over HTTP and HTTPS, served by lighttpd + git http-backend
# with basic authentication (tests/lib/lighttpd.sh), as docs/scaling.md
# sets them up: the password comes from gitops.credentials_file or a git
# credential helper and appears nowhere (repositories, stdout, stderr,
# --json, whoami, error paths); a wrong password is 77, a URL with a
# password 78; HTTPS trusts gitops.ca_file; several hosts share one remote,
# one of them given only mech.yaml and tenant.yaml; Argo CD's repoURL is
# changed in one receipt; a local tenant moved to an empty remote pushes
# its history first.
. "$(dirname "$0")/../lib/common.sh"
. "$SRC/tests/lib/lighttpd.sh"

require git git
require openssl openssl
# a password no fixture holds by chance
PW="pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$PW" >"$T/pass"
mkdir -p "$T/srv" "$T/io"
for t in alice carol dave; do
	git init -q --bare "$T/srv/$t.git"
done
lighttpd_ca "$T/ca" || { fail "openssl: no test CA"; finish; }
lighttpd_ca "$T/otherca" || { fail "openssl: no second CA"; finish; }
lighttpd_start "$T/http" "$T/srv" --auth bob "$T/pass" || { fail "lighttpd (http) did not start"; finish; }
HTTP=$LIGHTTPD_URL HTTP_PORT=$LIGHTTPD_PORT
lighttpd_start "$T/https" "$T/srv" --auth bob "$T/pass" --tls "$T/ca/server.crt" "$T/ca/server.key" ||
	{ fail "lighttpd (https) did not start"; finish; }
HTTPS=$LIGHTTPD_URL HTTPS_PORT=$LIGHTTPD_PORT
R="git --git-dir=$T/srv/alice.git"

# credentials as git-credential-store keeps them, outside every home
printf 'http://bob:%s@127.0.0.1:%s\nhttps://bob:%s@127.0.0.1:%s\n' "$PW" "$HTTP_PORT" "$PW" "$HTTPS_PORT" \
	>"$T/creds"
chmod 600 "$T/creds"
cp "$T/creds" "$T/helper-creds"
printf 'http://bob:wrong-%s@127.0.0.1:%s\n' "$RANDOM" "$HTTP_PORT" >"$T/bad-creds"
chmod 600 "$T/bad-creds"
HELPER="/usr/lib/git-core/git-credential-store --file $T/helper-creds"
[ -x /usr/lib/git-core/git-credential-store ] || require git-credential-store git

# The server works for the git CLI (else the harness is broken, not mech).
if git -c credential.helper="store --file $T/creds" ls-remote "$HTTP/alice.git" >/dev/null 2>"$T/lsr.err"; then
	ok
else
	fail "git ls-remote over http: $(cat "$T/lsr.err")"
	finish
fi
# and it asks for the password
if git -c credential.helper= ls-remote "$HTTP/alice.git" </dev/null >/dev/null 2>&1; then
	fail "the http server answered without a password"
else ok; fi

home() { # NAME KEY=VALUE...: a home whose mech.yaml has these gitops keys
	local h=$T/$1 kv
	shift
	mkdir -p "$h"
	{
		printf 'gitops:\n'
		for kv in "$@"; do printf '  %s: "%s"\n' "${kv%%=*}" "${kv#*=}"; done
	} >"$h/mech.yaml"
}
n=0
m() { # HOME ARGS...: run mech, keep stdout/stderr for the password sweep at the end
	n=$((n + 1))
	MECH_HOME="$T/$1" "$MECH" "${@:2}" >"$T/io/$n.out" 2>"$T/io/$n.err" && rc=0 || rc=$?
	out=$(cat "$T/io/$n.out")
	err=$(cat "$T/io/$n.err")
}

# ---- HTTP: seed from a credentials file, adopt through a credential helper ----
home h1 "remote=$HTTP/{tenant}.git" "credentials_file=$T/creds"
home h2 "remote=$HTTP/{tenant}.git" "credential_helper=$HELPER"
m h1 admin tenant add alice --json
expect_eq "$rc" "0" "seed over http with gitops.credentials_file: $out"
json_valid "$out" "seed --json"
expect_eq "$(json "$out" 'd["result"]["adopted"]')" "False" "host 1 seeds the remote"
seed=$(json "$out" 'd["commit"]')
expect_eq "$($R rev-parse main 2>&1)" "$seed" "the seed commit is on the remote"
expect_eq "$(json "$out" 'd["result"]["repo_url"]')" "$HTTP/alice.git" "repo_url: gitops.remote expanded"
expect_eq "$($R show main:argocd/network.application.yaml | sed -n 's/^ *repoURL: //p')" "$HTTP/alice.git" \
	"argocd/ names the remote"
m h2 admin tenant add alice --json
expect_eq "$rc" "0" "adopt over http with gitops.credential_helper: $err"
expect_eq "$(json "$out" 'd["result"]["adopted"]')" "True" "host 2 adopts the seeded remote"
expect_eq "$(json "$out" 'd["commit"]')" "None" "adoption makes no commit"

# ---- several hosts: host 3 has only mech.yaml and tenant.yaml (docs/scaling.md) ----
home h3 "remote=$HTTP/{tenant}.git" "credentials_file=$T/creds"
mkdir -p "$T/h3/tenants/alice"
cp "$T/h1/tenants/alice/tenant.yaml" "$T/h3/tenants/alice/"
m h3 --tenant alice app list --json
expect_eq "$rc" "0" "a host with tenant.yaml only reads: $err"
expect_not_in "$err" "tenant add" "no 'run mech admin tenant add first'"
expect_eq "$(git --git-dir="$T/h3/tenants/alice/gitops.git" rev-parse main 2>&1)" "$seed" \
	"host 3 made its mirror from the remote"

# ---- writes from three hosts at once ----
pids=()
for i in 1 2 3 4 5 6; do
	h=h$((i % 3 + 1))
	MECH_HOME="$T/$h" "$MECH" --tenant alice app create "svc$i" --image "nginx:1.$i" \
		>"$T/io/w$i.out" 2>"$T/io/w$i.err" &
	pids+=($!)
done
for i in 1 2 3 4 5 6; do
	if wait "${pids[$((i - 1))]}"; then ok; else
		fail "concurrent create svc$i over http exited $?: $(cat "$T/io/w$i.err")"
	fi
done
expect_eq "$($R rev-list --count main)" "7" "seed + 6 commits on the remote"
expect_eq "$($R ls-tree --name-only main:apps | sort | tr '\n' ' ')" "svc1 svc2 svc3 svc4 svc5 svc6 " \
	"the 6 apps on the remote"
expect_eq "$($R log --format=%P main | awk '{print NF}' | sort -u | tr '\n' ' ')" "0 1 " "linear history"
rhead=$($R rev-parse main)

# ---- refusals: nothing written, the password not echoed ----
refused() { # HOME CODE JSON-CODE WHAT NEEDLE ARGS...
	local h=$1 code=$2 jcode=$3 what=$4 needle=$5 mirror
	shift 5
	mirror=$(git --git-dir="$T/$h/tenants/alice/gitops.git" rev-parse -q --verify main 2>/dev/null)
	m "$h" --tenant alice "$@" --json
	expect_eq "$rc" "$code" "$what: exit $code"
	json_valid "$out" "$what --json"
	expect_eq "$(json "$out" 'd["error"]["code"]')" "$jcode" "$what: error code"
	expect_in "$(json "$out" 'd["error"]["message"]')" "$needle" "$what: the message says why"
	expect_eq "$($R rev-parse main)" "$rhead" "$what: the remote is unchanged"
	expect_eq "$(git --git-dir="$T/$h/tenants/alice/gitops.git" rev-parse -q --verify main 2>/dev/null)" "$mirror" \
		"$what: the mirror is unchanged"
}
home bad "remote=$HTTP/{tenant}.git" "credentials_file=$T/bad-creds"
mkdir -p "$T/bad/tenants/alice"
cp "$T/h1/tenants/alice/tenant.yaml" "$T/bad/tenants/alice/"
refused bad 77 forbidden "wrong password (file)" 'refused the password of user "bob"' \
	app create nope --image nginx:1.27
printf 'http://bob:wrong@127.0.0.1:%s\n' "$HTTP_PORT" >"$T/bad-helper-creds"
home bad "remote=$HTTP/{tenant}.git" "credential_helper=/usr/lib/git-core/git-credential-store --file $T/bad-helper-creds"
refused bad 77 forbidden "wrong password (helper)" "gitops.credential_helper" app create nope --image nginx:1.27
home bad "remote=$HTTP/{tenant}.git"
refused bad 78 config "no credentials" "gitops.credentials_file" app create nope --image nginx:1.27
cp "$T/creds" "$T/open-creds"
chmod 644 "$T/open-creds"
home bad "remote=$HTTP/{tenant}.git" "credentials_file=$T/open-creds"
refused bad 78 config "a credentials file others can read" "chmod 600" app create nope --image nginx:1.27
# a password in a URL: refused before anything is read or written
home bad "remote=http://bob:$PW@127.0.0.1:$HTTP_PORT/git/{tenant}.git"
refused bad 78 config "a password in gitops.remote" "gitops.remote carries a password" app list
m h1 admin tenant add alice --repo-url "https://bob:$PW@git.example/alice.git" --json
expect_eq "$rc" "78" "a password in --repo-url is exit 78"
expect_in "$(json "$out" 'd["error"]["message"]')" "--repo-url carries a password" "--repo-url: named"
expect_not_in "$(cat "$T/h1/tenants/alice/tenant.yaml")" "git.example" "tenant.yaml unchanged"
cp "$T/h1/tenants/alice/tenant.yaml" "$T/bad/tenants/alice/"
echo "repo_url: https://bob:$PW@git.example/alice.git" >>"$T/bad/tenants/alice/tenant.yaml"
home bad "remote=$HTTP/{tenant}.git" "credentials_file=$T/creds"
refused bad 78 config "a password in tenant.yaml repo_url" "repo_url carries a password" app list
expect_not_in "$out" "$PW" "tenant.yaml's password is not echoed"
cp "$T/h1/tenants/alice/tenant.yaml" "$T/bad/tenants/alice/" # the test's own copy of the secret goes
expect_eq "$($R rev-parse main)" "$rhead" "no refusal wrote to the remote"

# ---- Argo CD's repoURL: its own setting, changed in one receipt ----
m h2 admin tenant add alice --repo-url "https://git.example/argo/alice.git" --json
expect_eq "$rc" "0" "tenant add --repo-url: $err"
expect_eq "$(json "$out" 'd["result"]["retargeted"]')" "True" "retargeted"
# Argo CD sees the new repoURL only once an operator applies argocd/ again
expect_eq "$(json "$out" 'd["warnings"]')" \
	"['argocd/project.yaml, argocd/apps.applicationset.yaml, argocd/network.application.yaml, argocd/addons.application.yaml changed: an operator must apply them again (kubectl apply -n argocd -f argocd/)']" \
	"the write says argocd/ must be applied again"
expect_eq "$($R rev-list --count "$rhead"..main)" "1" "one receipt"
expect_eq "$($R diff --name-only "$rhead" main | tr '\n' ' ')" \
	"argocd/addons.application.yaml argocd/apps.applicationset.yaml argocd/network.application.yaml argocd/project.yaml " \
	"the receipt rewrites argocd/*.yaml and nothing else"
expect_eq "$($R grep -h 'git.example/argo/alice.git' main -- argocd | wc -l)" "5" "every repoURL/sourceRepos entry"
expect_eq "$($R grep -c "$HTTP" main -- argocd 2>/dev/null | wc -l)" "0" "the push URL is gone from argocd/"
expect_in "$(cat "$T/h2/tenants/alice/tenant.yaml")" "repo_url: https://git.example/argo/alice.git" \
	"tenant.yaml records repo_url"
m h2 admin tenant add alice --json
expect_eq "$(json "$out" 'd["commit"]')" "None" "running add again changes nothing"
expect_eq "$(json "$out" 'd.get("warnings")')" "None" "and asks for no re-apply"
rhead=$($R rev-parse main)

# ---- a local tenant moved to an empty remote: its history is pushed first ----
rm -f "$T/h1/mech.yaml"
m h1 admin tenant add carol
expect_eq "$rc" "0" "a local tenant: $err"
m h1 --tenant carol app create web --image nginx:1.27
expect_eq "$rc" "0" "a local write: $err"
local_head=$(git --git-dir="$T/h1/tenants/carol/gitops.git" rev-parse main)
home h1 "remote=$HTTP/{tenant}.git" "credentials_file=$T/creds"
m h1 admin tenant add carol --json
expect_eq "$rc" "0" "moving carol to the empty remote: $err"
expect_eq "$(json "$out" 'd["result"]["published"]')" "True" "published: the history was pushed"
expect_eq "$(json "$out" 'd["result"]["adopted"]')" "False" "not adopted: the remote was empty"
expect_eq "$(json "$out" 'd["result"]["retargeted"]')" "True" "argocd/ moved from file:// to the remote"
C="git --git-dir=$T/srv/carol.git"
if $C merge-base --is-ancestor "$local_head" main 2>/dev/null; then ok; else
	fail "the remote lacks the local history"
fi
expect_eq "$($C rev-list --count main)" "3" "seed, app, repoURL on the remote"
expect_eq "$($C show main:argocd/network.application.yaml | sed -n 's/^ *repoURL: //p')" "$HTTP/carol.git" \
	"argocd/ names the remote"
if $C fsck --strict --no-dangling >/dev/null 2>"$T/fsck"; then ok; else fail "fsck of carol's remote: $(cat "$T/fsck")"; fi

# ---- a new tenant seeded with --repo-url names it from its first commit ----
m h1 admin tenant add dave --repo-url "https://git.example/{tenant}.git" --json
expect_eq "$rc" "0" "a new tenant with --repo-url: $out"
expect_eq "$(json "$out" 'd["result"]["retargeted"]')" "False" "seeded, not retargeted"
expect_eq "$(git --git-dir="$T/srv/dave.git" rev-list --count main 2>&1)" "1" "dave's seed is on the remote"
expect_eq "$(git --git-dir="$T/srv/dave.git" show main:argocd/apps.applicationset.yaml | sed -n 's/^ *repoURL: //p' | sort -u)" \
	"https://git.example/dave.git" "the seed names --repo-url ({tenant} expanded)"

# ---- HTTPS: gitops.ca_file, and what a wrong CA looks like ----
home s1 "remote=$HTTPS/{tenant}.git" "credentials_file=$T/creds" "ca_file=$T/ca/ca.crt"
mkdir -p "$T/s1/tenants/alice"
cp "$T/h2/tenants/alice/tenant.yaml" "$T/s1/tenants/alice/"
m s1 --tenant alice app create tls --image nginx:1.27 --json
expect_eq "$rc" "0" "a write over https with gitops.ca_file: $err"
expect_eq "$($R rev-list --count "$rhead"..main)" "1" "the https write is on the remote"
rhead=$($R rev-parse main)
for ca in other:$T/otherca/ca.crt system:; do
	name=${ca%%:*}
	home s2 "remote=$HTTPS/{tenant}.git" "credentials_file=$T/creds"
	[ -n "${ca#*:}" ] && printf '  ca_file: "%s"\n' "${ca#*:}" >>"$T/s2/mech.yaml"
	mkdir -p "$T/s2/tenants/alice"
	cp "$T/h2/tenants/alice/tenant.yaml" "$T/s2/tenants/alice/"
	m s2 --tenant alice app create "tls-$name" --image nginx:1.27 --json
	expect_eq "$rc" "69" "https with the $name CA: exit 69"
	expect_in "$(json "$out" 'd["error"]["message"]')" "TLS certificate of 127.0.0.1 is not trusted" \
		"https with the $name CA: the message says certificate"
	expect_eq "$($R rev-parse main)" "$rhead" "https with the $name CA: nothing written"
	rm -rf "$T/s2"
done
home s2 "remote=$HTTPS/{tenant}.git" "ca_file=$T/nonexistent.crt"
mkdir -p "$T/s2/tenants/alice" && cp "$T/h2/tenants/alice/tenant.yaml" "$T/s2/tenants/alice/"
m s2 --tenant alice app list
expect_eq "$rc" "78" "a gitops.ca_file that is not there is exit 78"
expect_in "$err" "gitops.ca_file" "the message names gitops.ca_file"

# ---- whoami and log on every host ----
for h in h1 h2 h3 s1; do
	m "$h" --tenant alice whoami
	expect_eq "$rc" "0" "$h whoami: $err"
	m "$h" --tenant alice whoami --json
	m "$h" --tenant alice log -n 100 --json
	expect_eq "$(json "$out" 'len(d["result"]["commits"])')" "$($R rev-list --count main)" "$h sees every commit"
done

# ---- the password appears nowhere ----
leaks=$(grep -rlF -- "$PW" "$T/io" "$T/h1" "$T/h2" "$T/h3" "$T/bad" "$T/s1" "$T/s2" 2>/dev/null)
expect_eq "$leaks" "" "no output and no file under a home holds the password"
for g in "$T"/srv/*.git "$T"/h*/tenants/*/gitops.git "$T"/s*/tenants/*/gitops.git; do
	if git --git-dir="$g" cat-file --batch-all-objects --batch 2>/dev/null | grep -qaF -- "$PW"; then
		fail "an object of $g holds the password"
	else ok; fi
	if git --git-dir="$g" grep -qF -- "$PW" $(git --git-dir="$g" for-each-ref --format='%(refname)') -- 2>/dev/null; then
		fail "a tree of $g holds the password"
	else ok; fi
done
if $R fsck --strict --no-dangling >/dev/null 2>"$T/fsck"; then ok; else fail "fsck of the remote: $(cat "$T/fsck")"; fi
merges_wait
finish
