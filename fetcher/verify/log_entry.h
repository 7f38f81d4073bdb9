// Log entries as RFC 6962 logs serve them (get-entries: MerkleTreeLeaf plus
// extra_data) and as static-ct-api logs serve them (data tiles of TileLeaf
// records), reduced to what ct-fetch needs: the certificate to write, the
// MerkleTreeLeaf to hash, and the issuer to name the file after.
//
// All input is hostile: every length is checked against what remains and
// against a limit (certificates < 16 MiB by construction of the 3-byte
// prefix, chains <= kMaxChainLength, get-entries bodies <= kMaxGetEntriesJson)
// and every error is a kInvalidArgument absl::Status.
#ifndef CT_FETCHER_VERIFY_LOG_ENTRY_H_
#define CT_FETCHER_VERIFY_LOG_ENTRY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ctmr::verify {

inline constexpr size_t kMaxChainLength = 32;
inline constexpr size_t kMaxGetEntriesJson = 64 * 1024 * 1024;
inline constexpr size_t kMaxDataTileEntries = 256;

enum class LogEntryType : uint16_t { kX509 = 0, kPrecert = 1 };

struct LogEntry {
  LogEntryType type = LogEntryType::kX509;
  uint64_t timestamp = 0;  // the TimestampedEntry's, in ms since the epoch
  // The RFC 6962 MerkleTreeLeaf; its LeafHash() is the entry's leaf hash.
  std::string merkle_tree_leaf;
  // What ct-fetch writes: the X.509 certificate (x509_entry) or the
  // pre_certificate from extra_data / the TileLeaf (precert_entry). Empty for a
  // precert parsed from a bare MerkleTreeLeaf.
  std::string certificate;
  // precert_entry only: the TBSCertificate the log signed and the SHA-256 of
  // the issuer's SubjectPublicKeyInfo.
  std::string tbs_certificate;
  std::string issuer_key_hash;
  std::string extensions;  // the TimestampedEntry's CtExtensions, raw
  // The submitted chain (issuers first to root), when get-entries gave it.
  std::vector<std::string> chain;
  // SHA-256 of each chain certificate: from the TileLeaf, or computed.
  std::vector<std::string> chain_fingerprints;
};

// Parses an RFC 6962 §3.4 MerkleTreeLeaf (version v1, leaf_type
// timestamped_entry). Fills everything but the chain (and, for precerts,
// `certificate`).
absl::StatusOr<LogEntry> ParseMerkleTreeLeaf(absl::string_view leaf);

// Adds a get-entries extra_data to an entry from ParseMerkleTreeLeaf():
// x509_entry: certificate_chain; precert_entry: PrecertChainEntry
// (pre_certificate, precertificate_chain). Sets chain, chain_fingerprints and,
// for precerts, certificate.
absl::Status ParseExtraData(absl::string_view extra_data, LogEntry* entry);

// Parses a get-entries JSON response (RFC 6962 §4.6) of at most `max_entries`
// entries, each with base64 "leaf_input" and "extra_data". This is the
// reference (nlohmann, absl base64); ct-fetch's hot path is
// ParseGetEntriesInto (entry_batch.h), which the get-entries fuzzer holds to
// the same answers.
absl::StatusOr<std::vector<LogEntry>> ParseGetEntriesResponse(absl::string_view json,
                                                              size_t max_entries);

// Parses one static-ct-api TileLeaf from the front of `*data` and advances it.
absl::StatusOr<LogEntry> ParseTileLeaf(absl::string_view* data);

// Splits a data tile into its entries. `expected_entries` (1..256) is the
// tile's width; a tile with fewer or more records is rejected.
absl::StatusOr<std::vector<LogEntry>> ParseDataTile(absl::string_view tile,
                                                    size_t expected_entries);

// ct-fetch's issuer name: base64url, unpadded, of SHA-256 of the issuer's
// SubjectPublicKeyInfo, taken from the issuer certificate (DER)...
absl::StatusOr<std::string> IssuerIdFromCertificate(absl::string_view issuer_der);
// ... or given as a precertificate's issuer_key_hash (32 bytes).
std::string IssuerIdFromKeyHash(absl::string_view issuer_key_hash);
// The entry's issuer name: the issuer_key_hash of a precert, else the first
// chain certificate's key. kFailedPrecondition for an x509 entry without its
// chain (a tile entry: fetch the issuer by fingerprint first).
absl::StatusOr<std::string> IssuerId(const LogEntry& entry);

}  // namespace ctmr::verify

#endif  // CT_FETCHER_VERIFY_LOG_ENTRY_H_
