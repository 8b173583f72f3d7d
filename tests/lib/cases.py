#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Run command cases stated as data (tests/data/*.json; the format is in
tests/data/README.md), as curl's tests/data/ are.

usage: cases.py --list-setups CASE...
       cases.py --mech MECH --home HOME --templates DIR CASE...

--list-setups prints the setup names the cases use, one a line, so the
caller (tests/cli/cases.sh) can build each once as DIR/<name>. Then every
case runs against a fresh copy of its setup's home at HOME: the command
with its environment, files and stdin; then its exit code, output and the
change to the tenant repos (read with the git CLI) are checked. One line per
case, "ok NAME" or "FAIL NAME (about): what differs", and exit 1 if any
case failed or is malformed.
"""

import fcntl
import glob
import json
import os
import shutil
import subprocess
import sys

KEYS = {
	"about": str, "setup": str, "env": dict, "files": dict, "args": list, "stdin": str,
	"exit": int, "stdout": str, "stdout_has": list, "stdout_lacks": list,
	"stderr_has": list, "stderr_lacks": list, "json": dict, "repo": (str, dict),
}
REQUIRED = ("about", "args", "exit", "repo")
TIMEOUT = 300  # seconds: a hang guard, not a deadline


def load(path):
	"""The case, or a list of reasons it is malformed."""
	try:
		with open(path, encoding="utf-8") as f:
			case = json.load(f)
	except (OSError, ValueError) as e:
		return None, ["not a JSON case file: %s" % e]
	if not isinstance(case, dict):
		return None, ["not a JSON object"]
	bad = ["unknown key %r (a typo would silently check nothing)" % k
	       for k in case if k not in KEYS]
	bad += ["missing key %r" % k for k in REQUIRED if k not in case]
	bad += ["%r must be %s" % (k, KEYS[k]) for k in case
		if k in KEYS and (not isinstance(case[k], KEYS[k]) or isinstance(case[k], bool))]
	if bad:
		return None, bad
	for k in ("args", "stdout_has", "stdout_lacks", "stderr_has", "stderr_lacks"):
		if not all(isinstance(x, str) for x in case.get(k, [])):
			bad.append("%r must be a list of strings" % k)
	for k, v in case.get("env", {}).items():
		if v is not None and not isinstance(v, str):
			bad.append("env %s must be a string or null (unset)" % k)
	for k, v in case.get("files", {}).items():
		if not isinstance(v, str) or k.startswith("/") or ".." in k.split("/"):
			bad.append("files %s: a relative path under MECH_HOME with text" % k)
	repo = case.get("repo")
	if isinstance(repo, str) and repo != "unchanged":
		bad.append('repo must be "unchanged" or {"tenant", "commits", "subject"}')
	if isinstance(repo, dict) and (set(repo) - {"tenant", "commits", "subject"} or
				       not isinstance(repo.get("tenant"), str) or
				       not isinstance(repo.get("commits"), int)):
		bad.append('repo: {"tenant": NAME, "commits": N, "subject": optional}')
	return case, bad


def git(repo, *args):
	return subprocess.run(["git", "--git-dir=" + repo] + list(args), check=True,
			      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout


def merges_wait(home):
	"""Wait for the pack merges mech leaves running after a write (core/git/gitops.c)."""
	for lock in glob.glob(os.path.join(home, "tenants", "*", "*.git", "compact.lock")):
		with open(lock) as f:
			fcntl.flock(f, fcntl.LOCK_EX)


def snapshot(home):
	"""Per tenant: its refs and the set of its objects; plus the tenant list."""
	snap = {}
	for t in sorted(glob.glob(os.path.join(home, "tenants", "*"))):
		repo = os.path.join(t, "gitops.git")
		name = os.path.basename(t)
		if not os.path.isdir(repo):
			snap[name] = None
			continue
		refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
		objs = git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
		snap[name] = (refs, frozenset(objs.split()))
	return snap


def main_head(snap, tenant):
	if not snap.get(tenant):
		return None
	for line in snap[tenant][0].splitlines():
		ref, oid = line.split()
		if ref == "refs/heads/main":
			return oid
	return None


def path_get(doc, path):
	"""d["error"]["code"] for "error.code"; a number indexes a list."""
	for part in path.split("."):
		if isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
			doc = doc[int(part)]
		elif isinstance(doc, dict) and part in doc:
			doc = doc[part]
		else:
			raise KeyError(path)
	return doc


def short(text, n=400):
	text = text.replace("\n", "\\n")
	return text if len(text) <= n else text[:n] + "…"


def check_repo(case, home, before, after, problems):
	repo = case["repo"]
	if repo == "unchanged":
		if sorted(before) != sorted(after):
			problems.append("tenants %s became %s" % (sorted(before), sorted(after)))
		for t in sorted(set(before) & set(after)):
			if before[t] is None or after[t] is None:
				if before[t] != after[t]:
					problems.append("%s: the repository appeared or went" % t)
				continue
			if before[t][0] != after[t][0]:
				problems.append("%s: refs changed:\n%s\n→\n%s" % (t, before[t][0], after[t][0]))
			new = after[t][1] - before[t][1]
			if new:
				problems.append("%s: %d new objects, e.g. %s" % (t, len(new), sorted(new)[0]))
		return
	t = repo["tenant"]
	old, new = main_head(before, t), main_head(after, t)
	if not new:
		problems.append("%s has no main branch after the command" % t)
		return
	r = os.path.join(home, "tenants", t, "gitops.git")
	count = int(git(r, "rev-list", "--count", "%s..%s" % (old, new) if old else new))
	if count != repo["commits"]:
		problems.append("%s: %d new commits, want %d" % (t, count, repo["commits"]))
	if old and subprocess.run(["git", "--git-dir=" + r, "merge-base", "--is-ancestor", old,
				   new]).returncode != 0:
		problems.append("%s: main moved off the old head instead of growing from it" % t)
	if "subject" in repo:
		subject = git(r, "log", "-1", "--format=%s", new).strip()
		if subject != repo["subject"]:
			problems.append("%s: subject %r, want %r" % (t, subject, repo["subject"]))
	for other in sorted(set(before) | set(after)):
		if other != t and before.get(other) != after.get(other):
			problems.append("%s changed too" % other)


def run_case(path, case, mech, home, templates):
	"""The list of ways the case's command differs from the case."""
	problems = []
	if os.path.lexists(home):
		merges_wait(home)
		shutil.rmtree(home)
	setup = case.get("setup", "none")
	template = os.path.join(templates, setup)
	if os.path.isdir(template):
		shutil.copytree(template, home, symlinks=True)
	elif setup != "none":
		return ["no home was built for setup %r (%s)" % (setup, template)]
	for rel, text in case.get("files", {}).items():
		p = os.path.join(home, rel)
		os.makedirs(os.path.dirname(p), exist_ok=True)
		with open(p, "w", encoding="utf-8") as f:
			f.write(text)
	env = dict(os.environ, MECH_HOME=home)
	for k, v in case.get("env", {}).items():
		if v is None:
			env.pop(k, None)
		else:
			env[k] = v
	before = snapshot(home)
	try:
		p = subprocess.run([mech] + case["args"], env=env, input=case.get("stdin", "").encode(),
				   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
	except subprocess.TimeoutExpired:
		return ["no answer within %d s (a hang)" % TIMEOUT]
	out = p.stdout.decode("utf-8", "replace")
	err = p.stderr.decode("utf-8", "replace")
	rc = p.returncode if p.returncode >= 0 else 128 - p.returncode
	if rc != case["exit"]:
		problems.append("exit %d%s, want %d" % (
			rc, " (killed by signal %d)" % -p.returncode if p.returncode < 0 else "",
			case["exit"]))
	if "stdout" in case and out != case["stdout"]:
		problems.append("stdout %r, want %r" % (short(out), short(case["stdout"])))
	for what, text in (("stdout", out), ("stderr", err)):
		for s in case.get(what + "_has", []):
			if s not in text:
				problems.append("%s lacks %r" % (what, s))
		for s in case.get(what + "_lacks", []):
			if s in text:
				problems.append("%s has %r" % (what, s))
	if "json" in case:
		try:
			doc = json.loads(out)
			if not isinstance(doc, dict):
				raise ValueError("not an object")
		except ValueError as e:
			problems.append("stdout is not one JSON object (%s)" % e)
		else:
			for k, want in case["json"].items():
				try:
					got = path_get(doc, k)
				except KeyError:
					problems.append("JSON has no %s" % k)
					continue
				if got != want or type(got) is not type(want):
					problems.append("JSON %s is %s, want %s" % (k, json.dumps(got), json.dumps(want)))
	merges_wait(home)
	check_repo(case, home, before, snapshot(home), problems)
	if problems:
		problems.append("stdout: %r; stderr: %r" % (short(out), short(err)))
	return problems


def main(argv):
	args, opts = [], {}
	i = 1
	while i < len(argv):
		if argv[i] in ("--mech", "--home", "--templates"):
			opts[argv[i][2:]] = argv[i + 1]
			i += 2
		elif argv[i] == "--list-setups":
			opts["list"] = True
			i += 1
		else:
			args.append(argv[i])
			i += 1
	if not args or (not opts.get("list") and len(opts) != 3):
		print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
		return 2
	if opts.get("list"):
		names = set()
		for path in args:
			case, _ = load(path)
			if case:
				names.add(case.get("setup", "none"))
		print("\n".join(sorted(names)))
		return 0
	failed = 0
	for path in args:
		name = os.path.splitext(os.path.basename(path))[0]
		case, bad = load(path)
		if bad:
			print("FAIL %s: malformed case: %s" % (name, "; ".join(bad)))
			failed += 1
			continue
		problems = run_case(path, case, opts["mech"], opts["home"], opts["templates"])
		if problems:
			print("FAIL %s (%s):\n  %s" % (name, case["about"], "\n  ".join(problems)))
			failed += 1
		else:
			print("ok %s" % name)
	print("%d cases, %d failed" % (len(args), failed))
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
