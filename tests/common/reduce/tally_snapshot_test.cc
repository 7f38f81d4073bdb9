#include "common/reduce/tally_snapshot.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/test_support.h"

namespace ctmr::reduce {
namespace {

using ::ctmr::testing::ReadFile;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

TEST(TallySnapshotTest, PinsEachTallyUntilDestroyed) {
  TempDir tmp;
  std::vector<map::DateDirectory> dirs = {{"2026-11-26", tmp.path() + "/2026-11-26", 0},
                                          {"2026-11-27", tmp.path() + "/2026-11-27", 1}};
  for (const map::DateDirectory& d : dirs) ASSERT_EQ(::mkdir(d.path.c_str(), 0755), 0);
  WriteFile(dirs[0].path + "/oracle.out", "first");  // 2026-11-27 is not mapped
  const std::string folder = tmp.path() + "/state/reduce/x";
  {
    absl::StatusOr<std::unique_ptr<TallySnapshot>> snapshot =
        TallySnapshot::Take(folder, {&dirs[0], &dirs[1]});
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    EXPECT_TRUE((*snapshot)->pinned());
    ASSERT_EQ((*snapshot)->directories().size(), 1u);
    EXPECT_EQ((*snapshot)->directories()[0]->name, "2026-11-26");
    // A map commits: a new file renamed over oracle.out.
    WriteFile(dirs[0].path + "/oracle.out.tmp", "second");
    ASSERT_EQ(::rename((dirs[0].path + "/oracle.out.tmp").c_str(),
                       (dirs[0].path + "/oracle.out").c_str()),
              0);
    EXPECT_EQ(ReadFile(folder + "/2026-11-26"), "first");
    EXPECT_EQ(::access((folder + "/2026-11-27").c_str(), F_OK), -1);
    // A second snapshot into the same folder is refused.
    EXPECT_FALSE(TallySnapshot::Take(folder, {&dirs[0]}).ok());
  }
  EXPECT_EQ(::access(folder.c_str(), F_OK), -1);
  EXPECT_EQ(ReadFile(dirs[0].path + "/oracle.out"), "second");
}

}  // namespace
}  // namespace ctmr::reduce
