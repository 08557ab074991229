#!/usr/bin/env bash
# One fuzzing campaign: each target for SECONDS of wall time, one process each (no
# -jobs/-workers), new inputs kept under fuzz/work/<target> (not committed), the committed
# seeds read from fuzz/corpus/<target>. Crashes, hangs (-timeout) and OOMs land in
# fuzz/artifacts/<target>/. Usage: fuzz/campaign.sh SECONDS [TARGET...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and libFuzzer's nightly flags; on the
# stable toolchain RUSTC_BOOTSTRAP=1 allows them.
set -euo pipefail
cd "$(dirname "$0")"
seconds=$1
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
    mkdir -p "work/$t"
    cargo fuzz run "$t" -s none -a --codegen-units 4 "work/$t" "corpus/$t" -- \
        -dict=iam.dict -max_len=1048576 -timeout=60 -rss_limit_mb=2048 \
        -max_total_time="$seconds" -print_final_stats=1 > "work/$t.log" 2>&1 &
done
wait
for t in "${targets[@]}"; do
    echo "== $t"
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)|(ERROR|SUMMARY|deadly signal|Test unit written)' "work/$t.log" || true
done
