// The work of one coordinator task, without any networking: a MapTask runs
// DirectoryMapper on one date directory, a ShardTask counts the distinct
// names of one hash range over the active tallies (CountShard).
//
// Both return a Result for the coordinator, never throw, and are safe to call
// from many threads at once (each call builds its own mapper or readers).
// Failures carry an ErrorKind the coordinator's retry policy keys off:
// TRANSIENT (may succeed later or elsewhere), PERMANENT (fails again until
// the input changes) or TOO_LARGE (a shard that does not fit the worker's
// memory budget: the coordinator splits it).
#ifndef CT_WORKER_TASK_RUNNER_H_
#define CT_WORKER_TASK_RUNNER_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/base/memory_budget.h"
#include "common/map/directory_mapper.h"
#include "common/names/registered_domain.h"
#include "proto/coordination.pb.h"

namespace ctmr::worker {

// kUnavailable, kAborted, kDeadlineExceeded, kCancelled, kInternal and
// kUnknown are TRANSIENT; kResourceExhausted is TOO_LARGE; every other error
// (kDataLoss, kFailedPrecondition, kNotFound, kInvalidArgument, ...) is
// PERMANENT.
ErrorKind ErrorKindOf(const absl::Status& status);

// Maps task.directory(), or with task.parts() > 1 its part task.part() (the
// issuers task.stems(), written under ROOT/state/map-parts/ for the
// coordinator to merge: common/map/map_parts.h), within `memory_bytes`,
// reserved from `budget` (which the worker's task threads share) for the
// task's length; `budget` null: no reservation, and kUnboundedMap never
// spills. `suffixes` must outlive the call.
Result RunMapTask(const MapTask& task, const names::PublicSuffixList* suffixes,
                  base::MemoryBudget* budget = nullptr, uint64_t memory_bytes = map::kUnboundedMap);

// Counts task's shard within `budget`, which the worker's task threads share.
Result RunShardTask(const ShardTask& task, base::MemoryBudget* budget);

}  // namespace ctmr::worker

#endif  // CT_WORKER_TASK_RUNNER_H_
