#include "coordinator/report/report_html.h"

#include <nlohmann/json.hpp>

#include "common/base/civil_date.h"
#include "gtest/gtest.h"
#include "report/report_assets.h"

namespace ctmr::report {
namespace {

TEST(ScriptSafeJsonTest, NoTagCanCloseTheScript) {
  const std::string json = nlohmann::json{{"name", "</script><!-- <b>"}}.dump();
  const std::string safe = ScriptSafeJson(json);
  EXPECT_EQ(safe.find('<'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(safe), nlohmann::json::parse(json));
}

reduce::ReduceStats Stats(const std::string& issuer_name) {
  reduce::ReduceStats s;
  s.issuer_names["x"] = {issuer_name, "Evil </script> Org"};
  s.issued_per_day[*base::ParseDate("2026-11-01")] = 3;
  s.issued_per_day[*base::ParseDate("2026-11-04")] = 1;
  s.issued_per_day_by_issuer[{*base::ParseDate("2026-11-01"), "x"}] = 3;
  s.issued_per_day_by_issuer[{*base::ParseDate("2026-11-04"), "x"}] = 1;
  return s;
}

// The embedded JSON of a page.
nlohmann::json PageData(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const size_t start = html.find(open) + open.size();
  return nlohmann::json::parse(html.substr(start, html.find("</script>", start) - start));
}

TEST(ReportHtmlTest, SelfContainedWithTheSummaryEmbedded) {
  const std::string evil = "CN=</script><script>alert(1)</script>";
  const reduce::ReduceStats stats = Stats(evil);
  ReportPage page;
  page.summary_json =
      nlohmann::json{{"as_of", "2026-11-26"}, {"issuers", {{{"issuer_name", evil}}}}}.dump();
  page.stats = &stats;
  page.daily = {DailyRow{*base::ParseDate("2026-11-25"), 1, 7, std::nullopt, std::nullopt, true},
                DailyRow{*base::ParseDate("2026-11-26"), 0, 8, 5, 4, false}};
  page.organization_files["Evil </script> Org"] = "cert-daily-stats.evil-script-org.tsv";
  const std::string html = ReportHtml(page);

  EXPECT_EQ(html.find("@@"), std::string::npos) << "an unfilled slot";
  EXPECT_NE(html.find(std::string(report_assets::kUplotJs)), std::string::npos);
  EXPECT_NE(html.find(std::string(report_assets::kPageJs)), std::string::npos);
  EXPECT_NE(html.find("uPlot " + std::string(report_assets::kUplotVersion)), std::string::npos);
  EXPECT_NE(html.find("<title>CT certificates active as of 2026-11-26</title>"), std::string::npos);
  // Nothing is loaded from elsewhere.
  for (const char* external : {"<link", " src=", "@import", "url(http", "fetch("}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  // The three scripts and the data block close where they should: the
  // issuer name cannot.
  size_t closes = 0;
  for (size_t at = html.find("</script>"); at != std::string::npos;
       at = html.find("</script>", at + 1)) {
    ++closes;
  }
  EXPECT_EQ(closes, 4u);

  const nlohmann::json data = PageData(html);
  EXPECT_EQ(data["summary"], nlohmann::json::parse(page.summary_json));
  EXPECT_EQ(data["daily"]["dates"], (nlohmann::json{"2026-11-25", "2026-11-26"}));
  EXPECT_EQ(data["daily"]["fqdns_active"], (nlohmann::json{nullptr, 5}));
  EXPECT_EQ(data["daily"]["backfilled"], (nlohmann::json{true, false}));
  // Every day from the first to the last issued day, 0 where none were.
  EXPECT_EQ(data["issued"]["dates"].size(), 4u);
  EXPECT_EQ(data["issued"]["organizations"][0]["organization"], "Evil </script> Org");
  EXPECT_EQ(data["issued"]["organizations"][0]["certs_issued"], (nlohmann::json{3, 0, 0, 1}));
  EXPECT_EQ(data["organization_files"]["Evil </script> Org"],
            "cert-daily-stats.evil-script-org.tsv");
}

}  // namespace
}  // namespace ctmr::report
