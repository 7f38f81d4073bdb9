// The breakdown classes of DESIGN.md §3.1 computed with OpenSSL alone, for
// ct_gen_test's independent recount: it shares no code with ct-gen's class
// tables nor with common/x509. Each returns the class's index in the order
// of the reports (lifetime 0-5, key 0-8, validation 0-4).
#ifndef CT_TESTS_TOOLS_OPENSSL_CLASSES_H_
#define CT_TESTS_TOOLS_OPENSSL_CLASSES_H_

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <string>

namespace ct_gen_test {

inline constexpr int64_t kDaySeconds = 86400;

inline int64_t Seconds(const ASN1_TIME* t) {
  struct tm tm;
  ASN1_TIME_to_tm(t, &tm);
  return static_cast<int64_t>(timegm(&tm));
}

inline int LifetimeClass(int64_t seconds) {
  const int64_t bounds[] = {7 * kDaySeconds, 47 * kDaySeconds, 100 * kDaySeconds, 200 * kDaySeconds,
                            398 * kDaySeconds};
  for (int c = 0; c < 5; ++c) {
    if (seconds <= bounds[c]) return c;
  }
  return 5;
}

// -1 when OpenSSL cannot decode the key.
inline int KeyClass(X509* x) {
  EVP_PKEY* key = X509_get0_pubkey(x);
  if (key == nullptr) return -1;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      switch (EVP_PKEY_get_bits(key)) {
        case 2048:
          return 0;
        case 3072:
          return 1;
        case 4096:
          return 2;
        default:
          return 3;
      }
    case EVP_PKEY_EC: {
      char group[80] = "";
      size_t len = 0;
      if (!EVP_PKEY_get_group_name(key, group, sizeof group, &len)) return 8;
      std::string g(group, len);
      if (g == "prime256v1") return 4;
      if (g == "secp384r1") return 5;
      if (g == "secp521r1") return 6;
      return 8;
    }
    case EVP_PKEY_ED25519:
      return 7;
    default:
      return 8;
  }
}

inline int ValidationClass(X509* x) {
  auto* policies = static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(x, NID_certificate_policies, nullptr, nullptr));
  const char* ranked[] = {"2.23.140.1.1", "2.23.140.1.2.3", "2.23.140.1.2.2", "2.23.140.1.2.1"};
  int best = 4;
  for (int i = 0; i < sk_POLICYINFO_num(policies); ++i) {
    char oid[128];
    OBJ_obj2txt(oid, sizeof oid, sk_POLICYINFO_value(policies, i)->policyid, 1);
    for (int c = 0; c < 4; ++c) {
      if (std::string(oid) == ranked[c]) best = std::min(best, c);
    }
  }
  CERTIFICATEPOLICIES_free(policies);
  return best;
}

}  // namespace ct_gen_test

#endif  // CT_TESTS_TOOLS_OPENSSL_CLASSES_H_
