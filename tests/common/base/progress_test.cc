#include "common/base/progress.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace ctmr::base {
namespace {

// What `progress` wrote to its file (not a terminal).
class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override { file_ = std::tmpfile(); }
  void TearDown() override { std::fclose(file_); }

  std::string Written() {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    char buffer[256];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file_)) > 0) text.append(buffer, n);
    return text;
  }

  std::FILE* file_ = nullptr;
};

TEST_F(ProgressTest, NotATerminalPrintsPlainLines) {
  Progress progress(file_, std::chrono::hours(1));
  EXPECT_FALSE(progress.tty());
  progress.Update("map: 1/3 done");
  progress.Update("map: 2/3 done");  // within the hour: not printed
  progress.Print("dir failed");
  progress.Break();
  EXPECT_EQ(Written(), "map: 1/3 done\ndir failed\n");
}

TEST_F(ProgressTest, WithNoIntervalEveryUpdateIsPrinted) {
  Progress progress(file_, std::chrono::steady_clock::duration::zero());
  progress.Update("a");
  progress.Update("b");
  EXPECT_EQ(Written(), "a\nb\n");
}

// ct-fetch's lines: one per log and a total, printed together, at most once
// per interval when not on a terminal; a line that stays comes out at once.
TEST_F(ProgressTest, ABlockOfLinesIsPrintedTogetherAtMostOncePerInterval) {
  Progress progress(file_, std::chrono::hours(1));
  progress.UpdateBlock({"log1: 10 / 100 entries", "log2: 5 / 50 entries", "all 2 logs: 15 / 150"});
  progress.UpdateBlock({"log1: 20 / 100 entries", "log2: 6 / 50 entries", "all 2 logs: 26 / 150"});
  progress.Print("log2: 50 / 50 entries");
  EXPECT_EQ(Written(),
            "log1: 10 / 100 entries\nlog2: 5 / 50 entries\nall 2 logs: 15 / 150\n"
            "log2: 50 / 50 entries\n");
}

}  // namespace
}  // namespace ctmr::base
