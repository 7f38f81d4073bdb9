// ct-coordinator run's Prometheus metrics (served with --metrics-listen):
// the tasks' results (common/metrics/task_metrics.h, prefix ct_coordinator_), and a
// mirror of the scheduler, refreshed by the socket thread:
//
//   ct_coordinator_tasks{state="queued|leased|done|failed"}   tasks of this cycle
//   ct_coordinator_workers, ct_coordinator_worker_threads     connected workers
//   ct_coordinator_task_retries_total{reason="lease_expired|worker_dead"}
//   ct_coordinator_results_discarded_total                   late or duplicate results
//   ct_coordinator_cycles_total{outcome="ok|failed"}
//
// /healthz is 200 while the socket thread refreshed the mirror within 30 s.
#ifndef CT_COORDINATOR_SERVICE_RUN_METRICS_H_
#define CT_COORDINATOR_SERVICE_RUN_METRICS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/metrics/metrics_server.h"
#include "common/metrics/task_metrics.h"
#include "coordinator/service/scheduler.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace ctmr::service {

class RunMetrics {
 public:
  RunMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // A result of a task of `kind` (TaskMetrics::KindOf) that the scheduler
  // took with `outcome`.
  void OnResult(const std::string& kind, ResultOutcome outcome, const Result& result);
  // Refreshes the mirror of `scheduler` (cheap enough for every loop turn: it
  // does the work at most twice a second, unless `force`).
  void Observe(const Scheduler& scheduler, int64_t now_ms, bool force = false);
  void OnCycle(bool ok);
  // LocalWorkers::restarts(), a running total.
  void OnLocalWorkerRestarts(uint64_t total);

  metrics::HealthStatus Health(int64_t now_ms) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  metrics::TaskMetrics tasks_;
  prometheus::Family<prometheus::Gauge>* task_states_;
  prometheus::Gauge* workers_;
  prometheus::Gauge* worker_threads_;
  prometheus::Counter* lease_expired_;
  prometheus::Counter* worker_dead_;
  prometheus::Counter* discarded_;
  prometheus::Counter* local_restarts_;
  prometheus::Counter* quarantines_;
  uint64_t seen_quarantines_ = 0;
  uint64_t seen_restarts_ = 0;
  prometheus::Family<prometheus::Counter>* cycles_;
  uint64_t seen_expired_ = 0, seen_dead_ = 0, seen_discarded_ = 0;
  int64_t last_refresh_ms_ = 0;
  std::atomic<int64_t> last_observe_ms_{0};
};

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_RUN_METRICS_H_
