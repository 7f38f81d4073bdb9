#include "common/metrics/task_metrics.h"

#include "absl/strings/str_cat.h"

namespace ctmr::metrics {

TaskMetrics::TaskMetrics(const std::string& role, prometheus::Registry* registry) {
  const std::string p = absl::StrCat("ct_", role, "_");
  tasks_ = &prometheus::BuildCounter()
                .Name(p + "tasks_total")
                .Help("Tasks finished, by kind and outcome.")
                .Register(*registry);
  durations_ = &prometheus::BuildHistogram()
                    .Name(p + "task_duration_seconds")
                    .Help("Time a worker spent on a task.")
                    .Register(*registry);
  auto counter = [&](const std::string& name, const std::string& help) {
    return &prometheus::BuildCounter().Name(p + name).Help(help).Register(*registry).Add({});
  };
  certificates_ = counter("certificates_mapped_total", "Certificates read by map tasks.");
  duplicates_ = counter("duplicates_total", "Certificates a map found more than once.");
  parse_errors_ = counter("parse_errors_total", "Blocks a map could not parse (skipped).");
  bytes_read_ = counter("bytes_read_total", "Bytes of certificate files read by map tasks.");
}

void TaskMetrics::OnResult(const std::string& kind, const std::string& outcome,
                           const Result& result) {
  tasks_->Add({{"kind", kind}, {"outcome", outcome}}).Increment();
  // Seconds to an hour, roughly ×3 apart: map tasks of a day's directory run
  // from milliseconds (nothing new) to minutes (a full re-map).
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3600};
  durations_->Add({{"kind", kind}}, kBuckets).Observe(result.seconds());
  if (outcome != "ok" || !result.has_map()) return;
  certificates_->Increment(static_cast<double>(result.map().certificates()));
  duplicates_->Increment(static_cast<double>(result.map().duplicates()));
  parse_errors_->Increment(static_cast<double>(result.map().unparseable_blocks()));
  bytes_read_->Increment(static_cast<double>(result.map().bytes_read()));
}

std::string TaskMetrics::KindOf(const Envelope& task) {
  if (task.has_map_task()) return "map";
  if (task.has_shard_task()) return "shard";
  const auto* field = Envelope::descriptor()->FindFieldByNumber(task.body_case());
  return field != nullptr ? field->name() : "unknown";
}

}  // namespace ctmr::metrics
