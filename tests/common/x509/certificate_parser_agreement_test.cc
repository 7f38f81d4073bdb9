// Every real certificate in tests/data/certs, decoded both ways: the fast DER
// reader must accept it and agree with OpenSSL on every field, and our issuer
// DN reader must agree with OpenSSL's view of the same Name.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/x509/certificate_view.h"
#include "common/x509/der_certificate_parser.h"
#include "common/x509/distinguished_name.h"
#include "common/x509/openssl_certificate_parser.h"
#include "tests/support/certificate_expectations.h"

namespace ctmr::x509 {
namespace {

struct NamedCert {
  std::string label;  // file name and block index, for failure messages
  std::string der;
};

std::string CertDir() {
  const char* root = std::getenv("CT_SOURCE_DIR");
  return (root != nullptr ? std::string(root) + "/" : std::string()) + "tests/data/certs";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// All certificates: each PEM block of *.pem, and each *.der file whole.
std::vector<NamedCert> LoadAll() {
  std::vector<NamedCert> out;
  for (const auto& entry : std::filesystem::directory_iterator(CertDir())) {
    const std::filesystem::path& path = entry.path();
    const std::string name = path.filename().string();
    if (path.extension() == ".der") {
      out.push_back({name, ReadFile(path)});
    } else if (path.extension() == ".pem") {
      const std::string pem = ReadFile(path);
      BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
      char* type = nullptr;
      char* header = nullptr;
      unsigned char* data = nullptr;
      long len = 0;
      for (int i = 0; PEM_read_bio(bio, &type, &header, &data, &len) == 1; ++i) {
        out.push_back({name + "#" + std::to_string(i),
                       std::string(reinterpret_cast<char*>(data), static_cast<size_t>(len))});
        OPENSSL_free(type);
        OPENSSL_free(header);
        OPENSSL_free(data);
      }
      BIO_free(bio);
    }
  }
  return out;
}

// The issuer's attributes as OpenSSL sees them: numeric OIDs, UTF-8 values,
// and whether each entry shares the previous one's RDN.
std::vector<NameAttribute> OpenSslIssuerAttributes(const std::string& der, std::string* rfc2253) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  std::vector<NameAttribute> out;
  if (x == nullptr) return out;
  const X509_NAME* name = X509_get_issuer_name(x);
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    char oid[128];
    OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 1);
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    NameAttribute& a = out.emplace_back();
    a.oid = oid;
    if (n >= 0) a.value.assign(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
    a.joins_previous =
        i > 0 && X509_NAME_ENTRY_set(e) == X509_NAME_ENTRY_set(X509_NAME_get_entry(name, i - 1));
  }
  // RFC 2253 printing, but with UTF-8 left as is rather than \XX-escaped.
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* text = nullptr;
  const long len = BIO_get_mem_data(bio, &text);
  rfc2253->assign(text, static_cast<size_t>(len));
  BIO_free(bio);
  X509_free(x);
  return out;
}

TEST(CertificateParserAgreement, RealCertificatesReadIdentically) {
  const std::vector<NamedCert> certs = LoadAll();
  // 8 chain/precert PEM blocks, 5 issuer DER files, 512 Navigli tile entries.
  ASSERT_GE(certs.size(), 520u) << "test data missing under " << CertDir();
  CertificateView fast, slow;
  int precerts = 0;
  int keys[kKeyClasses] = {}, validations[kValidationClasses] = {};
  for (const NamedCert& c : certs) {
    SCOPED_TRACE(c.label);
    const absl::Status f = ParseCertificateDer(c.der, &fast);
    const absl::Status s = ParseCertificateWithOpenSsl(c.der, &slow);
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_TRUE(f.ok()) << f;
    ::ctmr::testing::ExpectSameFields(fast, slow);
    precerts += fast.is_precertificate;
    ++keys[static_cast<int>(fast.key)];
    ++validations[static_cast<int>(fast.validation)];

    std::string openssl_text;
    const std::vector<NameAttribute> expected = OpenSslIssuerAttributes(c.der, &openssl_text);
    const absl::StatusOr<std::vector<NameAttribute>> ours = ParseDistinguishedName(fast.issuer);
    ASSERT_TRUE(ours.ok()) << ours.status();
    EXPECT_EQ(*ours, expected);
    ASSERT_EQ(ours->size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ((*ours)[i].joins_previous, expected[i].joins_previous);
    }
    EXPECT_EQ(FormatDistinguishedName(*ours), openssl_text);
  }
  EXPECT_GE(precerts, 512);  // the Navigli tiles hold precertificates only
  // So that the classes compared above are not all defaults: the tiles mix
  // P-256 and RSA keys, the issuers add P-384 and RSA-4096, and the leaves
  // are DV.
  EXPECT_GE(keys[static_cast<int>(KeyClass::kEcdsaP256)], 400);
  EXPECT_GE(keys[static_cast<int>(KeyClass::kRsa2048)], 20);
  EXPECT_GE(keys[static_cast<int>(KeyClass::kRsa4096)], 1);
  EXPECT_GE(keys[static_cast<int>(KeyClass::kEcdsaP384)], 1);
  EXPECT_GE(validations[static_cast<int>(Validation::kDv)], 500);
}

TEST(CertificateParserAgreement, TruncatedRealCertificatesAreRefused) {
  const std::vector<NamedCert> certs = LoadAll();
  ASSERT_FALSE(certs.empty());
  CertificateView fast, slow;
  for (const NamedCert& c : certs) {
    if (c.label.rfind("cloudflare.pem", 0) != 0 && c.label.rfind("real-precert", 0) != 0) continue;
    for (size_t n = 0; n < c.der.size(); ++n) {
      std::vector<char> copy(c.der.begin(), c.der.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_FALSE(ParseCertificateDer(std::string_view(copy.data(), n), &fast).ok()) << n;
      EXPECT_FALSE(ParseCertificateWithOpenSsl(std::string_view(copy.data(), n), &slow).ok());
    }
  }
}

}  // namespace
}  // namespace ctmr::x509
