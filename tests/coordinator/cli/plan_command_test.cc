#include "coordinator/cli/plan_command.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/map/map_plan.h"
#include "coordinator/service/map_work.h"
#include "tests/support/test_support.h"

namespace ctmr::cli {
namespace {

using ::ctmr::testing::ReadFile;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

class PlanCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"2026-11-26", "2026-11-27", "2026-11-28"}) {
      const std::string dir = tmp_.path() + "/" + name;
      ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
      WriteFile(dir + "/a.pem", "");
    }
    ASSERT_EQ(::mkdir((tmp_.path() + "/reports").c_str(), 0755), 0);
  }
  TempDir tmp_;
};

TEST_F(PlanCommandTest, ListsUnmappedDirectoriesAndSkipsFailedOnesUntilRequeued) {
  absl::StatusOr<map::DataRootListing> listing = map::ListDataRoot(tmp_.path());
  ASSERT_TRUE(listing.ok());
  service::RunState state;
  service::FailedDirectory& f = state.failed["2026-11-27"];
  f.input_fingerprint = *service::InputFingerprint(tmp_.path() + "/2026-11-27");
  state.failed["2026-11-28"].input_fingerprint = "stale";  // its input changed since
  const service::MapWork work = service::FindMapWork(*listing, state);
  ASSERT_EQ(work.to_map.size(), 2u);
  EXPECT_EQ(work.to_map[0]->name, "2026-11-26");
  EXPECT_EQ(work.to_map[1]->name, "2026-11-28");
  EXPECT_EQ(work.skipped_failed, std::vector<std::string>{"2026-11-27"});
  EXPECT_EQ(work.retried, std::vector<std::string>{"2026-11-28"});

  // The plan command reads the same state, with pending requeues applied.
  ASSERT_TRUE(service::SaveRunState(service::RunStatePath(tmp_.path()), state).ok());
  PlanOptions options{tmp_.path() + "/", ""};
  absl::StatusOr<std::vector<std::string>> entries = RunPlan(options);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(*entries,
            (std::vector<std::string>{tmp_.path() + "/2026-11-26", tmp_.path() + "/2026-11-28"}));
  EXPECT_EQ(ReadFile(tmp_.path() + "/state/map-plan.txt"),
            tmp_.path() + "/2026-11-26\n" + tmp_.path() + "/2026-11-28\n");
  state.requeue.insert("2026-11-27");
  ASSERT_TRUE(service::SaveRunState(service::RunStatePath(tmp_.path()), state).ok());
  options.out = tmp_.path() + "/plan.txt";
  entries = RunPlan(options);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 3u);
  EXPECT_EQ(*map::MapPlanEntry(options.out, 1), tmp_.path() + "/2026-11-27");
  // Only read: the request is still there for `run`.
  EXPECT_EQ(service::LoadRunState(service::RunStatePath(tmp_.path()))->requeue.count("2026-11-27"),
            1u);
}

}  // namespace
}  // namespace ctmr::cli
