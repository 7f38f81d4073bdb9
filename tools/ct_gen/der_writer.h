// DerWriter: the few DER encodings ct-gen needs to build certificates by hand.
//
// Every function returns the complete TLV (tag, definite length, content) as a
// std::string, so structures nest by concatenation:
//   Sequence({Integer(serial), Oid("1.2.840.10045.4.3.2")})
// Nothing here validates its input beyond what the encoding itself needs; the
// caller decides what goes into a certificate, malformed on purpose or not.
#ifndef CT_TOOLS_CT_GEN_DER_WRITER_H_
#define CT_TOOLS_CT_GEN_DER_WRITER_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace ctgen {

namespace der {

// Universal tags used below; context tags are built with ContextTag().
inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kOid = 0x06;
inline constexpr uint8_t kUtf8String = 0x0c;
inline constexpr uint8_t kPrintableString = 0x13;
inline constexpr uint8_t kIa5String = 0x16;
inline constexpr uint8_t kUtcTime = 0x17;
inline constexpr uint8_t kGeneralizedTime = 0x18;
inline constexpr uint8_t kBmpString = 0x1e;
inline constexpr uint8_t kSequence = 0x30;
inline constexpr uint8_t kSet = 0x31;

// [n] context-specific tag; constructed or primitive.
constexpr uint8_t ContextTag(int n, bool constructed) {
  return static_cast<uint8_t>(0x80 | (constructed ? 0x20 : 0) | n);
}

// Appends tag, definite length and content to *out.
void AppendTlv(std::string* out, uint8_t tag, std::string_view content);

std::string Tlv(uint8_t tag, std::string_view content);
std::string Sequence(std::initializer_list<std::string_view> parts);
std::string Set(std::initializer_list<std::string_view> parts);

// INTEGER whose content octets are exactly `content` (already minimal two's
// complement; the caller adds the leading 0x00 when the high bit is set).
std::string IntegerContent(std::string_view content);
// INTEGER of a small non-negative value, minimally encoded.
std::string SmallInteger(uint64_t value);
// OBJECT IDENTIFIER from dotted decimal, e.g. "2.5.4.3".
std::string Oid(std::string_view dotted);
std::string Boolean(bool value);
std::string Null();
std::string OctetString(std::string_view content);
// BIT STRING with zero unused bits.
std::string BitString(std::string_view content);
// UTCTime for years 1950-2049 and GeneralizedTime otherwise (RFC 5280 4.1.2.5),
// from seconds since the epoch, always with seconds and a trailing Z.
std::string Time(int64_t unix_seconds);

}  // namespace der

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_DER_WRITER_H_
