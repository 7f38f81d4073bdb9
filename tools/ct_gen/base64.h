// Base64 encoders for ct-gen: standard alphabet with padding (PEM bodies) and
// the URL-safe alphabet without padding (issuer ids, DESIGN.md section 2).
#ifndef CT_TOOLS_CT_GEN_BASE64_H_
#define CT_TOOLS_CT_GEN_BASE64_H_

#include <string>
#include <string_view>

namespace ctgen {

// Appends the standard base64 of `data` to *out, a '\n' after every 64
// characters and after the last line, as PEM bodies are written.
void AppendBase64Lines(std::string_view data, std::string* out);

// Base64url of `data`, no padding, no line breaks.
std::string Base64UrlNoPad(std::string_view data);

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_BASE64_H_
