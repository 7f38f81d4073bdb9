#include "common/names/registered_domain.h"

#include <gtest/gtest.h>

#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "common/base/hash128.h"

namespace ctmr::names {
namespace {

class RegisteredDomainTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<PublicSuffixList>> list = PublicSuffixList::LoadLatest();
    ASSERT_TRUE(list.ok()) << list.status();
    list_ = std::move(*list).release();
  }
  static void TearDownTestSuite() {
    delete list_;
    list_ = nullptr;
  }

  static std::optional<std::string> Domain(const std::string& fqdn) {
    return list_->RegisteredDomain(fqdn);
  }

  static PublicSuffixList* list_;
};

PublicSuffixList* RegisteredDomainTest::list_ = nullptr;

TEST_F(RegisteredDomainTest, IcannSection) {
  EXPECT_EQ(Domain("example.com"), "example.com");
  EXPECT_EQ(Domain("www.example.com"), "example.com");
  EXPECT_EQ(Domain("a.b.c.example.com"), "example.com");
  EXPECT_EQ(Domain("www.example.co.uk"), "example.co.uk");
  EXPECT_EQ(Domain("example.co.uk"), "example.co.uk");
  EXPECT_EQ(Domain("co.uk"), std::nullopt);
  EXPECT_EQ(Domain("com"), std::nullopt);
}

TEST_F(RegisteredDomainTest, PrivateSection) {
  EXPECT_EQ(Domain("foo.github.io"), "foo.github.io");
  EXPECT_EQ(Domain("www.foo.github.io"), "foo.github.io");
  EXPECT_EQ(Domain("github.io"), std::nullopt);
}

TEST_F(RegisteredDomainTest, WildcardLabelIsIgnored) {
  EXPECT_EQ(Domain("*.example.com"), "example.com");
  EXPECT_EQ(Domain("*.www.example.co.uk"), "example.co.uk");
  EXPECT_EQ(Domain("*.foo.github.io"), "foo.github.io");
  EXPECT_EQ(Domain("*.co.uk"), std::nullopt);
  EXPECT_EQ(Domain("*.github.io"), std::nullopt);
}

TEST_F(RegisteredDomainTest, Punycode) {
  // "пример.com" (IDN under an ASCII TLD).
  EXPECT_EQ(Domain("xn--80ak6aa92e.com"), "xn--80ak6aa92e.com");
  EXPECT_EQ(Domain("www.xn--80ak6aa92e.com"), "xn--80ak6aa92e.com");
  // ".рф", a punycode TLD.
  EXPECT_EQ(Domain("www.xn--80ak6aa92e.xn--p1ai"), "xn--80ak6aa92e.xn--p1ai");
  EXPECT_EQ(Domain("xn--p1ai"), std::nullopt);
}

// The cache runs psl_registrable_domain()'s walk itself; it must give the
// same answer as libpsl for every name, including the tricky rules of the list.
TEST_F(RegisteredDomainTest, CacheAgreesWithLibpsl) {
  const std::string names[] = {
      "example.com", "www.example.com", "a.b.c.d.example.com", "*.example.com", "com", "co.uk",
      "example.co.uk", "www.example.co.uk", "*.co.uk", "uk", "github.io", "foo.github.io",
      "a.foo.github.io", "*.github.io", "*.foo.github.io",
      // Wildcard rule "*.ck" with the exception "!www.ck".
      "ck", "b.ck", "a.b.ck", "www.ck", "x.www.ck",
      // Wildcard rule "*.kawasaki.jp" with the exception "!city.kawasaki.jp".
      "kawasaki.jp", "x.kawasaki.jp", "y.x.kawasaki.jp", "city.kawasaki.jp", "www.city.kawasaki.jp",
      // Deep private suffixes.
      "s3.amazonaws.com", "bucket.s3.amazonaws.com", "compute-1.amazonaws.com",
      "ec2-1-2-3-4.compute-1.amazonaws.com", "x.ec2-1-2-3-4.compute-1.amazonaws.com",
      "blogspot.com", "foo.blogspot.com", "foo.blogspot.co.uk",
      // Punycode, unknown TLDs, digits, underscores.
      "xn--80ak6aa92e.com", "www.xn--80ak6aa92e.xn--p1ai", "xn--p1ai", "example.xn--p1ai",
      "host.unknowntld", "a.b.unknowntld", "unknowntld", "1.2.3", "999.1.1.1",
      "_acme-challenge.www.example.org", "a_b.c_d", "*.a_b.c_d", "-.-"};
  RegisteredDomainCache cache(list_);
  for (int round = 0; round < 2; ++round) {
    for (const std::string& name : names) {
      const std::optional<std::string> expected = Domain(name);
      const std::optional<base::Hash128> got = cache.RegisteredDomainHash(name);
      ASSERT_EQ(got.has_value(), expected.has_value()) << name;
      if (expected) {
        EXPECT_EQ(*got, base::HashBytes(*expected)) << name << " -> " << *expected;
      }
    }
  }
  // A fresh cache that sees the names in reverse order agrees as well.
  RegisteredDomainCache reversed(list_);
  for (auto it = std::rbegin(names); it != std::rend(names); ++it) {
    const std::optional<std::string> expected = Domain(*it);
    const std::optional<base::Hash128> got = reversed.RegisteredDomainHash(*it);
    ASSERT_EQ(got.has_value(), expected.has_value()) << *it;
    if (expected) {
      EXPECT_EQ(*got, base::HashBytes(*expected)) << *it;
    }
  }
}

TEST_F(RegisteredDomainTest, ParentsAndRegisteredDomainsAreAskedAboutOnce) {
  RegisteredDomainCache cache(list_);
  EXPECT_EQ(cache.psl_calls(), 0u);
  // "www.example.com", then its parents "example.com" and "com".
  EXPECT_EQ(cache.RegisteredDomainHash("www.example.com"), base::HashBytes("example.com"));
  EXPECT_EQ(cache.psl_calls(), 3u);
  // Every suffix of these was asked about: only the new leftmost names cost a call.
  EXPECT_EQ(cache.RegisteredDomainHash("example.com"), base::HashBytes("example.com"));
  EXPECT_EQ(cache.RegisteredDomainHash("*.example.com"), base::HashBytes("example.com"));
  EXPECT_EQ(cache.psl_calls(), 3u);
  EXPECT_EQ(cache.RegisteredDomainHash("mail.example.com"), base::HashBytes("example.com"));
  EXPECT_EQ(cache.psl_calls(), 4u);
  // A registered domain asked about as a name is remembered for the names under it.
  EXPECT_EQ(cache.RegisteredDomainHash("other.org"), base::HashBytes("other.org"));
  const size_t after_other = cache.psl_calls();
  EXPECT_EQ(cache.RegisteredDomainHash("www.other.org"), base::HashBytes("other.org"));
  EXPECT_EQ(cache.psl_calls(), after_other + 1);  // "www.other.org" only
  // Names that are public suffixes have no registered domain.
  EXPECT_EQ(cache.RegisteredDomainHash("co.uk"), std::nullopt);
  EXPECT_EQ(cache.RegisteredDomainHash("*.co.uk"), std::nullopt);
}

TEST_F(RegisteredDomainTest, ManyNamesOfOneDomainCostOneCallEach) {
  RegisteredDomainCache cache(list_);
  for (int i = 0; i < 1000; ++i) {
    const std::string name = "host" + std::to_string(i) + ".example.com";
    EXPECT_EQ(cache.RegisteredDomainHash(name), base::HashBytes("example.com")) << name;
  }
  // The 1000 names, "example.com" and "com".
  EXPECT_EQ(cache.psl_calls(), 1002u);
}

TEST_F(RegisteredDomainTest, CachesAreIndependent) {
  RegisteredDomainCache a(list_);
  RegisteredDomainCache b(list_);
  a.RegisteredDomainHash("example.com");
  EXPECT_GT(a.psl_calls(), 0u);
  EXPECT_EQ(b.psl_calls(), 0u);
  EXPECT_EQ(b.RegisteredDomainHash("example.com"), base::HashBytes("example.com"));
  EXPECT_EQ(b.psl_calls(), a.psl_calls());
}

}  // namespace
}  // namespace ctmr::names
