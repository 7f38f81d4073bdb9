// Hand-made DER edge cases for the fast reader. Every certificate it accepts
// is also read with OpenSSL and must come out identical (the contract).
#include "common/x509/der_certificate_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/x509/certificate_view.h"
#include "common/x509/openssl_certificate_parser.h"
#include "tests/support/certificate_expectations.h"
#include "tests/support/der_builder.h"

namespace ctmr::x509 {
namespace {

using Strings = std::vector<std::string_view>;

using ::ctmr::testing::Seq;
using ::ctmr::testing::Tlv;

const std::string kCn("\x55\x04\x03", 3);
const std::string kO("\x55\x04\x0a", 3);
const std::string kC("\x55\x04\x06", 3);

// One single-valued RDN.
std::string Rdn(const std::string& oid, uint8_t tag, std::string_view value) {
  return Tlv(0x31, Seq(Tlv(0x06, oid) + Tlv(tag, value)));
}

std::string Extension(std::string_view oid, std::string_view value, bool critical = false) {
  return Seq(Tlv(0x06, oid) + (critical ? std::string("\x01\x01\xff", 3) : "") + Tlv(0x04, value));
}
std::string SanExtension(const std::vector<std::string>& dns_names) {
  std::string names;
  for (const std::string& n : dns_names) names += Tlv(0x82, n);
  return Extension("\x55\x1d\x11", Seq(names));
}
std::string PoisonExtension() {
  return Extension("\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x03", std::string("\x05\x00", 2), true);
}

struct CertSpec {
  std::string version = Tlv(0xa0, Tlv(0x02, "\x02"));
  std::string serial = "\x01\x02\x03";
  std::string issuer = Seq(Rdn(kC, 0x13, "US") + Rdn(kO, 0x13, "Test CA") + Rdn(kCn, 0x13, "R1"));
  std::string not_before = Tlv(0x17, "250101000000Z");
  std::string not_after = Tlv(0x17, "250401000000Z");
  std::string subject = Seq(Rdn(kCn, 0x0c, "example.com"));
  std::vector<std::string> extensions = {SanExtension({"example.com", "www.example.com"})};
  std::string tbs_tail;   // appended inside the TBS, after the extensions
  std::string cert_tail;  // appended after the whole certificate
};

std::string Build(const CertSpec& s) {
  const std::string alg = Seq(Tlv(0x06, "\x2a\x86\x48\xce\x3d\x04\x03\x02"));
  const std::string spki = Seq(Seq(Tlv(0x06, "\x2a\x86\x48\xce\x3d\x02\x01") +
                                   Tlv(0x06, "\x2a\x86\x48\xce\x3d\x03\x01\x07")) +
                               Tlv(0x03, std::string(1, '\0') + "\x04" + std::string(64, '\x11')));
  std::string exts;
  for (const std::string& e : s.extensions) exts += e;
  const std::string tbs =
      Seq(s.version + Tlv(0x02, s.serial) + alg + s.issuer + Seq(s.not_before + s.not_after) +
          s.subject + spki + (exts.empty() ? "" : Tlv(0xa3, Seq(exts))) + s.tbs_tail);
  return Seq(tbs + alg + Tlv(0x03, std::string(1, '\0') + std::string(70, '\x22'))) + s.cert_tail;
}

using ::ctmr::testing::ExpectSameFields;

// Parses with the fast reader; if it accepts, OpenSSL must agree. The input is
// copied to a buffer that lives until the next call, since `fast` points into it.
absl::Status ParseAndCheck(const std::string& input, CertificateView* fast) {
  static std::string* der = new std::string;
  *der = input;
  absl::Status s = ParseCertificateDer(*der, fast);
  if (s.ok()) {
    CertificateView slow;
    absl::Status o = ParseCertificateWithOpenSsl(*der, &slow);
    EXPECT_TRUE(o.ok()) << "fast accepted what OpenSSL refuses: " << o;
    if (o.ok()) ExpectSameFields(*fast, slow);
  }
  return s;
}

TEST(DerCertificateParser, ReadsAllFields) {
  CertSpec spec;
  spec.extensions.push_back(PoisonExtension());
  const std::string der = Build(spec);
  CertificateView v;
  ASSERT_TRUE(ParseCertificateDer(der, &v).ok());
  CertificateView slow;
  ASSERT_TRUE(ParseCertificateWithOpenSsl(der, &slow).ok());
  ExpectSameFields(v, slow);
  EXPECT_EQ(v.serial, "\x01\x02\x03");
  EXPECT_EQ(v.issuer, spec.issuer);
  EXPECT_EQ(v.not_before, 1735689600);  // 2025-01-01T00:00:00Z
  EXPECT_EQ(v.not_after, 1743465600);   // 2025-04-01T00:00:00Z
  EXPECT_EQ(v.dns_names, (Strings{"example.com", "www.example.com"}));
  EXPECT_EQ(v.common_names, (Strings{"example.com"}));
  EXPECT_TRUE(v.is_precertificate);
  // Views point into the input: nothing was copied.
  EXPECT_TRUE(v.storage.empty());
  EXPECT_GE(v.serial.data(), der.data());
  EXPECT_LT(v.serial.data(), der.data() + der.size());
}

TEST(DerCertificateParser, ReusedViewIsCleared) {
  CertSpec spec;
  spec.extensions.push_back(PoisonExtension());
  CertificateView v;
  ASSERT_TRUE(ParseAndCheck(Build(spec), &v).ok());
  CertSpec plain;
  plain.extensions.clear();
  ASSERT_TRUE(ParseAndCheck(Build(plain), &v).ok());
  EXPECT_TRUE(v.dns_names.empty());
  EXPECT_FALSE(v.is_precertificate);
}

TEST(DerCertificateParser, Serials) {
  CertificateView v;
  for (std::string serial :
       {std::string("\x00", 1), std::string("\x7f"), std::string("\x00\x80", 2),
        std::string("\x80"), std::string("\xff\x7f"), std::string("\xff\x00\x00", 3),
        std::string(20, '\x5a')}) {
    CertSpec spec;
    spec.serial = serial;
    ASSERT_TRUE(ParseAndCheck(Build(spec), &v).ok()) << serial.size();
    EXPECT_EQ(v.serial, serial);
  }
  // Non-minimal (zero- or 0xff-padded) and empty serials are not DER.
  for (std::string serial : {std::string("\x00\x01", 2), std::string("\xff\x80"), std::string()}) {
    CertSpec spec;
    spec.serial = serial;
    EXPECT_FALSE(ParseAndCheck(Build(spec), &v).ok());
  }
}

TEST(DerCertificateParser, TimeFormsAndTheCenturyBoundary) {
  struct Case {
    uint8_t tag;
    const char* text;
    int64_t unix_seconds;
  };
  const Case cases[] = {
      {0x17, "491231235959Z", 2524607999},    // UTCTime 49 -> 2049
      {0x17, "500101000000Z", -631152000},    // UTCTime 50 -> 1950
      {0x18, "20500101000000Z", 2524608000},  // GeneralizedTime past 2049
      {0x18, "20250101000000Z", 1735689600},  // GeneralizedTime inside UTCTime's range
      {0x17, "240229120000Z", 1709208000},    // leap day
      {0x18, "21000301000000Z", 4107542400},  // 2100 is not a leap year
      {0x18, "19700101000000Z", 0},
  };
  CertificateView v;
  for (const Case& c : cases) {
    CertSpec spec;
    spec.not_before = Tlv(c.tag, c.text);
    ASSERT_TRUE(ParseAndCheck(Build(spec), &v).ok()) << c.text;
    EXPECT_EQ(v.not_before, c.unix_seconds) << c.text;
  }
  for (auto [tag, text] : std::vector<std::pair<uint8_t, const char*>>{
           {0x17, "230229000000Z"},      // not a leap year
           {0x17, "251301000000Z"},      // month 13
           {0x17, "250101240000Z"},      // hour 24
           {0x17, "2501010000Z"},        // no seconds
           {0x17, "250101000000+0100"},  // offset
           {0x18, "20250101000000.5Z"},  // fraction
           {0x18, "250101000000Z"},      // GeneralizedTime needs four digits
           {0x13, "250101000000Z"}}) {   // not a time type
    CertSpec spec;
    spec.not_after = Tlv(tag, text);
    EXPECT_FALSE(ParseAndCheck(Build(spec), &v).ok()) << text;
  }
}

TEST(DerCertificateParser, ConvertsCommonNameStringTypes) {
  struct Case {
    uint8_t tag;
    std::string value;
    std::string utf8;
  };
  const Case cases[] = {
      {0x1e, std::string("\x00h\x00\xe9\x00.\x00x", 8), "h\xc3\xa9.x"},  // BMPString
      {0x1e, std::string("\xff\xfd", 2), "\xef\xbf\xbd"},                // BMP U+FFFD
      {0x1e, std::string("\xff\xff", 2), "\xef\xbf\xbf"},                // BMP U+FFFF
      {0x1c, std::string("\x00\x01\xf6\x00", 4), "\xf0\x9f\x98\x80"},    // UniversalString
      {0x14, "caf\xe9", "caf\xc3\xa9"},                                  // Teletex as Latin-1
      {0x13, "example.org", "example.org"},                              // PrintableString
      {0x16, "example.org", "example.org"},                              // IA5String
      {0x0c, "\xe4\xbe\x8b.jp", "\xe4\xbe\x8b.jp"},                      // UTF8String
  };
  CertificateView v;
  for (const Case& c : cases) {
    CertSpec spec;
    spec.subject = Seq(Rdn(kCn, c.tag, c.value));
    ASSERT_TRUE(ParseAndCheck(Build(spec), &v).ok()) << c.utf8;
    EXPECT_EQ(v.common_names, (Strings{c.utf8}));
  }
}

TEST(DerCertificateParser, RefusesStringsOpenSslWouldNotConvert) {
  const std::pair<uint8_t, std::string> cases[] = {
      {0x1e, std::string("\xd8\x3d\xde\x00", 4)},  // BMP surrogate pair
      {0x1e, std::string("\x00h\x00", 3)},         // odd BMP length
      {0x1c, std::string("\x00\x11\x00\x00", 4)},  // beyond U+10FFFF
      {0x0c, "\xc0\xae"},                          // overlong UTF-8
      {0x0c, "\xed\xa0\x80"},                      // UTF-8 surrogate
      {0x1a, "visible"},                           // VisibleString: not in B_ASN1_PRINTABLE
      {0x04, "octets"},                            // not a string type at all
  };
  CertificateView v;
  for (const auto& [tag, value] : cases) {
    CertSpec spec;
    spec.subject = Seq(Rdn(kCn, tag, value));
    EXPECT_FALSE(ParseAndCheck(Build(spec), &v).ok()) << int{tag};
    spec = CertSpec();
    spec.issuer = Seq(Rdn(kO, tag, value));
    EXPECT_FALSE(ParseAndCheck(Build(spec), &v).ok()) << int{tag};
  }
}

TEST(DerCertificateParser, SubjectShapes) {
  CertificateView v;
  CertSpec no_san;
  no_san.extensions.clear();
  ASSERT_TRUE(ParseAndCheck(Build(no_san), &v).ok());
  EXPECT_TRUE(v.dns_names.empty());
  EXPECT_EQ(v.common_names, (Strings{"example.com"}));

  CertSpec empty_subject;
  empty_subject.subject = Seq("");
  ASSERT_TRUE(ParseAndCheck(Build(empty_subject), &v).ok());
  EXPECT_TRUE(v.common_names.empty());
  EXPECT_EQ(v.dns_names.size(), 2u);

  CertSpec no_cn;
  no_cn.subject = Seq(Rdn(kO, 0x13, "Org only"));
  ASSERT_TRUE(ParseAndCheck(Build(no_cn), &v).ok());
  EXPECT_TRUE(v.common_names.empty());

  CertSpec many;
  many.subject =
      Seq(Rdn(kCn, 0x13, "a.example") + Rdn(kO, 0x13, "X") + Rdn(kCn, 0x0c, "b.example") +
          Tlv(0x31,
              Seq(Tlv(0x06, kCn) + Tlv(0x13, "c.example")) + Seq(Tlv(0x06, kO) + Tlv(0x13, "Y"))));
  ASSERT_TRUE(ParseAndCheck(Build(many), &v).ok());
  EXPECT_EQ(v.common_names, (Strings{"a.example", "b.example", "c.example"}));

  CertSpec empty_rdn;
  empty_rdn.subject = Seq(Tlv(0x31, ""));
  EXPECT_FALSE(ParseAndCheck(Build(empty_rdn), &v).ok());
}

TEST(DerCertificateParser, SubjectAltNameChoices) {
  CertificateView v;
  CertSpec mixed;
  mixed.extensions = {Extension(
      "\x55\x1d\x11", Seq(Tlv(0x82, "a.example") + Tlv(0x87, std::string("\x7f\x00\x00\x01", 4)) +
                          Tlv(0x81, "x@a.example") + Tlv(0x86, "https://a.example/") +
                          Tlv(0xa4, Seq(Rdn(kCn, 0x13, "dir"))) + Tlv(0x82, "") +
                          Tlv(0x88, "\x2b\x06\x01") + Tlv(0x82, "b.example")))};
  ASSERT_TRUE(ParseAndCheck(Build(mixed), &v).ok());
  EXPECT_EQ(v.dns_names, (Strings{"a.example", "", "b.example"}));

  const std::string refused[] = {
      Seq(Tlv(0xa0, Tlv(0x06, "\x2b\x06\x01") + Tlv(0xa0, Tlv(0x0c, "x")))),  // otherName
      Seq(Tlv(0xa2, Tlv(0x16, "a.example"))),              // constructed dNSName (BER)
      Seq(""),                                             // empty GeneralNames
      Seq(Tlv(0x82, "a.example")) + std::string(1, '\0'),  // trailing bytes in extnValue
      Tlv(0x31, Tlv(0x82, "a.example")),                   // not a SEQUENCE
  };
  for (const std::string& value : refused) {
    CertSpec spec;
    spec.extensions = {Extension("\x55\x1d\x11", value)};
    EXPECT_FALSE(ParseAndCheck(Build(spec), &v).ok());
  }
}

TEST(DerCertificateParser, RefusesDuplicateExtensions) {
  CertSpec spec;
  spec.extensions.push_back(SanExtension({"evil.example"}));
  const std::string der = Build(spec);
  CertificateView v;
  EXPECT_FALSE(ParseCertificateDer(der, &v).ok());
  // OpenSSL's X509_get_ext_d2i returns NULL for a doubled SAN; we report it.
  EXPECT_FALSE(ParseCertificateWithOpenSsl(der, &v).ok());

  CertSpec poison_twice;
  poison_twice.extensions = {PoisonExtension(), PoisonExtension()};
  EXPECT_FALSE(ParseCertificateDer(Build(poison_twice), &v).ok());
}

TEST(DerCertificateParser, RefusesStructuralProblems) {
  CertificateView v;
  CertSpec trailing;
  trailing.cert_tail = std::string("\x00", 1);
  EXPECT_FALSE(ParseAndCheck(Build(trailing), &v).ok());
  EXPECT_FALSE(ParseCertificateWithOpenSsl(Build(trailing), &v).ok());

  CertSpec tbs_tail;
  tbs_tail.tbs_tail = Tlv(0x05, "");
  EXPECT_FALSE(ParseAndCheck(Build(tbs_tail), &v).ok());

  CertSpec v1;
  v1.version = "";
  EXPECT_FALSE(ParseAndCheck(Build(v1), &v).ok());

  CertSpec not_critical;  // DER forbids encoding the DEFAULT FALSE
  not_critical.extensions = {Seq(Tlv(0x06, "\x55\x1d\x0f") + std::string("\x01\x01\x00", 3) +
                                 Tlv(0x04, "\x03\x02\x07\x80"))};
  EXPECT_FALSE(ParseAndCheck(Build(not_critical), &v).ok());

  CertSpec empty_exts;
  empty_exts.extensions.clear();
  empty_exts.tbs_tail = Tlv(0xa3, Seq(""));
  EXPECT_FALSE(ParseAndCheck(Build(empty_exts), &v).ok());

  CertSpec bad_oid;  // padded subidentifier
  bad_oid.extensions = {Extension("\x55\x80\x1d\x0f", "x")};
  EXPECT_FALSE(ParseAndCheck(Build(bad_oid), &v).ok());

  // A non-minimal long-form length (0x81 0x05) for the serial.
  std::string der = Build(CertSpec());
  const std::string serial_tlv("\x02\x03\x01\x02\x03", 5);
  const size_t at = der.find(serial_tlv);
  ASSERT_NE(at, std::string::npos);
  std::string padded = der;
  padded.replace(at, 2, std::string("\x02\x81\x03", 3));
  EXPECT_FALSE(ParseAndCheck(padded, &v).ok());

  // Indefinite length on the outer SEQUENCE.
  std::string indefinite = der;
  indefinite[1] = '\x80';
  EXPECT_FALSE(ParseAndCheck(indefinite, &v).ok());

  EXPECT_FALSE(ParseAndCheck("", &v).ok());
  EXPECT_FALSE(ParseAndCheck(std::string("\x30\x00", 2), &v).ok());
}

TEST(DerCertificateParser, EveryTruncationIsRefused) {
  CertSpec spec;
  spec.extensions.push_back(PoisonExtension());
  const std::string der = Build(spec);
  CertificateView v;
  for (size_t n = 0; n < der.size(); ++n) {
    // A heap copy of exactly n bytes lets ASan catch any read past the end.
    std::vector<char> copy(der.begin(), der.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(ParseCertificateDer(std::string_view(copy.data(), n), &v).ok()) << n;
  }
}

}  // namespace
}  // namespace ctmr::x509
