#!/usr/bin/env bash
# A big generated log for the scale tests and bench/fetch_throughput.sh (LOG=generated):
#   make_big_log.sh CT_GEN OUT_DIR [CERTS]
# writes OUT_DIR/corpus (a ct-gen --clean root, as-of 2026-11-26, 30 date folders,
# with known-answers.json) and OUT_DIR/log (make_corpus_log.py: a --log-dir for
# ct_test_log_server.py). CERTS defaults to 91000, which gives 100,981 entries
# (about 9 % precertificates, 1 % second copies). OUT_DIR is replaced.
set -euo pipefail
ct_gen=$1
out=$2
certs=${3:-91000}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
mkdir -p "$out"
"$ct_gen" --out "$out/corpus" --certs "$certs" --seed 7 --days 30 --as-of 2026-11-26 --clean
python3 "$here/make_corpus_log.py" "$out/corpus" "$out/log" --seed 7
