#!/usr/bin/env bash
# The README's first command, deploy/run-sample.sh, on a small corpus with the
# built binaries: it must succeed, match ct-gen's answers, and leave no
# process behind (its log servers once outlived it: their pids were recorded
# in a subshell).
#   tests/deploy/run_sample_test.sh BIN_DIR
set -euo pipefail
bin=${1:?usage: run_sample_test.sh BIN_DIR}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'pkill -f -- "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
bash "$repo/deploy/run-sample.sh" --certs 400 --bin "$bin" --workdir "$work" >"$work/out.log" 2>&1 ||
  { cat "$work/out.log"; echo "run-sample.sh failed"; exit 1; }
grep -q "answers match" "$work/out.log" || { cat "$work/out.log"; echo "no match line"; exit 1; }
# Every process it started names $work on its command line.
left=$(pgrep -af -- "$work" || true)
if [[ -n "$left" ]]; then
  echo "run-sample.sh left processes running:"
  echo "$left"
  exit 1
fi
echo "run-sample.sh: answers match, no process left"
