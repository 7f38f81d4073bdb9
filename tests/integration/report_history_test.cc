// The reports' history with the real binaries (DESIGN.md §5): three runs
// update their own rows of cert-daily-stats.tsv and never double them; the
// back-filled certs_active equals ct-gen's answers, in total and per
// organization; each organization has its own TSV; and `ct-coordinator
// report` rebuilds exactly what a run wrote, mapping nothing. The TSVs are
// read the way the Let's Encrypt stats page reads them.
#include <sys/stat.h>

#include <array>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::AppendFile;
using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::CommandResult;
using ::ctmr::testing::CopyTree;
using ::ctmr::testing::ListDir;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;
using Json = nlohmann::json;

constexpr char kAsOf[] = "2026-11-26";
constexpr char kEarlierAsOf[] = "2026-11-20";
constexpr char kFirstDate[] = "2026-09-01";

// ct-gen's organizations and the files DESIGN.md §5 names for them.
const std::map<std::string, std::string>& OrganizationFiles() {
  static const auto* files = new std::map<std::string, std::string>{
      {"Let's Encrypt", "cert-daily-stats.lets-encrypt.tsv"},
      {"Google Trust Services", "cert-daily-stats.google-trust-services.tsv"},
      {"Sectigo Limited", "cert-daily-stats.sectigo-limited.tsv"},
      {"DigiCert Inc", "cert-daily-stats.digicert-inc.tsv"},
      {"CN=Example Internal Issuing CA 1,L=Berlin,C=DE",
       "cert-daily-stats.cn-example-internal-issuing-ca-1-l-berlin-c-de.tsv"},
  };
  return *files;
}

// One row as the stats page sees it: columns 2-5 by position, nullopt where
// the page would leave a gap.
struct StatsRow {
  std::string date;
  std::array<std::optional<uint64_t>, 4> values;  // issued, active, fqdns, regdomains
};

// The Let's Encrypt stats page's stats.js: each line trimmed and split on
// tabs; a row counts when its first field holds a YYYY-MM-DD date
// (/\d{4}-\d{2}-\d{2}/.test), a value when it holds a number (/\d+/.test).
std::vector<StatsRow> ParseLikeStatsJs(const std::string& text) {
  static const std::regex kDate(R"(\d{4}-\d{2}-\d{2})");
  static const std::regex kNumber(R"(\d+)");
  std::vector<StatsRow> rows;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<std::string> row = absl::StrSplit(absl::StripAsciiWhitespace(line), '\t');
    if (!std::regex_search(row[0], kDate)) continue;
    StatsRow r{row[0], {}};
    for (size_t i = 1; i < 5 && i < row.size(); ++i) {
      if (std::regex_search(row[i], kNumber)) r.values[i - 1] = std::stoull(row[i]);
    }
    rows.push_back(r);
  }
  return rows;
}

// Stricter than the page: the header, five fields a row, numbers or NULL,
// and one row per date in ascending order.
std::map<std::string, StatsRow> ReadStats(const std::string& path) {
  const std::string text = ReadFile(path);
  static const std::regex kRow(R"(\d{4}-\d{2}-\d{2}(\t(\d+|NULL)){4})");
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  EXPECT_EQ(lines.front(), "date\tcerts_issued\tcerts_active\tfqdns_active\treg_domains_active")
      << path;
  EXPECT_EQ(lines.back(), "") << path << " must end with a newline";
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    EXPECT_TRUE(std::regex_match(lines[i], kRow)) << path << ": " << lines[i];
  }
  std::map<std::string, StatsRow> rows;
  std::string last;
  for (const StatsRow& r : ParseLikeStatsJs(text)) {
    EXPECT_LT(last, r.date) << path << ": rows out of order or doubled";
    last = r.date;
    rows[r.date] = r;
  }
  EXPECT_EQ(rows.size() + 2, lines.size()) << path;
  return rows;
}

class ReportHistoryTest : public ::testing::Test {
 protected:
  void Generate(int window_days = 0) {
    auto r = RunCommand({BinaryPath("ct-gen"), "--out", root_, "--certs", "1500", "--seed", "11",
                         "--first-date", kFirstDate, "--days", "150", "--as-of", kAsOf,
                         "--window-days", std::to_string(window_days), "--edge-cases"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  Json Reduce(const std::string& as_of, int window_days = 0) {
    auto r = RunCommand({BinaryPath("ct-coordinator"), "reduce", "--data-dir", root_, "--as-of",
                         as_of, "--window-days", std::to_string(window_days), "--threads", "2"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return Json::parse(ReadFile(reports_ + "/summary.json"));
  }

  Json Run(const std::string& as_of) {
    auto r = RunCommand({BinaryPath("ct-coordinator"), "run", "--data-dir", root_, "--as-of", as_of,
                         "--local-workers", "2", "--once", "--heartbeat-ms", "100"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return Json::parse(ReadFile(reports_ + "/summary.json"));
  }

  Json Answers() { return Json::parse(ReadFile(root_ + "/known-answers.json")); }

  TempDir tmp_;
  std::string root_ = tmp_.path() + "/root";
  std::string reports_ = root_ + "/reports";
};

void ExpectRunRow(const std::map<std::string, StatsRow>& rows, const Json& counts,
                  const std::string& as_of, const std::string& what) {
  ASSERT_EQ(rows.count(as_of), 1u) << what << " has no row " << as_of;
  const StatsRow& r = rows.at(as_of);
  EXPECT_EQ(r.values[1], counts["certs_active"].get<uint64_t>()) << what << " " << as_of;
  EXPECT_EQ(r.values[2], counts["fqdns_active"].get<uint64_t>()) << what << " " << as_of;
  EXPECT_EQ(r.values[3], counts["regdomains_active"].get<uint64_t>()) << what << " " << as_of;
}

const Json& Organization(const Json& summary, const std::string& name) {
  for (const Json& o : summary["organizations"]) {
    if (o["organization"] == name) return o;
  }
  static const Json kNone = {{"certs_active", 0}, {"fqdns_active", 0}, {"regdomains_active", 0}};
  return kNone;
}

TEST_F(ReportHistoryTest, ThreeRunsUpdateTheirRowsAndNeverDoubleThem) {
  Generate();
  const Json first = Reduce(kEarlierAsOf);
  const Json second = Run(kAsOf);  // the distributed runner writes the same history
  // The data changes before the third run of the same day: a directory goes.
  std::filesystem::remove_all(root_ + "/2026-12-15");
  const Json third = Reduce(kAsOf);
  ASSERT_LT(third["totals"]["certs_active"], second["totals"]["certs_active"]);

  const auto rows = ReadStats(reports_ + "/cert-daily-stats.tsv");
  ExpectRunRow(rows, first["totals"], kEarlierAsOf, "all");
  ExpectRunRow(rows, third["totals"], kAsOf, "all");  // updated, not added
  // One row per day from the first date directory to as-of, back-filled
  // (no FQDNs) but for the runs' two rows, the only ones with FQDNs. Later
  // rows count only issuance.
  int with_fqdns = 0, backfilled = 0;
  for (const auto& [date, r] : rows) {
    if (r.values[2].has_value()) {
      ++with_fqdns;
    } else if (date >= kFirstDate && date < kAsOf) {
      ++backfilled;
      EXPECT_TRUE(r.values[1].has_value()) << date;
    } else {
      EXPECT_FALSE(r.values[1].has_value()) << date;
    }
  }
  EXPECT_EQ(with_fqdns, 2);
  EXPECT_EQ(backfilled, 86 - 1);  // 2026-09-01 .. 2026-11-25, less the earlier run's day

  for (const auto& [org, file] : OrganizationFiles()) {
    const auto org_rows = ReadStats(reports_ + "/" + file);
    ExpectRunRow(org_rows, Organization(first, org), kEarlierAsOf, org);
    ExpectRunRow(org_rows, Organization(third, org), kAsOf, org);
  }
  const Json history = Json::parse(ReadFile(reports_ + "/history.json"));
  EXPECT_EQ(history["runs"].size(), 2u);
}

// certs_active of every past day against ct-gen's own count, for all issuers
// and for each organization's file; certs_issued of each organization against
// its issuers' answers.
void ExpectBackfillMatchesAnswers(const std::string& reports, const Json& answers) {
  const auto all = ReadStats(reports + "/cert-daily-stats.tsv");
  const Json& history = answers["certs_active_history"];
  ASSERT_GT(history.size(), 60u);
  EXPECT_EQ(history[0]["date"], kFirstDate);
  for (const Json& day : history) {
    const std::string date = day["date"];
    ASSERT_EQ(all.count(date), 1u) << date;
    EXPECT_EQ(all.at(date).values[1], day["certs_active"].get<uint64_t>()) << date;
  }
  std::map<std::string, std::string> org_of;
  for (const Json& i : answers["issuers"]) org_of[i["issuer_id"]] = i["organization"];
  std::map<std::string, std::map<std::string, uint64_t>> issued;  // org -> date -> n
  for (const Json& e : answers["issued_per_day_by_issuer"]) {
    issued[org_of[e["issuer_id"]]][e["date"]] += e["certs_issued"].get<uint64_t>();
  }
  for (const Json& o : answers["organizations"]) {
    const std::string org = o["organization"];
    ASSERT_EQ(OrganizationFiles().count(org), 1u) << org;
    const auto rows = ReadStats(reports + "/" + OrganizationFiles().at(org));
    for (const Json& day : history) {
      const std::string date = day["date"];
      ASSERT_EQ(rows.count(date), 1u) << org << " " << date;
      EXPECT_EQ(rows.at(date).values[1], day["organizations"][org].get<uint64_t>())
          << org << " " << date;
    }
    for (const auto& [date, r] : rows) {
      const uint64_t want = issued[org].count(date) ? issued[org][date] : 0;
      if (r.values[0].has_value()) {
        EXPECT_EQ(*r.values[0], want) << org << " " << date;
      } else {
        EXPECT_LT(date, kFirstDate) << org;
      }
    }
  }
}

// lifetime-daily-stats.tsv against ct-gen's back-fill by lifetime class, from
// the earliest date directory through the as-of date; before as-of each row
// sums to certs_active's back-fill.
void ExpectLifetimeHistoryMatchesAnswers(const std::string& reports, const Json& answers) {
  std::string want = "date\t<=7d\t8-47d\t48-100d\t101-200d\t201-398d\t>398d\n";
  std::map<std::string, uint64_t> sums;
  for (const Json& day : answers["lifetime_active_history"]) {
    want += day["date"].get<std::string>();
    uint64_t sum = 0;
    for (const char* name : {"<=7d", "8-47d", "48-100d", "101-200d", "201-398d", ">398d"}) {
      want += "\t" + day["lifetime"][name].dump();
      sum += day["lifetime"][name].get<uint64_t>();
    }
    want += "\n";
    sums[day["date"]] = sum;
  }
  EXPECT_EQ(answers["lifetime_active_history"].back()["date"], kAsOf);
  EXPECT_EQ(ReadFile(reports + "/lifetime-daily-stats.tsv"), want);
  for (const Json& day : answers["certs_active_history"]) {
    EXPECT_EQ(sums[day["date"]], day["certs_active"].get<uint64_t>()) << day["date"];
  }
}

TEST_F(ReportHistoryTest, BackfillEqualsTheGeneratorsAnswers) {
  Generate();
  Reduce(kAsOf);
  ExpectBackfillMatchesAnswers(reports_, Answers());
  ExpectLifetimeHistoryMatchesAnswers(reports_, Answers());
}

TEST_F(ReportHistoryTest, BackfillWithAWindowEqualsTheGeneratorsAnswers) {
  Generate(30);
  Reduce(kAsOf, 30);
  ExpectBackfillMatchesAnswers(reports_, Answers());
}

// Every file of two report directories, byte for byte.
void ExpectSameFiles(const std::string& want, const std::string& got) {
  ASSERT_EQ(ctmr::testing::ListVisible(got), ctmr::testing::ListVisible(want));
  for (const std::string& name : ctmr::testing::ListVisible(want)) {
    EXPECT_EQ(ReadFile(got + "/" + name), ReadFile(want + "/" + name)) << name;
  }
}

TEST_F(ReportHistoryTest, ReportRebuildsWhatTheRunWroteAndMapsNothing) {
  Generate();
  Reduce(kEarlierAsOf);
  // New input for the run to map, so that `directories.mapped` is not 0.
  const std::string ca = ReadFile(root_ + "/issuers/" + ListDir(root_ + "/issuers")[0]);
  AppendFile(root_ + "/2026-12-03/late.pem", ca);
  const Json run = Run(kAsOf);
  ASSERT_EQ(run["directories"]["mapped"], 1);
  const std::string snapshot = tmp_.path() + "/snapshot";
  CopyTree(reports_, snapshot);

  // New input after the run: `report` must not map it.
  const std::string oracle = root_ + "/2026-12-01/oracle.out";
  const std::string before = ReadFile(oracle);
  AppendFile(root_ + "/2026-12-01/late.pem", ca);

  const std::string elsewhere = tmp_.path() + "/elsewhere";
  auto r =
      RunCommand({BinaryPath("ct-coordinator"), "report", "--data-dir", root_, "--out", elsewhere});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("have input beyond it"), std::string::npos) << r.output;
  ExpectSameFiles(snapshot, elsewhere);

  r = RunCommand({BinaryPath("ct-coordinator"), "report", "--data-dir", root_});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectSameFiles(snapshot, reports_);
  EXPECT_EQ(ReadFile(oracle), before);
}

TEST_F(ReportHistoryTest, ReportOfAnotherDateAddsItsRow) {
  Generate();
  Reduce(kAsOf);
  auto r = RunCommand(
      {BinaryPath("ct-coordinator"), "report", "--data-dir", root_, "--as-of", kEarlierAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Json summary = Json::parse(ReadFile(reports_ + "/summary.json"));
  EXPECT_EQ(summary["as_of"], kEarlierAsOf);
  EXPECT_EQ(summary["directories"]["mapped"], 0);
  const auto rows = ReadStats(reports_ + "/cert-daily-stats.tsv");
  ExpectRunRow(rows, summary["totals"], kEarlierAsOf, "all");
  EXPECT_TRUE(rows.at(kAsOf).values[2].has_value());

  r = RunCommand(
      {BinaryPath("ct-coordinator"), "report", "--data-dir", root_, "--as-of", "2026-02-30"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace ctmr
