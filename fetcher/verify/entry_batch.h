// EntryBatch: the entries of one get-entries response or one data tile, parsed
// into storage that the next response reuses — ct-fetch's hot path, where the
// LogEntry functions (log_entry.h) cost a JSON DOM, fresh strings and a SHA-256
// per chain certificate for every entry.
//
// Ownership and lifetime: a batch holds its own copy of everything its views
// show (the decoded leaf_input / extra_data, or the tile's TileLeaf records),
// so the input may be freed once a Parse*Into call returns. Every view —
// EntryView's fields, chain_certificate(), chain_fingerprint() — is valid
// until the batch is cleared, parsed into again, moved from or destroyed.
//
// Reuse: Clear() and every Parse*Into keep each buffer's capacity (the byte
// arena, the entry and chain indexes), so once a batch has held a response as
// large as the next one, parsing it allocates nothing. The simdjson parser is
// the calling thread's (one per thread, sized for the largest body it has
// parsed), not the batch's: ct-fetch keeps many batches queued ahead, and the
// parser is ~14 bytes per byte of body, needed only during a parse.
// bytes() is what the batch holds, for a memory budget; destroying the batch
// gives it back.
//
// Threads: a batch is used by one thread at a time (it may be handed from a
// fetching thread to a verifying one).
//
// Errors: the checks and kInvalidArgument messages of ParseGetEntriesResponse
// and ParseDataTile (kResourceExhausted if the JSON parser cannot allocate its
// buffers); after an error the batch is empty. One known difference:
// ParseGetEntriesInto refuses integers outside the 64-bit range anywhere in
// the JSON (simdjson), which nlohmann would read as doubles; get-entries has
// no numbers, and refusing is the safe side.
#ifndef CT_FETCHER_VERIFY_ENTRY_BATCH_H_
#define CT_FETCHER_VERIFY_ENTRY_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fetcher/verify/log_entry.h"

namespace ctmr::verify {

// Bytes past the end of a JSON body that the parser reads (never writes). A
// body in a std::string with this much spare capacity is parsed in place:
// reserve(size + kJsonPadding) before reading the response into it.
inline constexpr size_t kJsonPadding = 64;

// One entry; the fields mean what LogEntry's do.
struct EntryView {
  LogEntryType type = LogEntryType::kX509;
  uint64_t timestamp = 0;
  absl::string_view merkle_tree_leaf;  // tiles: rebuilt with its 2-byte prefix
  absl::string_view certificate;       // x509 certificate or pre_certificate
  absl::string_view tbs_certificate;   // precert_entry only
  absl::string_view issuer_key_hash;   // precert_entry only, 32 bytes
  absl::string_view extensions;
  // Certificates in the submitted chain (tiles: fingerprints in the TileLeaf).
  size_t chain_size = 0;
};

class EntryBatch {
 public:
  EntryBatch();
  ~EntryBatch();
  EntryBatch(EntryBatch&&) noexcept;
  EntryBatch& operator=(EntryBatch&&) noexcept;

  // Empties the batch, keeping every buffer's capacity.
  void Clear();

  size_t size() const { return views_.size(); }
  bool empty() const { return views_.empty(); }
  const EntryView& operator[](size_t i) const { return views_[i]; }
  std::vector<EntryView>::const_iterator begin() const { return views_.begin(); }
  std::vector<EntryView>::const_iterator end() const { return views_.end(); }

  // The k-th chain certificate (DER) of entry i, issuer first; empty for a
  // tile entry, whose chain is fingerprints only.
  absl::string_view chain_certificate(size_t i, size_t k) const;

  // The SHA-256 of the k-th chain certificate of entry i (32 bytes), or empty
  // until it is known: tiles carry them; for get-entries they cost a hash per
  // certificate that only some callers want, so they wait for
  // ComputeChainFingerprints().
  absl::string_view chain_fingerprint(size_t i, size_t k) const;
  bool has_chain_fingerprints() const { return fingerprints_ready_; }
  // Hashes every chain certificate of a get-entries batch (a no-op for tiles
  // or when done already).
  void ComputeChainFingerprints();

  // Memory held, at capacity: the arena and the indexes (the thread's
  // simdjson parser is not the batch's).
  size_t bytes() const;

  // Entry i as a LogEntry, with chain fingerprints (computed if need be), as
  // ParseGetEntriesResponse / ParseDataTile return it: for tests and callers
  // of the old API.
  LogEntry ToLogEntry(size_t i) const;

 private:
  friend absl::Status ParseGetEntriesInto(absl::string_view, size_t, EntryBatch*);
  friend absl::Status ParseGetEntriesInto(const std::string&, size_t, EntryBatch*);
  friend absl::Status ParseDataTileInto(absl::string_view, size_t, EntryBatch*);
  struct JsonParser;
  struct Span {  // bytes of arena_; offsets, since the arena moves as it grows
    size_t offset = 0;
    size_t size = 0;
  };
  struct Record {
    Span leaf, certificate, tbs_certificate, issuer_key_hash, extensions;
    LogEntryType type = LogEntryType::kX509;
    uint64_t timestamp = 0;
    size_t chain_begin = 0;  // into chain_certs_ and fingerprints_
    size_t chain_size = 0;
  };

  absl::Status ParseJson(const char* data, size_t size, bool padded, size_t max_entries);
  // The JSON strings, as simdjson gives them.
  absl::Status AddGetEntry(std::string_view leaf_input, std::string_view extra_data);
  absl::Status AddTileLeaf(absl::string_view* tile);
  // Room for `n` more bytes at arena_used_ (grows arena_, moving it).
  char* ArenaReserve(size_t n);
  Span SpanOf(absl::string_view bytes) const;
  absl::string_view View(Span s) const {
    return absl::string_view(arena_.data() + s.offset, s.size);
  }
  // Points views_ at the arena once it has stopped moving.
  void ResolveViews();

  // Decoded leaf_input / extra_data (get-entries) or TileLeaf records (tiles)
  // in [0, arena_used_); arena_.size() is the capacity, grown only.
  std::string arena_;
  size_t arena_used_ = 0;
  std::vector<Record> records_;
  std::vector<EntryView> views_;
  std::vector<Span> chain_certs_;  // empty spans for tile entries
  std::string fingerprints_;       // kFingerprintSize bytes per chain_certs_ element
  bool fingerprints_ready_ = false;
};

// Parses a get-entries response (RFC 6962 §4.6) of at most `max_entries`
// entries into `out`, with ParseGetEntriesResponse's checks. The std::string
// overload parses in place when the string has kJsonPadding spare capacity;
// otherwise the body is copied into the batch's own padded buffer.
absl::Status ParseGetEntriesInto(absl::string_view json, size_t max_entries, EntryBatch* out);
absl::Status ParseGetEntriesInto(const std::string& body, size_t max_entries, EntryBatch* out);
inline absl::Status ParseGetEntriesInto(const char* json, size_t max_entries, EntryBatch* out) {
  return ParseGetEntriesInto(absl::string_view(json), max_entries, out);
}

// Splits a data tile of `expected_entries` (1..256) TileLeaf records into
// `out`, with ParseDataTile's checks.
absl::Status ParseDataTileInto(absl::string_view tile, size_t expected_entries, EntryBatch* out);

// IssuerId(const LogEntry&) for entry i of a batch: the issuer_key_hash of a
// precert, else the key of the first chain certificate (kFailedPrecondition
// for a tile's x509 entry, whose chain is fingerprints only).
absl::StatusOr<std::string> IssuerId(const EntryBatch& batch, size_t i);

}  // namespace ctmr::verify

#endif  // CT_FETCHER_VERIFY_ENTRY_BATCH_H_
