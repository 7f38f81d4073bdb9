#!/usr/bin/env python3
"""A small Certificate Transparency test log server (stdlib only).

Serves one log from files on disk through both read APIs:
  RFC 6962:      /ct/v1/get-sth, /ct/v1/get-entries, /ct/v1/get-sth-consistency,
                 /ct/v1/get-proof-by-hash
  static-ct-api: /checkpoint, /tile/data/<N>[.p/<W>], /tile/<L>/<N>[.p/<W>],
                 /issuer/<hex SHA-256>
and injects faults on request (429, 500, dropped connections, stalls, oversize bodies,
gzip bombs, tampered leaves, a shrinking tree ...). See README.md for the file formats
and the flags. Prints "listening 127.0.0.1:PORT" as its first stdout line.
With --listen-fd it serves on a socket its parent bound and listens on.
"""

import argparse
import base64
import gzip
import hashlib
import http.server
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib

TILE_WIDTH = 256

# ---------------------------------------------------------------------------
# TLS-style encoding helpers


def _u16(b, pos):
    return struct.unpack(">H", b[pos:pos + 2])[0], pos + 2


def _u24(b, pos):
    return int.from_bytes(b[pos:pos + 3], "big"), pos + 3


def _vec24(items):
    body = b"".join(len(x).to_bytes(3, "big") + x for x in items)
    return len(body).to_bytes(3, "big") + body


class Entry:
    """One log entry: the RFC 6962 view (leaf_input, extra_data) and the tiled view."""

    __slots__ = ("leaf_input", "extra_data", "tile_leaf")

    def __init__(self, leaf_input, extra_data, tile_leaf):
        self.leaf_input = leaf_input
        self.extra_data = extra_data
        self.tile_leaf = tile_leaf


def parse_timestamped_entry(b, pos):
    """Returns (entry_type, end position) of the TimestampedEntry starting at pos."""
    pos += 8
    entry_type, pos = _u16(b, pos)
    if entry_type == 0:
        n, pos = _u24(b, pos)
        pos += n
    elif entry_type == 1:
        pos += 32
        n, pos = _u24(b, pos)
        pos += n
    else:
        raise ValueError("unknown entry_type %d" % entry_type)
    n, pos = _u16(b, pos)  # CtExtensions
    pos += n
    if pos > len(b):
        raise ValueError("truncated TimestampedEntry")
    return entry_type, pos


def parse_tile_leaf(b, pos, issuers):
    """Parses one static-ct-api TileLeaf at pos. Returns (Entry, fingerprints, next pos).

    issuers maps fingerprint bytes -> DER; used to build the RFC 6962 extra_data.
    """
    start = pos
    entry_type, pos = parse_timestamped_entry(b, pos)
    ts_entry = b[start:pos]
    precert = None
    if entry_type == 1:
        n, pos = _u24(b, pos)
        precert = b[pos:pos + n]
        pos += n
    n, pos = _u16(b, pos)
    fps = [b[pos + i:pos + i + 32] for i in range(0, n, 32)]
    pos += n
    if pos > len(b):
        raise ValueError("truncated TileLeaf")
    chain = []
    for fp in fps:
        if fp not in issuers:
            raise ValueError("unknown issuer fingerprint %s" % fp.hex())
        chain.append(issuers[fp])
    if entry_type == 0:
        extra = _vec24(chain)
    else:
        extra = len(precert).to_bytes(3, "big") + precert + _vec24(chain)
    return Entry(b"\x00\x00" + ts_entry, extra, b[start:pos]), fps, pos


def tile_leaf_from_rfc6962(leaf_input, extra_data, issuers):
    """Builds the TileLeaf of an RFC 6962 entry; adds its chain to issuers."""
    if leaf_input[:2] != b"\x00\x00":
        raise ValueError("not a v1 timestamped_entry leaf")
    entry_type, end = parse_timestamped_entry(leaf_input, 2)
    out = leaf_input[2:end]
    pos = 0
    if entry_type == 1:
        n, pos = _u24(extra_data, 0)
        out += extra_data[0:3 + n]
        pos = 3 + n
    total, pos = _u24(extra_data, pos)
    end_chain = pos + total
    fps = b""
    while pos < end_chain:
        n, pos = _u24(extra_data, pos)
        der = extra_data[pos:pos + n]
        pos += n
        fp = hashlib.sha256(der).digest()
        issuers[fp] = der
        fps += fp
    return out + struct.pack(">H", len(fps)) + fps


# ---------------------------------------------------------------------------
# Merkle tree (RFC 6962 / RFC 9162 §2.1)


def leaf_hash(leaf):
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleTree:
    """Holds every complete subtree hash: levels[k][i] = MTH(leaves[i*2^k:(i+1)*2^k])."""

    def __init__(self, leaf_hashes):
        self.levels = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            prev = self.levels[-1]
            self.levels.append([node_hash(prev[i], prev[i + 1]) for i in range(0, len(prev) - 1, 2)])

    @property
    def size(self):
        return len(self.levels[0])

    def mth(self, lo, hi):
        """MTH of leaves [lo, hi)."""
        n = hi - lo
        if n == 0:
            return hashlib.sha256(b"").digest()
        if n & (n - 1) == 0 and lo % n == 0:
            return self.levels[n.bit_length() - 1][lo // n]
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(self.mth(lo, lo + k), self.mth(lo + k, hi))

    def inclusion_proof(self, m, lo, hi):
        """PATH(m, D[lo:hi]) with m relative to lo."""
        n = hi - lo
        if n <= 1:
            return []
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return self.inclusion_proof(m, lo, lo + k) + [self.mth(lo + k, hi)]
        return self.inclusion_proof(m - k, lo + k, hi) + [self.mth(lo, lo + k)]

    def consistency_proof(self, m, n):
        return self._subproof(m, 0, n, True) if 0 < m < n else []

    def _subproof(self, m, lo, hi, complete):
        n = hi - lo
        if m == n:
            return [] if complete else [self.mth(lo, hi)]
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            return self._subproof(m, lo, lo + k, complete) + [self.mth(lo + k, hi)]
        return self._subproof(m - k, lo + k, hi, False) + [self.mth(lo, lo + k)]


# ---------------------------------------------------------------------------
# Loading logs


class Log:
    def __init__(self, entries, issuers, origin, timestamp=None, sth_file_bytes=None,
                 checkpoint_bytes=None):
        self.entries = entries
        self.issuers = issuers  # fingerprint bytes -> DER
        self.origin = origin
        self.tree = MerkleTree(leaf_hash(e.leaf_input) for e in entries)
        if timestamp is None:
            timestamp = 0
            for e in entries:
                timestamp = max(timestamp, struct.unpack(">Q", e.leaf_input[2:10])[0])
        self.timestamp = timestamp
        self.sth_file_bytes = sth_file_bytes
        self.checkpoint_bytes = checkpoint_bytes


def load_issuer_dir(path):
    issuers = {}
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            with open(os.path.join(path, name), "rb") as f:
                der = f.read()
            issuers[hashlib.sha256(der).digest()] = der
    return issuers


def load_tiled_dir(path, origin):
    """Reads a static-ct-api tree on disk (tile/data/..., issuer/...) as a Log."""
    issuers = load_issuer_dir(os.path.join(path, "issuer"))
    entries = []
    n = 0
    while True:
        tile = os.path.join(path, "tile", "data", encode_tile_index(n))
        if not os.path.exists(tile):
            partials = os.path.join(tile + ".p")
            if os.path.isdir(partials):
                widths = sorted(int(w) for w in os.listdir(partials))
                tile = os.path.join(partials, str(widths[-1]))
            else:
                break
        with open(tile, "rb") as f:
            data = f.read()
        pos = 0
        while pos < len(data):
            entry, _, pos = parse_tile_leaf(data, pos, issuers)
            entries.append(entry)
        if not tile.endswith(encode_tile_index(n)):
            break
        n += 1
    return Log(entries, issuers, origin)


def load_log_dir(path):
    """Reads a log directory in our own format (log.json + entries.jsonl + issuers/)."""
    with open(os.path.join(path, "log.json")) as f:
        manifest = json.load(f)
    issuers = load_issuer_dir(os.path.join(path, manifest.get("issuers", "issuers")))
    entries = []
    # SHA-256 of a line -> its Entry: a log that repeats entries (make_navigli_log.py
    # --entries) is decoded and held once per distinct entry.
    seen = {}
    with open(os.path.join(path, manifest.get("entries", "entries.jsonl"))) as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            key = hashlib.sha256(line.encode()).digest()
            if key in seen:
                entries.append(seen[key])
                continue
            obj = json.loads(line)
            leaf = base64.b64decode(obj["leaf_input"]) if "leaf_input" in obj else None
            extra = base64.b64decode(obj["extra_data"]) if "extra_data" in obj else None
            tl = base64.b64decode(obj["tile_leaf"]) if "tile_leaf" in obj else None
            if tl is None:
                tl = tile_leaf_from_rfc6962(leaf, extra, issuers)
            if leaf is None or extra is None:
                e, _, _ = parse_tile_leaf(tl, 0, issuers)
                leaf, extra = e.leaf_input, e.extra_data
            seen[key] = Entry(leaf, extra, tl)
            entries.append(seen[key])
    if "tree_size" in manifest:
        entries = entries[:manifest["tree_size"]]

    def opt(key):
        if key not in manifest:
            return None
        with open(os.path.join(path, manifest[key]), "rb") as f:
            return f.read()

    return Log(entries, issuers, manifest.get("origin", "example.com/test-log"),
               manifest.get("timestamp"), opt("sth"), opt("checkpoint"))


def write_log_dir(log, path):
    """Writes log in the log directory format (used by make_navigli_log.py)."""
    os.makedirs(os.path.join(path, "issuers"), exist_ok=True)
    for fp, der in log.issuers.items():
        with open(os.path.join(path, "issuers", fp.hex()), "wb") as f:
            f.write(der)
    with open(os.path.join(path, "entries.jsonl"), "w") as f:
        for e in log.entries:
            f.write(json.dumps({
                "leaf_input": base64.b64encode(e.leaf_input).decode(),
                "extra_data": base64.b64encode(e.extra_data).decode(),
                "tile_leaf": base64.b64encode(e.tile_leaf).decode(),
            }) + "\n")
    with open(os.path.join(path, "log.json"), "w") as f:
        json.dump({"origin": log.origin, "entries": "entries.jsonl", "issuers": "issuers",
                   "timestamp": log.timestamp}, f, indent=2)
        f.write("\n")


# ---------------------------------------------------------------------------
# Tile paths


def encode_tile_index(n):
    """1234067 -> x001/x234/067 (C2SP tlog-tiles)."""
    parts = ["%03d" % (n % 1000)]
    n //= 1000
    while n > 0:
        parts.append("x%03d" % (n % 1000))
        n //= 1000
    return "/".join(reversed(parts))


_TILE_RE = re.compile(r"^/tile/(data|\d+)/((?:x\d{3}/)*\d{3})(?:\.p/(\d+))?$")


def parse_tile_path(path):
    """Returns (level or 'data', index, width or None), or None if path is not a tile."""
    m = _TILE_RE.match(path)
    if not m:
        return None
    segs = m.group(2).split("/")
    if any(s.startswith("x") for s in segs[-1:]) or not all(s.startswith("x") for s in segs[:-1]):
        return None
    index = 0
    for s in segs:
        index = index * 1000 + int(s.lstrip("x"))
    width = int(m.group(3)) if m.group(3) is not None else None
    if width is not None and not 1 <= width < TILE_WIDTH:
        return None
    level = m.group(1)
    return (level if level == "data" else int(level)), index, width


# ---------------------------------------------------------------------------
# Signing with the openssl command line (ECDSA P-256)


class Signer:
    def __init__(self, key_pem_path):
        self.key = key_pem_path
        self.spki = subprocess.run(
            ["openssl", "pkey", "-in", key_pem_path, "-pubout", "-outform", "DER"],
            check=True, capture_output=True).stdout

    def sign(self, data):
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            return subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key, f.name],
                                  check=True, capture_output=True).stdout

    def digitally_signed(self, timestamp, size, root):
        tbs = struct.pack(">BBQQ", 0, 1, timestamp, size) + root
        sig = self.sign(tbs)
        return struct.pack(">BBH", 4, 3, len(sig)) + sig  # sha256, ecdsa


# ---------------------------------------------------------------------------
# The server


class Faults:
    """Deterministic fault schedule: the first N matching requests fail."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.count = 0  # matching requests seen
        self.head_requests = 0  # get-sth and checkpoint requests seen
        self.rng = random.Random(args.seed)
        self.schedule = ([429] * args.fail_429 + [500] * args.fail_500 +
                         ["drop"] * args.drop_connections + ["truncate"] * args.truncate_body +
                         ["truncate-json"] * args.fail_truncate_json +
                         ["invalid-json"] * args.fail_invalid_json +
                         ["short-read"] * args.fail_short_read)
        self.kinds = sorted(set(self.schedule), key=str)
        self.fired = {}  # fault kind -> times injected
        self.cut_short = 0  # streamed bodies whose client hung up before their end

    def next_fault(self, path):
        if not path.startswith(self.args.fault_path_prefix) or path.startswith("/_test/"):
            return None
        with self.lock:
            i = self.count
            self.count += 1
            if self.args.fault_rate > 0:
                fault = None
                if self.kinds and self.rng.random() < self.args.fault_rate:
                    fault = self.rng.choice(self.kinds)
            else:
                fault = self.schedule[i] if i < len(self.schedule) else None
            if fault is not None:
                self.fired[str(fault)] = self.fired.get(str(fault), 0) + 1
            return fault

    def next_head_size(self, size):
        with self.lock:
            self.head_requests += 1
            if self.args.shrink_tree and self.head_requests >= 2:
                return max(0, size // 2)
        return size


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ct-test-log-server/0.1"

    def log_message(self, fmt, *args):
        if self.server.args.verbose:
            sys.stderr.write("%s\n" % (fmt % args))

    # -- plumbing ----------------------------------------------------------

    def _headers(self, code, ctype, length=None, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()

    def _send(self, code, body, ctype="application/json", extra=()):
        args = self.server.args
        extra = list(extra)
        if isinstance(body, str):
            body = body.encode()
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if args.gzip_always or (accepts and not args.no_gzip and len(body) >= 512):
            body = gzip.compress(body, mtime=0)
            if args.gzip_always != "noheader":
                extra.append(("Content-Encoding", "gzip"))
        if self.fault == "truncate":
            self._headers(code, ctype, len(body), extra)
            self.wfile.write(body[:len(body) // 2])
            self._hang_up()
            return
        if args.stall_after_bytes is not None:
            self._headers(code, ctype, len(body), extra)
            self.wfile.write(body[:args.stall_after_bytes])
            self.wfile.flush()
            time.sleep(args.stall_seconds)
            self._hang_up()
            return
        self._headers(code, ctype, len(body), extra)
        self.wfile.write(body)

    def _hang_up(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _json(self, obj):
        body = json.dumps(obj).encode()
        if self.server.args.invalid_json or self.fault == "invalid-json":
            body = b"<html>this is not JSON</html>"
        elif self.server.args.truncate_json or self.fault == "truncate-json":
            body = body[:len(body) // 2]
        self._send(200, body)

    def _error(self, code, msg):
        self._send(code, json.dumps({"error": msg}) if code != 404 else msg + "\n",
                   "application/json" if code != 404 else "text/plain")

    def _oversize(self):
        n = self.server.args.oversize_bytes
        self._headers(200, "application/octet-stream", n)
        chunk = b"A" * (1 << 20)
        try:
            while n > 0:
                self.wfile.write(chunk[:min(n, len(chunk))])
                n -= min(n, len(chunk))
        except OSError:
            self.close_connection = True
            with self.server.faults.lock:
                self.server.faults.cut_short += 1

    def _gzip_bomb(self):
        self._headers(200, "application/octet-stream", None, [("Content-Encoding", "gzip")])
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        zeros = bytes(1 << 20)
        try:
            for _ in range(self.server.args.gzip_bomb_mib):
                out = comp.compress(zeros)
                if out:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(out), out))
            out = comp.flush()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(out), out))
        except OSError:
            self.close_connection = True

    # -- dispatch ----------------------------------------------------------

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = dict(urllib.parse.parse_qsl(url.query))
        if path == "/_test/stats":
            return self._stats()  # never faulted, stalled or oversized
        if path == "/_test/redirect":
            # A redirect to ?to=URL, for the client's redirect rules.
            self.fault = None
            return self._send(302, "", "text/plain", [("Location", query["to"])])
        if self.server.args.hold_until_file:
            # A log that answers nothing until the test lets it (an order of
            # events that no wall-clock race can upset).
            while not os.path.exists(self.server.args.hold_until_file):
                time.sleep(0.02)
        if self.server.args.delay_ms > 0:
            time.sleep(self.server.args.delay_ms / 1000)
        self.fault = self.server.faults.next_fault(path)
        if self.fault == 429:
            return self._send(429, "slow down\n", "text/plain", [("Retry-After", "1")])
        if self.fault == 500:
            return self._send(500, "internal error\n", "text/plain")
        if self.fault == "drop":
            return self._hang_up()
        if self.server.args.oversize_body:
            return self._oversize()
        if self.server.args.gzip_bomb:
            return self._gzip_bomb()
        try:
            self._route(path, query)
        except (ValueError, KeyError) as e:
            self._error(400, str(e))

    def _route(self, path, query):
        log = self.server.log
        if path == "/ct/v1/get-sth":
            return self._get_sth()
        if path == "/ct/v1/get-entries":
            return self._get_entries(int(query["start"]), int(query["end"]))
        if path == "/ct/v1/get-sth-consistency":
            first, second = int(query["first"]), int(query["second"])
            if not 0 <= first <= second <= log.tree.size:
                return self._error(400, "bad first/second")
            proof = log.tree.consistency_proof(first, second)
            return self._json({"consistency": [base64.b64encode(h).decode() for h in proof]})
        if path == "/ct/v1/get-proof-by-hash":
            h = base64.b64decode(query["hash"])
            size = int(query["tree_size"])
            if not 0 < size <= log.tree.size:
                return self._error(400, "bad tree_size")
            idx = self.server.leaf_index.get(h)
            if idx is None or idx >= size:
                return self._error(404, "hash not found")
            proof = log.tree.inclusion_proof(idx, 0, size)
            return self._json({"leaf_index": idx,
                               "audit_path": [base64.b64encode(x).decode() for x in proof]})
        if path == "/checkpoint":
            return self._send(200, self.server.checkpoint(), "text/plain; charset=utf-8")
        if path.startswith("/issuer/"):
            try:
                der = log.issuers.get(bytes.fromhex(path[len("/issuer/"):]))
            except ValueError:
                der = None
            if der is None:
                return self._error(404, "no such issuer")
            return self._send(200, der, "application/pkix-cert")
        tile = parse_tile_path(path)
        if tile is not None:
            return self._tile(*tile)
        return self._error(404, "not found")

    def _stats(self):
        faults = self.server.faults
        with faults.lock:
            stats = {"requests": faults.count, "head_requests": faults.head_requests,
                     "faults": dict(faults.fired), "cut_short": faults.cut_short}
        body = json.dumps(stats).encode()
        self._headers(200, "application/json", len(body))
        self.wfile.write(body)

    def _get_sth(self):
        srv = self.server
        size = srv.faults.next_head_size(srv.log.tree.size)
        if srv.log.sth_file_bytes is not None and size == srv.log.tree.size:
            return self._send(200, srv.log.sth_file_bytes)
        self._json(srv.sth_json(size))

    def _get_entries(self, start, end):
        log, args = self.server.log, self.server.args
        if start < 0 or end < start or start >= log.tree.size:
            return self._error(400, "bad start/end")
        end = min(end, log.tree.size - 1, start + args.max_entries - 1)
        if (args.short_reads or self.fault == "short-read") and end > start:
            end = start + (end - start + 1) // 2 - 1
        out = []
        for i in range(start, end + 1):
            e = log.entries[i]
            leaf = self.server.tampered(i, e.leaf_input, 2)
            out.append({"leaf_input": base64.b64encode(leaf).decode(),
                        "extra_data": base64.b64encode(e.extra_data).decode()})
        self._json({"entries": out})

    def _tile(self, level, index, width):
        srv = self.server
        size = srv.log.tree.size
        if level == "data":
            count = size
        else:
            shift = 8 * level
            if shift >= len(srv.log.tree.levels):
                return self._error(404, "no such tile")
            count = size >> shift
        full = (index + 1) * TILE_WIDTH <= count
        have = count - index * TILE_WIDTH
        if (width is None and not full) or (width is not None and (full or width > have)):
            return self._error(404, "no such tile")
        w = width or TILE_WIDTH
        lo = index * TILE_WIDTH
        if level == "data":
            body = b"".join(srv.tampered(i, srv.log.entries[i].tile_leaf, 0)
                            for i in range(lo, lo + w))
        else:
            body = b"".join(srv.log.tree.levels[8 * level][lo:lo + w])
        self._send(200, body, "application/octet-stream")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, log, args, listening=None):
        """Binds `addr`, or serves on `listening`, a socket already bound and listening."""
        super().__init__(addr, Handler, bind_and_activate=listening is None)
        if listening is not None:
            self.socket.close()
            self.socket = listening
            self.server_address = listening.getsockname()
        self.log = log
        self.args = args
        self.faults = Faults(args)
        self.signer = Signer(args.sign_key) if args.sign_key else None
        self.leaf_index = {}
        for i, h in enumerate(log.tree.levels[0]):
            self.leaf_index.setdefault(h, i)
        self._sign_cache = {}

    def tampered(self, i, data, prefix):
        """Flips one bit in the middle of entry i's TimestampedEntry if it is the target."""
        if i != self.args.tamper_leaf:
            return data
        b = bytearray(data)
        b[prefix + (len(data) - prefix) // 2] ^= 0x01
        return bytes(b)

    def _signature(self, size):
        if size not in self._sign_cache:
            root = self.log.tree.mth(0, size)
            self._sign_cache[size] = self.signer.digitally_signed(self.log.timestamp, size, root)
        return self._sign_cache[size]

    def sth_json(self, size):
        root = self.log.tree.mth(0, size)
        sig = self._signature(size) if self.signer else b""
        return {"tree_size": size, "timestamp": self.log.timestamp,
                "sha256_root_hash": base64.b64encode(root).decode(),
                "tree_head_signature": base64.b64encode(sig).decode()}

    def checkpoint(self):
        size = self.faults.next_head_size(self.log.tree.size)
        if self.log.checkpoint_bytes is not None and size == self.log.tree.size:
            return self.log.checkpoint_bytes
        root = self.log.tree.mth(0, size)
        text = "%s\n%d\n%s\n" % (self.log.origin, size, base64.b64encode(root).decode())
        if self.signer:
            name = self.log.origin
            key_id = hashlib.sha256(name.encode() + b"\n\x05" + hashlib.sha256(self.signer.spki).digest()).digest()[:4]
            sig = key_id + struct.pack(">Q", self.log.timestamp) + self._signature(size)
            text += "\n\u2014 %s %s\n" % (name, base64.b64encode(sig).decode())
        return text


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--log-dir", help="log directory (log.json, entries.jsonl, issuers/)")
    src.add_argument("--serve-real-navigli", metavar="DIR",
                     help="a static-ct-api tree on disk (tile/data/*, issuer/*), e.g. "
                          "tests/data/ct/navigli2025h2")
    p.add_argument("--origin", default=None, help="checkpoint origin line")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--listen-fd", type=int, default=None, metavar="FD",
                   help="serve on this inherited socket (bound and listening) instead of "
                        "binding --port: servers started one after the other keep one URL")
    p.add_argument("--sign-key", metavar="PEM", help="ECDSA P-256 private key: sign STH/checkpoint")
    p.add_argument("--max-entries", type=int, default=256, help="get-entries cap per response")
    p.add_argument("--delay-ms", type=float, default=0, metavar="MS",
                   help="answer every request (but /_test/) after this many milliseconds: "
                        "a slow log")
    p.add_argument("--hold-until-file", metavar="PATH",
                   help="answer no request (but /_test/) until PATH exists")
    p.add_argument("--fail-429", type=int, default=0, metavar="N")
    p.add_argument("--fail-500", type=int, default=0, metavar="N")
    p.add_argument("--drop-connections", type=int, default=0, metavar="N")
    p.add_argument("--truncate-body", type=int, default=0, metavar="N",
                   help="first N requests: send half the body, then close")
    p.add_argument("--fail-truncate-json", type=int, default=0, metavar="N",
                   help="first N requests: a JSON body is cut in half (others are served)")
    p.add_argument("--fail-invalid-json", type=int, default=0, metavar="N",
                   help="first N requests: a JSON endpoint returns <html>")
    p.add_argument("--fail-short-read", type=int, default=0, metavar="N",
                   help="first N requests: get-entries returns half of what was asked")
    p.add_argument("--fault-rate", type=float, default=0.0,
                   help="instead of the first-N schedule, fault each request with this "
                        "probability, choosing among the kinds whose N > 0")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--fault-path-prefix", default="", help="only requests under this path "
                   "count for the fault schedule")
    p.add_argument("--short-reads", action="store_true")
    p.add_argument("--truncate-json", action="store_true")
    p.add_argument("--invalid-json", action="store_true")
    p.add_argument("--stall-after-bytes", type=int, default=None, metavar="B")
    p.add_argument("--stall-seconds", type=float, default=30.0)
    p.add_argument("--oversize-body", action="store_true")
    p.add_argument("--oversize-bytes", type=int, default=1 << 30)
    p.add_argument("--gzip-bomb", action="store_true")
    p.add_argument("--gzip-bomb-mib", type=int, default=1024)
    p.add_argument("--gzip-always", nargs="?", const="header", choices=["header", "noheader"],
                   help="gzip every body even unasked; 'noheader' omits Content-Encoding")
    p.add_argument("--no-gzip", action="store_true", help="never gzip, even when asked")
    p.add_argument("--tamper-leaf", type=int, default=None, metavar="INDEX")
    p.add_argument("--shrink-tree", action="store_true",
                   help="heads from the second request on report half the tree size")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.log_dir:
        log = load_log_dir(args.log_dir)
        if args.origin:
            log.origin = args.origin
    else:
        log = load_tiled_dir(args.serve_real_navigli, args.origin or "navigli2025h2.sunlight.geomys.org")
    listening = socket.socket(fileno=args.listen_fd) if args.listen_fd is not None else None
    srv = Server(("127.0.0.1", args.port), log, args, listening)
    print("listening 127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    srv.server_close()


if __name__ == "__main__":
    main()
