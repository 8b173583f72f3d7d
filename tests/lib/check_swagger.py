#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Validate JSON documents against the Argo CD swagger or a Kubernetes CRD.

    check_swagger.py [--strict] DEFINITION [FILE|-]
        FILE holds one JSON document; it must match #/definitions/DEFINITION
        of $MECH_SPEC_DIR/argocd-swagger.json.
    check_swagger.py [--strict] --sse DEFINITION [FILE|-]
        FILE holds a Server-Sent Events stream; every `data:` payload must be
        {"result": <DEFINITION>} or {"error": runtimeStreamError}. Prints the
        number of events checked.
    check_swagger.py --crd CRD.yaml [--version V] [FILE|-]
        FILE holds one Kubernetes object; it must match the CRD's
        openAPIV3Schema (served version V, default: the storage version).

--strict also refuses properties the swagger does not declare (the swagger
itself leaves additionalProperties open), so a misspelt field fails.

Exit 0 valid, 1 invalid (each error printed with its JSON path), 2 usage,
3 when the spec directory (MECH_SPEC_DIR, default ../shared/spec beside the
source tree) or python3-jsonschema is missing: nothing was checked (whether
that skips a test is the caller's call).
"""
import copy
import json
import os
import sys

UNCHECKED = 3


def die(code, msg):
    print("check_swagger: " + msg, file=sys.stderr)
    sys.exit(code)


try:
    import jsonschema
except ImportError:  # Debian: python3-jsonschema
    die(UNCHECKED, "python3-jsonschema is not installed")


def spec_dir():
    d = os.environ.get("MECH_SPEC_DIR")
    if not d:
        here = os.path.dirname(os.path.abspath(__file__))
        d = os.path.join(here, "..", "..", "..", "shared", "spec")
    if not os.path.isdir(d):
        die(UNCHECKED, "spec directory %s not found (set MECH_SPEC_DIR)" % d)
    return d


def close_objects(defs):
    """Strict mode: merge allOf refs and forbid undeclared properties."""
    defs = copy.deepcopy(defs)
    for name, d in defs.items():
        for part in d.pop("allOf", []):
            ref = part.get("$ref", "")
            if ref.startswith("#/definitions/"):
                base = defs[ref.split("/")[-1]]
                d.setdefault("properties", {}).update(base.get("properties", {}))
    for d in defs.values():
        if "properties" in d and "additionalProperties" not in d:
            d["additionalProperties"] = False
    return defs


def swagger_validator(definition, strict, sse):
    path = os.path.join(spec_dir(), "argocd-swagger.json")
    if not os.path.exists(path):
        die(UNCHECKED, "%s not found" % path)
    with open(path) as f:
        swagger = json.load(f)
    defs = swagger["definitions"]
    if definition not in defs:
        die(2, "no definition %r in the swagger" % definition)
    if strict:
        defs = close_objects(defs)
    if sse:
        # the stream's 200 schema: {"result": X} or {"error": runtimeStreamError}
        root = {
            "type": "object",
            "properties": {
                "result": {"$ref": "#/definitions/" + definition},
                "error": {"$ref": "#/definitions/runtimeStreamError"},
            },
            "additionalProperties": False,
            "minProperties": 1,
        }
    else:
        root = {"$ref": "#/definitions/" + definition}
    root["definitions"] = defs
    return jsonschema.Draft4Validator(root, format_checker=jsonschema.FormatChecker())


def crd_validator(crd_path, version):
    try:
        import yaml
    except ImportError:
        die(UNCHECKED, "python3-yaml is not installed")
    if not os.path.isabs(crd_path) and not os.path.exists(crd_path):
        crd_path = os.path.join(spec_dir(), crd_path)
    if not os.path.exists(crd_path):
        die(UNCHECKED, "%s not found" % crd_path)
    with open(crd_path) as f:
        crd = yaml.safe_load(f)
    versions = crd["spec"]["versions"]
    chosen = None
    for v in versions:
        if (version and v["name"] == version) or (not version and v.get("storage")):
            chosen = v
    if not chosen:
        die(2, "no version %r in %s" % (version, crd_path))
    schema = chosen["schema"]["openAPIV3Schema"]
    return jsonschema.Draft7Validator(schema)


def report(validator, doc, label):
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors[:20]:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        print("%s: %s: %s" % (label, where, e.message[:300]))
    return len(errors)


def read_input(name):
    if name in (None, "-"):
        return sys.stdin.read()
    with open(name) as f:
        return f.read()


def sse_payloads(text):
    """The data of each event: data: lines joined, blank line ends an event."""
    events, data = [], []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line == "":
            if data:
                events.append("\n".join(data))
            data = []
        elif line.startswith(":"):
            continue
        elif line.startswith("data:"):
            v = line[5:]
            data.append(v[1:] if v.startswith(" ") else v)
    if data:
        die(1, "stream ends in the middle of an event")
    return events


def main(argv):
    strict = sse = False
    crd = version = None
    args = []
    it = iter(argv)
    for a in it:
        if a == "--strict":
            strict = True
        elif a == "--sse":
            sse = True
        elif a == "--crd":
            crd = next(it, None)
        elif a == "--version":
            version = next(it, None)
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(a)
    if crd:
        if len(args) > 1:
            die(2, "usage: check_swagger.py --crd CRD.yaml [--version V] [FILE|-]")
        validator = crd_validator(crd, version)
        label = os.path.basename(crd)
        source = args[0] if args else None
    else:
        if not args or len(args) > 2:
            die(2, "usage: check_swagger.py [--strict] [--sse] DEFINITION [FILE|-]")
        validator = swagger_validator(args[0], strict, sse)
        label = args[0]
        source = args[1] if len(args) > 1 else None
    text = read_input(source)
    bad = 0
    if sse:
        events = sse_payloads(text)
        if not events:
            die(1, "no events in the stream")
        for i, payload in enumerate(events):
            try:
                doc = json.loads(payload)
            except ValueError as e:
                print("%s: event %d: not JSON: %s" % (label, i, e))
                bad += 1
                continue
            bad += report(validator, doc, "%s event %d" % (label, i))
        print("%d events checked" % len(events))
    else:
        try:
            doc = json.loads(text)
        except ValueError as e:
            die(1, "%s: not JSON: %s" % (source or "stdin", e))
        bad = report(validator, doc, label)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
