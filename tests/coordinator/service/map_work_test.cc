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

// A directory is split only over a committed tally that is whole: a part
// never starts from a corrupt one, the whole map starts over.
TEST(SplitMapTaskTest, SplitsBigInputUnlessTheCommittedTallyIsCorrupt) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/2025-08-01";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  const std::string pem = ReadFile("tests/data/certs/navigli2025h2-tiles-000-001.pem");
  const size_t half = pem.find("-----BEGIN", pem.size() / 2);
  ASSERT_NE(half, std::string::npos);
  WriteFile(dir + "/a.pem", pem.substr(0, half));
  WriteFile(dir + "/b.pem", pem.substr(0, half));
  auto suffixes = names::PublicSuffixList::LoadLatest();
  ASSERT_TRUE(suffixes.ok());
  map::DirectoryMapper mapper(suffixes->get());
  ASSERT_TRUE(mapper.Map(dir).ok());
  AppendFile(dir + "/a.pem", pem.substr(half));
  AppendFile(dir + "/b.pem", pem.substr(half));
  EXPECT_EQ(SplitMapTask(dir, Header(dir), 1, 2, "p").size(), 2u);
  EXPECT_TRUE(SplitMapTask(dir, Header(dir), 1, 1, "p").empty()) << "one slot";
  EXPECT_TRUE(SplitMapTask(dir, Header(dir), 0, 2, "p").empty()) << "never split";
  uint64_t at = 0;
  {
    auto reader = tally::OracleReader::Open(dir + "/oracle.out");
    ASSERT_TRUE(reader.ok() && reader->has_value());
    ASSERT_GT((*reader)->issuers().at(0).serials.count, 0u);
    at = (*reader)->issuers()[0].serials.offset;
  }
  std::string bytes = ReadFile(dir + "/oracle.out");
  bytes[at] ^= 0x01;  // a serial: the trailer intact, the checksum not
  WriteFile(dir + "/oracle.out", bytes);
  EXPECT_TRUE(SplitMapTask(dir, Header(dir), 1, 2, "p").empty());
}

}  // namespace
}  // namespace ctmr::service
