// precert_tbs against OpenSSL (openssl_precert_tbs) and against what real logs
// signed: every certificate of tests/data/certs, every precertificate entry of
// the Navigli data tiles with its logged TBSCertificate and issuer, and the
// malformed inputs the strict reader must refuse.
#include "common/x509/precert_tbs.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/x509/openssl_precert_tbs.h"

namespace ctmr::x509 {
namespace {

// 1.3.6.1.5.5.7.3.1, id-kp-serverAuth.
constexpr std::string_view kOidServerAuth("\x2b\x06\x01\x05\x05\x07\x03\x01", 8);

std::string DataPath(const std::string& relative) {
  const char* root = std::getenv("CT_SOURCE_DIR");
  return (root != nullptr ? std::string(root) + "/" : std::string()) + "tests/data/" + relative;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every PEM block of a file, as DER.
std::vector<std::string> ReadPem(const std::string& path) {
  const std::string pem = ReadFile(path);
  std::vector<std::string> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  char* type = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  while (PEM_read_bio(bio, &type, &header, &data, &len) == 1) {
    out.emplace_back(reinterpret_cast<char*>(data), static_cast<size_t>(len));
    OPENSSL_free(type);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  BIO_free(bio);
  return out;
}

struct NamedCert {
  std::string label;
  std::string der;
};

// tests/data/certs: each block of *.pem, each *.der whole.
std::vector<NamedCert> LoadCerts() {
  std::vector<NamedCert> out;
  for (const auto& entry : std::filesystem::directory_iterator(DataPath("certs"))) {
    const std::filesystem::path& path = entry.path();
    const std::string name = path.filename().string();
    if (path.extension() == ".der") out.push_back({name, ReadFile(path.string())});
    if (path.extension() != ".pem") continue;
    std::vector<std::string> blocks = ReadPem(path.string());
    for (size_t i = 0; i < blocks.size(); ++i) {
      out.push_back({name + "#" + std::to_string(i), std::move(blocks[i])});
    }
  }
  return out;
}

// A precert_entry of a static-ct-api data tile, read just far enough.
struct TilePrecert {
  std::string issuer_key_hash;
  std::string tbs;
  std::string pre_certificate;
  std::string issuer_fingerprint;  // chain[0]
};

class TileReader {
 public:
  explicit TileReader(std::string_view in) : in_(in) {}
  bool empty() const { return in_.empty(); }
  bool ok() const { return ok_; }
  uint64_t Uint(size_t n) {
    if (in_.size() < n) return Fail();
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(n);
    return v;
  }
  std::string Bytes(size_t n) {
    if (in_.size() < n) return Fail(), std::string();
    std::string out(in_.substr(0, n));
    in_.remove_prefix(n);
    return out;
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

// TileLeaf: TimestampedEntry (timestamp, entry_type, PreCert {issuer_key_hash,
// tbs_certificate<1..2^24-1>}, extensions<0..2^16-1>), pre_certificate
// <1..2^24-1>, precertificate_chain fingerprints<0..2^16-1>.
std::vector<TilePrecert> ReadPrecertTile(const std::string& path, int* x509_entries) {
  const std::string tile = ReadFile(path);
  std::vector<TilePrecert> out;
  TileReader r(tile);
  while (!r.empty() && r.ok()) {
    r.Uint(8);
    const uint64_t type = r.Uint(2);
    if (type == 0) {
      r.Bytes(r.Uint(3));
      r.Bytes(r.Uint(2));
      r.Bytes(r.Uint(2));
      ++*x509_entries;
      continue;
    }
    TilePrecert& e = out.emplace_back();
    e.issuer_key_hash = r.Bytes(32);
    e.tbs = r.Bytes(r.Uint(3));
    r.Bytes(r.Uint(2));
    e.pre_certificate = r.Bytes(r.Uint(3));
    e.issuer_fingerprint = r.Bytes(r.Uint(2)).substr(0, 32);
  }
  EXPECT_TRUE(r.ok()) << path;
  return out;
}

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Sha256(std::string_view s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return std::string(reinterpret_cast<char*>(d), sizeof(d));
}

TEST(PrecertTbs, RealCertificatesAgreeWithOpenSsl) {
  const std::vector<NamedCert> certs = LoadCerts();
  ASSERT_GE(certs.size(), 520u) << "test data missing under " << DataPath("certs");
  std::string fast, slow;
  int precerts = 0, signers = 0;
  for (const NamedCert& c : certs) {
    SCOPED_TRACE(c.label);
    const absl::StatusOr<std::string_view> spki = SubjectPublicKeyInfoDer(c.der);
    const absl::StatusOr<std::string> spki_ref = SubjectPublicKeyInfoDerWithOpenSsl(c.der);
    ASSERT_TRUE(spki.ok()) << spki.status();
    ASSERT_TRUE(spki_ref.ok()) << spki_ref.status();
    EXPECT_EQ(*spki, *spki_ref);

    const absl::Status f = RemovePoisonToTbs(c.der, &fast);
    const absl::Status s = RemovePoisonToTbsWithOpenSsl(c.der, &slow);
    EXPECT_EQ(f.code(), s.code()) << f << " / " << s;
    if (f.ok() && s.ok()) {
      EXPECT_EQ(Hex(fast), Hex(slow));
      ++precerts;
    }

    for (std::string_view oid : {kOidPrecertificateSigning, kOidServerAuth}) {
      const absl::StatusOr<bool> eku = HasExtendedKeyUsage(c.der, oid);
      const absl::StatusOr<bool> eku_ref = HasExtendedKeyUsageWithOpenSsl(c.der, oid);
      ASSERT_TRUE(eku.ok()) << eku.status();
      ASSERT_TRUE(eku_ref.ok()) << eku_ref.status();
      EXPECT_EQ(*eku, *eku_ref);
      signers += oid == kOidPrecertificateSigning && *eku;
    }
  }
  // 512 Navigli tile entries, real-precert-with-eku, the preissuer chain's leaf.
  EXPECT_GE(precerts, 514);
  EXPECT_EQ(signers, 1);  // the preissuer chain's Precertificate Signing Certificate
}

TEST(PrecertTbs, NavigliTilesMatchTheLoggedTbs) {
  int precerts = 0, x509_entries = 0;
  std::string tbs, reference, scratch;
  for (const char* tile : {"000", "001"}) {
    for (const TilePrecert& e : ReadPrecertTile(
             DataPath(std::string("ct/navigli2025h2/tile/data/") + tile), &x509_entries)) {
      SCOPED_TRACE(std::string(tile) + " entry " + std::to_string(precerts));
      ++precerts;
      ASSERT_TRUE(RemovePoisonToTbs(e.pre_certificate, &tbs).ok());
      ASSERT_TRUE(RemovePoisonToTbsWithOpenSsl(e.pre_certificate, &reference).ok());
      EXPECT_EQ(tbs, reference);
      EXPECT_EQ(tbs, e.tbs);

      const std::string issuer =
          ReadFile(DataPath("ct/navigli2025h2/issuer/" + Hex(e.issuer_fingerprint)));
      ASSERT_FALSE(issuer.empty());
      EXPECT_TRUE(CheckPrecertificateTbs(e.pre_certificate, e.tbs, issuer, &scratch).ok());
      EXPECT_TRUE(CheckPrecertificateTbs(e.pre_certificate, e.tbs, "", &scratch).ok());
      // The log's issuer_key_hash is SHA-256 of the issuer's SubjectPublicKeyInfo.
      const absl::StatusOr<std::string_view> spki = SubjectPublicKeyInfoDer(issuer);
      ASSERT_TRUE(spki.ok()) << spki.status();
      EXPECT_EQ(Hex(Sha256(*spki)), Hex(e.issuer_key_hash));
    }
  }
  EXPECT_EQ(precerts, 512);
  EXPECT_EQ(x509_entries, 0);
}

// The chain through a Precertificate Signing Certificate. Its TBS golden file
// (cloudflare/azul's) is the precertificate less its poison, nothing
// rewritten: it matches before the signer is even looked at.
TEST(PrecertTbs, PreissuerChainMatchesItsGolden) {
  const std::vector<std::string> chain = ReadPem(DataPath("certs/preissuer-chain.pem"));
  ASSERT_EQ(chain.size(), 4u);
  const std::string golden = ReadFile(DataPath("ct/preissuer/precert-tbs.der"));
  ASSERT_FALSE(golden.empty());
  std::string tbs;
  ASSERT_TRUE(RemovePoisonToTbs(chain[0], &tbs).ok());
  EXPECT_EQ(Hex(tbs), Hex(golden));
  EXPECT_TRUE(CheckPrecertificateTbs(chain[0], golden, chain[1], &tbs).ok());
  EXPECT_EQ(*HasExtendedKeyUsage(chain[1], kOidPrecertificateSigning), true);
  EXPECT_EQ(*HasExtendedKeyUsage(chain[2], kOidPrecertificateSigning), false);
}

TEST(PrecertTbs, ReusesTheOutputBuffer) {
  const std::string precert = ReadPem(DataPath("certs/real-precert-with-eku.pem")).at(0);
  std::string tbs;
  ASSERT_TRUE(RemovePoisonToTbs(precert, &tbs).ok());
  const std::string first = tbs;
  const char* buffer = tbs.data();
  ASSERT_TRUE(RemovePoisonToTbs(precert, &tbs).ok());
  EXPECT_EQ(tbs.data(), buffer);
  EXPECT_EQ(tbs, first);
}

TEST(PrecertTbs, CertificateWithoutPoisonIsNotFound) {
  const std::string leaf = ReadPem(DataPath("certs/cloudflare.pem")).at(0);
  std::string tbs;
  EXPECT_TRUE(absl::IsNotFound(RemovePoisonToTbs(leaf, &tbs)));
  EXPECT_TRUE(absl::IsNotFound(CheckPrecertificateTbs(leaf, "", "", &tbs)));
}

TEST(PrecertTbs, RefusesTruncatedAndTrailingInput) {
  const std::string precert = ReadPem(DataPath("certs/real-precert-with-eku.pem")).at(0);
  std::string tbs;
  for (size_t n = 0; n < precert.size(); ++n) {
    const std::string_view prefix(precert.data(), n);
    EXPECT_TRUE(absl::IsInvalidArgument(RemovePoisonToTbs(prefix, &tbs))) << n;
    EXPECT_FALSE(SubjectPublicKeyInfoDer(prefix).ok()) << n;
    EXPECT_FALSE(HasExtendedKeyUsage(prefix, kOidServerAuth).ok()) << n;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(RemovePoisonToTbs(precert + '\0', &tbs)));
  EXPECT_TRUE(absl::IsInvalidArgument(SubjectPublicKeyInfoDer(precert + '\0').status()));
}

// Re-encodes DER with the length of the TLV numbered `target` (in pre-order)
// in a valid BER but non-minimal form; -1 re-encodes everything as it was.
std::string Reencode(std::string_view der, int target, int* counter) {
  std::string out;
  while (!der.empty()) {
    const uint8_t tag = static_cast<uint8_t>(der[0]);
    size_t len = static_cast<uint8_t>(der[1]), header = 2;
    if (len & 0x80) {
      const size_t n = len & 0x7f;
      len = 0;
      for (size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<uint8_t>(der[2 + i]);
      header += n;
    }
    const std::string_view content = der.substr(header, len);
    const bool mine = (*counter)++ == target;
    const std::string inner =
        (tag & 0x20) ? Reencode(content, target, counter) : std::string(content);
    out.push_back(static_cast<char>(tag));
    std::string octets;
    for (size_t l = inner.size(); l > 0; l >>= 8)
      octets.insert(octets.begin(), static_cast<char>(l));
    if (mine) octets.insert(octets.begin(), '\0');  // a leading zero octet (0x81 00 for 0)
    if (inner.size() < 0x80 && !mine) {
      out.push_back(static_cast<char>(inner.size()));
    } else {
      out.push_back(static_cast<char>(0x80 | octets.size()));
      out += octets;
    }
    out += inner;
    der.remove_prefix(header + len);
  }
  return out;
}

TEST(PrecertTbs, RefusesNonMinimalLengthsAnywhere) {
  const std::string precert = ReadPem(DataPath("certs/real-precert-with-eku.pem")).at(0);
  int nodes = 0;
  ASSERT_EQ(Hex(Reencode(precert, -1, &nodes)), Hex(precert));
  ASSERT_GT(nodes, 50);
  std::string tbs;
  for (int i = 0; i < nodes; ++i) {
    int counter = 0;
    const std::string ber = Reencode(precert, i, &counter);
    ASSERT_NE(ber, precert);
    EXPECT_TRUE(absl::IsInvalidArgument(RemovePoisonToTbs(ber, &tbs))) << "TLV " << i;
    EXPECT_TRUE(absl::IsInvalidArgument(SubjectPublicKeyInfoDer(ber).status())) << "TLV " << i;
  }
}

TEST(PrecertTbs, TamperedLoggedTbsIsDataLoss) {
  const std::vector<std::string> chain = ReadPem(DataPath("certs/real-precert-with-eku.pem"));
  const std::string issuer = ReadPem(DataPath("certs/real-precert-intermediate.pem")).at(0);
  std::string logged, scratch;
  ASSERT_TRUE(RemovePoisonToTbsWithOpenSsl(chain[0], &logged).ok());
  ASSERT_TRUE(CheckPrecertificateTbs(chain[0], logged, issuer, &scratch).ok());
  for (size_t i = 0; i < logged.size(); i += 7) {
    std::string tampered = logged;
    tampered[i] ^= 0x01;
    EXPECT_TRUE(absl::IsDataLoss(CheckPrecertificateTbs(chain[0], tampered, issuer, &scratch)))
        << i;
  }
  EXPECT_TRUE(absl::IsDataLoss(
      CheckPrecertificateTbs(chain[0], logged.substr(0, logged.size() - 1), "", &scratch)));
  EXPECT_TRUE(absl::IsDataLoss(CheckPrecertificateTbs(chain[0], logged + '\0', "", &scratch)));
  EXPECT_TRUE(absl::IsDataLoss(CheckPrecertificateTbs(chain[0], "", issuer, &scratch)));
}

// A pre_certificate the strict reader refuses gets OpenSSL's verdict, as
// ct-fetch gave before: d2i_X509 ignores bytes after the certificate.
TEST(PrecertTbs, CheckFallsBackToOpenSslForWhatItRefuses) {
  const std::string precert = ReadPem(DataPath("certs/real-precert-with-eku.pem")).at(0);
  std::string logged, scratch;
  ASSERT_TRUE(RemovePoisonToTbsWithOpenSsl(precert, &logged).ok());
  ASSERT_TRUE(absl::IsInvalidArgument(RemovePoisonToTbs(precert + "x", &scratch)));
  EXPECT_TRUE(CheckPrecertificateTbs(precert + "x", logged, "", &scratch).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(CheckPrecertificateTbs("junk", logged, "", &scratch)));
}

}  // namespace
}  // namespace ctmr::x509
