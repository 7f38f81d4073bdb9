// ct-fetch's Prometheus metrics and its health rule, per followed log.
//
// Health: a log is healthy while it committed new entries within
// `2 × poll interval` (or since ct-fetch started, for the first window). CT
// logs grow all the time, so a log that stops growing, or that ct-fetch stops
// reading (errors, refused heads), turns /healthz to 500, which names it.
#ifndef CT_FETCHER_FETCH_METRICS_H_
#define CT_FETCHER_FETCH_METRICS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/metrics/metrics_server.h"
#include "fetcher/log_follower.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace ctmr::fetch {

class FetchMetrics {
 public:
  FetchMetrics(const std::vector<std::string>& log_names, std::chrono::milliseconds poll_interval,
               std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now());

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // After each committed batch of `log` (FollowerOptions::progress).
  void OnProgress(const std::string& log, const FetchProgress& progress,
                  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  // After each CatchUp() of `log`: its result and the writer's totals so far.
  void OnCatchUp(const std::string& log, const absl::Status& status,
                 const EntryWriterStats& totals);
  // Before each retry of an HTTP request (RetryPolicy::sleep).
  void OnRetry();

  // The /healthz answer at `now`.
  metrics::HealthStatus Health(std::chrono::steady_clock::time_point now) const;

 private:
  struct PerLog {
    prometheus::Counter* entries;
    prometheus::Counter* written;
    prometheus::Counter* expired;
    prometheus::Counter* duplicates;
    prometheus::Counter* verification_failures;
    prometheus::Counter* errors;
    prometheus::Gauge* tree_size;
    prometheus::Gauge* next_index;
    prometheus::Gauge* lag;
    uint64_t last_fetched = 0;  // FetchProgress::fetched within the current CatchUp()
    EntryWriterStats last_totals;
    std::chrono::steady_clock::time_point last_progress;
    uint64_t last_next_index = 0;
  };

  std::shared_ptr<prometheus::Registry> registry_;
  std::chrono::milliseconds poll_interval_;
  prometheus::Counter* retries_;
  mutable std::mutex mu_;
  std::map<std::string, PerLog> logs_;
};

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_FETCH_METRICS_H_
