#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Write latency with a remote: N sequential `mech app create appK --image
# nginx:1.27` whose receipts are pushed to the tenant's gitops.remote, against
# the git CLI doing the same write (the same four files, `git add`,
# `git commit`, `git push`) from a clone of a repository on the same server,
# in the same run, over four transports:
#
#   local  gitops.remote a bare repository path on this machine (mech writes
#          the objects and moves the branch itself; git runs receive-pack)
#   ssh    sshd + git-shell on 127.0.0.1 (tests/lib/sshd.sh), key auth,
#          host key checked against gitops.known_hosts
#   http   lighttpd + git http-backend (tests/lib/lighttpd.sh), basic auth
#          (mech: gitops.credentials_file; git: credential-store)
#   https  the same over TLS with a test CA (mech: gitops.ca_file; git:
#          http.sslCAInfo)
#
#   bench/bench_remote.sh MECH [N]
#
# Needs root (sshd), lighttpd, openssl. Both sides flush: mech by default
# (gitops.fsync), the git CLI with core.fsync=all (the server side is the same
# server for both). Every mech write fetches the branch, plans, commits and
# pushes; the git CLI only commits and pushes from its clone (it does not
# fetch first, and would fail where mech re-plans). Rounds (ROUNDS, default 3)
# alternate mech and git per transport; figures are medians over rounds.
# Prints a Markdown section for bench/RESULTS.md on stdout, progress on stderr.
set -euo pipefail
shopt -s inherit_errexit

MECH=${1:?usage: bench_remote.sh MECH [N]}
N=${2:-20}
ROUNDS=${ROUNDS:-3}
MECH=$(realpath "$MECH")
root=$(cd "$(dirname "$0")/.." && pwd)

work=$(mktemp -d "${BENCH_TMP:-/tmp}/mech-bench-remote.XXXXXX")
cleanup_hooks=()
cleanup() {
	local h
	for h in "${cleanup_hooks[@]+"${cleanup_hooks[@]}"}"; do eval "$h" || true; done
	rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work/home TZ=UTC LANG=C.UTF-8 NO_COLOR=1
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$work/gitconfig
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=Mechanics GIT_COMMITTER_EMAIL=mechanics@localhost
export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=core.fsync GIT_CONFIG_VALUE_0=all \
	GIT_CONFIG_KEY_1=core.fsyncMethod GIT_CONFIG_VALUE_1=fsync
mkdir -p "$HOME" "$work/srv"
git config --global init.defaultBranch main
git config --global protocol.file.allow always

say() { echo "bench_remote: $*" >&2; }
# what tests/lib/*.sh expect of tests/lib/common.sh
skip() { say "cannot run: $*"; exit 1; }
require() { command -v "$1" >/dev/null 2>&1 || { say "$1 is missing (Debian package ${2:-$1})"; exit 1; }; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
ms_since() { awk -v d=$(($(date +%s%N) - $1)) 'BEGIN {printf "%.3f\n", d / 1e6}'; }
. "$root/tests/lib/sshd.sh"
. "$root/tests/lib/lighttpd.sh"
require git-shell git
require openssl openssl

# ---- the servers, all serving $work/srv ----
PW="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$PW" >"$work/pass"
lighttpd_ca "$work/ca"
lighttpd_start "$work/http" "$work/srv" --auth bench "$work/pass"
HTTP=$LIGHTTPD_URL HTTP_PORT=$LIGHTTPD_PORT
lighttpd_start "$work/https" "$work/srv" --auth bench "$work/pass" \
	--tls "$work/ca/server.crt" "$work/ca/server.key"
HTTPS=$LIGHTTPD_URL HTTPS_PORT=$LIGHTTPD_PORT
printf 'http://bench:%s@127.0.0.1:%s\nhttps://bench:%s@127.0.0.1:%s\n' \
	"$PW" "$HTTP_PORT" "$PW" "$HTTPS_PORT" >"$work/creds"
chmod 600 "$work/creds"
git config --global credential.helper "store --file $work/creds"
git config --global http.sslCAInfo "$work/ca/ca.crt"
export GIT_SSL_CAINFO=$work/ca/ca.crt # the environment may name the system bundle, which wins
sshd_start "$work/sshd" >/dev/null
sshd_keygen "$work/gitkey"
sshd_authorize "$work/gitkey.pub" \
	"command=\"$(command -v git-shell) -c \\\"\$SSH_ORIGINAL_COMMAND\\\"\",restrict"
GIT_SSH_CMD=$(sshd_git_ssh_command "$work/gitkey")

# where each transport reaches $work/srv, for mech (a template) and for git
mech_url() { # transport
	case $1 in
	local) echo "$work/srv/{tenant}.git" ;;
	ssh) echo "ssh://root@127.0.0.1:$SSHD_PORT$work/srv/{tenant}.git" ;;
	http) echo "$HTTP/{tenant}.git" ;;
	https) echo "$HTTPS/{tenant}.git" ;;
	esac
}
git_url() { # transport repo-name
	case $1 in
	local) echo "$work/srv/$2.git" ;;
	ssh) echo "root@127.0.0.1:$work/srv/$2.git" ;; # the port is in GIT_SSH_COMMAND
	*) mech_url "$1" | sed "s/{tenant}/$2/" ;;
	esac
}

short() { case $1 in local) echo l ;; ssh) echo s ;; http) echo h ;; https) echo t ;; esac; }

# mech: a fresh home, tenant and server repository per round; only the N writes are timed
mech_round() { # transport round
	local t=m$(short "$1")$2 home=$work/home-$1-$2 k s
	git init -q --bare "$work/srv/$t.git"
	mkdir -p "$home"
	{
		printf 'gitops:\n  remote: "%s"\n' "$(mech_url "$1")"
		printf '  credentials_file: "%s"\n  ca_file: "%s/ca/ca.crt"\n' "$work/creds" "$work"
		printf '  ssh_key: "%s/gitkey"\n  known_hosts: "%s"\n' "$work" "$SSHD_KNOWN_HOSTS"
	} >"$home/mech.yaml"
	MECH_HOME=$home "$MECH" admin tenant add "$t" >/dev/null 2>"$work/err" ||
		{ say "mech over $1: $(cat "$work/err")"; exit 1; }
	s=$(date +%s%N)
	for ((k = 1; k <= N; k++)); do
		MECH_HOME=$home "$MECH" --tenant "$t" app create "app$k" --image nginx:1.27 \
			>/dev/null 2>"$work/err" || { say "mech over $1: $(cat "$work/err")"; exit 1; }
	done
	ms_since "$s"
	[ "$(git --git-dir="$work/srv/$t.git" rev-list --count main)" -eq $((N + 1)) ] ||
		{ say "mech over $1 left $(git --git-dir="$work/srv/$t.git" rev-list --count main) commits"; exit 1; }
}

# The files and messages mech wrote, so the git side writes the same bytes (not timed).
load_fixture() {
	local repo=$work/srv/ml1.git k f rev
	files=()
	contents=()
	messages=()
	for ((k = 1; k <= N; k++)); do
		rev=$(git --git-dir="$repo" rev-list -n1 main --grep="^Mechanics-Target: app/app$k\$")
		messages[k]=$(git --git-dir="$repo" log -1 --format=%B "$rev")
		for f in $(git --git-dir="$repo" diff-tree --no-commit-id --name-only -r "$rev"); do
			files+=("$f")
			contents+=("$(git --git-dir="$repo" show "$rev:$f"; echo x)")
		done
	done
	seed=$(git --git-dir="$repo" rev-list --max-parents=0 main)
	[ ${#files[@]} -eq $((4 * N)) ] || { say "expected 4 files per app, got ${#files[@]}"; exit 1; }
}

# git: mech's seed in a server repository, cloned once over the transport; only the N writes are timed
git_round() { # transport round
	local name=g$(short "$1")$2 clone=$work/clone-$1-$2 k j s
	git init -q --bare "$work/srv/$name.git"
	git --git-dir="$work/srv/ml1.git" push -q "$work/srv/$name.git" "$seed:refs/heads/main"
	GIT_SSH_COMMAND=$GIT_SSH_CMD git clone -q "$(git_url "$1" "$name")" "$clone"
	cd "$clone"
	s=$(date +%s%N)
	for ((k = 1; k <= N; k++)); do
		for ((j = 4 * (k - 1); j < 4 * k; j++)); do
			mkdir -p "${files[j]%/*}"
			printf '%s' "${contents[j]%x}" >"${files[j]}"
		done
		git add -- "${files[@]:4*(k-1):4}"
		git commit -q -m "${messages[k]}"
		GIT_SSH_COMMAND=$GIT_SSH_CMD git push -q origin main
	done
	ms_since "$s"
	cd "$work"
	[ "$(git --git-dir="$work/srv/$name.git" rev-list --count main)" -eq $((N + 1)) ] ||
		{ say "git over $1 pushed $(git --git-dir="$work/srv/$name.git" rev-list --count main) commits"; exit 1; }
}

transports=(local ssh http https)
declare -A mech_ms git_ms
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
	for tr in "${transports[@]}"; do
		m=$(mech_round "$tr" "$r")
		[ "$r" = 1 ] && [ "$tr" = local ] && load_fixture
		g=$(git_round "$tr" "$r")
		mech_ms[$tr]="${mech_ms[$tr]:-} $m"
		git_ms[$tr]="${git_ms[$tr]:-} $g"
		say "round $r, $tr: mech $m ms, git $g ms for $N writes"
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

per() { awk -v t="$1" -v n="$N" 'BEGIN {printf "%.1f", t / n}'; }
cat <<EOF
## Writes to a remote: local, SSH, HTTP, HTTPS (appended $(date -u +%Y-%m-%d))

Measured with \`ROUNDS=$ROUNDS bench/bench_remote.sh build/mech $N\` at
$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(nproc) CPUs, $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -1 | cut -c1-40), Linux $(uname -r);
mech commit $(git -C "$root" rev-parse --short=12 HEAD), git $(git --version | cut -d' ' -f3),
lighttpd $(lighttpd -v 2>/dev/null | sed -n 's/^lighttpd\/\([^ ]*\).*/\1/p' | head -1), $(ssh -V 2>&1 | cut -d, -f1). Load average $load_before before,
$load_after after (the machine is shared: read the ratios, measured in the same rounds).

$N sequential writes per side and transport, median of $ROUNDS rounds. mech: \`app create\`
with \`gitops.remote\` on the server (fetch, plan, commit, push, each receipt flushed:
\`gitops.fsync\`). git CLI: the same four files written into a clone, \`git add\`,
\`git commit\`, \`git push\` (\`core.fsync=all\`), against the same server. Both sides
end with N+1 commits on the server (checked). The cost of flushing alone is in
"Durability" above (2.3 ms per mech write, 15.2 ms per git write, locally).

| transport | mech | git CLI | mech speed-up |
|---|---|---|---|
EOF
for tr in "${transports[@]}"; do
	m=$(printf '%s\n' ${mech_ms[$tr]} | median)
	g=$(printf '%s\n' ${git_ms[$tr]} | median)
	printf '| %s | %s ms (%s ms per write) | %s ms (%s ms) | %s× |\n' "$tr" "$m" "$(per "$m")" "$g" \
		"$(per "$g")" "$(awk -v m="$m" -v g="$g" 'BEGIN {printf "%.1f", g / m}')"
done
echo
printf 'Rounds (ms):'
for tr in "${transports[@]}"; do
	printf ' %s: mech%s, git%s;' "$tr" "${mech_ms[$tr]}" "${git_ms[$tr]}"
done
echo
