// The memory bound on a corpus of 1,000,000 certificates (label "slow": about
// a minute; the sanitizer pass skips it). Every reduce, sharded in process or
// as shard tasks on ct-worker processes, must write the reports of the
// unsharded reduce byte for byte, and its peak resident set (the largest of
// the process and the workers it starts, from wait4) must stay under the
// --memory-limit it was given, which the unsharded reduce does not.
#include <iostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::CommandResult;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;

constexpr char kAsOf[] = "2026-11-26";
constexpr long kMiB = 1024;  // ru_maxrss is in KiB

// One test, not several: CTest runs each test of a binary in its own process,
// and the corpus takes most of the time.
class MemoryBoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/root";
    auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root_, "--certs", "1000000", "--as-of",
                           kAsOf, "--seed", "7"});
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    // Map everything once; the reduces below only read the tallies.
    auto mapped = Reduce("mapping", {"--unsharded"});
    ASSERT_EQ(mapped.exit_code, 0) << mapped.output;
  }

  CommandResult Reduce(const std::string& out, std::vector<std::string> extra) {
    const std::vector<std::string> argv =
        ctmr::testing::ReduceArgv(root_, kAsOf, tmp_.path() + "/" + out, extra);
    return RunCommand(argv);
  }

  CommandResult Run(const std::string& out, std::vector<std::string> extra) {
    const std::vector<std::string> argv =
        ctmr::testing::RunOnceArgv(root_, kAsOf, tmp_.path() + "/" + out, extra);
    return RunCommand(argv);
  }

  // `r` succeeded within `limit_mib` and wrote the unsharded reports into `out`.
  void ExpectBoundedAndIdentical(const std::string& out, const CommandResult& r, long limit_mib) {
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::cout << out << ": peak RSS " << r.max_rss_kib / kMiB << " MiB (limit " << limit_mib
              << " MiB)" << std::endl;
    EXPECT_LT(r.max_rss_kib, limit_mib * kMiB) << r.output;
    for (const char* report :
         {"summary.json", "cert-daily-stats.tsv", "issued-per-day.csv", "active-by-issuer.csv"}) {
      EXPECT_EQ(ReadFile(tmp_.path() + "/" + out + "/" + report),
                ReadFile(tmp_.path() + "/unsharded/" + report))
          << out << "/" << report;
    }
  }

  TempDir tmp_;
  std::string root_;
};

TEST_F(MemoryBoundTest, ShardedReducesStayUnderTheLimitAndMatchTheUnshardedOne) {
  const CommandResult unsharded = Reduce("unsharded", {"--unsharded"});
  ASSERT_EQ(unsharded.exit_code, 0) << unsharded.output;
  std::cout << "unsharded: peak RSS " << unsharded.max_rss_kib / kMiB << " MiB" << std::endl;
  // What makes the bound mean something on this corpus.
  EXPECT_GT(unsharded.max_rss_kib, 64 * kMiB);

  // In process: shards chosen to fit, on two threads.
  ExpectBoundedAndIdentical("reduce-64", Reduce("reduce-64", {"--memory-limit", "64MiB"}), 64);
  ExpectBoundedAndIdentical("reduce-24", Reduce("reduce-24", {"--memory-limit", "24MiB"}), 24);
  // One shard given that does not fit: split until it does.
  const CommandResult split =
      Reduce("reduce-24-split", {"--memory-limit", "24MiB", "--shards", "1"});
  ExpectBoundedAndIdentical("reduce-24-split", split, 24);
  EXPECT_NE(split.output.find("(1 split)"), std::string::npos) << split.output;

  // Shard tasks on two local workers, which get the same limit.
  ExpectBoundedAndIdentical("run-64", Run("run-64", {"--memory-limit", "64MiB"}), 64);
  const CommandResult run_split = Run("run-24-split", {"--memory-limit", "24MiB", "--shards", "1"});
  ExpectBoundedAndIdentical("run-24-split", run_split, 24);
  EXPECT_NE(run_split.output.find("more than a worker's memory budget: split into"),
            std::string::npos)
      << run_split.output;
}

}  // namespace
}  // namespace ctmr
