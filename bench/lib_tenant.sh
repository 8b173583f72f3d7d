#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared by the console benchmarks: a MECH_HOME whose tenant "bench" holds
# many apps and commits, imported with git fast-import. Needs MECH, COMMITS,
# and a say() function from the sourcing script.

# make_home DIR APPS EVERY: a MECH_HOME whose tenant "bench" has APPS apps and
# COMMITS commits after them, every EVERY-th changing an app
make_home() {
	local dir=$1 apps=$2 every=$3 repo
	mkdir -p "$dir/home"
	MECH_HOME=$dir/mech HOME=$dir/home "$MECH" admin init >/dev/null
	MECH_HOME=$dir/mech HOME=$dir/home "$MECH" admin tenant add bench >/dev/null 2>&1
	repo=$dir/mech/tenants/bench/gitops.git
	say "importing $apps apps and $COMMITS commits"
	/usr/bin/python3 - "$COMMITS" "$apps" "$every" "$(git --git-dir="$repo" rev-parse main)" <<'PY' |
import sys
commits, apps, every, parent = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
out = sys.stdout.buffer
def blob(data):
    out.write(b"data %d\n" % len(data) + data + b"\n")
t = 1700000000
out.write(b"commit refs/heads/main\ncommitter Hanna <h@example.com> %d +0000\n" % t)
blob(b"add apps")
out.write(b"from %s\n" % parent.encode())
for a in range(apps):
    dep = (b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app%d\nspec:\n"
           b"  template:\n    spec:\n      containers:\n      - name: app%d\n        image: nginx:1.27\n") % (a, a)
    ov = (b"resources:\n- ../../base\nimages:\n- name: nginx\n  newTag: \"1.27\"\n")
    for path, data in ((b"apps/app%d/base/deployment.yaml" % a, dep),
                       (b"apps/app%d/overlays/main/kustomization.yaml" % a, ov)):
        out.write(b"M 100644 inline " + path + b"\n")
        blob(data)
for i in range(commits):
    out.write(b"commit refs/heads/main\ncommitter Hanna <h@example.com> %d +0000\n" % (t + i + 1))
    if i % every == 0:
        blob(b"tune app%d (%d)" % (i % apps, i))
        out.write(b"M 100644 inline apps/app%d/overlays/main/notes.txt\n" % (i % apps))
    else:
        blob(b"note %d" % i)
        out.write(b"M 100644 inline notes/%d/%d.txt\n" % (i % 100, (i // 100) % 100))
    blob(b"%d\n" % i)
PY
		git --git-dir="$repo" fast-import --quiet
	git --git-dir="$repo" gc -q
	# warm mech's caches (last writers, app states) and the page cache for both sides
	MECH_HOME=$dir/mech HOME=$dir/home "$MECH" --tenant bench app list >/dev/null
	git --git-dir="$repo" log --oneline | tail -1 >/dev/null
}

