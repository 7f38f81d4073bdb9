// The steps without a coordinator, as Kubernetes Indexed Jobs, Slurm arrays or
// GNU parallel run them: `ct-coordinator plan`, `ct-worker map --plan FILE
// --index I` for every entry, then `ct-coordinator reduce`. The reports must
// be those of `reduce` mapping by itself and of `run`.
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::CopyTree;
using ::ctmr::testing::ListDir;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;

constexpr char kAsOf[] = "2026-11-26";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  return lines;
}

// "YYYY-MM-DD" naming a real day (the edge cases include 2026-02-30).
bool IsDate(const std::string& name) {
  int y = 0, m = 0, d = 0;
  if (name.size() != 10 || std::sscanf(name.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3) return false;
  std::tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  const time_t t = ::timegm(&tm);
  std::tm back = {};
  ::gmtime_r(&t, &back);
  return back.tm_year == y - 1900 && back.tm_mon == m - 1 && back.tm_mday == d;
}

TEST(ExternalSchedulerTest, PlanThenMapEachIndexThenReduceEqualsRunAndReduce) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  auto gen =
      RunCommand({BinaryPath("ct-gen"), "--out", root, "--certs", "3000", "--days", "25",
                  "--first-date", "2026-11-20", "--as-of", kAsOf, "--seed", "41", "--edge-cases"});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  const std::string by_reduce = tmp.path() + "/by-reduce";
  const std::string by_run = tmp.path() + "/by-run";
  CopyTree(root, by_reduce);
  CopyTree(root, by_run);

  const std::string plan = tmp.path() + "/plan.txt";
  auto planned =
      RunCommand({BinaryPath("ct-coordinator"), "plan", "--data-dir", root, "--out", plan});
  ASSERT_EQ(planned.exit_code, 0) << planned.output;
  // Every date directory (the edge cases add some outside the 25 days), in order.
  const std::vector<std::string> entries = Lines(ReadFile(plan));
  std::vector<std::string> dates;
  for (const std::string& name : ListDir(root)) {
    if (IsDate(name)) dates.push_back(root + "/" + name);
  }
  EXPECT_EQ(entries, dates);
  ASSERT_GE(entries.size(), 25u);
  const std::string n = std::to_string(entries.size());
  EXPECT_NE(planned.output.find("directories to map: " + n), std::string::npos) << planned.output;

  for (size_t i = 0; i < entries.size(); ++i) {
    auto map =
        RunCommand({BinaryPath("ct-worker"), "map", "--plan", plan, "--index", std::to_string(i)});
    ASSERT_EQ(map.exit_code, 0) << i << ": " << map.output;
    EXPECT_NE(map.output.find(entries[i]), std::string::npos) << map.output;
  }
  // Out of range: a usage error that names the plan's size.
  auto outside = RunCommand({BinaryPath("ct-worker"), "map", "--plan", plan, "--index", n});
  EXPECT_EQ(outside.exit_code, 2) << outside.output;
  EXPECT_NE(outside.output.find("lists " + n + " directories (0 to " +
                                std::to_string(entries.size() - 1) + ")"),
            std::string::npos)
      << outside.output;
  EXPECT_EQ(RunCommand({BinaryPath("ct-worker"), "map", "--plan", plan}).exit_code, 2);
  EXPECT_EQ(RunCommand({BinaryPath("ct-worker"), "map", "--index", "0"}).exit_code, 2);

  // What is left to map now: only what is always stale (an edge case, a half
  // written last block, keeps 2026-11-26's input ahead of its tally).
  auto again = RunCommand({BinaryPath("ct-coordinator"), "plan", "--data-dir", root, "--out", "-"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(again.output, root + "/2026-11-26\ndirectories to map: 1\n");

  auto reduce =
      RunCommand({BinaryPath("ct-coordinator"), "reduce", "--data-dir", root, "--as-of", kAsOf});
  ASSERT_EQ(reduce.exit_code, 0) << reduce.output;
  auto reference = RunCommand({BinaryPath("ct-coordinator"), "reduce", "--data-dir", by_reduce,
                               "--as-of", kAsOf, "--unsharded"});
  ASSERT_EQ(reference.exit_code, 0) << reference.output;
  auto run = RunCommand({BinaryPath("ct-coordinator"), "run", "--data-dir", by_run, "--as-of",
                         kAsOf, "--once", "--local-workers", "2", "--bind", "tcp://127.0.0.1:0"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (const char* report :
       {"cert-daily-stats.tsv", "issued-per-day.csv", "active-by-issuer.csv"}) {
    EXPECT_EQ(ReadFile(root + "/reports/" + report), ReadFile(by_reduce + "/reports/" + report))
        << report;
    EXPECT_EQ(ReadFile(root + "/reports/" + report), ReadFile(by_run + "/reports/" + report))
        << report;
  }
  // summary.json differs only in how many directories each run mapped itself.
  std::string planned_summary = ReadFile(root + "/reports/summary.json");
  std::string reduce_summary = ReadFile(by_reduce + "/reports/summary.json");
  const auto without_mapped = [](std::string s) {
    const size_t at = s.find("\"mapped\":");
    return s.erase(at, s.find(',', at) - at);
  };
  EXPECT_EQ(without_mapped(planned_summary), without_mapped(reduce_summary));
  EXPECT_EQ(without_mapped(planned_summary),
            without_mapped(ReadFile(by_run + "/reports/summary.json")));
}

}  // namespace
}  // namespace ctmr
