// The strict DER pieces shared by the fast readers (der_certificate_parser,
// precert_tbs): a TLV reader and the field checks.
//
// Their common contract: whatever passes these checks, OpenSSL 3's d2i_X509
// decodes the same way and (except where a comment says otherwise) re-encodes
// to the same bytes. Where OpenSSL is lenient (BER lengths, constructed
// strings, non-minimal integers) they refuse instead of imitating it.
//
// Walkers return an Error (nullptr = fine, else a static reason) so that the
// common path builds no absl::Status until it has to.
#ifndef CT_COMMON_X509_DER_READER_H_
#define CT_COMMON_X509_DER_READER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ctmr::x509 {

struct CertificateView;

namespace der {

using Error = const char*;  // nullptr means success

inline constexpr uint8_t kTagBoolean = 0x01;
inline constexpr uint8_t kTagInteger = 0x02;
inline constexpr uint8_t kTagBitString = 0x03;
inline constexpr uint8_t kTagOctetString = 0x04;
inline constexpr uint8_t kTagNull = 0x05;
inline constexpr uint8_t kTagOid = 0x06;
inline constexpr uint8_t kTagUtf8String = 0x0c;
inline constexpr uint8_t kTagNumericString = 0x12;
inline constexpr uint8_t kTagPrintableString = 0x13;
inline constexpr uint8_t kTagTeletexString = 0x14;
inline constexpr uint8_t kTagIa5String = 0x16;
inline constexpr uint8_t kTagUtcTime = 0x17;
inline constexpr uint8_t kTagGeneralizedTime = 0x18;
inline constexpr uint8_t kTagUniversalString = 0x1c;
inline constexpr uint8_t kTagBmpString = 0x1e;
inline constexpr uint8_t kTagSequence = 0x30;
inline constexpr uint8_t kTagSet = 0x31;

// Reads DER TLVs from a byte range: one-byte tags, definite minimal lengths.
class Reader {
 public:
  explicit Reader(std::string_view in)
      : p_(reinterpret_cast<const uint8_t*>(in.data())), end_(p_ + in.size()) {}

  bool empty() const { return p_ == end_; }
  // The next tag, or 0 (never valid here) at the end.
  uint8_t PeekTag() const { return p_ == end_ ? 0 : *p_; }
  // What is left to read: marks where the next TLV starts.
  std::string_view Remaining() const {
    return std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(end_ - p_));
  }

  // Reads one TLV of any tag. `whole` (optional) receives header + content.
  bool Next(uint8_t* tag, std::string_view* content, std::string_view* whole = nullptr) {
    const uint8_t* start = p_;
    size_t left = static_cast<size_t>(end_ - p_);
    if (left < 2) return false;
    const uint8_t t = p_[0];
    // Tag 0 is end-of-contents (BER); 0x1f escapes to multi-byte tags.
    if (t == 0 || (t & 0x1f) == 0x1f) return false;
    size_t len = p_[1];
    size_t header = 2;
    if (len >= 0x80) {
      const size_t n = len & 0x7f;
      // 0x80 is indefinite length; more than 4 length octets is absurd here.
      if (n == 0 || n > 4 || left < 2 + n) return false;
      len = 0;
      for (size_t i = 0; i < n; ++i) len = (len << 8) | p_[2 + i];
      // Minimal: long form only from 128, and no leading zero octet.
      if (len < 0x80 || p_[2] == 0) return false;
      header += n;
    }
    if (len > left - header) return false;
    *tag = t;
    *content = std::string_view(reinterpret_cast<const char*>(p_ + header), len);
    p_ += header + len;
    if (whole != nullptr) {
      *whole = std::string_view(reinterpret_cast<const char*>(start), header + len);
    }
    return true;
  }

  bool Expect(uint8_t want, std::string_view* content, std::string_view* whole = nullptr) {
    if (PeekTag() != want) return false;
    uint8_t tag;
    return Next(&tag, content, whole);
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

inline const uint8_t* Bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

// OIDs are a handful of bytes: an inline loop beats a call to memcmp.
inline bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// The rules of OpenSSL's c2i_ASN1_OBJECT: non-empty, last octet ends a
// subidentifier, no subidentifier starts with a 0x80 padding octet.
inline bool ValidOid(std::string_view oid) {
  const uint8_t* p = Bytes(oid);
  const size_t n = oid.size();
  if (n == 0 || (p[n - 1] & 0x80)) return false;
  // Branch-free: a 0x80 octet that starts a subidentifier marks padding.
  unsigned bad = p[0] == 0x80;
  for (size_t i = 1; i < n; ++i) bad |= (p[i] == 0x80) & !(p[i - 1] & 0x80);
  return bad == 0;
}

// DER INTEGER content: non-empty and minimal (the rule c2i_ASN1_INTEGER enforces).
inline bool ValidInteger(std::string_view v) {
  if (v.empty()) return false;
  if (v.size() == 1) return true;
  const uint8_t a = Bytes(v)[0], b = Bytes(v)[1];
  return !((a == 0x00 && !(b & 0x80)) || (a == 0xff && (b & 0x80)));
}

// A BIT STRING whose unused-bits octet is zero (keys and signatures always are).
inline bool ValidBitString(std::string_view v) { return !v.empty() && v[0] == 0; }

// The field walkers below are defined in der_certificate_parser.cc.

// Walks a Name TLV's content (SEQUENCE OF SET OF SEQUENCE {OID, value}),
// validating every attribute; collects commonNames when `cns` is non-null.
// OpenSSL keeps a Name's original encoding, so any accepted Name re-encodes
// as it came.
Error WalkName(std::string_view name, CertificateView* cns);

// AlgorithmIdentifier with the parameter forms OpenSSL's ANY decodes
// without looking inside: absent, NULL, an OID, or a SEQUENCE.
Error CheckAlgorithm(Reader* r);

// UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ, the only forms
// RFC 5280 allows, with the field ranges OpenSSL's ASN1_TIME_to_tm checks.
// Stores seconds since the epoch in `*out`.
Error ParseTime(Reader* r, int64_t* out);

}  // namespace der
}  // namespace ctmr::x509

#endif  // CT_COMMON_X509_DER_READER_H_
