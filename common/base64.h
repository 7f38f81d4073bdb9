// Base64 (RFC 4648 standard alphabet) decoding of PEM bodies.
#ifndef CT_COMMON_BASE64_H_
#define CT_COMMON_BASE64_H_

#include <string>
#include <string_view>

namespace ctmr {

// Decodes `text`, ignoring ASCII whitespace (PEM's line breaks), and appends
// the bytes to `out`. Padding ('=') may appear only at the very end. Returns
// false, with `out` in an unspecified state, on any other character, on a
// dangling quantum, or on padding in the middle.
bool DecodeBase64(std::string_view text, std::string* out);

}  // namespace ctmr

#endif  // CT_COMMON_BASE64_H_
