#include "worker/task_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "common/reduce/shard_reducer.h"
#include "common/tally/oracle_file.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::worker {
namespace {

using ::ctmr::testing::ReadFile;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

// 512 real precertificates of Let's Encrypt staging (Navigli 2025h2 tiles).
std::string NavigliPem() { return ReadFile("tests/data/certs/navigli2025h2-tiles-000-001.pem"); }

class TaskRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto list = names::PublicSuffixList::LoadLatest();
    ASSERT_TRUE(list.ok()) << list.status();
    suffixes_ = std::move(*list);
  }

  // ROOT/<date>/x.pem holding `pem`.
  std::string MakeDir(const std::string& date, const std::string& pem) {
    const std::string dir = tmp_.path() + "/" + date;
    EXPECT_EQ(::mkdir(dir.c_str(), 0755), 0);
    WriteFile(dir + "/x.pem", pem);
    return dir;
  }

  Result Map(const std::string& dir, uint64_t id = 7) {
    MapTask task;
    task.set_task_id(id);
    task.set_directory(dir);
    task.set_attempt(1);
    return RunMapTask(task, suffixes_.get());
  }

  TempDir tmp_;
  std::unique_ptr<names::PublicSuffixList> suffixes_;
};

TEST_F(TaskRunnerTest, MapTaskCountsAndCommits) {
  const std::string dir = MakeDir("2025-08-01", NavigliPem());
  const Result r = Map(dir, 42);
  EXPECT_EQ(r.task_id(), 42u);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.map().certificates(), 512u);
  EXPECT_EQ(r.map().duplicates(), 0u);
  EXPECT_EQ(r.map().unparseable_blocks(), 0u);
  EXPECT_EQ(r.map().bytes_read(), NavigliPem().size());
  EXPECT_TRUE(r.map().committed());
  EXPECT_GE(r.seconds(), 0.0);
  EXPECT_FALSE(ReadFile(dir + "/oracle.out").empty());

  // A second attempt (a re-leased task) is harmless: nothing new to commit.
  const Result again = Map(dir, 42);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.map().committed());
  EXPECT_EQ(again.map().certificates(), 0u);
}

TEST_F(TaskRunnerTest, UnreadableFileIsPermanent) {
  const std::string dir = MakeDir("2025-08-01", NavigliPem());
  ASSERT_EQ(::symlink("/nonexistent/target.pem", (dir + "/dangling.pem").c_str()), 0);
  const Result r = Map(dir);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error_kind(), PERMANENT);
  EXPECT_NE(r.error().find("dangling.pem"), std::string::npos) << r.error();
}

TEST_F(TaskRunnerTest, ACorruptTallyIsMappedAgain) {
  const std::string dir = MakeDir("2025-08-01", NavigliPem());
  WriteFile(dir + "/oracle.out", "\xff\xff\xff garbage");
  const Result r = Map(dir);
  EXPECT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r.map().committed());
}

TEST(ErrorKindOfTest, TransientAndPermanentCodes) {
  EXPECT_EQ(ErrorKindOf(absl::UnavailableError("x")), TRANSIENT);
  EXPECT_EQ(ErrorKindOf(absl::DataLossError("x")), PERMANENT);
  EXPECT_EQ(ErrorKindOf(absl::FailedPreconditionError("x")), PERMANENT);
  EXPECT_EQ(ErrorKindOf(absl::InvalidArgumentError("x")), PERMANENT);
  EXPECT_EQ(ErrorKindOf(absl::ResourceExhaustedError("x")), TOO_LARGE);
}

class ShardTaskTest : public TaskRunnerTest {
 protected:
  void SetUp() override {
    TaskRunnerTest::SetUp();
    const std::string pem = NavigliPem();
    const size_t half = pem.find("-----BEGIN", pem.size() / 2);
    dir1_ = MakeDir("2025-08-01", pem.substr(0, half));
    dir2_ = MakeDir("2025-08-02", pem.substr(half));
    ASSERT_TRUE(Map(dir1_).ok());
    ASSERT_TRUE(Map(dir2_).ok());
    // Inputs are names in input_dir: here the directories' own oracle.out.
    base_ = reduce::ReduceWithoutNames(
        tmp_.path(), {{"2025-08-01/oracle.out", true}, {"2025-08-02/oracle.out", true}});
    ASSERT_TRUE(base_.failed.empty());
  }

  ShardTask Task(uint64_t id, const tally::HashRange& range) {
    ShardTask task = reduce::MakeShardTask(base_, tmp_.path(), range);
    task.set_task_id(id);
    task.set_attempt(1);
    return task;
  }

  std::string dir1_, dir2_;
  reduce::ReduceBase base_;
};

TEST_F(ShardTaskTest, ShardsAddUpToTheWholeSetReduce) {
  reduce::TallyReducer whole;
  ASSERT_TRUE(whole.Add(**tally::LoadOracle(dir1_), true).ok());
  ASSERT_TRUE(whole.Add(**tally::LoadOracle(dir2_), true).ok());
  const reduce::ReduceStats want = whole.Finish();
  base::MemoryBudget budget(1 << 20);
  for (int i = 0; i < 3; ++i) {
    const Result r =
        RunShardTask(Task(static_cast<uint64_t>(10 + i), tally::ShardRange(i, 3)), &budget);
    EXPECT_EQ(r.task_id(), static_cast<uint64_t>(10 + i));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_GT(r.shard().reserved_bytes(), 0u);
    ASSERT_TRUE(reduce::AddShardCounts(r.shard(), &base_.stats).ok());
  }
  EXPECT_EQ(base_.stats.totals.fqdns, want.totals.fqdns);
  EXPECT_EQ(base_.stats.totals.regdomains, want.totals.regdomains);
  EXPECT_EQ(base_.stats.totals.wildcards, want.totals.wildcards);
  EXPECT_GT(want.totals.fqdns, 0u);
  EXPECT_EQ(budget.reserved(), 0u);
}

TEST_F(ShardTaskTest, ShardLargerThanTheBudgetIsTooLarge) {
  base::MemoryBudget budget(16);
  const Result r = RunShardTask(Task(1, tally::ShardRange(0, 1)), &budget);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error_kind(), TOO_LARGE);
  EXPECT_NE(r.error().find("more than the memory budget of 16 bytes"), std::string::npos)
      << r.error();
}

TEST_F(ShardTaskTest, MissingOrCorruptInputAndBadRangeArePermanent) {
  base::MemoryBudget budget(1 << 20);
  ShardTask missing = Task(1, tally::ShardRange(0, 1));
  missing.add_inputs("2025-08-03/oracle.out");
  EXPECT_EQ(RunShardTask(missing, &budget).error_kind(), PERMANENT);

  WriteFile(dir2_ + "/oracle.out", "\xff\xff\xff garbage");
  const Result corrupt = RunShardTask(Task(2, tally::ShardRange(0, 1)), &budget);
  EXPECT_EQ(corrupt.error_kind(), PERMANENT);
  EXPECT_NE(corrupt.error().find("2025-08-02"), std::string::npos) << corrupt.error();

  ShardTask bad = Task(3, tally::ShardRange(0, 1));
  bad.set_first("short");
  EXPECT_EQ(RunShardTask(bad, &budget).error_kind(), PERMANENT);
}

}  // namespace
}  // namespace ctmr::worker
