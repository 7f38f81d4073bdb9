#!/usr/bin/env bash
# The whole pipeline at scale (a benchmark, not a test): ct-gen makes a clean
# corpus (default 10,000,000 certificates over 120 days), then one
# `ct-coordinator run --local-workers 2 --once` maps it, reduces it and writes
# the reports. Prints a Markdown table: wall time per phase, CPU-seconds per
# certificate and the peak RSS of every process (both from /proc, sampled every
# 0.2 s, so the last 0.2 s of a process may be missed), and
# bytes of oracle.out per input byte. `cat` of the same files is the baseline.
#
#   bench/scale_run.sh [--certs N] [--days D] [--dir DIR] [--build DIR] [--keep]
#
# Needs about 1.8 KB of disk per certificate in DIR (default /var/tmp/ctmr-scale).
set -euo pipefail
cd "$(dirname "$0")/.."
certs=10000000
days=120
dir=/var/tmp/ctmr-scale
build=build
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --certs) certs=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--certs N] [--days D] [--dir DIR] [--build DIR] [--keep]" >&2; exit 2 ;;
  esac
done
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target ct-gen ct-worker ct-coordinator >/dev/null
bin=$(cd "$build/bin" && pwd)
as_of=2026-11-26
first=$(date -u -d "$as_of - 10 days" +%F)
rm -rf "$dir" && mkdir -p "$dir"
[[ $keep == 1 ]] || trap 'rm -rf "$dir"' EXIT
root=$dir/root

# Every 0.2 s until $1 exists, for each ct-* process whose command line names
# this run's data root: "pid name VmHWM_kB cpu_ticks" (utime + stime).
sample_procs() {
  local stop=$1 out=$2 pid
  : >"$out"
  while [[ ! -e $stop ]]; do
    for pid in $(pgrep -f "^[^ ]*ct-(coordinator|worker) .*$root" || true); do
      awk -v pid="$pid" -v ticks="$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null)" \
        '/^Name:/{n=$2} /^VmHWM:/{h=$2} END{if (h) print pid, n, h, ticks}' \
        "/proc/$pid/status" 2>/dev/null || true
    done >>"$out"
    sleep 0.2
  done
}
peaks() {  # per process: the largest VmHWM seen (MiB) and its CPU seconds
  local hz
  hz=$(getconf CLK_TCK)
  sort -k1,1n -k3,3n "$1" | awk -v hz="$hz" '{peak[$1]=$3; name[$1]=$2; if ($4 > cpu[$1]) cpu[$1]=$4}
    END{for (p in peak) printf "%s pid %s: peak RSS %.0f MiB, CPU %.1f s\n", name[p], p,
        peak[p]/1024, cpu[p]/hz}' | sort
}
timed() {  # timed LABEL CMD...: runs CMD under /usr/bin/time; appends "LABEL wall user sys maxrss_kB"
  local label=$1; shift
  /usr/bin/time -f "$label %e %U %S %M" -a -o "$dir/times" "$@"
}

echo "== ct-gen: $certs certificates over $days days (from $first)" >&2
timed ct-gen "$bin/ct-gen" --out "$root" --certs "$certs" --days "$days" --first-date "$first" \
  --as-of "$as_of" --clean --answers "$dir/known-answers.json" >/dev/null
input_bytes=$(find "$root" -name '*.pem' -printf '%s\n' | awk '{s+=$1} END{printf "%.0f\n", s}')
sync
echo "== baseline: cat of the same files" >&2
timed cat find "$root" -name '*.pem' -exec cat {} + >/dev/null

echo "== ct-coordinator run --local-workers 2 --once" >&2
sample_procs "$dir/stop" "$dir/procs" &
sampler=$!
timed run "$bin/ct-coordinator" run --data-dir "$root" --as-of "$as_of" --local-workers 2 --once \
  >"$dir/run.log" 2>&1
touch "$dir/stop"
wait "$sampler"
oracle_bytes=$(find "$root" -name oracle.out -printf '%s\n' | awk '{s+=$1} END{printf "%.0f\n", s}')

# Phases from the coordinator's glog lines: map = first "to map" to the last
# "map ... done"; reduce + reports = from then to the end of the run.
python3 - "$dir" "$certs" "$input_bytes" "$oracle_bytes" <<'PY'
import json, re, subprocess, sys
from datetime import datetime
d, certs, input_bytes, oracle_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
times = {}
for line in open(f"{d}/times"):
    label, wall, user, sys_, rss = line.split()
    times[label] = (float(wall), float(user) + float(sys_), int(rss))
stamps, first_map, last_map = [], None, None
for line in open(f"{d}/run.log"):
    m = re.match(r"[IWE]\d{8} (\d\d:\d\d:\d\d\.\d+)", line)
    if not m:
        continue
    t = datetime.strptime(m.group(1), "%H:%M:%S.%f")
    stamps.append(t)
    if " to map" in line and first_map is None:
        first_map = t
    if " map " in line and " done " in line:
        last_map = t
wall, _, _ = times["run"]
hz = int(subprocess.check_output(["getconf", "CLK_TCK"]))
cpu_by_pid = {}
for line in open(f"{d}/procs"):
    pid, _, _, ticks = line.split()
    cpu_by_pid[pid] = max(cpu_by_pid.get(pid, 0), int(ticks))
cpu = sum(cpu_by_pid.values()) / hz
map_s = (last_map - first_map).total_seconds() if first_map and last_map else float("nan")
reduce_s = (stamps[-1] - last_map).total_seconds() if last_map else float("nan")
summary = json.load(open(f"{d}/root/reports/summary.json"))
answers = json.load(open(f"{d}/known-answers.json"))
same = all(summary["totals"][k] == v for k, v in answers["totals"].items())
print(f"| certificates | {certs:,} |")
print(f"| input | {input_bytes / 2**30:.2f} GiB of PEM |")
print(f"| ct-gen | {times['ct-gen'][0]:.0f} s |")
print(f"| cat of the input (baseline) | {times['cat'][0]:.1f} s |")
print(f"| run, wall | {wall:.1f} s ({certs / wall:,.0f} certs/s) |")
print(f"| map phase | {map_s:.1f} s ({certs / map_s:,.0f} certs/s) |")
print(f"| reduce + reports | {reduce_s:.1f} s |")
print(f"| CPU, coordinator + workers (sampled) | {cpu:.1f} s = {cpu / certs * 1e6:.2f} µs per certificate |")
print(f"| coordinator peak RSS (exact, /usr/bin/time) | {times['run'][2] / 1024:.0f} MiB |")
print(f"| oracle.out | {oracle_bytes / 2**20:.1f} MiB = {oracle_bytes / input_bytes:.4f} bytes per input byte |")
print(f"| totals equal ct-gen's answers | {'yes' if same else 'NO'} |")
PY
echo
echo "per process (sampled every 0.2 s):"
peaks "$dir/procs"
