#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the suite in a release
# build, again under AddressSanitizer + UndefinedBehaviorSanitizer, and each
# libFuzzer target for FUZZ_SECONDS (default: 100 s of fuzzing wall time shared
# by the targets, one per core at a time, at most 60 s each).
#   tests/run_all.sh           everything (what CI runs)
#   tests/run_all.sh --quick   the release suite only
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
jobs=$(nproc)
bash deploy/install-deps.sh

echo "== release build and tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 600
# A test that cannot run on this machine exits 77 (Skipped) and says why.
grep -h "^SKIPPED: " build/Testing/Temporary/LastTest.log 2>/dev/null || true
[[ "$quick" == "--quick" ]] && exit 0

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests, at -O0"
# -O0, as a Debug build compiles: without inlining, the linker keeps one copy
# of each inline function, which is where an ODR violation (two types of one
# name) turns into a crash that the release build hides. No debug info:
# sanitizer reports still name functions, and the build links far faster.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O0 -g0" \
  -DCT_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900 -LE 'slow|browser'

echo "== libFuzzer targets"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCT_FUZZ=ON -DCT_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzzers
# One fuzzer per core at a time; each runs FUZZ_SECONDS and must end without a finding.
# The fuzzing phase has a fixed wall-time budget (CI has 2 cores and a time
# limit): a new target shortens every target's run instead of adding a round.
# 7 targets on 2 cores: 4 rounds of 25 s (100 s: CI's 30 minutes on 2 cores
# also hold two full builds and two passes of the suite).
fuzzers=(build-fuzz/bin/*_fuzzer)
rounds=$(( (${#fuzzers[@]} + jobs - 1) / jobs ))
fuzz_seconds=${FUZZ_SECONDS:-$(( 100 / rounds < 60 ? 100 / rounds : 60 ))}
fuzz_logs=$(mktemp -d)
run_fuzzer() {
  local fuzzer=$1 name corpus work
  name=$(basename "$fuzzer")
  corpus=tests/fuzz/corpus/${name%_fuzzer}
  work=$(mktemp -d)
  [[ -d "$corpus" ]] && cp -r "$corpus"/. "$work"/
  "$fuzzer" -max_total_time="$fuzz_seconds" -print_final_stats=1 \
    -artifact_prefix="$fuzz_logs/$name-" "$work" >"$fuzz_logs/$name.log" 2>&1
  local rc=$?
  rm -rf "$work"
  return $rc
}
pids=()
names=()
for fuzzer in "${fuzzers[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do sleep 1; done
  echo "fuzzing $(basename "$fuzzer") for $fuzz_seconds s"
  run_fuzzer "$fuzzer" &
  pids+=($!)
  names+=("$(basename "$fuzzer")")
done
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "FINDING in ${names[$i]}:"; tail -n 40 "$fuzz_logs/${names[$i]}.log"; failed=1
  else
    grep -E "^Done [0-9]+ runs" "$fuzz_logs/${names[$i]}.log" | sed "s/^/${names[$i]}: /"
  fi
done
rm -rf "$fuzz_logs"
[[ $failed -eq 0 ]] || exit 1
echo "== all tests passed"
