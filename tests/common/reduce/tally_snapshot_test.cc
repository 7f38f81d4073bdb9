#include "common/reduce/tally_snapshot.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base/lock_file.h"
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
  EXPECT_EQ(::access((folder + ".ct-snapshot-lock").c_str(), F_OK), -1);
  EXPECT_EQ(ReadFile(dirs[0].path + "/oracle.out"), "second");
}

// A reduce killed with -9 leaves its snapshot; the next one removes it, but
// never one whose process still holds its lock, nor anything not ours.
TEST(TallySnapshotTest, TheNextSnapshotRemovesAbandonedOnes) {
  TempDir tmp;
  const std::string parent = tmp.path() + "/state/reduce";
  ASSERT_EQ(::mkdir((tmp.path() + "/state").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(parent.c_str(), 0755), 0);
  // Abandoned: folder and a lock nobody holds.
  ASSERT_EQ(::mkdir((parent + "/reduce-1-111").c_str(), 0755), 0);
  WriteFile(parent + "/reduce-1-111/2026-11-26", "tally");
  WriteFile(parent + "/reduce-1-111.ct-snapshot-lock", "");
  // Live: its lock is held (here by this test, as by a running reduce).
  ASSERT_EQ(::mkdir((parent + "/reduce-2-222").c_str(), 0755), 0);
  absl::StatusOr<std::unique_ptr<base::LockFile>> held =
      base::LockFile::Acquire(parent + "/reduce-2-222.ct-snapshot-lock", "test");
  ASSERT_TRUE(held.ok());
  // Not ours: no lock file.
  ASSERT_EQ(::mkdir((parent + "/something-else").c_str(), 0755), 0);

  absl::StatusOr<std::unique_ptr<TallySnapshot>> snapshot =
      TallySnapshot::Take(parent + "/reduce-3-333", {});
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(::access((parent + "/reduce-1-111").c_str(), F_OK), -1) << "abandoned, kept";
  EXPECT_EQ(::access((parent + "/reduce-1-111.ct-snapshot-lock").c_str(), F_OK), -1);
  EXPECT_EQ(::access((parent + "/reduce-2-222").c_str(), F_OK), 0) << "live, removed";
  EXPECT_EQ(::access((parent + "/something-else").c_str(), F_OK), 0) << "not ours, removed";
  // A snapshot in use is never taken for abandoned.
  EXPECT_EQ(TallySnapshot::RemoveAbandoned(parent), 0);
  EXPECT_EQ(::access((parent + "/reduce-3-333").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace ctmr::reduce
