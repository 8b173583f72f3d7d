# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# lighttpd.sh — Git remotes over HTTP and HTTPS as a production server
# serves them: lighttpd (Debian's package) running `git http-backend` as a
# CGI program, on 127.0.0.1 only. Source it after common.sh, then:
#
#   lighttpd_start DIR ROOT [--auth USER PASSFILE] [--tls CERT KEY]
#
# serves every bare repository under ROOT at http(s)://127.0.0.1:PORT/git/
# <name>.git and sets LIGHTTPD_PORT and LIGHTTPD_URL (the base, ending in
# /git). With --auth, HTTP basic authentication against USER and the
# password in PASSFILE guards every request, fetch and push (git
# http-backend then sees REMOTE_USER and accepts pushes); without it the
# server is anonymous and the repositories need http.receivepack=true to
# take a push. With --tls the server speaks only HTTPS with CERT and KEY
# (PEM). The server's log is DIR/error.log; it is stopped by the test's
# cleanup.
#
#   lighttpd_ca DIR   a CA (DIR/ca.crt) and a certificate for 127.0.0.1
#                     signed by it (DIR/server.crt, DIR/server.key)

lighttpd_ca() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" \
		-days 3650 -subj "/CN=mech test CA" >/dev/null 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
		-subj "/CN=127.0.0.1" >/dev/null 2>&1 || return 1
	# mbedTLS 2 (libgit2's TLS) matches a host against DNS names only: 127.0.0.1 as both
	printf 'subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		>"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 3650 -extfile "$d/server.ext" -out "$d/server.crt" >/dev/null 2>&1
}

# a port nobody listens on now (lighttpd cannot be given port 0)
lighttpd_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

lighttpd_start() {
	local d=$1 root=$2 user="" passfile="" cert="" key="" scheme=http try pid _
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--auth) user=$2 passfile=$3 && shift 3 ;;
		--tls) cert=$2 key=$3 scheme=https && shift 3 ;;
		*) echo "lighttpd_start: unknown option $1" >&2 && return 1 ;;
		esac
	done
	require lighttpd lighttpd
	[ -z "$cert" ] || [ -e /usr/lib/lighttpd/mod_openssl.so ] ||
		require /usr/lib/lighttpd/mod_openssl.so lighttpd-mod-openssl
	mkdir -p "$d/www"
	for try in 1 2 3 4 5; do
		LIGHTTPD_PORT=$(lighttpd_free_port)
		{
			printf 'server.document-root = "%s/www"\n' "$d"
			printf 'server.bind = "127.0.0.1"\nserver.port = %s\n' "$LIGHTTPD_PORT"
			printf 'server.errorlog = "%s/error.log"\nserver.pid-file = "%s/pid"\n' "$d" "$d"
			printf 'server.modules = ("mod_alias", "mod_setenv", "mod_cgi", "mod_auth", "mod_authn_file"'
			[ -n "$cert" ] && printf ', "mod_openssl"'
			printf ')\n'
			printf 'alias.url = ("/git/" => "%s/git-http-backend/")\n' "$(git --exec-path)"
			printf '$HTTP["url"] =~ "^/git/" {\n  cgi.assign = ("" => "")\n'
			printf '  setenv.add-environment = ("GIT_PROJECT_ROOT" => "%s", "GIT_HTTP_EXPORT_ALL" => "")\n}\n' "$root"
			if [ -n "$user" ]; then
				printf '%s:%s\n' "$user" "$(cat "$passfile")" >"$d/users"
				chmod 600 "$d/users"
				printf 'auth.backend = "plain"\nauth.backend.plain.userfile = "%s/users"\n' "$d"
				printf 'auth.require = ("/git/" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))\n'
			fi
			if [ -n "$cert" ]; then
				printf 'ssl.engine = "enable"\nssl.pemfile = "%s"\nssl.privkey = "%s"\n' "$cert" "$key"
			fi
		} >"$d/lighttpd.conf"
		rm -f "$d/pid"
		lighttpd -D -f "$d/lighttpd.conf" 2>>"$d/error.log" &
		pid=$!
		for _ in $(seq 1 100); do
			if ! kill -0 "$pid" 2>/dev/null; then break; fi
			if (exec 3<>"/dev/tcp/127.0.0.1/$LIGHTTPD_PORT") 2>/dev/null; then
				cleanup_hooks+=("kill $pid 2>/dev/null; wait $pid 2>/dev/null")
				LIGHTTPD_URL="$scheme://127.0.0.1:$LIGHTTPD_PORT/git"
				return 0
			fi
			sleep 0.05
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "lighttpd did not listen on port $LIGHTTPD_PORT (try $try): $(tail -n 3 "$d/error.log")" >&2
	done
	return 1
}
