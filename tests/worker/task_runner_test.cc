#include "worker/task_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "common/civil_date.h"
#include "common/oracle_file.h"
#include "coordinator/tally_reducer.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr {
namespace {

using ::ctmr::testing::ReadFile;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

// 512 real precertificates of Let's Encrypt staging (Navigli 2025h2 tiles).
std::string NavigliPem() { return ReadFile("tests/data/certs/navigli2025h2-tiles-000-001.pem"); }

std::string Serialized(const ReduceTally& t) {
  std::string s;
  t.SerializeToString(&s);
  return s;
}

class TaskRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto list = PublicSuffixList::LoadLatest();
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
  std::unique_ptr<PublicSuffixList> suffixes_;
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

TEST_F(TaskRunnerTest, CorruptOracleIsPermanent) {
  const std::string dir = MakeDir("2025-08-01", NavigliPem());
  WriteFile(dir + "/oracle.out", "\xff\xff\xff garbage");
  const Result r = Map(dir);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error_kind(), PERMANENT);
}

TEST(ErrorKindOfTest, TransientAndPermanentCodes) {
  EXPECT_EQ(ErrorKindOf(absl::UnavailableError("x")), TRANSIENT);
  EXPECT_EQ(ErrorKindOf(absl::DataLossError("x")), PERMANENT);
  EXPECT_EQ(ErrorKindOf(absl::FailedPreconditionError("x")), PERMANENT);
  EXPECT_EQ(ErrorKindOf(absl::InvalidArgumentError("x")), PERMANENT);
}

class MergeTest : public TaskRunnerTest {
 protected:
  void SetUp() override {
    TaskRunnerTest::SetUp();
    const std::string pem = NavigliPem();
    const size_t half = pem.find("-----BEGIN", pem.size() / 2);
    dir1_ = MakeDir("2025-08-01", pem.substr(0, half));
    dir2_ = MakeDir("2025-08-02", pem.substr(half));
    ASSERT_TRUE(Map(dir1_).ok());
    ASSERT_TRUE(Map(dir2_).ok());
    as_of_ = *ParseDate("2025-08-02");
  }

  MergeTask Task(uint64_t id, const std::string& output) {
    MergeTask task;
    task.set_task_id(id);
    task.set_as_of(as_of_);
    task.set_output(output);
    task.set_attempt(1);
    return task;
  }

  // What the reducer gives when fed the directories itself.
  ReduceTally Direct() {
    TallyReducer reducer;
    EXPECT_TRUE(reducer.Add(**LoadOracle(dir1_), /*active=*/false).ok());
    EXPECT_TRUE(reducer.Add(**LoadOracle(dir2_), /*active=*/true).ok());
    ReduceTally t = reducer.FinishPartial();
    t.set_as_of(as_of_);
    t.add_directories("2025-08-01");
    t.add_directories("2025-08-02");
    return t;
  }

  ReduceTally ReadOutput(const std::string& path) {
    ReduceTally t;
    EXPECT_TRUE(t.ParseFromString(ReadFile(path))) << path;
    return t;
  }

  std::string dir1_, dir2_;
  int32_t as_of_ = 0;
};

TEST_F(MergeTest, MergeOfTwoDirectoriesEqualsTheReducer) {
  MergeTask task = Task(9, tmp_.path() + "/merge.out");
  task.add_directories(dir1_);
  task.add_directories(dir2_ + "/");  // a trailing slash names the same date
  const Result r = RunMergeTask(task);
  EXPECT_EQ(r.task_id(), 9u);
  ASSERT_TRUE(r.ok()) << r.error();
  const ReduceTally out = ReadOutput(task.output());
  const ReduceTally direct = Direct();
  EXPECT_EQ(out.active_directories(), 1u);
  ASSERT_EQ(out.issuers_size(), 1);
  EXPECT_GT(out.issuers(0).active_certificates(), 0u);
  EXPECT_LT(out.issuers(0).active_certificates(), 512u);
  EXPECT_EQ(Serialized(out), Serialized(direct));
}

TEST_F(MergeTest, MergeOfPartialsEqualsOneMerge) {
  MergeTask left = Task(1, tmp_.path() + "/left.out");
  left.add_directories(dir1_);
  MergeTask right = Task(2, tmp_.path() + "/right.out");
  right.add_directories(dir2_);
  ASSERT_TRUE(RunMergeTask(left).ok());
  ASSERT_TRUE(RunMergeTask(right).ok());
  MergeTask top = Task(3, tmp_.path() + "/top.out");
  top.add_partials(left.output());
  top.add_partials(right.output());
  const Result r = RunMergeTask(top);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(Serialized(ReadOutput(top.output())), Serialized(Direct()));
}

TEST_F(MergeTest, WindowLimitsTheActiveDirectories) {
  MergeTask task = Task(4, tmp_.path() + "/w.out");
  task.set_as_of(*ParseDate("2025-08-01"));
  task.set_window_days(1);
  task.add_directories(dir1_);
  task.add_directories(dir2_);
  ASSERT_TRUE(RunMergeTask(task).ok());
  const ReduceTally out = ReadOutput(task.output());
  EXPECT_EQ(out.active_directories(), 1u);
  EXPECT_EQ(out.window_days(), 1);
}

TEST_F(MergeTest, MissingOracleIsTransient) {
  const std::string unmapped = MakeDir("2025-08-03", NavigliPem());
  MergeTask task = Task(5, tmp_.path() + "/m.out");
  task.add_directories(dir1_);
  task.add_directories(unmapped);
  const Result r = RunMergeTask(task);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error_kind(), TRANSIENT);
  EXPECT_NE(r.error().find("2025-08-03"), std::string::npos) << r.error();
  EXPECT_EQ(::access(task.output().c_str(), F_OK), -1);
}

TEST_F(MergeTest, MissingPartialIsTransient) {
  MergeTask task = Task(6, tmp_.path() + "/m.out");
  task.add_partials(tmp_.path() + "/never-written.out");
  const Result r = RunMergeTask(task);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error_kind(), TRANSIENT);
}

TEST_F(MergeTest, NonDateDirectoryAndCorruptPartialArePermanent) {
  const std::string state = tmp_.path() + "/state";
  ASSERT_EQ(::mkdir(state.c_str(), 0755), 0);
  MergeTask task = Task(7, tmp_.path() + "/m.out");
  task.add_directories(state);
  Result r = RunMergeTask(task);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error_kind(), PERMANENT);

  WriteFile(tmp_.path() + "/bad.out", "\xff\xff\xff not a tally");
  MergeTask bad = Task(8, tmp_.path() + "/m.out");
  bad.add_partials(tmp_.path() + "/bad.out");
  r = RunMergeTask(bad);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error_kind(), PERMANENT);
}

}  // namespace
}  // namespace ctmr
