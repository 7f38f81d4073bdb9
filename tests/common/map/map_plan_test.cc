#include "common/map/map_plan.h"

#include <gtest/gtest.h>

#include "common/base/file_util.h"
#include "tests/support/test_support.h"

namespace ctmr::map {
namespace {

using ::ctmr::testing::TempDir;

TEST(MapPlanTest, OneAbsolutePathPerLine) {
  absl::StatusOr<std::string> text = FormatMapPlan({"/ct/2026-11-26", "/ct/2026-11-27"});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "/ct/2026-11-26\n/ct/2026-11-27\n");
  EXPECT_EQ(*FormatMapPlan({}), "");
  absl::StatusOr<std::vector<std::string>> back = ParseMapPlan(*text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (std::vector<std::string>{"/ct/2026-11-26", "/ct/2026-11-27"}));
  EXPECT_TRUE(ParseMapPlan("")->empty());
}

TEST(MapPlanTest, RejectsWhatIsNotAPlan) {
  for (const char* bad : {"relative/2026-11-26", "", "/a\nb"}) {
    EXPECT_EQ(FormatMapPlan({bad}).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ParseMapPlan("/ct/2026-11-26").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseMapPlan("/ct/a\n\n/ct/b\n").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseMapPlan("# comment\n").status().code(), absl::StatusCode::kDataLoss);
}

TEST(MapPlanTest, EntryByIndexAndOutOfRange) {
  TempDir tmp;
  const std::string plan = tmp.path() + "/plan.txt";
  ASSERT_TRUE(base::WriteFileAtomically(plan, "/ct/a\n/ct/b\n/ct/c\n").ok());
  EXPECT_EQ(*MapPlanEntry(plan, 0), "/ct/a");
  EXPECT_EQ(*MapPlanEntry(plan, 2), "/ct/c");
  for (int64_t bad : {int64_t{3}, int64_t{-1}}) {
    absl::StatusOr<std::string> entry = MapPlanEntry(plan, bad);
    ASSERT_EQ(entry.status().code(), absl::StatusCode::kOutOfRange);
    EXPECT_NE(entry.status().message().find("lists 3 directories (0 to 2)"), std::string::npos)
        << entry.status();
  }
  EXPECT_EQ(MapPlanEntry(tmp.path() + "/missing", 0).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ctmr::map
