#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Check Kubernetes manifests the way an API server and kustomize would.

usage: validate_manifests.py [-v] SPEC_DIR FILE...

Custom resources (Argo CD Application/ApplicationSet/AppProject,
CloudNativePG Cluster, Gateway API HTTPRoute) are validated against the
openAPIV3Schema of the served version in the CRD files under SPEC_DIR:
defaults applied first, unknown fields refused (as kubectl's strict field
validation does), int-or-string and nullable honoured, and the CEL rules
(x-kubernetes-validations) evaluated by a small interpreter that covers the
subset those CRDs use. Deployment, Service and Kustomization, which have no
CRD, get the checks Kubernetes and kustomize apply to the fields that
matter (names, labels, selector vs template, containers, ports, env,
images).

Prints one line per problem, "FILE: KIND/NAME: PATH: message".
Exit status: 0 all valid, 1 problems found, 2 usage, 3 SPEC_DIR missing
(nothing could be checked; whether that skips a test is the caller's call).
"""

import copy
import os
import re
import sys

import jsonschema
import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CRD_FILES = {
	("argoproj.io", "Application"): "argocd-application-crd.yaml",
	("argoproj.io", "ApplicationSet"): "argocd-applicationset-crd.yaml",
	("argoproj.io", "AppProject"): "argocd-appproject-crd.yaml",
	("postgresql.cnpg.io", "Cluster"): "cnpg-clusters-crd.yaml",
	("gateway.networking.k8s.io", "HTTPRoute"): "gateway-httproutes-crd.yaml",
}

VERBOSE = False


def note(msg):
	if VERBOSE:
		print("note: " + msg, file=sys.stderr)


# ---------------------------------------------------------------- CEL subset


class CelError(Exception):
	"""The rule evaluated to an error (Kubernetes rejects the object)."""


class CelUnsupported(Exception):
	"""The rule uses CEL this interpreter does not implement; it is skipped."""


TOKEN = re.compile(
	r'\s*(?:'
	r'(?P<str>[rR]?(?:"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'))'
	r'|(?P<num>\d+(?:\.\d+)?)u?'
	r'|(?P<id>[A-Za-z_][A-Za-z0-9_]*)'
	r'|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/%!<>?:()\[\]{},.])'
	r')')

CEL_KEYWORDS = {"as", "break", "const", "continue", "else", "for", "function", "if", "import",
		"let", "loop", "package", "namespace", "return", "var", "void", "while", "in",
		"true", "false", "null"}


def unescape_field(name):
	"""Kubernetes escapes property names that are CEL keywords as __name__."""
	m = re.fullmatch(r"__(.+)__", name)
	if m and m.group(1) in CEL_KEYWORDS:
		return m.group(1)
	return (name.replace("__underscores__", "__").replace("__dot__", ".")
		.replace("__dash__", "-").replace("__slash__", "/"))


def string_literal(text):
	raw = text[0] in "rR"
	if raw:
		text = text[1:]
	q = 3 if text[:3] in ('"""', "'''") else 1
	body = text[q:-q]
	if raw:
		return body
	return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def tokenize(src):
	pos, out = 0, []
	while pos < len(src):
		if src[pos:].strip() == "":
			break
		m = TOKEN.match(src, pos)
		if not m or m.end() == pos:
			raise CelUnsupported("cannot read %r" % src[pos:pos + 20])
		pos = m.end()
		if m.group("str") is not None:
			out.append(("lit", string_literal(m.group("str"))))
		elif m.group("num") is not None:
			n = m.group("num")
			out.append(("lit", float(n) if "." in n else int(n)))
		elif m.group("id") is not None:
			word = m.group("id")
			if word in ("true", "false"):
				out.append(("lit", word == "true"))
			elif word == "null":
				out.append(("lit", None))
			elif word == "in":
				out.append(("op", "in"))
			else:
				out.append(("id", word))
		else:
			out.append(("op", m.group("op")))
	out.append(("end", None))
	return out


class Parser:
	def __init__(self, src):
		self.toks = tokenize(src)
		self.i = 0

	def peek(self, value=None):
		kind, v = self.toks[self.i]
		if value is None:
			return kind, v
		return kind == "op" and v == value

	def take(self, value=None):
		tok = self.toks[self.i]
		if value is not None and not (tok[0] == "op" and tok[1] == value):
			raise CelUnsupported("expected %r, found %r" % (value, tok[1]))
		self.i += 1
		return tok

	def parse(self):
		node = self.cond()
		if self.peek()[0] != "end":
			raise CelUnsupported("trailing input")
		return node

	def cond(self):
		node = self.binary(0)
		if self.peek("?"):
			self.take()
			a = self.cond()
			self.take(":")
			b = self.cond()
			return ("?", node, a, b)
		return node

	LEVELS = [("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">=", "in"), ("+", "-"),
		  ("*", "/", "%")]

	def binary(self, level):
		if level == len(self.LEVELS):
			return self.unary()
		node = self.binary(level + 1)
		while self.peek()[0] == "op" and self.peek()[1] in self.LEVELS[level]:
			op = self.take()[1]
			node = (op, node, self.binary(level + 1))
		return node

	def unary(self):
		if self.peek("!"):
			self.take()
			return ("!", self.unary())
		if self.peek("-"):
			self.take()
			return ("neg", self.unary())
		return self.member()

	def args(self):
		self.take("(")
		out = []
		while not self.peek(")"):
			out.append(self.cond())
			if not self.peek(")"):
				self.take(",")
		self.take(")")
		return out

	def member(self):
		node = self.primary()
		while True:
			if self.peek("."):
				self.take()
				kind, name = self.take()
				if kind != "id":
					raise CelUnsupported("bad member name")
				if self.peek("("):
					node = ("call", name, node, self.args())
				else:
					node = ("sel", node, unescape_field(name))
			elif self.peek("["):
				self.take()
				idx = self.cond()
				self.take("]")
				node = ("index", node, idx)
			else:
				return node

	def primary(self):
		kind, v = self.take()
		if kind == "lit":
			return ("lit", v)
		if kind == "id":
			if self.peek("("):
				return ("call", v, None, self.args())
			return ("var", v)
		if kind == "op" and v == "(":
			node = self.cond()
			self.take(")")
			return node
		if kind == "op" and v == "[":
			items = []
			while not self.peek("]"):
				items.append(self.cond())
				if not self.peek("]"):
					self.take(",")
			self.take("]")
			return ("list", items)
		raise CelUnsupported("unexpected %r" % (v,))


def go_duration(s):
	if not isinstance(s, str):
		raise CelError("duration() needs a string")
	units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
	parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)", s)
	if not parts or "".join(a + b for a, b in parts) != s:
		raise CelError("invalid duration %r" % s)
	return sum(float(a) * units[b] for a, b in parts)


def size(v):
	if isinstance(v, (str, list, dict)):
		return len(v)
	raise CelError("size() of %s" % type(v).__name__)


def cel_eval(node, env):
	op = node[0]
	if op == "lit":
		return node[1]
	if op == "var":
		if node[1] not in env:
			raise CelUnsupported("unknown identifier " + node[1])
		return env[node[1]]
	if op == "list":
		return [cel_eval(n, env) for n in node[1]]
	if op == "sel":
		obj = cel_eval(node[1], env)
		if not isinstance(obj, dict) or node[2] not in obj:
			raise CelError("no such key: " + node[2])
		return obj[node[2]]
	if op == "index":
		obj, idx = cel_eval(node[1], env), cel_eval(node[2], env)
		try:
			return obj[idx]
		except (IndexError, KeyError, TypeError):
			raise CelError("index %r out of range" % (idx,))
	if op == "?":
		return cel_eval(node[2] if truth(cel_eval(node[1], env)) else node[3], env)
	if op == "!":
		return not truth(cel_eval(node[1], env))
	if op == "neg":
		return -cel_eval(node[1], env)
	if op == "&&":
		return truth(cel_eval(node[1], env)) and truth(cel_eval(node[2], env))
	if op == "||":
		return truth(cel_eval(node[1], env)) or truth(cel_eval(node[2], env))
	if op == "call":
		return cel_call(node, env)
	a, b = cel_eval(node[1], env), cel_eval(node[2], env)
	try:
		return {
			"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b,
			"<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b,
			"in": lambda: a in b, "+": lambda: a + b, "-": lambda: a - b,
			"*": lambda: a * b, "/": lambda: a // b if isinstance(a, int) else a / b,
			"%": lambda: a % b,
		}[op]()
	except TypeError as e:
		raise CelError(str(e))


def truth(v):
	if not isinstance(v, bool):
		raise CelError("expected a boolean, got %r" % (v,))
	return v


MACROS = {"all", "exists", "exists_one", "filter", "map"}


def cel_call(node, env):
	_, name, target, args = node
	if target is None and name == "has":
		sel = args[0]
		if sel[0] != "sel":
			raise CelUnsupported("has() needs a field selection")
		obj = cel_eval(sel[1], env)
		return isinstance(obj, dict) and sel[2] in obj
	if target is not None and name in MACROS:
		seq = cel_eval(target, env)
		var = args[0]
		if var[0] != "var":
			raise CelUnsupported("macro variable")
		items = list(seq.keys()) if isinstance(seq, dict) else seq
		results = []
		for item in items:
			inner = dict(env)
			inner[var[1]] = item
			results.append(cel_eval(args[1], inner))
		if name == "all":
			return all(truth(r) for r in results)
		if name == "exists":
			return any(truth(r) for r in results)
		if name == "exists_one":
			return sum(1 for r in results if truth(r)) == 1
		if name == "filter":
			return [i for i, r in zip(items, results) if truth(r)]
		return results
	vals = [cel_eval(a, env) for a in args]
	if target is None:
		if name == "size":
			return size(vals[0])
		if name == "duration":
			return go_duration(vals[0])
		if name == "int":
			return int(vals[0])
		if name == "string":
			return str(vals[0])
		raise CelUnsupported("function " + name)
	obj = cel_eval(target, env)
	if name == "size":
		return size(obj)
	if not isinstance(obj, str):
		raise CelError("%s() on %s" % (name, type(obj).__name__))
	if name == "startsWith":
		return obj.startswith(vals[0])
	if name == "endsWith":
		return obj.endswith(vals[0])
	if name == "contains":
		return vals[0] in obj
	if name == "matches":
		return re.search(vals[0], obj) is not None
	raise CelUnsupported("method " + name)


CEL_CACHE = {}


def cel_check(rule, value):
	"""True/False for the rule on value; None when it cannot be evaluated here."""
	if rule not in CEL_CACHE:
		try:
			ast = Parser(rule).parse()
		except CelUnsupported as e:
			note("CEL rule skipped (%s): %s" % (e, rule))
			ast = None
		CEL_CACHE[rule] = ast
	ast = CEL_CACHE[rule]
	if ast is None:
		return None
	if "oldSelf" in rule:
		return None  # transition rules only apply to updates
	try:
		return truth(cel_eval(ast, {"self": value}))
	except CelUnsupported as e:
		note("CEL rule skipped (%s): %s" % (e, rule))
		return None
	except CelError:
		return False


# ------------------------------------------------------------ CRD schemas


def to_jsonschema(s):
	"""openAPIV3Schema (structural) → JSON Schema draft 4 with Kubernetes semantics."""
	if isinstance(s, list):
		return [to_jsonschema(x) for x in s]
	if not isinstance(s, dict):
		return s
	out = {}
	for k, v in s.items():
		if k.startswith("x-kubernetes-") or k in ("description", "default", "nullable",
							   "format", "example"):
			continue
		if k in ("properties", "patternProperties", "definitions"):
			out[k] = {pk: to_jsonschema(pv) for pk, pv in v.items()}
		else:
			out[k] = to_jsonschema(v)
	if s.get("x-kubernetes-int-or-string"):
		out.pop("type", None)
		out = {"anyOf": [{"type": "integer"}, {"type": "string"}], "allOf": [out]}
	elif s.get("nullable") and "type" in out:
		out["type"] = [out["type"], "null"]
	if (s.get("type") == "object" and "properties" in s and "additionalProperties" not in s
	    and not s.get("x-kubernetes-preserve-unknown-fields")):
		out["additionalProperties"] = False
	return out


def apply_defaults(schema, value):
	"""Structural defaulting, as the API server does before validation."""
	if isinstance(value, dict):
		props = schema.get("properties") or {}
		for key, sub in props.items():
			if key not in value and "default" in sub:
				value[key] = copy.deepcopy(sub["default"])
		for key, v in value.items():
			if key in props:
				apply_defaults(props[key], v)
			elif isinstance(schema.get("additionalProperties"), dict):
				apply_defaults(schema["additionalProperties"], v)
	elif isinstance(value, list) and isinstance(schema.get("items"), dict):
		for v in value:
			apply_defaults(schema["items"], v)


def cel_walk(schema, value, path, problems):
	if value is None:
		return
	for v in schema.get("x-kubernetes-validations") or []:
		rule = re.sub(r"\s+", " ", v["rule"]).strip()
		ok = cel_check(rule, value)
		if ok is False:
			problems.append((path or ".", v.get("message") or "failed rule: " + rule))
	if isinstance(value, dict):
		props = schema.get("properties") or {}
		for key, sub in value.items():
			if key in props:
				cel_walk(props[key], sub, join(path, key), problems)
			elif isinstance(schema.get("additionalProperties"), dict):
				cel_walk(schema["additionalProperties"], sub, join(path, key), problems)
	elif isinstance(value, list) and isinstance(schema.get("items"), dict):
		for i, sub in enumerate(value):
			cel_walk(schema["items"], sub, "%s[%d]" % (path, i), problems)


def join(path, key):
	return key if not path else path + "." + key


class Crds:
	def __init__(self, spec_dir):
		self.dir = spec_dir
		self.cache = {}

	def schema(self, api_version, kind):
		"""(raw schema, validator) for apiVersion/kind, or (None, reason)."""
		group, _, version = api_version.rpartition("/")
		name = CRD_FILES.get((group, kind))
		if not name:
			return None, "no schema known for %s %s" % (api_version, kind)
		key = (name, version)
		if key in self.cache:
			return self.cache[key]
		with open(os.path.join(self.dir, name)) as f:
			crd = yaml.load(f, Loader=LOADER)
		spec = crd.get("spec") or {}
		if spec.get("group") != group or (spec.get("names") or {}).get("kind") != kind:
			result = (None, "%s does not define %s %s" % (name, group, kind))
		else:
			served = [v for v in spec.get("versions") or [] if v.get("served")]
			match = [v for v in served if v.get("name") == version]
			if not match:
				result = (None, "apiVersion %s is not served by %s (served: %s)" % (
					api_version, name, ", ".join(v["name"] for v in served)))
			else:
				raw = match[0]["schema"]["openAPIV3Schema"]
				validator = jsonschema.Draft4Validator(to_jsonschema(raw))
				result = (raw, validator)
		self.cache[key] = result
		return result


def check_custom(doc, crds, problems):
	raw, validator = crds.schema(doc.get("apiVersion", ""), doc.get("kind", ""))
	if raw is None:
		problems.append(("", validator))
		return
	doc = copy.deepcopy(doc)
	apply_defaults(raw, doc)
	for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
		path = ".".join(str(p) for p in err.absolute_path)
		msg = err.message
		if len(msg) > 200:
			msg = msg[:200] + "..."
		problems.append((path or ".", msg))
	cel_walk(raw, doc, "", problems)


# ------------------------------------------------ built-in Kubernetes kinds

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
PROTOCOLS = ("TCP", "UDP", "SCTP")


def is_int(v):
	return isinstance(v, int) and not isinstance(v, bool)


def check_label_map(labels, path, problems):
	if labels is None:
		return
	if not isinstance(labels, dict):
		problems.append((path, "must be a map of strings"))
		return
	for key, value in labels.items():
		prefix, _, name = str(key).rpartition("/")
		if (prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix))) or \
		   len(name) > 63 or not LABEL_NAME.match(name):
			problems.append((join(path, str(key)), "invalid label key"))
		if not isinstance(value, str):
			problems.append((join(path, str(key)), "label value must be a string, got %s"
					 % type(value).__name__))
		elif value and (len(value) > 63 or not LABEL_NAME.match(value)):
			problems.append((join(path, str(key)), "invalid label value %r" % value))


def check_metadata(doc, problems, name_re=DNS_SUBDOMAIN, name_rule="a DNS-1123 subdomain"):
	meta = doc.get("metadata")
	if not isinstance(meta, dict):
		problems.append(("metadata", "required"))
		return
	name = meta.get("name")
	if not isinstance(name, str) or not name:
		problems.append(("metadata.name", "required"))
	elif len(name) > 253 or not name_re.match(name):
		problems.append(("metadata.name", "%r is not %s" % (name, name_rule)))
	ns = meta.get("namespace")
	if ns is not None and (not isinstance(ns, str) or not DNS_LABEL.match(ns) or len(ns) > 63):
		problems.append(("metadata.namespace", "%r is not a DNS-1123 label" % (ns,)))
	check_label_map(meta.get("labels"), "metadata.labels", problems)
	ann = meta.get("annotations")
	if ann is not None and (not isinstance(ann, dict) or
				not all(isinstance(v, str) for v in ann.values())):
		problems.append(("metadata.annotations", "must be a map of strings"))


def check_port_ref(v, path, problems):
	if is_int(v):
		if not 1 <= v <= 65535:
			problems.append((path, "port %d is not in 1-65535" % v))
	elif isinstance(v, str):
		if len(v) > 15 or not IANA_SVC_NAME.match(v) or "--" in v or \
		   not re.search("[a-z]", v):
			problems.append((path, "%r is not a valid port name" % v))
	else:
		problems.append((path, "must be a port number or name"))


def check_container(c, path, problems):
	if not isinstance(c, dict):
		problems.append((path, "must be a map"))
		return
	name = c.get("name")
	if not isinstance(name, str) or not DNS_LABEL.match(name) or len(name) > 63:
		problems.append((join(path, "name"), "required: a DNS-1123 label"))
	image = c.get("image")
	if not isinstance(image, str) or not image.strip() or image != image.strip():
		problems.append((join(path, "image"), "required: a non-empty string"))
	port_names = set()
	ports = c.get("ports") or []
	if not isinstance(ports, list):
		problems.append((join(path, "ports"), "must be a list"))
		ports = []
	for i, p in enumerate(ports):
		pp = "%s.ports[%d]" % (path, i)
		if not isinstance(p, dict):
			problems.append((pp, "must be a map"))
			continue
		cp = p.get("containerPort")
		if not is_int(cp) or not 1 <= cp <= 65535:
			problems.append((pp + ".containerPort", "required: an integer 1-65535"))
		if "name" in p:
			check_port_ref(p["name"], pp + ".name", problems)
			if isinstance(p["name"], str):
				port_names.add(p["name"])
		if p.get("protocol", "TCP") not in PROTOCOLS:
			problems.append((pp + ".protocol", "must be one of " + ", ".join(PROTOCOLS)))
	env = c.get("env") or []
	if not isinstance(env, list):
		problems.append((join(path, "env"), "must be a list"))
		env = []
	for i, e in enumerate(env):
		ep = "%s.env[%d]" % (path, i)
		if not isinstance(e, dict) or not isinstance(e.get("name"), str) or \
		   not ENV_NAME.match(e["name"]):
			problems.append((ep + ".name", "required: a valid environment variable name"))
			continue
		if "value" in e and not isinstance(e["value"], str):
			problems.append((ep + ".value", "must be a string, got %s"
					 % type(e["value"]).__name__))
	for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
		pr = c.get(probe)
		if not isinstance(pr, dict):
			continue
		handlers = [h for h in ("exec", "httpGet", "tcpSocket", "grpc") if h in pr]
		if len(handlers) != 1:
			problems.append((join(path, probe), "must specify exactly one handler"))
		for h in ("httpGet", "tcpSocket"):
			if isinstance(pr.get(h), dict):
				port = pr[h].get("port")
				check_port_ref(port, "%s.%s.%s.port" % (path, probe, h), problems)
				if isinstance(port, str) and port not in port_names:
					problems.append(("%s.%s.%s.port" % (path, probe, h),
							 "names port %r which the container does not declare"
							 % port))


def check_deployment(doc, problems):
	check_metadata(doc, problems)
	spec = doc.get("spec")
	if not isinstance(spec, dict):
		problems.append(("spec", "required"))
		return
	if "replicas" in spec and (not is_int(spec["replicas"]) or spec["replicas"] < 0):
		problems.append(("spec.replicas", "must be an integer >= 0"))
	sel = spec.get("selector")
	match = sel.get("matchLabels") if isinstance(sel, dict) else None
	if not isinstance(sel, dict) or not (match or sel.get("matchExpressions")):
		problems.append(("spec.selector", "required: a non-empty label selector"))
	check_label_map(match, "spec.selector.matchLabels", problems)
	tmpl = spec.get("template")
	if not isinstance(tmpl, dict):
		problems.append(("spec.template", "required"))
		return
	labels = (tmpl.get("metadata") or {}).get("labels") or {}
	check_label_map(labels, "spec.template.metadata.labels", problems)
	if isinstance(match, dict) and isinstance(labels, dict):
		for k, v in match.items():
			if labels.get(k) != v:
				problems.append(("spec.template.metadata.labels",
						 "selector does not match template labels (%s=%s)" % (k, v)))
	pod = tmpl.get("spec")
	containers = pod.get("containers") if isinstance(pod, dict) else None
	if not isinstance(containers, list) or not containers:
		problems.append(("spec.template.spec.containers", "required: at least one container"))
		return
	names = set()
	for i, c in enumerate(containers):
		check_container(c, "spec.template.spec.containers[%d]" % i, problems)
		if isinstance(c, dict):
			if c.get("name") in names:
				problems.append(("spec.template.spec.containers[%d].name" % i, "duplicate"))
			names.add(c.get("name"))


def check_service(doc, problems):
	check_metadata(doc, problems, DNS1035_LABEL, "a DNS-1035 label")
	spec = doc.get("spec")
	if not isinstance(spec, dict):
		problems.append(("spec", "required"))
		return
	check_label_map(spec.get("selector"), "spec.selector", problems)
	ports = spec.get("ports")
	headless = spec.get("clusterIP") == "None" or spec.get("type") == "ExternalName"
	if not isinstance(ports, list) or (not ports and not headless):
		problems.append(("spec.ports", "required: at least one port"))
		return
	seen = set()
	for i, p in enumerate(ports):
		pp = "spec.ports[%d]" % i
		if not isinstance(p, dict):
			problems.append((pp, "must be a map"))
			continue
		if not is_int(p.get("port")) or not 1 <= p["port"] <= 65535:
			problems.append((pp + ".port", "required: an integer 1-65535"))
		if "targetPort" in p:
			check_port_ref(p["targetPort"], pp + ".targetPort", problems)
		if p.get("protocol", "TCP") not in PROTOCOLS:
			problems.append((pp + ".protocol", "must be one of " + ", ".join(PROTOCOLS)))
		if len(ports) > 1 and not p.get("name"):
			problems.append((pp + ".name", "required when there is more than one port"))
		if p.get("name") in seen:
			problems.append((pp + ".name", "duplicate"))
		seen.add(p.get("name"))


KUSTOMIZATION_FIELDS = {
	"apiVersion", "kind", "metadata", "resources", "bases", "components", "crds",
	"namespace", "namePrefix", "nameSuffix", "commonLabels", "labels", "commonAnnotations",
	"images", "replicas", "patches", "patchesStrategicMerge", "patchesJson6902",
	"configMapGenerator", "secretGenerator", "generatorOptions", "generators",
	"transformers", "validators", "replacements", "vars", "configurations", "openapi",
	"helmCharts", "helmGlobals", "buildMetadata", "sortOptions",
}
KUSTOMIZE_IMAGE_FIELDS = {"name", "newName", "newTag", "digest", "tagSuffix"}


def check_kustomization(doc, problems):
	for key in doc:
		if key not in KUSTOMIZATION_FIELDS:
			problems.append((str(key), "unknown Kustomization field"))
	for key in ("resources", "components", "bases"):
		v = doc.get(key)
		if v is not None and (not isinstance(v, list) or
				      not all(isinstance(x, str) and x for x in v)):
			problems.append((key, "must be a list of non-empty paths"))
	for key in ("namePrefix", "nameSuffix", "namespace"):
		if key in doc and not isinstance(doc[key], str):
			problems.append((key, "must be a string"))
	check_label_map(doc.get("commonLabels"), "commonLabels", problems)
	labels = doc.get("labels")
	if labels is not None and not isinstance(labels, list):
		problems.append(("labels", "must be a list"))
		labels = []
	for i, entry in enumerate(labels or []):
		lp = "labels[%d]" % i
		if not isinstance(entry, dict):
			problems.append((lp, "must be a map"))
			continue
		check_label_map(entry.get("pairs"), lp + ".pairs", problems)
		for flag in ("includeSelectors", "includeTemplates"):
			if flag in entry and not isinstance(entry[flag], bool):
				problems.append((lp + "." + flag, "must be true or false"))
	images = doc.get("images")
	if images is not None and not isinstance(images, list):
		problems.append(("images", "must be a list"))
		images = []
	for i, img in enumerate(images or []):
		ip = "images[%d]" % i
		if not isinstance(img, dict) or not isinstance(img.get("name"), str) or not img["name"]:
			problems.append((ip + ".name", "required"))
			continue
		for key, v in img.items():
			if key not in KUSTOMIZE_IMAGE_FIELDS:
				problems.append((ip + "." + str(key), "unknown images field"))
			elif not isinstance(v, str):
				# kustomize decodes these into Go strings: 1.2 or 3 unquoted fail
				problems.append((ip + "." + str(key), "must be a string, got %s"
						 % type(v).__name__))
		if "digest" in img and isinstance(img["digest"], str) and \
		   not re.match(r"^sha(256:[0-9a-f]{64}|512:[0-9a-f]{128})$", img["digest"]):
			problems.append((ip + ".digest", "not a sha256:/sha512: digest"))


BUILTIN = {
	("apps/v1", "Deployment"): check_deployment,
	("v1", "Service"): check_service,
	("kustomize.config.k8s.io/v1beta1", "Kustomization"): check_kustomization,
	("kustomize.config.k8s.io/v1alpha1", "Component"): check_kustomization,
}


# ------------------------------------------------------------------- main


def check_document(doc, crds):
	problems = []
	if not isinstance(doc, dict):
		return "?", [(".", "a manifest must be a YAML mapping")]
	api, kind = doc.get("apiVersion"), doc.get("kind")
	name = (doc.get("metadata") or {}).get("name") if isinstance(doc.get("metadata"), dict) else None
	label = "%s/%s" % (kind or "?", name or "?")
	if not isinstance(api, str) or not api:
		problems.append(("apiVersion", "required"))
	if not isinstance(kind, str) or not kind:
		problems.append(("kind", "required"))
	if problems:
		return label, problems
	check = BUILTIN.get((api, kind))
	if check:
		check(doc, problems)
	else:
		check_custom(doc, crds, problems)
		check_metadata(doc, problems)
	return label, problems


def main(argv):
	global VERBOSE
	args = argv[1:]
	if args and args[0] == "-v":
		VERBOSE = True
		args = args[1:]
	if len(args) < 2:
		print("usage: validate_manifests.py [-v] SPEC_DIR FILE...", file=sys.stderr)
		return 2
	spec_dir, files = args[0], args[1:]
	if not os.path.isdir(spec_dir):
		print("validate_manifests: %s not found: nothing checked" % spec_dir, file=sys.stderr)
		return 3
	crds = Crds(spec_dir)
	bad = 0
	for path in files:
		try:
			with open(path) as f:
				docs = [d for d in yaml.load_all(f, Loader=LOADER) if d is not None]
		except (OSError, yaml.YAMLError) as e:
			print("%s: %s" % (path, str(e).replace("\n", " ")))
			bad += 1
			continue
		if not docs:
			print("%s: no YAML document" % path)
			bad += 1
		for doc in docs:
			label, problems = check_document(doc, crds)
			# one line per problem, stable order, no duplicates
			for where, msg in sorted(set(problems)):
				print("%s: %s: %s: %s" % (path, label, where, msg.replace("\n", " ")))
				bad += 1
			if not problems:
				note("%s: %s: ok" % (path, label))
	return 1 if bad else 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
