#include "coordinator/service/distributed_reduce.h"

#include "common/base/civil_date.h"
#include "coordinator/report/reports.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/coordinator/service/in_process_pool.h"
#include "tests/support/test_support.h"

namespace ctmr::service {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::RunCommand;
using ::ctmr::testing::TempDir;

constexpr char kAsOf[] = "2026-11-26";

TEST(ShardCapacityTest, TheSmallestBudgetPerThreadOfTheWorkersThatTakeTasks) {
  SchedulerOptions options;
  options.min_shard_budget = 1;  // small numbers, for reading
  Scheduler scheduler(options);
  EXPECT_EQ(ShardCapacity(scheduler, 1000), 500u) << "no worker known: half the limit";
  Ready a;
  a.set_threads(4);
  a.set_memory_budget(400);
  scheduler.OnReady("a", a, 0);
  Ready b;
  b.set_threads(1);
  b.set_memory_budget(300);
  scheduler.OnReady("b", b, 0);
  Ready unknown;  // no budget announced: not counted
  scheduler.OnReady("c", unknown, 0);
  EXPECT_EQ(ShardCapacity(scheduler, 1000), 100u);
}

TEST(ShardCapacityTest, ATinyBudgetIsIgnoredAndGetsNoShardTask) {
  // A worker announcing a memory budget of 1 byte once made 386,880 shards.
  Scheduler scheduler(SchedulerOptions{});
  Ready tiny;
  tiny.set_worker_name("tiny:1");
  tiny.set_threads(1);
  tiny.set_memory_budget(1);
  scheduler.OnReady("a", tiny, 0);
  EXPECT_EQ(ShardCapacity(scheduler, uint64_t{1} << 30), uint64_t{512} << 20);
  Ready roomy;
  roomy.set_worker_name("roomy:1");
  roomy.set_threads(2);
  roomy.set_memory_budget(uint64_t{256} << 20);
  scheduler.OnReady("b", roomy, 0);
  EXPECT_EQ(ShardCapacity(scheduler, uint64_t{1} << 30), uint64_t{128} << 20);
  for (int i = 0; i < 3; ++i) scheduler.AddShardTask(ShardTask());
  const std::vector<Outgoing> out = scheduler.Dispatch(0);
  ASSERT_EQ(out.size(), 2u);  // b's two threads; a gets none
  for (const Outgoing& o : out) EXPECT_EQ(o.routing_id, "b");
}

// The reduce with its shards as tasks, on a worker whose budget forces
// splits, counts what the in-process reduce (`ct-coordinator reduce`) counts.
TEST(DistributedReduceTest, SplitsShardsThatDoNotFitAndCountsAsReduceDoes) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root, "--certs", "3000", "--days", "10",
                         "--first-date", "2026-11-20", "--as-of", kAsOf, "--seed", "9",
                         "--window-days", "0"});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  // Maps every directory, and gives the reference reports.
  const std::string want = tmp.path() + "/want";
  auto reduce = RunCommand(ctmr::testing::ReduceArgv(root, kAsOf, want, {"--window-days", "0"}));
  ASSERT_EQ(reduce.exit_code, 0) << reduce.output;

  absl::StatusOr<map::DataRootListing> listing = map::ListDataRoot(root);
  ASSERT_TRUE(listing.ok());
  std::vector<const map::DateDirectory*> dirs;
  for (const map::DateDirectory& d : listing->dates) dirs.push_back(&d);
  RunOptions options;
  options.data_dir = root;
  options.shards = 1;  // one shard of everything
  options.memory_limit = 256 << 20;
  const int32_t as_of = *base::ParseDate(kAsOf);
  // What the one shard needs, on a worker it fits...
  InProcessPool roomy(64 << 20);
  absl::StatusOr<reduce::ReduceOutcome> whole =
      ReduceOnWorkers(options, "test-whole", as_of, dirs, &roomy);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->run.splits, 0u);
  const uint64_t needed = whole->run.peak_reserved;
  ASSERT_GT(needed, 0u);
  // ... and on one with a third of that: split, each piece within the budget.
  InProcessPool pool(needed / 3);
  absl::StatusOr<reduce::ReduceOutcome> out =
      ReduceOnWorkers(options, "test-split", as_of, dirs, &pool);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_GT(out->run.splits, 0u);
  EXPECT_EQ(static_cast<uint64_t>(pool.shard_tasks()), out->run.shards + out->run.splits);
  EXPECT_LE(out->run.peak_reserved, needed / 3);
  EXPECT_EQ(out->stats.totals.fqdns, whole->stats.totals.fqdns);

  report::Report got;
  got.as_of = as_of;
  got.stats = std::move(out->stats);
  got.mapped_directories = listing->dates.size();
  got.invalid_date_directories = listing->invalid_date_names;
  got.data_dir = root;
  const std::string got_dir = tmp.path() + "/got";
  ASSERT_TRUE(report::WriteReports(got_dir, got).ok());
  for (const char* name : {"active-by-issuer.csv", "issued-per-day.csv", "cert-daily-stats.tsv"}) {
    EXPECT_TRUE(ReadFile(got_dir + "/" + name) == ReadFile(want + "/" + name)) << name;
  }
  const nlohmann::json got_summary = nlohmann::json::parse(ReadFile(got_dir + "/summary.json"));
  const nlohmann::json want_summary = nlohmann::json::parse(ReadFile(want + "/summary.json"));
  EXPECT_EQ(got_summary["totals"], want_summary["totals"]);
}

// A worker that invents counts (here: a total above the sum of its issuers)
// does not get them published: each such result is a failed attempt, and
// the reduce fails rather than report them.
TEST(DistributedReduceTest, InventedShardCountsAreRejected) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  auto gen = RunCommand({BinaryPath("ct-gen"), "--out", root, "--certs", "500", "--days", "5",
                         "--first-date", "2026-11-22", "--as-of", kAsOf, "--seed", "3",
                         "--window-days", "0"});
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  auto reduce = RunCommand(ctmr::testing::ReduceArgv(root, kAsOf, tmp.path() + "/want", {}));
  ASSERT_EQ(reduce.exit_code, 0) << reduce.output;  // maps every directory
  absl::StatusOr<map::DataRootListing> listing = map::ListDataRoot(root);
  ASSERT_TRUE(listing.ok());
  std::vector<const map::DateDirectory*> dirs;
  for (const map::DateDirectory& d : listing->dates) dirs.push_back(&d);
  RunOptions options;
  options.data_dir = root;
  options.shards = 1;
  options.memory_limit = 256 << 20;
  base::MemoryBudget budget(64 << 20);
  InProcessPool pool(64 << 20);
  int lies = 0;
  pool.impostor = [&](const Envelope& task, Result* result) {
    if (!task.has_shard_task()) return false;
    *result = worker::RunShardTask(task.shard_task(), &budget);
    result->mutable_shard()->mutable_totals()->set_fqdns(result->shard().totals().fqdns() * 1000 +
                                                         1);
    ++lies;
    return true;
  };
  absl::StatusOr<reduce::ReduceOutcome> out =
      ReduceOnWorkers(options, "test-lies", *base::ParseDate(kAsOf), dirs, &pool);
  EXPECT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("FQDNs in total"), std::string::npos) << out.status();
  EXPECT_EQ(lies, 3);  // the first shard, tried max_attempts times
}

}  // namespace
}  // namespace ctmr::service
