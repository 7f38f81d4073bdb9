#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the suite in a release
# build, again under AddressSanitizer + UndefinedBehaviorSanitizer, and each
# libFuzzer target for FUZZ_SECONDS (default 60).
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
[[ "$quick" == "--quick" ]] && exit 0

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCT_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 900 -LE slow

echo "== libFuzzer targets"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCT_FUZZ=ON -DCT_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzzers
for fuzzer in build-fuzz/bin/*_fuzzer; do
  name=$(basename "$fuzzer")
  corpus=tests/fuzz/corpus/${name%_fuzzer}
  work=$(mktemp -d)
  [[ -d "$corpus" ]] && cp -r "$corpus"/. "$work"/
  echo "fuzzing $name for ${FUZZ_SECONDS:-60} s"
  "$fuzzer" -max_total_time="${FUZZ_SECONDS:-60}" -print_final_stats=1 "$work" 2>&1 | tail -n 12
  rm -rf "$work"
done
echo "== all tests passed"
