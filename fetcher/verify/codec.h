// Small encoding helpers shared by the ct-fetch parsers: strict base64, SHA-256,
// and a bounds-checked reader for RFC 5246 / RFC 6962 presentation-language
// structures (big-endian integers, length-prefixed opaque vectors).
//
// Every read checks the remaining input first; on failure the reader returns
// kInvalidArgument and its position is unspecified. Nothing here allocates more
// than the input already holds.
#ifndef CT_FETCHER_VERIFY_CODEC_H_
#define CT_FETCHER_VERIFY_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ctmr::verify {

// Decodes standard base64 (RFC 4648 §4, with padding). Only the canonical
// encoding is accepted: no whitespace, no missing padding, no non-zero
// trailing bits — so one byte string has one accepted text.
absl::StatusOr<std::string> DecodeBase64Strict(absl::string_view text);

// Standard base64 with padding.
std::string EncodeBase64(absl::string_view bytes);

// base64url without padding (RFC 4648 §5): ct-fetch's issuer file names.
std::string EncodeBase64UrlNoPad(absl::string_view bytes);

// SHA-256 of `bytes` (32 raw bytes).
std::string Sha256(absl::string_view bytes);
// SHA-256 of the concatenated parts into out[0, 32), without an allocation.
void Sha256Into(std::initializer_list<absl::string_view> parts, char* out);

// Lowercase hex.
std::string HexEncode(absl::string_view bytes);

// kInvalidArgument if JSON text nests arrays/objects deeper than `max_depth`
// (a cheap pre-scan: hostile nesting must not reach a recursive parser).
absl::Status CheckJsonNesting(absl::string_view json, int max_depth);

// Reads TLS-encoded fields from a byte string it does not own.
class TlsReader {
 public:
  explicit TlsReader(absl::string_view data) : data_(data) {}

  // Reads a big-endian unsigned integer of `bytes` (1..8) bytes.
  absl::Status ReadUint(size_t bytes, uint64_t* out);
  // Reads exactly `n` bytes.
  absl::Status ReadFixed(size_t n, absl::string_view* out);
  // Reads a vector with a `prefix_bytes`-byte length prefix whose length is at
  // most `max_len`.
  absl::Status ReadVector(size_t prefix_bytes, size_t max_len, absl::string_view* out);

  absl::string_view remaining() const { return data_; }
  bool empty() const { return data_.empty(); }
  // kInvalidArgument naming `what` unless the input is fully consumed.
  absl::Status ExpectEnd(absl::string_view what) const;

 private:
  absl::string_view data_;
};

}  // namespace ctmr::verify

#endif  // CT_FETCHER_VERIFY_CODEC_H_
