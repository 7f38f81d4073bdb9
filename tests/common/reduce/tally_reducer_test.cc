#include "common/reduce/tally_reducer.h"

#include "common/tally/hash_set.h"
#include "gtest/gtest.h"

namespace ctmr::reduce {
namespace {

tally::HashSet SetOf(std::initializer_list<const char*> names) {
  tally::HashSet s;
  for (const char* n : names) s.push_back(base::HashBytes(n));
  tally::SortUnique(&s);
  return s;
}

IssuerTally MakeIssuer(const std::string& id, const std::string& org, int certs,
                       std::initializer_list<const char*> fqdns,
                       std::initializer_list<const char*> regdomains,
                       std::initializer_list<const char*> wildcards, int day) {
  IssuerTally t;
  t.set_issuer_id(id);
  t.set_issuer_name("CN=" + id + (org.empty() ? "" : ",O=" + org));
  t.set_organization(org);
  t.set_name_from_precertificate(false);
  tally::HashSet serials;
  for (int i = 0; i < certs; ++i) serials.push_back(base::HashBytes(id + std::to_string(i)));
  tally::SortUnique(&serials);
  t.set_serials(tally::EncodeHashSet(serials));
  t.set_fqdns(tally::EncodeHashSet(SetOf(fqdns)));
  t.set_regdomains(tally::EncodeHashSet(SetOf(regdomains)));
  t.set_wildcards(tally::EncodeHashSet(SetOf(wildcards)));
  DayCount* d = t.add_issued();
  d->set_day(day);
  d->set_certificates(certs);
  return t;
}

TEST(TallyReducerTest, DistinctCountsAreUnionsAndCertsAreSums) {
  DirectoryTally d1, d2, expired;
  *d1.add_issuers() = MakeIssuer("R10", "Let's Encrypt", 3, {"a.com", "*.a.com", "b.com"},
                                 {"a.com", "b.com"}, {"*.a.com"}, 100);
  *d1.add_issuers() =
      MakeIssuer("R11", "Let's Encrypt", 2, {"a.com", "c.com"}, {"a.com", "c.com"}, {}, 101);
  *d2.add_issuers() =
      MakeIssuer("R10", "Let's Encrypt", 1, {"a.com", "d.com"}, {"a.com", "d.com"}, {}, 100);
  *d2.add_issuers() = MakeIssuer("WE1", "Google Trust Services", 4, {"a.com", "e.com"},
                                 {"a.com", "e.com"}, {}, 102);
  *expired.add_issuers() =
      MakeIssuer("R10", "Let's Encrypt", 7, {"z.com"}, {"z.com"}, {"*.z.com"}, 50);
  d1.mutable_errors()->set_unparseable_blocks(2);
  expired.mutable_errors()->set_unparseable_blocks(1);

  TallyReducer reducer;
  ASSERT_TRUE(reducer.Add(d1, true).ok());
  ASSERT_TRUE(reducer.Add(d2, true).ok());
  ASSERT_TRUE(reducer.Add(expired, false).ok());
  const ReduceStats s = reducer.Finish();

  EXPECT_EQ(s.totals.certs, 10u);
  EXPECT_EQ(s.totals.fqdns, 6u);  // a, *.a, b, c, d, e
  EXPECT_EQ(s.totals.regdomains, 5u);
  EXPECT_EQ(s.totals.wildcards, 1u);
  EXPECT_EQ(s.active_directories, 2u);
  EXPECT_EQ(s.unparseable_blocks, 3u);

  ASSERT_EQ(s.issuers.size(), 3u);
  EXPECT_EQ(s.issuers[0].issuer_id, "R10");  // 4 certs, then WE1 with 4: id order
  EXPECT_EQ(s.issuers[0].active.certs, 4u);
  EXPECT_EQ(s.issuers[0].active.fqdns, 4u);  // a, *.a, b, d
  EXPECT_EQ(s.issuers[1].issuer_id, "WE1");
  EXPECT_EQ(s.issuers[2].issuer_id, "R11");

  ASSERT_EQ(s.organizations.size(), 2u);
  EXPECT_EQ(s.organizations[0].organization, "Let's Encrypt");
  EXPECT_EQ(s.organizations[0].active.certs, 6u);
  EXPECT_EQ(s.organizations[0].active.fqdns, 5u);  // a, *.a, b, c, d
  EXPECT_EQ(s.organizations[0].active.regdomains, 4u);
  EXPECT_EQ(s.organizations[1].active.certs, 4u);

  // Issued per day counts expired directories too.
  EXPECT_EQ(s.issued_per_day.at(50), 7u);
  EXPECT_EQ(s.issued_per_day.at(100), 4u);
  EXPECT_EQ((s.issued_per_day_by_issuer.at({100, "R10"})), 4u);
  EXPECT_EQ((s.issued_per_day_by_issuer.at({101, "R11"})), 2u);
}

TEST(TallyReducerTest, IssuerWithoutOrganizationIsItsOwnOrganization) {
  DirectoryTally d;
  *d.add_issuers() = MakeIssuer("X", "", 1, {"a.com"}, {"a.com"}, {}, 1);
  TallyReducer reducer;
  ASSERT_TRUE(reducer.Add(d, true).ok());
  const ReduceStats s = reducer.Finish();
  ASSERT_EQ(s.organizations.size(), 1u);
  EXPECT_EQ(s.organizations[0].organization, "CN=X");
}

TEST(TallyReducerTest, FinalCertificateNameBeatsPrecertificateName) {
  DirectoryTally a, b;
  IssuerTally pre = MakeIssuer("R10", "Let's Encrypt", 1, {}, {}, {}, 1);
  pre.set_issuer_name("CN=R10 PreCert Signing,O=Let's Encrypt");
  pre.set_name_from_precertificate(true);
  *a.add_issuers() = pre;
  *b.add_issuers() = MakeIssuer("R10", "Let's Encrypt", 1, {}, {}, {}, 1);
  for (bool a_first : {true, false}) {
    TallyReducer reducer;
    ASSERT_TRUE(reducer.Add(a_first ? a : b, true).ok());
    ASSERT_TRUE(reducer.Add(a_first ? b : a, true).ok());
    const ReduceStats s = reducer.Finish();
    ASSERT_EQ(s.issuers.size(), 1u);
    EXPECT_EQ(s.issuers[0].issuer_name, "CN=R10,O=Let's Encrypt");
  }
}

TEST(TallyReducerTest, CorruptSetIsDataLoss) {
  DirectoryTally d;
  IssuerTally t = MakeIssuer("R10", "Let's Encrypt", 1, {"a.com"}, {}, {}, 1);
  t.set_fqdns("short");
  *d.add_issuers() = t;
  TallyReducer reducer;
  EXPECT_EQ(reducer.Add(d, true).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ctmr::reduce

namespace ctmr::reduce {
namespace {

// Without the name sets, the reducer gives every count the whole-set reduce
// does except the distinct names (the sharded reduce's first step).
TEST(TallyReducerTest, WithoutNamesCountsAllButTheNames) {
  std::vector<std::pair<DirectoryTally, bool>> dirs;
  for (int d = 0; d < 7; ++d) {
    DirectoryTally t;
    *t.add_issuers() = MakeIssuer("R10", "Let's Encrypt", d + 1, {"a.com", "b.com", "*.c.com"},
                                  {"a.com", "b.com", "c.com"}, {"*.c.com"}, 100 + d);
    *t.add_issuers() =
        MakeIssuer(d % 2 ? "WE1" : "E5", d % 2 ? "Google Trust Services" : "Let's Encrypt", 2,
                   {d % 3 ? "x.org" : "y.org"}, {"x.org"}, {}, 90 + d);
    t.mutable_errors()->set_unparseable_blocks(d);
    t.mutable_errors()->set_skipped_files(1);
    dirs.emplace_back(t, d >= 2);
  }
  TallyReducer whole, without;
  for (const auto& [t, active] : dirs) {
    ASSERT_TRUE(whole.Add(t, active).ok());
    DirectoryTally header = t;
    std::vector<uint64_t> certificates;
    for (IssuerTally& i : *header.mutable_issuers()) {
      certificates.push_back(i.serials().size() / 16);
      i.clear_serials();
      i.clear_fqdns();
      i.clear_regdomains();
      i.clear_wildcards();
    }
    without.AddWithoutNames(header, certificates, active);
  }
  const ReduceStats want = whole.Finish();
  const ReduceStats got = without.Finish();
  EXPECT_EQ(got.totals.certs, want.totals.certs);
  EXPECT_EQ(got.totals.fqdns, 0u);
  EXPECT_EQ(got.active_directories, want.active_directories);
  EXPECT_EQ(got.unparseable_blocks, want.unparseable_blocks);
  EXPECT_EQ(got.skipped_files, want.skipped_files);
  EXPECT_EQ(got.issued_per_day, want.issued_per_day);
  EXPECT_EQ(got.issued_per_day_by_issuer, want.issued_per_day_by_issuer);
  EXPECT_EQ(got.issuer_names, want.issuer_names);
  ASSERT_EQ(got.issuers.size(), want.issuers.size());
  for (size_t i = 0; i < got.issuers.size(); ++i) {
    EXPECT_EQ(got.issuers[i].issuer_id, want.issuers[i].issuer_id);
    EXPECT_EQ(got.issuers[i].organization, want.issuers[i].organization);
    EXPECT_EQ(got.issuers[i].active.certs, want.issuers[i].active.certs);
    EXPECT_EQ(got.issuers[i].active.fqdns, 0u);
  }
  ASSERT_EQ(got.organizations.size(), want.organizations.size());
  for (size_t i = 0; i < got.organizations.size(); ++i) {
    EXPECT_EQ(got.organizations[i].organization, want.organizations[i].organization);
    EXPECT_EQ(got.organizations[i].active.certs, want.organizations[i].active.certs);
  }
}

TEST(TallyReducerTest, ActiveIsAsOfAndLaterWithinTheWindow) {
  EXPECT_FALSE(IsActive(99, 100, 0));
  EXPECT_TRUE(IsActive(100, 100, 0));
  EXPECT_TRUE(IsActive(5000, 100, 0));
  EXPECT_TRUE(IsActive(189, 100, 90));
  EXPECT_FALSE(IsActive(190, 100, 90));
}

// as_of + window_days once wrapped around to a negative day: a huge window
// counted nothing.
TEST(TallyReducerTest, AHugeWindowDoesNotWrapAround) {
  const int32_t today = 20'600;
  EXPECT_TRUE(IsActive(today, today, 2'147'483'647));
  EXPECT_TRUE(IsActive(today + 400, today, 2'147'483'647));
  EXPECT_TRUE(IsActive(today, today, kMaxWindowDays));
}

}  // namespace
}  // namespace ctmr::reduce
