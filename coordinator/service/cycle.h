// One cycle of `ct-coordinator run`, on a TaskPool:
//   1. load ROOT/state/coordinator.json and apply requeue requests;
//   2. find the map work (map_work.h) and run one map task per stale
//      directory; a failed one is recorded in the state and left out;
//   3. the distributed reduce of every other directory (distributed_reduce.h);
//   4. write the reports, and save the state with this cycle's summary.
// The same reports as `ct-coordinator reduce` over the same tallies.
//
// `state` and `info` are the caller's so that its control socket can show
// them while the cycle runs; the cycle replaces both.
#ifndef CT_COORDINATOR_SERVICE_CYCLE_H_
#define CT_COORDINATOR_SERVICE_CYCLE_H_

#include "absl/status/status.h"
#include "coordinator/service/control_server.h"
#include "coordinator/service/run_options.h"
#include "coordinator/service/run_state.h"
#include "coordinator/service/task_pool.h"

namespace ctmr::service {

struct CycleResult {
  bool reports_written = false;
  bool any_failed = false;  // a directory failed (now or before, not requeued)
  // Not OK when the pool ended the cycle early (TaskPool::Drain's errors:
  // Cancelled on a signal, Unavailable with no worker left, Aborted).
  absl::Status interrupted;

  bool ok() const { return reports_written && !any_failed && interrupted.ok(); }
};

CycleResult RunCycle(const RunOptions& options, TaskPool* pool, RunState* state, CycleInfo* info);

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_CYCLE_H_
