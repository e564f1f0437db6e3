#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECS seconds each (default 180), on the
# stable toolchain without sanitizers (`cargo fuzz --sanitizer none`), then prints each
# target's executions, exec/s, coverage (libFuzzer's `cov` and `ft`), corpus and findings.
# The corpus kept in the repo (fuzz/corpus/<target>) seeds each run and only takes in
# inputs that add coverage (libFuzzer's -merge=1), at most KEEP (200) of them, the
# shortest, so it stays small; the full working corpus stays in target/fuzz/corpus.
# Crashes land in fuzz/artifacts/<target>/; the script exits 1 when there is any.
#
#   fuzz/run.sh                      every target, 180 s each, one after the other
#   SECS=1800 fuzz/run.sh host       one target, 30 minutes
#   PAR=1 SECS=1800 fuzz/run.sh      every target at once (wall time SECS in all; on a
#                                    machine with fewer cores than targets each gets a
#                                    share of a core: compare the exec/s)
#   BUILD=0 ...                      use the binaries already built
#   NICE=10 ...                      run the fuzzers at that niceness (default 0)
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
    targets=(canonical_path host forward_auth config_check ceremony_json api_token cookie_token
        scim_filter scim_patch)
fi

export PATH="$root/target/tools/bin:$PATH"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --root "$root/target/tools"
fi
target_dir=$root/target/fuzz
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
if [ "${BUILD:-1}" != 0 ]; then
    cargo fuzz build --sanitizer none --target-dir "$target_dir"
fi

# Runs one target, then merges and trims its kept corpus; writes its summary line to
# $target_dir/<target>.summary.
run_one() {
    local t=$1
    local kept=$fuzz_dir/corpus/$t
    local work=$target_dir/corpus/$t
    mkdir -p "$kept" "$work" "$fuzz_dir/artifacts/$t"
    local log=$target_dir/$t.log
    echo "==> $t: $secs s ($(date -u +%T))"
    local status=0
    local start=$SECONDS
    # The built binary itself (`cargo fuzz run` would build first, and nine of them at
    # once would queue on cargo's lock or rebuild a changed tree).
    local bin=$target_dir/x86_64-unknown-linux-gnu/release/$t
    nice -n "${NICE:-0}" "$bin" -artifact_prefix="$fuzz_dir/artifacts/$t/" \
        -max_total_time="$secs" -print_final_stats=1 -max_len=4096 -timeout=10 \
        "$work" "$kept" > "$log" 2>&1 || status=$?
    local wall=$((SECONDS - start))
    local execs cov ft rate crashes size
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    crashes=$(find "$fuzz_dir/artifacts/$t" -type f | wc -l)
    # Keep what adds coverage.
    "$bin" -merge=1 "$kept" "$work" > "$target_dir/$t.merge.log" 2>&1 || true
    # Small in the repo: at most KEEP (default 200) inputs per target, the shortest.
    find "$kept" -type f -printf '%s %p\n' | sort -n | tail -n +"$((${KEEP:-200} + 1))" \
        | cut -d' ' -f2- | xargs -r rm --
    size=$(find "$kept" -type f | wc -l)
    local line="$t: ${execs:-?} executions in $wall s wall (${rate:-?} exec/s), cov ${cov:-?}, ft ${ft:-?}, corpus $size kept / $(find "$work" -type f | wc -l) working, crashes $crashes (exit $status)"
    echo "$line"
    echo "$line" > "$target_dir/$t.summary"
    if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
        return 1
    fi
}

echo "fuzz start ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
found=0
if [ "${PAR:-0}" != 0 ]; then
    pids=()
    for t in "${targets[@]}"; do
        run_one "$t" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do
        wait "$p" || found=1
    done
else
    for t in "${targets[@]}"; do
        run_one "$t" || found=1
    done
fi

echo
echo "fuzz summary ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)):"
for t in "${targets[@]}"; do
    echo "  $(cat "$target_dir/$t.summary" 2>/dev/null || echo "$t: no summary")"
done
exit "$found"
