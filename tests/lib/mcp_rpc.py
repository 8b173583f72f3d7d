# SPDX-License-Identifier: Apache-2.0
"""Raw JSON-RPC against `mech mcp`: write messages (bytes, one per line),
read every answer line, print them as one JSON array (each answer parsed;
a line that is not JSON is kept as {"unparsed": text}).

    python3 mcp_rpc.py MECH [ARGS…] < messages      (messages: one per line)

Used by tests/cli/mcp.sh for framing, errors and bounds, where a client
library would refuse to send what is being tested."""
import json
import subprocess
import sys


def main():
    data = sys.stdin.buffer.read()
    p = subprocess.run(sys.argv[1:], input=data, capture_output=True, timeout=120)
    answers = []
    for line in p.stdout.split(b"\n"):
        if not line:
            continue
        try:
            answers.append(json.loads(line.decode("utf-8")))
        except (UnicodeDecodeError, ValueError):
            answers.append({"unparsed": line.decode("utf-8", "replace")[:200]})
    print(json.dumps({"exit": p.returncode, "answers": answers,
                      "stderr": p.stderr.decode("utf-8", "replace")[-2000:]}))


main()
