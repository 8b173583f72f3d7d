#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# docs/formats.md stays true. A scenario against mech sim runs every
# command family with --json; each ```json block the document marks with
# <!-- shape: NAME --> must have the same key structure (keys and value
# types, recursively; lists by their first element) as the real output of
# every command the scenario files under NAME (`<!-- shape: NAME; nullable:
# PATH... -->` lets those fields be null too), and every NAME the scenario
# produces must be documented. Blocks marked <!-- file: PATH --> must be the
# bytes mech wrote (the home shown as /var/lib/mech), <!-- receipt: VERB -->
# the commit message (request ids and commit ids aside). Every
# Mechanics-* trailer the document names must occur in real receipts, and
# the other way round. The sim's database password appears nowhere.
# FORMATS_DUMP=DIR keeps the real outputs there, to refresh the examples.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/render.sh"
. "$(dirname "$0")/../lib/sim.sh"
DOC=$SRC/docs/formats.md
[ -f "$DOC" ] || { fail "missing $DOC"; finish; }
G="git --git-dir=$MECH_HOME/tenants/acme/gitops.git"
mkdir -p "$T/shapes" "$T/files" "$T/receipts"

# shape NAME EXIT ARGS...: run `mech --json ARGS`, expect EXIT, keep stdout under NAME
shape() {
	local name=$1 want=$2 n=0
	shift 2
	run "$MECH" --json "$@"
	expect_rc "$want" "mech $*"
	while [ -e "$T/shapes/$name.$n.json" ]; do n=$((n + 1)); done
	printf '%s\n' "$out" >"$T/shapes/$name.$n.json"
	printf '%s\n' "$*" >"$T/shapes/$name.$n.cmd"
	all_out+="$out $err "
}
# snapshot [SUFFIX]: keep every file of the branch head (home path → /var/lib/mech)
snapshot() {
	local p
	for p in $($G ls-tree -r --name-only main); do
		mkdir -p "$(dirname "$T/files/$p")"
		$G show "main:$p" | sed "s#$MECH_HOME#/var/lib/mech#g" >"$T/files/$p${1:+ ($1)}"
	done
}
receipt() { $G log -1 --format=%B main >"$T/receipts/$1"; }
all_out=

# ---- operator, identity -----------------------------------------------------
shape admin.init 0 admin init
shape tenant.add 0 admin tenant add acme
shape tenant.list 0 admin tenant list
shape admin.allowed-signers 0 admin allowed-signers
ssh-keygen -q -t ed25519 -N '' -C ci@example.com -f "$T/ci" </dev/null
shape tenant.key-add 0 admin tenant key add acme "$T/ci.pub"
shape tenant.key-list 0 admin tenant key list acme
shape tenant.key-remove 0 admin tenant key remove acme "$T/ci.pub"
"$MECH" admin tenant add old >/dev/null 2>&1
shape tenant.remove 0 admin tenant remove old --force
sim_start --sync-delay 100ms --health-delay 100ms --degrade-tag broken
sim_config
shape whoami 0 whoami

# ---- writes: the files of each noun ------------------------------------------
shape write 0 app create web --image nginx:1.27 --port 8080 --replicas 2 --env LOG_LEVEL=debug
receipt app.create
shape write 0 app -a web instance add staging
shape write 0 route -a web -i main create
shape write 0 addon create db --type postgres
snapshot
shape write.unchanged 0 app -a web -i main deploy --tag 1.27

# ---- after create: one small file per concern ------------------------------------
shape write 0 app -a web -i staging scale --replicas 3
shape write 0 app -a web -i staging env set LOG_LEVEL=info
shape write 0 addon -n db link -a web -i staging
receipt addon.link
shape write.unchanged 0 addon -n db link -a web -i staging
shape app.env-list 0 app -a web -i staging env list
snapshot config

# ---- live reads ----------------------------------------------------------------
shape app.wait 0 app -a web -i main wait --timeout 20s
shape route.wait 0 route -a web -i main wait --timeout 20s
shape addon.wait 0 addon -n db wait --timeout 30s
shape app.list 0 app list
shape app.info 0 app -a web info
shape app.sync 0 app -a web -i main sync
shape app.diff 0 app -a web -i main diff
shape route.list 0 route list
shape route.info 0 route -a web -i main info
shape addon.type-list 0 addon type list
shape addon.type-info 0 addon type info postgres
shape addon.list 0 addon list
shape addon.info 0 addon -n db info
shape app.logs 0 app -a web -i main logs --tail 2
shape app.events 0 app -a web -i main events
secret_value="formats-secret-$RANDOM$RANDOM$RANDOM"
printf '%s\n' "$secret_value" >"$T/secret-value"
shape secret.set 0 secret set db-pass password <"$T/secret-value"
shape secret.list 0 secret list
shape secret.info 0 secret -n db-pass info

# ---- updates, a human edit, protection -----------------------------------------
shape write 0 app -a web -i main set-image ghcr.io/acme/web:2.0
snapshot set-image
shape write 0 app -a web -i main deploy --tag 2.0.1
shape app.wait.gone 2 app -a web -i main wait --gone --timeout 1ms # the app stays in Git: pending, whatever the speed
human_clone acme "$T/human"
printf 'replicas:\n- name: web\n  count: 3\n' >>"$T/human/apps/web/overlays/main/kustomization.yaml"
git -C "$T/human" commit -qam "scale web-main to 3 for the launch"
git -C "$T/human" push -q origin main
shape error.conflicts 3 app -a web -i main deploy --tag 2.1
shape plan 0 app -a web -i main deploy --tag 2.1 --dry-run
shape write.forced 0 app -a web -i main deploy --tag 2.1 --force
receipt app.deploy.forced
snapshot forced
render_overlays acme # with the human's replicas
shape show 0 show HEAD
shape log 0 log -n 3
shape app.history 0 app -a web -i main history
shape write 0 app -a web -i main rollback
shape write 0 revert HEAD
shape log 0 log --class human

# ---- errors ---------------------------------------------------------------------
shape write 0 app -a web -i main deploy --tag broken
render_overlays acme
shape app.wait.failed 1 app -a web -i main wait --timeout 20s
shape error 4 app -a nope info
shape error 64 app frob
shape error 65 app create Web --image nginx:1.27
shape error 3 addon -n db delete

# ---- --wait on create -----------------------------------------------------------
shape app.create.wait 0 app create api --image nginx:1.27 --wait --timeout 20s
shape route.create.wait 0 route -a api create --wait --timeout 20s
shape addon.create.wait 0 addon create cache --type postgres --wait --timeout 30s

# ---- removals -------------------------------------------------------------------
shape plan 0 app -a web delete --dry-run
shape plan 0 app create web2 --image nginx:1.27 --dry-run
shape write 0 addon -n cache set --memory 1Gi
shape write 0 route -a web -i main delete --force
shape write 0 app -a web instance remove staging --force
shape write 0 addon -n db delete --force
shape secret.delete 0 secret -n db-pass delete --force
shape write 0 app -a web delete --force

# ---- warnings: a human removed argocd/, the write lands and says so ---------------
human_clone acme "$T/human2"
git -C "$T/human2" rm -rq argocd
git -C "$T/human2" commit -qm "drop argocd/"
git -C "$T/human2" push -q origin main
shape write.warned 0 app create late --image nginx:1.27

# ---- no secret in any output ----------------------------------------------------
run "$MECH" addon -n cache info
all_out+="$out $err "
pw=$(/usr/bin/python3 -c 'import base64,json,sys,urllib.request
print(base64.b64decode(json.load(urllib.request.urlopen(sys.argv[1]))["data"]["password"]).decode())' \
	"$SIM_URL/api/v1/namespaces/x-acme/secrets/cache-app")
[ ${#pw} -ge 16 ] && ok || fail "the sim generated no password for cache-app"
expect_not_in "$all_out" "$pw" "the database password appears in no output"
expect_not_in "$all_out" "$(printf %s "$pw" | base64 -w0)" "nor base64-encoded"
expect_not_in "$all_out" "$secret_value" "a secret's value appears in no output"
expect_not_in "$all_out" "$(printf %s "$secret_value" | base64 -w0)" "nor base64-encoded"

# ---- receipts: signed, trailers named in the document ------------------------------
$G cat-file -p main | grep -q '^gpgsig -----BEGIN SSH SIGNATURE-----$' && ok || fail "receipts carry an SSH signature header"
"$MECH" admin allowed-signers >"$T/allowed"
$G -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/allowed" verify-commit main 2>/dev/null && ok ||
	fail "git verify-commit accepts a receipt"
real=$($G log --format='%(trailers:only,unfold)' main | sed -n 's/^\(Mechanics-[A-Za-z-]*\):.*/\1/p' | sort -u)
doc=$(grep -o 'Mechanics-[A-Z][A-Za-z-]*[A-Za-z]' "$DOC" | sort -u)
[ -n "$real" ] && [ -n "$doc" ] && ok || fail "no Mechanics-* trailers found (receipts: $real; formats.md: $doc)"
for t in $doc; do grep -qxF "$t" <<<"$real" && ok || fail "formats.md names $t, which no real receipt has ($real)"; done
for t in $real; do grep -qxF "$t" <<<"$doc" && ok || fail "real receipts have $t, which formats.md does not name"; done

[ -n "${FORMATS_DUMP:-}" ] && mkdir -p "$FORMATS_DUMP" && cp -r "$T/shapes" "$T/files" "$T/receipts" "$FORMATS_DUMP"/

# ---- the document against the real outputs -----------------------------------------
/usr/bin/python3 - "$DOC" "$T" >"$T/cmp" 2>&1 <<'EOF'
import glob, json, os, re, sys

doc_path, tmp = sys.argv[1], sys.argv[2]
lines = open(doc_path, encoding="utf-8").read().split("\n")
bad = []

# <!-- KIND: ARG --> followed by the next fenced block
blocks = {"shape": {}, "file": {}, "receipt": {}}
nullable = {}  # shape -> paths where null may stand for the documented type
i = 0
while i < len(lines):
    m = re.match(r"<!-- (shape|file|receipt): (.+?) -->$", lines[i].strip())
    i += 1
    if not m:
        continue
    kind, arg = m.group(1), m.group(2)
    while i < len(lines) and not lines[i].startswith("```"):
        i += 1
    if i == len(lines):
        bad.append("%s %s: no fenced block after the marker" % (kind, arg))
        break
    lang, i = lines[i][3:].strip(), i + 1
    start = i
    while i < len(lines) and lines[i] != "```":
        i += 1
    text = "\n".join(lines[start:i]) + "\n"
    i += 1
    if kind == "shape" and ";" in arg:
        arg, extra = [x.strip() for x in arg.split(";", 1)]
        if not extra.startswith("nullable:"):
            bad.append("shape %s: unknown marker option %r" % (arg, extra))
        nullable[arg] = set(extra[len("nullable:"):].split())
    if arg in blocks[kind]:
        bad.append("%s %s is documented twice" % (kind, arg))
    if kind == "shape" and lang != "json":
        bad.append("shape %s: the block is ```%s, not ```json" % (arg, lang))
    blocks[kind][arg] = text

def kind_of(v):
    if v is None: return "null"
    if isinstance(v, bool): return "boolean"
    if isinstance(v, (int, float)): return "number"
    if isinstance(v, str): return "string"
    if isinstance(v, list): return "array"
    return "object"

def compare(doc, real, path, errs, unchecked, nulls):
    kd, kr = kind_of(doc), kind_of(real)
    if kr == "null" and path in nulls:
        return
    if kd != kr:
        errs.append("%s: documented as %s, mech gives %s" % (path, kd, kr))
    elif kd == "object":
        for k in sorted(doc.keys() - real.keys()):
            errs.append("%s.%s: documented, but mech does not produce it" % (path, k))
        for k in sorted(real.keys() - doc.keys()):
            errs.append("%s.%s: mech produces it, but it is not documented" % (path, k))
        for k in sorted(doc.keys() & real.keys()):
            compare(doc[k], real[k], path + "." + k, errs, unchecked, nulls)
    elif kd == "array":
        if doc and real:
            compare(doc[0], real[0], path + "[0]", errs, unchecked, nulls)
        elif real:
            errs.append("%s: documented as [], mech lists elements: document one" % path)
        elif doc:
            unchecked.add(path)

real_names = set()
for f in sorted(glob.glob(os.path.join(tmp, "shapes", "*.json"))):
    real_names.add(os.path.basename(f).rsplit(".", 2)[0])

for name in sorted(real_names - blocks["shape"].keys()):
    bad.append("shape %s: mech produces it (e.g. `mech --json %s`), formats.md has no <!-- shape: %s --> block"
               % (name, open(os.path.join(tmp, "shapes", name + ".0.cmd")).read().strip(), name))
for name in sorted(blocks["shape"].keys() - real_names):
    bad.append("shape %s: documented, but the test runs no command for it" % name)
for name in sorted(blocks["shape"].keys() & real_names):
    try:
        doc = json.loads(blocks["shape"][name])
    except ValueError as e:
        bad.append("shape %s: the example is not JSON: %s" % (name, e))
        continue
    def paths(v, p=""):
        yield p
        if isinstance(v, dict):
            for k, x in v.items():
                yield from paths(x, p + "." + k)
        elif isinstance(v, list) and v:
            yield from paths(v[0], p + "[0]")
    for p in sorted(nullable.get(name, set()) - set(paths(doc))):
        bad.append("shape %s: nullable path %s is not in the example" % (name, p))
    runs = [f for f in sorted(glob.glob(os.path.join(tmp, "shapes", "*.json")))
            if re.fullmatch(re.escape(name) + r"\.\d+\.json", os.path.basename(f))]
    unchecked_all = None
    for f in runs:
        cmd = open(f[:-5] + ".cmd").read().strip()
        errs, unchecked = [], set()
        try:
            real = json.loads(open(f).read())
        except ValueError:
            bad.append("shape %s (mech --json %s): stdout is not one JSON object" % (name, cmd))
            continue
        compare(doc, real, "", errs, unchecked, nullable.get(name, set()))
        bad.extend("shape %s (mech --json %s): %s" % (name, cmd, e) for e in errs)
        unchecked_all = unchecked if unchecked_all is None else unchecked_all & unchecked
    for p in sorted(unchecked_all or ()):
        bad.append("shape %s: %s lists elements, but every real output had []" % (name, p))

for label, text in blocks["file"].items():
    m = re.match(r"(\S+)( \(after [a-z-]+\))?$", label)
    if not m:
        bad.append("file %s: write <!-- file: PATH --> or <!-- file: PATH (after STEP) -->" % label)
        continue
    path = os.path.join(tmp, "files", m.group(1) + (" (%s)" % m.group(2)[8:-1] if m.group(2) else ""))
    if not os.path.exists(path):
        bad.append("file %s: mech wrote no such file in the scenario" % label)
    elif open(path, encoding="utf-8").read() != text:
        bad.append("file %s: differs from what mech writes:\n%s" % (label, open(path, encoding="utf-8").read()))

def norm(s):
    s = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<request>", s)
    return re.sub(r"\b[0-9a-f]{40}\b", "<commit>", s).rstrip("\n")

for name, text in blocks["receipt"].items():
    path = os.path.join(tmp, "receipts", name)
    if not os.path.exists(path):
        bad.append("receipt %s: the scenario keeps no such receipt" % name)
    elif norm(open(path).read()) != norm(text):
        bad.append("receipt %s: differs from the real message:\n%s" % (name, open(path).read()))

if not blocks["file"] or not blocks["receipt"]:
    bad.append("no <!-- file: --> or <!-- receipt: --> blocks found")
for b in bad:
    print(b)
print("checked %d shapes, %d files, %d receipts" % (len(blocks["shape"]), len(blocks["file"]), len(blocks["receipt"])))
sys.exit(1 if bad else 0)
EOF
cmp_rc=$?
if [ "$cmp_rc" -eq 0 ]; then ok; else fail "docs/formats.md does not match mech's output:"; fi
[ "$cmp_rc" -eq 0 ] || cat "$T/cmp" >&2
finish
