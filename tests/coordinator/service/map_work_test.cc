#include "coordinator/service/map_work.h"

#include <sys/stat.h>

#include "common/map/directory_mapper.h"
#include "common/tally/oracle_reader.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::service {
namespace {

using ::ctmr::testing::AppendFile;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WriteFile;

MapResult Claimed(bool committed) {
  MapResult r;
  r.set_committed(committed);
  return r;
}

std::optional<DirectoryTally> Header(const std::string& dir) {
  absl::StatusOr<std::optional<DirectoryTally>> h = tally::LoadOracleHeader(dir);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *h : std::nullopt;
}

// A worker's "ok" is believed only when the disk backs it.
TEST(CheckMapCommittedTest, AnOkMustLeaveATallyThatCoversTheInputOrChanged) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/2025-08-01";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  const std::string pem = ReadFile("tests/data/certs/navigli2025h2-tiles-000-001.pem");
  const size_t half = pem.find("-----BEGIN", pem.size() / 2);
  ASSERT_NE(half, std::string::npos);
  WriteFile(dir + "/x.pem", pem.substr(0, half));

  // Nothing committed at all.
  absl::Status s = CheckMapCommitted(dir, std::nullopt, Claimed(true));
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("no oracle.out"), std::string::npos) << s;

  auto suffixes = names::PublicSuffixList::LoadLatest();
  ASSERT_TRUE(suffixes.ok());
  map::DirectoryMapper mapper(suffixes->get());
  ASSERT_TRUE(mapper.Map(dir).ok());
  EXPECT_TRUE(CheckMapCommitted(dir, std::nullopt, Claimed(true)).ok());

  // New input; a worker claims a commit it did not make.
  const std::optional<DirectoryTally> before = Header(dir);
  AppendFile(dir + "/x.pem", pem.substr(half));
  s = CheckMapCommitted(dir, before, Claimed(true));
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  // "Nothing new" is believed (a half-written last block looks the same).
  EXPECT_TRUE(CheckMapCommitted(dir, before, Claimed(false)).ok());
  // A real map covers it.
  ASSERT_TRUE(mapper.Map(dir).ok());
  EXPECT_TRUE(CheckMapCommitted(dir, before, Claimed(true)).ok());
  // Input appended after the commit: the tally changed since `before`.
  AppendFile(dir + "/x.pem", pem.substr(0, half));
  EXPECT_TRUE(CheckMapCommitted(dir, before, Claimed(true)).ok());
}

}  // namespace
}  // namespace ctmr::service
