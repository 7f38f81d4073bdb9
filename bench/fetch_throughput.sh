#!/usr/bin/env bash
# ct-fetch throughput from a loopback log: entries/s through each API, with
# verification on (as always), ct-fetch pinned to one core, against a baseline
# measured in the same run: curl fetching the same get-entries pages / data tiles
# to /dev/null (the test server's own serving rate). Medians of RUNS runs, plus
# ct-fetch's CPU time and peak RSS and the server's CPU time per run.
#
# Usage:
#   bench/fetch_throughput.sh [BUILD_DIR]            # default: build
#   CERTS=91000 RUNS=3 FETCH_CPU=0 SERVER_CPU=1 bench/fetch_throughput.sh build
#   BIG_LOG=DIR bench/fetch_throughput.sh             # reuse a make_big_log.sh output
#
# Needs ct-fetch and ct-gen in BUILD_DIR/bin, python3, openssl, curl, taskset and
# GNU time (/usr/bin/time). The log is tests/fetch_log_server/make_big_log.sh's
# (CERTS=91000: 100,981 entries, 9 % precertificates). The server is the Python
# test server (ct_test_log_server.py), pinned to SERVER_CPU: when its CPU time per
# run is close to the run's wall time, the server, not ct-fetch, is the bottleneck,
# and the baseline row says how fast it can serve at all.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
certs=${CERTS:-91000}
runs=${RUNS:-3}
fetch_cpu=${FETCH_CPU:-0}
server_cpu=${SERVER_CPU:-1}
work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

log_root=${BIG_LOG:-$work/big}
if [[ ! -f "$log_root/log/log.json" ]]; then
  echo "generating the log ($certs certificates) ..." >&2
  bash tests/fetch_log_server/make_big_log.sh "$build/bin/ct-gen" "$log_root" "$certs" >/dev/null
fi
entries=$(wc -l <"$log_root/log/entries.jsonl")
origin=ct-gen.example/big-log

openssl ecparam -genkey -name prime256v1 -noout -out "$work/key.pem"
key=$(openssl pkey -in "$work/key.pem" -pubout -outform DER | base64 -w0)
taskset -c "$server_cpu" python3 tests/fetch_log_server/ct_test_log_server.py \
  --log-dir "$log_root/log" --sign-key "$work/key.pem" --port 0 >"$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 600); do grep -q listening "$work/server.out" && break; sleep 0.1; done
port=$(sed -n 's/^listening 127.0.0.1://p' "$work/server.out")
url=http://127.0.0.1:$port

server_cpu_seconds() {  # utime + stime of the server, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server_pid/stat"
}
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# URLs a client needs for the whole log: get-entries pages or data tiles.
: >"$work/rfc6962.urls"
for ((s = 0; s < entries; s += 256)); do
  e=$((s + 255 < entries - 1 ? s + 255 : entries - 1))
  echo "url = \"$url/ct/v1/get-entries?start=$s&end=$e\"" >>"$work/rfc6962.urls"
  echo "output = \"/dev/null\"" >>"$work/rfc6962.urls"
done
tile_path() {  # C2SP tile index path
  local n=$1 p
  p=$(printf %03d $((n % 1000)))
  for ((n /= 1000; n > 0; n /= 1000)); do p=$(printf x%03d/%s $((n % 1000)) "$p"); done
  echo "$p"
}
: >"$work/tiled.urls"
for ((t = 0; t * 256 < entries; t++)); do
  w=$((entries - t * 256 < 256 ? entries - t * 256 : 256))
  suffix=$([[ $w -lt 256 ]] && echo ".p/$w" || true)
  echo "url = \"$url/tile/data/$(tile_path $t)$suffix\"" >>"$work/tiled.urls"
  echo "output = \"/dev/null\"" >>"$work/tiled.urls"
done

printf '%-9s %-9s %10s %14s %8s %13s %13s %9s\n' api what "entries/s" "entries/cpu-s" "wall s" "client cpu s" "server cpu s" "peak MiB"
for api in rfc6962 tiled; do
  for what in baseline ct-fetch; do
    rates=() cpu_rates=() walls=() cpus=() scpus=() rss=()
    for ((r = 0; r < runs; r++)); do
      s0=$(server_cpu_seconds)
      if [[ $what == baseline ]]; then
        # Same pages, 4 at a time like ct-fetch's --parallel 4, gzip asked for.
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" taskset -c "$fetch_cpu" \
          curl -s --no-progress-meter --compressed --parallel --parallel-max 4 -K "$work/$api.urls"
      else
        rm -rf "$work/root"
        if [[ $api == rfc6962 ]]; then
          args=(--rfc6962-log "$url/")
        else
          args=(--tiled-log "$url" --origin "$origin")
        fi
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" taskset -c "$fetch_cpu" \
          "$build/bin/ct-fetch" --data-dir "$work/root" "${args[@]}" --log-key "$key" \
          --once --include-expired 2>"$work/fetch.err" ||
          { cat "$work/fetch.err" >&2; exit 1; }
      fi
      read -r wall user sys maxrss <"$work/time"
      s1=$(server_cpu_seconds)
      walls+=("$wall")
      rates+=("$(awk -v n="$entries" -v w="$wall" 'BEGIN {printf "%.0f", n / w}')")
      cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')")
      cpu_rates+=("$(awk -v n="$entries" -v c="${cpus[-1]}" 'BEGIN {printf "%.0f", n / (c > 0 ? c : 0.01)}')")
      scpus+=("$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.2f", b - a}')")
      rss+=("$(awk -v k="$maxrss" 'BEGIN {printf "%.1f", k / 1024}')")
    done
    printf '%-9s %-9s %10s %14s %8s %13s %13s %9s\n' "$api" "$what" \
      "$(printf '%s\n' "${rates[@]}" | median)" "$(printf '%s\n' "${cpu_rates[@]}" | median)" \
      "$(printf '%s\n' "${walls[@]}" | median)" \
      "$(printf '%s\n' "${cpus[@]}" | median)" "$(printf '%s\n' "${scpus[@]}" | median)" \
      "$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)"
  done
done
echo "($entries entries, medians of $runs runs; client pinned to CPU $fetch_cpu, server to CPU $server_cpu;" \
  "peak MiB is the largest of the runs)"
