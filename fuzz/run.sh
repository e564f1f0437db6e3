#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECS seconds each (default 180), on the
# stable toolchain without sanitizers (`cargo fuzz --sanitizer none`), then prints each
# target's executions, coverage and findings. The corpus kept in the repo
# (fuzz/corpus/<target>) seeds each run and only takes in inputs that add coverage
# (libFuzzer's -merge=1), at most KEEP (200) of them, the shortest, so it stays small; the
# full working corpus stays in target/fuzz/corpus. Crashes land in fuzz/artifacts/<target>/;
# the script exits 1 when there is any.
#
#   fuzz/run.sh                      every target, 180 s each
#   SECS=1800 fuzz/run.sh host       one target, 30 minutes
#
# Needs cargo-fuzz (cargo install cargo-fuzz --locked; the script installs it under
# target/tools when it is missing).
set -euo pipefail

cd "$(dirname "$0")"
fuzz_dir=$(pwd)
root=$(cd .. && pwd)
secs=${SECS:-180}
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(canonical_path host forward_auth config_check ceremony_json api_token cookie_token)
fi

export PATH="$root/target/tools/bin:$PATH"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --root "$root/target/tools"
fi
target_dir=$root/target/fuzz
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
cargo fuzz build --sanitizer none --target-dir "$target_dir"

summary=()
found=0
for t in "${targets[@]}"; do
    kept=$fuzz_dir/corpus/$t
    work=$target_dir/corpus/$t
    mkdir -p "$kept" "$work" "$fuzz_dir/artifacts/$t"
    log=$target_dir/$t.log
    echo "==> $t: $secs s"
    status=0
    cargo fuzz run --sanitizer none --target-dir "$target_dir" "$t" "$work" "$kept" -- \
        -max_total_time="$secs" -print_final_stats=1 -max_len=4096 -timeout=10 \
        > "$log" 2>&1 || status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    crashes=$(find "$fuzz_dir/artifacts/$t" -type f | wc -l)
    # Keep what adds coverage.
    bin=$target_dir/x86_64-unknown-linux-gnu/release/$t
    "$bin" -merge=1 "$kept" "$work" > "$target_dir/$t.merge.log" 2>&1 || true
    # Small in the repo: at most KEEP (default 200) inputs per target, the shortest.
    find "$kept" -type f -printf '%s %p\n' | sort -n | tail -n +"$((${KEEP:-200} + 1))" \
        | cut -d' ' -f2- | xargs -r rm --
    size=$(find "$kept" -type f | wc -l)
    line="$t: ${execs:-?} executions in $secs s, cov ${cov:-?}, ft ${ft:-?}, corpus $size, crashes $crashes (exit $status)"
    echo "$line"
    summary+=("$line")
    if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        found=1
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
    fi
done

echo
echo "fuzz summary ($(date -u +%FT%TZ), $(nproc) cores):"
printf '  %s\n' "${summary[@]}"
exit "$found"
