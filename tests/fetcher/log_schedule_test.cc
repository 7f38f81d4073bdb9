#include "fetcher/log_schedule.h"

#include <gtest/gtest.h>

#include <chrono>

#include "absl/status/status.h"

namespace ctmr::fetch {
namespace {

using std::chrono::milliseconds;
using Clock = LogSchedule::Clock;

LogScheduleOptions Options(bool once = false) {
  LogScheduleOptions o;
  o.poll = milliseconds(60'000);
  o.initial_backoff = milliseconds(30'000);
  o.max_backoff = milliseconds(1'800'000);
  o.once = once;
  return o;
}

// Within ±10 % of `want` after `from` (the jitter).
void ExpectAbout(Clock::time_point at, Clock::time_point from, milliseconds want) {
  const auto got = std::chrono::duration_cast<milliseconds>(at - from);
  EXPECT_GE(got.count(), want.count() * 9 / 10);
  EXPECT_LE(got.count(), want.count() * 11 / 10);
}

TEST(LogScheduleTest, CaughtUpWaitsAPollThenCatchesUpAgain) {
  LogSchedule s(Options(), 1);
  const Clock::time_point t0{};  // a fake clock: the schedule only reads what it is given
  EXPECT_EQ(s.state(), LogState::kCatchingUp);
  s.Ended(absl::OkStatus(), t0);
  EXPECT_EQ(s.state(), LogState::kWaiting);
  ExpectAbout(s.next_start(), t0, milliseconds(60'000));
  s.Start();
  EXPECT_EQ(s.state(), LogState::kCatchingUp);
}

TEST(LogScheduleTest, FailuresBackOffExponentiallyUpToTheCapAndAnOkResets) {
  LogSchedule s(Options(), 2);
  Clock::time_point now{};
  milliseconds want(30'000);
  for (int i = 1; i <= 10; ++i) {
    s.Start();
    s.Ended(absl::UnavailableError("log down"), now);
    EXPECT_EQ(s.state(), LogState::kBackingOff);
    EXPECT_EQ(s.consecutive_failures(), i);
    ExpectAbout(s.next_start(), now, want);
    now = s.next_start();
    want = std::min(want * 2, milliseconds(1'800'000));
  }
  s.Start();
  s.Ended(absl::OkStatus(), now);
  EXPECT_EQ(s.state(), LogState::kWaiting);
  EXPECT_EQ(s.consecutive_failures(), 0);
  s.Start();
  s.Ended(absl::UnavailableError("again"), now);
  ExpectAbout(s.next_start(), now, milliseconds(30'000));
}

TEST(LogScheduleTest, OnceEndsDoneOrFailedAndStaysThere) {
  LogSchedule ok(Options(/*once=*/true), 3);
  ok.Ended(absl::OkStatus(), Clock::time_point{});
  EXPECT_EQ(ok.state(), LogState::kDone);
  EXPECT_TRUE(ok.finished());
  ok.Start();
  EXPECT_EQ(ok.state(), LogState::kDone);

  LogSchedule failed(Options(/*once=*/true), 4);
  failed.Ended(absl::DataLossError("bad proof"), Clock::time_point{});
  EXPECT_EQ(failed.state(), LogState::kFailed);
  EXPECT_TRUE(failed.finished());
  EXPECT_STREQ(LogStateName(failed.state()), "failed");
}

}  // namespace
}  // namespace ctmr::fetch
