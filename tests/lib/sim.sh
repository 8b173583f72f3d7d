# Start `mech sim` on a free loopback port for the test's home and point
# mech.yaml at it. Usage: sim_start [sim flags...]; sets SIM_URL, SIM_PID.
sim_start() {
	"$MECH" sim --listen 127.0.0.1:0 "$@" >"$T/sim.out" 2>"$T/sim.err" &
	SIM_PID=$!
	cleanup_hooks+=("kill $SIM_PID 2>/dev/null; wait $SIM_PID 2>/dev/null")
	local i
	for i in $(seq 1 1200); do # a hang guard (60 s), not a deadline: it stops at the line
		grep -qs 'listening on' "$T/sim.out" && break
		sleep 0.05
	done
	SIM_URL=$(sed -n 's/^mech sim: listening on //p' "$T/sim.out" | head -1)
	[ -n "$SIM_URL" ] || { echo "mech sim did not start: $(cat "$T/sim.err")" >&2; exit 1; }
}
sim_config() { # extra mech.yaml lines may follow as arguments
	{
		printf 'argocd: {url: "%s", timeout_ms: 3000}\n' "$SIM_URL"
		printf 'kubernetes: {url: "%s"}\n' "$SIM_URL"
		printf '%s\n' "$@"
	} >"$MECH_HOME/mech.yaml"
}
sim_stop() {
	kill "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
}
