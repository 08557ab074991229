#!/usr/bin/env python3
"""Writes the committed seed corpus, fuzz/corpus/<target>/, from the repository's fixtures
and (where it exists) the input-format corpus and the AWS managed policies of the
development machine. Run from fuzz/: `python3 make_seeds.py [CORPUS_DIR] [POLICIES_DIR]`.
Keeps the seed set small (a few hundred KB): one pass and one fail input per rule, every
format fixture, and a sample of managed policies, each under 24 KB."""

import hashlib
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "fuzz" / "corpus"
CORPUS = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/corpus")
POLICIES = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/work/bench/policies")
MAX = 24 << 10


def files(root, *patterns):
    if not root.exists():
        return []
    found = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if p.is_file() and not p.name.endswith(".expected"))
    return sorted(found)


def put(target, data, prefix=b""):
    data = prefix + data
    if len(data) > MAX + 1:
        return
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


fixtures = REPO / "fixtures"
# Raw policies: the first pass and fail file of each rule, the examples.
for rule in sorted(p for p in fixtures.iterdir() if p.is_dir() and p.name != "formats"):
    for kind in ("pass", "fail"):
        for f in files(rule / kind, "*.json")[:1]:
            put("policy_json", f.read_bytes())
for f in files(fixtures / "examples", "*.json"):
    put("policy_json", f.read_bytes())
for f in files(POLICIES, "*.json")[::80]:
    put("policy_json", f.read_bytes())

for f in files(fixtures / "formats" / "cloudformation", "*.yaml", "*.yml") + files(CORPUS / "cloudformation", "*.yaml"):
    put("cloudformation_yaml", f.read_bytes())
for f in files(fixtures / "formats" / "cloudformation", "*.json") + files(CORPUS / "cloudformation", "*.json"):
    put("cloudformation_json", f.read_bytes())
for f in files(fixtures / "formats" / "terraform", "**/*.tf") + files(CORPUS / "terraform", "**/*.tf"):
    put("terraform_hcl", f.read_bytes())
for f in files(fixtures / "formats" / "plan", "*.json") + files(CORPUS / "plan", "*.json"):
    put("terraform_plan", f.read_bytes())
for f in files(fixtures / "formats" / "cli", "*.json") + files(CORPUS / "cli", "*.json"):
    if "authz" not in f.name:
        put("cli_output", f.read_bytes())
for f in files(fixtures / "formats" / "authz", "*.json") + files(CORPUS / "cli", "authz-*.json"):
    put("authz_dump", f.read_bytes())
# docs_page: the first byte picks the extension (0 .md, 1 .rst, 2 .txt).
for f in files(fixtures / "formats" / "docs", "*") + files(CORPUS / "docs", "*"):
    pick = {".md": 0, ".rst": 1, ".txt": 2}.get(f.suffix)
    if pick is not None:
        put("docs_page", f.read_bytes(), bytes([pick]))

for d in sorted(OUT.iterdir()):
    size = sum(p.stat().st_size for p in d.iterdir())
    print(f"{d.name}: {len(list(d.iterdir()))} seeds, {size} bytes")
