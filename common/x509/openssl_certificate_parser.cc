// The reference reader: every field taken through OpenSSL's own accessors, so
// that it is the yardstick the fast DER reader is measured against.
#include "common/x509/openssl_certificate_parser.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>

#include "common/base/civil_date.h"

namespace ctmr::x509 {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* g) const { GENERAL_NAMES_free(g); }
};
struct PoliciesFree {
  void operator()(CERTIFICATEPOLICIES* p) const { CERTIFICATEPOLICIES_free(p); }
};
struct OpenSslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

// ASN1_TIME_to_tm, then calendar arithmetic that does not depend on the
// process time zone (which mktime/timegm would, or are not portable).
bool TimeToUnix(const ASN1_TIME* t, int64_t* out) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return false;
  const int64_t days =
      base::DaysFromCivil(int64_t{tm.tm_year} + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                          static_cast<unsigned>(tm.tm_mday));
  *out = days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
  return true;
}

// Copies `len` bytes into the view's storage and returns a view of the copy.
std::string_view Keep(const unsigned char* data, int len, CertificateView* out) {
  std::string& s = out->storage.emplace_back();
  if (len > 0) s.assign(reinterpret_cast<const char*>(data), static_cast<size_t>(len));
  return s;
}

// The content octets of a DER TLV (its header stripped), or false.
bool ContentOf(const unsigned char* der, int len, std::string_view* content) {
  if (len < 2) return false;
  size_t header = 2;
  size_t n = der[1];
  if (n & 0x80) {
    const size_t k = n & 0x7f;
    if (k == 0 || k > 4 || static_cast<size_t>(len) < 2 + k) return false;
    n = 0;
    for (size_t i = 0; i < k; ++i) n = (n << 8) | der[2 + i];
    header += k;
  }
  if (header + n != static_cast<size_t>(len)) return false;
  *content = std::string_view(reinterpret_cast<const char*>(der) + header, n);
  return true;
}

// The key class from the SubjectPublicKeyInfo's algorithm (and for EC its
// namedCurve parameter). Only RSA needs the decoded key, for its size.
KeyClass KeyClassOf(X509* x) {
  X509_ALGOR* alg = nullptr;
  if (X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &alg, X509_get_X509_PUBKEY(x)) != 1 ||
      alg == nullptr) {
    return KeyClass::kOther;
  }
  const ASN1_OBJECT* oid = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(&oid, &param_type, &param, alg);
  switch (OBJ_obj2nid(oid)) {
    case NID_rsaEncryption: {
      // OpenSSL 3 decodes the key while decoding the certificate and keeps
      // the certificate when that fails. An RSA key that does not decode has
      // no size we can trust: it counts as RSA-other (the fast reader refuses
      // such a key, so the two cannot disagree on it).
      EVP_PKEY* pkey = X509_get0_pubkey(x);
      if (pkey == nullptr || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
        ERR_clear_error();
        return KeyClass::kRsaOther;
      }
      return RsaKeyClass(EVP_PKEY_get_bits(pkey));
    }
    case NID_X9_62_id_ecPublicKey:
      if (param_type != V_ASN1_OBJECT) return KeyClass::kOther;  // explicit or implicit curve
      switch (OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param))) {
        case NID_X9_62_prime256v1:
          return KeyClass::kEcdsaP256;
        case NID_secp384r1:
          return KeyClass::kEcdsaP384;
        case NID_secp521r1:
          return KeyClass::kEcdsaP521;
        default:
          return KeyClass::kOther;
      }
    case NID_ED25519:
      return KeyClass::kEd25519;
    default:
      return KeyClass::kOther;
  }
}

// The first of EV, IV, OV, DV that certificatePolicies lists. An extension
// that does not decode (or appears twice) lists nothing: unknown.
Validation ValidationOf(X509* x) {
  static const ASN1_OBJECT* const kLevels[] = {
      OBJ_txt2obj("2.23.140.1.1", 1), OBJ_txt2obj("2.23.140.1.2.3", 1),
      OBJ_txt2obj("2.23.140.1.2.2", 1), OBJ_txt2obj("2.23.140.1.2.1", 1)};
  static_assert(static_cast<int>(Validation::kEv) == 0 && static_cast<int>(Validation::kIv) == 1 &&
                static_cast<int>(Validation::kOv) == 2 && static_cast<int>(Validation::kDv) == 3);
  int crit = 0;
  std::unique_ptr<CERTIFICATEPOLICIES, PoliciesFree> policies(static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(x, NID_certificate_policies, &crit, nullptr)));
  if (policies == nullptr) {
    ERR_clear_error();
    return Validation::kUnknown;
  }
  int best = static_cast<int>(Validation::kUnknown);
  for (int i = 0; i < sk_POLICYINFO_num(policies.get()); ++i) {
    const ASN1_OBJECT* id = sk_POLICYINFO_value(policies.get(), i)->policyid;
    for (int level = 0; level < best; ++level) {
      if (OBJ_cmp(id, kLevels[level]) == 0) {
        best = level;
        break;
      }
    }
  }
  return static_cast<Validation>(best);
}

absl::Status Fail(const char* what) {
  ERR_clear_error();  // keep the thread's OpenSSL error queue from growing
  return absl::InvalidArgumentError(what);
}

}  // namespace

absl::Status ParseCertificateWithOpenSsl(std::string_view der, CertificateView* out) {
  out->Clear();
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* const end = p + der.size();
  if (der.size() > static_cast<size_t>(INT32_MAX)) return Fail("certificate too large");
  std::unique_ptr<X509, X509Free> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (x == nullptr) return Fail("d2i_X509 failed");
  if (p != end) return Fail("trailing bytes after certificate");

  // Serial: re-encode and strip the tag and length.
  unsigned char* buf = nullptr;
  int len = i2d_ASN1_INTEGER(X509_get0_serialNumber(x.get()), &buf);
  std::unique_ptr<unsigned char, OpenSslFree> serial_der(buf);
  std::string_view serial_content;
  if (len <= 0 || !ContentOf(buf, len, &serial_content)) return Fail("cannot encode serial");
  out->serial = Keep(reinterpret_cast<const unsigned char*>(serial_content.data()),
                     static_cast<int>(serial_content.size()), out);

  buf = nullptr;
  len = i2d_X509_NAME(X509_get_issuer_name(x.get()), &buf);
  std::unique_ptr<unsigned char, OpenSslFree> issuer_der(buf);
  if (len <= 0) return Fail("cannot encode issuer");
  out->issuer = Keep(buf, len, out);

  if (!TimeToUnix(X509_get0_notBefore(x.get()), &out->not_before)) return Fail("bad notBefore");
  if (!TimeToUnix(X509_get0_notAfter(x.get()), &out->not_after)) return Fail("bad notAfter");

  // A SAN extension that is present but does not decode (or appears twice,
  // which X509_get_ext_d2i reports as NULL) is an error: silently dropping
  // names would undercount.
  if (X509_get_ext_by_NID(x.get(), NID_subject_alt_name, -1) >= 0) {
    int crit = 0;
    std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(x.get(), NID_subject_alt_name, &crit, nullptr)));
    if (names == nullptr) return Fail("subjectAltName does not decode");
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* gen = sk_GENERAL_NAME_value(names.get(), i);
      if (gen->type != GEN_DNS) continue;
      const ASN1_IA5STRING* dns = gen->d.dNSName;
      out->dns_names.push_back(Keep(ASN1_STRING_get0_data(dns), ASN1_STRING_length(dns), out));
    }
  }

  const X509_NAME* subject = X509_get_subject_name(x.get());
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, value);
    std::unique_ptr<unsigned char, OpenSslFree> owned(utf8);
    if (n < 0) return Fail("commonName does not convert to UTF-8");
    out->common_names.push_back(Keep(utf8, n, out));
  }

  static ASN1_OBJECT* const kPoison = OBJ_txt2obj("1.3.6.1.4.1.11129.2.4.3", 1);
  out->is_precertificate = X509_get_ext_by_OBJ(x.get(), kPoison, -1) >= 0;
  out->key = KeyClassOf(x.get());
  out->validation = ValidationOf(x.get());
  return absl::OkStatus();
}

}  // namespace ctmr::x509
