#include "fetcher/verify/log_entry.h"

#include <openssl/x509.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "fetcher/verify/codec.h"
#include "nlohmann/json.hpp"

namespace ctmr::verify {
namespace {

constexpr size_t kMaxCert = (size_t{1} << 24) - 1;
constexpr size_t kMaxExtensions = (size_t{1} << 16) - 1;
constexpr size_t kFingerprintSize = 32;

absl::Status Invalid(absl::string_view what, const absl::Status& cause) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", cause.message()));
}

// ASN.1Cert = opaque<1..2^24-1>.
absl::Status ReadCert(TlsReader* r, absl::string_view what, absl::string_view* out) {
  absl::Status s = r->ReadVector(3, kMaxCert, out);
  if (!s.ok()) return Invalid(what, s);
  if (out->empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": empty certificate"));
  return absl::OkStatus();
}

// ASN.1Cert chain<0..2^24-1>, at most kMaxChainLength certificates.
absl::Status ReadChain(TlsReader* r, LogEntry* entry) {
  absl::string_view list;
  absl::Status s = r->ReadVector(3, kMaxCert, &list);
  if (!s.ok()) return Invalid("certificate chain", s);
  TlsReader certs(list);
  std::vector<std::string> chain;
  while (!certs.empty()) {
    if (chain.size() == kMaxChainLength) {
      return absl::InvalidArgumentError("certificate chain: too many certificates");
    }
    absl::string_view cert;
    RETURN_IF_ERROR(ReadCert(&certs, "chain certificate", &cert));
    chain.emplace_back(cert);
  }
  entry->chain_fingerprints.clear();
  for (const std::string& c : chain) entry->chain_fingerprints.push_back(Sha256(c));
  entry->chain = std::move(chain);
  return absl::OkStatus();
}

// TimestampedEntry (RFC 6962 §3.4), reading into `entry`.
absl::Status ReadTimestampedEntry(TlsReader* r, LogEntry* entry) {
  uint64_t type = 0;
  absl::Status s = r->ReadUint(8, &entry->timestamp);
  if (s.ok()) s = r->ReadUint(2, &type);
  if (!s.ok()) return Invalid("timestamped entry", s);
  absl::string_view field;
  if (type == static_cast<uint64_t>(LogEntryType::kX509)) {
    entry->type = LogEntryType::kX509;
    RETURN_IF_ERROR(ReadCert(r, "x509 entry", &field));
    entry->certificate = std::string(field);
  } else if (type == static_cast<uint64_t>(LogEntryType::kPrecert)) {
    entry->type = LogEntryType::kPrecert;
    s = r->ReadFixed(kFingerprintSize, &field);
    if (!s.ok()) return Invalid("precert entry", s);
    entry->issuer_key_hash = std::string(field);
    RETURN_IF_ERROR(ReadCert(r, "precert TBSCertificate", &field));
    entry->tbs_certificate = std::string(field);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown entry type ", type));
  }
  s = r->ReadVector(2, kMaxExtensions, &field);
  if (!s.ok()) return Invalid("extensions", s);
  entry->extensions = std::string(field);
  return absl::OkStatus();
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

}  // namespace

absl::StatusOr<LogEntry> ParseMerkleTreeLeaf(absl::string_view leaf) {
  TlsReader r(leaf);
  uint64_t version = 0;
  uint64_t leaf_type = 0;
  absl::Status s = r.ReadUint(1, &version);
  if (s.ok()) s = r.ReadUint(1, &leaf_type);
  if (!s.ok()) return Invalid("MerkleTreeLeaf", s);
  if (version != 0) return absl::InvalidArgumentError("MerkleTreeLeaf: unknown version");
  if (leaf_type != 0) return absl::InvalidArgumentError("MerkleTreeLeaf: unknown leaf type");
  LogEntry entry;
  RETURN_IF_ERROR(ReadTimestampedEntry(&r, &entry));
  RETURN_IF_ERROR(r.ExpectEnd("MerkleTreeLeaf"));
  entry.merkle_tree_leaf = std::string(leaf);
  return entry;
}

absl::Status ParseExtraData(absl::string_view extra_data, LogEntry* entry) {
  TlsReader r(extra_data);
  if (entry->type == LogEntryType::kPrecert) {
    absl::string_view pre;
    RETURN_IF_ERROR(ReadCert(&r, "pre_certificate", &pre));
    entry->certificate = std::string(pre);
  }
  RETURN_IF_ERROR(ReadChain(&r, entry));
  return r.ExpectEnd("extra_data");
}

absl::StatusOr<std::vector<LogEntry>> ParseGetEntriesResponse(absl::string_view json,
                                                              size_t max_entries) {
  if (json.size() > kMaxGetEntriesJson) {
    return absl::InvalidArgumentError("get-entries: response too large");
  }
  RETURN_IF_ERROR(CheckJsonNesting(json, 4));
  const nlohmann::json j = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!j.is_object()) return absl::InvalidArgumentError("get-entries: not a JSON object");
  auto entries = j.find("entries");
  if (entries == j.end() || !entries->is_array()) {
    return absl::InvalidArgumentError("get-entries: no \"entries\" array");
  }
  if (entries->size() > max_entries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "get-entries: ", entries->size(), " entries, more than the ", max_entries, " asked for"));
  }
  std::vector<LogEntry> out;
  out.reserve(entries->size());
  for (const nlohmann::json& e : *entries) {
    if (!e.is_object()) return absl::InvalidArgumentError("get-entries: entry is not an object");
    auto leaf = e.find("leaf_input");
    auto extra = e.find("extra_data");
    if (leaf == e.end() || !leaf->is_string() || extra == e.end() || !extra->is_string()) {
      return absl::InvalidArgumentError("get-entries: entry without leaf_input / extra_data");
    }
    absl::StatusOr<std::string> leaf_bytes =
        DecodeBase64Strict(leaf->get_ref<const std::string&>());
    absl::StatusOr<std::string> extra_bytes =
        DecodeBase64Strict(extra->get_ref<const std::string&>());
    if (!leaf_bytes.ok() || !extra_bytes.ok()) {
      return absl::InvalidArgumentError("get-entries: leaf_input / extra_data not base64");
    }
    absl::StatusOr<LogEntry> entry = ParseMerkleTreeLeaf(*leaf_bytes);
    if (!entry.ok()) return entry.status();
    RETURN_IF_ERROR(ParseExtraData(*extra_bytes, &*entry));
    out.push_back(*std::move(entry));
  }
  return out;
}

absl::StatusOr<LogEntry> ParseTileLeaf(absl::string_view* data) {
  const absl::string_view start = *data;
  TlsReader r(start);
  LogEntry entry;
  RETURN_IF_ERROR(ReadTimestampedEntry(&r, &entry));
  const size_t timestamped_size = start.size() - r.remaining().size();
  entry.merkle_tree_leaf.reserve(2 + timestamped_size);
  entry.merkle_tree_leaf.append("\x00\x00", 2);  // version v1, leaf_type timestamped_entry
  entry.merkle_tree_leaf.append(start.data(), timestamped_size);
  if (entry.type == LogEntryType::kPrecert) {
    absl::string_view pre;
    RETURN_IF_ERROR(ReadCert(&r, "TileLeaf pre_certificate", &pre));
    entry.certificate = std::string(pre);
  }
  absl::string_view fingerprints;
  absl::Status s = r.ReadVector(2, kMaxChainLength * kFingerprintSize, &fingerprints);
  if (!s.ok()) return Invalid("TileLeaf chain", s);
  if (fingerprints.size() % kFingerprintSize != 0) {
    return absl::InvalidArgumentError("TileLeaf chain: not a list of fingerprints");
  }
  for (size_t i = 0; i < fingerprints.size(); i += kFingerprintSize) {
    entry.chain_fingerprints.emplace_back(fingerprints.substr(i, kFingerprintSize));
  }
  *data = r.remaining();
  return entry;
}

absl::StatusOr<std::vector<LogEntry>> ParseDataTile(absl::string_view tile,
                                                    size_t expected_entries) {
  if (expected_entries == 0 || expected_entries > kMaxDataTileEntries) {
    return absl::InvalidArgumentError("data tile: width must be 1..256");
  }
  std::vector<LogEntry> out;
  out.reserve(expected_entries);
  while (!tile.empty()) {
    if (out.size() == expected_entries) {
      return absl::InvalidArgumentError("data tile: more entries than its width");
    }
    absl::StatusOr<LogEntry> entry = ParseTileLeaf(&tile);
    if (!entry.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("data tile entry ", out.size(), ": ", entry.status().message()));
    }
    out.push_back(*std::move(entry));
  }
  if (out.size() != expected_entries) {
    return absl::InvalidArgumentError(
        absl::StrCat("data tile: ", out.size(), " entries, expected ", expected_entries));
  }
  return out;
}

absl::StatusOr<std::string> IssuerIdFromCertificate(absl::string_view issuer_der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(issuer_der.data());
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, static_cast<long>(issuer_der.size())));
  if (cert == nullptr) return absl::InvalidArgumentError("issuer: not an X.509 certificate");
  unsigned char* spki = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &spki);
  if (len <= 0) return absl::InvalidArgumentError("issuer: no SubjectPublicKeyInfo");
  const std::string digest = Sha256(absl::string_view(reinterpret_cast<char*>(spki), len));
  OPENSSL_free(spki);
  return EncodeBase64UrlNoPad(digest);
}

std::string IssuerIdFromKeyHash(absl::string_view issuer_key_hash) {
  return EncodeBase64UrlNoPad(issuer_key_hash);
}

absl::StatusOr<std::string> IssuerId(const LogEntry& entry) {
  if (entry.type == LogEntryType::kPrecert) return IssuerIdFromKeyHash(entry.issuer_key_hash);
  if (entry.chain.empty()) {
    return absl::FailedPreconditionError("x509 entry without its issuer certificate");
  }
  return IssuerIdFromCertificate(entry.chain.front());
}

}  // namespace ctmr::verify
