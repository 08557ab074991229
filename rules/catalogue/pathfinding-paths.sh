#!/usr/bin/env bash
# Refreshes rules/catalogue/pathfinding-paths.txt: the ids of every privilege-escalation
# path DataDog's pathfinding.cloud lists (the `id:` of each data/paths/aws/**/*.yaml, or
# data/paths/**/*.yaml in older layouts), with the commit they were read at.
# tests/packs.rs fails when one of them is neither a path of
# rules/packs/privilege-escalation.json nor listed there under `excluded` with a reason.
#
#   bash rules/catalogue/pathfinding-paths.sh [GIT_DIR]
#
# Without GIT_DIR it clones https://github.com/DataDog/pathfinding.cloud (shallow) into a
# temporary directory; with it, it reads HEAD of that repository (a mirror). Needs git.
# update.sh runs it with the catalogue.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/pathfinding-paths.txt"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "${1:-}" ]; then
    git_dir="$1"
else
    git clone --quiet --bare --depth 1 https://github.com/DataDog/pathfinding.cloud "$work/repo"
    git_dir="$work/repo"
fi

commit="$(git --git-dir "$git_dir" rev-parse HEAD)"
date="$(git --git-dir "$git_dir" show -s --format=%cs HEAD)"
ids="$work/ids"
: >"$ids"
git --git-dir "$git_dir" ls-tree -r --name-only HEAD data/paths |
    grep -E '\.ya?ml$' |
    while read -r file; do
        # The path's own id (the file name is not relied on).
        id="$(git --git-dir "$git_dir" show "HEAD:$file" | sed -n 's/^id:[[:space:]]*["'\'']\{0,1\}\([A-Za-z0-9-]*\).*/\1/p' | head -n 1)"
        if [ -z "$id" ]; then
            echo "pathfinding-paths.sh: no id in $file" >&2
            exit 2
        fi
        echo "$id" >>"$ids"
    done
count="$(sort -u "$ids" | wc -l)"
if [ "$count" -eq 0 ]; then
    echo "pathfinding-paths.sh: no path found under data/paths at $commit" >&2
    exit 2
fi
{
    echo "# The privilege-escalation path ids of DataDog's pathfinding.cloud"
    echo "# (https://github.com/DataDog/pathfinding.cloud, data/paths), read at commit"
    echo "# $commit of $date by rules/catalogue/pathfinding-paths.sh."
    echo "# Each must be a path of rules/packs/privilege-escalation.json or listed there under"
    echo "# \"excluded\" with a reason (tests/packs.rs)."
    sort -u "$ids"
} >"$out"
echo "$count pathfinding.cloud path ids at $commit" >&2
