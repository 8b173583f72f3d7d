# SPDX-License-Identifier: Apache-2.0
"""Raw HTTP against `mech mcp --http`: requests a client library would not
send (a foreign Origin, no session, a chunked or oversized body, a bad
request line), each on a fresh connection, bytes as written here.

    python3 mcp_http.py HOST PORT < cases     (cases: one JSON object a line)

A case is {"raw": "bytes as text"} (sent as is, latin-1), or {"method":
"POST", "path": "/mcp", "headers": {...}, "body": "..." or an object}.
"$SESSION" in a header value is the Mcp-Session-Id of the last response
that gave one. Prints one JSON array: per case {"status", "headers" (names
lower-cased), "body" (parsed when JSON, else text), "raw_len"}."""
import json
import socket
import sys


def exchange(host, port, data):
    s = socket.create_connection((host, port), timeout=60)
    try:
        s.sendall(data)
        got = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
            head, sep, rest = got.partition(b"\r\n\r\n")
            if sep:
                length = [l.split(b":", 1)[1].strip() for l in head.split(b"\r\n")[1:]
                          if l.lower().startswith(b"content-length:")]
                if length and len(rest) >= int(length[0]):
                    break
        return got
    finally:
        s.close()


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    session = ""
    results = []
    for line in sys.stdin.read().splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        if "raw" in case:
            data = case["raw"].encode("latin-1")
        else:
            body = case.get("body", "")
            if not isinstance(body, str):
                body = json.dumps(body)
            body = body.encode("utf-8")
            headers = {"Host": "%s:%d" % (host, port), "Content-Type": "application/json",
                       "Accept": "application/json, text/event-stream"}
            headers.update(case.get("headers", {}))
            lines = ["%s %s HTTP/1.1" % (case.get("method", "POST"), case.get("path", "/mcp"))]
            for k, v in headers.items():
                if v is None:
                    continue
                lines.append("%s: %s" % (k, v.replace("$SESSION", session)))
            if case.get("method", "POST") == "POST" or body:
                lines.append("Content-Length: %d" % len(body))
            lines.append("Connection: close")
            data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        got = exchange(host, port, data)
        head, _, rest = got.partition(b"\r\n\r\n")
        hl = head.decode("latin-1").split("\r\n")
        status = int(hl[0].split()[1]) if hl and len(hl[0].split()) > 1 else 0
        hdrs = {}
        for l in hl[1:]:
            k, _, v = l.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if "mcp-session-id" in hdrs:
            session = hdrs["mcp-session-id"]
        text = rest.decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        results.append({"status": status, "headers": hdrs, "body": parsed, "raw_len": len(got)})
    print(json.dumps(results))


main()
