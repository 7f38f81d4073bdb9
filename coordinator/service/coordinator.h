// `ct-coordinator run`: the distributed runner. Binds a ROUTER, hands map
// tasks for stale date directories to ct-worker processes, then reduces in
// shards (common/reduce/shard_reducer.h): the counts that need no names here,
// one shard task per hash range on the workers, sized to the memory budgets
// they announce, and split in two when one does not fit. It writes the same
// reports as `ct-coordinator reduce`; then, unless --once, sleeps --interval
// and repeats.
#ifndef CT_COORDINATOR_SERVICE_COORDINATOR_H_
#define CT_COORDINATOR_SERVICE_COORDINATOR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "coordinator/service/run_options.h"

namespace ctmr::service {

// Runs until --once finishes a cycle or SIGINT/SIGTERM. Returns the exit
// status: 0, or 1 when a directory failed or the runner could not work.
int RunCoordinator(const RunOptions& options);

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_COORDINATOR_H_
