// The TLS structures of a log entry — RFC 6962 §3.4 MerkleTreeLeaf, the
// get-entries extra_data (§4.6) and the static-ct-api TileLeaf — read as views
// into the input. One reader serves both the LogEntry functions (log_entry.h)
// and EntryBatch (entry_batch.h), so the two accept exactly the same bytes.
//
// Every field is a view into the bytes passed in; nothing is copied or
// allocated. Errors are kInvalidArgument with the messages log_entry.h has
// always returned; on error the outputs hold unspecified views.
#ifndef CT_FETCHER_VERIFY_ENTRY_TLS_H_
#define CT_FETCHER_VERIFY_ENTRY_TLS_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "fetcher/verify/log_entry.h"

namespace ctmr::verify {

inline constexpr size_t kFingerprintSize = 32;

struct EntryFields {
  LogEntryType type = LogEntryType::kX509;
  uint64_t timestamp = 0;
  // x509_entry: the certificate; precert_entry: the pre_certificate, once
  // ReadExtraData or ReadTileLeaf has read it.
  absl::string_view certificate;
  absl::string_view tbs_certificate;  // precert_entry only
  absl::string_view issuer_key_hash;  // precert_entry only, 32 bytes
  absl::string_view extensions;
};

// A chain is at most kMaxChainLength certificates, so it fits on the stack.
struct ChainFields {
  std::array<absl::string_view, kMaxChainLength> certs;
  size_t size = 0;
};

// A whole MerkleTreeLeaf (version v1, leaf_type timestamped_entry).
absl::Status ReadMerkleTreeLeaf(absl::string_view leaf, EntryFields* fields);

// A whole extra_data for an entry of `fields->type`: x509_entry is a
// certificate_chain; precert_entry a PrecertChainEntry, whose pre_certificate
// goes to fields->certificate.
absl::Status ReadExtraData(absl::string_view extra_data, EntryFields* fields, ChainFields* chain);

// One TileLeaf from the front of `*data`, which is advanced past it.
// `timestamped_entry` is the TimestampedEntry the leaf starts with (the
// MerkleTreeLeaf less its 2-byte prefix), `fingerprints` the chain's SHA-256
// fingerprints, kFingerprintSize bytes each.
absl::Status ReadTileLeaf(absl::string_view* data, EntryFields* fields,
                          absl::string_view* timestamped_entry, absl::string_view* fingerprints);

}  // namespace ctmr::verify

#endif  // CT_FETCHER_VERIFY_ENTRY_TLS_H_
