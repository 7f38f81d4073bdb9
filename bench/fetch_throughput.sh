#!/usr/bin/env bash
# ct-fetch at real CT volume, from loopback logs served by the Python test server
# (tests/fetch_log_server/ct_test_log_server.py). Two parts, in one run:
#
# 1. One log of ENTRIES real certificates (the 512 Navigli precertificate entries of
#    tests/data/ct/navigli2025h2, cycled by make_navigli_log.py --entries; they expired
#    on 2025-08-01, hence --include-expired), served through both APIs: RFC 6962
#    get-entries at BATCH entries a page (server --max-entries, ct-fetch --batch) and
#    static-ct-api data tiles (256 entries each). Per API and per run, in turn:
#      curl         the same pages / data tiles to /dev/null, PARALLEL at a time like
#                   ct-fetch's --parallel, gzip asked for as ct-fetch asks it: how fast
#                   the server serves at all;
#      ct-fetch     --once, verifying as always, writing the certificates to a data root;
#      certspotter  (RFC 6962 only; 0.16 has no tile client) with a generated v3 log
#                   list naming the log; it runs as a daemon, so it is stopped when it
#                   logs "finished downloading entries", its CPU time read from
#                   /proc/PID/stat just before. It checks the STH signature, the tree
#                   and parses every certificate and chain (against an empty watch
#                   list), but writes nothing.
#    Clients run on FETCH_CPU, the server on SERVER_CPU (taskset).
#
#    Summary table, per API, medians of RUNS runs:
#      entries/s           ct-fetch's entries / wall seconds
#      entries/cpu-s       ct-fetch's entries / (user + sys) CPU seconds (GNU time)
#      curl entries/s      the same for curl
#      wall/curl           ct-fetch wall / curl wall: how many times curl's time
#      certspotter e/cpu-s certspotter's entries / (utime + stime)
#      cpu-rate/certsp     ct-fetch entries/cpu-s / certspotter entries/cpu-s (> 1:
#                          ct-fetch spends less CPU per entry)
#      peak MiB            ct-fetch's largest peak RSS of the runs
#    Detail table, per API and client: the same rates, the median wall and CPU
#    seconds, the server's CPU seconds during the client's run (close to the wall
#    time: the server, not the client, is the bottleneck) and the client's peak RSS.
#
# 2. Four logs of MULTI_ENTRIES cycled Navigli entries, each served by its own server
#    process (all on SERVER_CPU, each with its own key), two of them answering every
#    request after DELAY_MS (--delay-ms): slow-rfc6962, slow-tiled, fast-rfc6962,
#    fast-tiled, listed in that order in a v3 log list (two operators: "logs" and
#    "tiled_logs"), followed by one ct-fetch --log-list --once. Per log, medians of
#    RUNS runs:
#      done s         seconds from ct-fetch's start to its final progress line for
#                     the log ("NAME: N / N entries ...", stderr, timestamped as read)
#      state s        seconds from the start to the last write of the log's state file
#                     (ROOT/state/*.json, mtime; matched by the URL it names)
#      server cpu s   that log's server CPU seconds during the run
#    then ct-fetch's total wall, CPU and peak RSS. A fetcher that follows the logs one
#    after the other finishes the fast logs only after the slow ones listed first.
#
# Usage:
#   bench/fetch_throughput.sh [BUILD_DIR]            # default: build
#   RUNS=1 bench/fetch_throughput.sh /work/main/build
#   ENTRIES=100000 BATCH=1000 PARALLEL=4 RUNS=3 FETCH_CPU=0 SERVER_CPU=1 \
#     MULTI_ENTRIES=20000 DELAY_MS=500 bench/fetch_throughput.sh build
#   LOG=generated [CERTS=91000] bench/fetch_throughput.sh   # part 1 on make_big_log.sh's log
#   LOG=generated BIG_LOG=DIR bench/fetch_throughput.sh     # ... reusing its output DIR
#   MULTI=0 bench/fetch_throughput.sh                      # part 1 only
#   FORMAT=pem bench/fetch_throughput.sh                   # every CT copy as PEM
#
# FORMAT (ct-fetch --format, default compact): on the cycled Navigli log all but
# the first 512 entries are duplicates, which the compact format looks up and
# skips; FORMAT=pem writes every entry (the cost of a write per entry), and
# LOG=generated writes distinct certificates in either format.
#
# LOG=generated serves tests/fetch_log_server/make_big_log.sh's ct-gen log instead
# (CERTS=91000: 100,981 entries, 9 % precertificates); part 2 stays on Navigli.
# Needs ct-fetch (and ct-gen for LOG=generated) in BUILD_DIR/bin, python3, openssl,
# curl, taskset, GNU time (/usr/bin/time) and certspotter (installed with apt-get if
# missing; CERTSPOTTER=none skips it). On two idle cores the default run (RUNS=3) takes
# 6 to 9 minutes, RUNS=1 2 to 3, depending on ct-fetch's speed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
log_kind=${LOG:-navigli}
entries_wanted=${ENTRIES:-100000}
format=${FORMAT:-compact}
certs=${CERTS:-91000}
runs=${RUNS:-3}
batch=${BATCH:-1000}
parallel=${PARALLEL:-4}
fetch_cpu=${FETCH_CPU:-0}
server_cpu=${SERVER_CPU:-1}
multi=${MULTI:-1}
multi_entries=${MULTI_ENTRIES:-20000}
delay_ms=${DELAY_MS:-500}
certspotter=${CERTSPOTTER:-certspotter}
navigli=tests/data/ct/navigli2025h2
server_py=tests/fetch_log_server/ct_test_log_server.py

work=$(mktemp -d)
declare -A server_pid=() server_url=() key_b64=() log_id=()
cs_pid=
cleanup() {
  local pid
  [[ -z $cs_pid ]] || kill "$cs_pid" 2>/dev/null || true
  for pid in "${server_pid[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
die() { echo "fetch_throughput.sh: $*" >&2; exit 1; }

# A copy, so that a rebuild during the run does not mix two binaries in one table.
[[ -x $build/bin/ct-fetch ]] || die "no $build/bin/ct-fetch"
cp "$build/bin/ct-fetch" "$work/ct-fetch"
ct_fetch=$work/ct-fetch
ct_fetch_built=$(date -u -r "$build/bin/ct-fetch" '+%F %T UTC')

if [[ $certspotter != none ]] && ! command -v "$certspotter" >/dev/null; then
  echo "installing certspotter ..." >&2
  apt-get install -y certspotter >/dev/null || true
  command -v "$certspotter" >/dev/null || { echo "no certspotter: its rows are skipped" >&2; certspotter=none; }
fi

# --- helpers -----------------------------------------------------------------

make_key() {  # NAME: NAME.pem, its SPKI (key_b64) and RFC 6962 log ID
  openssl ecparam -genkey -name prime256v1 -noout -out "$work/$1.pem"
  openssl pkey -in "$work/$1.pem" -pubout -outform DER >"$work/$1.spki"
  key_b64[$1]=$(base64 -w0 <"$work/$1.spki")
  log_id[$1]=$(openssl dgst -sha256 -binary <"$work/$1.spki" | base64 -w0)
}

start_server() {  # NAME LOG_DIR [server flags...]: serves LOG_DIR signed with NAME's key
  local name=$1 dir=$2 port
  shift 2
  taskset -c "$server_cpu" python3 "$server_py" --log-dir "$dir" --sign-key "$work/$name.pem" \
    --max-entries "$batch" --port 0 "$@" >"$work/$name.server" 2>&1 &
  server_pid[$name]=$!
  for _ in $(seq 1200); do
    grep -q '^listening' "$work/$name.server" && break
    kill -0 "${server_pid[$name]}" 2>/dev/null || { cat "$work/$name.server" >&2; die "server $name died"; }
    sleep 0.1
  done
  port=$(sed -n 's/^listening 127.0.0.1://p' "$work/$name.server")
  [[ -n $port ]] || die "server $name did not start"
  server_url[$name]=http://127.0.0.1:$port
}

server_cpu_seconds() {  # NAME: utime + stime of its server so far
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/${server_pid[$1]}/stat"
}

timed() {  # COMMAND...: runs it on FETCH_CPU under GNU time (into $work/time)
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" taskset -c "$fetch_cpu" "$@"
}
read_time() {  # sets t_wall, t_cpu (user + sys) and t_mib (peak RSS) from the last timed
  local user sys kib
  read -r t_wall user sys kib < <(tail -1 "$work/time")  # after "Command exited ..." if any
  t_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
  t_mib=$(awk -v k="$kib" 'BEGIN {printf "%.1f", k / 1024}')
}

# Of a space-separated list ("-" when empty).
median() { tr ' ' '\n' | awk NF | sort -g | awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : "-"}'; }
maximum() { tr ' ' '\n' | awk NF | sort -g | awk 'END {print NR ? $1 : "-"}'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / (s > 0 ? s : 0.01)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / (b > 0 ? b : 0.01)}'; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }

log_list_entry() {  # NAME API DESCRIPTION: one log of a v3 log list
  local name=$1 api=$2 desc=$3
  printf '{"description": "%s", "log_id": "%s", "key": "%s", "mmd": 86400, ' \
    "$desc" "${log_id[$name]}" "${key_b64[$name]}"
  if [[ $api == rfc6962 ]]; then
    printf '"url": "%s/", ' "${server_url[$name]}"
  else
    printf '"submission_url": "https://%s/", "monitoring_url": "%s", ' "$desc.bench.example" \
      "${server_url[$name]}"
  fi
  printf '"state": {"usable": {"timestamp": "2025-01-01T00:00:00Z"}}}'
}

# --- the log -------------------------------------------------------------------

case $log_kind in
  navigli)
    echo "making the log ($entries_wanted cycled Navigli entries) ..." >&2
    log_dir=$work/navigli
    python3 tests/fetch_log_server/make_navigli_log.py "$navigli" "$log_dir" \
      --entries "$entries_wanted" >/dev/null
    ;;
  generated)
    big=${BIG_LOG:-$work/big}
    if [[ ! -f "$big/log/log.json" ]]; then
      echo "generating the log ($certs certificates) ..." >&2
      bash tests/fetch_log_server/make_big_log.sh "$build/bin/ct-gen" "$big" "$certs" >/dev/null
    fi
    log_dir=$big/log
    ;;
  *) die "LOG=$log_kind: navigli or generated" ;;
esac
entries=$(wc -l <"$log_dir/entries.jsonl")
origin=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["origin"])' "$log_dir/log.json")
make_key main
start_server main "$log_dir"
url=${server_url[main]}

# URLs a client needs for the whole log: get-entries pages or data tiles.
: >"$work/rfc6962.urls"
for ((s = 0; s < entries; s += batch)); do
  e=$((s + batch - 1 < entries - 1 ? s + batch - 1 : entries - 1))
  printf 'url = "%s/ct/v1/get-entries?start=%d&end=%d"\noutput = "/dev/null"\n' "$url" "$s" "$e"
done >"$work/rfc6962.urls"
tile_path() {  # C2SP tile index path
  local n=$1 p
  p=$(printf %03d $((n % 1000)))
  for ((n /= 1000; n > 0; n /= 1000)); do p=$(printf x%03d/%s $((n % 1000)) "$p"); done
  echo "$p"
}
for ((t = 0; t * 256 < entries; t++)); do
  w=$((entries - t * 256 < 256 ? entries - t * 256 : 256))
  suffix=
  [[ $w -lt 256 ]] && suffix=.p/$w
  printf 'url = "%s/tile/data/%s%s"\noutput = "/dev/null"\n' "$url" "$(tile_path $t)" "$suffix"
done >"$work/tiled.urls"

mkdir -p "$work/cs-config"
: >"$work/cs-watchlist"
printf '{"version": "1", "log_list_timestamp": "2025-01-01T00:00:00Z", "operators": [{"name": "bench", "email": ["bench@example.com"], "logs": [%s], "tiled_logs": []}]}\n' \
  "$(log_list_entry main rfc6962 bench-rfc6962)" >"$work/certspotter-logs.json"

# --- the clients -----------------------------------------------------------------

run_curl() {  # API
  timed curl -s --no-progress-meter --compressed --parallel --parallel-max "$parallel" \
    -K "$work/$1.urls"
  read_time
}

run_ct_fetch() {  # API
  local args
  rm -rf "$work/root"
  if [[ $1 == rfc6962 ]]; then
    args=(--rfc6962-log "$url/")
  else
    args=(--tiled-log "$url" --origin "$origin")
  fi
  if ! timed "$ct_fetch" --data-dir "$work/root" "${args[@]}" --log-key "${key_b64[main]}" \
    --batch "$batch" --parallel "$parallel" --format "$format" --once --include-expired \
    2>"$work/fetch.err"; then
    cat "$work/fetch.err" >&2
    die "ct-fetch failed"
  fi
  read_time
  # The rates are per entry verified and written: say so if some were not written.
  written=$(sed -n 's/.*: \([0-9]*\) certificates written.*/\1/p' "$work/fetch.err" | tail -1)
  [[ $written == "$entries" ]] || echo "note: ct-fetch ($1) wrote ${written:-?} certificates of $entries entries" >&2
}

# certspotter is a daemon: it is stopped once it logs that it has downloaded (and
# verified) the whole log; its output is read through a FIFO, line by line.
run_certspotter() {
  local t0 line done_at="" hz fd
  hz=$(getconf CLK_TCK)
  rm -rf "$work/cs-state" "$work/cs.fifo"
  mkfifo "$work/cs.fifo"
  t0=$EPOCHREALTIME
  CERTSPOTTER_CONFIG_DIR=$work/cs-config taskset -c "$fetch_cpu" "$certspotter" \
    -logs "$work/certspotter-logs.json" -state_dir "$work/cs-state" -watchlist "$work/cs-watchlist" \
    -batch_size "$batch" -stdout -verbose >"$work/cs.fifo" 2>&1 &
  cs_pid=$!
  exec {fd}<"$work/cs.fifo"
  : >"$work/cs.out"
  while IFS= read -r -t 600 -u "$fd" line; do
    echo "$line" >>"$work/cs.out"
    if [[ $line == *"finished downloading entries"* ]]; then
      done_at=$EPOCHREALTIME
      break
    fi
  done
  if [[ -z $done_at ]]; then
    kill "$cs_pid" 2>/dev/null || true
    cat "$work/cs.out" >&2
    die "certspotter did not finish downloading"
  fi
  t_cpu=$(awk -v hz="$hz" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$cs_pid/stat")
  t_mib=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$cs_pid/status")
  t_wall=$(elapsed "$t0" "$done_at")
  kill "$cs_pid"
  cat <&"$fd" >/dev/null  # until it exits, so that it never blocks on a full FIFO
  exec {fd}<&-
  wait "$cs_pid" || true
  cs_pid=
}

clients=(curl ct-fetch)
[[ $certspotter != none ]] && clients+=(certspotter)
declare -A walls=() cpus=() mibs=() scpus=()
echo "part 1: $entries entries, $runs runs ..." >&2
for ((r = 0; r < runs; r++)); do
  for api in rfc6962 tiled; do
    for client in "${clients[@]}"; do
      [[ $client == certspotter && $api == tiled ]] && continue
      s0=$(server_cpu_seconds main)
      case $client in
        curl) run_curl "$api" ;;
        ct-fetch) run_ct_fetch "$api" ;;
        certspotter) run_certspotter ;;
      esac
      s1=$(server_cpu_seconds main)
      walls[$api/$client]+=" $t_wall"
      cpus[$api/$client]+=" $t_cpu"
      mibs[$api/$client]+=" $t_mib"
      scpus[$api/$client]+=" $(elapsed "$s0" "$s1")"
    done
  done
done
kill "${server_pid[main]}"
unset 'server_pid[main]'

wall_of() { median <<<"${walls[$1]:-}"; }
cpu_of() { median <<<"${cpus[$1]:-}"; }

echo
echo "ct-fetch: $build/bin/ct-fetch, built $ct_fetch_built, --format $format"
echo "$entries entries ($log_kind), batch $batch, parallel $parallel; medians of $runs runs;" \
  "clients on CPU $fetch_cpu, server on CPU $server_cpu"
printf '%-8s %10s %14s %15s %10s %20s %16s %9s\n' api "entries/s" "entries/cpu-s" \
  "curl entries/s" "wall/curl" "certspotter e/cpu-s" "cpu-rate/certsp" "peak MiB"
for api in rfc6962 tiled; do
  f_wall=$(wall_of "$api/ct-fetch")
  f_cpu=$(cpu_of "$api/ct-fetch")
  c_wall=$(wall_of "$api/curl")
  cs_rate=- cs_ratio=-
  if [[ -n ${cpus[$api/certspotter]:-} ]]; then
    cs_rate=$(rate "$entries" "$(cpu_of "$api/certspotter")")
    cs_ratio=$(ratio "$(rate "$entries" "$f_cpu")" "$cs_rate")
  fi
  printf '%-8s %10s %14s %15s %10s %20s %16s %9s\n' "$api" "$(rate "$entries" "$f_wall")" \
    "$(rate "$entries" "$f_cpu")" "$(rate "$entries" "$c_wall")" "$(ratio "$f_wall" "$c_wall")" \
    "$cs_rate" "$cs_ratio" "$(maximum <<<"${mibs[$api/ct-fetch]}")"
done
echo
printf '%-8s %-12s %10s %14s %8s %8s %13s %9s\n' api client "entries/s" "entries/cpu-s" \
  "wall s" "cpu s" "server cpu s" "peak MiB"
for api in rfc6962 tiled; do
  for client in "${clients[@]}"; do
    [[ -n ${walls[$api/$client]:-} ]] || continue
    printf '%-8s %-12s %10s %14s %8s %8s %13s %9s\n' "$api" "$client" \
      "$(rate "$entries" "$(wall_of "$api/$client")")" "$(rate "$entries" "$(cpu_of "$api/$client")")" \
      "$(wall_of "$api/$client")" "$(cpu_of "$api/$client")" "$(median <<<"${scpus[$api/$client]}")" \
      "$(maximum <<<"${mibs[$api/$client]}")"
  done
done

[[ $multi == 1 ]] || exit 0

# --- part 2: four logs, two of them slow ------------------------------------------

names=(slow-rfc6962 slow-tiled fast-rfc6962 fast-tiled)
echo "part 2: 4 logs of $multi_entries entries, $runs runs ..." >&2
python3 tests/fetch_log_server/make_navigli_log.py "$navigli" "$work/multi" \
  --entries "$multi_entries" >/dev/null
for name in "${names[@]}"; do
  make_key "$name"
  delay=0
  [[ $name == slow-* ]] && delay=$delay_ms
  start_server "$name" "$work/multi" --delay-ms "$delay" --origin "$name.bench.example"
done
# Two operators, so that the list order is slow-rfc6962, slow-tiled, fast-rfc6962, fast-tiled.
operator() {  # SPEED
  printf '{"name": "%s", "email": ["bench@example.com"], "logs": [%s], "tiled_logs": [%s]}' "$1" \
    "$(log_list_entry "$1-rfc6962" rfc6962 "$1-rfc6962")" "$(log_list_entry "$1-tiled" tiled "$1-tiled")"
}
printf '{"version": "1", "log_list_timestamp": "2025-01-01T00:00:00Z", "operators": [%s, %s]}\n' \
  "$(operator slow)" "$(operator fast)" >"$work/multi-logs.json"

stamp() { while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; }
declare -A done_s=() state_s=() mscpus=() cpu0=()
m_walls="" m_cpus="" m_mibs=""
for ((r = 0; r < runs; r++)); do
  rm -rf "$work/root"
  for name in "${names[@]}"; do cpu0[$name]=$(server_cpu_seconds "$name"); done
  t0=$EPOCHREALTIME
  if ! timed "$ct_fetch" --data-dir "$work/root" --log-list "$work/multi-logs.json" \
    --batch "$batch" --parallel "$parallel" --format "$format" --once --include-expired \
    2>&1 >/dev/null |
    stamp >"$work/multi.err"; then
    cat "$work/multi.err" >&2
    die "ct-fetch --log-list failed"
  fi
  read_time
  m_walls+=" $t_wall" m_cpus+=" $t_cpu" m_mibs+=" $t_mib"
  for name in "${names[@]}"; do
    mscpus[$name]+=" $(elapsed "${cpu0[$name]}" "$(server_cpu_seconds "$name")")"
    at=$(awk -v n="$name: $multi_entries / $multi_entries entries" \
      'index($0, " " n) == length($1) + 1 {print $1; exit}' "$work/multi.err")
    done_s[$name]+=" $([[ -n $at ]] && elapsed "$t0" "$at" || echo -)"
  done
  for f in "$work/root/state/"*.json; do
    u=$(sed -n 's/^ *"url": "\([^"]*\)".*/\1/p' "$f")
    for name in "${names[@]}"; do
      if [[ ${u%/} == "${server_url[$name]}" ]]; then
        state_s[$name]+=" $(elapsed "$t0" "$(stat -c %.3Y "$f")")"
      fi
    done
  done
done

echo
echo "4 logs of $multi_entries entries, one ct-fetch --log-list --once (batch $batch," \
  "parallel $parallel); slow: every response after $delay_ms ms; medians of $runs runs"
printf '%-14s %-8s %9s %8s %8s %13s\n' log api "delay ms" "done s" "state s" "server cpu s"
for name in "${names[@]}"; do
  delay=0
  [[ $name == slow-* ]] && delay=$delay_ms
  printf '%-14s %-8s %9s %8s %8s %13s\n' "$name" "${name#*-}" "$delay" \
    "$(median <<<"${done_s[$name]}")" "$(median <<<"${state_s[$name]:-}")" \
    "$(median <<<"${mscpus[$name]}")"
done
m_wall=$(median <<<"$m_walls")
m_cpu=$(median <<<"$m_cpus")
echo "total: wall $m_wall s ($(rate $((4 * multi_entries)) "$m_wall") entries/s)," \
  "ct-fetch cpu $m_cpu s ($(rate $((4 * multi_entries)) "$m_cpu") entries/cpu-s)," \
  "peak $(maximum <<<"$m_mibs") MiB"
