#include "fetcher/log_schedule.h"

#include <algorithm>

namespace ctmr::fetch {

const char* LogStateName(LogState state) {
  switch (state) {
    case LogState::kCatchingUp:
      return "catching up";
    case LogState::kWaiting:
      return "waiting";
    case LogState::kBackingOff:
      return "backing off";
    case LogState::kDone:
      return "done";
    case LogState::kFailed:
      return "failed";
  }
  return "?";
}

LogSchedule::LogSchedule(LogScheduleOptions options, uint64_t seed)
    : options_(options), rng_(seed) {}

std::chrono::milliseconds LogSchedule::Jitter(std::chrono::milliseconds d) {
  // ±10 %, so that many fetchers (or many logs) do not poll in step.
  std::uniform_real_distribution<double> factor(0.9, 1.1);
  return std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(d.count()) * factor(rng_)));
}

void LogSchedule::Start() {
  if (!finished()) state_ = LogState::kCatchingUp;
}

void LogSchedule::Ended(const absl::Status& status, Clock::time_point now) {
  if (status.ok()) {
    failures_ = 0;
    if (options_.once) {
      state_ = LogState::kDone;
      return;
    }
    state_ = LogState::kWaiting;
    next_start_ = now + Jitter(options_.poll);
    return;
  }
  ++failures_;
  if (options_.once) {
    state_ = LogState::kFailed;
    return;
  }
  state_ = LogState::kBackingOff;
  std::chrono::milliseconds backoff = options_.initial_backoff;
  for (int i = 1; i < failures_ && backoff < options_.max_backoff; ++i) backoff *= 2;
  next_start_ = now + Jitter(std::min(backoff, options_.max_backoff));
}

}  // namespace ctmr::fetch
