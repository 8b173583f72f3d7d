#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# tests/lib/lighttpd.sh serves Git as the remote tests need it, checked
# with the git CLI alone: anonymous requests to an --auth server are
# refused, the right password fetches and pushes, HTTPS verifies against
# the test CA and not without it.
. "$(dirname "$0")/../lib/common.sh"
. "$SRC/tests/lib/lighttpd.sh"
require openssl openssl

mkdir -p "$T/srv"
git init -q --bare "$T/srv/a.git"
printf 'pw-%s\n' "$RANDOM$RANDOM" >"$T/pw"
lighttpd_ca "$T/ca" || { fail "cannot make the test CA"; finish; }
lighttpd_start "$T/plain" "$T/srv" --auth bob "$T/pw" || { fail "lighttpd (http) did not start"; finish; }
HTTP=$LIGHTTPD_URL
lighttpd_start "$T/tls" "$T/srv" --auth bob "$T/pw" --tls "$T/ca/server.crt" "$T/ca/server.key" ||
	{ fail "lighttpd (https) did not start"; finish; }
HTTPS=$LIGHTTPD_URL
# git asks for the password through a credential helper, never the URL
git config --global credential.helper "store --file=$T/creds"
printf 'http://bob:%s@%s\nhttps://bob:%s@%s\n' "$(cat "$T/pw")" "${HTTP#http://}" \
	"$(cat "$T/pw")" "${HTTPS#https://}" | sed 's|/git$||' >"$T/creds"

git init -q "$T/w"
git -C "$T/w" commit -q --allow-empty -m one
run env GIT_TERMINAL_PROMPT=0 git -c credential.helper= ls-remote "$HTTP/a.git"
[ "$rc" -ne 0 ] && ok || fail "an anonymous request to the --auth server was answered"
run git -C "$T/w" push -q "$HTTP/a.git" HEAD:main
expect_rc 0 "push over http with the password"
run env GIT_SSL_CAINFO="$T/ca/ca.crt" git ls-remote "$HTTPS/a.git"
expect_rc 0 "ls-remote over https with the test CA"
expect_in "$out" "$(git -C "$T/w" rev-parse HEAD)" "the pushed commit, seen over https"
run env GIT_SSL_CAINFO=/etc/ssl/certs/ca-certificates.crt git ls-remote "$HTTPS/a.git"
[ "$rc" -ne 0 ] && ok || fail "https was trusted without the test CA"
finish
