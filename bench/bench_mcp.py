# SPDX-License-Identifier: Apache-2.0
"""One round of bench/bench_mcp.sh: N writes and N reads as fresh `mech`
processes and as tools/call on one `mech mcp` session, alternating in
blocks of ten. Prints one JSON line of milliseconds per call.

    python3 bench_mcp.py MECH TENANT N PREFIX"""
import json
import subprocess
import sys
import time

mech, tenant, n, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
session = subprocess.Popen([mech, "--tenant", tenant, "mcp"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE)
next_id = 0


def call(method, params):
    global next_id
    next_id += 1
    session.stdin.write((json.dumps({"jsonrpc": "2.0", "id": next_id, "method": method,
                                     "params": params}) + "\n").encode())
    session.stdin.flush()
    answer = json.loads(session.stdout.readline())
    if "error" in answer or answer["result"].get("isError"):
        sys.exit("bench_mcp: %s failed: %s" % (method, json.dumps(answer)[:300]))
    return answer


call("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "1"}})
session.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')


def fresh(args):
    t = time.perf_counter()
    p = subprocess.run([mech, "--tenant", tenant, "--json"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    if p.returncode:
        sys.exit("bench_mcp: mech %s: exit %d" % (" ".join(args), p.returncode))
    return time.perf_counter() - t


def warm(name, arguments):
    t = time.perf_counter()
    call("tools/call", {"name": name, "arguments": arguments})
    return time.perf_counter() - t


total = {"fresh_write": 0.0, "mcp_write": 0.0, "fresh_read": 0.0, "mcp_read": 0.0}
for block in range(0, n, 10):
    for i in range(block, min(block + 10, n)):
        total["fresh_write"] += fresh(["app", "create", "%sf%d" % (prefix, i), "--image",
                                       "nginx:1.27"])
        total["fresh_read"] += fresh(["log", "-n", "20"])
    for i in range(block, min(block + 10, n)):
        total["mcp_write"] += warm("app_create", {"name": "%sm%d" % (prefix, i),
                                                  "image": "nginx:1.27"})
        total["mcp_read"] += warm("log", {"max-count": 20})
session.stdin.close()
session.wait()
print(json.dumps({k: 1000.0 * v / n for k, v in total.items()}))
