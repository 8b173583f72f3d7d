#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A CloudNativePG Cluster's health in mech sim is what Argo CD's
# resource_customizations/postgresql.cnpg.io/Cluster/health.lua makes of the
# status the sim serves for it (cnpg.md §2): a new Cluster is Progressing
# "Setting up primary"; `addon set --memory` restarts the instances
# ("Upgrading cluster": Progressing, with CloudNativePG's phaseReason as the
# message) and ends Healthy; a PostgreSQL parameter change is "Applying
# configuration", which the Lua calls Degraded. The Kubernetes object
# agrees: phase, phaseReason, readyInstances, and a Ready condition whose
# observedGeneration reaches the live generation only once the rollout is
# done. Both are read from watch streams, so every state is seen in order
# however fast the sim moves.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sim.sh"

PY=/usr/bin/python3
seed_tenant alice
sim_start --sync-delay 100ms --health-delay 2s
sim_config
# one line per change: Argo CD's view of the addons Application and its Cluster
cat >"$T/watch.py" <<'EOF'
import json, sys, urllib.request
url, mode, out = sys.argv[1:4]
last = None
with urllib.request.urlopen(url, timeout=120) as r, open(out, "a") as f:
    for raw in r:
        line = raw.decode().strip()
        if line.startswith("data:"):
            line = line[5:].strip()
        if not line.startswith("{"):
            continue
        ev = json.loads(line)
        if mode == "argo":
            a = ev["result"]["application"]
            res = [x for x in a["status"].get("resources", []) if x["kind"] == "Cluster"]
            h = res[0].get("health", {}) if res else {}
            row = (a["status"]["health"]["status"], h.get("status", ""), h.get("message", ""))
        else:
            o = ev["object"]
            st = o.get("status", {})
            ready = [c for c in st.get("conditions", []) if c["type"] == "Ready"]
            row = (o["metadata"]["generation"], st.get("phase"), st.get("phaseReason", ""),
                   st.get("readyInstances", 0), ready[0]["status"] if ready else "",
                   ready[0].get("observedGeneration", 0) if ready else 0)
        if row != last:
            f.write(json.dumps(row) + "\n")
            f.flush()
            last = row
EOF
$PY "$T/watch.py" "$SIM_URL/api/v1/stream/applications?name=alice--addons" argo "$T/argo.log" 2>"$T/argo.err" &
ARGO_PID=$!
$PY "$T/watch.py" "$SIM_URL/apis/postgresql.cnpg.io/v1/namespaces/x-alice/clusters?watch=1&timeoutSeconds=120" kube "$T/kube.log" 2>"$T/kube.err" &
KUBE_PID=$!
cleanup_hooks+=("kill $ARGO_PID $KUBE_PID 2>/dev/null")
sleep_until_line() { # file line: the watch wrote it
	grep -qxF -- "$2" "$1" 2>/dev/null
}
since() { tail -n +"$((n_argo + 1))" "$T/argo.log"; } # what the Argo CD watch saw since n_argo lines
since_has() { since | grep -qxF -- "$1"; }
# the watches are open once they print the first state (an empty addons app)
wait_until 30 test -s "$T/argo.log" || fail "the Argo CD watch gave nothing: $(cat "$T/argo.err")"

# ---- a new Cluster: Setting up primary, then healthy ----
"$MECH" --tenant alice addon create db --type postgres --storage 1Gi --memory 256Mi >/dev/null 2>"$T/err" ||
	fail "addon create: $(cat "$T/err")"
wait_until 60 sleep_until_line "$T/kube.log" '[1, "Cluster in healthy state", "", 1, "True", 1]' ||
	fail "the new Cluster never became healthy: $(cat "$T/kube.log") $(cat "$T/kube.err")"
wait_until 60 sleep_until_line "$T/argo.log" '["Healthy", "Healthy", ""]' ||
	fail "the addons app never became Healthy: $(cat "$T/argo.log")"
expect_in "$(cat "$T/argo.log")" '["Progressing", "Progressing", "Creating primary instance"]' \
	"create: Progressing with the phaseReason, as health.lua says for Setting up primary"
expect_in "$(cat "$T/kube.log")" '[1, "Setting up primary", "Creating primary instance", 0, "False", 0]' \
	"create: the Cluster sets up its primary, not Ready, no generation observed yet"

# ---- addon set --memory: a rolling restart, Progressing, then Healthy ----
n_argo=$(wc -l <"$T/argo.log")
mech --tenant alice addon -n db set --memory 512Mi
expect_rc 0 "addon set --memory"
wait_until 60 sleep_until_line "$T/kube.log" '[2, "Cluster in healthy state", "", 1, "True", 2]' ||
	fail "the changed Cluster never became healthy: $(cat "$T/kube.log")"
expect_in "$(cat "$T/kube.log")" '[2, "Upgrading cluster", "Restarting instance db-1, because: resources changed", 0, "False", 1]' \
	"memory: CNPG restarts the instance; Ready is False for the previous generation"
wait_until 60 since_has '["Healthy", "Healthy", ""]' ||
	fail "after the memory change the app never came back Healthy: $(cat "$T/argo.log")"
after=$(since)
expect_in "$after" '["Progressing", "Progressing", "Restarting instance db-1, because: resources changed"]' \
	"memory: Argo CD health Progressing with CNPG's phaseReason"
expect_eq "$($PY -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
p = [i for i, r in enumerate(rows) if r[1] == "Progressing"]
h = [i for i, r in enumerate(rows) if r == ["Healthy", "Healthy", ""]]
print(bool(p) and bool(h) and max(p) < max(h))' <<<"$after")" True "memory: Progressing, then Healthy"
mech --tenant alice addon -n db wait --timeout 60s
expect_rc 0 "addon wait after the memory change"

# ---- a PostgreSQL parameter: Applying configuration, which health.lua calls Degraded ----
human_clone alice "$T/wc"
cat >>"$T/wc/addons/db/cluster.yaml" <<'YAML'
  postgresql:
    parameters:
      max_connections: "200"
YAML
n_argo=$(wc -l <"$T/argo.log")
(cd "$T/wc" && git commit -qam "max_connections, by hand" && git push -q origin HEAD:main)
wait_until 60 sleep_until_line "$T/kube.log" '[3, "Cluster in healthy state", "", 1, "True", 3]' ||
	fail "after the parameter change the Cluster never became healthy: $(cat "$T/kube.log")"
expect_in "$(cat "$T/kube.log")" '[3, "Applying configuration", "PostgreSQL configuration changed", 0, "False", 2]' \
	"parameters: the instance manager applies the configuration"
wait_until 60 since_has '["Healthy", "Healthy", ""]' ||
	fail "after the parameter change the app never came back Healthy: $(cat "$T/argo.log")"
expect_in "$(since)" '["Degraded", "Degraded", "PostgreSQL configuration changed"]' \
	"parameters: Applying configuration is Degraded, as health.lua says"
finish
