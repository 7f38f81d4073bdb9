#!/usr/bin/env python3
"""Turns a ct-gen data root into a log directory for ct_test_log_server.py --log-dir.

  make_corpus_log.py CORPUS_ROOT OUT_DIR [--seed S] [--origin O] [--first-timestamp MS]

Every certificate block of the corpus (PEM blocks and DER in .cer files, in every
YYYY-MM-DD folder) becomes one log entry: a precertificate (it carries the CT poison
extension) a precert_entry whose TBSCertificate is the pre_certificate's less the
poison, anything else an x509_entry. The issuer of a block is the corpus's
issuers/<file stem>.pem: it is the chain of the entry, and its SPKI hash (the stem
itself, base64url) is the precert issuer_key_hash. So ct-fetch writes each block back
to the same <date>/<stem>.pem, and ct-gen's known-answers.json holds for what it writes.

The entries are shuffled with --seed (so every batch and tile mixes dates, issuers and
types) and stamped first-timestamp + index seconds. Besides log.json, entries.jsonl and
issuers/, OUT_DIR gets:
  manifest.tsv   index, type (x509|precert), SHA-256 hex of the certificate ct-fetch
                 writes (the certificate, or the pre_certificate), date, issuer stem
  summary.json   counts: entries, x509, precert, distinct certificates, per date
Python 3 standard library only; about 5 s per 100,000 entries.
"""
import argparse
import base64
import hashlib
import json
import os
import random
import re
import struct
import sys

POISON_OID = bytes.fromhex("060a2b06010401d679020403")  # 1.3.6.1.4.1.11129.2.4.3
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----\n(.*?)-----END CERTIFICATE-----", re.S)


def _tlv(b, pos):
    """Returns (tag, content start, content end) of the DER element at pos."""
    tag, first = b[pos], b[pos + 1]
    if first < 0x80:
        return tag, pos + 2, pos + 2 + first
    n = first & 0x7F
    length = int.from_bytes(b[pos + 2:pos + 2 + n], "big")
    return tag, pos + 2 + n, pos + 2 + n + length


def _der(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    nb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(nb)]) + nb + content


def tbs_without_poison(cert):
    """The TBSCertificate of a precertificate with its poison extension removed, in DER."""
    _, c0, _ = _tlv(cert, 0)
    tag, t0, t1 = _tlv(cert, c0)
    fields, pos = [], t0
    while pos < t1:
        tag, s, e = _tlv(cert, pos)
        if tag == 0xA3:  # [3] Extensions
            _, x0, x1 = _tlv(cert, s)
            kept, p = [], x0
            while p < x1:
                _, e0, e1 = _tlv(cert, p)
                ext = cert[p:e1]
                if not cert[e0:e1].startswith(POISON_OID):
                    kept.append(ext)
                p = e1
            fields.append(_der(0xA3, _der(0x30, b"".join(kept))))
        else:
            fields.append(cert[pos:e])
        pos = e
    return _der(0x30, b"".join(fields))


def _u24(n):
    return n.to_bytes(3, "big")


def read_blocks(path):
    """DER certificates of one corpus file: PEM blocks (headers skipped) or back-to-back DER."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".cer"):
        out, pos = [], 0
        while pos < len(data):
            _, _, end = _tlv(data, pos)
            out.append(data[pos:end])
            pos = end
        return out
    out = []
    for m in _PEM_RE.finditer(data):
        body = m.group(1)
        blank = body.find(b"\n\n")
        if blank >= 0:  # RFC 1421 headers
            body = body[blank + 2:]
        out.append(base64.b64decode(body))
    return out


def load_issuers(root):
    issuers = {}
    folder = os.path.join(root, "issuers")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".pem"):
            issuers[name[:-4]] = read_blocks(os.path.join(folder, name))[0]
    return issuers


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus_root")
    p.add_argument("out_dir")
    p.add_argument("--seed", type=int, default=1, help="order of the entries")
    p.add_argument("--origin", default="ct-gen.example/big-log")
    p.add_argument("--first-timestamp", type=int, default=1_780_000_000_000,
                   help="ms since the epoch of entry 0; entry i is i seconds later")
    args = p.parse_args(argv)

    issuers = load_issuers(args.corpus_root)
    blocks = []  # (der, date, stem)
    for date in sorted(os.listdir(args.corpus_root)):
        folder = os.path.join(args.corpus_root, date)
        if not _DATE_RE.match(date) or not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            stem, ext = os.path.splitext(name)
            if ext not in (".pem", ".cer"):
                continue
            if stem not in issuers:
                sys.exit("make_corpus_log: no issuers/%s.pem for %s/%s" % (stem, date, name))
            for der in read_blocks(os.path.join(folder, name)):
                blocks.append((der, date, stem))
    random.Random(args.seed).shuffle(blocks)

    os.makedirs(os.path.join(args.out_dir, "issuers"), exist_ok=True)
    chains = {}  # stem -> certificate_chain of an x509 entry (one issuer)
    key_hashes = {}
    for stem, der in issuers.items():
        with open(os.path.join(args.out_dir, "issuers", hashlib.sha256(der).hexdigest()), "wb") as f:
            f.write(der)
        chains[stem] = _u24(len(der) + 3) + _u24(len(der)) + der
        key_hashes[stem] = base64.urlsafe_b64decode(stem + "=" * (-len(stem) % 4))

    b64 = base64.b64encode
    counts = {"entries": 0, "x509": 0, "precert": 0}
    per_date = {}
    distinct = set()
    with open(os.path.join(args.out_dir, "entries.jsonl"), "w") as out, \
            open(os.path.join(args.out_dir, "manifest.tsv"), "w") as manifest:
        for i, (der, date, stem) in enumerate(blocks):
            ts = struct.pack(">Q", args.first_timestamp + 1000 * i)
            if POISON_OID in der:
                kind = "precert"
                tbs = tbs_without_poison(der)
                leaf = (b"\x00\x00" + ts + b"\x00\x01" + key_hashes[stem] + _u24(len(tbs)) + tbs +
                        b"\x00\x00")
                extra = _u24(len(der)) + der + chains[stem]
            else:
                kind = "x509"
                leaf = b"\x00\x00" + ts + b"\x00\x00" + _u24(len(der)) + der + b"\x00\x00"
                extra = chains[stem]
            out.write('{"leaf_input": "%s", "extra_data": "%s"}\n' %
                      (b64(leaf).decode(), b64(extra).decode()))
            digest = hashlib.sha256(der).hexdigest()
            manifest.write("%d\t%s\t%s\t%s\t%s\n" % (i, kind, digest, date, stem))
            counts["entries"] += 1
            counts[kind] += 1
            per_date[date] = per_date.get(date, 0) + 1
            distinct.add(digest)
    counts["distinct_certificates"] = len(distinct)
    counts["entries_per_date"] = per_date
    with open(os.path.join(args.out_dir, "summary.json"), "w") as f:
        json.dump(counts, f, indent=1, sort_keys=True)
        f.write("\n")
    with open(os.path.join(args.out_dir, "log.json"), "w") as f:
        json.dump({"origin": args.origin, "entries": "entries.jsonl", "issuers": "issuers"}, f,
                  indent=2)
        f.write("\n")
    print("wrote %d entries (%d x509, %d precert) to %s" %
          (counts["entries"], counts["x509"], counts["precert"], args.out_dir))


if __name__ == "__main__":
    main()
