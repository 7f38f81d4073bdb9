#include "common/base/lock_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "tests/support/test_support.h"

namespace ctmr::base {
namespace {

using ::ctmr::testing::TempDir;

// Whether another process can take the lock on `path` right now: a child
// tries (flock locks belong to open file descriptions, so a second open in
// this process would conflict too, but a child shows what another
// ct-fetch or coordinator would see).
bool OtherProcessCanLock(const std::string& path) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    absl::StatusOr<std::unique_ptr<LockFile>> lock = LockFile::Acquire(path, "the test");
    ::_exit(lock.ok() ? 0 : absl::IsFailedPrecondition(lock.status()) ? 1 : 2);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 2) << "the child could not open " << path;
  return WEXITSTATUS(status) == 0;
}

TEST(LockFileTest, HeldUntilDestroyed) {
  TempDir tmp;
  const std::string path = tmp.path() + "/x.lock";
  {
    absl::StatusOr<std::unique_ptr<LockFile>> lock = LockFile::Acquire(path, "another writer");
    ASSERT_TRUE(lock.ok()) << lock.status();
    EXPECT_FALSE(OtherProcessCanLock(path));
  }
  EXPECT_TRUE(OtherProcessCanLock(path));
}

TEST(LockFileTest, ASecondHolderIsRefusedByName) {
  TempDir tmp;
  const std::string path = tmp.path() + "/x.lock";
  absl::StatusOr<std::unique_ptr<LockFile>> first = LockFile::Acquire(path, "another writer");
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::unique_ptr<LockFile>> second = LockFile::Acquire(path, "another writer");
  ASSERT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  EXPECT_EQ(second.status().message(), "another writer holds " + path);
}

TEST(LockFileTest, AFolderThatDoesNotExistIsAnError) {
  absl::StatusOr<std::unique_ptr<LockFile>> lock =
      LockFile::Acquire("/nonexistent-ctmr/x.lock", "another writer");
  EXPECT_TRUE(absl::IsInternal(lock.status())) << lock.status();
}

}  // namespace
}  // namespace ctmr::base
