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

}  // namespace
}  // namespace ctmr::base
