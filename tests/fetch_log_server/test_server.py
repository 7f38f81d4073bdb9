"""Self-test of ct_test_log_server.py: every endpoint answers, the RFC 6962 and tiled
views of the Navigli fixture agree on every entry, proofs verify, faults happen.

Run from the repository root:  python3 -m unittest tests/fetch_log_server/test_server.py
(or from this folder: python3 -m unittest test_server)
"""
import base64
import gzip
import hashlib
import http.client
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER = os.path.join(HERE, "ct_test_log_server.py")
NAVIGLI = os.path.join(ROOT, "tests", "data", "ct", "navigli2025h2")
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)
import ct_test_log_server as srvmod  # noqa: E402


def sha256(b):
    return hashlib.sha256(b).digest()


class Server:
    def __init__(self, *flags, source=("--serve-real-navigli", NAVIGLI), pass_fds=()):
        self.proc = subprocess.Popen([sys.executable, SERVER, *source, "--port", "0", *flags],
                                     stdout=subprocess.PIPE, pass_fds=pass_fds)
        line = self.proc.stdout.readline().decode()
        assert line.startswith("listening 127.0.0.1:"), line
        self.port = int(line.rsplit(":", 1)[1])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()

    def get(self, path, headers=None):
        """Returns (status, headers, body) without raising on HTTP errors."""
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path),
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, path):
        status, _, body = self.get(path)
        assert status == 200, (path, status, body)
        return json.loads(body)


# Independent RFC 9162 §2.1.3.2 / §2.1.4.2 verifiers.
def root_from_inclusion(index, size, leaf, proof):
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_consistency(first, second, root1, root2, proof):
    if first == second:
        return not proof and root1 == root2
    if first & (first - 1) == 0:
        proof = [root1] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = sha256(b"\x01" + c + fr)
            sr = sha256(b"\x01" + c + sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = sha256(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


def mth(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return sha256(b"\x01" + mth(hashes[:k]) + mth(hashes[k:]))


def disk(rel):
    with open(os.path.join(NAVIGLI, rel), "rb") as f:
        return f.read()


DISK_LEAF_HASHES = [disk("tile/0/000")[i:i + 32] for i in range(0, 8192, 32)] + \
                   [disk("tile/0/001")[i:i + 32] for i in range(0, 8192, 32)]


def fetch_all_entries(s, size):
    entries = []
    while len(entries) < size:
        got = s.json("/ct/v1/get-entries?start=%d&end=%d" % (len(entries), size - 1))["entries"]
        assert got
        entries += got
    return entries


class TilePathTest(unittest.TestCase):
    def test_encoding(self):
        self.assertEqual(srvmod.encode_tile_index(0), "000")
        self.assertEqual(srvmod.encode_tile_index(1234067), "x001/x234/067")
        self.assertEqual(srvmod.parse_tile_path("/tile/data/x001/x234/067"), ("data", 1234067, None))
        self.assertEqual(srvmod.parse_tile_path("/tile/2/001.p/7"), (2, 1, 7))
        self.assertIsNone(srvmod.parse_tile_path("/tile/0/1"))
        self.assertIsNone(srvmod.parse_tile_path("/tile/0/000.p/256"))
        self.assertIsNone(srvmod.parse_tile_path("/tile/0/x001"))


class NavigliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()

    @classmethod
    def tearDownClass(cls):
        cls.s.__exit__()

    def test_sth_and_checkpoint(self):
        sth = self.s.json("/ct/v1/get-sth")
        self.assertEqual(sth["tree_size"], 512)
        root = mth(DISK_LEAF_HASHES)
        self.assertEqual(base64.b64decode(sth["sha256_root_hash"]), root)
        status, headers, body = self.s.get("/checkpoint")
        self.assertEqual(status, 200)
        lines = body.decode().split("\n")
        self.assertEqual(lines[:3], ["navigli2025h2.sunlight.geomys.org", "512",
                                     base64.b64encode(root).decode()])

    def test_views_agree_on_every_entry(self):
        entries = fetch_all_entries(self.s, 512)
        self.assertEqual(len(entries), 512)
        tiled = disk("tile/data/000") + disk("tile/data/001")
        self.assertEqual(self.s.get("/tile/data/000")[2] + self.s.get("/tile/data/001")[2], tiled)
        pos = 0
        for i, e in enumerate(entries):
            leaf = base64.b64decode(e["leaf_input"])
            extra = base64.b64decode(e["extra_data"])
            # The TileLeaf starts with the same TimestampedEntry as the MerkleTreeLeaf.
            self.assertEqual(leaf[:2], b"\x00\x00")
            ts_len = len(leaf) - 2
            self.assertEqual(tiled[pos:pos + ts_len], leaf[2:], i)
            self.assertEqual(sha256(b"\x00" + leaf), DISK_LEAF_HASHES[i], i)
            pos += ts_len
            entry_type = struct.unpack(">H", leaf[10:12])[0]
            epos = 0
            if entry_type == 1:  # extra_data starts with the pre_certificate
                n = int.from_bytes(extra[:3], "big")
                self.assertEqual(tiled[pos:pos + 3 + n], extra[:3 + n], i)
                pos += 3 + n
                epos = 3 + n
            # The chain in extra_data hashes to the TileLeaf's fingerprints.
            total = int.from_bytes(extra[epos:epos + 3], "big")
            epos += 3
            self.assertEqual(epos + total, len(extra))
            fps = b""
            while epos < len(extra):
                n = int.from_bytes(extra[epos:epos + 3], "big")
                fps += sha256(extra[epos + 3:epos + 3 + n])
                epos += 3 + n
            n = struct.unpack(">H", tiled[pos:pos + 2])[0]
            self.assertEqual(tiled[pos + 2:pos + 2 + n], fps, i)
            pos += 2 + n
        self.assertEqual(pos, len(tiled))

    def test_hash_tiles(self):
        for n in ("000", "001"):
            status, _, body = self.s.get("/tile/0/" + n)
            self.assertEqual(status, 200)
            self.assertEqual(body, disk("tile/0/" + n))
        status, _, body = self.s.get("/tile/1/000.p/2")
        self.assertEqual(status, 200)
        self.assertEqual(body, mth(DISK_LEAF_HASHES[:256]) + mth(DISK_LEAF_HASHES[256:]))
        for missing in ("/tile/0/002", "/tile/1/000", "/tile/0/000.p/5", "/tile/data/001.p/3"):
            self.assertEqual(self.s.get(missing)[0], 404, missing)

    def test_issuers(self):
        for name in os.listdir(os.path.join(NAVIGLI, "issuer")):
            status, headers, body = self.s.get("/issuer/" + name)
            self.assertEqual(status, 200)
            self.assertEqual(sha256(body).hex(), name)
        self.assertEqual(self.s.get("/issuer/" + "00" * 32)[0], 404)

    def test_get_entries_cap_and_errors(self):
        self.assertEqual(len(self.s.json("/ct/v1/get-entries?start=0&end=511")["entries"]), 256)
        self.assertEqual(len(self.s.json("/ct/v1/get-entries?start=500&end=900")["entries"]), 12)
        self.assertEqual(self.s.get("/ct/v1/get-entries?start=5&end=1")[0], 400)
        self.assertEqual(self.s.get("/ct/v1/get-entries?start=512&end=513")[0], 400)

    def test_proofs(self):
        sth = self.s.json("/ct/v1/get-sth")
        for index in (0, 1, 255, 256, 300, 511):
            for size in (index + 1, 300, 512):
                if size <= index:
                    continue
                h = base64.b64encode(DISK_LEAF_HASHES[index]).decode()
                r = self.s.json("/ct/v1/get-proof-by-hash?hash=%s&tree_size=%d" % (
                    urllib.parse.quote(h), size))
                self.assertEqual(r["leaf_index"], index)
                proof = [base64.b64decode(p) for p in r["audit_path"]]
                self.assertEqual(root_from_inclusion(index, size, DISK_LEAF_HASHES[index], proof),
                                 mth(DISK_LEAF_HASHES[:size]), (index, size))
        for first in (1, 2, 3, 7, 8, 100, 256, 300, 511, 512):
            r = self.s.json("/ct/v1/get-sth-consistency?first=%d&second=512" % first)
            proof = [base64.b64decode(p) for p in r["consistency"]]
            self.assertTrue(verify_consistency(first, 512, mth(DISK_LEAF_HASHES[:first]),
                                               base64.b64decode(sth["sha256_root_hash"]), proof),
                            first)

    def test_gzip_when_asked(self):
        status, headers, body = self.s.get("/tile/0/000", {"Accept-Encoding": "gzip"})
        self.assertEqual(headers["Content-Encoding"], "gzip")
        self.assertEqual(gzip.decompress(body), disk("tile/0/000"))


class LogDirTest(unittest.TestCase):
    def test_log_dir_with_signing_key(self):
        with tempfile.TemporaryDirectory() as d:
            subprocess.run([sys.executable, os.path.join(HERE, "make_navigli_log.py"), NAVIGLI,
                            os.path.join(d, "log"), "--tree-size", "300"], check=True,
                           stdout=subprocess.DEVNULL)
            key = os.path.join(d, "key.pem")
            subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                            "-out", key], check=True)
            pub = os.path.join(d, "pub.pem")
            subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub], check=True)
            with Server("--sign-key", key, source=("--log-dir", os.path.join(d, "log"))) as s:
                sth = s.json("/ct/v1/get-sth")
                self.assertEqual(sth["tree_size"], 300)
                root = base64.b64decode(sth["sha256_root_hash"])
                self.assertEqual(root, mth(DISK_LEAF_HASHES[:300]))
                sig = base64.b64decode(sth["tree_head_signature"])
                self.assertEqual(sig[:2], b"\x04\x03")
                tbs = struct.pack(">BBQQ", 0, 1, sth["timestamp"], 300) + root
                with open(os.path.join(d, "tbs"), "wb") as f:
                    f.write(tbs)
                with open(os.path.join(d, "sig"), "wb") as f:
                    f.write(sig[4:])
                v = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature",
                                    os.path.join(d, "sig"), os.path.join(d, "tbs")],
                                   capture_output=True)
                self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
                text = s.get("/checkpoint")[2].decode()
                body, sigs = text.split("\n\n")
                self.assertEqual(body, "navigli2025h2.sunlight.geomys.org\n300\n%s" %
                                 base64.b64encode(root).decode())
                name, blob = sigs.strip().split(" ")[1:]
                blob = base64.b64decode(blob)
                spki = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub, "-outform", "DER"],
                                      capture_output=True, check=True).stdout
                self.assertEqual(blob[:4], sha256(name.encode() + b"\n\x05" + sha256(spki))[:4])
                self.assertEqual(struct.unpack(">Q", blob[4:12])[0], sth["timestamp"])
                # The partial tiles of a 300-entry tree.
                self.assertEqual(s.get("/tile/data/001.p/44")[0], 200)
                self.assertEqual(s.get("/tile/0/001.p/44")[2], disk("tile/0/001")[:44 * 32])
                self.assertEqual(s.get("/tile/0/001")[0], 404)
                self.assertEqual(len(fetch_all_entries(s, 300)), 300)

    def test_cycled_entries(self):
        # make_navigli_log.py --entries: entry i is fixture entry i mod 512, and the
        # served tree is built over the cycled leaves.
        with tempfile.TemporaryDirectory() as d:
            subprocess.run([sys.executable, os.path.join(HERE, "make_navigli_log.py"), NAVIGLI,
                            os.path.join(d, "log"), "--entries", "1300"], check=True,
                           stdout=subprocess.DEVNULL)
            with Server("--max-entries", "1000", source=("--log-dir", os.path.join(d, "log"))) as s:
                sth = s.json("/ct/v1/get-sth")
                self.assertEqual(sth["tree_size"], 1300)
                leaves = [DISK_LEAF_HASHES[i % 512] for i in range(1300)]
                self.assertEqual(base64.b64decode(sth["sha256_root_hash"]), mth(leaves))
                got = s.json("/ct/v1/get-entries?start=0&end=1299")["entries"]
                self.assertEqual(len(got), 1000)
                self.assertEqual(got[512], got[0])
                self.assertEqual(s.get("/tile/data/002")[2], disk("tile/data/000"))
                self.assertEqual(s.get("/tile/0/005.p/20")[2], disk("tile/0/001")[:20 * 32])


class FaultTest(unittest.TestCase):
    def test_429_then_ok(self):
        with Server("--fail-429", "2") as s:
            for _ in range(2):
                status, headers, _ = s.get("/ct/v1/get-sth")
                self.assertEqual(status, 429)
                self.assertEqual(headers["Retry-After"], "1")
            self.assertEqual(s.get("/ct/v1/get-sth")[0], 200)

    def test_500_only_under_prefix(self):
        with Server("--fail-500", "1", "--fault-path-prefix", "/tile/") as s:
            self.assertEqual(s.get("/checkpoint")[0], 200)
            self.assertEqual(s.get("/tile/0/000")[0], 500)
            self.assertEqual(s.get("/tile/0/000")[0], 200)

    def test_drop_and_truncate(self):
        with Server("--drop-connections", "1", "--truncate-body", "1") as s:
            with self.assertRaises((http.client.RemoteDisconnected, ConnectionError,
                                    urllib.error.URLError)):
                s.get("/ct/v1/get-sth")
            with self.assertRaises(http.client.IncompleteRead):
                s.get("/tile/0/000")
            self.assertEqual(s.get("/tile/0/000")[2], disk("tile/0/000"))

    def test_json_faults(self):
        with Server("--short-reads") as s:
            self.assertEqual(len(s.json("/ct/v1/get-entries?start=0&end=9")["entries"]), 5)
        with Server("--truncate-json") as s:
            with self.assertRaises(ValueError):
                json.loads(s.get("/ct/v1/get-sth")[2])
        with Server("--invalid-json") as s:
            with self.assertRaises(ValueError):
                json.loads(s.get("/ct/v1/get-entries?start=0&end=0")[2])

    def test_tamper_leaf(self):
        with Server("--tamper-leaf", "7") as s:
            entries = s.json("/ct/v1/get-entries?start=0&end=9")["entries"]
            for i, e in enumerate(entries):
                h = sha256(b"\x00" + base64.b64decode(e["leaf_input"]))
                self.assertEqual(h == DISK_LEAF_HASHES[i], i != 7, i)
            self.assertNotEqual(s.get("/tile/data/000")[2], disk("tile/data/000"))
            self.assertEqual(s.get("/tile/0/000")[2], disk("tile/0/000"))  # hashes stay true

    def test_shrink_tree(self):
        with Server("--shrink-tree") as s:
            self.assertEqual(s.json("/ct/v1/get-sth")["tree_size"], 512)
            self.assertEqual(s.json("/ct/v1/get-sth")["tree_size"], 256)
            self.assertEqual(s.get("/checkpoint")[2].split(b"\n")[1], b"256")

    def test_delay(self):
        with Server("--delay-ms", "300") as s:
            t0 = time.monotonic()
            self.assertEqual(s.get("/ct/v1/get-sth")[0], 200)
            self.assertGreaterEqual(time.monotonic() - t0, 0.3)
            t0 = time.monotonic()
            self.assertEqual(s.get("/_test/stats")[0], 200)  # never delayed
            self.assertLess(time.monotonic() - t0, 0.3)

    def test_gzip_always_and_bomb(self):
        with Server("--gzip-always", "noheader") as s:
            status, headers, body = s.get("/tile/0/000")
            self.assertIsNone(headers["Content-Encoding"])
            self.assertEqual(gzip.decompress(body), disk("tile/0/000"))
        with Server("--gzip-bomb", "--gzip-bomb-mib", "8") as s:
            status, headers, body = s.get("/tile/0/000")
            self.assertEqual(headers["Content-Encoding"], "gzip")
            self.assertEqual(len(gzip.decompress(body)), 8 << 20)

    def test_oversize(self):
        with Server("--oversize-body", "--oversize-bytes", str(3 << 20)) as s:
            self.assertEqual(len(s.get("/checkpoint")[2]), 3 << 20)
            self.assertEqual(s.json("/_test/stats")["cut_short"], 0)

    def test_oversize_body_cut_short_by_the_client(self):
        with Server("--oversize-body") as s:
            with socket.create_connection(("127.0.0.1", s.port)) as c:
                c.sendall(b"GET /checkpoint HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertTrue(c.recv(4096).startswith(b"HTTP/1.1 200"))
            # The server notices the hang-up at its next write.
            deadline = time.monotonic() + 30
            while s.json("/_test/stats")["cut_short"] == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertEqual(s.json("/_test/stats"),
                             {"requests": 1, "head_requests": 0, "faults": {}, "cut_short": 1})

    def test_servers_one_after_the_other_on_an_inherited_socket(self):
        with socket.socket() as listening:
            listening.bind(("127.0.0.1", 0))
            listening.listen()
            port = listening.getsockname()[1]
            fd = listening.fileno()
            for flags in [(), ("--shrink-tree",)]:
                with Server("--listen-fd", str(fd), *flags, pass_fds=(fd,)) as s:
                    self.assertEqual(s.port, port)
                    self.assertEqual(s.json("/ct/v1/get-sth")["tree_size"], 512)


if __name__ == "__main__":
    unittest.main()
