// Parses arbitrary bytes as get-entries and get-sth JSON. Nothing may crash,
// leak, recurse without bound, or return more entries than asked for — and the
// hot-path parser (ParseGetEntriesInto: simdjson, the vector base64 decoder)
// must give the reference's answer (ParseGetEntriesResponse: nlohmann, absl):
// the same verdict, message and fields. Any disagreement abort()s so libFuzzer
// saves the input. The one allowed difference (entry_batch.h): simdjson
// refuses integers past 64 bits that nlohmann reads as doubles.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/x509/base64.h"
#include "fetcher/verify/codec.h"
#include "fetcher/verify/entry_batch.h"
#include "fetcher/verify/log_entry.h"
#include "fetcher/verify/tree_head.h"

namespace {

using ctmr::verify::EntryBatch;
using ctmr::verify::LogEntry;

constexpr size_t kMaxEntries = 4;

void Disagree(const char* what) {
  std::fprintf(stderr, "get-entries parsers disagree on %s\n", what);
  std::abort();
}

// Whether simdjson refuses the body for a number (see the header comment),
// after the two adjustments ParseGetEntriesInto makes: input ends at a NUL,
// and a byte order mark is skipped.
bool SimdjsonRefusesANumber(std::string body) {
  body = body.substr(0, body.find('\0'));
  if (body.rfind("\xEF\xBB\xBF", 0) == 0) body.erase(0, 3);
  simdjson::dom::parser parser;
  const simdjson::error_code e = parser.parse(simdjson::padded_string(body)).error();
  return e == simdjson::NUMBER_ERROR;
}

void CheckSameEntry(const LogEntry& want, const LogEntry& got) {
  if (got.type != want.type) Disagree("type");
  if (got.timestamp != want.timestamp) Disagree("timestamp");
  if (got.merkle_tree_leaf != want.merkle_tree_leaf) Disagree("merkle_tree_leaf");
  if (got.certificate != want.certificate) Disagree("certificate");
  if (got.tbs_certificate != want.tbs_certificate) Disagree("tbs_certificate");
  if (got.issuer_key_hash != want.issuer_key_hash) Disagree("issuer_key_hash");
  if (got.extensions != want.extensions) Disagree("extensions");
  if (got.chain != want.chain) Disagree("chain");
  if (got.chain_fingerprints != want.chain_fingerprints) Disagree("chain fingerprints");
}

// The strict base64 decoders: the vector one against absl's round trip.
void CheckBase64(absl::string_view text) {
  const absl::StatusOr<std::string> want = ctmr::verify::DecodeBase64Strict(text);
  std::string dst(ctmr::x509::Base64DecodeBound(text.size()), '\0');
  const long n =
      ctmr::x509::DecodeBase64StrictInto(std::string_view(text.data(), text.size()), dst.data());
  if ((n >= 0) != want.ok()) Disagree("base64 acceptance");
  if (n >= 0 && dst.compare(0, static_cast<size_t>(n), *want) != 0) Disagree("base64 bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One batch for the whole run, as a follower thread keeps one: leftovers of
  // an earlier input must never show through.
  static EntryBatch batch;
  static bool in_place = false;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  const absl::StatusOr<std::vector<LogEntry>> want =
      ctmr::verify::ParseGetEntriesResponse(input, kMaxEntries);
  absl::Status got;
  // Alternate the two ways in: parsed where it lies (spare capacity) or copied.
  in_place = !in_place;
  if (in_place) {
    std::string body;
    body.reserve(size + ctmr::verify::kJsonPadding);
    body.assign(input.data(), input.size());
    got = ctmr::verify::ParseGetEntriesInto(body, kMaxEntries, &batch);
  } else {
    got = ctmr::verify::ParseGetEntriesInto(input, kMaxEntries, &batch);
  }

  if (got.ok() != want.ok() || (!got.ok() && got != want.status())) {
    // A refusal for a number simdjson cannot hold is the allowed difference.
    if (got.ok() || !SimdjsonRefusesANumber(std::string(input.data(), input.size()))) {
      std::fprintf(stderr, "reference: %s\nbatch: %s\n", want.status().ToString().c_str(),
                   got.ToString().c_str());
      Disagree(got.ok() != want.ok() ? "acceptance" : "error message");
    }
  }
  if (!got.ok() && !batch.empty()) Disagree("an empty batch after an error");
  if (got.ok() && want.ok()) {
    if (batch.size() > kMaxEntries) std::abort();
    if (batch.size() != want->size()) Disagree("entry count");
    if (size % 3 == 0) batch.ComputeChainFingerprints();
    for (size_t i = 0; i < batch.size(); ++i) {
      CheckSameEntry((*want)[i], batch.ToLogEntry(i));
      const absl::StatusOr<std::string> a = ctmr::verify::IssuerId((*want)[i]);
      const absl::StatusOr<std::string> b = ctmr::verify::IssuerId(batch, i);
      if (a.ok() != b.ok() || (a.ok() && *a != *b)) Disagree("issuer");
    }
  }

  CheckBase64(input);
  (void)ctmr::verify::ParseGetSthResponse(input);
  return 0;
}
