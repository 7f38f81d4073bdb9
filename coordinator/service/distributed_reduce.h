// The reduce of `ct-coordinator run`: reduce/reduce_driver.h's RunReduce with
// its shards run as shard tasks on a TaskPool's workers. Shards are sized for
// the smallest memory budget per thread the workers announce (ShardCapacity);
// a shard a worker reports TOO_LARGE is split by the ShardQueue into pieces
// that fit and queued again; any other failed shard fails the reduce.
//
// Errors: those of RunReduce; Cancelled/Unavailable from the pool (stopped,
// or no worker left); Unknown naming the shard task that failed;
// ResourceExhausted when a shard cannot be split small enough.
#ifndef CT_COORDINATOR_SERVICE_DISTRIBUTED_REDUCE_H_
#define CT_COORDINATOR_SERVICE_DISTRIBUTED_REDUCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/map/data_root.h"
#include "common/reduce/reduce_driver.h"
#include "coordinator/service/run_options.h"
#include "coordinator/service/scheduler.h"
#include "coordinator/service/task_pool.h"

namespace ctmr::service {

// What one shard task may hold: the smallest memory budget per thread among
// the connected, not draining workers, or, when none is known, half of
// `memory_limit`. Budgets per thread below the scheduler's min_shard_budget are ignored (and
// logged once per worker): the scheduler gives those workers no shard tasks
// while another worker is connected.
uint64_t ShardCapacity(const Scheduler& scheduler, uint64_t memory_limit);

// The reduce of `dirs` as of `as_of` (days since 1970), named `run_id` (its
// snapshot folder). Logs what an operator needs (failed directories, shards).
absl::StatusOr<reduce::ReduceOutcome> ReduceOnWorkers(
    const RunOptions& options, const std::string& run_id, int32_t as_of,
    const std::vector<const map::DateDirectory*>& dirs, TaskPool* pool);

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_DISTRIBUTED_REDUCE_H_
