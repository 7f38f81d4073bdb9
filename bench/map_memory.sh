#!/usr/bin/env bash
# The map's memory bound (a benchmark, not a test).
#
# Maps one date directory of N certificates (ct-gen --clean --days 1: every
# certificate in one directory) with `ct-worker map`, once without a bound
# that it reaches (--memory-limit 64GiB) and once with --memory-limit LIMIT,
# R times each, from the page cache. Reports per mode the median wall time,
# certificates per second and the peak RSS (/usr/bin/time), the runs spilled,
# and whether the two oracle.out files are byte for byte the same (exit 1 if not).
#
#   bench/map_memory.sh [--certs N] [--limit SIZE] [--runs R] [--corpus DIR] [--build DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
certs=2000000
limit=256MiB
runs=3
corpus=""
build=build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --certs) certs=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "usage: $0 [--certs N] [--limit SIZE] [--runs R] [--corpus DIR] [--build DIR]" >&2
       exit 2 ;;
  esac
done
corpus=${corpus:-/tmp/ct-bench-onedir-$certs}

cmake --build "$build" --target ct-gen ct-worker >/dev/null
if [[ ! -f "$corpus/known-answers.json" ]]; then
  rm -rf "$corpus"
  "$build/bin/ct-gen" --out "$corpus" --certs "$certs" --clean --days 1 --as-of 2026-11-26 \
    --first-date 2026-11-26 --seed 1 >&2
fi
dir=$(find "$corpus" -mindepth 1 -maxdepth 1 -type d -name '20??-??-??' | sort | head -n 1)
cat "$dir"/*.pem >/dev/null  # into the page cache
sync

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# label limit: appends "label wall maxrss_kb runs_spilled" to $work/results,
# keeps the tally as $work/label.oracle.out
timed() {
  local label=$1 lim=$2 out
  rm -f "$dir"/oracle.out "$dir"/oracle.out.offsets
  out=$( { /usr/bin/time -f "TIME %e %M" "$build/bin/ct-worker" map --memory-limit "$lim" "$dir"; } 2>&1)
  local spilled
  spilled=$(grep -o '[0-9]* runs spilled' <<<"$out" | cut -d' ' -f1 || true)
  echo "$label $(grep '^TIME' <<<"$out" | cut -d' ' -f2-) ${spilled:-0}" >>"$work/results"
  cp "$dir/oracle.out" "$work/$label.oracle.out"
}
for ((r = 1; r <= runs; r++)); do
  timed unbounded 64GiB
  timed bounded "$limit"
done
rm -f "$dir"/oracle.out "$dir"/oracle.out.offsets

identical=yes
cmp -s "$work/unbounded.oracle.out" "$work/bounded.oracle.out" || identical=no
echo "map of $certs certificates in one directory ($dir), median of $runs runs"
for label in unbounded bounded; do
  grep "^$label " "$work/results" | sort -k2 -n | awk -v n="$runs" -v c="$certs" -v l="$limit" '
    { wall[NR] = $2; rss[NR] = $3; if ($3 > peak) peak = $3; spilled = $4 }
    END {
      m = wall[int((n + 1) / 2)]
      printf "  %-9s %-14s wall %6.2f s  %8.0f certs/s  peak RSS %6.1f MiB  runs spilled %s\n",
        $1, ($1 == "bounded" ? "--memory-limit " l : ""), m, c / m, peak / 1024, spilled
    }'
done
echo "  oracle.out identical: $identical"
[[ $identical == yes ]]
