#include "common/map/data_root.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::map {
namespace {

using ::ctmr::testing::TempDir;

std::vector<std::string> Names(const DataRootListing& listing) {
  std::vector<std::string> out;
  for (const DateDirectory& d : listing.dates) out.push_back(d.name);
  return out;
}

TEST(DataRootTest, ListsDateDirectoriesAndInvalidNames) {
  TempDir tmp;
  const std::string root = tmp.path();
  for (const char* name : {"2026-11-27", "2026-11-26", "2026-13-45", "state", "reports"}) {
    ASSERT_EQ(::mkdir((root + "/" + name).c_str(), 0755), 0);
  }
  ::ctmr::testing::WriteFile(root + "/2026-11-28", "a file, not a folder");
  absl::StatusOr<DataRootListing> listing = ListDataRoot(root);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_EQ(Names(*listing), (std::vector<std::string>{"2026-11-26", "2026-11-27"}));
  EXPECT_EQ(listing->invalid_date_names, std::vector<std::string>{"2026-13-45"});
}

// The map writes oracle.out into each date directory: a symbolic link out of
// the root (or to another date directory, which would count twice) is not a
// date directory to map, and is named among the invalid ones.
TEST(DataRootTest, SymlinksOutOfTheRootAreInvalid) {
  TempDir tmp;
  const std::string root = tmp.path() + "/root";
  const std::string outside = tmp.path() + "/outside";
  ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(outside.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((root + "/2026-11-30").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((root + "/archive").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((root + "/archive/old").c_str(), 0755), 0);
  ASSERT_EQ(::symlink(outside.c_str(), (root + "/2026-12-01").c_str()), 0);
  ASSERT_EQ(::symlink("../outside", (root + "/2026-12-02").c_str()), 0);
  ASSERT_EQ(::symlink("2026-11-30", (root + "/2026-12-03").c_str()), 0);
  ASSERT_EQ(::symlink("archive/old", (root + "/2026-12-04").c_str()), 0);

  absl::StatusOr<DataRootListing> listing = ListDataRoot(root);
  ASSERT_TRUE(listing.ok()) << listing.status();
  EXPECT_EQ(Names(*listing), (std::vector<std::string>{"2026-11-30", "2026-12-04"}));
  EXPECT_EQ(listing->invalid_date_names,
            (std::vector<std::string>{"2026-12-01", "2026-12-02", "2026-12-03"}));

  absl::Status out = CheckDateDirectoryLink(root, root + "/2026-12-01");
  EXPECT_EQ(out.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(out.message().find("2026-12-01"), std::string::npos) << out;
  EXPECT_NE(out.message().find("resolves outside the data root"), std::string::npos) << out;
  EXPECT_TRUE(CheckDateDirectoryLink(root, root + "/2026-11-30").ok());
  EXPECT_TRUE(CheckDateDirectoryLink(root, root + "/2026-12-04").ok());
  // The root itself may be reached through a link.
  ASSERT_EQ(::symlink(root.c_str(), (tmp.path() + "/root-link").c_str()), 0);
  EXPECT_TRUE(
      CheckDateDirectoryLink(tmp.path() + "/root-link", tmp.path() + "/root-link/2026-12-04").ok());
  EXPECT_FALSE(
      CheckDateDirectoryLink(tmp.path() + "/root-link", tmp.path() + "/root-link/2026-12-01").ok());
}

}  // namespace
}  // namespace ctmr::map
