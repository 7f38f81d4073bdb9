// Golden reports: on ct-gen's edge-case corpus, `reduce`, `report` and
// `run --local-workers 2 --once` must write reports byte-identical to the
// ones in tests/data/golden/edge_cases/, which were made by the code before
// the restructuring of issue "One component, one folder". A change that
// means to change a report regenerates them with CT_UPDATE_GOLDEN=1 and says
// why in its commit.
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ListVisible;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

constexpr char kAsOf[] = "2026-11-26";
std::string GoldenDir() {
  const char* source = std::getenv("CT_SOURCE_DIR");
  return std::string(source != nullptr ? source : ".") + "/tests/data/golden/edge_cases";
}

bool Updating() {
  const char* update = std::getenv("CT_UPDATE_GOLDEN");
  return update != nullptr && std::string(update) == "1";
}

class GoldenReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/root";
    auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root_, "--certs", "3000", "--days", "40",
                           "--first-date", "2026-11-20", "--as-of", kAsOf, "--seed", "7",
                           "--window-days", "0", "--edge-cases"});
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
  }

  // Every file of `out` (summary.json, history.json, report.html, the TSVs
  // and CSVs, one TSV per organization) equals the golden, and no file is
  // missing from either side.
  void ExpectGolden(const std::string& out) {
    const std::vector<std::string> files = ListVisible(out);
    if (Updating()) {
      for (const std::string& name : files) {
        WriteFile(GoldenDir() + "/" + name, ReadFile(out + "/" + name));
      }
      return;
    }
    EXPECT_EQ(files, ListVisible(GoldenDir())) << out;
    for (const std::string& name : files) {
      EXPECT_TRUE(ReadFile(out + "/" + name) == ReadFile(GoldenDir() + "/" + name))
          << out << "/" << name << " differs from the golden";
    }
  }

  TempDir tmp_;
  std::string root_;
};

TEST_F(GoldenReportsTest, ReduceThenReportMatchGolden) {
  const std::string out = root_ + "/reports";
  auto r = RunCommand(ctmr::testing::ReduceArgv(root_, kAsOf, out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectGolden(out);
  if (Updating()) return;

  // `report` rebuilds the same files in place, mapping nothing, from the
  // tallies and the stores it keeps (history.json, active-by-issuer.csv):
  // every other file is removed first, so each one compared was rewritten.
  for (const std::string& name : ListVisible(out)) {
    if (name != "history.json" && name != "active-by-issuer.csv") {
      ASSERT_EQ(::unlink((out + "/" + name).c_str()), 0) << name;
    }
  }
  auto rep = RunCommand({BinaryPath("ct-coordinator"), "report", "--data-dir", root_});
  ASSERT_EQ(rep.exit_code, 0) << rep.output;
  ExpectGolden(out);
}

TEST_F(GoldenReportsTest, RunOnceMatchesGolden) {
  if (Updating()) GTEST_SKIP() << "the golden is written by ReduceThenReportMatchGolden";
  const std::string out = tmp_.path() + "/run";
  auto r = RunCommand(ctmr::testing::RunOnceArgv(root_, kAsOf, out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectGolden(out);
}

}  // namespace
}  // namespace ctmr
