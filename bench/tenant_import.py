#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A fast-import stream that grows a mech tenant repo to APPS apps and then
# COMMITS mech-like set-image commits, every app's four files copied from a
# real `mech app create web` (the app named TEMPLATE in the repo at PARENT).
#
#   tenant_import.py GITDIR PARENT APPS COMMITS | git --git-dir=GITDIR fast-import
#
# Apps are added 1,000 to a commit (app.create-like receipts); each later
# commit moves one app's overlay image tag, as `mech app set-image` does,
# with mech's machine identity and receipt trailers.
import subprocess
import sys

gitdir, parent, apps, commits = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
files = ("base/deployment.yaml", "base/service.yaml", "base/kustomization.yaml",
         "overlays/main/kustomization.yaml")
tmpl = {f: subprocess.run(["git", "--git-dir=" + gitdir, "show", "%s:apps/web/%s" % (parent, f)],
                          check=True, capture_output=True).stdout for f in files}
out = sys.stdout.buffer
t = 1750000000
n = 0


def data(b):
    out.write(b"data %d\n" % len(b) + b + b"\n")


def commit(msg):
    global t, n
    t += 7
    out.write(b"commit refs/heads/main\n")
    out.write(b"author bench <bench@localhost> %d +0000\n" % t)
    out.write(b"committer Mechanics <mechanics@localhost> %d +0000\n" % t)
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
    a = b"app%d" % (1 + i % max(apps - 1, 1)) if apps > 1 else b"web"
    path = b"apps/%s/overlays/main/kustomization.yaml" % a
    commit(receipt(b"app.set-image", b"app/" + a, b"set %s image nginx:1.%d" % (a, i), [path]))
    out.write(b"M 100644 inline " + path + b"\n")
    data(overlay(b"1.%d" % i) if apps > 1 else overlay(b"1.%d" % i))
