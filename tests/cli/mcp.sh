#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech mcp, the command table as MCP tools. First raw JSON-RPC (a script
# that sends what no client library would): framing, lifecycle, paging and
# every JSON-RPC error, bounds on size and depth, and nothing written by
# any of it. Then a client no one here wrote, the official TypeScript SDK
# from npm (@modelcontextprotocol/sdk, StdioClientTransport spawning `mech
# mcp`): it lists the tools, compiles each inputSchema and outputSchema
# with Ajv, and calls create → deploy → wait (against mech sim) → log, and
# a write over a human edit, which comes back isError with the conflict;
# then the same SDK over Streamable HTTP (mech mcp --http with a token):
# list, a read, a write, a wait's progress as server-sent events, DELETE.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"
. "$(dirname "$0")/../lib/mcp.sh"

seed_tenant alice
before=$(head_of alice)
RPC="$SRC/tests/lib/mcp_rpc.py"
rpc() { # messages on stdin → $out: {"exit", "answers": […], "stderr"}
	out=$(/usr/bin/python3 "$RPC" "$MECH" --tenant alice mcp)
}
init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
a() { json "$out" "$1"; } # python on d = the answers' object

# ---- lifecycle ----
rpc <<MSG
{"jsonrpc":"2.0","id":1,"method":"tools/list"}
{"jsonrpc":"2.0","id":2,"method":"ping"}
{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocolVersion":"2025-06-18"}}
{"jsonrpc":"2.0","id":5,"method":"ping"}
MSG
expect_eq "$(a 'd["exit"]')" 0 "mcp ends with its input, exit 0"
expect_eq "$(a 'len(d["answers"])')" 5 "one answer per request, none for the notification"
expect_eq "$(a '[x["id"] for x in d["answers"]]')" "[1, 2, 3, 4, 5]" "answers in order, with their ids"
expect_eq "$(a 'd["answers"][0]["error"]["code"]')" -32600 "tools/list before initialize: invalid request"
expect_in "$(a 'd["answers"][0]["error"]["message"]')" "initialize" "the error says to initialize"
expect_eq "$(a 'd["answers"][1]["result"]')" "{}" "ping before initialize"
expect_eq "$(a 'd["answers"][2]["result"]["protocolVersion"]')" 2025-06-18 "the previous revision is served"
expect_eq "$(a 'd["answers"][2]["result"]["serverInfo"]["name"]')" mech "serverInfo"
expect_eq "$(a 'd["answers"][2]["result"]["capabilities"]["tools"]')" "{'listChanged': False}" "tools capability"
expect_eq "$(a 'd["answers"][3]["error"]["code"]')" -32600 "a second initialize"
for v in 2025-11-25 1999-01-01; do
	rpc <<<"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"$v\",\"capabilities\":{}}}"
	expect_eq "$(a 'd["answers"][0]["result"]["protocolVersion"]')" 2025-11-25 "initialize $v: the current revision"
done

# ---- JSON-RPC errors: each answered, in order, nothing written ----
/usr/bin/python3 - "$T/bad" "$init" <<'PY'
import sys
out, init = sys.argv[1], sys.argv[2]
m = [init.encode(),
     b'garbage',                                                        # 1 parse
     b'{"jsonrpc":"2.0","id":2,"method":',                              # 2 parse (cut)
     b'[{"jsonrpc":"2.0","id":3,"method":"ping"}]',                     # 3 batch
     b'42',                                                             # 4 not an object
     b'{"jsonrpc":"1.0","id":5,"method":"ping"}',                       # 5 version
     b'{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}',                 # 6 id type
     b'{"jsonrpc":"2.0","id":7,"method":"prompts/list"}',               # 7 unknown method
     b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"admin_init"}}',  # 8 not a tool
     b'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{}}',     # 9 no name
     b'{"jsonrpc":"2.0","id":10,"method":"tools/call","params":[1]}',   # 10 params not an object
     b'{"jsonrpc":"2.0","id":11,"method":"tools/list","params":{"cursor":"bogus"}}',  # 11 cursor
     b'{"jsonrpc":"2.0","id":12,"method":"ping","params":' + b'[' * 100 + b']' * 100 + b'}',  # 12 deep
     b'{"jsonrpc":"2.0","id":13,"method":"ping","x":"' + b'a' * (1100 * 1024) + b'"}',       # 13 big
     b'{"jsonrpc":"2.0","id":14,"method":"p\x00ing"}',                  # 14 NUL
     b'{"jsonrpc":"2.0","id":15,"method":"\xff\xfe"}',                  # 15 not UTF-8
     b'{"jsonrpc":"2.0","method":"notifications/whatever"}',            # no answer
     b'{"jsonrpc":"2.0","id":99,"result":{}}',                          # a response: no answer
     b'',                                                               # blank: no answer
     b'{"jsonrpc":"2.0","id":16,"method":"tools/call","params":{"name":"app_create","arguments":{"name":"web","image":"nginx:1","port":"80"}}}',
     b'{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"app_create","arguments":{"name":"web","image":"nginx:1","tenant":"bob"}}}',
     b'{"jsonrpc":"2.0","id":18,"method":"tools/call","params":{"name":"app_create","arguments":{"name":"web","image":"nginx:1","bogus":true}}}',
     b'{"jsonrpc":"2.0","id":19,"method":"tools/call","params":{"name":"app_create","arguments":{"name":"--force","image":"nginx:1"}}}',
     b'{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"app_create","arguments":{"name":"web; touch /tmp/x","image":"nginx:1"}}}',
     b'{"jsonrpc":"2.0","id":21,"method":"ping"}',
     b'{"jsonrpc":"2.0","id":22,"method":"ping"} {"jsonrpc":"2.0","id":23,"method":"ping"}',  # two on a line
     b'{"jsonrpc":"2.0","id":24,"method":"ping"}\r']                   # CRLF: fine
open(out, 'wb').write(b'\n'.join(m) + b'\n')
PY
rpc <"$T/bad"
expect_eq "$(a 'd["exit"]')" 0 "mcp survives every bad message"
expect_eq "$(a '[x.get("id") for x in d["answers"]]')" \
	"[0, None, None, None, None, 5, None, 7, 8, 9, 10, 11, None, None, None, 15, 16, 17, 18, 19, 20, 21, None, 24]" \
	"one answer per bad message, in order; id null where it cannot be read"
expect_eq "$(a '[x["error"]["code"] for x in d["answers"][1:16]]')" \
	"[-32700, -32700, -32600, -32600, -32600, -32600, -32601, -32602, -32602, -32602, -32602, -32600, -32600, -32700, -32601]" \
	"parse, invalid request, method not found, invalid params"
expect_in "$(a 'd["answers"][13]["error"]["message"]')" "too large" "oversized: said so"
expect_in "$(a 'd["answers"][12]["error"]["message"]')" "nested deeper" "too deep: said so"
expect_eq "$(a '"unparsed" in str(d["answers"])')" False "every answer is JSON (valid UTF-8)"
expect_eq "$(a '[x["result"]["isError"] for x in d["answers"][16:21]]')" "[True, True, True, True, True]" \
	"bad tool arguments are tool errors, not protocol errors"
expect_eq "$(a '[x["result"]["structuredContent"]["error"]["exit"] for x in d["answers"][16:21]]')" \
	"[64, 77, 64, 65, 65]" "wrong type 64, tenant 77, unknown 64, a flag as a name 65, shell syntax 65"
expect_in "$(a 'd["answers"][17]["result"]["content"][0]["text"]')" "tenant" "tenant: the refusal says why"
expect_eq "$(a 'd["answers"][21]["result"]')" "{}" "still serving after all that"
expect_eq "$(a 'd["answers"][22]["error"]["code"]')" -32700 "two messages on one line: a parse error"
expect_eq "$(a 'd["answers"][23]["result"]')" "{}" "a CRLF line ending is fine"
expect_eq "$(head_of alice)" "$before" "nothing written by any of it"
[ ! -e /tmp/x ] && ok || fail "a value ran as a command"

# ---- tools/list: pages, names, what is left out ----
{
	echo "$init"
	echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
	echo '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"t2"}}'
} >"$T/list"
rpc <"$T/list"
names=$(a '" ".join(t["name"] for t in d["answers"][1]["result"]["tools"])')
expect_eq "$(a '"nextCursor" in d["answers"][1]["result"]')" False "every tool on the first page (clients that read one page see all)"
expect_eq "$(a 'd["answers"][2]["result"]["tools"][0]["name"]')" app_create "a cursor pages from where it says (t2: the third tool)"
mech help --json
want=$(json "$out" '" ".join(c["command"].replace(".", "_").replace("-", "_") for c in d["result"]["catalogue"] if not c["operator"] and c["command"] not in ("console", "shell", "mcp"))')
expect_eq "$names" "$want" "a tool per command but operator, terminal and server ones, in table order"
for t in app_create app_instance_add app_wait route_create log show help whoami; do
	expect_in " $names " " $t " "tool $t"
done
for t in admin_init sim console shell mcp demo gen_man ssh; do
	expect_not_in " $names " " $t " "no tool $t"
done

# ---- a wait: progress notifications, then cancelled ----
sim_start --sync-delay 200ms --health-delay 200ms
sim_config
mech --tenant alice app create slow --image registry.example.com/alice/slow:1.0 --wait --timeout 60s
expect_rc 0 "app create slow (its Application exists: a --gone wait on it goes on)"
at=$(head_of alice)
# --gone for an app that stays in Git: the wait goes on until cancelled
out=$(/usr/bin/python3 "$SRC/tests/lib/mcp_cancel.py" "$MECH" --tenant alice mcp)
expect_eq "$(json "$out" 'd["before"][-1]["params"]["progressToken"]')" w1 "a wait's state line: notifications/progress with the token"
# the first state the wait sees: not created yet, or already syncing
expect_eq "$(json "$out" 'any(w in d["before"][-1]["params"]["message"] for w in ("Argo CD", "alice--slow--main"))')" True \
	"the progress message is the wait's line"
expect_eq "$(json "$out" '[m.get("id") for m in d["after"]]')" "[2]" "cancelled: no answer for the call; the next request answered"
expect_eq "$(json "$out" 'd["exit"]')" 0 "the session ends normally"
expect_eq "$(head_of alice)" "$at" "a cancelled wait wrote nothing"

# ---- a command that reads stdin: secret set takes its value as the stdin argument ----
{
	echo "$init"
	echo '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"secret_set","arguments":{"name":"db","key":"password","stdin":"pw-0123456789"}}}'
	echo '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"secret_info","arguments":{"name":"db"}}}'
	echo '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"secret_set","arguments":{"name":"db","key":"other"}}}'
	echo '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"secret_set","arguments":{"key":"other","stdin":"x"}}}'
} >"$T/secret"
rpc <"$T/secret"
expect_eq "$(a 'd["exit"]')" 0 "the session with secret calls ends cleanly (sanitizers: no leak)"
expect_eq "$(a 'd["answers"][1]["result"]["isError"]')" False "secret_set with stdin ($(a 'd["answers"][1]["result"]["content"][0]["text"]'))"
expect_in "$(a 'd["answers"][2]["result"]["content"][0]["text"]')" password "secret_info names the key"
expect_eq "$(a 'd["answers"][3]["result"]["structuredContent"]["error"]["exit"]')" 65 "secret_set without stdin: an empty value, refused"
expect_eq "$(a 'd["answers"][4]["result"]["structuredContent"]["error"]["exit"]')" 64 "a key without its name: refused before it runs"
expect_not_in "$out" "pw-0123456789" "the value is in no answer"
expect_not_in "$(git --git-dir="$(repo_of alice)" log -p --all)" "pw-0123456789" "nor in Git"
at=$(head_of alice)

# ---- resources: receipts and apps, read-only ----
{
	echo "$init"
	echo '{"jsonrpc":"2.0","id":1,"method":"resources/list"}'
	echo '{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"mech://alice/app/slow"}}'
	echo "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/read\",\"params\":{\"uri\":\"mech://alice/receipt/$at\"}}"
	echo '{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"mech://bob/app/slow"}}'
	echo '{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"mech://alice/app/nope"}}'
	echo '{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"mech://alice/app/slow --force"}}'
	echo '{"jsonrpc":"2.0","id":7,"method":"resources/templates/list"}'
} >"$T/res"
rpc <"$T/res"
expect_eq "$(a 'd["exit"]')" 0 "the session with resource reads ends cleanly"
expect_in "$(a '[r["uri"] for r in d["answers"][1]["result"]["resources"]]')" "'mech://alice/app/slow'" "resources/list: the app"
expect_in "$(a '[r["uri"] for r in d["answers"][1]["result"]["resources"]]')" "'mech://alice/receipt/$at'" "resources/list: the receipt"
expect_eq "$(a 'json.loads(d["answers"][2]["result"]["contents"][0]["text"])["name"]')" slow \
	"resources/read of an app: app info's result"
expect_eq "$(a 'json.loads(d["answers"][3]["result"]["contents"][0]["text"])["commit"]')" "$at" "resources/read of a receipt: show's result"
expect_eq "$(a '[x["error"]["code"] for x in d["answers"][4:7]]')" "[-32002, -32002, -32002]" \
	"another tenant's, a missing and a malformed URI: not found"
expect_eq "$(a '[t["uriTemplate"] for t in d["answers"][7]["result"]["resourceTemplates"]]')" \
	"['mech://{tenant}/receipt/{sha}', 'mech://{tenant}/app/{name}']" "resource templates"
expect_eq "$(head_of alice)" "$at" "reading resources writes nothing"

# ---- the official SDK (npm) ----
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	skip_part "@modelcontextprotocol/sdk: node or npm is not installed"
	finish
fi
if ! npm install --no-save --no-audit --no-fund --prefix "$T/node" '@modelcontextprotocol/sdk@1' \
	>"$T/npm.log" 2>&1; then
	skip_part "@modelcontextprotocol/sdk: npm install failed (registry unreachable?): $(tail -3 "$T/npm.log")"
	finish
fi
cp "$SRC/tests/lib/mcp_client.mjs" "$T/node/client.mjs"
sdk() { # phase → $out (one JSON object per line), $rc
	run node "$T/node/client.mjs" "$@"
}
sdk flow stdio "$MECH" --tenant alice mcp
expect_rc 0 "SDK client: create, deploy, wait, log ($err)"
expect_eq "$(json "$(grep '^{"schemas":' <<<"$out")" 'd["schemas"]')" "$(wc -w <<<"$want")" \
	"Ajv compiles every tool's inputSchema and outputSchema"
expect_eq "$(json "$(grep '^{"protocol":' <<<"$out")" 'd["protocol"]')" 2025-11-25 "the SDK negotiates the current revision"
create=$(grep '^{"app_create":' <<<"$out")
expect_eq "$(json "$create" 'd["app_create"]["isError"]')" False "app_create"
expect_eq "$(json "$create" 'd["app_create"]["structuredContent"]["changed"]')" True "app_create: changed"
expect_eq "$(json "$create" 'd["app_create"]["_meta"]["mech/commit"]')" "$(git --git-dir="$(repo_of alice)" rev-parse HEAD~1)" \
	"app_create: the receipt's commit"
deploy=$(grep '^{"app_deploy":' <<<"$out")
expect_eq "$(json "$deploy" 'd["app_deploy"]["_meta"]["mech/commit"]')" "$(head_of alice)" "app_deploy: the receipt"
expect_eq "$(git --git-dir="$(repo_of alice)" log -1 --format=%s)" "$(json "$deploy" 'd["app_deploy"]["structuredContent"]["subject"]')" \
	"the receipt is the commit on main"
expect_eq "$(json "$(grep '^{"app_wait":' <<<"$out")" 'd["app_wait"]["isError"]')" False "app_wait: Synced and Healthy"
expect_eq "$(json "$(grep '^{"log":' <<<"$out")" '[c["subject"][:22] for c in d["log"]["structuredContent"]["commits"][:2]]')" \
	"['mechanics(app.deploy):', 'mechanics(app.create):']" "log: the two receipts"

# a human edits the overlay; the SDK's write over it is refused with the conflict
human_clone alice "$T/clone"
printf 'replicas:\n- name: web\n  count: 3\n' >>"$T/clone/apps/web/overlays/main/kustomization.yaml"
git -C "$T/clone" commit -qam "scale web to 3"
git -C "$T/clone" push -q origin HEAD
human=$(git -C "$T/clone" rev-parse HEAD)
sdk refusal stdio "$MECH" --tenant alice mcp
expect_rc 0 "SDK client: a refused write ($err)"
r=$(grep '^{"app_set_image":' <<<"$out")
expect_eq "$(json "$r" 'd["app_set_image"]["isError"]')" True "refusal: isError"
expect_eq "$(json "$r" 'd["app_set_image"]["structuredContent"]["error"]["code"]')" write_refused "refusal: the error code"
expect_eq "$(json "$r" 'd["app_set_image"]["structuredContent"]["error"]["conflicts"][0]["commit"]')" "$human" \
	"refusal: the conflict names the human commit"
expect_in "$(json "$r" 'd["app_set_image"]["content"][0]["text"]')" "conflict: apps/web/overlays/main/kustomization.yaml" \
	"refusal: the text names the conflict"
expect_eq "$(head_of alice)" "$human" "the refused write left the branch"

# the same SDK over Streamable HTTP (mech mcp --http, a bearer token from a 0600 file)
printf 'tok-%s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$T/token"
chmod 600 "$T/token"
mcp_http_start --token-file "$T/token"
MCP_TOKEN=$(cat "$T/token") sdk http http "$MCP_URL"
expect_rc 0 "SDK client over StreamableHTTPClientTransport ($err)"
expect_eq "$(json "$(grep '^{"tools":' <<<"$out")" '" ".join(d["tools"])')" "$want" "HTTP: every tool"
expect_eq "$(json "$(grep '^{"protocol":' <<<"$out")" 'd["protocol"]')" 2025-11-25 "HTTP: the current revision"
expect_eq "$(json "$(grep '^{"session":' <<<"$out")" 'len(d["session"])')" 32 "HTTP: a session id"
expect_eq "$(json "$(grep '^{"app_list":' <<<"$out")" '[a["name"] for a in d["app_list"]["structuredContent"]["apps"]]')" \
	"['slow', 'web']" "HTTP: app_list"
expect_in "$(json "$(grep '^{"app_list":' <<<"$out")" 'd["app_list"]["content"][0]["text"]')" "LAST WRITER" \
	"HTTP: app_list's text is the table, beside the JSON"
r=$(grep '^{"app_create":' <<<"$out")
expect_eq "$(json "$r" 'd["app_create"]["_meta"]["mech/commit"]')" "$(head_of alice)" "HTTP: app_create's receipt is the head"
expect_eq "$(json "$(grep '^{"app_wait":' <<<"$out")" 'd["app_wait"]["isError"]')" False "HTTP: app_wait, Synced and Healthy"
expect_eq "$(json "$(grep '^{"progress":' <<<"$out")" 'len(d["progress"]) > 0 and all("message" in p for p in d["progress"])')" True \
	"HTTP: the wait's progress as server-sent events"
expect_eq "$(json "$(grep '^{"terminated":' <<<"$out")" 'd["terminated"]')" None "HTTP: DELETE ended the session"
# a wait over HTTP, cancelled from another connection: progress as events, then no answer
at=$(head_of alice)
/usr/bin/python3 - "$MCP_PORT" "$T/token" >"$T/http-cancel" <<'PY'
import json, socket, sys
port, token = int(sys.argv[1]), open(sys.argv[2]).read().strip()
def post(body, session=None, keep=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    b = json.dumps(body).encode()
    h = ("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\nAuthorization: Bearer %s\r\n"
         "Connection: close\r\nContent-Length: %d\r\n" % (port, token, len(b)))
    if session:
        h += "Mcp-Session-Id: %s\r\n" % session
    s.sendall((h + "\r\n").encode() + b)
    if keep:
        return s
    got = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        got += c
    s.close()
    return got.decode()
def header(resp, name):
    for l in resp.split("\r\n\r\n")[0].split("\r\n")[1:]:
        if l.lower().startswith(name + ":"):
            return l.split(":", 1)[1].strip()
r = post({"jsonrpc": "2.0", "id": 1, "method": "initialize",
          "params": {"protocolVersion": "2025-11-25", "capabilities": {}}})
sid = header(r, "mcp-session-id")
wait = post({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
             "params": {"name": "app_wait", "arguments": {"app": "slow", "gone": True, "timeout": "120s"},
                        "_meta": {"progressToken": "w7"}}}, sid, keep=True)
got = b""
while b"notifications/progress" not in got:  # the wait runs: its first state line
    c = wait.recv(65536)
    if not c:
        break
    got += c
cancel = post({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7}}, sid)
while True:
    c = wait.recv(65536)
    if not c:
        break
    got += c
ping = post({"jsonrpc": "2.0", "id": 8, "method": "ping"}, sid)
text = got.decode()
print(json.dumps({"stream_type": header(text, "content-type"),
                  "progress": text.count('"method":"notifications/progress"'),
                  "answered": '"id":7' in text,
                  "cancel_status": cancel.split()[1], "ping": json.loads(ping.split("\r\n\r\n", 1)[1])}))
PY
out=$(cat "$T/http-cancel")
expect_eq "$(json "$out" 'd["stream_type"]')" text/event-stream "HTTP: a call with a progressToken is an event stream"
expect_eq "$(json "$out" 'd["progress"] > 0')" True "HTTP: its progress events"
expect_eq "$(json "$out" 'd["cancel_status"]')" 202 "HTTP: notifications/cancelled from another connection, during the wait: 202"
expect_eq "$(json "$out" 'd["answered"]')" False "HTTP: the cancelled call gets no answer (its stream ends)"
expect_eq "$(json "$out" 'd["ping"]["id"]')" 8 "HTTP: the session goes on"
expect_eq "$(head_of alice)" "$at" "HTTP: a cancelled wait wrote nothing"
MCP_TOKEN=wrong sdk http http "$MCP_URL"
expect_in "$rc $err" "401" "HTTP: a wrong token is refused (401)"
kill "$MCP_PID" && wait "$MCP_PID"
expect_eq "$?" 0 "HTTP: SIGTERM ends the server, exit 0 (sanitizer builds: no leak)"
expect_eq "$(cat "$MCP_ERR")" "" "HTTP: nothing on its stderr"

# ---- the MCP Inspector's CLI (npm) ----
# 1.x is the last for Node < 22. It looks for its own package.json as
# ../package.json of the working directory, so it runs from its build/.
if ! npm install --no-save --no-audit --no-fund --prefix "$T/insp" '@modelcontextprotocol/inspector-cli@1' \
	>"$T/npm-insp.log" 2>&1; then
	skip_part "@modelcontextprotocol/inspector-cli: npm install failed (registry unreachable?): $(tail -3 "$T/npm-insp.log")"
	finish
fi
inspector() {
	out=$(cd "$T/insp/node_modules/@modelcontextprotocol/inspector-cli/build" &&
		node cli.js --cli -e "MECH_HOME=$MECH_HOME" -e MECH_TENANT=alice "$MECH" mcp "$@" 2>"$T/insp.err")
	rc=$?
}
inspector --method tools/list
expect_rc 0 "inspector: tools/list ($(tail -3 "$T/insp.err"))"
expect_eq "$(json "$out" '" ".join(t["name"] for t in d["tools"])')" "$want" "inspector: every tool"
inspector --method tools/call --tool-name app_list
expect_rc 0 "inspector: tools/call app_list ($(tail -3 "$T/insp.err"))"
expect_eq "$(json "$out" '[a["name"] for a in d["structuredContent"]["apps"]]')" "['api', 'slow', 'web']" "inspector: app_list's apps"
inspector --method tools/call --tool-name log --tool-arg max-count=1
expect_eq "$(json "$out" 'd["structuredContent"]["commits"][0]["commit"]')" "$(head_of alice)" "inspector: log max-count=1"
# @modelcontextprotocol/conformance: tests/cli/mcp_conformance.sh
finish
