// Known answers for the key class and validation level (certificate_class.h):
// certificates built with OpenSSL, read by both parsers. The OpenSSL reader
// must give the expected class; the fast reader must give the same or refuse
// (the caller then falls back to OpenSSL), and must accept the common forms.
#include "common/x509/certificate_class.h"

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/x509/certificate_view.h"
#include "common/x509/der_certificate_parser.h"
#include "common/x509/openssl_certificate_parser.h"
#include "tests/support/der_builder.h"

namespace ctmr::x509 {
namespace {

using ::ctmr::testing::Seq;
using ::ctmr::testing::Tlv;
std::string Oid(const char* dotted) {
  ASN1_OBJECT* obj = OBJ_txt2obj(dotted, 1);
  unsigned char* der = nullptr;
  const int n = i2d_ASN1_OBJECT(obj, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  ASN1_OBJECT_free(obj);
  return out;
}

// Keys are generated once per test binary: RSA-4096 takes seconds.
EVP_PKEY* Key(const std::string& kind) {
  static auto* keys = new std::map<std::string, EVP_PKEY*>;
  EVP_PKEY*& key = (*keys)[kind];
  if (key != nullptr) return key;
  if (kind.rfind("RSA-", 0) == 0) {
    key = EVP_RSA_gen(static_cast<unsigned>(std::stoi(kind.substr(4))));
  } else if (kind == "Ed25519") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else if (kind == "P-256-explicit") {
    key = EVP_EC_gen("P-256");
    // Encodes the curve's parameters in the SubjectPublicKeyInfo, not its OID.
    if (key != nullptr && EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING,
                                                         OSSL_PKEY_EC_ENCODING_EXPLICIT) != 1) {
      ADD_FAILURE() << "cannot set explicit EC encoding";
    }
  } else {
    key = EVP_EC_gen(kind.c_str());
  }
  EXPECT_NE(key, nullptr) << kind;
  return key;
}

// A SubjectPublicKeyInfo given field by field, for the forms OpenSSL would
// not produce from a key.
struct RawKey {
  const char* algorithm;
  int param_type = V_ASN1_NULL;  // V_ASN1_UNDEF: absent; V_ASN1_OBJECT: `param_oid`
  const char* param_oid = nullptr;
  std::string bits;  // the BIT STRING's content after the unused-bits octet
};

struct CertSpec {
  std::string key = "P-256";
  std::optional<RawKey> raw_key;
  std::optional<std::string> policies;  // certificatePolicies' extnValue
  bool critical = false;
};

std::string Build(const CertSpec& spec) {
  X509* x = X509_new();
  X509_set_version(x, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("example.com"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 90 * 86400);
  X509_set_pubkey(x, Key(spec.raw_key ? "P-256" : spec.key));
  if (spec.raw_key) {
    const RawKey& raw = *spec.raw_key;
    void* param = raw.param_type == V_ASN1_OBJECT ? OBJ_txt2obj(raw.param_oid, 1) : nullptr;
    auto* bits = static_cast<unsigned char*>(OPENSSL_malloc(raw.bits.size() + 1));
    memcpy(bits, raw.bits.data(), raw.bits.size());
    EXPECT_EQ(
        X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), OBJ_txt2obj(raw.algorithm, 1),
                               raw.param_type, param, bits, static_cast<int>(raw.bits.size())),
        1);
  }
  if (spec.policies) {
    ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(value, reinterpret_cast<const unsigned char*>(spec.policies->data()),
                          static_cast<int>(spec.policies->size()));
    X509_EXTENSION* ext =
        X509_EXTENSION_create_by_NID(nullptr, NID_certificate_policies, spec.critical, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(value);
  }
  EXPECT_GT(X509_sign(x, Key("P-256"), EVP_sha256()), 0);
  unsigned char* der = nullptr;
  const int n = i2d_X509(x, &der);
  EXPECT_GT(n, 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  X509_free(x);
  return out;
}

enum class Fast { kAccepts, kRefuses, kEither };

std::string_view Name(KeyClass k) { return kKeyNames[static_cast<int>(k)]; }
std::string_view Name(Validation v) { return kValidationNames[static_cast<int>(v)]; }

// OpenSSL must read `key` and `validation`; the fast reader as `fast` says,
// and when it accepts, the same.
void Expect(const CertSpec& spec, KeyClass key, Validation validation, Fast fast = Fast::kAccepts) {
  const std::string der = Build(spec);
  CertificateView f, s;
  const absl::Status slow_status = ParseCertificateWithOpenSsl(der, &s);
  ASSERT_TRUE(slow_status.ok()) << slow_status;
  EXPECT_EQ(Name(s.key), Name(key));
  EXPECT_EQ(Name(s.validation), Name(validation));
  const absl::Status fast_status = ParseCertificateDer(der, &f);
  if (fast == Fast::kAccepts) {
    EXPECT_TRUE(fast_status.ok()) << fast_status;
  } else if (fast == Fast::kRefuses) {
    EXPECT_FALSE(fast_status.ok());
  }
  if (fast_status.ok()) {
    EXPECT_EQ(Name(f.key), Name(s.key));
    EXPECT_EQ(Name(f.validation), Name(s.validation));
  }
}

CertSpec WithKey(const std::string& key) {
  CertSpec spec;
  spec.key = key;
  return spec;
}

TEST(CertificateClass, KeysMadeByOpenSsl) {
  Expect(WithKey("RSA-1024"), KeyClass::kRsaOther, Validation::kUnknown);
  Expect(WithKey("RSA-2048"), KeyClass::kRsa2048, Validation::kUnknown);
  Expect(WithKey("RSA-3072"), KeyClass::kRsa3072, Validation::kUnknown);
  Expect(WithKey("RSA-4096"), KeyClass::kRsa4096, Validation::kUnknown);
  Expect(WithKey("P-256"), KeyClass::kEcdsaP256, Validation::kUnknown);
  Expect(WithKey("P-384"), KeyClass::kEcdsaP384, Validation::kUnknown);
  Expect(WithKey("P-521"), KeyClass::kEcdsaP521, Validation::kUnknown);
  Expect(WithKey("Ed25519"), KeyClass::kEd25519, Validation::kUnknown);
  Expect(WithKey("secp256k1"), KeyClass::kOther, Validation::kUnknown);
  Expect(WithKey("P-256-explicit"), KeyClass::kOther, Validation::kUnknown);
}

// RSAPublicKey ::= SEQUENCE { modulus, publicExponent }, from raw INTEGER contents.
std::string RsaKey(std::string_view modulus, std::string_view exponent,
                   std::string_view tail = "") {
  return Seq(Tlv(0x02, modulus) + Tlv(0x02, exponent)) + std::string(tail);
}
CertSpec WithRawKey(RawKey raw) {
  CertSpec spec;
  spec.raw_key = std::move(raw);
  return spec;
}
const char* const kRsa = "1.2.840.113549.1.1.1";

TEST(CertificateClass, RsaModulusSizes) {
  const std::string e65537("\x01\x00\x01", 3);
  const std::string m2048 = std::string(1, '\0') + std::string(256, '\xc5');
  const std::string m2047 = "\x7f" + std::string(255, '\xc5');
  const std::string m2049 = std::string("\x01") + std::string(256, '\xc5');
  const std::string m3072 = "\x40" + std::string(383, '\xc5');  // 3071 bits
  const std::string m4096 = std::string(1, '\0') + "\x80" + std::string(511, '\x01');
  Expect(WithRawKey({kRsa, V_ASN1_NULL, nullptr, RsaKey(m2048, e65537)}), KeyClass::kRsa2048,
         Validation::kUnknown);
  Expect(WithRawKey({kRsa, V_ASN1_NULL, nullptr, RsaKey(m2047, e65537)}), KeyClass::kRsaOther,
         Validation::kUnknown);
  Expect(WithRawKey({kRsa, V_ASN1_NULL, nullptr, RsaKey(m2049, e65537)}), KeyClass::kRsaOther,
         Validation::kUnknown);
  Expect(WithRawKey({kRsa, V_ASN1_NULL, nullptr, RsaKey(m3072, e65537)}), KeyClass::kRsaOther,
         Validation::kUnknown);
  Expect(WithRawKey({kRsa, V_ASN1_NULL, nullptr, RsaKey(m4096, e65537)}), KeyClass::kRsa4096,
         Validation::kUnknown);
  Expect(WithRawKey({kRsa, V_ASN1_NULL, nullptr, RsaKey(std::string(2048, '\x11'), e65537)}),
         KeyClass::kRsaOther, Validation::kUnknown);
  // Exponents OpenSSL does not judge when it decodes: the size still counts.
  for (const std::string& e : {std::string("\x01"), std::string("\x02"), std::string("\x03"),
                               std::string(1, '\0') + std::string(256, '\xff')}) {
    Expect(WithRawKey({kRsa, V_ASN1_NULL, nullptr, RsaKey(m2048, e)}), KeyClass::kRsa2048,
           Validation::kUnknown);
  }
  // An even modulus decodes as well.
  Expect(WithRawKey({kRsa, V_ASN1_NULL, nullptr,
                     RsaKey(std::string(1, '\0') + std::string(256, '\xc4'), e65537)}),
         KeyClass::kRsa2048, Validation::kUnknown);
}

TEST(CertificateClass, RsaKeysTheFastReaderRefuses) {
  const std::string e65537("\x01\x00\x01", 3);
  const std::string m2048 = std::string(1, '\0') + std::string(256, '\xc5');
  const std::vector<std::string> refused = {
      RsaKey("\xc5" + std::string(255, '\xc5'), e65537),                // negative modulus
      RsaKey(std::string(2, '\0') + std::string(256, '\xc5'), e65537),  // non-minimal modulus
      RsaKey(std::string(1, '\0'), e65537),                             // zero modulus
      RsaKey(m2048, std::string(1, '\0')),                              // zero exponent
      RsaKey(m2048, "\x81"),                                            // negative exponent
      RsaKey(m2048, e65537, std::string("\x00", 1)),                    // trailing byte
      Seq(Tlv(0x02, m2048)),                                            // no exponent
      Seq(Tlv(0x02, m2048) + Tlv(0x02, e65537) + Tlv(0x02, "\x01")),    // a third INTEGER
      Tlv(0x31, Tlv(0x02, m2048) + Tlv(0x02, e65537)),                  // not a SEQUENCE
      "",                                                               // no key at all
  };
  for (const std::string& bits : refused) {
    SCOPED_TRACE(bits.size());
    const std::string der = Build(WithRawKey({kRsa, V_ASN1_NULL, nullptr, bits}));
    CertificateView f, s;
    EXPECT_FALSE(ParseCertificateDer(der, &f).ok());
    // OpenSSL keeps the certificate; whatever it makes of the key, it is RSA.
    ASSERT_TRUE(ParseCertificateWithOpenSsl(der, &s).ok());
    EXPECT_EQ(Name(s.key).substr(0, 4), "RSA-");
  }
  // rsaEncryption without its NULL parameter: refused rather than guessed.
  Expect(WithRawKey({kRsa, V_ASN1_UNDEF, nullptr, RsaKey(m2048, e65537)}), KeyClass::kRsa2048,
         Validation::kUnknown, Fast::kEither);
  CertificateView f;
  EXPECT_FALSE(ParseCertificateDer(
                   Build(WithRawKey({kRsa, V_ASN1_UNDEF, nullptr, RsaKey(m2048, e65537)})), &f)
                   .ok());
}

TEST(CertificateClass, KeysClassifiedByTheirOids) {
  const char* const kEc = "1.2.840.10045.2.1";
  // The point is not looked at, by either reader: the named curve decides.
  Expect(WithRawKey({kEc, V_ASN1_OBJECT, "1.2.840.10045.3.1.7", "\x04garbage"}),
         KeyClass::kEcdsaP256, Validation::kUnknown);
  Expect(WithRawKey({kEc, V_ASN1_OBJECT, "1.3.132.0.34", "\x04"}), KeyClass::kEcdsaP384,
         Validation::kUnknown);
  Expect(WithRawKey({kEc, V_ASN1_OBJECT, "1.3.132.0.35", ""}), KeyClass::kEcdsaP521,
         Validation::kUnknown);
  Expect(WithRawKey({kEc, V_ASN1_OBJECT, "1.3.132.0.10", "\x04"}), KeyClass::kOther,  // secp256k1
         Validation::kUnknown);
  Expect(WithRawKey({kEc, V_ASN1_OBJECT, "1.2.840.10045.3.1.1", "\x04"}),  // P-192
         KeyClass::kOther, Validation::kUnknown);
  Expect(WithRawKey({kEc, V_ASN1_NULL, nullptr, "\x04"}), KeyClass::kOther, Validation::kUnknown);
  Expect(WithRawKey({kEc, V_ASN1_UNDEF, nullptr, "\x04"}), KeyClass::kOther, Validation::kUnknown);
  Expect(WithRawKey({"1.3.101.112", V_ASN1_UNDEF, nullptr, std::string(32, 'k')}),
         KeyClass::kEd25519, Validation::kUnknown);
  Expect(WithRawKey({"1.3.101.113", V_ASN1_UNDEF, nullptr, std::string(57, 'k')}),  // Ed448
         KeyClass::kOther, Validation::kUnknown);
  Expect(WithRawKey({"1.2.840.113549.1.1.10", V_ASN1_UNDEF, nullptr,  // RSASSA-PSS
                     RsaKey(std::string(1, '\0') + std::string(256, '\xc5'), "\x03")}),
         KeyClass::kOther, Validation::kUnknown);
}

std::string PolicyInfo(const char* oid, std::string_view qualifiers = "") {
  return Seq(Oid(oid) + (qualifiers.empty() ? "" : Seq(qualifiers)));
}
std::string Cps(std::string_view uri) { return Seq(Oid("1.3.6.1.5.5.7.2.1") + Tlv(0x16, uri)); }
CertSpec WithPolicies(const std::vector<std::string>& infos, bool critical = false) {
  CertSpec spec;
  std::string list;
  for (const std::string& info : infos) list += info;
  spec.policies = Seq(list);
  spec.critical = critical;
  return spec;
}

const char* const kDv = "2.23.140.1.2.1";
const char* const kOv = "2.23.140.1.2.2";
const char* const kIv = "2.23.140.1.2.3";
const char* const kEv = "2.23.140.1.1";
const char* const kPrivate = "1.3.6.1.4.1.44947.1.1.1";

TEST(CertificateClass, ValidationLevels) {
  const KeyClass k = KeyClass::kEcdsaP256;
  Expect(CertSpec(), k, Validation::kUnknown);  // no certificatePolicies
  Expect(WithPolicies({PolicyInfo(kDv)}), k, Validation::kDv);
  Expect(WithPolicies({PolicyInfo(kOv)}), k, Validation::kOv);
  Expect(WithPolicies({PolicyInfo(kIv)}), k, Validation::kIv);
  Expect(WithPolicies({PolicyInfo(kEv)}), k, Validation::kEv);
  Expect(WithPolicies({PolicyInfo(kEv)}, /*critical=*/true), k, Validation::kEv);
  Expect(WithPolicies({PolicyInfo(kPrivate)}), k, Validation::kUnknown);
  // OpenSSL decodes an empty list as no policies.
  Expect(WithPolicies({}), k, Validation::kUnknown);
  // Precedence, not position, decides.
  Expect(WithPolicies({PolicyInfo(kDv), PolicyInfo(kEv)}), k, Validation::kEv);
  Expect(WithPolicies({PolicyInfo(kOv), PolicyInfo(kPrivate), PolicyInfo(kDv)}), k,
         Validation::kOv);
  Expect(WithPolicies({PolicyInfo(kDv), PolicyInfo(kIv), PolicyInfo(kOv)}), k, Validation::kIv);
  Expect(WithPolicies({PolicyInfo(kDv), PolicyInfo(kDv)}), k, Validation::kDv);
  // Near misses of the CA/Browser Forum OIDs.
  Expect(WithPolicies({PolicyInfo("2.23.140.1.2"), PolicyInfo("2.23.140.1.2.4"),
                       PolicyInfo("2.23.140.1.1.1"), PolicyInfo("2.23.140.1.3"),
                       PolicyInfo("2.23.140.1.2.1.1")}),
         k, Validation::kUnknown);
}

TEST(CertificateClass, PolicyQualifiers) {
  const KeyClass k = KeyClass::kEcdsaP256;
  Expect(WithPolicies({PolicyInfo(kEv, Cps("https://ca.example/cps")), PolicyInfo(kDv)}), k,
         Validation::kEv);
  Expect(WithPolicies(
             {PolicyInfo(kPrivate, Cps("https://ca.example/cps") + Cps("")), PolicyInfo(kOv)}),
         k, Validation::kOv);

  // What the fast reader leaves to OpenSSL: userNotice, other qualifiers,
  // and forms it is not sure OpenSSL reads the same.
  const std::string unotice = Seq(Oid("1.3.6.1.5.5.7.2.2") + Seq(Tlv(0x0c, "Notice")));
  Expect(WithPolicies({PolicyInfo(kOv, unotice)}), k, Validation::kOv, Fast::kRefuses);
  Expect(WithPolicies({PolicyInfo(kEv, Cps("x") + unotice)}), k, Validation::kEv, Fast::kRefuses);
  Expect(WithPolicies({PolicyInfo(kIv, Seq(Oid("1.2.3.4") + Tlv(0x05, "")))}), k, Validation::kIv,
         Fast::kRefuses);
  CertSpec empty_qualifiers;
  empty_qualifiers.policies = Seq(Seq(Oid(kDv) + Seq("")));
  Expect(empty_qualifiers, k, Validation::kDv, Fast::kRefuses);
  // A CPS pointer that is not an IA5String does not decode: no policies.
  Expect(WithPolicies({PolicyInfo(kEv, Seq(Oid("1.3.6.1.5.5.7.2.1") + Tlv(0x0c, "utf8")))}), k,
         Validation::kUnknown, Fast::kRefuses);
}

TEST(CertificateClass, MalformedPoliciesAreRefused) {
  const KeyClass k = KeyClass::kEcdsaP256;
  const std::string dv = PolicyInfo(kDv);
  const std::vector<std::string> values = {
      Seq(dv) + std::string(1, '\0'),                       // trailing byte after the list
      Tlv(0x31, dv),                                        // a SET
      Seq(Seq(Oid(kDv) + Tlv(0x05, ""))),                   // qualifiers not a SEQUENCE
      Seq(Seq("")),                                         // no policyIdentifier
      Seq(Seq(Tlv(0x06, "\x67\x81\x0c\x01\x02\x80\x01"))),  // padded subidentifier
      Seq(Seq(Oid(kDv) + Seq(Cps("x")) + Seq(Cps("y")))),   // two qualifier lists
      Seq(Seq(Oid(kDv) + Seq(Seq(Oid("1.3.6.1.5.5.7.2.1") + Tlv(0x16, "x") + Tlv(0x16, "y"))))),
      "",
  };
  for (const std::string& value : values) {
    SCOPED_TRACE(value.size());
    CertSpec spec;
    spec.policies = value;
    const std::string der = Build(spec);
    CertificateView f, s;
    EXPECT_FALSE(ParseCertificateDer(der, &f).ok());
    ASSERT_TRUE(ParseCertificateWithOpenSsl(der, &s).ok());
    EXPECT_EQ(Name(s.key), Name(k));
  }
}

TEST(CertificateClass, DuplicatePoliciesExtensionIsUnknown) {
  // Two certificatePolicies extensions: X509_get_ext_d2i reports neither.
  X509* x = X509_new();
  X509_set_version(x, X509_VERSION_3);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, Key("P-256"));
  const std::string value = Seq(PolicyInfo(kEv));
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(os, reinterpret_cast<const unsigned char*>(value.data()),
                        static_cast<int>(value.size()));
  for (int i = 0; i < 2; ++i) {
    X509_EXTENSION* ext = X509_EXTENSION_create_by_NID(nullptr, NID_certificate_policies, 0, os);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  ASN1_OCTET_STRING_free(os);
  ASSERT_GT(X509_sign(x, Key("P-256"), EVP_sha256()), 0);
  unsigned char* buf = nullptr;
  const int n = i2d_X509(x, &buf);
  const std::string der(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
  OPENSSL_free(buf);
  X509_free(x);
  CertificateView f, s;
  EXPECT_FALSE(ParseCertificateDer(der, &f).ok());
  ASSERT_TRUE(ParseCertificateWithOpenSsl(der, &s).ok());
  EXPECT_EQ(Name(s.validation), Name(Validation::kUnknown));
}

}  // namespace
}  // namespace ctmr::x509
