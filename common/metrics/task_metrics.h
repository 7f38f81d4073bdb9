// Prometheus metrics of map and merge tasks, kept by both ct-coordinator (for
// the whole run: every result it receives) and ct-worker (for the tasks it
// ran). `role` ("coordinator" or "worker") prefixes the metric names:
//
//   ct_<role>_tasks_total{kind="map|shard|…", outcome="ok|error|…"}
//   ct_<role>_task_duration_seconds{kind}      histogram of Result.seconds
//   ct_<role>_certificates_mapped_total         MapResult.certificates
//   ct_<role>_duplicates_total                  MapResult.duplicates
//   ct_<role>_parse_errors_total                MapResult.unparseable_blocks
//   ct_<role>_bytes_read_total                  MapResult.bytes_read
//
// Thread-safe (prometheus-cpp metrics are).
#ifndef CT_COMMON_METRICS_TASK_METRICS_H_
#define CT_COMMON_METRICS_TASK_METRICS_H_

#include <memory>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "proto/coordination.pb.h"

namespace ctmr::metrics {

class TaskMetrics {
 public:
  TaskMetrics(const std::string& role, prometheus::Registry* registry);

  // One finished task: its kind ("map", "shard", …), what became of it
  // ("ok", "error", or the caller's word such as "discarded"), its result.
  void OnResult(const std::string& kind, const std::string& outcome, const Result& result);

  // "map" or "shard" (or the oneof's field name) for a task message.
  static std::string KindOf(const Envelope& task);

 private:
  prometheus::Family<prometheus::Counter>* tasks_;
  prometheus::Family<prometheus::Histogram>* durations_;
  prometheus::Counter* certificates_;
  prometheus::Counter* duplicates_;
  prometheus::Counter* parse_errors_;
  prometheus::Counter* bytes_read_;
};

}  // namespace ctmr::metrics

#endif  // CT_COMMON_METRICS_TASK_METRICS_H_
