// DER by hand for tests that need bytes no encoder would write: one TLV with
// a definite length in the shortest form (contents up to 64 KiB).
#ifndef CT_TESTS_SUPPORT_DER_BUILDER_H_
#define CT_TESTS_SUPPORT_DER_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace ctmr::testing {

inline std::string Tlv(uint8_t tag, std::string_view content) {
  std::string out(1, static_cast<char>(tag));
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
  } else if (n < 0x100) {
    out += {'\x81', static_cast<char>(n)};
  } else {
    out += {'\x82', static_cast<char>(n >> 8), static_cast<char>(n & 0xff)};
  }
  out.append(content);
  return out;
}

inline std::string Seq(std::string_view content) { return Tlv(0x30, content); }

}  // namespace ctmr::testing

#endif  // CT_TESTS_SUPPORT_DER_BUILDER_H_
