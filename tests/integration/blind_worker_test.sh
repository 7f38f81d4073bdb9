#!/usr/bin/env bash
# One failing worker must not fail the directories: ct-coordinator run --once
# with two ct-workers, one of which cannot see the shared disk (a mount
# namespace with an empty tmpfs over the data root, as a worker whose NFS
# mount is missing). That worker fails every task at once, so it is always
# the least busy. The run must end with exit 0, no failed directory, the
# blind worker quarantined, and reports equal to `ct-coordinator reduce`'s
# over an untouched copy. A blind worker started with --data-dir refuses to
# start (exit 1, naming the folder).
#
#   blind_worker_test.sh [BIN_DIR]      (default: $CT_BIN_DIR)
#
# Exit status: 0 passed, 1 failed, 77 skipped (not root, or `unshare -m`
# refused, e.g. in a container without CAP_SYS_ADMIN).
set -euo pipefail

bin_dir=${1:-${CT_BIN_DIR:-}}
as_of=2026-11-26
heartbeat_ms=200

skip() {
  echo "SKIPPED: blind_worker_test: $*"
  exit 77
}
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
log() { echo "[$(date +%T.%3N)] $*"; }

[[ -n "$bin_dir" ]] || fail "usage: $0 BIN_DIR (or set CT_BIN_DIR)"
for b in ct-gen ct-worker ct-coordinator; do
  [[ -x "$bin_dir/$b" ]] || fail "$bin_dir/$b is missing: build it first"
done
command -v python3 >/dev/null || fail "python3 is needed to compare summary.json"
[[ $(id -u) -eq 0 ]] || skip "needs root for a mount namespace (running as uid $(id -u))"
command -v unshare >/dev/null || skip "no 'unshare' command (util-linux)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctmr-blind.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "${CT_BLIND_KEEP:-}" ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

root=$tmp/root
reference=$tmp/reference
mkdir -p "$root"
# Runs COMMAND... where `root` is an empty tmpfs, as a machine without the mount.
blind() {
  unshare -m --propagation private sh -c 'mount -t tmpfs none "$0" && exec "$@"' "$root" "$@"
}
blind true 2>"$tmp/unshare.err" || skip "unshare -m + mount tmpfs refused: $(<"$tmp/unshare.err")"

"$bin_dir/ct-gen" --out "$root" --certs 20000 --days 120 --first-date 2026-11-20 \
  --as-of "$as_of" --seed 17 --edge-cases >"$tmp/gen.log" 2>&1 ||
  fail "ct-gen: $(<"$tmp/gen.log")"
cp -a "$root" "$reference"
mkdir -p "$root/state"
log "$(tail -n 1 "$tmp/gen.log")"

# (d) With --data-dir, a blind worker refuses to start.
rc=0
blind "$bin_dir/ct-worker" --connect tcp://127.0.0.1:1 --data-dir "$root" >"$tmp/refused.log" 2>&1 ||
  rc=$?
[[ $rc -eq 1 ]] || fail "a blind worker with --data-dir exited with $rc: $(<"$tmp/refused.log")"
grep -q "no $root/state folder" "$tmp/refused.log" ||
  fail "a blind worker with --data-dir did not say why: $(<"$tmp/refused.log")"
log "blind worker with --data-dir: $(<"$tmp/refused.log")"

guard=()
if setpriv --pdeathsig KILL true 2>/dev/null; then guard=(setpriv --pdeathsig KILL); fi
coordinator_log=$tmp/coordinator.log
touch "$coordinator_log"
dump_logs() {
  local f
  for f in "$coordinator_log" "$tmp/good.log" "$tmp/blind.log"; do
    echo "----- $(basename "$f") (last 40 lines)" >&2
    tail -n 40 "$f" >&2 || true
  done
}
started=$SECONDS
wait_for() {  # SECONDS WHAT COMMAND...
  local limit=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    if ((SECONDS >= limit)); then
      dump_logs
      fail "timed out after $((SECONDS - started)) s waiting for $what"
    fi
    sleep 0.05
  done
}
endpoint_known() { grep -qE "local workers connect to tcp://" "$coordinator_log"; }
joined() { grep -q "worker joined: .*:$1 " "$coordinator_log"; }

"${guard[@]}" "$bin_dir/ct-coordinator" run --data-dir "$root" --as-of "$as_of" \
  --bind tcp://127.0.0.1:0 --once --heartbeat-ms "$heartbeat_ms" >"$coordinator_log" 2>&1 &
coordinator=$!
pids+=("$coordinator")
wait_for 30 "the coordinator to bind" endpoint_known
endpoint=$(grep -oE "local workers connect to tcp://[0-9.]+:[0-9]+" "$coordinator_log" |
  head -n 1 | sed 's/.* //')
worker_args=(--connect "$endpoint" --heartbeat-ms "$heartbeat_ms" --reconnect-ms 100)
"${guard[@]}" "$bin_dir/ct-worker" "${worker_args[@]}" --threads 1 >"$tmp/good.log" 2>&1 &
good=$!
pids+=("$good")
wait_for 30 "the good worker to join" joined "$good"
# Two threads, and every task fails at once: it would get most of them.
blind "${guard[@]}" "$bin_dir/ct-worker" "${worker_args[@]}" --threads 2 >"$tmp/blind.log" 2>&1 &
blind_pid=$!
pids+=("$blind_pid")
log "good worker pid $good, blind worker started (unshare pid $blind_pid)"

coordinator_exited() { ! kill -0 "$coordinator" 2>/dev/null; }
wait_for 180 "the coordinator to finish" coordinator_exited
rc=0
wait "$coordinator" || rc=$?
[[ $rc -eq 0 ]] || {
  dump_logs
  fail "ct-coordinator run --once exited with $rc"
}
log "run done in $((SECONDS - started)) s"
grep -q "attempt 1 failed" "$coordinator_log" || {
  dump_logs
  fail "the blind worker never failed a task: it did not take part"
}
quarantined=$(grep -m 1 "quarantining" "$coordinator_log") || {
  dump_logs
  fail "the blind worker was not quarantined"
}
log "coordinator: ${quarantined#*] }"

"$bin_dir/ct-coordinator" reduce --data-dir "$reference" --as-of "$as_of" \
  >"$tmp/reduce.log" 2>&1 || fail "ct-coordinator reduce: $(tail -n 20 "$tmp/reduce.log")"
python3 - "$root/reports/summary.json" "$reference/reports/summary.json" <<'EOF' ||
import json, sys
got, want = (json.load(open(p)) for p in sys.argv[1:3])
if got["directories"]["failed"]:
    print(f"failed directories: {got['directories']['failed']}")
    sys.exit(1)
# Every directory mapped once, by the worker that sees the disk.
if got["directories"]["mapped"] != want["directories"]["mapped"]:
    print(f"mapped {got['directories']['mapped']}, reduce mapped {want['directories']['mapped']}")
    sys.exit(1)
for s in (got, want):
    s["directories"].pop("mapped", None)
if got != want:
    for key in sorted(set(got) | set(want)):
        if got.get(key) != want.get(key):
            print(f"summary.json[{key!r}]: run {got.get(key)!r} != reduce {want.get(key)!r}"[:2000])
    sys.exit(1)
print(f"{got['totals']}")
EOF
  fail "summary.json differs from the reduce's"
for name in active-by-issuer.csv issued-per-day.csv cert-daily-stats.tsv; do
  cmp -s "$root/reports/$name" "$reference/reports/$name" ||
    fail "$name differs from the reduce's"
done
echo "PASSED: blind_worker_test in $SECONDS s"
