#include "fetcher/verify/entry_batch.h"

#include <openssl/sha.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/x509/base64.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/entry_tls.h"

namespace ctmr::verify {
namespace {

static_assert(kJsonPadding == simdjson::SIMDJSON_PADDING);

// ParseGetEntriesResponse's nesting bound: {"entries":[{...}]} is 3 deep,
// leaving one level for whatever else an entry carries.
constexpr int kMaxJsonDepth = 4;
// simdjson's own bound, looser (it does not count empty containers, and counts
// the document): only a backstop for the exact WithinDepth() below.
constexpr size_t kSimdjsonMaxDepth = kMaxJsonDepth + 2;
// simdjson 3's DOM buffers per byte of capacity: structural indexes (4), tape
// (8) and string buffer (5/3), rounded up.
constexpr size_t kParserBytesPerByte = 14;
constexpr size_t kMinCapacity = 64 * 1024;

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Nesting of every array and object, counted as CheckJsonNesting counts it,
// so that the two parsers refuse the same documents.
bool WithinDepth(simdjson::dom::element e, int levels_left) {
  if (e.is_array()) {
    if (levels_left == 0) return false;
    for (simdjson::dom::element child : simdjson::dom::array(e)) {
      if (!WithinDepth(child, levels_left - 1)) return false;
    }
  } else if (e.is_object()) {
    if (levels_left == 0) return false;
    for (simdjson::dom::key_value_pair field : simdjson::dom::object(e)) {
      if (!WithinDepth(field.value, levels_left - 1)) return false;
    }
  }
  return true;
}

// The value of the last field named `key`, as nlohmann (the reference parser)
// keeps the last of duplicate keys; null if there is none.
simdjson::dom::element LastField(simdjson::dom::object object, std::string_view key, bool* found) {
  simdjson::dom::element value;
  *found = false;
  for (simdjson::dom::key_value_pair field : object) {
    if (field.key == key) {
      value = field.value;
      *found = true;
    }
  }
  return value;
}

// A capacity for `need` bytes when `have` is too small: at least double, so
// that a slowly growing size does not reallocate every time, but not past
// `limit` unless `need` is.
size_t Grown(size_t have, size_t need, size_t limit) {
  return std::min(std::max({need, 2 * have, kMinCapacity}), std::max(need, limit));
}

}  // namespace

// simdjson's DOM parser with its document, and a padded copy for bodies that
// lack spare capacity; sized for the largest body seen, never shrunk.
struct EntryBatch::JsonParser {
  simdjson::dom::parser parser{kMaxGetEntriesJson};
  simdjson::dom::document document;
  std::string padded;
  size_t capacity = 0;

  simdjson::error_code Parse(const char* data, size_t size, bool padded_input,
                             simdjson::dom::element* root) {
    if (capacity < size || capacity == 0) {  // else simdjson would size itself
      const size_t want = Grown(capacity, size, kMaxGetEntriesJson);
      simdjson::error_code e = parser.allocate(want, kSimdjsonMaxDepth);
      if (e == simdjson::SUCCESS) e = document.allocate(want);
      if (e != simdjson::SUCCESS) return e;
      capacity = want;
    }
    if (!padded_input) {
      if (padded.size() < size + kJsonPadding) {
        padded.resize(Grown(padded.size(), size + kJsonPadding, kMaxGetEntriesJson + kJsonPadding));
      }
      std::memcpy(padded.data(), data, size);
      data = padded.data();
    }
    return parser.parse_into_document(document, data, size, /*realloc_if_needed=*/false).get(*root);
  }

  size_t bytes() const { return capacity * kParserBytesPerByte + padded.capacity(); }
};

EntryBatch::EntryBatch() = default;
EntryBatch::~EntryBatch() = default;
EntryBatch::EntryBatch(EntryBatch&&) noexcept = default;
EntryBatch& EntryBatch::operator=(EntryBatch&&) noexcept = default;

void EntryBatch::Clear() {
  arena_used_ = 0;
  records_.clear();
  views_.clear();
  chain_certs_.clear();
  fingerprints_.clear();
  fingerprints_ready_ = false;
}

absl::string_view EntryBatch::chain_certificate(size_t i, size_t k) const {
  return View(chain_certs_[records_[i].chain_begin + k]);
}

absl::string_view EntryBatch::chain_fingerprint(size_t i, size_t k) const {
  if (!fingerprints_ready_) return absl::string_view();
  return absl::string_view(fingerprints_)
      .substr((records_[i].chain_begin + k) * kFingerprintSize, kFingerprintSize);
}

void EntryBatch::ComputeChainFingerprints() {
  if (fingerprints_ready_) return;
  fingerprints_.resize(chain_certs_.size() * kFingerprintSize);
  for (size_t j = 0; j < chain_certs_.size(); ++j) {
    const absl::string_view cert = View(chain_certs_[j]);
    SHA256(reinterpret_cast<const unsigned char*>(cert.data()), cert.size(),
           reinterpret_cast<unsigned char*>(&fingerprints_[j * kFingerprintSize]));
  }
  fingerprints_ready_ = true;
}

size_t EntryBatch::bytes() const {
  return sizeof(*this) + arena_.capacity() + records_.capacity() * sizeof(Record) +
         views_.capacity() * sizeof(EntryView) + chain_certs_.capacity() * sizeof(Span) +
         fingerprints_.capacity();
}

LogEntry EntryBatch::ToLogEntry(size_t i) const {
  const EntryView& v = views_[i];
  LogEntry e;
  e.type = v.type;
  e.timestamp = v.timestamp;
  e.merkle_tree_leaf = std::string(v.merkle_tree_leaf);
  e.certificate = std::string(v.certificate);
  e.tbs_certificate = std::string(v.tbs_certificate);
  e.issuer_key_hash = std::string(v.issuer_key_hash);
  e.extensions = std::string(v.extensions);
  for (size_t k = 0; k < v.chain_size; ++k) {
    const absl::string_view cert = chain_certificate(i, k);
    if (!cert.empty()) e.chain.emplace_back(cert);
    e.chain_fingerprints.push_back(fingerprints_ready_ ? std::string(chain_fingerprint(i, k))
                                                       : Sha256(cert));
  }
  return e;
}

char* EntryBatch::ArenaReserve(size_t n) {
  if (arena_.size() - arena_used_ < n) {
    // resize() zero-fills what it adds, so the arena grows geometrically and
    // is never shrunk: steady state costs nothing.
    arena_.resize(Grown(arena_.size(), arena_used_ + n, SIZE_MAX));
  }
  return arena_.data() + arena_used_;
}

EntryBatch::Span EntryBatch::SpanOf(absl::string_view bytes) const {
  if (bytes.empty()) return Span();
  return Span{static_cast<size_t>(bytes.data() - arena_.data()), bytes.size()};
}

void EntryBatch::ResolveViews() {
  views_.resize(records_.size());
  for (size_t i = 0; i < records_.size(); ++i) {
    const Record& r = records_[i];
    EntryView& v = views_[i];
    v.type = r.type;
    v.timestamp = r.timestamp;
    v.merkle_tree_leaf = View(r.leaf);
    v.certificate = View(r.certificate);
    v.tbs_certificate = View(r.tbs_certificate);
    v.issuer_key_hash = View(r.issuer_key_hash);
    v.extensions = View(r.extensions);
    v.chain_size = r.chain_size;
  }
}

absl::Status EntryBatch::AddGetEntry(std::string_view leaf_input, std::string_view extra_data) {
  // Decode both straight into the arena; the arena only moves in
  // ArenaReserve, so the views below stay good until the next entry.
  char* leaf_dst = ArenaReserve(x509::Base64DecodeBound(leaf_input.size()));
  const long leaf_size = x509::DecodeBase64StrictInto(leaf_input, leaf_dst);
  if (leaf_size >= 0) arena_used_ += static_cast<size_t>(leaf_size);
  char* extra_dst = ArenaReserve(x509::Base64DecodeBound(extra_data.size()));
  const long extra_size = x509::DecodeBase64StrictInto(extra_data, extra_dst);
  if (leaf_size < 0 || extra_size < 0) {
    return absl::InvalidArgumentError("get-entries: leaf_input / extra_data not base64");
  }
  arena_used_ += static_cast<size_t>(extra_size);
  const char* leaf_start = arena_.data() + arena_used_ - extra_size - leaf_size;
  const absl::string_view leaf(leaf_start, static_cast<size_t>(leaf_size));
  const absl::string_view extra(leaf_start + leaf_size, static_cast<size_t>(extra_size));

  EntryFields fields;
  ChainFields chain;
  RETURN_IF_ERROR(ReadMerkleTreeLeaf(leaf, &fields));
  RETURN_IF_ERROR(ReadExtraData(extra, &fields, &chain));
  Record& r = records_.emplace_back();
  r.type = fields.type;
  r.timestamp = fields.timestamp;
  r.leaf = SpanOf(leaf);
  r.certificate = SpanOf(fields.certificate);
  r.tbs_certificate = SpanOf(fields.tbs_certificate);
  r.issuer_key_hash = SpanOf(fields.issuer_key_hash);
  r.extensions = SpanOf(fields.extensions);
  r.chain_begin = chain_certs_.size();
  r.chain_size = chain.size;
  for (size_t k = 0; k < chain.size; ++k) chain_certs_.push_back(SpanOf(chain.certs[k]));
  return absl::OkStatus();
}

absl::Status EntryBatch::ParseJson(const char* data, size_t size, bool padded, size_t max_entries) {
  Clear();
  const absl::string_view json(data, size);
  if (size > kMaxGetEntriesJson) {
    return absl::InvalidArgumentError("get-entries: response too large");
  }
  // nlohmann, the reference, ends its input at the first NUL byte (inside a
  // string, that leaves the string unterminated: refused by both), though its
  // nesting pre-scan sees all of it.
  if (const void* nul = std::memchr(data, '\0', size)) {
    RETURN_IF_ERROR(CheckJsonNesting(json, kMaxJsonDepth));
    size = static_cast<size_t>(static_cast<const char*>(nul) - data);
  }
  // nlohmann skips a UTF-8 byte order mark; simdjson does not.
  if (absl::StartsWith(absl::string_view(data, size), kUtf8Bom)) {
    data += kUtf8Bom.size();
    size -= kUtf8Bom.size();
  }
  // The thread's parser: the views below copy out of it, so the next parse
  // on this thread may reuse it.
  thread_local JsonParser parser;
  simdjson::dom::element root;
  const simdjson::error_code error = parser.Parse(data, size, padded, &root);
  if (error == simdjson::MEMALLOC) {
    return absl::ResourceExhaustedError("get-entries: no memory for the JSON parser");
  }
  if (error != simdjson::SUCCESS) {
    // Which of the reference's two errors: the nesting pre-scan comes first.
    RETURN_IF_ERROR(CheckJsonNesting(json, kMaxJsonDepth));
    return absl::InvalidArgumentError("get-entries: not a JSON object");
  }
  if (!WithinDepth(root, kMaxJsonDepth)) {
    return absl::InvalidArgumentError("JSON nested too deeply");
  }
  if (!root.is_object()) return absl::InvalidArgumentError("get-entries: not a JSON object");
  bool found = false;
  const simdjson::dom::element entries = LastField(simdjson::dom::object(root), "entries", &found);
  if (!found || !entries.is_array()) {
    return absl::InvalidArgumentError("get-entries: no \"entries\" array");
  }
  const simdjson::dom::array array(entries);
  if (array.size() > max_entries) {
    return absl::InvalidArgumentError(absl::StrCat(
        "get-entries: ", array.size(), " entries, more than the ", max_entries, " asked for"));
  }
  records_.reserve(array.size());
  for (simdjson::dom::element e : array) {
    if (!e.is_object()) return absl::InvalidArgumentError("get-entries: entry is not an object");
    bool have_leaf = false;
    bool have_extra = false;
    const simdjson::dom::object entry(e);
    const simdjson::dom::element leaf = LastField(entry, "leaf_input", &have_leaf);
    const simdjson::dom::element extra = LastField(entry, "extra_data", &have_extra);
    if (!have_leaf || !leaf.is_string() || !have_extra || !extra.is_string()) {
      return absl::InvalidArgumentError("get-entries: entry without leaf_input / extra_data");
    }
    RETURN_IF_ERROR(
        AddGetEntry(leaf.get_string().value_unsafe(), extra.get_string().value_unsafe()));
  }
  ResolveViews();
  return absl::OkStatus();
}

absl::Status ParseGetEntriesInto(absl::string_view json, size_t max_entries, EntryBatch* out) {
  absl::Status s = out->ParseJson(json.data(), json.size(), /*padded=*/false, max_entries);
  if (!s.ok()) out->Clear();
  return s;
}

absl::Status ParseGetEntriesInto(const std::string& body, size_t max_entries, EntryBatch* out) {
  const bool padded = body.capacity() - body.size() >= kJsonPadding;
  absl::Status s = out->ParseJson(body.data(), body.size(), padded, max_entries);
  if (!s.ok()) out->Clear();
  return s;
}

absl::Status EntryBatch::AddTileLeaf(absl::string_view* tile) {
  EntryFields fields;
  absl::string_view timestamped_entry;
  absl::string_view fingerprints;
  const absl::string_view start = *tile;
  RETURN_IF_ERROR(ReadTileLeaf(tile, &fields, &timestamped_entry, &fingerprints));
  // Copy the record behind the MerkleTreeLeaf prefix (version v1, leaf_type
  // timestamped_entry): the leaf is then one view, the rest offsets into it.
  const size_t record_size = start.size() - tile->size();
  char* dst = ArenaReserve(2 + record_size);
  dst[0] = 0;
  dst[1] = 0;
  std::memcpy(dst + 2, start.data(), record_size);
  const size_t base = arena_used_ + 2;
  arena_used_ += 2 + record_size;
  auto span = [&](absl::string_view field) {
    if (field.empty()) return Span();
    return Span{base + static_cast<size_t>(field.data() - start.data()), field.size()};
  };
  Record& r = records_.emplace_back();
  r.type = fields.type;
  r.timestamp = fields.timestamp;
  r.leaf = Span{base - 2, 2 + timestamped_entry.size()};
  r.certificate = span(fields.certificate);
  r.tbs_certificate = span(fields.tbs_certificate);
  r.issuer_key_hash = span(fields.issuer_key_hash);
  r.extensions = span(fields.extensions);
  r.chain_begin = chain_certs_.size();
  r.chain_size = fingerprints.size() / kFingerprintSize;
  chain_certs_.resize(chain_certs_.size() + r.chain_size);
  fingerprints_.append(fingerprints.data(), fingerprints.size());
  return absl::OkStatus();
}

absl::Status ParseDataTileInto(absl::string_view tile, size_t expected_entries, EntryBatch* out) {
  out->Clear();
  if (expected_entries == 0 || expected_entries > kMaxDataTileEntries) {
    return absl::InvalidArgumentError("data tile: width must be 1..256");
  }
  out->fingerprints_ready_ = true;
  while (!tile.empty()) {
    if (out->records_.size() == expected_entries) {
      out->Clear();
      return absl::InvalidArgumentError("data tile: more entries than its width");
    }
    absl::Status s = out->AddTileLeaf(&tile);
    if (!s.ok()) {
      const size_t index = out->records_.size();
      out->Clear();
      return absl::InvalidArgumentError(absl::StrCat("data tile entry ", index, ": ", s.message()));
    }
  }
  if (out->records_.size() != expected_entries) {
    const size_t count = out->records_.size();
    out->Clear();
    return absl::InvalidArgumentError(
        absl::StrCat("data tile: ", count, " entries, expected ", expected_entries));
  }
  out->ResolveViews();
  return absl::OkStatus();
}

absl::StatusOr<std::string> IssuerId(const EntryBatch& batch, size_t i) {
  const EntryView& e = batch[i];
  if (e.type == LogEntryType::kPrecert) return IssuerIdFromKeyHash(e.issuer_key_hash);
  if (e.chain_size == 0 || batch.chain_certificate(i, 0).empty()) {
    return absl::FailedPreconditionError("x509 entry without its issuer certificate");
  }
  return IssuerIdFromCertificate(batch.chain_certificate(i, 0));
}

}  // namespace ctmr::verify
