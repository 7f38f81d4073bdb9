#!/usr/bin/env bash
# How long ct-fetch takes to give up on a hostile log server, and its peak RSS:
# the timings tests/fetcher/fetch_hostile_test.cc prints but does not assert
# (a test decides from events, e.g. the requests the server counted; a time
# depends on the machine). Each row is one `ct-fetch --once` run against
# tests/fetch_log_server/ct_test_log_server.py on 127.0.0.1, with the budget
# the run should stay within on an unloaded machine.
#
# Usage:
#   bench/hostile_fetch_timing.sh [BUILD_DIR]        # default: build
#   CERTS=2000 bench/hostile_fetch_timing.sh build
#
# Needs ct-fetch and ct-gen in BUILD_DIR/bin, python3, openssl and GNU time
# (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
certs=${CERTS:-2000}
work=$(mktemp -d)
server_pid=
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

bash tests/fetch_log_server/make_big_log.sh "$build/bin/ct-gen" "$work/gen" "$certs" >/dev/null
origin=ct-gen.example/big-log
openssl ecparam -genkey -name prime256v1 -noout -out "$work/key.pem"
key=$(openssl pkey -in "$work/key.pem" -pubout -outform DER | base64 -w0)

url=
start_server() {  # FLAGS...; sets url
  stop_server
  python3 tests/fetch_log_server/ct_test_log_server.py --log-dir "$work/gen/log" \
    --sign-key "$work/key.pem" --port 0 "$@" >"$work/server.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 600); do grep -q listening "$work/server.out" && break; sleep 0.1; done
  url=http://127.0.0.1:$(sed -n 's/^listening 127.0.0.1://p' "$work/server.out")
}

fetch() {  # API ROOT EXTRA...; prints "exit wall_s peak_MiB"
  local api=$1 root=$2
  shift 2
  local args
  if [[ $api == rfc6962 ]]; then
    args=(--rfc6962-log "$url/")
  else
    args=(--tiled-log "$url" --origin "$origin")
  fi
  local code=0
  /usr/bin/time -f "%e %M" -o "$work/time" "$build/bin/ct-fetch" --data-dir "$root" \
    "${args[@]}" --log-key "$key" --once --include-expired "$@" >/dev/null 2>&1 || code=$?
  # GNU time writes "Command exited with non-zero status N" first.
  read -r wall maxrss < <(tail -n 1 "$work/time")
  echo "$code $wall $(awk -v k="$maxrss" 'BEGIN {printf "%.1f", k / 1024}')"
}

row() {  # CASE API BUDGET "exit wall peak"
  local exit_code wall peak
  read -r exit_code wall peak <<<"$4"
  printf '%-22s %-8s %5s %8s %9s %9s %s\n' "$1" "$2" "$exit_code" "$wall" "$peak" "$3" \
    "$(awk -v w="$wall" -v b="$3" 'BEGIN {print (w < b) ? "yes" : "NO"}')"
}

printf '%-22s %-8s %5s %8s %9s %9s %s\n' case api exit "wall s" "peak MiB" "budget s" within
for api in rfc6962 tiled; do
  start_server --oversize-body --oversize-bytes $((1 << 30))
  row "oversize body (1 GiB)" "$api" 30 "$(fetch "$api" "$work/$api-oversize")"
  start_server --gzip-bomb --gzip-bomb-mib 1024
  row "gzip bomb (1 GiB)" "$api" 30 "$(fetch "$api" "$work/$api-bomb")"
  start_server --shrink-tree
  fetch "$api" "$work/$api-shrink" >/dev/null  # catches up to the whole log
  row "shrinking tree head" "$api" 30 "$(fetch "$api" "$work/$api-shrink")"
  start_server --stall-after-bytes 64 --stall-seconds 600
  row "stall (3 s, retry 5 s)" "$api" 60 \
    "$(fetch "$api" "$work/$api-stall" --stall-seconds 3 --retry-seconds 5)"
done
stop_server
echo "(a $certs-certificate log; ct-fetch should exit 1 in every row)"
