#include "coordinator/service/run_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/base/file_util.h"

namespace ctmr::service {
namespace {

std::string TempDir() {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("run_state_test." + std::to_string(::getpid()) + "." +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                        .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(RunStateTest, MissingFileIsEmpty) {
  const std::string dir = TempDir();
  absl::StatusOr<RunState> s = LoadRunState(RunStatePath(dir));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->failed.empty());
  EXPECT_TRUE(s->requeue.empty());
}

TEST(RunStateTest, RoundTrips) {
  const std::string dir = TempDir();
  RunState s;
  s.failed["2026-11-30"] = {3, "PERMANENT", "2026-11-30/x.pem: Is a directory", "abc",
                            "2026-11-26T10:00:00Z"};
  s.last_run.run_id = "r1";
  s.last_run.mapped = 7;
  s.workers = {"host:1"};
  s.requeue = {"2026-12-01"};
  ASSERT_TRUE(SaveRunState(RunStatePath(dir), s).ok());
  absl::StatusOr<RunState> back = LoadRunState(RunStatePath(dir));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->failed.size(), 1u);
  const FailedDirectory& f = back->failed.at("2026-11-30");
  EXPECT_EQ(f.attempts, 3u);
  EXPECT_EQ(f.error_kind, "PERMANENT");
  EXPECT_EQ(f.last_error, "2026-11-30/x.pem: Is a directory");
  EXPECT_EQ(f.input_fingerprint, "abc");
  EXPECT_EQ(back->last_run.run_id, "r1");
  EXPECT_EQ(back->last_run.mapped, 7u);
  EXPECT_EQ(back->workers, std::vector<std::string>{"host:1"});
  EXPECT_EQ(back->requeue, std::set<std::string>{"2026-12-01"});
}

TEST(RunStateTest, CorruptFileIsDataLoss) {
  const std::string dir = TempDir();
  std::filesystem::create_directories(dir + "/state");
  ASSERT_TRUE(base::WriteFileAtomically(RunStatePath(dir), "{not json").ok());
  EXPECT_TRUE(absl::IsDataLoss(LoadRunState(RunStatePath(dir)).status()));
}

TEST(RunStateTest, RequeueClearsNamedOrAll) {
  RunState s;
  s.failed["a"] = {};
  s.failed["b"] = {};
  s.failed["c"] = {};
  s.requeue = {"b", "zzz"};
  EXPECT_EQ(ApplyRequeue(s), std::vector<std::string>{"b"});
  EXPECT_EQ(s.failed.size(), 2u);
  EXPECT_TRUE(s.requeue.empty());
  s.requeue = {"*"};
  EXPECT_EQ(ApplyRequeue(s), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(s.failed.empty());
}

TEST(RunStateTest, FingerprintChangesWithInputOnly) {
  const std::string dir = TempDir();
  { std::ofstream(dir + "/issuer.pem") << "-----BEGIN CERTIFICATE-----\n"; }
  absl::StatusOr<std::string> a = InputFingerprint(dir);
  ASSERT_TRUE(a.ok());
  { std::ofstream(dir + "/oracle.out") << "tally"; }
  EXPECT_EQ(*InputFingerprint(dir), *a);  // the map's own files do not count
  { std::ofstream(dir + "/issuer.pem", std::ios::app) << "more"; }
  EXPECT_NE(*InputFingerprint(dir), *a);
  EXPECT_FALSE(InputFingerprint(dir + "/missing").ok());
}

}  // namespace
}  // namespace ctmr::service
