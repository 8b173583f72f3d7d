#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A fast-import stream that grows a mech tenant repo to APPS apps and then
# COMMITS commits, every app's four files copied from a real `mech app create
# web` (the app "web" in the repo at PARENT).
#
#   tenant_import.py GITDIR PARENT APPS COMMITS [EVERY] | git --git-dir=GITDIR fast-import
#
# Apps are added 1,000 to a commit (app.create-like receipts). Every EVERY-th
# later commit (default: each one) moves one app's overlay image tag, as `mech
# app set-image` does, with mech's machine identity and receipt trailers; the
# others are a person's "note N" commits outside apps/ (notes/X/Y.txt), the
# history a console or `git log -- PATH` has to walk past.
import subprocess
import sys

gitdir, parent, apps, commits = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
every = int(sys.argv[5]) if len(sys.argv) > 5 else 1
files = ("base/deployment.yaml", "base/service.yaml", "base/kustomization.yaml",
         "overlays/main/kustomization.yaml")
tmpl = {f: subprocess.run(["git", "--git-dir=" + gitdir, "show", "%s:apps/web/%s" % (parent, f)],
                          check=True, capture_output=True).stdout for f in files}
out = sys.stdout.buffer
t = 1750000000
n = 0


def data(b):
    out.write(b"data %d\n" % len(b) + b + b"\n")


def commit(msg, who=b"Mechanics <mechanics@localhost>"):
    global t, n
    t += 7
    out.write(b"commit refs/heads/main\n")
    out.write(b"author bench <bench@localhost> %d +0000\n" % t)
    out.write(b"committer %s %d +0000\n" % (who, t))
    data(msg)
    if n == 0:
        out.write(b"from %s\n" % parent.encode())
    n += 1


def receipt(verb, target, subject, paths):
    return (b"mechanics(%s): %s\n\nfiles: %s\n\nMechanics-Verb: %s\nMechanics-Tenant: bench\n"
            b"Mechanics-Target: %s\nMechanics-Request: 00000000-0000-4000-8000-%012d\n" %
            (verb, subject, b", ".join(paths), verb, target, n))


def overlay(tag):
    return tmpl["overlays/main/kustomization.yaml"].replace(b'newTag: "1.27"', b'newTag: "%s"' % tag)


for start in range(1, apps, 1000):
    names = [b"app%d" % i for i in range(start, min(start + 1000, apps))]
    commit(receipt(b"app.create", b"app/" + names[0], b"add apps %s.." % names[0],
                   [b"apps/%s/" % a for a in names[:3]]))
    for a in names:
        for f in files:
            out.write(b"M 100644 inline apps/%s/%s\n" % (a, f.encode()))
            data(tmpl[f].replace(b"web", a))
for i in range(commits):
    if i % every:
        commit(b"note %d\n" % i, b"Hanna <h@example.com>")
        out.write(b"M 100644 inline notes/%d/%d.txt\n" % (i % 100, (i // 100) % 100))
        data(b"%d\n" % i)
        continue
    k = i // every
    a = b"app%d" % (1 + k % max(apps - 1, 1)) if apps > 1 else b"web"
    path = b"apps/%s/overlays/main/kustomization.yaml" % a
    commit(receipt(b"app.set-image", b"app/" + a, b"set %s image nginx:1.%d" % (a, i), [path]))
    out.write(b"M 100644 inline " + path + b"\n")
    data(overlay(b"1.%d" % i))
