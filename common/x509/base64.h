// Base64 (RFC 4648 standard alphabet) decoding of PEM bodies, and the strict
// form protocol fields use (get-entries' leaf_input and extra_data).
#ifndef CT_COMMON_X509_BASE64_H_
#define CT_COMMON_X509_BASE64_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace ctmr::x509 {

// Decodes `text`, ignoring ASCII whitespace (PEM's line breaks), and appends
// the bytes to `out`. Padding ('=') may appear only at the very end. Returns
// false, with `out` in an unspecified state, on any other character, on a
// dangling quantum, or on padding in the middle.
bool DecodeBase64(std::string_view text, std::string* out);

// The same, for a hot loop: decodes into `buffer`, which only ever grows, and
// points `decoded` at the bytes (valid until the buffer's next use).
bool DecodeBase64Reusing(std::string_view text, std::string* buffer, std::string_view* decoded);

// Room DecodeBase64StrictInto needs at `dst` for `text_size` characters: the
// vector path stores whole blocks, up to 32 bytes past the decoded end.
constexpr size_t Base64DecodeBound(size_t text_size) { return text_size / 4 * 3 + 32; }

// Decodes the canonical encoding only (RFC 4648 §4 with padding): no
// whitespace, a length that is a multiple of 4, '=' only as the last one or two
// characters, and zero unused bits before the padding — so one byte string has
// one accepted text. Writes to `dst`, which has Base64DecodeBound(text.size())
// bytes. Returns the decoded length, or -1 (with `dst` clobbered) when `text`
// is not canonical base64.
long DecodeBase64StrictInto(std::string_view text, char* dst);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_BASE64_H_
