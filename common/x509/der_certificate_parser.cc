// A strict single-pass DER walker for the CertificateView fields.
//
// Every rule here exists so that an OK result implies OpenSSL 3's d2i_X509 and
// the accessors in openssl_certificate_parser.cc read the same certificate the
// same way. Where OpenSSL is lenient (BER lengths, constructed strings,
// trailing bytes inside an extension, duplicate extensions) we refuse instead
// of imitating the leniency: the caller then asks OpenSSL itself.
//
// The TLV reader and the Name, algorithm and time walkers (der_reader.h) are
// shared with precert_tbs.cc; they are defined here, beside their first user.
#include "common/x509/der_certificate_parser.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/base/civil_date.h"
#include "common/x509/der_reader.h"
#include "common/x509/utf8.h"

namespace ctmr::x509 {
namespace der {
namespace {

// OpenSSL's X509_NAME decoder caps a Name at this many bytes (X509_NAME_MAX).
constexpr size_t kMaxNameBytes = 1024 * 1024;
// Beyond this many extensions we stop checking for duplicates and refuse.
constexpr int kMaxExtensions = 64;

constexpr std::string_view kOidCommonName("\x55\x04\x03", 3);
constexpr std::string_view kOidSubjectAltName("\x55\x1d\x11", 3);
constexpr std::string_view kOidCtPoison("\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x03", 10);
constexpr std::string_view kOidCertificatePolicies("\x55\x1d\x20", 3);
constexpr std::string_view kOidQtCps("\x2b\x06\x01\x05\x05\x07\x02\x01", 8);
// CA/Browser Forum policies: 2.23.140.1.1 (EV) and 2.23.140.1.2.{1,2,3}
// (DV, OV, IV), which share the prefix 2.23.140.1.2.
constexpr std::string_view kOidCabfEv("\x67\x81\x0c\x01\x01", 5);
constexpr std::string_view kOidCabfBaseline("\x67\x81\x0c\x01\x02", 5);

constexpr std::string_view kOidRsaEncryption("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", 9);
constexpr std::string_view kOidEcPublicKey("\x2a\x86\x48\xce\x3d\x02\x01", 7);
constexpr std::string_view kOidEd25519("\x2b\x65\x70", 3);
constexpr std::string_view kOidP256("\x2a\x86\x48\xce\x3d\x03\x01\x07", 8);
constexpr std::string_view kOidP384("\x2b\x81\x04\x00\x22", 5);
constexpr std::string_view kOidP521("\x2b\x81\x04\x00\x23", 5);

inline bool ValidCodePoint(uint32_t cp) {
  return cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

// BMPString and UniversalString: whole code units, each a valid scalar value.
// OpenSSL converts code units one by one, so a surrogate pair is refused too.
bool ValidWideString(std::string_view s, size_t width) {
  if (s.size() % width != 0) return false;
  const uint8_t* p = Bytes(s);
  for (size_t i = 0; i < s.size(); i += width) {
    uint32_t cp = 0;
    for (size_t k = 0; k < width; ++k) cp = (cp << 8) | p[i + k];
    if (!ValidCodePoint(cp)) return false;
  }
  return true;
}

// Whether OpenSSL's X509_NAME decoder takes this attribute value as is and its
// canonicalisation (ASN1_STRING_to_UTF8) succeeds. VisibleString is absent on
// purpose: it is not in B_ASN1_PRINTABLE, so d2i_X509 rejects it in a Name.
bool ValidNameValue(uint8_t tag, std::string_view v) {
  switch (tag) {
    case kTagUtf8String:
      return ValidUtf8(v);
    case kTagNumericString:
    case kTagPrintableString:
    case kTagTeletexString:
    case kTagIa5String:
      return true;  // read as Latin-1, every octet converts
    case kTagBmpString:
      return ValidWideString(v, 2);
    case kTagUniversalString:
      return ValidWideString(v, 4);
    default:
      return false;
  }
}

// The UTF-8 form of an already validated name value, as ASN1_STRING_to_UTF8
// produces it. Points into `v` when no conversion is needed.
std::string_view ToUtf8(uint8_t tag, std::string_view v, CertificateView* out) {
  size_t width = 1;
  if (tag == kTagUtf8String) return v;
  if (tag == kTagBmpString) width = 2;
  if (tag == kTagUniversalString) width = 4;
  if (width == 1) {
    bool ascii = true;
    for (unsigned char c : v) ascii &= c < 0x80;
    if (ascii) return v;
  }
  std::string& s = out->storage.emplace_back();
  s.reserve(v.size() * 2);
  const uint8_t* p = Bytes(v);
  for (size_t i = 0; i < v.size(); i += width) {
    uint32_t cp = 0;
    for (size_t k = 0; k < width; ++k) cp = (cp << 8) | p[i + k];
    AppendUtf8(cp, &s);
  }
  return s;
}

}  // namespace

Error WalkName(std::string_view name, CertificateView* cns) {
  if (name.size() > kMaxNameBytes) return "Name too long";
  Reader rdns(name);
  while (!rdns.empty()) {
    std::string_view set;
    if (!rdns.Expect(kTagSet, &set)) return "bad RDN";
    if (set.empty()) return "empty RDN";
    Reader avas(set);
    while (!avas.empty()) {
      std::string_view ava, oid, value;
      uint8_t tag;
      if (!avas.Expect(kTagSequence, &ava)) return "bad attribute";
      Reader r(ava);
      if (!r.Expect(kTagOid, &oid) || !ValidOid(oid)) return "bad attribute type";
      if (!r.Next(&tag, &value) || !r.empty()) return "bad attribute value";
      if (!ValidNameValue(tag, value)) return "unsupported attribute value";
      if (cns != nullptr && SameBytes(oid, kOidCommonName)) {
        cns->common_names.push_back(ToUtf8(tag, value, cns));
      }
    }
  }
  return nullptr;
}

namespace {

// An AlgorithmIdentifier's OID and parameters (`*param_tag` 0 when absent),
// in the forms CheckAlgorithm describes.
inline Error ReadAlgorithm(Reader* r, std::string_view* oid, uint8_t* param_tag,
                           std::string_view* params) {
  std::string_view alg;
  if (!r->Expect(kTagSequence, &alg)) return "bad AlgorithmIdentifier";
  Reader a(alg);
  if (!a.Expect(kTagOid, oid) || !ValidOid(*oid)) return "bad algorithm OID";
  *param_tag = 0;
  if (a.empty()) return nullptr;
  if (!a.Next(param_tag, params) || !a.empty()) return "bad algorithm parameters";
  if ((*param_tag == kTagNull && params->empty()) || (*param_tag == kTagOid && ValidOid(*params)) ||
      *param_tag == kTagSequence) {
    return nullptr;
  }
  return "unsupported algorithm parameters";
}

}  // namespace

Error CheckAlgorithm(Reader* r) {
  std::string_view oid, params;
  uint8_t tag;
  return ReadAlgorithm(r, &oid, &tag, &params);
}

Error ParseTime(Reader* r, int64_t* out) {
  uint8_t tag;
  std::string_view v;
  if (!r->Next(&tag, &v)) return "bad time";
  size_t digits;
  if (tag == kTagUtcTime) {
    digits = 12;
  } else if (tag == kTagGeneralizedTime) {
    digits = 14;
  } else {
    return "bad time type";
  }
  if (v.size() != digits + 1 || v[digits] != 'Z') return "unsupported time form";
  int f[7];  // two-digit fields: [century,] year, month, day, hour, minute, second
  const size_t off = 14 - digits;
  for (size_t i = 0; i < digits; i += 2) {
    const unsigned a = static_cast<unsigned char>(v[i]) - '0';
    const unsigned b = static_cast<unsigned char>(v[i + 1]) - '0';
    if (a > 9 || b > 9) return "bad time digit";
    f[(i + off) / 2] = static_cast<int>(a * 10 + b);
  }
  int year;
  if (tag == kTagUtcTime) {
    year = f[1] < 50 ? 2000 + f[1] : 1900 + f[1];
  } else {
    year = f[0] * 100 + f[1];
  }
  const int month = f[2], day = f[3], hour = f[4], minute = f[5], second = f[6];
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return "bad date";
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return "bad day";
  if (hour > 23 || minute > 59 || second > 59) return "bad time of day";
  *out =
      int64_t{base::DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day))} *
          86400 +
      hour * 3600 + minute * 60 + second;
  return nullptr;
}

namespace {

// GeneralNames of a subjectAltName. Only the choices whose OpenSSL decoding we
// can mirror exactly are accepted; otherName, x400Address, ediPartyName and
// any constructed (BER) string form are refused.
Error ParseSubjectAltName(std::string_view ext_value, CertificateView* out) {
  Reader outer(ext_value);
  std::string_view names;
  if (!outer.Expect(kTagSequence, &names) || !outer.empty()) return "bad subjectAltName";
  if (names.empty()) return "empty subjectAltName";
  Reader r(names);
  while (!r.empty()) {
    uint8_t tag;
    std::string_view v;
    if (!r.Next(&tag, &v)) return "bad GeneralName";
    switch (tag) {
      case 0x82:  // dNSName
        out->dns_names.push_back(v);
        break;
      case 0x81:  // rfc822Name
      case 0x86:  // uniformResourceIdentifier
      case 0x87:  // iPAddress
        break;
      case 0x88:  // registeredID
        if (!ValidOid(v)) return "bad registeredID";
        break;
      case 0xa4: {  // directoryName, EXPLICIT Name
        Reader d(v);
        std::string_view name;
        if (!d.Expect(kTagSequence, &name) || !d.empty()) return "bad directoryName";
        if (Error e = WalkName(name, nullptr)) return e;
        break;
      }
      default:
        return "unsupported GeneralName";
    }
  }
  return nullptr;
}

// A DER INTEGER that is minimal and greater than zero.
inline bool PositiveInteger(std::string_view v) {
  return ValidInteger(v) && !(Bytes(v)[0] & 0x80) && !(v.size() == 1 && v[0] == 0);
}

// The class of an rsaEncryption key from its BIT STRING: RSAPublicKey ::=
// SEQUENCE { modulus INTEGER, publicExponent INTEGER }, strictly, so that
// OpenSSL decodes the same modulus (its size is what EVP_PKEY_get_bits says).
Error RsaKeyClassOf(std::string_view bit_string, KeyClass* out) {
  Reader outer(bit_string.substr(1));  // past the unused-bits octet, known zero
  std::string_view key, modulus, exponent;
  if (!outer.Expect(kTagSequence, &key) || !outer.empty()) return "bad RSAPublicKey";
  Reader k(key);
  if (!k.Expect(kTagInteger, &modulus) || !k.Expect(kTagInteger, &exponent) || !k.empty()) {
    return "bad RSAPublicKey";
  }
  if (!PositiveInteger(modulus) || !PositiveInteger(exponent)) return "bad RSA modulus or exponent";
  const uint8_t* p = Bytes(modulus);
  size_t n = modulus.size();
  if (p[0] == 0) {  // the sign octet; minimality makes the next one non-zero
    ++p;
    --n;
  }
  // A modulus too long to be a class of its own is RSA-other however long.
  if (n > 1024) {
    *out = KeyClass::kRsaOther;
    return nullptr;
  }
  int bits = static_cast<int>(n - 1) * 8;
  for (unsigned top = p[0]; top != 0; top >>= 1) ++bits;
  *out = RsaKeyClass(bits);
  return nullptr;
}

// SubjectPublicKeyInfo's content: the algorithm decides the class, and for
// RSA the modulus. The key bits of other algorithms are not looked at, as
// openssl_certificate_parser.cc classifies them by OIDs alone too.
Error ParseSubjectPublicKeyInfo(std::string_view spki, CertificateView* out) {
  Reader r(spki);
  std::string_view oid, params, key;
  uint8_t param_tag;
  if (Error e = ReadAlgorithm(&r, &oid, &param_tag, &params)) return e;
  if (!r.Expect(kTagBitString, &key) || !ValidBitString(key) || !r.empty()) {
    return "bad public key";
  }
  if (SameBytes(oid, kOidRsaEncryption)) {
    // RFC 3279 requires NULL; whether OpenSSL still decodes the key with
    // anything else is not worth finding out.
    if (param_tag != kTagNull) return "unsupported rsaEncryption parameters";
    return RsaKeyClassOf(key, &out->key);
  }
  if (SameBytes(oid, kOidEcPublicKey)) {
    out->key = KeyClass::kOther;  // implicitCurve, specifiedCurve, other named curves
    if (param_tag != kTagOid) return nullptr;
    if (SameBytes(params, kOidP256)) {
      out->key = KeyClass::kEcdsaP256;
    } else if (SameBytes(params, kOidP384)) {
      out->key = KeyClass::kEcdsaP384;
    } else if (SameBytes(params, kOidP521)) {
      out->key = KeyClass::kEcdsaP521;
    }
    return nullptr;
  }
  out->key = SameBytes(oid, kOidEd25519) ? KeyClass::kEd25519 : KeyClass::kOther;
  return nullptr;
}

// The CA/Browser Forum validation level a policy OID stands for.
inline Validation ValidationOf(std::string_view policy) {
  if (SameBytes(policy, kOidCabfEv)) return Validation::kEv;
  if (policy.size() == 6 && SameBytes(policy.substr(0, 5), kOidCabfBaseline)) {
    switch (policy[5]) {
      case 1:
        return Validation::kDv;
      case 2:
        return Validation::kOv;
      case 3:
        return Validation::kIv;
      default:
        break;
    }
  }
  return Validation::kUnknown;
}

// certificatePolicies ::= SEQUENCE OF PolicyInformation { policyIdentifier,
// policyQualifiers SEQUENCE OF PolicyQualifierInfo OPTIONAL }. OpenSSL decodes
// a CPS pointer's qualifier as an IA5String, a userNotice as USERNOTICE (a
// DisplayText CHOICE we would have to mirror) and any other as ANY: only the
// first is accepted here. An empty list decodes in OpenSSL as no policies.
Error ParseCertificatePolicies(std::string_view ext_value, CertificateView* out) {
  Reader outer(ext_value);
  std::string_view list;
  if (!outer.Expect(kTagSequence, &list) || !outer.empty()) return "bad certificatePolicies";
  Validation best = Validation::kUnknown;
  Reader r(list);
  while (!r.empty()) {
    std::string_view info, policy, qualifiers;
    if (!r.Expect(kTagSequence, &info)) return "bad PolicyInformation";
    Reader p(info);
    if (!p.Expect(kTagOid, &policy)) return "bad policyIdentifier";
    // The enum lists the levels in order of precedence. The CA/Browser Forum
    // OIDs are valid as they are; only the others need checking.
    const Validation v = ValidationOf(policy);
    if (v < best) best = v;
    if (v == Validation::kUnknown && !ValidOid(policy)) return "bad policyIdentifier";
    if (!p.empty()) {
      if (!p.Expect(kTagSequence, &qualifiers) || !p.empty()) return "bad policyQualifiers";
      if (qualifiers.empty()) return "empty policyQualifiers";
      Reader q(qualifiers);
      while (!q.empty()) {
        std::string_view qualifier, id, uri;
        if (!q.Expect(kTagSequence, &qualifier)) return "bad PolicyQualifierInfo";
        Reader qi(qualifier);
        if (!qi.Expect(kTagOid, &id) || !SameBytes(id, kOidQtCps)) {
          return "unsupported policy qualifier";
        }
        if (!qi.Expect(kTagIa5String, &uri) || !qi.empty()) return "bad CPS pointer";
      }
    }
  }
  out->validation = best;
  return nullptr;
}

// The length and the last three bytes of a (valid, non-empty) OID: two OIDs
// with different keys differ; equal keys still need a byte compare.
constexpr uint32_t OidKey(std::string_view oid) {
  const size_t n = oid.size();
  const auto byte = [oid](size_t i) { return uint32_t{static_cast<uint8_t>(oid[i])}; };
  uint32_t key = static_cast<uint32_t>(n & 0xff) | (byte(n - 1) << 8);
  if (n >= 2) key |= byte(n - 2) << 16;
  if (n >= 3) key |= byte(n - 3) << 24;
  return key;
}
// The extensions we read, keyed: the key already computed for the duplicate
// check rules out the others with one compare each.
constexpr uint32_t kKeySubjectAltName = OidKey(kOidSubjectAltName);
constexpr uint32_t kKeyCtPoison = OidKey(kOidCtPoison);
constexpr uint32_t kKeyCertificatePolicies = OidKey(kOidCertificatePolicies);

Error ParseExtensions(std::string_view explicit_content, CertificateView* out) {
  Reader wrapper(explicit_content);
  std::string_view list;
  if (!wrapper.Expect(kTagSequence, &list) || !wrapper.empty()) return "bad extensions";
  if (list.empty()) return "empty extensions";
  // Extension OIDs seen so far, as a cheap key (length and last eight bytes)
  // plus the bytes. Left uninitialised: zeroing them cost more than the walk.
  struct Seen {
    uint32_t key;
    const char* data;
  };
  Seen seen[kMaxExtensions];
  int count = 0;
  Reader r(list);
  while (!r.empty()) {
    std::string_view ext, oid, flag, value;
    if (!r.Expect(kTagSequence, &ext)) return "bad extension";
    Reader e(ext);
    if (!e.Expect(kTagOid, &oid) || !ValidOid(oid)) return "bad extension OID";
    if (e.PeekTag() == kTagBoolean) {
      // DER: critical is present only when TRUE, encoded as 0xff.
      if (!e.Expect(kTagBoolean, &flag) || flag.size() != 1 || flag[0] != '\xff') {
        return "bad critical flag";
      }
    }
    if (!e.Expect(kTagOctetString, &value) || !e.empty()) return "bad extension value";
    if (count == kMaxExtensions) return "too many extensions";
    const uint32_t key = OidKey(oid);
    for (int i = 0; i < count; ++i) {
      if (seen[i].key == key && std::memcmp(seen[i].data, oid.data(), oid.size()) == 0) {
        return "duplicate extension";
      }
    }
    seen[count++] = {key, oid.data()};
    if (key == kKeySubjectAltName && SameBytes(oid, kOidSubjectAltName)) {
      if (Error err = ParseSubjectAltName(value, out)) return err;
    } else if (key == kKeyCtPoison && SameBytes(oid, kOidCtPoison)) {
      out->is_precertificate = true;
    } else if (key == kKeyCertificatePolicies && SameBytes(oid, kOidCertificatePolicies)) {
      if (Error err = ParseCertificatePolicies(value, out)) return err;
    }
  }
  return nullptr;
}

Error ParseTbs(std::string_view tbs, CertificateView* out) {
  Reader r(tbs);
  std::string_view v;
  // Only v3 is accepted: OpenSSL's handling of v1/v2 certificates carrying
  // extensions or unique IDs is not worth mirroring for the few that exist.
  if (!r.Expect(0xa0, &v) || !SameBytes(v, std::string_view("\x02\x01\x02", 3))) {
    return "not an X.509 v3 certificate";
  }
  if (!r.Expect(kTagInteger, &out->serial) || !ValidInteger(out->serial)) return "bad serial";
  if (Error e = CheckAlgorithm(&r)) return e;
  std::string_view issuer_content;
  if (!r.Expect(kTagSequence, &issuer_content, &out->issuer)) return "bad issuer";
  if (Error e = WalkName(issuer_content, nullptr)) return e;
  std::string_view validity;
  if (!r.Expect(kTagSequence, &validity)) return "bad validity";
  Reader vr(validity);
  if (Error e = ParseTime(&vr, &out->not_before)) return e;
  if (Error e = ParseTime(&vr, &out->not_after)) return e;
  if (!vr.empty()) return "bad validity";
  std::string_view subject;
  if (!r.Expect(kTagSequence, &subject)) return "bad subject";
  if (Error e = WalkName(subject, out)) return e;
  std::string_view spki;
  if (!r.Expect(kTagSequence, &spki)) return "bad SubjectPublicKeyInfo";
  if (Error e = ParseSubjectPublicKeyInfo(spki, out)) return e;
  if (r.PeekTag() == 0x81 && (!r.Expect(0x81, &v) || !ValidBitString(v))) {
    return "bad issuerUniqueID";
  }
  if (r.PeekTag() == 0x82 && (!r.Expect(0x82, &v) || !ValidBitString(v))) {
    return "bad subjectUniqueID";
  }
  if (r.PeekTag() == 0xa3) {
    if (!r.Expect(0xa3, &v)) return "bad extensions";
    if (Error e = ParseExtensions(v, out)) return e;
  }
  if (!r.empty()) return "unexpected data in TBSCertificate";
  return nullptr;
}

Error ParseCertificate(std::string_view der, CertificateView* out) {
  Reader top(der);
  std::string_view cert, tbs, signature;
  if (!top.Expect(kTagSequence, &cert)) return "not a DER SEQUENCE";
  if (!top.empty()) return "trailing bytes after certificate";
  Reader r(cert);
  if (!r.Expect(kTagSequence, &tbs)) return "bad TBSCertificate";
  if (Error e = ParseTbs(tbs, out)) return e;
  if (Error e = CheckAlgorithm(&r)) return e;
  if (!r.Expect(kTagBitString, &signature) || !ValidBitString(signature)) {
    return "bad signature";
  }
  if (!r.empty()) return "unexpected data in Certificate";
  return nullptr;
}

}  // namespace
}  // namespace der

absl::Status ParseCertificateDer(std::string_view der, CertificateView* out) {
  out->Clear();
  if (der::Error e = der::ParseCertificate(der, out)) return absl::InvalidArgumentError(e);
  return absl::OkStatus();
}

}  // namespace ctmr::x509
