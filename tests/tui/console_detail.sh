#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mech console, addon and route detail (issue 17), in the headless scripted
# mode: Enter on an addon row and on a route row opens its detail; golden
# screens at 80x24 and 140x40 with Argo CD not configured, live (mech sim:
# the Cluster's phase and conditions, the HTTPRoute's parents with their
# Accepted/ResolvedRefs conditions, the linked and backend apps' sync and
# health) and unreachable (the sim stopped); navigation addon → detail →
# last writer → receipt, route → detail → back, route → backend app; the
# addon's password (the sim's generated one) never on any screen.
# UPDATE_GOLDEN=1 rewrites the detail-* goldens from this run.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"
require script bsdutils
. "$(dirname "$0")/../lib/console.sh"

seed_tenant alice
"$MECH" app create web --image nginx:1.27 >/dev/null 2>&1 || fail "app create web"
"$MECH" route -a web create >/dev/null 2>&1 || fail "route create"
"$MECH" addon create db --type postgres >/dev/null 2>&1 || fail "addon create"
"$MECH" addon -n db link -a web >/dev/null 2>&1 || fail "addon link"

# details STATE: both detail views at 80x24 and 140x40 into detail-{addon,route}-STATE[-wide]
details() {
	cat >"$T/s" <<SCRIPT
3
<Enter>
:screen-save $T/detail-addon-$1.screen
:resize 140x40
:screen-save $T/detail-addon-$1-wide.screen
:resize 80x24
<Esc>
2
<Enter>
:screen-save $T/detail-route-$1.screen
:resize 140x40
:screen-save $T/detail-route-$1-wide.screen
SCRIPT
	console "$T/s"
	expect_rc 0 "detail views ($1)"
	for s in addon-$1 addon-$1-wide route-$1 route-$1-wide; do
		golden "detail-$s"
	done
}

# colour STATE: both detail views with each cell's colour area (:screen-save-attrs) at
# 80x24 and 140x40, into detail-colour-{addon,route}-STATE-SIZE
colour() {
	local size
	for size in 80x24 140x40; do
		cat >"$T/s" <<SCRIPT
:resize $size
3
<Enter>
:screen-save-attrs $T/detail-colour-addon-$1-$size.screen
<Esc>
2
<Enter>
:screen-save-attrs $T/detail-colour-route-$1-$size.screen
SCRIPT
		out=$(env -u NO_COLOR TERM=xterm-256color MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh \
			script -qec "$MECH console" /dev/null 2>&1) && rc=0 || rc=$?
		expect_rc 0 "colour detail views ($1, $size)"
		golden "detail-colour-addon-$1-$size"
		golden "detail-colour-route-$1-$size"
	done
}

# ---- Argo CD not configured: what Git knows, and says so ----
details nc
expect_in "$(cat "$T/detail-addon-nc.screen")" "argocd not configured" "addon detail without Argo CD"
expect_in "$(cat "$T/detail-addon-nc.screen")" "Secret db-app, key uri" "connection: the Secret's name"
expect_in "$(cat "$T/detail-addon-nc.screen")" "web/main" "the linked app, from Git"
expect_in "$(cat "$T/detail-route-nc.screen")" "host web.alice.apps.localhost" "route detail: the host from Git"
colour nc
# operator mode: the detail of the row's tenant, named in the title
printf '3\n<Enter>\n:screen-save %s\n<Esc>\n2\n<Enter>\njjj\n<Enter>\n:screen-save %s\n' \
	"$T/op-addon.screen" "$T/op-receipt.screen" >"$T/s"
out=$(MECH_CONSOLE_SCRIPT="$T/s" SHELL=/bin/sh script -qec "$MECH console --all-tenants" /dev/null 2>&1) && rc=0 || rc=$?
expect_rc 0 "operator console"
expect_in "$(sed -n 3p "$T/op-addon.screen")" "addon alice/db" "operator mode: the addon detail names its tenant"
expect_in "$(cat "$T/op-receipt.screen")" "Mechanics-Verb: route.create" "operator mode: route → last writer → receipt"

# ---- live: the sim as Argo CD and Kubernetes ----
sim_start --sync-delay 100ms --health-delay 100ms
sim_config
"$MECH" addon -n db wait --timeout 60s >/dev/null 2>&1 || fail "addon wait"
"$MECH" route -a web wait --timeout 60s >/dev/null 2>&1 || fail "route wait"
"$MECH" app -a web wait --timeout 60s >/dev/null 2>&1 || fail "app wait"
details live
a=$(cat "$T/detail-addon-live-wide.screen")
expect_in "$a" "Cluster/db in alice--addons  Synced  Healthy" "the Cluster's sync and health"
expect_in "$a" '1/1 instances ready  phase "Cluster in healthy state"' "the Cluster's phase"
expect_in "$a" "Ready=True  ClusterIsReady: Cluster is Ready" "the Cluster's Ready condition"
expect_in "$a" "host db-rw.x-alice.svc  port 5432  database app  user app" "connection facts"
expect_in "$(grep 'web/main' <<<"$a")" "env DATABASE_URL       Synced  Healthy" "the linked app, live"
expect_not_in "$a" "is not there yet" "the Secret was read"
r=$(cat "$T/detail-route-live-wide.screen")
expect_in "$r" "Gateway mech-gateway/mech" "the parentRef"
expect_in "$r" "Accepted=True  Accepted: Route is accepted" "Accepted with its reason"
expect_in "$r" "ResolvedRefs=True  ResolvedRefs: Resolved all the Object references" "ResolvedRefs with its reason"
expect_in "$r" "PathPrefix /  → web--main:80" "the path and its backend"
expect_in "$(grep 'web/main' <<<"$r")" "Synced  Healthy" "the backend app's sync and health"
colour live
# the areas are the theme's: conditions True in healthy, the selected line in selection
a=$(area_letter "$T/detail-colour-addon-live-80x24.screen" default)
h=$(area_letter "$T/detail-colour-addon-live-80x24.screen" healthy)
codes=$(grep -A1 'Ready=True' "$T/detail-colour-addon-live-80x24.screen" | sed -n 2p)
expect_in "$codes" "$a$a$a$h$h$h$h$h$h$h$h$h$h$a$a" "Ready=True is drawn as healthy"
sel=$(area_letter "$T/detail-colour-addon-live-80x24.screen" selection)
expect_eq "$(sed -n 9p "$T/detail-colour-addon-live-80x24.screen" | tr -d "${sel:-g}")" "" "the selected line is drawn as the selection"

# navigation: addon → detail → last writer → receipt; route → detail → back; → backend app
cat >"$T/s" <<SCRIPT
3
<Enter>
jjj
<Enter>
:screen-save $T/nav-receipt.screen
<Esc>
<Esc>
:screen-save $T/nav-addons.screen
<Enter>
<Enter>
:screen-save $T/nav-title-enter.screen
<Esc>
/web
<Enter>
<Enter>
:screen-save $T/nav-linked.screen
<Esc>
<Esc>
2
<Enter>
:screen-save $T/nav-route.screen
d
:screen-save $T/nav-route-diff.screen
<Esc>
<Esc>
:screen-save $T/nav-routes.screen
<Enter>
G
<Enter>
:screen-save $T/nav-backend.screen
SCRIPT
console "$T/s"
expect_rc 0 "navigation run"
expect_in "$(cat "$T/nav-receipt.screen")" "Mechanics-Verb: addon.create" "last writer → its receipt"
expect_in "$(sed -n 2p "$T/nav-addons.screen")" "addons" "Esc twice: back on the addons list"
expect_in "$(cat "$T/nav-addons.screen")" "postgres" "…with its row"
expect_in "$(cat "$T/nav-title-enter.screen")" "Mechanics-Verb: addon.create" "Enter off a named line: the last writer's receipt"
expect_in "$(sed -n 3p "$T/nav-linked.screen")" "app web/main" "Enter on a linked app opens its detail"
expect_in "$(sed -n 3p "$T/nav-route.screen")" "route web--main" "Enter on a route row opens its detail"
expect_in "$(sed -n 3p "$T/nav-route-diff.screen")" "commit " "d on a detail: the last writer's receipt…"
expect_in "$(sed -n 4p "$T/nav-route-diff.screen")" "diff --git" "…at its diff"
expect_in "$(cat "$T/nav-route-diff.screen")" "+kind: HTTPRoute" "…the route's file added"
expect_in "$(cat "$T/nav-routes.screen")" "1 route (" "Esc: back on the routes list"
expect_in "$(sed -n 3p "$T/nav-backend.screen")" "app web/main" "the backend line opens the app"
expect_in "$(cat "$T/nav-backend.screen")" "Deployment/web--main" "…with its live tree"

# the password: the sim generated one; no screen shows it
pw=$(/usr/bin/python3 -c 'import base64,json,sys,urllib.request
print(base64.b64decode(json.load(urllib.request.urlopen(sys.argv[1]))["data"]["password"]).decode())' \
	"$SIM_URL/api/v1/namespaces/x-alice/secrets/db-app")
[ -n "$pw" ] && ok || fail "the sim generated a password"
screens=$(cat "$T"/detail-*.screen "$T"/nav-*.screen)
expect_not_in "$screens" "$pw" "the password is never on screen"
expect_in "$screens" "the password is never shown" "…and the screen says so"

# ---- the Cluster's events and the Secret as a Kubernetes API answers them ----
# (the sim records no Cluster events): a stub answers the two reads, with a
# password of its own in the Secret; Argo CD stays the sim
need python3 "python3 is not installed"
ago=$(date -u -d '-5 min' +%Y-%m-%dT%H:%M:%SZ)
older=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
STUB_PW="stub-Pa55word-$$"
cat >"$T/kube.py" <<'PY'
import base64, http.server, json, sys
ago, older, pw = sys.argv[2], sys.argv[3], sys.argv[4]
b = lambda s: base64.b64encode(s.encode()).decode()
def ev(kind, name, typ, reason, msg, count, at):
    return {"metadata": {"name": name + "." + reason}, "involvedObject": {"kind": kind, "name": name},
            "type": typ, "reason": reason, "message": msg, "count": count, "lastTimestamp": at}
answers = {
    "/api/v1/namespaces/x-alice/events": {"kind": "EventList", "items": [
        ev("Cluster", "db", "Normal", "CreatingInstance", "Primary instance (initdb)", 1, older),
        ev("Cluster", "db", "Warning", "DiskPressure", "volume almost full", 3, ago),
        ev("Pod", "db-1", "Warning", "BackOff", "not the Cluster's", 1, ago),
        ev("Cluster", "other", "Warning", "Other", "another Cluster's", 1, ago)]},
    "/api/v1/namespaces/x-alice/secrets/db-app": {"kind": "Secret", "type": "kubernetes.io/basic-auth",
        "metadata": {"name": "db-app", "namespace": "x-alice"},
        "data": {"username": b("appuser"), "password": b(pw), "host": b("db-rw"), "port": b("5433"),
                 "dbname": b("appdb"), "uri": b("postgresql://appuser:%s@db-rw:5433/appdb" % pw)}},
}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        doc = answers.get(self.path.split("?")[0])
        data = json.dumps(doc or {"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404}).encode()
        self.send_response(200 if doc else 404); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$T/kube.py" "$T/kube.port" "$ago" "$older" "$STUB_PW" &
stub=$!
cleanup_hooks+=("kill $stub 2>/dev/null; wait $stub 2>/dev/null")
wait_until 30 test -s "$T/kube.port" || fail "the Kubernetes stub did not start"
sed -i "s|^kubernetes: .*|kubernetes: {url: \"http://127.0.0.1:$(cat "$T/kube.port")\"}|" "$MECH_HOME/mech.yaml"
printf '3\n<Enter>\n:resize 140x40\n:screen-save %s\n' "$T/detail-addon-kube-wide.screen" >"$T/s"
console "$T/s"
expect_rc 0 "addon detail with the stub"
golden detail-addon-kube-wide
k=$(cat "$T/detail-addon-kube-wide.screen")
expect_in "$k" "host db-rw.x-alice.svc  port 5433  database appdb  user appuser" "connection facts from the Secret"
expect_in "$(sed -n '/Events (Cluster\/db)/,$p' <<<"$k" | sed -n 2p)" "Warning  DiskPressure (x3)  volume almost full" "the Cluster's Warning first, with its count"
expect_in "$(sed -n '/Events (Cluster\/db)/,$p' <<<"$k" | sed -n 3p)" "Normal   CreatingInstance  Primary instance" "then its Normal event"
expect_not_in "$k" "not the Cluster's" "a Pod's event is not the Cluster's"
expect_not_in "$k" "another Cluster's" "nor another Cluster's"
expect_not_in "$k" "$STUB_PW" "the Secret's password is never on screen"
sim_config

# ---- unreachable: the sim stopped; the views say what failed ----
# (at an address of fixed length where nothing listens: the error lines are cut at the
# screen's width, so what they show must not depend on how many digits a port has)
sim_stop
if (exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null; then
	skip_part "something listens on 127.0.0.1:9: the unreachable screens need a closed port"
else
	SIM_URL=http://127.0.0.1:9 sim_config
	details down
	expect_in "$(cat "$T/detail-addon-down-wide.screen")" "(r retries)" "addon detail: Argo CD unreachable, r retries"
	expect_in "$(cat "$T/detail-route-down-wide.screen")" "(r retries)" "route detail: Argo CD unreachable"
fi
finish
