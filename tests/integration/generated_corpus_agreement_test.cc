// The fast DER reader and OpenSSL must read every certificate of the generated
// corpora identically (tests/common/certificate_parser_agreement_test does the
// same for the real certificates in tests/data).
#include <string>

#include "common/x509/certificate_file_reader.h"
#include "common/x509/der_certificate_parser.h"
#include "common/x509/openssl_certificate_parser.h"
#include "gtest/gtest.h"
#include "tests/support/certificate_expectations.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ListDir;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;

TEST(GeneratedCorpusAgreementTest, FastReaderAndOpenSslAgreeOnEveryCertificate) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root, "--certs", "20000", "--days", "20",
                         "--as-of", "2026-11-26", "--seed", "11", "--edge-cases"});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  uint64_t compared = 0, refused_by_fast = 0, refused_by_both = 0;
  x509::CertificateView fast, slow;
  for (const std::string& dir : ListDir(root)) {
    for (const std::string& name : ListDir(root + "/" + dir)) {
      const std::optional<x509::CertificateFileFormat> format = x509::FormatOfFileName(name);
      if (!format.has_value()) continue;
      auto read = x509::ReadCertificateFile(
          root + "/" + dir + "/" + name, 0, *format, [&](std::string_view der) {
            const bool fast_ok = x509::ParseCertificateDer(der, &fast).ok();
            const bool slow_ok = x509::ParseCertificateWithOpenSsl(der, &slow).ok();
            if (fast_ok) {
              EXPECT_TRUE(slow_ok) << dir << "/" << name;
              ::ctmr::testing::ExpectSameFields(fast, slow);
              ++compared;
            } else if (slow_ok) {
              ++refused_by_fast;
            } else {
              ++refused_by_both;
            }
            return fast_ok || slow_ok;
          });
      ASSERT_TRUE(read.ok()) << read.status();
    }
  }
  EXPECT_GT(compared, 20000u);
  // ct-gen writes only well-formed DER certificates: the fast path takes them
  // all. What neither parser reads is the deliberately malformed content
  // (garbage, truncated DER, a bare TBSCertificate, an empty block, ...).
  EXPECT_EQ(refused_by_fast, 0u);
  EXPECT_GT(refused_by_both, 0u);
}

}  // namespace
}  // namespace ctmr
