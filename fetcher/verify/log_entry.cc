#include "fetcher/verify/log_entry.h"

#include <openssl/x509.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/entry_batch.h"
#include "fetcher/verify/entry_tls.h"
#include "nlohmann/json.hpp"

namespace ctmr::verify {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

// Copies what the shared TLS readers (entry_tls.h) found into a LogEntry.
void CopyFields(const EntryFields& fields, LogEntry* entry) {
  entry->type = fields.type;
  entry->timestamp = fields.timestamp;
  entry->certificate = std::string(fields.certificate);
  entry->tbs_certificate = std::string(fields.tbs_certificate);
  entry->issuer_key_hash = std::string(fields.issuer_key_hash);
  entry->extensions = std::string(fields.extensions);
}

}  // namespace

absl::StatusOr<LogEntry> ParseMerkleTreeLeaf(absl::string_view leaf) {
  EntryFields fields;
  RETURN_IF_ERROR(ReadMerkleTreeLeaf(leaf, &fields));
  LogEntry entry;
  CopyFields(fields, &entry);
  entry.merkle_tree_leaf = std::string(leaf);
  return entry;
}

absl::Status ParseExtraData(absl::string_view extra_data, LogEntry* entry) {
  EntryFields fields;
  fields.type = entry->type;
  ChainFields chain;
  RETURN_IF_ERROR(ReadExtraData(extra_data, &fields, &chain));
  if (entry->type == LogEntryType::kPrecert) entry->certificate = std::string(fields.certificate);
  entry->chain.clear();
  for (size_t k = 0; k < chain.size; ++k) entry->chain.emplace_back(chain.certs[k]);
  entry->chain_fingerprints.clear();
  for (const std::string& c : entry->chain) entry->chain_fingerprints.push_back(Sha256(c));
  return absl::OkStatus();
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
  EntryFields fields;
  absl::string_view timestamped_entry;
  absl::string_view fingerprints;
  RETURN_IF_ERROR(ReadTileLeaf(data, &fields, &timestamped_entry, &fingerprints));
  LogEntry entry;
  CopyFields(fields, &entry);
  entry.merkle_tree_leaf.reserve(2 + timestamped_entry.size());
  entry.merkle_tree_leaf.append("\x00\x00", 2);  // version v1, leaf_type timestamped_entry
  entry.merkle_tree_leaf.append(timestamped_entry.data(), timestamped_entry.size());
  for (size_t i = 0; i < fingerprints.size(); i += kFingerprintSize) {
    entry.chain_fingerprints.emplace_back(fingerprints.substr(i, kFingerprintSize));
  }
  return entry;
}

absl::StatusOr<std::vector<LogEntry>> ParseDataTile(absl::string_view tile,
                                                    size_t expected_entries) {
  EntryBatch batch;
  RETURN_IF_ERROR(ParseDataTileInto(tile, expected_entries, &batch));
  std::vector<LogEntry> out;
  out.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) out.push_back(batch.ToLogEntry(i));
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
