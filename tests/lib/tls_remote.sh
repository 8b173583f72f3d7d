# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# tls_remote.sh — https Git remotes on 127.0.0.1 with certificates made for
# the test, to prove that mech verifies a TLS peer as libgit2 does without
# core/git/git_lazy.c's deferred CA parse, and refuses a bad certificate.
# Source it after common.sh, then:
#
#   tls_remote_setup || tls_skip "$TLS_SKIP_REASON"  # certificates, servers
#   tls_remote_check BIN WHAT  # the battery against the mech binary BIN
#
# tls_remote_setup returns 1 with TLS_SKIP_REASON set when the machine
# cannot run it (no openssl, no mount namespace); a harness failure exits 1.
#
# mech (libgit2 with mbedTLS) trusts /etc/ssl/certs/ca-certificates.crt
# and nothing else, so every command runs in a private mount namespace
# (unshare -m; -rm when not root) where a bundle of the test's CA is
# mounted over that file; the git CLI, the independent checker, runs in the
# same namespace with the same bundle. Nothing outside the namespace moves.
#
# Servers (tests/lib/git_https.py, `git http-backend` under Python's ssl):
#   good      certificate for 127.0.0.1 signed by the test CA
#   wronghost signed by the test CA, but for wrong.example
#   selfsig   for 127.0.0.1, signed by itself (not in the bundle)
# plus a plain-http port before good and selfsig that redirects to https.

tls_skip() {
	skip "$@"
}

# run "$@" where the CA bundle is $1
tls_ns() {
	local bundle=$1
	shift
	"${TLS_UNSHARE[@]}" sh -c 'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && shift && exec "$@"' \
		tls-ns "$bundle" "$@"
}

tls_cert() { # name subject-cn subject-alt-names [self]
	local d=$T/tls
	openssl req -newkey rsa:2048 -nodes -keyout "$d/$1.key" -out "$d/$1.csr" -subj "/CN=$2" \
		>/dev/null 2>&1 || return 1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$3" \
		>"$d/$1.ext"
	if [ "${4:-}" = self ]; then
		openssl x509 -req -in "$d/$1.csr" -signkey "$d/$1.key" -days 3650 -extfile "$d/$1.ext" \
			-out "$d/$1.crt" >/dev/null 2>&1
	else
		openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
			-days 3650 -extfile "$d/$1.ext" -out "$d/$1.crt" >/dev/null 2>&1
	fi
}

tls_server() { # name [redirect]: sets TLS_PORT_<name> (and TLS_REDIRECT_<name>)
	local d=$T/tls args _
	args=("$d/srv" "$d/$1.crt" "$d/$1.key" "$d/$1.port")
	[ -n "${2:-}" ] && args+=("$d/$1.redirect")
	/usr/bin/python3 "$SRC/tests/lib/git_https.py" "${args[@]}" 2>>"$d/$1.log" &
	cleanup_hooks+=("kill $! 2>/dev/null; wait $! 2>/dev/null")
	for _ in $(seq 1 200); do
		[ -s "$d/$1.port" ] && { [ -z "${2:-}" ] || [ -s "$d/$1.redirect" ]; } && break
		sleep 0.05
	done
	[ -s "$d/$1.port" ] || { echo "git_https.py ($1) did not start: $(cat "$d/$1.log")" >&2; exit 1; }
	printf -v "TLS_PORT_$1" '%s' "$(cat "$d/$1.port")"
	[ -n "${2:-}" ] && printf -v "TLS_REDIRECT_$1" '%s' "$(cat "$d/$1.redirect")"
	return 0
}

tls_cannot() {
	TLS_SKIP_REASON=$*
	return 1
}

tls_remote_setup() {
	local d=$T/tls
	command -v openssl >/dev/null || tls_cannot "openssl is not installed" || return
	command -v unshare >/dev/null || tls_cannot "unshare (util-linux) is not installed" || return
	[ -x "$(git --exec-path)/git-http-backend" ] ||
		tls_cannot "git http-backend is not installed" || return
	if [ "$(id -u)" -eq 0 ]; then TLS_UNSHARE=(unshare -m --propagation private)
	else TLS_UNSHARE=(unshare -rm --propagation private); fi
	"${TLS_UNSHARE[@]}" true 2>/dev/null ||
		tls_cannot "cannot make a mount namespace (${TLS_UNSHARE[*]}) to swap the CA bundle in" ||
		return
	[ -f /etc/ssl/certs/ca-certificates.crt ] ||
		tls_cannot "no /etc/ssl/certs/ca-certificates.crt to mount the test's CA over" || return
	mkdir -p "$d/srv"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 3650 \
		-subj "/CN=mech test CA" >/dev/null 2>&1 || { echo "openssl: no test CA" >&2; exit 1; }
	tls_cert good 127.0.0.1 "DNS:127.0.0.1,IP:127.0.0.1" &&
		tls_cert wronghost wrong.example "DNS:wrong.example" &&
		tls_cert selfsig 127.0.0.1 "DNS:127.0.0.1,IP:127.0.0.1" self ||
		{ echo "openssl: could not make the test certificates" >&2; exit 1; }
	cp "$d/ca.crt" "$d/bundle.crt"
	printf 'not a certificate\n' >"$d/garbage.crt"
	tls_server good redirect
	tls_server wronghost
	tls_server selfsig redirect
	# the harness itself: the git CLI trusts the good server through the bundle
	git init -q --bare "$d/srv/harness.git"
	if tls_ns "$d/bundle.crt" git ls-remote "https://127.0.0.1:$TLS_PORT_good/harness.git" \
		>/dev/null 2>"$d/harness.err"; then ok; else
		fail "harness: the git CLI cannot reach the test's https server: $(cat "$d/harness.err")"
		finish
	fi
}

# One case: a fresh home whose remote is URL, a fresh bare repository on the
# server, `admin tenant add` then `app create`. want: ok or refused.
tls_case() { # bin what name url bundle want
	local bin=$1 what=$2 name=$3 url=$4 bundle=$5 want=$6
	local d=$T/tls home=$T/tls/home-$name repo=$T/tls/srv/$name.git git_rc seed
	rm -rf "$home" "$repo"
	mkdir -p "$home"
	git init -q --bare "$repo"
	git --git-dir="$repo" config http.receivepack true
	printf 'gitops:\n  remote: "%s/{tenant}.git"\n' "$url" >"$home/mech.yaml"
	run tls_ns "$bundle" env MECH_HOME="$home" "$bin" admin tenant add "$name"
	# the peer: the git CLI (curl, GnuTLS) against the same server and bundle
	tls_ns "$bundle" git ls-remote "$url/$name.git" >/dev/null 2>"$d/git.err" && git_rc=0 || git_rc=$?
	if [ "$want" = ok ]; then
		expect_rc 0 "$what: $name: admin tenant add over $url"
		expect_eq "$git_rc" 0 "$what: $name: the git CLI also trusts $url ($(cat "$d/git.err"))"
		seed=$(git --git-dir="$repo" rev-parse -q --verify refs/heads/main)
		expect_in "$(git --git-dir="$repo" log -1 --format=%s "${seed:-none}" 2>&1)" \
			"mechanics(tenant.seed)" "$what: $name: the seed is on the remote"
		expect_eq "$(git --git-dir="$home/tenants/$name/gitops.git" rev-parse -q --verify \
			refs/heads/main)" "$seed" "$what: $name: the local mirror holds the remote's seed"
		run tls_ns "$bundle" env MECH_HOME="$home" "$bin" --tenant "$name" app create web \
			--image nginx:1.27
		expect_rc 0 "$what: $name: app create pushes over $url"
		expect_in "$(git --git-dir="$repo" log -1 --format=%s main 2>&1)" "mechanics(app.create)" \
			"$what: $name: the receipt is on the remote"
	else
		expect_rc 69 "$what: $name: a bad certificate at $url is refused"
		expect_in "$err" "certificate" "$what: $name: the message says it is the certificate"
		if [ "$git_rc" -ne 0 ]; then ok; else fail "$what: $name: the git CLI trusts $url, mech did not"; fi
		expect_eq "$(git --git-dir="$repo" for-each-ref | wc -l)" 0 "$what: $name: nothing pushed"
		if [ -e "$home/tenants/$name" ]; then fail "$what: $name: a refused tenant left a trace"
		else ok; fi
	fi
}

tls_remote_check() { # bin what
	local bin=$1 what=$2 d=$T/tls
	tls_case "$bin" "$what" good "https://127.0.0.1:$TLS_PORT_good" "$d/bundle.crt" ok
	# http:// that moved to https: the first TLS session comes from a redirect
	tls_case "$bin" "$what" redirected "http://127.0.0.1:$TLS_REDIRECT_good" "$d/bundle.crt" ok
	tls_case "$bin" "$what" wronghost "https://127.0.0.1:$TLS_PORT_wronghost" "$d/bundle.crt" refused
	tls_case "$bin" "$what" selfsig "https://127.0.0.1:$TLS_PORT_selfsig" "$d/bundle.crt" refused
	tls_case "$bin" "$what" redirectself "http://127.0.0.1:$TLS_REDIRECT_selfsig" "$d/bundle.crt" refused
	# a bundle that does not parse trusts nobody, not even the good server
	tls_case "$bin" "$what" garbage "https://127.0.0.1:$TLS_PORT_good" "$d/garbage.crt" refused
}
