// `ct-coordinator reduce`: map whatever is stale in process on every core,
// then reduce all tallies as of a date and write the reports. The reduce is
// sharded (common/reduce/shard_reducer.h) and stays within --memory-limit;
// --unsharded runs the whole-set TallyReducer instead, the reference the
// sharded reduce is tested against.
#ifndef CT_COORDINATOR_CLI_REDUCE_COMMAND_H_
#define CT_COORDINATOR_CLI_REDUCE_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/base/memory_budget.h"
#include "coordinator/report/reports.h"

namespace ctmr::cli {

struct ReduceOptions {
  std::string data_dir;
  int32_t as_of = 0;    // days since 1970-01-01
  int window_days = 0;  // 0: every directory dated as_of or later is active
  int history_days = report::kDefaultHistoryDays;  // of the back-fill
  std::string out_dir;                             // reports go here
  int threads = 0;                                 // 0: one per core
  uint32_t shards = 0;  // 0: the fewest that fit memory_limit (ChooseShardCount)
  uint64_t memory_limit = base::kDefaultMemoryLimit;
  bool unsharded = false;  // one TallyReducer over whole sets; no memory bound
};

// Returns the report that was written. Directories that fail to map are listed
// in it (and named on stderr) while every other directory is counted; an error
// Status means no report could be written at all.
absl::StatusOr<report::Report> RunReduce(const ReduceOptions& options);

}  // namespace ctmr::cli

#endif  // CT_COORDINATOR_CLI_REDUCE_COMMAND_H_
