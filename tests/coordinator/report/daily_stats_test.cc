#include "coordinator/report/daily_stats.h"

#include "common/base/civil_date.h"
#include "gtest/gtest.h"

namespace ctmr::report {
namespace {

TEST(OrganizationSlugTest, LowercaseWordsJoinedByHyphens) {
  EXPECT_EQ(OrganizationSlug("Let's Encrypt"), "lets-encrypt");
  EXPECT_EQ(OrganizationSlug("Let\xE2\x80\x99s Encrypt"), "lets-encrypt");
  EXPECT_EQ(OrganizationSlug("DigiCert Inc"), "digicert-inc");
  EXPECT_EQ(OrganizationSlug("  Google Trust Services LLC. "), "google-trust-services-llc");
  EXPECT_EQ(OrganizationSlug("CN=Example CA 1,L=Berlin,C=DE"), "cn-example-ca-1-l-berlin-c-de");
  EXPECT_EQ(OrganizationSlug("T\xC3\xBCrkTrust"), "t-rktrust");
  EXPECT_EQ(OrganizationSlug("../../etc/passwd"), "etc-passwd");
  EXPECT_EQ(OrganizationSlug("\xE4\xB8\xAD\xE6\x96\x87"), "");
  EXPECT_EQ(OrganizationSlug(std::string(200, 'a')).size(), 60u);
}

TEST(OrganizationSlugTest, CollidingSlugsGetStableHashSuffixes) {
  const auto slugs = OrganizationFileSlugs(
      {"DigiCert Inc", "DigiCert, Inc.", "Let's Encrypt", "\xE4\xB8\xAD\xE6\x96\x87"});
  EXPECT_EQ(slugs.at("Let's Encrypt"), "lets-encrypt");
  const std::string a = slugs.at("DigiCert Inc"), b = slugs.at("DigiCert, Inc.");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("digicert-inc-", 0), 0u) << a;
  EXPECT_EQ(b.rfind("digicert-inc-", 0), 0u) << b;
  EXPECT_EQ(slugs.at("\xE4\xB8\xAD\xE6\x96\x87").size(), 8u);
  // A third name does not move the others.
  const auto more = OrganizationFileSlugs({"DigiCert Inc", "DigiCert, Inc.", "DigiCert INC"});
  EXPECT_EQ(more.at("DigiCert Inc"), a);
  EXPECT_EQ(DailyStatsFileName(std::nullopt), "cert-daily-stats.tsv");
  EXPECT_EQ(DailyStatsFileName(std::string("lets-encrypt")), "cert-daily-stats.lets-encrypt.tsv");
}

int32_t Day(const char* date) { return *base::ParseDate(date); }

reduce::ReduceStats TwoOrganizations() {
  reduce::ReduceStats s;
  s.issuer_names["r11"] = {"CN=R11,O=Let's Encrypt,C=US", "Let's Encrypt"};
  s.issuer_names["we1"] = {"CN=WE1,O=Google Trust Services,C=US", "Google Trust Services"};
  s.issued_per_day_by_issuer[{Day("2026-10-30"), "r11"}] = 2;  // before the first directory
  s.issued_per_day_by_issuer[{Day("2026-11-02"), "r11"}] = 5;
  s.issued_per_day_by_issuer[{Day("2026-11-02"), "we1"}] = 1;
  s.issued_per_day[Day("2026-10-30")] = 2;
  s.issued_per_day[Day("2026-11-02")] = 6;
  return s;
}

Backfill ThreeDays() {
  Backfill b;
  b.first_directory = Day("2026-11-01");
  b.first_day = Day("2026-11-01");
  b.end_day = Day("2026-11-04");
  b.total = {10, 11, 12};
  b.organizations["Let's Encrypt"] = {8, 9, 10};
  b.organizations["Google Trust Services"] = {2, 2, 2};
  return b;
}

TEST(DailyRowsTest, RunsWinOverTheBackfillAndUnknownsAreNull) {
  History h;
  h.runs[Day("2026-11-03")] = RunRecord{Day("2026-11-03"),
                                        0,
                                        reduce::ActiveCounts{13, 7, 5, 1},
                                        {{"Let's Encrypt", reduce::ActiveCounts{11, 6, 4, 1}}}};
  h.runs[Day("2026-11-04")] = RunRecord{Day("2026-11-04"),
                                        0,
                                        reduce::ActiveCounts{14, 8, 6, 1},
                                        {{"Let's Encrypt", reduce::ActiveCounts{12, 7, 5, 1}}}};
  const reduce::ReduceStats s = TwoOrganizations();
  EXPECT_EQ(DailyStatsTsv(DailyRows(s, ThreeDays(), h, std::nullopt)),
            "date\tcerts_issued\tcerts_active\tfqdns_active\treg_domains_active\n"
            "2026-10-30\t2\tNULL\tNULL\tNULL\n"
            "2026-11-01\t0\t10\tNULL\tNULL\n"
            "2026-11-02\t6\t11\tNULL\tNULL\n"
            "2026-11-03\t0\t13\t7\t5\n"
            "2026-11-04\t0\t14\t8\t6\n");
  EXPECT_EQ(DailyStatsTsv(DailyRows(s, ThreeDays(), h, std::string("Let's Encrypt"))),
            "date\tcerts_issued\tcerts_active\tfqdns_active\treg_domains_active\n"
            "2026-10-30\t2\tNULL\tNULL\tNULL\n"
            "2026-11-01\t0\t8\tNULL\tNULL\n"
            "2026-11-02\t5\t9\tNULL\tNULL\n"
            "2026-11-03\t0\t11\t6\t4\n"
            "2026-11-04\t0\t12\t7\t5\n");
  // Absent from a run's organizations: nothing of it was active then.
  EXPECT_EQ(DailyStatsTsv(DailyRows(s, ThreeDays(), h, std::string("Google Trust Services"))),
            "date\tcerts_issued\tcerts_active\tfqdns_active\treg_domains_active\n"
            "2026-11-01\t0\t2\tNULL\tNULL\n"
            "2026-11-02\t1\t2\tNULL\tNULL\n"
            "2026-11-03\t0\t0\t0\t0\n"
            "2026-11-04\t0\t0\t0\t0\n");
  const std::vector<DailyRow> rows = DailyRows(s, ThreeDays(), h, std::nullopt);
  EXPECT_TRUE(rows[1].backfilled);
  EXPECT_FALSE(rows[3].backfilled);
}

TEST(DailyRowsTest, OrganizationsComeFromIssuersAndHistory) {
  History h;
  h.runs[1] = RunRecord{1, 0, {}, {{"Gone CA", reduce::ActiveCounts{1, 1, 1, 0}}}};
  EXPECT_EQ(ReportOrganizations(TwoOrganizations(), h),
            (std::set<std::string>{"Gone CA", "Google Trust Services", "Let's Encrypt"}));
}

}  // namespace
}  // namespace ctmr::report
