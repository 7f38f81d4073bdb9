// UTF-8 as X.509 names need it: strict validation, and encoding one scalar
// value the way ASN1_STRING_to_UTF8 writes it.
#ifndef CT_COMMON_X509_UTF8_H_
#define CT_COMMON_X509_UTF8_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace ctmr::x509 {

// Appends the UTF-8 bytes of `code_point` (at most U+10FFFF; callers validate).
void AppendUtf8(uint32_t code_point, std::string* out);

// A Unicode scalar value: at most U+10FFFF and not a surrogate.
inline bool ValidScalar(uint32_t cp) { return cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff); }

// Strict RFC 3629 UTF-8: no overlong forms, no surrogates, at most U+10FFFF.
bool ValidUtf8(std::string_view s);

}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_UTF8_H_
