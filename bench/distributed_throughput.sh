#!/usr/bin/env bash
# The distributed run (a benchmark, not a test):
#   1. dispatch rate: map tasks per second the coordinator hands out when every
#      task is trivial (2,000 date directories holding one empty .pem each);
#   2. map throughput with 1 and with 2 single-threaded workers on a clean
#      1,000,000-certificate corpus over 40 date directories (small tasks, so
#      that the last task's tail does not hide the scaling), and the speed-up.
#
#   bench/distributed_throughput.sh [--certs N] [--build DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
certs=1000000
build=build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --certs) certs=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "usage: $0 [--certs N] [--build DIR]" >&2; exit 2 ;;
  esac
done
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target ct-gen ct-worker ct-coordinator >/dev/null
bin=$build/bin
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Seconds of the map phase in a coordinator log: from the cycle's start line to
# the last "map ... done" line (glog timestamps).
map_phase() {
  python3 - "$1" <<'PY'
import re, sys
from datetime import datetime
stamps = []
for line in open(sys.argv[1]):
    m = re.match(r"I\d{8} (\d\d:\d\d:\d\d\.\d+)", line)
    if m and (" to map" in line or (" map " in line and " done " in line)):
        stamps.append(datetime.strptime(m.group(1), "%H:%M:%S.%f"))
print((stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else float("nan"))
PY
}

# run ROOT WORKERS: one coordinator cycle with WORKERS single-threaded workers;
# prints "total_seconds map_phase_seconds".
run() {
  local root=$1 workers=$2 endpoint pids=() start end
  endpoint=tcp://127.0.0.1:$(port)
  start=$(date +%s.%N)
  "$bin/ct-coordinator" run --data-dir "$root" --as-of 2026-11-26 --bind "$endpoint" --once \
    >"$work/coordinator.log" 2>&1 &
  local coordinator=$!
  for ((i = 0; i < workers; i++)); do
    "$bin/ct-worker" --connect "$endpoint" --threads 1 >"$work/worker$i.log" 2>&1 &
    pids+=($!)
  done
  wait "$coordinator"
  end=$(date +%s.%N)
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  echo "$(python3 -c "print($end - $start)") $(map_phase "$work/coordinator.log")"
}

# 1. Dispatch rate.
empty=$work/empty
for ((d = 0; d < 2000; d++)); do
  dir=$empty/$(date -u -d "2026-11-26 + $d days" +%F)
  mkdir -p "$dir" && : >"$dir/x.pem"
done
read -r total mapping < <(run "$empty" 2)
echo "dispatch: 2000 map tasks on empty directories with 2 workers: map phase ${mapping} s" \
  "($(python3 -c "print(int(2000 / $mapping))") tasks/s; each task commits an oracle.out with" \
  "fsync), whole cycle with the reduce and reports ${total} s"

# 2. Map throughput, 1 vs 2 workers.
corpus=/tmp/ct-bench-clean-$certs-40days
if [[ ! -f "$corpus/known-answers.json" ]]; then
  rm -rf "$corpus"
  "$bin/ct-gen" --out "$corpus" --certs "$certs" --clean --days 40 --as-of 2026-11-26 \
    --first-date 2026-11-26 --seed 1 >&2
fi
cat "$corpus"/20*/*.pem >/dev/null
sync
declare -A total map
for workers in 1 2 1 2 1 2; do
  rm -f "$corpus"/20*/oracle.out "$corpus"/20*/oracle.out.offsets
  rm -rf "$corpus/state"
  read -r t m < <(run "$corpus" "$workers")
  total[$workers]+="$t "
  map[$workers]+="$m "
done
python3 - "$certs" "${map[1]}" "${map[2]}" "${total[1]}" "${total[2]}" <<'PY'
import statistics, sys
certs = int(sys.argv[1])
m1, m2, t1, t2 = (statistics.median(map(float, a.split())) for a in sys.argv[2:6])
print(f"{certs:,} certificates, 40 directories, single-threaded workers (median of 3):")
print(f"  map phase, 1 worker : {m1:6.2f} s {certs / m1:>10,.0f} certs/s")
print(f"  map phase, 2 workers: {m2:6.2f} s {certs / m2:>10,.0f} certs/s   speed-up {m1 / m2:.2f}x")
print(f"  whole cycle (map, tree reduce, reports): 1 worker {t1:.2f} s, 2 workers {t2:.2f} s")
PY
