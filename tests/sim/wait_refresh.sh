#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# After a write, mech does not wait for Argo CD's poll: against a sim with
# --realistic (an Application notices a commit every 3 minutes, the
# ApplicationSet generator runs every 3 minutes), `app create --wait`,
# `app deploy --wait` and `app wait` reach done within a 60s timeout, which
# only the refresh they ask for can explain (?refresh=normal on the
# Application; the ApplicationSet's refresh annotation when the Application
# does not exist yet). When Argo CD does not serve the ApplicationSet API
# (an older one, or a token without the right), the wait carries on and
# says that Argo CD will notice within its poll.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

seed_tenant alice
sim_start --realistic --sync-delay 200ms --health-delay 200ms -v
sim_config

mech app create web --image nginx:1.27 --port 80 --wait --timeout 60s --json
expect_rc 0 "create --wait against --realistic"
expect_eq "$(json "$out" 'd["result"]["state"]')" "done" "create: done"
expect_eq "$(json "$out" 'd["result"]["live"]["revision"]')" "$(head_of alice)" "create: at the written commit"
expect_not_in "$err" "3-minute poll" "the ApplicationSet refresh was accepted"

mech app -a web deploy --tag 1.28 --wait --timeout 60s --json
expect_rc 0 "deploy --wait against --realistic"
expect_eq "$(json "$out" 'd["result"]["state"]')" "done" "deploy: done"
expect_eq "$(json "$out" 'd["result"]["live"]["revision"]')" "$(head_of alice)" "deploy: at the written commit"

mech app -a web deploy --tag 1.29
expect_rc 0 "deploy without --wait"
mech app -a web wait --tag 1.29 --timeout 60s
expect_rc 0 "app wait refreshes too"

mech app -a web instance add staging
expect_rc 0 "instance add"
mech app -a web -i staging wait --timeout 60s
expect_rc 0 "a new instance's Application is generated on request"

# deploy --wait, like create --wait, takes --timeout and only with a value
mech app -a web -i main deploy --tag 1.30 --wait --timeout x
expect_rc 65 "deploy --wait --timeout x"
mech app -a web -i main deploy --tag 1.30 --dry-run --wait --timeout 1s
expect_rc 0 "deploy --dry-run --wait does not wait"

# ---- an Argo CD without the ApplicationSet API: carry on, say why it is slow ----
need python3 "python3 is not installed"
sim_stop
sim_start --poll-interval 3m --appset-requeue 1s --sync-delay 200ms --health-delay 200ms
cat >"$T/proxy.py" <<'PY'
import http.server, sys, urllib.request, urllib.error
UP = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def relay(self):
        if self.path.startswith("/api/v1/applicationsets"):
            body = b"Not Found"  # grpc-gateway's plain text for a route it lacks
            self.send_response(404); self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body); return
        n = int(self.headers.get("Content-Length") or 0)
        req = urllib.request.Request(UP + self.path, data=self.rfile.read(n) if n else None,
                                     method=self.command, headers={k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization", "accept")})
        try:
            r = urllib.request.urlopen(req, timeout=30); code, data, ct = r.status, r.read(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            code, data, ct = e.code, e.read(), e.headers.get("Content-Type")
        self.send_response(code); self.send_header("Content-Type", ct or "application/json")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    do_GET = do_POST = relay
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$T/proxy.py" "$SIM_URL" "$T/proxy.port" &
proxy=$!
cleanup_hooks+=("kill $proxy 2>/dev/null; wait $proxy 2>/dev/null")
wait_until 30 test -s "$T/proxy.port" || fail "the proxy did not start"
SIM_URL="http://127.0.0.1:$(cat "$T/proxy.port")" sim_config
mech app create api --image nginx:1.27 --port 80 --wait --timeout 60s --json
expect_rc 0 "create --wait without the ApplicationSet API still ends done"
expect_eq "$(json "$out" 'd["result"]["state"]')" "done" "done once the generator ran"
expect_in "$err" "could not ask ApplicationSet alice--apps to refresh" "says the refresh was refused"
expect_in "$err" "Argo CD will notice the commit within its 3-minute poll" "says what that means"
expect_in "$err" "Git webhook" "points to the webhook"
finish
