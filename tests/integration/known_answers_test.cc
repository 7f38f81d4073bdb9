// Known-answer tests: ct-gen writes a data root with every edge case of
// DESIGN.md §3 and, independently of our code, the numbers it must give; the
// real ct-coordinator and ct-worker binaries must reproduce them exactly.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;
using Json = nlohmann::json;

constexpr char kAsOf[] = "2026-11-26";
// DESIGN.md §3.1, in the reports' column order (JSON objects here sort their keys).
constexpr const char* kLifetimeClasses[] = {"<=7d",     "8-47d",    "48-100d",
                                            "101-200d", "201-398d", ">398d"};

void Generate(const std::string& root, int certs, int seed, int window_days,
              const std::string& extra = "--edge-cases") {
  auto r = RunCommand({BinaryPath("ct-gen"), "--out", root, "--certs", std::to_string(certs),
                       "--seed", std::to_string(seed), "--days", "30", "--as-of", kAsOf,
                       "--window-days", std::to_string(window_days), extra});
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

Json Reduce(const std::string& root, int window_days, int expected_exit = 0) {
  auto r = RunCommand({BinaryPath("ct-coordinator"), "reduce", "--data-dir", root, "--as-of", kAsOf,
                       "--window-days", std::to_string(window_days)});
  EXPECT_EQ(r.exit_code, expected_exit) << r.output;
  return Json::parse(ReadFile(root + "/reports/summary.json"));
}

void ExpectCounts(const Json& want, const Json& got, const std::string& what) {
  for (const char* key :
       {"certs_active", "fqdns_active", "regdomains_active", "wildcards_active"}) {
    EXPECT_EQ(got.at(key), want.at(key)) << what << " " << key;
  }
  // Lifetime, key and validation classes (DESIGN.md §3.1): every class, in order.
  EXPECT_EQ(got.at("breakdowns").dump(), want.at("breakdowns").dump()) << what << " breakdowns";
}

// Every number of summary.json (and issued-per-day.csv) against the answers.
void ExpectMatchesAnswers(const std::string& root, const Json& summary) {
  const Json answers = Json::parse(ReadFile(root + "/known-answers.json"));
  ExpectCounts(answers["totals"], summary["totals"], "totals");
  EXPECT_EQ(summary["directories"]["active"], answers["directories"]["active"]);
  EXPECT_EQ(summary["errors"]["unparseable_blocks"], answers["errors"]["unparseable_blocks"]);
  EXPECT_EQ(summary["directories"]["failed"].size(), 0u);

  std::map<std::string, Json> issuers;
  for (const Json& i : summary["issuers"]) issuers[i["issuer_id"]] = i;
  ASSERT_EQ(summary["issuers"].size(), answers["issuers"].size());
  for (const Json& want : answers["issuers"]) {
    const std::string id = want["issuer_id"];
    ASSERT_EQ(issuers.count(id), 1u) << id;
    ExpectCounts(want, issuers[id], id);
    EXPECT_EQ(issuers[id]["issuer_name"], want["issuer_name"]);
    EXPECT_EQ(issuers[id]["organization"], want["organization"]);
  }
  std::map<std::string, Json> orgs;
  for (const Json& o : summary["organizations"]) orgs[o["organization"]] = o;
  ASSERT_EQ(summary["organizations"].size(), answers["organizations"].size());
  for (const Json& want : answers["organizations"]) {
    const std::string name = want["organization"];
    ASSERT_EQ(orgs.count(name), 1u) << name;
    ExpectCounts(want, orgs[name], name);
  }
  EXPECT_EQ(summary["issued_per_day"], answers["issued_per_day"]);

  // issued-per-day.csv: date,issuer_id,issuer_name,organization,certs_issued
  std::map<std::pair<std::string, std::string>, uint64_t> csv;
  const std::string text = ReadFile(root + "/reports/issued-per-day.csv");
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const size_t c1 = line.find(','), c2 = line.find(',', c1 + 1), last = line.rfind(',');
    csv[{line.substr(0, c1), line.substr(c1 + 1, c2 - c1 - 1)}] =
        std::stoull(line.substr(last + 1));
  }
  std::map<std::pair<std::string, std::string>, uint64_t> want_csv;
  for (const Json& row : answers["issued_per_day_by_issuer"]) {
    want_csv[{row["date"], row["issuer_id"]}] = row["certs_issued"];
  }
  EXPECT_EQ(csv, want_csv);

  // issued-per-day-by-lifetime.csv: date, then one column per lifetime class.
  std::string want_lifetime = "date,<=7d,8-47d,48-100d,101-200d,201-398d,>398d\n";
  for (const Json& row : answers["issued_per_day_by_lifetime"]) {
    want_lifetime += row["date"].get<std::string>();
    for (const char* name : kLifetimeClasses) want_lifetime += "," + row["lifetime"][name].dump();
    want_lifetime += "\n";
  }
  EXPECT_EQ(ReadFile(root + "/reports/issued-per-day-by-lifetime.csv"), want_lifetime);
}

class KnownAnswersTest : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(KnownAnswersTest, ReduceEqualsTheGeneratorsAnswers) {
  const auto [seed, window_days] = GetParam();
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  Generate(root, 3000, seed, window_days);
  ExpectMatchesAnswers(root, Reduce(root, window_days));
  // A second run maps nothing and gives the same numbers.
  const Json again = Reduce(root, window_days);
  EXPECT_EQ(again["directories"]["mapped"], 0);
  ExpectMatchesAnswers(root, again);
}

INSTANTIATE_TEST_SUITE_P(SeedsAndWindows, KnownAnswersTest,
                         ::testing::Combine(::testing::Values(1, 2, 3), ::testing::Values(0, 7)));

TEST(KnownAnswersCleanTest, CleanCorpusWithExpiredDirectories) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  Generate(root, 20000, 9, 0, "--clean");
  ExpectMatchesAnswers(root, Reduce(root, 0));
}

// ct-worker map DIR... then reduce: the same numbers as reduce alone.
TEST(KnownAnswersWorkerTest, WorkerMapThenReduce) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  Generate(root, 2000, 4, 0);
  std::vector<std::string> argv = {BinaryPath("ct-worker"), "map"};
  for (const std::string& name : ::ctmr::testing::ListDir(root)) {
    if (name.size() == 10 && name[4] == '-' && name != "2026-13-45" && name != "2026-02-30") {
      argv.push_back(root + "/" + name);
    }
  }
  auto r = RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Json summary = Reduce(root, 0);
  EXPECT_EQ(summary["directories"]["mapped"], 0);
  ExpectMatchesAnswers(root, summary);
}

// `run` with 2 local workers, every directory split by issuer (--split-bytes
// small): the parts merge into the generator's answers, and none is left.
TEST(KnownAnswersSplitTest, DirectoriesSplitOverTwoWorkers) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  Generate(root, 3000, 6, 0);
  auto r = RunCommand(::ctmr::testing::RunOnceArgv(
      root, kAsOf, root + "/reports", {"--split-bytes", "16KiB", "--window-days", "0"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("parts by issuer"), std::string::npos) << r.output;
  ExpectMatchesAnswers(root, Json::parse(ReadFile(root + "/reports/summary.json")));
  EXPECT_TRUE(::ctmr::testing::ListDir(root + "/state/map-parts").empty());
  // A second run maps nothing new and counts the same.
  const Json again = Reduce(root, 0);
  EXPECT_EQ(again["directories"]["mapped"], 0);
  ExpectMatchesAnswers(root, again);
}

// Map, let the fetcher append more (cutting blocks anywhere), map again:
// the numbers equal the answers for the whole.
TEST(KnownAnswersPiecesTest, TreeReadInPieces) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  const std::string full = tmp.path() + "/full";
  Generate(full, 3000, 5, 0);
  ::ctmr::testing::CopyTree(full, root);
  // Cut every .pem file at 1/3 and 2/3 and remember the tails.
  struct Cut {
    std::string path, middle, tail;
  };
  std::vector<Cut> cuts;
  for (const std::string& dir : ::ctmr::testing::ListDir(root)) {
    for (const std::string& name : ::ctmr::testing::ListDir(root + "/" + dir)) {
      if (name.size() < 5 || name.substr(name.size() - 4) != ".pem") continue;
      const std::string path = root + "/" + dir + "/" + name;
      const std::string content = ReadFile(path);
      if (content.size() < 100) continue;
      const size_t a = content.size() / 3, b = 2 * content.size() / 3 + 7;
      cuts.push_back({path, content.substr(a, b - a), content.substr(b)});
      ::ctmr::testing::WriteFile(path, content.substr(0, a));
    }
  }
  ASSERT_GT(cuts.size(), 10u);
  Reduce(root, 0);
  for (const Cut& c : cuts) ::ctmr::testing::AppendFile(c.path, c.middle);
  Reduce(root, 0);
  for (const Cut& c : cuts) ::ctmr::testing::AppendFile(c.path, c.tail);
  ExpectMatchesAnswers(root, Reduce(root, 0));
}

}  // namespace
}  // namespace ctmr
