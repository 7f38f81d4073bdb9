#!/usr/bin/env bash
# Every unit in deploy/systemd passes `systemd-analyze verify` with no output
# at all (an unknown key or a bad value is only a warning there, exit 0), in a
# scratch root so that it runs anywhere systemd is installed, PID 1 or not:
# the root holds the units where /etc/systemd/system would, a copy of the
# system's own units (verify loads sysinit.target and the rest), and
# executable stand-ins at the ExecStart paths. Then each unit must carry the
# hardening, a --memory-limit backed by MemoryMax=, and flags that its binary
# really has (BIN_DIR's --help).
#   tests/deploy/systemd_units_test.sh REPO BIN_DIR
set -euo pipefail
repo=${1:?usage: systemd_units_test.sh REPO BIN_DIR}
bin=${2:?usage: systemd_units_test.sh REPO BIN_DIR}
units_dir=$repo/deploy/systemd
command -v systemd-analyze >/dev/null ||
  { echo "systemd-analyze is missing: deploy/install-deps.sh installs the systemd package"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

units=()
for path in "$units_dir"/*.service; do units+=("$(basename "$path")"); done
[[ ${#units[@]} -ge 3 ]] || fail "expected at least 3 units in $units_dir, found ${#units[@]}"

# The scratch root.
mkdir -p "$work/root/etc/systemd/system" "$work/root/usr/lib/systemd"
cp -r /usr/lib/systemd/system "$work/root/usr/lib/systemd/"
cp "$units_dir"/*.service "$work/root/etc/systemd/system/"
# An instance stands for a template: ct-worker@.service is verified as ct-worker@1.
names=()
for unit in "${units[@]}"; do names+=("${unit/@.service/@1.service}"); done
# verify resolves ExecStart inside the root; a symbolic link out of it would
# dangle there, so the stand-ins are small scripts.
for unit in "${units[@]}"; do
  exe=$(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' "$units_dir/$unit")
  [[ -n "$exe" ]] || { fail "$unit: no ExecStart="; continue; }
  mkdir -p "$work/root$(dirname "$exe")"
  printf '#!/bin/sh\n' >"$work/root$exe"
  chmod +x "$work/root$exe"
done

# 1. systemd-analyze verify: no warning, no error.
if ! systemd-analyze verify --root="$work/root" "${names[@]}" >"$work/verify.out" 2>&1 ||
   [[ -s "$work/verify.out" ]]; then
  fail "systemd-analyze verify ${names[*]}:"
  sed 's/^/  /' "$work/verify.out"
fi

# 2. systemd's own exposure score stays in its "OK" band (our units: 3.2);
# a unit that lost its sandboxing scores 9 and more.
if ! systemd-analyze security --offline=true --root="$work/root" --threshold=40 --no-pager \
     "${names[@]}" >"$work/security.out" 2>&1; then
  fail "systemd-analyze security --threshold=40:"
  grep -E "Overall|✗" "$work/security.out" | sed 's/^/  /'
fi

# 3. Each unit: the hardening, the dedicated user, the data root, memory.
required=(
  "User=ct-mapreduce" "Group=ct-mapreduce" "NoNewPrivileges=yes" "ProtectSystem=strict"
  "ReadWritePaths=/ct" "RequiresMountsFor=/ct" "PrivateTmp=yes" "ProtectHome=yes"
  "ProtectKernelTunables=yes" "ProtectKernelModules=yes" "ProtectControlGroups=yes"
  "LockPersonality=yes" "RestrictRealtime=yes" "SystemCallArchitectures=native"
  "CapabilityBoundingSet=" "MemoryDenyWriteExecute=yes"
)
for unit in "${units[@]}"; do
  file=$units_dir/$unit
  for line in "${required[@]}"; do
    grep -qx -- "$line" "$file" || fail "$unit: no line '$line'"
  done
  grep -qE '^RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6( AF_NETLINK)?$' "$file" ||
    fail "$unit: RestrictAddressFamilies= is not AF_UNIX AF_INET AF_INET6 [AF_NETLINK]"
  grep -q -- '--memory-limit \${CT_[A-Z_]*MEMORY_LIMIT}' "$file" ||
    fail "$unit: ExecStart passes no --memory-limit \${CT_..._MEMORY_LIMIT}"
  grep -qE '^MemoryMax=[0-9]+[MG]$' "$file" || fail "$unit: no MemoryMax=<size>"
  grep -qx "EnvironmentFile=-/etc/default/ct-mapreduce" "$file" ||
    fail "$unit: does not read /etc/default/ct-mapreduce"
  # Every ${VAR} of ExecStart has a default in the unit and in the EnvironmentFile.
  for var in $(sed -n '/^ExecStart=/,/[^\\]$/p' "$file" | grep -o '\$[{]*CT_[A-Z_]*' | tr -d '${' | sort -u); do
    grep -qE "^Environment=.*\\b$var=" "$file" || fail "$unit: \$$var has no Environment= default"
    grep -q "^$var=" "$units_dir/ct-mapreduce.default" || fail "ct-mapreduce.default: no $var"
  done
  # Every flag of ExecStart is one the binary has.
  exe=$(basename "$(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' "$file")")
  sub=$(sed -n 's/^ExecStart=[^ ]* \([a-z][a-z-]*\) .*/\1/p' "$file")
  "$bin/$exe" $sub --help >"$work/help.txt" 2>&1 || true
  for flag in $(sed -n '/^ExecStart=/,/[^\\]$/p' "$file" | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    grep -q -- "$flag" "$work/help.txt" || fail "$unit: $exe${sub:+ $sub} has no $flag"
  done
done

# 4. ct-fetch restarts whatever way it ends, and SIGTERM is its clean stop.
fetch=$units_dir/ct-fetch.service
for line in "Restart=always" "KillSignal=SIGTERM" "StartLimitIntervalSec=0"; do
  grep -qx "$line" "$fetch" || fail "ct-fetch.service: no line '$line'"
done
grep -q -- '--serial-memory' "$fetch" || fail "ct-fetch.service: no --serial-memory"

# 5. The EnvironmentFile's data root is the one the units may write.
grep -qx "CT_DATA_DIR=/ct" "$units_dir/ct-mapreduce.default" ||
  fail "ct-mapreduce.default: CT_DATA_DIR is not /ct, the units' ReadWritePaths"

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "systemd units: ${names[*]} verify clean, hardened, memory bounded"
