#include "coordinator/service/cycle.h"

#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/map/data_root.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/coordinator/service/in_process_pool.h"
#include "tests/support/test_support.h"

namespace ctmr::service {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::CopyTree;
using ::ctmr::testing::ListVisible;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;

constexpr char kAsOf[] = "2026-11-26";

class CycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string corpus = tmp_.path() + "/corpus";
    auto gen = RunCommand({BinaryPath("ct-gen"), "--out", corpus, "--certs", "1500", "--days", "12",
                           "--first-date", "2026-11-20", "--as-of", kAsOf, "--seed", "5",
                           "--window-days", "0", "--edge-cases"});
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    CopyTree(corpus, root_);
    // The reference: `ct-coordinator reduce` over its own copy.
    CopyTree(corpus, tmp_.path() + "/reference");
  }

  RunOptions Options(const std::string& out) const {
    RunOptions o;
    o.data_dir = root_;
    o.as_of = base::ParseDate(kAsOf);
    o.out_dir = out;
    o.memory_limit = 256 << 20;
    return o;
  }

  // `ct-coordinator reduce` over the reference copy, with `extra` flags.
  std::string ReferenceReports() {
    std::string out = tmp_.path() + "/reference-out";
    auto r = RunCommand(
        ctmr::testing::ReduceArgv(tmp_.path() + "/reference", kAsOf, out, {"--window-days", "0"}));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return out;
  }

  static void ExpectSameReports(const std::string& got, const std::string& want) {
    const std::vector<std::string> files = ListVisible(want);
    ASSERT_FALSE(files.empty());
    EXPECT_EQ(ListVisible(got), files);
    for (const std::string& name : files) {
      EXPECT_TRUE(ReadFile(absl::StrCat(got, "/", name)) == ReadFile(absl::StrCat(want, "/", name)))
          << name;
    }
  }

  TempDir tmp_;
  const std::string root_ = tmp_.path() + "/root";
};

TEST_F(CycleTest, MapsEveryDirectoryThenReportsAsReduceDoes) {
  InProcessPool pool(64 << 20);
  RunState state;
  CycleInfo info;
  const std::string out = tmp_.path() + "/out";
  const CycleResult result = RunCycle(Options(out), &pool, &state, &info);
  EXPECT_TRUE(result.ok()) << result.interrupted;
  EXPECT_TRUE(result.reports_written);
  EXPECT_EQ(info.phase, "report");
  EXPECT_EQ(info.as_of, kAsOf);
  EXPECT_GT(pool.map_tasks(), 0);
  EXPECT_GT(pool.shard_tasks(), 0);
  EXPECT_EQ(state.last_run.map_tasks, static_cast<uint64_t>(pool.map_tasks()));
  EXPECT_EQ(state.last_run.mapped, static_cast<uint64_t>(pool.map_tasks()));
  EXPECT_EQ(state.last_run.failed, 0u);
  EXPECT_TRUE(state.failed.empty());
  ExpectSameReports(out, ReferenceReports());

  // The state file is what `status` reads.
  absl::StatusOr<RunState> saved = LoadRunState(RunStatePath(root_));
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->last_run.run_id, state.last_run.run_id);
  EXPECT_EQ(saved->workers, std::vector<std::string>{"in-process:1"});
}

// Every directory with more than 8 KiB of new input is mapped in parts by
// issuer and merged: the same oracle.out files and reports as whole maps.
TEST_F(CycleTest, SplitDirectoriesMergeIntoTheSameTalliesAndReports) {
  InProcessPool pool(64 << 20);
  RunState state;
  CycleInfo info;
  RunOptions options = Options(tmp_.path() + "/out");
  options.split_bytes = 8 << 10;
  options.local_workers = 3;  // task slots for the parts
  const CycleResult result = RunCycle(options, &pool, &state, &info);
  ASSERT_TRUE(result.ok()) << result.interrupted;
  ExpectSameReports(tmp_.path() + "/out", ReferenceReports());
  EXPECT_GT(static_cast<uint64_t>(pool.map_tasks()), state.last_run.mapped) << "parts ran";
  EXPECT_TRUE(ListVisible(root_ + "/state/map-parts").empty()) << "merged parts are removed";
  // The reference's tallies: one map of each directory, by `reduce`.
  for (const std::string& name : ListVisible(root_)) {
    const std::string want = tmp_.path() + "/reference/" + name + "/oracle.out";
    if (::access(want.c_str(), F_OK) != 0) continue;
    EXPECT_TRUE(ReadFile(root_ + "/" + name + "/oracle.out") == ReadFile(want)) << name;
  }
}

TEST_F(CycleTest, ASecondCycleMapsNothingAndCountsTheSame) {
  InProcessPool pool(64 << 20);
  RunState state;
  CycleInfo info;
  ASSERT_TRUE(RunCycle(Options(tmp_.path() + "/first"), &pool, &state, &info).ok());
  const int maps = pool.map_tasks();
  ASSERT_TRUE(RunCycle(Options(tmp_.path() + "/second"), &pool, &state, &info).ok());
  // A directory whose last block is half-written is looked at again (the
  // block may be finished by now); nothing is committed.
  EXPECT_LE(pool.map_tasks() - maps, 1);
  EXPECT_EQ(state.last_run.mapped, 0u) << "every tally was current";
  const nlohmann::json first = nlohmann::json::parse(ReadFile(tmp_.path() + "/first/summary.json"));
  const nlohmann::json second =
      nlohmann::json::parse(ReadFile(tmp_.path() + "/second/summary.json"));
  EXPECT_EQ(first["totals"], second["totals"]);
}

TEST_F(CycleTest, AFailedDirectoryIsRecordedLeftOutAndSkippedUntilRequeued) {
  // A ".pem" the map cannot read: a folder.
  const std::string broken = root_ + "/2026-11-27";
  ASSERT_EQ(::mkdir((broken + "/unreadable.pem").c_str(), 0755), 0);
  InProcessPool pool(64 << 20);
  RunState state;
  CycleInfo info;
  const CycleResult result = RunCycle(Options(tmp_.path() + "/out"), &pool, &state, &info);
  EXPECT_TRUE(result.reports_written);
  EXPECT_TRUE(result.any_failed);
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(state.failed.count("2026-11-27"), 1u);
  EXPECT_FALSE(state.failed["2026-11-27"].last_error.empty());
  EXPECT_EQ(state.last_run.failed, 1u);
  const nlohmann::json summary = nlohmann::json::parse(ReadFile(tmp_.path() + "/out/summary.json"));
  EXPECT_NE(summary.dump().find("2026-11-27"), std::string::npos) << "listed as failed";

  // Same input: skipped, not mapped again.
  const int maps = pool.mapped(broken);
  EXPECT_EQ(maps, 3) << "three attempts";
  EXPECT_TRUE(RunCycle(Options(tmp_.path() + "/out2"), &pool, &state, &info).any_failed);
  EXPECT_EQ(pool.mapped(broken), maps);

  // Requeued and repaired: mapped, and nothing failed.
  ASSERT_EQ(::rmdir((broken + "/unreadable.pem").c_str()), 0);
  RunState requeue = state;
  requeue.requeue.insert("2026-11-27");
  ASSERT_TRUE(SaveRunState(RunStatePath(root_), requeue).ok());
  const CycleResult again = RunCycle(Options(tmp_.path() + "/out3"), &pool, &state, &info);
  EXPECT_TRUE(again.ok());
  EXPECT_GT(pool.mapped(broken), maps);
  EXPECT_TRUE(state.failed.empty());
}

TEST_F(CycleTest, AnOkWithoutACommitIsAFailedAttempt) {
  // The only worker answers "ok" for one directory without mapping it: the
  // directory is failed and listed, not silently left out of the counts.
  absl::StatusOr<map::DataRootListing> listing = map::ListDataRoot(root_);
  ASSERT_TRUE(listing.ok());
  const std::string liar_dir = listing->dates.front().path;
  InProcessPool pool(64 << 20);
  pool.impostor = [&](const Envelope& task, Result* result) {
    if (!task.has_map_task() || task.map_task().directory() != liar_dir) return false;
    result->set_ok(true);
    result->mutable_map()->set_committed(true);
    result->mutable_map()->set_certificates(12345);
    return true;
  };
  RunState state;
  CycleInfo info;
  const std::string out = tmp_.path() + "/out";
  const CycleResult result = RunCycle(Options(out), &pool, &state, &info);
  EXPECT_TRUE(result.reports_written);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(pool.mapped(liar_dir), 0);  // it never ran
  const nlohmann::json summary = nlohmann::json::parse(ReadFile(out + "/summary.json"));
  EXPECT_EQ(summary["directories"]["failed"], nlohmann::json::array({listing->dates.front().name}));
  ASSERT_EQ(state.failed.count(listing->dates.front().name), 1u);
  EXPECT_NE(state.failed[listing->dates.front().name].last_error.find("oracle.out"),
            std::string::npos);
}

}  // namespace
}  // namespace ctmr::service
