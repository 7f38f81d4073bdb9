#include "common/names/fqdn.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace ctmr::names {
namespace {

// The normal form, or nullopt when the name does not count (DESIGN.md §3).
std::optional<std::string> Normalize(std::string_view raw) {
  std::string out = "left over from an earlier call";
  if (!NormalizeFqdn(raw, &out)) return std::nullopt;
  return out;
}

// A name of exactly `length` characters: labels of 50 'a's joined by dots.
std::string NameOfLength(size_t length) {
  std::string out;
  while (out.size() < length) {
    if (!out.empty()) out += '.';
    out += std::string(std::min<size_t>(50, length - out.size()), 'a');
  }
  return out;
}

TEST(FqdnTest, PlainNames) {
  EXPECT_EQ(Normalize("example.com"), "example.com");
  EXPECT_EQ(Normalize("www.example.co.uk"), "www.example.co.uk");
  EXPECT_EQ(Normalize("a.b"), "a.b");
  EXPECT_EQ(Normalize("xn--80ak6aa92e.com"), "xn--80ak6aa92e.com");
  EXPECT_EQ(Normalize("123.456"), "123.456");
  EXPECT_EQ(Normalize("-.-"), "-.-");  // the rule names characters, not hyphen placement
}

TEST(FqdnTest, Lowercases) {
  EXPECT_EQ(Normalize("WWW.Example.COM"), "www.example.com");
  EXPECT_EQ(Normalize("ABCDEFGHIJKLMNOPQRSTUVWXYZ.ORG"), "abcdefghijklmnopqrstuvwxyz.org");
  EXPECT_EQ(Normalize("*.EXAMPLE.Com"), "*.example.com");
}

TEST(FqdnTest, RemovesOneTrailingDot) {
  EXPECT_EQ(Normalize("example.com."), "example.com");
  EXPECT_EQ(Normalize("*.Example.com."), "*.example.com");
  EXPECT_EQ(Normalize("example.com.."), std::nullopt);
  EXPECT_EQ(Normalize("com."), std::nullopt);  // one label left
  EXPECT_EQ(Normalize("."), std::nullopt);
  EXPECT_EQ(Normalize(".."), std::nullopt);
}

TEST(FqdnTest, Wildcards) {
  EXPECT_EQ(Normalize("*.example.com"), "*.example.com");
  EXPECT_EQ(Normalize("*.a.b"), "*.a.b");
  EXPECT_EQ(Normalize("*.*.example.com"), std::nullopt);
  EXPECT_EQ(Normalize("a.*.com"), std::nullopt);
  EXPECT_EQ(Normalize("example.*"), std::nullopt);
  // The wildcard label does not count toward the two labels.
  EXPECT_EQ(Normalize("*.com"), std::nullopt);
  EXPECT_EQ(Normalize("*.com."), std::nullopt);
  EXPECT_EQ(Normalize("*"), std::nullopt);
  EXPECT_EQ(Normalize("*."), std::nullopt);
  EXPECT_EQ(Normalize("*.."), std::nullopt);
  EXPECT_EQ(Normalize("*example.com"), std::nullopt);
  EXPECT_EQ(Normalize("w*.example.com"), std::nullopt);
  EXPECT_EQ(Normalize("**.example.com"), std::nullopt);
  EXPECT_EQ(Normalize(".*.example.com"), std::nullopt);
}

TEST(FqdnTest, SingleLabelIsInvalid) {
  EXPECT_EQ(Normalize("localhost"), std::nullopt);
  EXPECT_EQ(Normalize("com"), std::nullopt);
  EXPECT_EQ(Normalize("a"), std::nullopt);
}

TEST(FqdnTest, EmptyLabelsAreInvalid) {
  EXPECT_EQ(Normalize(""), std::nullopt);
  EXPECT_EQ(Normalize(".example.com"), std::nullopt);
  EXPECT_EQ(Normalize("example..com"), std::nullopt);
  EXPECT_EQ(Normalize("*..example.com"), std::nullopt);
}

TEST(FqdnTest, LabelLength) {
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  EXPECT_EQ(Normalize(label63 + ".com"), label63 + ".com");
  EXPECT_EQ(Normalize(label64 + ".com"), std::nullopt);
  EXPECT_EQ(Normalize("www." + label63), "www." + label63);
  EXPECT_EQ(Normalize("www." + label64), std::nullopt);
  EXPECT_EQ(Normalize("www." + label64 + "."), std::nullopt);
  EXPECT_EQ(Normalize("*." + label63 + ".com"), "*." + label63 + ".com");
  EXPECT_EQ(Normalize("*." + label64 + ".com"), std::nullopt);
  EXPECT_EQ(Normalize("a." + label64 + ".com"), std::nullopt);
}

TEST(FqdnTest, NameLength) {
  const std::string name253 = NameOfLength(253);
  const std::string name254 = NameOfLength(254);
  ASSERT_EQ(name253.size(), 253u);
  ASSERT_EQ(name254.size(), 254u);
  EXPECT_EQ(Normalize(name253), name253);
  EXPECT_EQ(Normalize(name253 + "."), name253);  // the trailing dot does not count
  EXPECT_EQ(Normalize(name254), std::nullopt);
  EXPECT_EQ(Normalize(name254 + "."), std::nullopt);
  // The length is that of the stored name, the wildcard label included.
  const std::string wild253 = "*." + NameOfLength(251);
  EXPECT_EQ(Normalize(wild253), wild253);
  EXPECT_EQ(Normalize("*." + NameOfLength(252)), std::nullopt);
  EXPECT_EQ(Normalize(std::string(10000, 'a') + ".com"), std::nullopt);
}

TEST(FqdnTest, UnderscoreAndHyphenAreAllowed) {
  EXPECT_EQ(Normalize("_acme-challenge.example.com"), "_acme-challenge.example.com");
  EXPECT_EQ(Normalize("a_b.Ex-Ample.com"), "a_b.ex-ample.com");
  EXPECT_EQ(Normalize("*._tcp.example.com"), "*._tcp.example.com");
}

TEST(FqdnTest, OtherCharactersAreInvalid) {
  for (std::string_view raw :
       {"exa mple.com", " example.com", "example.com ", "example.com\n", "ex\tample.com",
        "b\xc3\xbc"
        "cher.de",  // UTF-8 "bücher.de": IDNs must be in punycode
        "\xe4\xbe\x8b\xe5\xad\x90.com", "ex@mple.com", "example.com:443", "example.com/path",
        "http://example.com", "ex!ample.com", "exa+mple.com", "exam\\ple.com", "a.b*",
        "example.com\x7f"}) {
    EXPECT_EQ(Normalize(raw), std::nullopt) << raw;
  }
  EXPECT_EQ(Normalize(std::string_view("exam\0ple.com", 12)), std::nullopt);
  EXPECT_EQ(Normalize(std::string_view("example.com\0", 12)), std::nullopt);
}

TEST(FqdnTest, Ipv4LiteralsAreInvalid) {
  EXPECT_EQ(Normalize("192.0.2.7"), std::nullopt);
  EXPECT_EQ(Normalize("192.0.2.7."), std::nullopt);
  EXPECT_EQ(Normalize("0.0.0.0"), std::nullopt);
  EXPECT_EQ(Normalize("255.255.255.255"), std::nullopt);
  EXPECT_EQ(Normalize("10.0.0.1"), std::nullopt);
}

TEST(FqdnTest, DigitNamesThatAreNotIpv4LiteralsAreValid) {
  EXPECT_EQ(Normalize("1.2.3"), "1.2.3");
  EXPECT_EQ(Normalize("999.1.1.1"), "999.1.1.1");
  EXPECT_EQ(Normalize("256.1.1.1"), "256.1.1.1");
  EXPECT_EQ(Normalize("1.2.3.4.5"), "1.2.3.4.5");
  EXPECT_EQ(Normalize("1.2.3.4.5."), "1.2.3.4.5");
  EXPECT_EQ(Normalize("192.0.2.7a"), "192.0.2.7a");
  EXPECT_EQ(Normalize("192.0.2.com"), "192.0.2.com");
}

TEST(FqdnTest, OutputIsReusedAcrossCalls) {
  std::string out;
  ASSERT_TRUE(NormalizeFqdn("A-VERY-LONG-LABEL.subdomain.Example.com", &out));
  EXPECT_EQ(out, "a-very-long-label.subdomain.example.com");
  ASSERT_TRUE(NormalizeFqdn("B.Io", &out));
  EXPECT_EQ(out, "b.io");
  ASSERT_FALSE(NormalizeFqdn("bad name.com", &out));
  ASSERT_TRUE(NormalizeFqdn("*.X.org.", &out));
  EXPECT_EQ(out, "*.x.org");
}

TEST(FqdnTest, IsWildcard) {
  EXPECT_TRUE(IsWildcard("*.example.com"));
  EXPECT_TRUE(IsWildcard("*."));
  EXPECT_FALSE(IsWildcard("example.com"));
  EXPECT_FALSE(IsWildcard("www.*.example.com"));
  EXPECT_FALSE(IsWildcard("*example.com"));
  EXPECT_FALSE(IsWildcard("*"));
  EXPECT_FALSE(IsWildcard(""));
  EXPECT_FALSE(IsWildcard(".*.example.com"));
  // Whatever NormalizeFqdn accepts with a leading "*." is a wildcard; nothing else is.
  std::string out;
  ASSERT_TRUE(NormalizeFqdn("*.Example.com.", &out));
  EXPECT_TRUE(IsWildcard(out));
  ASSERT_TRUE(NormalizeFqdn("Example.com.", &out));
  EXPECT_FALSE(IsWildcard(out));
}

}  // namespace
}  // namespace ctmr::names
