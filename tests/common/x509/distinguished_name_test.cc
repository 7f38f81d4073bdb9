#include "common/x509/distinguished_name.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/der_builder.h"

namespace ctmr::x509 {
namespace {

using ::ctmr::testing::Tlv;
std::string Ava(std::string_view oid, uint8_t tag, std::string_view value) {
  return Tlv(0x30, Tlv(0x06, oid) + Tlv(tag, value));
}
std::string Rdn(std::string_view oid, uint8_t tag, std::string_view value) {
  return Tlv(0x31, Ava(oid, tag, value));
}

const std::string kC("\x55\x04\x06", 3);
const std::string kO("\x55\x04\x0a", 3);
const std::string kCn("\x55\x04\x03", 3);

TEST(DistinguishedName, LetsEncryptIssuer) {
  const std::string der =
      Tlv(0x30, Rdn(kC, 0x13, "US") + Rdn(kO, 0x13, "Let's Encrypt") + Rdn(kCn, 0x13, "R11"));
  const auto attrs = ParseDistinguishedName(der);
  ASSERT_TRUE(attrs.ok()) << attrs.status();
  EXPECT_EQ(*attrs, (std::vector<NameAttribute>{
                        {"2.5.4.6", "US"}, {"2.5.4.10", "Let's Encrypt"}, {"2.5.4.3", "R11"}}));
  EXPECT_EQ(FormatDistinguishedName(*attrs), "CN=R11,O=Let's Encrypt,C=US");
  EXPECT_EQ(OrganizationOf(*attrs), "Let's Encrypt");
}

TEST(DistinguishedName, MultiValuedRdnAndUnknownOid) {
  const std::string der = Tlv(
      0x30, Rdn(kC, 0x13, "DE") + Tlv(0x31, Ava(kO, 0x0c, "A") + Ava("\x55\x04\x0b", 0x0c, "B")) +
                Rdn("\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x03", 0x13, "US") +
                Rdn("\x2a\x03\x04", 0x13, "x") +  // 1.2.3.4: no short name
                Rdn("\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", 0x16, "com"));
  const auto attrs = ParseDistinguishedName(der);
  ASSERT_TRUE(attrs.ok()) << attrs.status();
  ASSERT_EQ(attrs->size(), 6u);
  EXPECT_FALSE((*attrs)[1].joins_previous);
  EXPECT_TRUE((*attrs)[2].joins_previous);
  EXPECT_EQ((*attrs)[5].oid, "0.9.2342.19200300.100.1.25");
  EXPECT_EQ(FormatDistinguishedName(*attrs), "DC=com,1.2.3.4=x,jurisdictionC=US,O=A+OU=B,C=DE");
}

TEST(DistinguishedName, ConvertsStringTypes) {
  const std::string der =
      Tlv(0x30, Rdn(kCn, 0x1e, std::string("\x00h\x00\xe9", 4)) + Rdn(kCn, 0x14, "caf\xe9") +
                    Rdn(kCn, 0x1c, std::string("\x00\x01\xf6\x00", 4)) + Rdn(kCn, 0x1a, "vis") +
                    Rdn(kCn, 0x12, "123") + Rdn(kCn, 0x0c, "\xc3\xa9"));
  const auto attrs = ParseDistinguishedName(der);
  ASSERT_TRUE(attrs.ok()) << attrs.status();
  std::vector<std::string> values;
  for (const auto& a : *attrs) values.push_back(a.value);
  EXPECT_EQ(values, (std::vector<std::string>{"h\xc3\xa9", "caf\xc3\xa9", "\xf0\x9f\x98\x80", "vis",
                                              "123", "\xc3\xa9"}));
}

TEST(DistinguishedName, EscapesPerRfc4514) {
  const std::vector<NameAttribute> attrs = {
      {"2.5.4.10", "a,b+c\"d\\e<f>g;h"},
      {"2.5.4.3", "#lead and trail "},
      {"2.5.4.11", " space"},
      {"2.5.4.7", std::string("nul\0x", 5)},
      {"2.5.4.8", "in#side"},
  };
  EXPECT_EQ(FormatDistinguishedName(attrs),
            "ST=in#side,L=nul\\00x,OU=\\ space,CN=\\#lead and trail\\ ,"
            "O=a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h");
}

TEST(DistinguishedName, EmptyAndMissingOrganization) {
  const auto empty = ParseDistinguishedName(std::string("\x30\x00", 2));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(FormatDistinguishedName(*empty), "");
  EXPECT_EQ(OrganizationOf(*empty), "");
  EXPECT_EQ(OrganizationOf({{"2.5.4.3", "x"}, {"2.5.4.10", "first"}, {"2.5.4.10", "second"}}),
            "first");
}

TEST(DistinguishedName, RefusesMalformedDer) {
  const std::string good = Tlv(0x30, Rdn(kCn, 0x13, "x"));
  const std::string bad[] = {
      "",
      good + std::string(1, '\0'),                        // trailing byte
      good.substr(0, good.size() - 1),                    // truncated
      Tlv(0x30, Tlv(0x31, "")),                           // empty RDN
      Tlv(0x30, Rdn(kCn, 0x04, "octets")),                // not a string type
      Tlv(0x30, Rdn(kCn, 0x1e, std::string("\x00", 1))),  // odd BMPString
      Tlv(0x30, Rdn(kCn, 0x0c, "\xff")),                  // invalid UTF-8
      Tlv(0x30, Rdn("\x80\x01", 0x13, "x")),              // padded OID
      Tlv(0x31, Rdn(kCn, 0x13, "x")),                     // SET, not SEQUENCE
  };
  for (const std::string& der : bad) EXPECT_FALSE(ParseDistinguishedName(der).ok());
}

}  // namespace
}  // namespace ctmr::x509
