#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A TCP proxy on 127.0.0.1 in front of a Git HTTP server that fails on cue.

    fault_proxy.py UPSTREAM_PORT PORTFILE MODEFILE EVENTS

Listens on a port the kernel picks (written to PORTFILE once it listens)
and serves each HTTP request of a client on a fresh connection to
127.0.0.1:UPSTREAM_PORT, one request per client connection (the answer
says "Connection: close"). What it does is the first word of MODEFILE,
read at every new connection, so a test switches modes without a restart
(any change of the file's text, say a counter as its second word, starts
the mode afresh):

  pass            forward the request and the answer
  hang            read what the client sends first and never answer (the
                  connection stays open until the proxy is killed); any
                  protocol: an ssh client waits for the server's banner
  hang-push       as hang for a receive-pack POST (never forwarded: the ref
                  stays); other requests pass
  cut-after-push  forward a receive-pack POST to the server, read the
                  server's whole answer (the ref has moved) and close the
                  client's connection without a byte of it; other requests
                  pass
  cut-then-down   as cut-after-push, and once a push was cut every later
                  connection is closed at once (the server seems down)

Each event is one line appended to EVENTS ("request GET /...", "hang",
"cut", "down"), flushed at once, so a test waits for a state instead of
sleeping. Runs until killed.
"""
import os
import socket
import socketserver
import sys
import threading

UPSTREAM = ("127.0.0.1", int(sys.argv[1]))
PORTFILE, MODEFILE, EVENTS = sys.argv[2], sys.argv[3], sys.argv[4]
lock = threading.Lock()
state = {"text": None, "cut": False}


def event(line):
    with lock, open(EVENTS, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def mode():
    try:
        with open(MODEFILE, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        text = ""
    with lock:
        if text != state["text"]:
            state["text"], state["cut"] = text, False
    return (text.split() or ["pass"])[0]


def read_line(rfile):
    line = rfile.readline(65537)
    if not line:
        raise EOFError
    return line


def read_request(rfile):
    """One HTTP request as bytes with "Connection: close", and its request line."""
    start = read_line(rfile)
    headers, length, chunked = [], 0, False
    while True:
        line = read_line(rfile)
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        key = name.strip().lower()
        if key == "connection":
            continue
        if key == "content-length":
            length = int(value.strip())
        if key == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        headers.append(line)
    body = b""
    if chunked:
        parts = []
        while True:
            size_line = read_line(rfile)
            parts.append(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:
                    trailer = read_line(rfile)
                    parts.append(trailer)
                    if trailer in (b"\r\n", b"\n"):
                        break
                break
            parts.append(rfile.read(size + 2))
        body = b"".join(parts)
    elif length:
        body = rfile.read(length)
    head = start + b"".join(headers) + b"Connection: close\r\n\r\n"
    return head + body, start.decode("latin-1").strip()


def upstream(request):
    """The server's whole answer to one request (it closes after it)."""
    with socket.create_connection(UPSTREAM) as s:
        s.sendall(request)
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        m = mode()
        if m == "cut-then-down" and state["cut"]:
            event("down")
            return
        if m == "hang":
            self.request.recv(65536)
            event("hang")
            threading.Event().wait()  # never answer; the daemon thread dies with us
        try:
            request, line = read_request(self.rfile)
        except (EOFError, ValueError, OSError):
            return
        event("request " + line)
        push = line.startswith("POST ") and "git-receive-pack" in line
        if m == "hang-push" and push:
            event("hang")
            threading.Event().wait()  # never answer; the daemon thread dies with us
        answer = upstream(request)
        if m in ("cut-after-push", "cut-then-down") and push:
            state["cut"] = True
            event("cut")
            return
        self.wfile.write(answer)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = PORTFILE + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()
