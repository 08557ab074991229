#!/usr/bin/env bash
# Regenerates rules/packs/sam-policy-templates.json, the AWS SAM policy templates
# (`S3ReadPolicy: {BucketName: ...}` in a function's `Policies`), from the PyPI package
# aws-sam-translator (Apache-2.0), and refreshes its licence in rules/catalogue/licenses/.
#
#   bash rules/catalogue/sam-policy-templates.sh [AWS_SAM_TRANSLATOR_VERSION]
#
# An empty version means the latest release. Needs python3 with pip and unzip. update.sh
# runs it with the catalogue.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
version="${1:-${AWS_SAM_TRANSLATOR_VERSION:-}}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
    --dest "$work" "aws-sam-translator${version:+==$version}"
wheel="$(ls "$work"/aws_sam_translator-*.whl)"
unzip -q -o "$wheel" -d "$work/x" 'samtranslator/policy_templates_data/policy_templates.json' \
    'aws_sam_translator-*.dist-info/licenses/*'
cp "$work"/x/aws_sam_translator-*.dist-info/licenses/LICENSE "$here/licenses/aws-sam-translator.LICENSE"
cp "$work"/x/aws_sam_translator-*.dist-info/licenses/NOTICE "$here/licenses/aws-sam-translator.NOTICE"

python3 - "$work/x/samtranslator/policy_templates_data/policy_templates.json" "$wheel" \
    "$repo/rules/packs/sam-policy-templates.json" <<'PY'
import datetime, json, os, re, sys
source, wheel, out = sys.argv[1:]
version = re.search(r"aws_sam_translator-([^-]+)-", os.path.basename(wheel)).group(1)
templates = json.load(open(source))["Templates"]
pack = {
    "description": "The AWS SAM policy templates: what each name in an AWS::Serverless::Function's Policies expands to, with the parameters it takes. CloudFormation reads `S3CrudPolicy: {BucketName: X}` as these statements with `Ref: BucketName` replaced by X; iamlint lints the expansion, underlining the template's name and the parameter's value.",
    "sources": [
        f"PyPI aws-sam-translator {version} (Apache-2.0), samtranslator/policy_templates_data/policy_templates.json; licence in rules/catalogue/licenses/aws-sam-translator.LICENSE",
        "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-policy-template-list.html",
    ],
    "retrieved": datetime.date.today().isoformat(),
    "templates": {
        name: {"parameters": sorted(t.get("Parameters", {})), "definition": t["Definition"]}
        for name, t in sorted(templates.items())
    },
}
with open(out, "w") as f:
    json.dump(pack, f, indent=1, sort_keys=False)
    f.write("\n")
print(f"{len(templates)} SAM policy templates from aws-sam-translator {version}", file=sys.stderr)
PY
