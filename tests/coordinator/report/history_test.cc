#include "coordinator/report/history.h"

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::report {
namespace {

using ::ctmr::testing::ReadFile;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

tally::OracleIssuer Issuer(const std::string& id, const std::string& org,
                           const std::vector<std::pair<int32_t, uint64_t>>& issued) {
  tally::OracleIssuer issuer;
  issuer.header.set_issuer_id(id);
  issuer.header.set_issuer_name("CN=" + id + ",O=" + org);
  issuer.header.set_organization(org);
  for (const auto& [day, n] : issued) {
    DayCount* count = issuer.header.add_issued();
    count->set_day(day);
    count->set_certificates(n);
  }
  return issuer;
}

// Two issuers of two organizations in three directories, days 100 to 112:
//   dir 104: A issued 2 on day 100, 1 on day 103;  B issued 4 on day 102
//   dir 107: A issued 3 on day 106
//   dir 110: B issued 5 on day 99 (before the first directory)
BackfillBuilder ThreeDirectories(int32_t as_of, int window_days, int history_days = 1000) {
  BackfillBuilder b(as_of, window_days, history_days);
  b.AddDirectory(107, {Issuer("A", "Org A", {{106, 3}})});
  b.AddDirectory(104,
                 {Issuer("A", "Org A", {{100, 2}, {103, 1}}), Issuer("B", "Org B", {{102, 4}})});
  b.AddDirectory(110, {Issuer("B", "Org B", {{99, 5}})});
  return b;
}

TEST(BackfillTest, CountsEachCertificateFromIssuedDayToItsDirectory) {
  const Backfill b = ThreeDirectories(109, 0).Finish({});
  ASSERT_TRUE(b.first_directory.has_value());
  EXPECT_EQ(*b.first_directory, 104);
  EXPECT_EQ(b.first_day, 104);
  EXPECT_EQ(b.end_day, 109);
  // By hand, days 104..108:
  //   A: dir 104 {2 from 100, 1 from 103} active through 104; dir 107 {3 from 106} through 107
  //   B: dir 104 {4 from 102} through 104; dir 110 {5 from 99} through 110
  EXPECT_EQ(b.organizations.at("Org A"), (std::vector<uint64_t>{3, 0, 3, 3, 0}));
  EXPECT_EQ(b.organizations.at("Org B"), (std::vector<uint64_t>{9, 5, 5, 5, 5}));
  EXPECT_EQ(b.total, (std::vector<uint64_t>{12, 5, 8, 8, 5}));
  EXPECT_EQ(b.Total(103), std::nullopt);
  EXPECT_EQ(b.Total(104), 12u);
  EXPECT_EQ(b.Total(109), std::nullopt);  // the as-of day is the run's own
  EXPECT_EQ(b.Organization("Org C", 105), 0u);
  EXPECT_EQ(b.Organization("Org C", 99), std::nullopt);
}

TEST(BackfillTest, WindowCountsOnlyDirectoriesWithinNDays) {
  // Window 3: on day X only directories in [X, X + 3) count.
  const Backfill b = ThreeDirectories(109, 3).Finish({});
  // day 104: dirs 104 (A 3, B 4); 105: dir 107 (A 0: issued 106); 106: 107 (A 3);
  // 107: 107 (A 3); 108: 110 (B 5)
  EXPECT_EQ(b.total, (std::vector<uint64_t>{7, 0, 3, 3, 5}));
}

TEST(BackfillTest, TheReducesNamesDecideTheOrganization) {
  const Backfill b = ThreeDirectories(106, 0).Finish({{"A", "Merged"}, {"B", "Merged"}});
  EXPECT_EQ(b.organizations.size(), 1u);
  EXPECT_EQ(b.organizations.at("Merged"), b.total);
}

TEST(BackfillTest, NothingBeforeTheFirstDirectoryOrAfterAsOf) {
  EXPECT_TRUE(ThreeDirectories(104, 0).Finish({}).total.empty());
  EXPECT_TRUE(ThreeDirectories(90, 0).Finish({}).total.empty());
  EXPECT_TRUE(BackfillBuilder(100, 0, 1000).Finish({}).total.empty());
}

TEST(HistoryTest, RoundTripsThroughHistoryJson) {
  TempDir tmp;
  History h;
  h.runs[20000] = RunRecord{20000, 0, reduce::ActiveCounts{9, 5, 4, 1}, {{"Org A", {9, 5, 4, 1}}}};
  h.runs[20001] = RunRecord{20001, 90, reduce::ActiveCounts{10, 6, 4, 2}, {}};
  h.last_run = LastRun{20001, 90, 3, {"2026-12-02"}};
  ASSERT_TRUE(SaveHistory(tmp.path(), h).ok());
  absl::StatusOr<History> back = LoadHistory(tmp.path());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(HistoryJson(*back), HistoryJson(h));
  EXPECT_EQ(ReadFile(tmp.path() + "/history.json"), HistoryJson(h));
  EXPECT_EQ(back->runs.at(20000).organizations.at("Org A").fqdns, 5u);
  EXPECT_EQ(back->last_run->failed_directories, std::vector<std::string>{"2026-12-02"});
}

TEST(HistoryTest, MissingIsEmptyAndGarbageIsDataLoss) {
  TempDir tmp;
  absl::StatusOr<History> none = LoadHistory(tmp.path());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->runs.empty());
  EXPECT_FALSE(none->last_run.has_value());
  WriteFile(tmp.path() + "/history.json", "{\"format\": 1, \"runs\": [{\"as_of\": \"nope\"}]}");
  EXPECT_EQ(LoadHistory(tmp.path()).status().code(), absl::StatusCode::kDataLoss);
}

// A garbage directory dated 0000-01-01 once made a back-fill (and a TSV) of
// 740,000 days. The back-fill keeps at most history_days days, and those are
// exact: what happened before them still adds up.
TEST(BackfillTest, AnAncientDirectoryIsBoundedByHistoryDays) {
  BackfillBuilder b(109, 0, 3);
  b.AddDirectory(-719'528, {Issuer("A", "Org A", {{-719'530, 7}})});  // 0000-01-01
  b.AddDirectory(110, {Issuer("B", "Org B", {{99, 5}})});
  const Backfill got = b.Finish({});
  EXPECT_EQ(got.first_day, 106);
  EXPECT_EQ(got.end_day, 109);
  ASSERT_EQ(got.total.size(), 3u);
  // B's 5 are active from day 99 through 110; A's 7 ended long ago.
  for (int32_t day = 106; day < 109; ++day) EXPECT_EQ(got.Total(day), 5u) << day;
  EXPECT_EQ(got.Total(105), std::nullopt);
}

}  // namespace
}  // namespace ctmr::report
