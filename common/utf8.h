// UTF-8 encoding of one Unicode scalar value, as ASN1_STRING_to_UTF8 writes it.
#ifndef CT_COMMON_UTF8_H_
#define CT_COMMON_UTF8_H_

#include <cstdint>
#include <string>

namespace ctmr {

// Appends the UTF-8 bytes of `code_point` (at most U+10FFFF; callers validate).
void AppendUtf8(uint32_t code_point, std::string* out);

}  // namespace ctmr

#endif  // CT_COMMON_UTF8_H_
