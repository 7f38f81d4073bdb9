// What the x509 tests share: a gtest expectation that holds the fast DER
// reader and OpenSSL to identical fields (one EXPECT_EQ per CertificateView
// field), and the visitor a certificate-file test reads with.
#ifndef CT_TESTS_SUPPORT_CERTIFICATE_EXPECTATIONS_H_
#define CT_TESTS_SUPPORT_CERTIFICATE_EXPECTATIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/x509/certificate_view.h"
#include "common/x509/openssl_certificate_parser.h"
#include "gtest/gtest.h"

namespace ctmr::testing {

inline void ExpectSameFields(const x509::CertificateView& a, const x509::CertificateView& b) {
  EXPECT_EQ(a.serial, b.serial);
  EXPECT_EQ(a.issuer, b.issuer);
  EXPECT_EQ(a.not_before, b.not_before);
  EXPECT_EQ(a.not_after, b.not_after);
  EXPECT_EQ(a.dns_names, b.dns_names);
  EXPECT_EQ(a.common_names, b.common_names);
  EXPECT_EQ(a.is_precertificate, b.is_precertificate);
  EXPECT_EQ(x509::kKeyNames[static_cast<int>(a.key)], x509::kKeyNames[static_cast<int>(b.key)]);
  EXPECT_EQ(x509::kValidationNames[static_cast<int>(a.validation)],
            x509::kValidationNames[static_cast<int>(b.validation)]);
}

// The visitor the map uses, for ReadCertificateFile: the bytes must be a
// certificate OpenSSL reads; those are kept in `seen`.
struct OpenSslVisitor {
  std::vector<std::string> seen;
  bool operator()(std::string_view der) {
    x509::CertificateView view;
    if (!x509::ParseCertificateWithOpenSsl(der, &view).ok()) return false;
    seen.emplace_back(der);
    return true;
  }
};

}  // namespace ctmr::testing

#endif  // CT_TESTS_SUPPORT_CERTIFICATE_EXPECTATIONS_H_
