#!/usr/bin/env bash
# Map throughput on one core (a benchmark, not a test).
#
# Maps a clean corpus of 1,000,000 certificates (ct-gen --clean) with
# `ct-worker map`, pinned to one CPU, from the page cache, and reports the
# median of several runs beside two baselines measured in the same run:
#   - `cat` of the same files (the cost of just reading the bytes), and
#   - the OpenSSL-only decoding path (`ct-worker map --openssl-only`), on the
#     first directory only (about a tenth: OpenSSL is that much slower).
#
# With --baseline-build DIR, the ct-worker of another build (an older commit,
# built by the caller) maps the same corpus in the same rounds, and the
# ratio of the two is printed: "does this change keep the map's speed".
#
#   bench/map_throughput.sh [--certs N] [--runs R] [--corpus DIR] [--build DIR]
#                           [--baseline-build DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
certs=1000000
runs=5
corpus=""
build=build
baseline=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --certs) certs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --baseline-build) baseline=$2; shift 2 ;;
    *) echo "usage: $0 [--certs N] [--runs R] [--corpus DIR] [--build DIR] [--baseline-build DIR]" >&2
       exit 2 ;;
  esac
done
corpus=${corpus:-/tmp/ct-bench-clean-$certs}

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target ct-gen ct-worker >/dev/null
if [[ ! -f "$corpus/known-answers.json" ]]; then
  rm -rf "$corpus"
  "$build/bin/ct-gen" --out "$corpus" --certs "$certs" --clean --days 10 --as-of 2026-11-26 \
    --first-date 2026-11-26 --seed 1 >&2
fi
mapfile -t dirs < <(find "$corpus" -mindepth 1 -maxdepth 1 -type d -name '20??-??-??' | sort)
mapfile -t files < <(find "${dirs[@]}" -maxdepth 1 -type f \( -name '*.pem' -o -name '*.cer' \))
bytes=$(cat "${files[@]}" | wc -c)
cat "${files[@]}" >/dev/null  # into the page cache
sync  # so that the map's fsyncs do not pay for flushing the generator's writes

cpu=$(( $(nproc) - 1 ))  # pin to the last CPU
results=$(mktemp)
trap 'rm -f "$results"' EXIT
timed() {  # label, command...: appends "label wall user sys maxrss_kb" to $results
  local label=$1; shift
  local out
  out=$( { /usr/bin/time -f "%e %U %S %M" taskset -c "$cpu" "$@" >/dev/null; } 2>&1 | tail -n 1)
  echo "$label $out" >>"$results"
}
clear_tallies() { rm -f "${dirs[@]/%//oracle.out}" "${dirs[@]/%//oracle.out.offsets}"; }

for ((r = 1; r <= runs; r++)); do
  timed cat cat "${files[@]}"
  clear_tallies
  timed map "$build/bin/ct-worker" map "${dirs[@]}"
  clear_tallies
  if [[ -n "$baseline" ]]; then
    timed baseline "$baseline/bin/ct-worker" map "${dirs[@]}"
    clear_tallies
  fi
  timed openssl "$build/bin/ct-worker" map --openssl-only "${dirs[0]}"
done
# Distinct certificates counted (from the last map), and blocks read.
clear_tallies
count_new() { awk '{for (i = 1; i < NF; i++) if ($(i+1) == "new") s += $i} END {print s}'; }
counted=$("$build/bin/ct-worker" map "${dirs[@]}" | count_new)
clear_tallies
counted_first=$("$build/bin/ct-worker" map "${dirs[0]}" | count_new)

python3 - "$results" "$bytes" "$counted" "$corpus" "$runs" "$counted_first" <<'PY'
import json, statistics, sys
path, nbytes, counted, corpus, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
counted_first = int(sys.argv[6])
answers = json.load(open(f"{corpus}/known-answers.json"))
blocks = answers.get("certificate_blocks_written", counted)
rows = {}
for line in open(path):
    label, wall, user, sys_, rss = line.split()
    rows.setdefault(label, []).append((float(wall), float(user) + float(sys_), int(rss)))
def med(label, i):
    return statistics.median(r[i] for r in rows[label])
print(f"corpus: {corpus}: {counted:,} certificates in {blocks:,} PEM/DER blocks, "
      f"{nbytes / 1e6:,.0f} MB; median of {runs} runs, pinned to one CPU")
print(f"{'path':<22}{'wall s':>8}{'cpu s':>8}{'certs/s (wall)':>16}{'certs/s (cpu)':>15}"
      f"{'MB/s':>8}{'peak RSS':>11}")
for label, name in (("cat", "cat (read only)"), ("map", "ct-worker map"),
                    ("openssl", "map --openssl-only")):
    wall, cpu, rss = med(label, 0), med(label, 1), med(label, 2)
    n = counted_first if label == "openssl" else counted
    share = n / counted  # the OpenSSL run reads only the first directory
    rate = f"{'':>16}{'':>15}" if label == "cat" else f"{n / wall:>16,.0f}{n / max(cpu, 1e-9):>15,.0f}"
    print(f"{name:<22}{wall:>8.2f}{cpu:>8.2f}{rate}{nbytes * share / 1e6 / wall:>8,.0f}"
          f"{rss / 1024:>9.0f} MB")
fast = counted / med("map", 0)
slow = counted_first / med("openssl", 0)
if "baseline" in rows:
    print(f"{'baseline ct-worker map':<22}{med('baseline', 0):>8.2f}{med('baseline', 1):>8.2f}"
          f"{counted / med('baseline', 0):>16,.0f}{counted / max(med('baseline', 1), 1e-9):>15,.0f}"
          f"{nbytes / 1e6 / med('baseline', 0):>8,.0f}{med('baseline', 2) / 1024:>9.0f} MB")
    print(f"this build / baseline: {med('baseline', 1) / med('map', 1):.3f}x the speed per CPU-second "
          f"(cpu {med('map', 1):.2f} s against {med('baseline', 1):.2f} s)")
print(f"ratios: map wall / cat wall = {med('map', 0) / max(med('cat', 0), 1e-9):.1f}x; "
      f"map speed / OpenSSL-only speed = {fast / slow:.1f}x")
PY
