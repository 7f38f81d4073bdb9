#include "coordinator/report/reports.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_split.h"
#include "common/base/civil_date.h"
#include "coordinator/report/report_html.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::report {
namespace {

using ::ctmr::testing::ReadFile;
using ::ctmr::testing::TempDir;

Report MakeReport(const std::string& as_of, uint64_t certs) {
  Report r;
  r.as_of = *base::ParseDate(as_of);
  r.mapped_directories = 2;
  r.failed_directories = {"2026-12-02"};
  r.stats.totals = reduce::ActiveCounts{certs, 5, 4, 1};
  r.stats.active_directories = 3;
  r.stats.issuers.push_back(reduce::IssuerStats{
      "abc", "CN=R11,O=Let's Encrypt,C=US", "Let's Encrypt", reduce::ActiveCounts{certs, 5, 4, 1}});
  r.stats.organizations.push_back(
      reduce::OrganizationStats{"Let's Encrypt", reduce::ActiveCounts{certs, 5, 4, 1}});
  r.stats.issued_per_day[*base::ParseDate("2026-11-01")] = 7;
  r.stats.issued_per_day[*base::ParseDate(as_of)] = 2;
  r.stats.issued_per_day_by_issuer[{*base::ParseDate("2026-11-01"), "abc"}] = 7;
  r.stats.issued_per_day_by_issuer[{*base::ParseDate(as_of), "abc"}] = 2;
  r.stats.issuer_names["abc"] = {"CN=R11,O=Let's Encrypt,C=US", "Let's Encrypt"};
  r.stats.unparseable_blocks = 3;
  return r;
}

TEST(ReportsTest, SummaryJsonHasTheDesignShape) {
  const nlohmann::json j = nlohmann::json::parse(SummaryJson(MakeReport("2026-11-26", 9)));
  EXPECT_EQ(j["as_of"], "2026-11-26");
  EXPECT_EQ(j["directories"]["active"], 3);
  EXPECT_EQ(j["directories"]["mapped"], 2);
  EXPECT_EQ(j["directories"]["failed"][0], "2026-12-02");
  EXPECT_EQ(j["totals"]["certs_active"], 9);
  EXPECT_EQ(j["totals"]["fqdns_active"], 5);
  EXPECT_EQ(j["totals"]["regdomains_active"], 4);
  EXPECT_EQ(j["totals"]["wildcards_active"], 1);
  EXPECT_EQ(j["issuers"][0]["issuer_name"], "CN=R11,O=Let's Encrypt,C=US");
  EXPECT_EQ(j["organizations"][0]["organization"], "Let's Encrypt");
  EXPECT_EQ(j["issued_per_day"][0]["date"], "2026-11-01");
  EXPECT_EQ(j["issued_per_day"][0]["certs_issued"], 7);
  EXPECT_EQ(j["errors"]["unparseable_blocks"], 3);
}

TEST(ReportsTest, DailyStatsKeepOneRowPerDayAcrossRuns) {
  TempDir tmp;
  ASSERT_TRUE(WriteReports(tmp.path(), MakeReport("2026-11-25", 9)).ok());
  ASSERT_TRUE(WriteReports(tmp.path(), MakeReport("2026-11-26", 10)).ok());
  ASSERT_TRUE(WriteReports(tmp.path(), MakeReport("2026-11-26", 11)).ok());  // rerun: update
  const std::string tsv = ReadFile(tmp.path() + "/cert-daily-stats.tsv");
  // certs_issued comes from the latest tallies, which have none on 11-25.
  EXPECT_EQ(tsv,
            "date\tcerts_issued\tcerts_active\tfqdns_active\treg_domains_active\n"
            "2026-11-01\t7\tNULL\tNULL\tNULL\n"
            "2026-11-25\t0\t9\t5\t4\n"
            "2026-11-26\t2\t11\t5\t4\n");
  // One organization: its file says the same.
  EXPECT_EQ(ReadFile(tmp.path() + "/cert-daily-stats.lets-encrypt.tsv"), tsv);
  const nlohmann::json history = nlohmann::json::parse(ReadFile(tmp.path() + "/history.json"));
  EXPECT_EQ(history["runs"].size(), 2u);
  EXPECT_EQ(history["last_run"]["as_of"], "2026-11-26");
  EXPECT_EQ(history["last_run"]["mapped_directories"], 2);
}

TEST(ReportsTest, WritesAPageWithTheSummaryInIt) {
  TempDir tmp;
  const Report report = MakeReport("2026-11-26", 9);
  ASSERT_TRUE(WriteReports(tmp.path(), report).ok());
  const std::string html = ReadFile(tmp.path() + "/report.html");
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(html.find("cert-daily-stats.lets-encrypt.tsv"), std::string::npos);
  // As embedded: every '<' escaped (the lifetime class "<=7d" has one).
  EXPECT_NE(html.find(ScriptSafeJson("\"summary\":" +
                                     nlohmann::ordered_json::parse(SummaryJson(report)).dump())),
            std::string::npos);
}

TEST(ReportsTest, ActiveByIssuerReplacesOnlyItsOwnBlock) {
  TempDir tmp;
  ASSERT_TRUE(WriteReports(tmp.path(), MakeReport("2026-11-25", 9)).ok());
  ASSERT_TRUE(WriteReports(tmp.path(), MakeReport("2026-11-26", 10)).ok());
  ASSERT_TRUE(WriteReports(tmp.path(), MakeReport("2026-11-26", 12)).ok());
  EXPECT_EQ(ReadFile(tmp.path() + "/active-by-issuer.csv"),
            "as_of,issuer_id,issuer_name,organization,certs_active,fqdns_active,regdomains_active,"
            "wildcards_active\n"
            "2026-11-25,abc,\"CN=R11,O=Let's Encrypt,C=US\",Let's Encrypt,9,5,4,1\n"
            "2026-11-26,abc,\"CN=R11,O=Let's Encrypt,C=US\",Let's Encrypt,12,5,4,1\n");
}

TEST(ReportsTest, IssuedPerDayIsQuotedCsv) {
  TempDir tmp;
  ASSERT_TRUE(WriteReports(tmp.path(), MakeReport("2026-11-26", 9)).ok());
  EXPECT_EQ(ReadFile(tmp.path() + "/issued-per-day.csv"),
            "date,issuer_id,issuer_name,organization,certs_issued\n"
            "2026-11-01,abc,\"CN=R11,O=Let's Encrypt,C=US\",Let's Encrypt,7\n"
            "2026-11-26,abc,\"CN=R11,O=Let's Encrypt,C=US\",Let's Encrypt,2\n");
}

TEST(ReportsTest, CsvFieldQuotesPerRfc4180) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
}

}  // namespace
}  // namespace ctmr::report
