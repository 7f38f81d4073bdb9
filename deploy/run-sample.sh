#!/usr/bin/env bash
# The main job end to end on a built-in sample, with no network: generate a
# data root (every edge case of DESIGN.md §3), map and reduce it, print the
# summary and where the reports are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target ct-gen ct-worker ct-coordinator >/dev/null
rm -rf sample && mkdir -p sample
./build/bin/ct-gen --out sample/ct-data --certs 20000 --edge-cases --as-of 2026-11-26 --seed 1 \
  --answers sample/known-answers.json
# Exit status 0 because ct-gen's edge cases are all countable; a failed
# directory would make reduce exit 1 after writing the reports.
./build/bin/ct-coordinator reduce --data-dir sample/ct-data --as-of 2026-11-26
echo
echo "summary (sample/ct-data/reports/summary.json):"
python3 - <<'PY'
import json
s = json.load(open("sample/ct-data/reports/summary.json"))
t = s["totals"]
print(f"  as of {s['as_of']}: {t['certs_active']} active certificates, {t['fqdns_active']} FQDNs, "
      f"{t['regdomains_active']} registered domains, {t['wildcards_active']} wildcards")
for o in s["organizations"]:
    print(f"  {o['organization']:<40} {o['certs_active']:>8} certs {o['fqdns_active']:>8} FQDNs")
print(f"  unparseable blocks: {s['errors']['unparseable_blocks']}")
a = json.load(open("sample/known-answers.json"))
same = a["totals"] == {k: t[k] for k in a["totals"]}
print(f"  ct-gen's independently computed answers {'match' if same else 'DO NOT match'} these totals")
PY
echo "reports: $(pwd)/sample/ct-data/reports"
