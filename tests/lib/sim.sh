# SPDX-License-Identifier: Apache-2.0
# Start `mech sim` on a loopback port for the test's home and point
# mech.yaml at it. sim_start [sim flags...] sets SIM_URL, SIM_PID and
# SIM_ERR (its stderr; all of the last sim started); SIM_PORT=N sim_start … takes that port instead of a
# free one (a restart on the same address). Every sim is stopped on exit.
# The sim applies a tenant's argocd/ once, as an operator would; a test
# that changes argocd/*.yaml re-applies it with sim_reapply TENANT.
SIM_N=0
sim_start() {
	local out="$T/sim.$SIM_N.out"
	SIM_N=$((SIM_N + 1))
	"$MECH" sim --listen "127.0.0.1:${SIM_PORT:-0}" "$@" >"$out" 2>"$out.err" &
	SIM_PID=$!
	SIM_ERR=$out.err
	# a sim that stopped itself says why (MECH_SIM_CHECK_RENDER's fatal, say)
	cleanup_hooks+=("kill $SIM_PID 2>/dev/null || grep -h 'fatal' '$out.err' >&2; wait $SIM_PID 2>/dev/null")
	for _ in $(seq 1 1200); do # a hang guard (60 s), not a deadline: it stops at the line
		grep -qs 'listening on' "$out" && break
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	SIM_URL=$(sed -n 's/^mech sim: listening on //p' "$out" | head -1)
	[ -n "$SIM_URL" ] || { echo "mech sim $* did not start: $(cat "$out.err")" >&2; exit 1; }
}
sim_config() { # extra mech.yaml lines may follow as arguments
	{
		printf 'argocd: {url: "%s", timeout_ms: 3000}\n' "$SIM_URL"
		printf 'kubernetes: {url: "%s"}\n' "$SIM_URL"
		printf '%s\n' "$@"
	} >"$MECH_HOME/mech.yaml"
}
sim_stop() { # [pid]: the last sim started by default
	kill "${1:-$SIM_PID}" 2>/dev/null
	wait "${1:-$SIM_PID}" 2>/dev/null
}
sim_reapply() { # tenant: what an operator's `kubectl apply -n argocd -f argocd/` does (SIGHUP)
	local line="mech sim: $1: argocd/ applied at" n
	n=$(grep -c "$line" "$SIM_ERR")
	kill -HUP "$SIM_PID"
	for _ in $(seq 1 1200); do # a hang guard (60 s), not a deadline: it stops at the line
		[ "$(grep -c "$line" "$SIM_ERR")" -gt "$n" ] && return 0
		sleep 0.05
	done
	echo "mech sim did not re-apply $1's argocd/ after SIGHUP: $(cat "$SIM_ERR")" >&2
	exit 1
}

# route_file FILE APP TENANT — the HTTPRoute a person writes for APP's main
# instance (backend APP--main, host APP.TENANT.apps.localhost) into FILE.
route_file() {
	mkdir -p "$(dirname -- "$1")"
	cat >"$1" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: $2--main
spec:
  parentRefs:
  - name: mech
    namespace: mech-gateway
  hostnames:
  - $2.$3.apps.localhost
  rules:
  - backendRefs:
    - name: $2--main
      port: 80
YAML
}
