#include "tools/ct_gen/issuers.h"

// The deterministic keys and signatures need EC_KEY and ECDSA_do_sign_ex, which
// OpenSSL 3 keeps but deprecates; EVP offers no way to choose the ECDSA nonce
// before 3.2.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/status/status.h"
#include "tools/ct_gen/base64.h"
#include "tools/ct_gen/dates.h"
#include "tools/ct_gen/der_writer.h"

namespace ctgen {
namespace {

struct Attr {
  const char* oid;
  uint8_t string_tag;
  const char* short_name;
  const char* value;
};

struct IssuerDef {
  const char* short_name;
  std::vector<Attr> attrs;  // encoding order: least specific (C) first
  int weight;
  int validity_days;
  bool ec_leaves;
  const char* crl_url;
  const char* ca_issuers_url;
};

constexpr char kC[] = "2.5.4.6";
constexpr char kSt[] = "2.5.4.8";
constexpr char kL[] = "2.5.4.7";
constexpr char kO[] = "2.5.4.10";
constexpr char kCn[] = "2.5.4.3";

std::vector<IssuerDef> Definitions() {
  auto le = [](const char* cn, int weight, bool ec) {
    return IssuerDef{cn,
                     {{kC, der::kPrintableString, "C", "US"},
                      {kO, der::kPrintableString, "O", "Let's Encrypt"},
                      {kCn, der::kPrintableString, "CN", cn}},
                     weight,
                     90,
                     ec,
                     "http://r11.c.lencr.org/42.crl",
                     "http://r11.i.lencr.org/"};
  };
  return {
      le("R10", 27, false),
      le("R11", 27, false),
      le("E5", 9, true),
      le("E6", 9, true),
      {"WE1",
       {{kC, der::kPrintableString, "C", "US"},
        {kO, der::kPrintableString, "O", "Google Trust Services"},
        {kCn, der::kPrintableString, "CN", "WE1"}},
       10,
       90,
       false,
       "http://c.pki.goog/we1/abc.crl",
       "http://i.pki.goog/we1.crt"},
      {"DigiCert",
       {{kC, der::kPrintableString, "C", "US"},
        {kO, der::kPrintableString, "O", "DigiCert Inc"},
        {kCn, der::kPrintableString, "CN", "DigiCert Global G2 TLS RSA SHA256 2020 CA1"}},
       8,
       365,
       false,
       "http://crl3.digicert.com/DigiCertGlobalG2TLSRSASHA2562020CA1-1.crl",
       "http://cacerts.digicert.com/DigiCertGlobalG2TLSRSASHA2562020CA1-1.crt"},
      {"Sectigo",
       {{kC, der::kPrintableString, "C", "GB"},
        {kSt, der::kPrintableString, "ST", "Greater Manchester"},
        {kL, der::kPrintableString, "L", "Salford"},
        {kO, der::kPrintableString, "O", "Sectigo Limited"},
        {kCn, der::kPrintableString, "CN", "Sectigo RSA Domain Validation Secure Server CA"}},
       7,
       365,
       false,
       "http://crl.sectigo.com/SectigoRSADomainValidationSecureServerCA.crl",
       "http://crt.sectigo.com/SectigoRSADomainValidationSecureServerCA.crt"},
      {"NoOrg",
       {{kC, der::kPrintableString, "C", "DE"},
        {kL, der::kUtf8String, "L", "Berlin"},
        {kCn, der::kUtf8String, "CN", "Example Internal Issuing CA 1"}},
       3,
       47,
       false,
       "http://pki.example.net/ca1.crl",
       "http://pki.example.net/ca1.crt"},
  };
}

std::string Sha256(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

// A P-256 scalar in [1, n-1] derived from a label, the seed and an index.
BIGNUM* DeriveScalar(const char* label, uint64_t seed, int index, const BIGNUM* order,
                     BN_CTX* ctx) {
  std::string input = label;
  for (int i = 0; i < 8; ++i) input.push_back(static_cast<char>(seed >> (8 * i)));
  input.push_back(static_cast<char>(index));
  std::string digest = Sha256(input);
  BIGNUM* k = BN_bin2bn(reinterpret_cast<const unsigned char*>(digest.data()),
                        static_cast<int>(digest.size()), nullptr);
  BN_mod(k, k, order, ctx);
  if (BN_is_zero(k)) BN_one(k);
  return k;
}

struct Deleter {
  void operator()(EC_KEY* k) const { EC_KEY_free(k); }
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
  void operator()(BIGNUM* b) const { BN_free(b); }
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Deleter>;

// ECDSA over SHA-256 of `message` with a nonce derived from (seed, index), so
// the signature is valid and the same on every run.
absl::StatusOr<std::string> DeterministicSign(EC_KEY* key, std::string_view message, uint64_t seed,
                                              int index) {
  const EC_GROUP* group = EC_KEY_get0_group(key);
  Ptr<BN_CTX> ctx(BN_CTX_new());
  const BIGNUM* order = EC_GROUP_get0_order(group);
  Ptr<BIGNUM> k(DeriveScalar("ct-gen ecdsa nonce", seed, index, order, ctx.get()));
  Ptr<EC_POINT> point(EC_POINT_new(group));
  Ptr<BIGNUM> x(BN_new());
  Ptr<BIGNUM> r(BN_new());
  Ptr<BIGNUM> kinv(BN_new());
  if (!EC_POINT_mul(group, point.get(), k.get(), nullptr, nullptr, ctx.get()) ||
      !EC_POINT_get_affine_coordinates(group, point.get(), x.get(), nullptr, ctx.get()) ||
      !BN_nnmod(r.get(), x.get(), order, ctx.get()) ||
      !BN_mod_inverse(kinv.get(), k.get(), order, ctx.get())) {
    return absl::InternalError("ECDSA nonce setup failed");
  }
  std::string digest = Sha256(message);
  Ptr<ECDSA_SIG> sig(ECDSA_do_sign_ex(reinterpret_cast<const unsigned char*>(digest.data()),
                                      static_cast<int>(digest.size()), kinv.get(), r.get(), key));
  if (!sig) return absl::InternalError("ECDSA_do_sign_ex failed");
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  std::string out(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d_ECDSA_SIG(sig.get(), &p);
  return out;
}

std::string NameDer(const std::vector<Attr>& attrs) {
  std::string rdns;
  for (const Attr& a : attrs) {
    rdns += der::Set({der::Sequence({der::Oid(a.oid), der::Tlv(a.string_tag, a.value)})});
  }
  return der::Tlv(der::kSequence, rdns);
}

std::string Rfc4514(const std::vector<Attr>& attrs) {
  std::string out;
  for (auto it = attrs.rbegin(); it != attrs.rend(); ++it) {
    if (!out.empty()) out += ",";
    out += it->short_name;
    out += "=";
    out += it->value;  // the values above need no RFC 4514 escaping
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<Issuer>> MakeIssuers(uint64_t seed) {
  std::vector<Issuer> issuers;
  std::vector<IssuerDef> defs = Definitions();
  for (size_t i = 0; i < defs.size(); ++i) {
    const IssuerDef& def = defs[i];
    Issuer is;
    is.short_name = def.short_name;
    is.weight = def.weight;
    is.validity_days = def.validity_days;
    is.ec_leaves = def.ec_leaves;
    is.crl_url = def.crl_url;
    is.ca_issuers_url = def.ca_issuers_url;
    std::string crl = def.crl_url;
    is.ocsp_url = crl.substr(0, crl.find('/', 7)) + "/ocsp";
    is.name_der = NameDer(def.attrs);
    is.rfc4514 = Rfc4514(def.attrs);
    is.organization = is.rfc4514;
    for (const Attr& a : def.attrs) {
      if (std::string(a.oid) == kO) is.organization = a.value;
    }

    Ptr<EC_KEY> key(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
    Ptr<BN_CTX> ctx(BN_CTX_new());
    const EC_GROUP* group = EC_KEY_get0_group(key.get());
    Ptr<BIGNUM> priv(DeriveScalar("ct-gen issuer key", seed, static_cast<int>(i),
                                  EC_GROUP_get0_order(group), ctx.get()));
    Ptr<EC_POINT> pub(EC_POINT_new(group));
    if (!EC_POINT_mul(group, pub.get(), priv.get(), nullptr, nullptr, ctx.get()) ||
        !EC_KEY_set_private_key(key.get(), priv.get()) ||
        !EC_KEY_set_public_key(key.get(), pub.get())) {
      return absl::InternalError("cannot build issuer key for " + is.short_name);
    }
    int len = i2d_EC_PUBKEY(key.get(), nullptr);
    if (len <= 0) return absl::InternalError("i2d_EC_PUBKEY failed");
    is.spki_der.assign(static_cast<size_t>(len), '\0');
    auto* p = reinterpret_cast<unsigned char*>(is.spki_der.data());
    i2d_EC_PUBKEY(key.get(), &p);
    is.issuer_id = Base64UrlNoPad(Sha256(is.spki_der));
    // The uncompressed point is the last 65 bytes of a P-256 SPKI.
    std::string point = is.spki_der.substr(is.spki_der.size() - 65);
    unsigned char sha1[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(point.data()), point.size(), sha1);
    is.key_id.assign(reinterpret_cast<char*>(sha1), sizeof sha1);

    const std::string sig_alg = der::Sequence({der::Oid("1.2.840.10045.4.3.2")});
    std::string extensions = der::Sequence(
        {der::Sequence({der::Oid("2.5.29.15"), der::Boolean(true),
                        der::OctetString(der::Tlv(der::kBitString, std::string("\x01\x86", 2)))}),
         der::Sequence(
             {der::Oid("2.5.29.19"), der::Boolean(true),
              der::OctetString(der::Sequence({der::Boolean(true), der::SmallInteger(0)}))}),
         der::Sequence({der::Oid("2.5.29.14"), der::OctetString(der::OctetString(is.key_id))})});
    int64_t not_before = DaysFromCivil(2024, 3, 13) * kSecondsPerDay;
    int64_t not_after = DaysFromCivil(2027, 3, 12) * kSecondsPerDay + 86399;
    std::string tbs = der::Sequence(
        {der::Tlv(der::ContextTag(0, true), der::SmallInteger(2)), der::SmallInteger(0x4000 + i),
         sig_alg, is.name_der, der::Sequence({der::Time(not_before), der::Time(not_after)}),
         is.name_der, is.spki_der, der::Tlv(der::ContextTag(3, true), extensions)});
    absl::StatusOr<std::string> self_sig = DeterministicSign(key.get(), tbs, seed, 2 * i);
    if (!self_sig.ok()) return self_sig.status();
    is.certificate_der = der::Sequence({tbs, sig_alg, der::BitString(*self_sig)});
    absl::StatusOr<std::string> leaf_sig =
        DeterministicSign(key.get(), "ct-gen leaf signature " + is.issuer_id, seed, 2 * i + 1);
    if (!leaf_sig.ok()) return leaf_sig.status();
    is.leaf_signature = *leaf_sig;
    issuers.push_back(std::move(is));
  }
  return issuers;
}

}  // namespace ctgen
