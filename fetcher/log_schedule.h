// When ct-fetch catches a log up next: the state machine each followed log
// runs on its own thread (fetcher/main.cc), with the clock passed in so that
// tests drive it with a fake one.
//
//   kCatchingUp --OK--------> kWaiting    (next catch-up after poll ± 10 %)
//               --error-----> kBackingOff (after backoff: 2^failures × initial,
//                                          capped, ± 10 %; reset by an OK)
//               --OK, once--> kDone
//               --error, once-> kFailed
//   kWaiting / kBackingOff --Start()--> kCatchingUp
//
// A log's schedule never depends on another log's: a slow or failing log
// only ever delays itself. Not thread-safe (one per log thread).
#ifndef CT_FETCHER_LOG_SCHEDULE_H_
#define CT_FETCHER_LOG_SCHEDULE_H_

#include <chrono>
#include <cstdint>
#include <random>

#include "absl/status/status.h"

namespace ctmr::fetch {

enum class LogState { kCatchingUp, kWaiting, kBackingOff, kDone, kFailed };

const char* LogStateName(LogState state);

struct LogScheduleOptions {
  std::chrono::milliseconds poll{60'000};
  std::chrono::milliseconds initial_backoff{30'000};
  std::chrono::milliseconds max_backoff{1'800'000};
  bool once = false;  // one catch-up, then kDone or kFailed
};

class LogSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  LogSchedule(LogScheduleOptions options, uint64_t seed);

  LogState state() const { return state_; }
  // When the next catch-up is due (kWaiting, kBackingOff).
  Clock::time_point next_start() const { return next_start_; }
  int consecutive_failures() const { return failures_; }
  bool finished() const { return state_ == LogState::kDone || state_ == LogState::kFailed; }

  // A catch-up begins (from kWaiting or kBackingOff; the first one too).
  void Start();
  // The catch-up ended at `now` with `status`.
  void Ended(const absl::Status& status, Clock::time_point now);

 private:
  std::chrono::milliseconds Jitter(std::chrono::milliseconds d);

  LogScheduleOptions options_;
  std::mt19937_64 rng_;
  LogState state_ = LogState::kCatchingUp;
  Clock::time_point next_start_{};
  int failures_ = 0;
};

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_LOG_SCHEDULE_H_
