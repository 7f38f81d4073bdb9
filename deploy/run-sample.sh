#!/usr/bin/env bash
# The whole system on a built-in sample, with no network:
#   1. ct-gen makes a corpus of certificates (with known answers) whose
#      notAfter dates run from 90 days ago to 90 days ahead;
#   2. two local CT logs serve it on 127.0.0.1 — one through the RFC 6962 API,
#      one through the Static CT API, each with its own signing key, so every
#      certificate is in two logs, as in real CT;
#   3. ct-fetch --once follows both through a Chrome v3 log list, verifying
#      every signed head and Merkle proof, into sample/ct-data;
#   4. ct-coordinator run --local-workers 2 --once maps and reduces it and
#      writes the reports;
#   5. the summary is printed, checked against ct-gen's answers, with the path
#      of report.html.
#   bash deploy/run-sample.sh [--certs N] [--bin DIR] [--workdir DIR]
#     --certs N      certificates in the corpus (default 20000)
#     --bin DIR      use the binaries in DIR: no install, no build (tests)
#     --workdir DIR  write sample/ under DIR instead of the repository
# It leaves no process behind: the log servers are stopped on any exit.
set -euo pipefail
cd "$(dirname "$0")/.."
certs=20000
bin=
workdir=.
while [[ $# -gt 0 ]]; do
  case $1 in
    --certs) certs=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --workdir) workdir=$2; shift 2 ;;
    *) echo "run-sample.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$bin" ]]; then
  bash deploy/install-deps.sh
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --target ct-gen ct-fetch ct-worker ct-coordinator >/dev/null
  bin=$(pwd)/build/bin
fi
bin=$(cd "$bin" && pwd)
server=$(pwd)/tests/fetch_log_server
cd "$workdir"
today=$(date -u +%F)
rm -rf sample && mkdir -p sample/logs
# The log servers' pids: start_log runs in a $(...) subshell, whose variables
# die with it, so each writes its pid to a file that the trap reads.
stop_logs() {
  local f pid
  for f in sample/logs/*.pid; do
    [[ -e "$f" ]] || continue
    pid=$(cat "$f")
    # Not this shell's child (the subshell started it): wait by polling.
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    rm -f "$f"
  done
  return 0
}
trap stop_logs EXIT
start=$(date +%s.%N)

echo "== 1. ct-gen: $certs certificates expiring from 90 days ago to 90 days ahead"
"$bin/ct-gen" --out sample/corpus --certs "$certs" --as-of "$today" --days 180 \
  --first-date "$(date -u -d "$today - 90 days" +%F)" --seed 1 --clean \
  --answers sample/known-answers.json >/dev/null
python3 "$server/make_corpus_log.py" sample/corpus sample/logs/entries --seed 1 \
  --origin sample-tiled.ct-mapreduce.test >/dev/null

echo "== 2. two local CT logs on 127.0.0.1"
# start_log NAME: a log server with its own P-256 key; prints its port.
start_log() {
  local name=$1 port
  openssl ecparam -genkey -name prime256v1 -noout -out "sample/logs/$name.key" 2>/dev/null
  openssl pkey -in "sample/logs/$name.key" -pubout -outform DER -out "sample/logs/$name.spki"
  python3 -u "$server/ct_test_log_server.py" --log-dir sample/logs/entries --port 0 \
    --origin "$name.ct-mapreduce.test" --sign-key "sample/logs/$name.key" \
    >"sample/logs/$name.log" 2>&1 &
  echo $! >"sample/logs/$name.pid"
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\)$/\1/p' "sample/logs/$name.log")
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || { cat "sample/logs/$name.log" >&2; exit 1; }
  echo "$port"
}
rfc_port=$(start_log sample-rfc6962)
tiled_port=$(start_log sample-tiled)
python3 - "$rfc_port" "$tiled_port" <<'PY' >sample/log_list.json
import base64, json, sys
key = lambda n: base64.b64encode(open(f"sample/logs/{n}.spki", "rb").read()).decode()
usable = {"usable": {"timestamp": "2026-01-01T00:00:00Z"}}
print(json.dumps({"version": "sample", "operators": [{
    "name": "ct-mapreduce sample", "email": [],
    "logs": [{"description": "Sample RFC 6962 log", "key": key("sample-rfc6962"),
              "url": f"http://127.0.0.1:{sys.argv[1]}/", "mmd": 86400, "state": usable}],
    "tiled_logs": [{"description": "Sample tiled log", "key": key("sample-tiled"),
                    "submission_url": "https://sample-tiled.ct-mapreduce.test/",
                    "monitoring_url": f"http://127.0.0.1:{sys.argv[2]}", "mmd": 60,
                    "state": usable}]}]}, indent=1))
PY
echo "   RFC 6962 log on port $rfc_port, tiled log on port $tiled_port (sample/log_list.json)"

echo "== 3. ct-fetch --once through the log list"
# --include-expired keeps the certificates that expired already: the report
# back-fills the past 90 days of active certificates from them.
"$bin/ct-fetch" --data-dir sample/ct-data --log-list sample/log_list.json --once \
  --include-expired 2>&1 |
  grep -E "certificates written|ct-fetch:" | sed 's/^/   /'

echo "== 4. ct-coordinator run --local-workers 2 --once"
"$bin/ct-coordinator" run --data-dir sample/ct-data --as-of "$today" --local-workers 2 --once \
  >sample/run.log 2>&1 || { tail -20 sample/run.log >&2; exit 1; }
grep -E "as of .*active certificates" sample/run.log | sed 's/^.*\] /   /' || true

echo "== 5. summary (sample/ct-data/reports/summary.json)"
python3 - "$start" <<'PY'
import json, os, sys, time
s = json.load(open("sample/ct-data/reports/summary.json"))
t = s["totals"]
print(f"  as of {s['as_of']}: {t['certs_active']} active certificates, {t['fqdns_active']} FQDNs, "
      f"{t['regdomains_active']} registered domains, {t['wildcards_active']} wildcards")
for o in s["organizations"]:
    print(f"  {o['organization']:<40} {o['certs_active']:>8} certs {o['fqdns_active']:>8} FQDNs")
for kind, classes in t["breakdowns"].items():
    print(f"  by {kind}: " + ", ".join(f"{name} {n}" for name, n in classes.items()))
print(f"  unparseable blocks: {s['errors']['unparseable_blocks']}")
a = json.load(open("sample/known-answers.json"))
same = a["totals"] == {k: t[k] for k in a["totals"]}
print(f"  ct-gen's independently computed answers {'match' if same else 'DO NOT match'} these "
      "totals and breakdowns")
print(f"  {time.time() - float(sys.argv[1]):.0f} s from corpus to report")
report = os.path.abspath("sample/ct-data/reports/report.html")
print(f"report: {report}" if os.path.exists(report) else "report: (no report.html)")
sys.exit(0 if same else 1)
PY
