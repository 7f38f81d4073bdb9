// Base64 (RFC 4648 standard alphabet) decoding of PEM bodies.
#ifndef CT_COMMON_X509_BASE64_H_
#define CT_COMMON_X509_BASE64_H_

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

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_BASE64_H_
