#!/usr/bin/env bash
# Map throughput on PEM files against the same certificates in segment files
# (a benchmark, not a test).
#
# Generates a clean ct-gen corpus, writes it again as one <issuer>.ctseg per
# issuer and date (a copy, `ct-worker compact`ed), and maps both with `ct-worker map`,
# pinned to one CPU, from the page cache, alternating, R times each. Reports
# the medians: certificates per second, bytes read per certificate, and peak
# RSS. Both forms must count the same certificates.
#
#   bench/map_segments.sh [--certs N] [--runs R] [--corpus DIR] [--build DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
certs=300000
runs=3
corpus=""
build=build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --certs) certs=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "usage: $0 [--certs N] [--runs R] [--corpus DIR] [--build DIR]" >&2; exit 2 ;;
  esac
done
corpus=${corpus:-/tmp/ct-bench-clean-$certs}
segments=$corpus-segments

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j 2 --target ct-gen ct-worker >/dev/null
if [[ ! -f "$corpus/known-answers.json" ]]; then
  rm -rf "$corpus"
  "$build/bin/ct-gen" --out "$corpus" --certs "$certs" --clean --days 10 --as-of 2026-11-26 \
    --first-date 2026-11-26 --seed 1 >&2
fi
if [[ ! -f "$segments/.complete" ]]; then
  # The same certificates as segments: a copy of the corpus, compacted as an
  # operator migrates a data root (ct-worker compact, README "Segments").
  rm -rf "$segments"
  cp -r "$corpus" "$segments"
  rm -rf "$segments"/state
  "$build/bin/ct-worker" compact "$segments"/20??-??-?? >&2
  touch "$segments/.complete"
fi
dirs_of() { find "$1" -mindepth 1 -maxdepth 1 -type d -name '20??-??-??' | sort; }
mapfile -t pem_dirs < <(dirs_of "$corpus")
mapfile -t seg_dirs < <(dirs_of "$segments")
files_of() { find "$@" -maxdepth 1 -type f \( -name '*.pem' -o -name '*.cer' -o -name '*.ctseg' \); }
pem_bytes=$(files_of "${pem_dirs[@]}" | xargs cat | wc -c)
seg_bytes=$(files_of "${seg_dirs[@]}" | xargs cat | wc -c)
sync  # so that the map's fsyncs do not pay for flushing the generator's writes

cpu=$(( $(nproc) - 1 ))  # pin to the last CPU
results=$(mktemp)
trap 'rm -f "$results"' EXIT
clear_tallies() {
  local d
  for d in "$@"; do rm -f "$d/oracle.out" "$d/oracle.out.offsets"; done
}
timed() {  # label, dirs...: appends "label wall user sys maxrss_kb" to $results
  local label=$1; shift
  local out
  clear_tallies "$@"
  out=$( { /usr/bin/time -f "%e %U %S %M" taskset -c "$cpu" "$build/bin/ct-worker" map "$@" \
           >/dev/null; } 2>&1 | tail -n 1)
  echo "$label $out" >>"$results"
}
files_of "${pem_dirs[@]}" "${seg_dirs[@]}" | xargs cat >/dev/null  # into the page cache
for ((r = 1; r <= runs; r++)); do
  timed pem "${pem_dirs[@]}"
  timed segments "${seg_dirs[@]}"
done
count_new() { awk '{for (i = 1; i < NF; i++) if ($(i+1) == "new") s += $i} END {print s}'; }
clear_tallies "${pem_dirs[@]}" "${seg_dirs[@]}"
pem_counted=$("$build/bin/ct-worker" map "${pem_dirs[@]}" | count_new)
seg_counted=$("$build/bin/ct-worker" map "${seg_dirs[@]}" | count_new)
clear_tallies "${pem_dirs[@]}" "${seg_dirs[@]}"
if [[ "$pem_counted" != "$seg_counted" ]]; then
  echo "the forms disagree: $pem_counted certificates from PEM, $seg_counted from segments" >&2
  exit 1
fi

python3 - "$results" "$pem_bytes" "$seg_bytes" "$pem_counted" "$runs" "$corpus" <<'PY'
import statistics, sys
path, pem_bytes, seg_bytes, counted, runs, corpus = sys.argv[1:7]
nbytes = {"pem": int(pem_bytes), "segments": int(seg_bytes)}
counted = int(counted)
rows = {}
for line in open(path):
    label, wall, user, sys_, rss = line.split()
    rows.setdefault(label, []).append((float(wall), float(user) + float(sys_), int(rss)))
def med(label, i):
    return statistics.median(r[i] for r in rows[label])
print(f"corpus: {corpus}: {counted:,} certificates; median of {runs} runs, pinned to one CPU")
print(f"{'input':<10}{'MB':>8}{'bytes/cert':>12}{'wall s':>8}{'cpu s':>8}{'certs/s (wall)':>16}"
      f"{'certs/s (cpu)':>15}{'peak RSS':>11}")
for label in ("pem", "segments"):
    wall, cpu, rss = med(label, 0), med(label, 1), med(label, 2)
    print(f"{label:<10}{nbytes[label] / 1e6:>8,.0f}{nbytes[label] / counted:>12,.0f}{wall:>8.2f}"
          f"{cpu:>8.2f}{counted / wall:>16,.0f}{counted / max(cpu, 1e-9):>15,.0f}"
          f"{rss / 1024:>8.0f} MB")
print(f"segments / PEM: speed {med('pem', 0) / med('segments', 0):.2f}x, "
      f"bytes read {nbytes['segments'] / nbytes['pem']:.2f}x")
PY
