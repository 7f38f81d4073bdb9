#!/usr/bin/env bash
# The layout's rules (docs/ARCHITECTURE.md), checked on every CI run:
#   - a process folder holds only what its own binary runs: no file in
#     worker/ or fetcher/ includes coordinator/, none in coordinator/ or
#     fetcher/ includes worker/, none in coordinator/ or worker/ includes
#     fetcher/;
#   - common/ includes no process folder;
#   - each folder of common/ is one namespace, ctmr::<folder>.
# Prints every breach and exits 1 if there is one.
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"
failed=0
breach() { echo "layout: $*"; failed=1; }

check_includes() {
  local from=$1 forbidden=$2 hits
  hits=$(grep -rnE "^#include \"(${forbidden})/" "$from" --include='*.h' --include='*.cc' || true)
  [[ -z "$hits" ]] || breach "$from/ must not include $forbidden/:"$'\n'"$hits"
}
check_includes worker 'coordinator|fetcher'
check_includes fetcher 'coordinator|worker'
check_includes coordinator 'worker|fetcher'
check_includes common 'coordinator|worker|fetcher'
check_includes tests/common 'coordinator|worker|fetcher'

for dir in common/*/; do
  component=$(basename "$dir")
  for f in "$dir"*.h "$dir"*.cc; do
    [[ -e "$f" ]] || continue
    others=$(grep -nE '^namespace ctmr' "$f" | grep -vE "^[0-9]+:namespace ctmr::${component} \{" || true)
    [[ -z "$others" ]] || breach "$f: outside ctmr::${component}: $others"
  done
done
# No file left directly in common/: every shared file belongs to a component.
loose=$(find common -maxdepth 1 -type f \( -name '*.h' -o -name '*.cc' \))
[[ -z "$loose" ]] || breach "files in common/ outside a component: $loose"

[[ $failed -eq 0 ]] && echo "layout: every rule holds"
exit $failed
