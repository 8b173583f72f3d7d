#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A Git smart-HTTP server on 127.0.0.1 for end-to-end tests.

    git_https.py ROOT CERT KEY PORTFILE [REDIRECT_PORTFILE]

Serves the bare repositories under ROOT over https with CERT and KEY,
running `git http-backend` for each request (push included: the backend is
told a user is logged in). With REDIRECT_PORTFILE it also listens for plain
http and answers every request with a redirect to the same path on the
https port, as a server that moved to https does. Each port, chosen by the
kernel, is written to its file once the server listens. Runs until killed.
"""
import http.server
import os
import ssl
import subprocess
import sys
import threading


def read_body(handler):
    """The request body: Content-Length or chunked (libgit2 chunks large pushes)."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(handler.rfile.read(size))
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length", 0)))


class Backend(http.server.BaseHTTPRequestHandler):
    root = ""

    def serve(self):
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": self.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": "test",
            "REMOTE_ADDR": self.client_address[0],
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": self.root,
        }
        for name in ("Content-Encoding", "Git-Protocol"):
            if name in self.headers:
                env["HTTP_" + name.upper().replace("-", "_")] = self.headers[name]
        body = read_body(self) if self.command == "POST" else b""
        env["CONTENT_LENGTH"] = str(len(body))
        cgi = subprocess.run(["git", "http-backend"], input=body, env=env,
                             stdout=subprocess.PIPE, check=False)
        head, _, payload = cgi.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = cgi.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = serve
    do_POST = serve

    def log_message(self, fmt, *args):
        sys.stderr.write("git_https: " + fmt % args + "\n")


class Redirect(http.server.BaseHTTPRequestHandler):
    target = ""

    def serve(self):
        self.send_response(301)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    do_GET = serve
    do_POST = serve

    def log_message(self, fmt, *args):
        sys.stderr.write("git_https redirect: " + fmt % args + "\n")


def listen(handler, portfile, context=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, portfile)
    return server


def main():
    root, cert, key, portfile = sys.argv[1:5]
    Backend.root = os.path.abspath(root)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    https = listen(Backend, portfile, context)
    if len(sys.argv) > 5:
        Redirect.target = "https://127.0.0.1:%d" % https.server_address[1]
        plain = listen(Redirect, sys.argv[5])
        threading.Thread(target=plain.serve_forever, daemon=True).start()
    https.serve_forever()


if __name__ == "__main__":
    main()
