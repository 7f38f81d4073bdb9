// A gtest expectation shared by the tests that hold the fast DER reader and
// OpenSSL to identical fields: one EXPECT_EQ per CertificateView field.
#ifndef CT_TESTS_SUPPORT_CERTIFICATE_EXPECTATIONS_H_
#define CT_TESTS_SUPPORT_CERTIFICATE_EXPECTATIONS_H_

#include "common/x509/certificate_view.h"
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
}

}  // namespace ctmr::testing

#endif  // CT_TESTS_SUPPORT_CERTIFICATE_EXPECTATIONS_H_
