// The reference for precert_tbs.cc: what ct-fetch computed with OpenSSL before.
#include "common/x509/openssl_precert_tbs.h"

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace ctmr::x509 {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct EkuFree {
  void operator()(EXTENDED_KEY_USAGE* e) const { EXTENDED_KEY_USAGE_free(e); }
};

std::unique_ptr<X509, X509Free> Decode(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return std::unique_ptr<X509, X509Free>(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

// Moves an OPENSSL_malloc'd encoding of `len` bytes into *out.
void Take(unsigned char* der, int len, std::string* out) {
  out->assign(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
}

}  // namespace

absl::Status RemovePoisonToTbsWithOpenSsl(std::string_view precert_der, std::string* tbs_out) {
  std::unique_ptr<X509, X509Free> cert = Decode(precert_der);
  if (cert == nullptr) return absl::InvalidArgumentError("OpenSSL: not a certificate");
  const int poison = X509_get_ext_by_NID(cert.get(), NID_ct_precert_poison, -1);
  if (poison < 0) return absl::NotFoundError("OpenSSL: no CT poison extension");
  X509_EXTENSION_free(X509_delete_ext(cert.get(), poison));
  unsigned char* tbs = nullptr;
  const int len = i2d_re_X509_tbs(cert.get(), &tbs);
  if (len <= 0) return absl::InternalError("OpenSSL: cannot re-encode the TBSCertificate");
  Take(tbs, len, tbs_out);
  return absl::OkStatus();
}

absl::StatusOr<std::string> SubjectPublicKeyInfoDerWithOpenSsl(std::string_view cert_der) {
  std::unique_ptr<X509, X509Free> cert = Decode(cert_der);
  if (cert == nullptr) return absl::InvalidArgumentError("OpenSSL: not a certificate");
  unsigned char* spki = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &spki);
  if (len <= 0) return absl::NotFoundError("OpenSSL: no SubjectPublicKeyInfo");
  std::string out;
  Take(spki, len, &out);
  return out;
}

absl::StatusOr<bool> HasExtendedKeyUsageWithOpenSsl(std::string_view cert_der,
                                                    std::string_view oid) {
  std::unique_ptr<X509, X509Free> cert = Decode(cert_der);
  if (cert == nullptr) return absl::InvalidArgumentError("OpenSSL: not a certificate");
  int critical = 0;
  std::unique_ptr<EXTENDED_KEY_USAGE, EkuFree> eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert.get(), NID_ext_key_usage, &critical, nullptr)));
  if (eku == nullptr) {
    // -1: absent; -2: more than one; otherwise it did not decode.
    if (critical == -1) return false;
    return absl::InvalidArgumentError("OpenSSL: bad extendedKeyUsage");
  }
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    const ASN1_OBJECT* o = sk_ASN1_OBJECT_value(eku.get(), i);
    const std::string_view bytes(reinterpret_cast<const char*>(OBJ_get0_data(o)), OBJ_length(o));
    if (bytes == oid) return true;
  }
  return false;
}

}  // namespace ctmr::x509
