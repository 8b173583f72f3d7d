# SPDX-License-Identifier: Apache-2.0
# `mech mcp --http` for tests (source after common.sh).
# mcp_http_start ARGS…: `mech mcp --http 127.0.0.1:0 ARGS…` in the
# background (stopped at exit); MCP_URL its endpoint, MCP_HOST and MCP_PORT.
MCP_N=0
mcp_http_start() {
	local out="$T/mcp-http.$MCP_N.out"
	MCP_N=$((MCP_N + 1))
	"$MECH" --tenant "${MCP_TENANT:-alice}" mcp --http 127.0.0.1:0 "$@" >"$out" 2>"$out.err" &
	MCP_PID=$!
	MCP_ERR=$out.err
	cleanup_hooks+=("kill $MCP_PID 2>/dev/null; wait $MCP_PID 2>/dev/null")
	for _ in $(seq 1 1200); do # a hang guard (60 s), not a deadline: it stops at the line
		grep -qs 'listening on' "$out" && break
		kill -0 "$MCP_PID" 2>/dev/null || break
		sleep 0.05
	done
	MCP_URL=$(sed -n 's/^mech mcp: listening on //p' "$out" | head -1)
	[ -n "$MCP_URL" ] || { echo "mech mcp --http $* did not start: $(cat "$out.err")" >&2; exit 1; }
	MCP_HOST=127.0.0.1
	MCP_PORT=${MCP_URL##*:}
	MCP_PORT=${MCP_PORT%/mcp}
}
