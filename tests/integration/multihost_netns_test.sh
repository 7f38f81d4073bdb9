#!/usr/bin/env bash
# Multi-host test: ct-coordinator and two ct-workers, each in its own network
# namespace ("host"), joined by veth pairs; CURVE on; one data root on the
# shared filesystem. Worker 1's link is cut while it holds a task. The
# coordinator must declare it dead, lease its task again, end the --once run
# with exit 0, and write the reports `ct-coordinator reduce` writes for an
# untouched copy of the corpus.
#
#   multihost_netns_test.sh [BIN_DIR]      (default: $CT_BIN_DIR)
#
# Exit status: 0 passed, 1 failed, 77 skipped. It skips, and says why, when the
# machine does not allow network namespaces: not root, no `ip` (iproute2), or
# `ip netns add` / veth pairs / `ip netns exec` refused (e.g. in a container
# without CAP_SYS_ADMIN and CAP_NET_ADMIN).
#
# Topology (addresses exist only inside the namespaces this test creates):
#
#   coord ns: lo 10.213.0.1/32 (bound: tcp://10.213.0.1:5555)
#             to-w1 10.213.1.1/30 ──veth── to-coord 10.213.1.2/30  w1 ns
#             to-w2 10.213.2.1/30 ──veth── to-coord 10.213.2.2/30  w2 ns
#   each worker reaches 10.213.0.1 through its veth.
set -euo pipefail

bin_dir=${1:-${CT_BIN_DIR:-}}
as_of=2026-11-26
# Enough directories that the map phase lasts several seconds with two
# one-thread workers; each can be overridden to tune the run.
certs=${CT_NETNS_CERTS:-150000}
days=${CT_NETNS_DAYS:-400}
heartbeat_ms=200  # 3 missed heartbeats (600 ms) and a worker is dead
lease_s=5
deadline_s=${CT_NETNS_DEADLINE:-120}  # for the distributed run alone

skip() {
  echo "SKIPPED: multihost_netns_test: $*"
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

# --- Does this machine allow network namespaces? -----------------------------
[[ $(id -u) -eq 0 ]] ||
  skip "needs root to create network namespaces and veth pairs (running as uid $(id -u))"
command -v ip >/dev/null || skip "no 'ip' command (install iproute2)"

# Namespaces left by a run that was killed outright (its PID is gone).
for ns in $(ip netns list 2>/dev/null | grep -oE '^ctmr-[0-9]+-(coord|w1|w2)\b' || true); do
  pid=${ns#ctmr-}
  kill -0 "${pid%%-*}" 2>/dev/null || ip netns del "$ns" 2>/dev/null || true
done
ns_c=ctmr-$$-coord
ns_1=ctmr-$$-w1
ns_2=ctmr-$$-w2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctmr-netns.XXXXXX")
pids=()
namespaces=()
cleanup() {
  local pid ns
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Deleting a namespace deletes the veth ends inside it, and so the pairs.
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [[ -n "${CT_NETNS_KEEP:-}" ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

for ns in "$ns_c" "$ns_1" "$ns_2"; do
  ip netns add "$ns" 2>"$tmp/ip.err" || skip "'ip netns add' refused: $(<"$tmp/ip.err")"
  namespaces+=("$ns")
  ip -n "$ns" link set lo up 2>"$tmp/ip.err" || skip "cannot bring up lo in $ns: $(<"$tmp/ip.err")"
done
ip netns exec "$ns_c" true 2>"$tmp/ip.err" || skip "'ip netns exec' refused: $(<"$tmp/ip.err")"
# Once namespaces and veth pairs exist, the rest of the set-up must work.
net() { ip "$@" 2>"$tmp/ip.err" || fail "ip $*: $(<"$tmp/ip.err")"; }
coord_ip=10.213.0.1
net -n "$ns_c" addr add "$coord_ip/32" dev lo
worker_ns=("" "$ns_1" "$ns_2")
for i in 1 2; do
  ns_w=${worker_ns[$i]}
  # Created inside the coordinator's namespace, its peer straight in the
  # worker's: the host's own interfaces are never touched.
  ip -n "$ns_c" link add "to-w$i" type veth peer name to-coord netns "$ns_w" 2>"$tmp/ip.err" ||
    skip "cannot create a veth pair: $(<"$tmp/ip.err")"
  net -n "$ns_c" addr add "10.213.$i.1/30" dev "to-w$i"
  net -n "$ns_w" addr add "10.213.$i.2/30" dev to-coord
  net -n "$ns_c" link set "to-w$i" up
  net -n "$ns_w" link set to-coord up
  net -n "$ns_w" route add "$coord_ip/32" via "10.213.$i.1"
done
endpoint=tcp://$coord_ip:5555
log "namespaces $ns_c, $ns_1, $ns_2 ready; coordinator at $endpoint"

# --- Corpus, its untouched copy, CURVE keys ----------------------------------
root=$tmp/root
reference=$tmp/reference
"$bin_dir/ct-gen" --out "$root" --certs "$certs" --days "$days" --first-date 2026-11-20 \
  --as-of "$as_of" --seed 31 --edge-cases >"$tmp/gen.log" 2>&1 ||
  fail "ct-gen: $(<"$tmp/gen.log")"
cp -a "$root" "$reference"  # before any oracle.out exists
log "$(tail -n 1 "$tmp/gen.log")"

keys=$tmp/keys
authorized=$tmp/authorized
mkdir -m 700 "$keys" "$authorized"
for name in coordinator w1 w2; do
  "$bin_dir/ct-coordinator" keygen --out "$keys/$name" >/dev/null
done
cp "$keys/w1.pub" "$keys/w2.pub" "$authorized/"

# --- The distributed run -----------------------------------------------------
# If this script is killed (a ctest timeout sends SIGKILL, so no trap runs),
# its children die with it instead of serving on in a nameless namespace.
guard=()
if setpriv --pdeathsig KILL true 2>/dev/null; then guard=(setpriv --pdeathsig KILL); fi
# `ip netns exec` and setpriv exec the command, so $! is the process itself.
coordinator_log=$tmp/coordinator.log
touch "$coordinator_log" "$tmp/w1.log" "$tmp/w2.log"  # grep may look before they write
start_worker() {  # NAMESPACE KEY-NAME
  ip netns exec "$1" "${guard[@]}" "$bin_dir/ct-worker" --connect "$endpoint" --threads 1 \
    --heartbeat-ms "$heartbeat_ms" --curve-server-key "$keys/coordinator.pub" \
    --curve-secret-key "$keys/$2.key" >"$tmp/$2.log" 2>&1 &
  pids+=($!)
}
dump_logs() {
  local f
  for f in "$coordinator_log" "$tmp/w1.log" "$tmp/w2.log"; do
    echo "----- $(basename "$f") (last 40 lines)" >&2
    tail -n 40 "$f" >&2 || true
  done
}
wait_for() {  # SECONDS WHAT COMMAND...
  local limit=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    if ((SECONDS >= limit)); then
      dump_logs
      fail "timed out after $((SECONDS - started)) s waiting for $what"
    fi
    kill -0 "$coordinator" 2>/dev/null || {
      dump_logs
      fail "the coordinator exited while waiting for $what"
    }
    sleep 0.05
  done
}
oracles() { compgen -G "$root/*/oracle.out" | wc -l; }
both_joined() {
  grep -q "worker joined: .*:$w1 " "$coordinator_log" &&
    grep -q "worker joined: .*:$w2 " "$coordinator_log"
}
# Mid-run: directories are committed and queued, and worker 1 holds a lease.
# With tasks still queued, the coordinator hands worker 1 its next task as
# soon as a result arrives, so it still holds one when the link goes down.
w1_mid_task() {
  (($(oracles) >= 4)) || return 1
  ip netns exec "$ns_c" "$bin_dir/ct-coordinator" status --data-dir "$root" --json \
    >"$tmp/status.json" 2>/dev/null || return 1
  python3 - "$tmp/status.json" "$w1" >"$tmp/cut.txt" <<'EOF'
import json, sys
status = json.load(open(sys.argv[1]))
queued = status["tasks"]["queued"]
for w in status["workers"]:
    if w["name"].endswith(":" + sys.argv[2]) and w["running"] and queued >= 2:
        print(f"{w['running'][0]['task']}, {queued} tasks queued")
        sys.exit(0)
sys.exit(1)
EOF
}

bound() { grep -q "bound $endpoint (CURVE)" "$coordinator_log"; }

ip netns exec "$ns_c" "${guard[@]}" "$bin_dir/ct-coordinator" run --data-dir "$root" --as-of "$as_of" \
  --bind "$endpoint" --curve-secret-key "$keys/coordinator.key" --authorized-keys "$authorized" \
  --once --lease "$lease_s" --heartbeat-ms "$heartbeat_ms" >"$coordinator_log" 2>&1 &
coordinator=$!
pids+=("$coordinator")
started=$SECONDS
wait_for 30 "the coordinator to bind $endpoint" bound
start_worker "$ns_1" w1
w1=$!
start_worker "$ns_2" w2
w2=$!
wait_for 30 "both workers to join over CURVE" both_joined
log "both workers joined (w1 pid $w1, w2 pid $w2)"
wait_for 60 "worker 1 to hold a task mid-run" w1_mid_task
log "cutting worker 1's link: $(oracles) directories committed; it runs $(<"$tmp/cut.txt")"
ip -n "$ns_1" link set dev to-coord down

coordinator_exited() { ! kill -0 "$coordinator" 2>/dev/null; }
wait_for "$deadline_s" "the coordinator to finish" coordinator_exited
rc=0
wait "$coordinator" || rc=$?
run_s=$((SECONDS - started))
for pid in "$w1" "$w2"; do kill -TERM "$pid" 2>/dev/null || true; done
[[ $rc -eq 0 ]] || {
  dump_logs
  fail "ct-coordinator run --once exited with $rc"
}
log "distributed run done in $run_s s"

# --- The cut worker's task was leased again ----------------------------------
dead_line=$(grep -E ":$w1 is silent for [0-9]+ ms: dead; re-queueing its [1-9][0-9]* tasks" \
  "$coordinator_log" | head -n 1) || true
[[ -n "$dead_line" ]] || {
  dump_logs
  fail "the coordinator never declared worker 1 (pid $w1) dead with a task in hand"
}
log "coordinator: ${dead_line#*] }"
requeued=$(grep -E "^.*(map|merge) .* attempt [0-9]+ failed \(TRANSIENT\): worker .*:$w1 died; re-queued" \
  "$coordinator_log" | sed -E 's/^.*\] //; s/ attempt [0-9]+ failed.*//') || true
[[ -n "$requeued" ]] || fail "no task of worker 1 was re-queued"
while IFS= read -r task; do
  grep -qF "$task done in" "$coordinator_log" || {
    dump_logs
    fail "re-queued task never finished: $task"
  }
  log "re-leased and finished: $task"
done <<<"$requeued"

# --- Same reports as a single-host reduce ------------------------------------
"$bin_dir/ct-coordinator" reduce --data-dir "$reference" --as-of "$as_of" \
  >"$tmp/reduce.log" 2>&1 || fail "ct-coordinator reduce: $(tail -n 20 "$tmp/reduce.log")"
got=$root/reports
want=$reference/reports
reports_got=$(cd "$got" && echo *)
reports_want=$(cd "$want" && echo *)
[[ "$reports_got" == "$reports_want" ]] ||
  fail "report files differ: run has [$reports_got], reduce has [$reports_want]"
# "directories.mapped" counts the maps this run committed: the cut worker may
# commit its task's oracle.out (the same bytes) before the re-leased map runs,
# which then finds nothing new. Everything else must be equal.
python3 - "$got/summary.json" "$want/summary.json" <<'EOF' || fail "summary.json differs"
import json, sys
got, want = (json.load(open(p)) for p in sys.argv[1:3])
for s in (got, want):
    s["directories"].pop("mapped", None)
if got != want:
    for key in sorted(set(got) | set(want)):
        if got.get(key) != want.get(key):
            print(f"summary.json[{key!r}]: run {got.get(key)!r} != reduce {want.get(key)!r}"[:2000])
    sys.exit(1)
EOF
# The same count appears in history.json and in report.html's embedded data.
for f in "$got"/*; do
  name=$(basename "$f")
  [[ "$name" == summary.json ]] && continue
  python3 - "$f" "$want/$name" <<'EOF' || fail "$name differs from the single-host reduce"
import re, sys
mapped = re.compile(rb'"mapped(_directories)?": ?[0-9]+')
got, want = (mapped.sub(b'"mapped": N', open(p, "rb").read()) for p in sys.argv[1:3])
if got != want:
    import difflib
    for line in list(difflib.unified_diff(want.decode(errors="replace").splitlines(),
                                          got.decode(errors="replace").splitlines(),
                                          "reduce", "run", lineterm=""))[:20]:
        print(line[:300], file=sys.stderr)
    sys.exit(1)
EOF
done
log "reports equal the single-host reduce: $reports_got"
echo "PASSED: multihost_netns_test in $SECONDS s"
