#!/usr/bin/env bash
# One big directory mapped whole on 1 worker vs split by issuer over 2
# workers (a benchmark, not a test; DESIGN.md §4 --split-bytes).
#
# A clean ct-gen corpus of 1,000,000 certificates in ONE date directory
# (--days 1, eight issuers) is mapped and reduced with `ct-coordinator run
# --once`:
#   - "whole": --local-workers 1 --split-bytes 0 (one map task), and
#   - "split": --local-workers 2 --split-bytes 256MiB (parts by issuer, merged
#     on the coordinator),
# alternating, from the page cache, oracle.out removed before each run. It
# prints each run's wall time, the medians, the map phase's medians (from
# the coordinator's log: queueing of the map tasks to the merge's end) and
# the speedups, and checks that both runs wrote the same oracle.out.
#
#   bench/map_split.sh [--certs N] [--runs R] [--corpus DIR] [--build DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
certs=1000000
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
corpus=${corpus:-/tmp/ct-bench-split-$certs}
date=2026-11-26

cmake --build "$build" --target ct-gen ct-worker ct-coordinator >/dev/null
if [[ ! -f "$corpus/known-answers.json" ]]; then
  rm -rf "$corpus"
  "$build/bin/ct-gen" --out "$corpus" --certs "$certs" --clean --days 1 --as-of "$date" \
    --first-date "$date" --seed 1 >&2
fi
dir="$corpus/$date"
echo "corpus: $(ls "$dir" | grep -c -E '\.(pem|cer|ctseg)$') files, $(du -sh "$dir" | cut -f1) in $dir" >&2
cat "$dir"/* >/dev/null  # into the page cache
sync

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# label, flags...: one `run --once`; prints "label wall map_seconds"
one_run() {
  local label=$1; shift
  rm -f "$dir/oracle.out" "$dir/oracle.out.offsets"
  rm -rf "$corpus/reports" "$corpus/state/map-parts"
  local start end
  start=$(date +%s.%N)
  "$build/bin/ct-coordinator" run --data-dir "$corpus" --as-of "$date" --once \
    --bind tcp://127.0.0.1:0 --out "$work/out-$label" "$@" >"$work/$label.log" 2>&1 \
    || { cat "$work/$label.log" >&2; exit 1; }
  end=$(date +%s.%N)
  cp "$dir/oracle.out" "$work/oracle-$label"
  # The map phase: from the "to map" line to the reduce's first line.
  local map_s
  map_s=$(awk '
    function t(s) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
    / to map / && !m { m = t($2) }
    m && /(shard|reduce|snapshot)/ && !/ to map / { print t($2) - m; exit }' "$work/$label.log")
  echo "$label $(echo "$end - $start" | bc) ${map_s:-?}"
}

results="$work/results"
for ((r = 1; r <= runs; r++)); do
  one_run whole --local-workers 1 --split-bytes 0 | tee -a "$results"
  one_run split --local-workers 2 --split-bytes 256MiB | tee -a "$results"
  cmp -s "$work/oracle-whole" "$work/oracle-split" || { echo "oracle.out differ" >&2; exit 1; }
done
grep -c "in [0-9]* parts by issuer" "$work/split.log" >/dev/null ||
  { echo "the split run did not split" >&2; exit 1; }
grep "parts by issuer" "$work/split.log" | sed 's/.*\] /split: /' >&2
python3 - "$results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(label, col):
    v = [float(r[col]) for r in rows if r[0] == label and r[col] != "?"]
    return statistics.median(v) if v else float("nan")
w, s = med("whole", 1), med("split", 1)
mw, ms = med("whole", 2), med("split", 2)
print(f"run --once wall, median of {sum(r[0] == 'whole' for r in rows)}: "
      f"1 worker whole {w:.2f} s, 2 workers split {s:.2f} s: {w / s:.2f}x")
print(f"map phase: 1 worker {mw:.2f} s, 2 workers split {ms:.2f} s: {mw / ms:.2f}x")
print("oracle.out: identical")
EOF
