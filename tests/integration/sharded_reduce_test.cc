// The sharded reduce against the unsharded one, on the edge-case corpus: any
// number of shards, in process or as shard tasks on ct-worker processes, must
// write byte-identical reports.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ListDir;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;

constexpr char kAsOf[] = "2026-11-26";
const char* const kReports[] = {"summary.json", "cert-daily-stats.tsv", "issued-per-day.csv",
                                "active-by-issuer.csv"};

class ShardedReduceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/root";
    auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root_, "--certs", "4000", "--days", "40",
                           "--first-date", "2026-11-20", "--as-of", kAsOf, "--seed", "31",
                           "--edge-cases"});
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    // Map once; every reduce below then reads the same tallies.
    Reduce("mapping", {"--unsharded"});
    Reduce("unsharded", {"--unsharded"});
  }

  void Reduce(const std::string& out, std::vector<std::string> extra) {
    const std::vector<std::string> argv =
        ctmr::testing::ReduceArgv(root_, kAsOf, tmp_.path() + "/" + out, extra);
    auto r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  void Run(const std::string& out, std::vector<std::string> extra) {
    const std::vector<std::string> argv =
        ctmr::testing::RunOnceArgv(root_, kAsOf, tmp_.path() + "/" + out, extra);
    auto r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  void ExpectSameAsUnsharded(const std::string& out) {
    for (const char* report : kReports) {
      EXPECT_EQ(ReadFile(tmp_.path() + "/" + out + "/" + report),
                ReadFile(tmp_.path() + "/unsharded/" + report))
          << out << "/" << report;
    }
  }

  TempDir tmp_;
  std::string root_;
};

TEST_F(ShardedReduceTest, InProcessShardsWriteTheUnshardedReports) {
  for (const char* shards : {"1", "3", "16"}) {
    const std::string out = std::string("shards-") + shards;
    Reduce(out, {"--shards", shards});
    ExpectSameAsUnsharded(out);
  }
  Reduce("auto", {});
  ExpectSameAsUnsharded("auto");
  Reduce("one-thread", {"--shards", "5", "--threads", "1", "--memory-limit", "256MiB"});
  ExpectSameAsUnsharded("one-thread");
  // The snapshot of the tallies is gone once the reduce is done.
  EXPECT_TRUE(ListDir(root_ + "/state/reduce").empty());
}

TEST_F(ShardedReduceTest, WindowAndASnapshotOutsideTheRoot) {
  Reduce("unsharded-window", {"--unsharded", "--window-days", "7"});
  Reduce("window", {"--shards", "3", "--window-days", "7"});
  for (const char* report : kReports) {
    EXPECT_EQ(ReadFile(tmp_.path() + "/window/" + report),
              ReadFile(tmp_.path() + "/unsharded-window/" + report))
        << report;
  }
  // No ROOT/state/reduce/ to be had (here ROOT/state is a file; in life, a
  // root this user may only read): the snapshot goes to $TMPDIR instead.
  ASSERT_EQ(::rename((root_ + "/state").c_str(), (root_ + "/state.away").c_str()), 0);
  ::ctmr::testing::WriteFile(root_ + "/state", "not a folder");
  Reduce("no-state", {"--shards", "2"});
  ASSERT_EQ(::unlink((root_ + "/state").c_str()), 0);
  ASSERT_EQ(::rename((root_ + "/state.away").c_str(), (root_ + "/state").c_str()), 0);
  ExpectSameAsUnsharded("no-state");
}

TEST_F(ShardedReduceTest, ShardTasksOnWorkersWriteTheUnshardedReports) {
  for (const char* shards : {"1", "3", "16"}) {
    const std::string out = std::string("run-") + shards;
    Run(out, {"--shards", shards});
    ExpectSameAsUnsharded(out);
  }
  Run("run-auto", {});
  ExpectSameAsUnsharded("run-auto");
  EXPECT_TRUE(ListDir(root_ + "/state/reduce").empty());
}

TEST_F(ShardedReduceTest, BadLimitsAreUsageErrors) {
  for (const std::vector<std::string>& extra : {std::vector<std::string>{"--memory-limit", "lots"},
                                                std::vector<std::string>{"--memory-limit", "0"},
                                                std::vector<std::string>{"--shards", "0"}}) {
    std::vector<std::string> argv = {
        BinaryPath("ct-coordinator"), "reduce", "--data-dir", root_, "--as-of", kAsOf};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = RunCommand(argv);
    EXPECT_EQ(r.exit_code, 2) << extra[0] << " " << extra[1] << ": " << r.output;
  }
  // A limit below what the process already holds fails clearly.
  auto r = RunCommand({BinaryPath("ct-coordinator"), "reduce", "--data-dir", root_, "--as-of",
                       kAsOf, "--memory-limit", "1MiB", "--out", tmp_.path() + "/x"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("leaves nothing for the hash sets"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ctmr
