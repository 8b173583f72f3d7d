# SPDX-License-Identifier: Apache-2.0
"""A long call over `mech mcp`, then cancelled: tests/cli/mcp.sh.

    python3 mcp_cancel.py MECH [ARGS…]

Calls app_wait --gone (app slow, which stays in Git) with a progressToken, waits for the first
notifications/progress, sends notifications/cancelled for the call, then a
ping. Prints one JSON object: the progress notifications seen, whether the
cancelled call was answered, whether the ping was, and the exit code.
A 120 s alarm guards against a hang (a safety limit, not a measurement)."""
import json
import signal
import subprocess
import sys

signal.alarm(120)
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def send(o):
    p.stdin.write((json.dumps(o) + "\n").encode())
    p.stdin.flush()


def read():
    line = p.stdout.readline()
    return json.loads(line) if line else None


send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
      "params": {"protocolVersion": "2025-11-25", "capabilities": {}}})
read()
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
send({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
      "params": {"name": "app_wait", "arguments": {"app": "slow", "gone": True, "timeout": "10m"},
                 "_meta": {"progressToken": "w1"}}})
seen = []
while True:
    m = read()
    if m is None or m.get("method") == "notifications/progress":
        seen.append(m)
        break
    seen.append(m)
send({"jsonrpc": "2.0", "method": "notifications/cancelled",
      "params": {"requestId": 1, "reason": "the user changed their mind"}})
send({"jsonrpc": "2.0", "id": 2, "method": "ping"})
after = []
while True:
    m = read()
    if m is None:
        break
    after.append(m)
    if m.get("id") == 2:
        break
p.stdin.close()
rc = p.wait()
print(json.dumps({"before": seen, "after": after, "exit": rc}))
