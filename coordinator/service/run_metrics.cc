#include "coordinator/service/run_metrics.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace ctmr::service {
namespace {

const char* OutcomeName(ResultOutcome outcome) {
  switch (outcome) {
    case ResultOutcome::kCommitted:
      return "ok";
    case ResultOutcome::kRequeued:
      return "error";
    case ResultOutcome::kFailed:
      return "failed";
    case ResultOutcome::kDiscarded:
      return "discarded";
  }
  return "unknown";
}

}  // namespace

RunMetrics::RunMetrics()
    : registry_(std::make_shared<prometheus::Registry>()), tasks_("coordinator", registry_.get()) {
  task_states_ = &prometheus::BuildGauge()
                      .Name("ct_coordinator_tasks")
                      .Help("Tasks of the current cycle, by state.")
                      .Register(*registry_);
  workers_ = &prometheus::BuildGauge()
                  .Name("ct_coordinator_workers")
                  .Help("Connected workers.")
                  .Register(*registry_)
                  .Add({});
  worker_threads_ = &prometheus::BuildGauge()
                         .Name("ct_coordinator_worker_threads")
                         .Help("Task threads of the connected workers.")
                         .Register(*registry_)
                         .Add({});
  auto& retries = prometheus::BuildCounter()
                      .Name("ct_coordinator_task_retries_total")
                      .Help("Leases that ended without a result, by reason.")
                      .Register(*registry_);
  lease_expired_ = &retries.Add({{"reason", "lease_expired"}});
  worker_dead_ = &retries.Add({{"reason", "worker_dead"}});
  discarded_ = &prometheus::BuildCounter()
                    .Name("ct_coordinator_results_discarded_total")
                    .Help("Results for tasks no longer leased to their sender.")
                    .Register(*registry_)
                    .Add({});
  quarantines_ = &prometheus::BuildCounter()
                      .Name("ct_coordinator_worker_quarantines_total")
                      .Help(
                          "Workers quarantined: their failures others then committed outnumber "
                          "their own commits.")
                      .Register(*registry_)
                      .Add({});
  local_restarts_ = &prometheus::BuildCounter()
                         .Name("ct_coordinator_local_worker_restarts_total")
                         .Help("Local workers started again after they exited.")
                         .Register(*registry_)
                         .Add({});
  cycles_ = &prometheus::BuildCounter()
                 .Name("ct_coordinator_cycles_total")
                 .Help("Cycles finished (map, reduce, reports).")
                 .Register(*registry_);
}

void RunMetrics::OnLocalWorkerRestarts(uint64_t total) {
  if (total > seen_restarts_)
    local_restarts_->Increment(static_cast<double>(total - seen_restarts_));
  seen_restarts_ = total;
}

void RunMetrics::OnResult(const std::string& kind, ResultOutcome outcome, const Result& result) {
  tasks_.OnResult(kind, OutcomeName(outcome), result);
}

void RunMetrics::Observe(const Scheduler& scheduler, int64_t now_ms, bool force) {
  last_observe_ms_.store(now_ms, std::memory_order_relaxed);
  if (!force && now_ms - last_refresh_ms_ < 500) return;
  last_refresh_ms_ = now_ms;
  size_t done = 0, failed = 0;
  for (const auto& [id, task] : scheduler.tasks()) {
    done += task.state == TaskState::kDone;
    failed += task.state == TaskState::kFailed;
  }
  task_states_->Add({{"state", "queued"}}).Set(static_cast<double>(scheduler.queued()));
  task_states_->Add({{"state", "leased"}}).Set(static_cast<double>(scheduler.leased()));
  task_states_->Add({{"state", "done"}}).Set(static_cast<double>(done));
  task_states_->Add({{"state", "failed"}}).Set(static_cast<double>(failed));
  double threads = 0;
  for (const auto& [id, worker] : scheduler.workers()) threads += worker.threads;
  workers_->Set(static_cast<double>(scheduler.workers().size()));
  worker_threads_->Set(threads);
  // The scheduler's totals only grow; the counters take the differences.
  lease_expired_->Increment(static_cast<double>(scheduler.expired_leases() - seen_expired_));
  worker_dead_->Increment(static_cast<double>(scheduler.dead_workers() - seen_dead_));
  discarded_->Increment(static_cast<double>(scheduler.discarded_results() - seen_discarded_));
  seen_expired_ = scheduler.expired_leases();
  seen_dead_ = scheduler.dead_workers();
  seen_discarded_ = scheduler.discarded_results();
  quarantines_->Increment(static_cast<double>(scheduler.quarantines() - seen_quarantines_));
  seen_quarantines_ = scheduler.quarantines();
}

void RunMetrics::OnCycle(bool ok) { cycles_->Add({{"outcome", ok ? "ok" : "failed"}}).Increment(); }

metrics::HealthStatus RunMetrics::Health(int64_t now_ms) const {
  const int64_t idle = now_ms - last_observe_ms_.load(std::memory_order_relaxed);
  if (idle > 30'000) {
    return {false, absl::StrCat("the coordinator's loop has not turned for ", idle / 1000, " s")};
  }
  return {true, "ok"};
}

}  // namespace ctmr::service
