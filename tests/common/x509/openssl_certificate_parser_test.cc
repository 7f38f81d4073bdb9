// The OpenSSL reference reader on real certificates with known fields.
#include "common/x509/openssl_certificate_parser.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/x509/certificate_view.h"

namespace ctmr::x509 {
namespace {

using Strings = std::vector<std::string_view>;

std::string DataPath(const std::string& name) {
  const char* root = std::getenv("CT_SOURCE_DIR");
  return (root != nullptr ? std::string(root) + "/" : std::string()) + "tests/data/certs/" + name;
}

// The DER of every PEM block in a file, in order.
std::vector<std::string> ReadPem(const std::string& name) {
  std::ifstream in(DataPath(name), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string pem = text.str();
  std::vector<std::string> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  char* type = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  while (PEM_read_bio(bio, &type, &header, &data, &len) == 1) {
    out.emplace_back(reinterpret_cast<char*>(data), static_cast<size_t>(len));
    OPENSSL_free(type);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  BIO_free(bio);
  return out;
}

TEST(OpenSslCertificateParser, ReadsCloudflareLeaf) {
  const std::vector<std::string> chain = ReadPem("cloudflare.pem");
  ASSERT_EQ(chain.size(), 3u);
  CertificateView v;
  ASSERT_TRUE(ParseCertificateWithOpenSsl(chain[0], &v).ok());
  EXPECT_EQ(v.serial, "\x40\xe5\xa0\xd8\xd7\x3d\x5e\x10\x13\xd6\xda\x11\xcc\x0a\xe1\x57");
  EXPECT_EQ(v.not_before, 1757527916);  // 2025-09-10T18:11:56Z
  EXPECT_EQ(v.not_after, 1765307501);   // 2025-12-09T19:11:41Z
  EXPECT_EQ(v.dns_names, (Strings{"26d54cff.sni.cloudflaressl.com", "cloudflare.com"}));
  EXPECT_EQ(v.common_names, (Strings{"26d54cff.sni.cloudflaressl.com"}));
  EXPECT_FALSE(v.is_precertificate);
  // The issuer TLV is the subject TLV of the next certificate in the chain.
  EXPECT_NE(chain[1].find(v.issuer), std::string::npos);
  EXPECT_EQ(v.issuer.substr(0, 1), "\x30");
}

TEST(OpenSslCertificateParser, ReadsPrecertificate) {
  const std::vector<std::string> certs = ReadPem("real-precert-with-eku.pem");
  ASSERT_EQ(certs.size(), 1u);
  CertificateView v;
  ASSERT_TRUE(ParseCertificateWithOpenSsl(certs[0], &v).ok());
  // The high bit is set, so DER keeps a leading zero octet.
  EXPECT_EQ(
      v.serial,
      std::string("\x00\x9c\xa4\x07\xe2\x25\xf9\x7c\xc2\x0a\x00\x00\x00\x00\x20\x6e\xe5", 17));
  EXPECT_EQ(v.not_before, 1584966224);  // 2020-03-23T12:23:44Z
  EXPECT_EQ(v.not_after, 1592742224);   // 2020-06-21T12:23:44Z
  EXPECT_EQ(v.dns_names, (Strings{"certificate.transparency.dev"}));
  EXPECT_EQ(v.common_names, (Strings{"certificate.transparency.dev"}));
  EXPECT_TRUE(v.is_precertificate);
}

TEST(OpenSslCertificateParser, ViewsOwnTheirBytes) {
  CertificateView v;
  {
    std::string der = ReadPem("cloudflare.pem")[0];
    ASSERT_TRUE(ParseCertificateWithOpenSsl(der, &v).ok());
    der.assign(der.size(), 'x');  // the views must not point into the input
  }
  EXPECT_EQ(v.common_names, (Strings{"26d54cff.sni.cloudflaressl.com"}));
  EXPECT_EQ(v.issuer.substr(0, 1), "\x30");
}

TEST(OpenSslCertificateParser, RefusesTrailingBytesAndGarbage) {
  std::string der = ReadPem("cloudflare.pem")[0];
  CertificateView v;
  EXPECT_FALSE(ParseCertificateWithOpenSsl(der + std::string(1, '\0'), &v).ok());
  EXPECT_FALSE(ParseCertificateWithOpenSsl(der.substr(0, der.size() - 1), &v).ok());
  EXPECT_FALSE(ParseCertificateWithOpenSsl("", &v).ok());
  EXPECT_FALSE(ParseCertificateWithOpenSsl("not a certificate", &v).ok());
}

}  // namespace
}  // namespace ctmr::x509
