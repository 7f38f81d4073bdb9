#!/usr/bin/env python3
"""Converts a static-ct-api tree on disk (tile/data/*, issuer/*) into a log directory
that ct_test_log_server.py --log-dir serves (log.json, entries.jsonl, issuers/).

  make_navigli_log.py tests/data/ct/navigli2025h2 OUT_DIR [--origin ORIGIN]
                      [--tree-size N | --entries N]

--entries N makes a log of N entries by cycling the tree's entries (entry i is entry
i mod size): a big log of real certificates for benchmarks, duplicates and all. The
server computes the leaf hashes, tree and heads from the entries it serves.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ct_test_log_server as server  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tiled_dir")
    p.add_argument("out_dir")
    p.add_argument("--origin", default="navigli2025h2.sunlight.geomys.org")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--tree-size", type=int, default=None, help="keep only the first N entries")
    size.add_argument("--entries", type=int, default=None, metavar="N",
                      help="N entries, cycling through the tree's entries")
    args = p.parse_args()
    log = server.load_tiled_dir(args.tiled_dir, args.origin)
    if args.tree_size is not None:
        log = server.Log(log.entries[:args.tree_size], log.issuers, log.origin)
    elif args.entries is not None:
        if not log.entries:
            p.error("%s has no entries to cycle" % args.tiled_dir)
        n = len(log.entries)
        log = server.Log([log.entries[i % n] for i in range(args.entries)], log.issuers,
                         log.origin)
    server.write_log_dir(log, args.out_dir)
    print("wrote %d entries to %s" % (len(log.entries), args.out_dir))


if __name__ == "__main__":
    main()
