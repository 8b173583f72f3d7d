#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# whoami reads Argo CD's version (GET /api/version) and, when it is older
# than the oldest mech supports (v3.3.0: the AppProject's
# clusterResourceWhitelist[].name, docs/compatibility.md), warns on stderr
# and in the JSON's `warnings`; the exit code stays 0. mech sim answers a
# supported version; a stub that only knows /api/version answers old ones.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice

# ---- a supported version: no warning ----
sim_start --sync-delay 100ms --health-delay 100ms
sim_config
mech whoami
expect_rc 0 "whoami against mech sim"
expect_in "$out" "ok (version v3.5.1" "whoami shows the version it read"
expect_not_in "$err" "warning" "no warning for a supported Argo CD"
mech whoami --json
expect_rc 0 "whoami --json against mech sim"
expect_eq "$(json "$out" '"warnings" in d')" "False" "no warnings key for a supported Argo CD"
sim_stop

# ---- older ones: a stub Argo CD answering /api/version only ----
# stub VERSION: serve {"Version": VERSION} on a free loopback port; URL in $STUB_URL
stub() {
	rm -f "$T/stub.port"
	/usr/bin/python3 - "$1" "$T/stub.port" <<'EOF' &
import http.server, json, os, sys
version, port_file = sys.argv[1], sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        found = self.path.split("?")[0] == "/api/version"
        body = json.dumps({"Version": version} if found else {"error": "not found"}).encode()
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_port))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
EOF
	STUB_PID=$!
	cleanup_hooks+=("kill $STUB_PID 2>/dev/null; wait $STUB_PID 2>/dev/null")
	wait_until 60 test -s "$T/stub.port" || { fail "the stub did not start"; finish; }
	STUB_URL=http://127.0.0.1:$(cat "$T/stub.port")
	printf 'argocd: {url: "%s", timeout_ms: 3000}\n' "$STUB_URL" >"$MECH_HOME/mech.yaml"
}

for old in v3.1.0 "v2.14.11+8283115"; do
	stub "$old"
	before=$(head_of alice)
	mech whoami
	expect_rc 0 "whoami against Argo CD $old: still exit 0"
	expect_in "$out" "ok (version $old)" "whoami shows $old"
	expect_in "$err" "mech: warning: Argo CD $old is older than v3.3.0, the oldest mech supports" \
		"stderr warns about $old"
	expect_in "$err" "clusterResourceWhitelist[].name" "the warning says why"
	expect_not_in "$out" "warning" "the warning is not on stdout"
	mech whoami --json
	expect_rc 0 "whoami --json against Argo CD $old: still exit 0"
	json_valid "$out" "the envelope"
	expect_eq "$(json "$out" 'len(d["warnings"])')" 1 "one warning in JSON"
	expect_in "$(json "$out" 'd["warnings"][0]')" "Argo CD $old is older than v3.3.0" "the JSON warning says what"
	expect_eq "$(head_of alice)" "$before" "whoami writes nothing"
	kill "$STUB_PID" 2>/dev/null
	wait "$STUB_PID" 2>/dev/null
done

# exactly the minimum, and a version mech cannot read: no warning
for v in v3.3.0 "unknown"; do
	stub "$v"
	mech whoami --json
	expect_rc 0 "whoami against Argo CD $v"
	expect_eq "$(json "$out" '"warnings" in d')" "False" "no warning for $v"
	kill "$STUB_PID" 2>/dev/null
	wait "$STUB_PID" 2>/dev/null
done
finish
