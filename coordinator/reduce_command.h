// `ct-coordinator reduce`: map whatever is stale in process on every core,
// then reduce all tallies as of a date and write the reports.
#ifndef CT_COORDINATOR_REDUCE_COMMAND_H_
#define CT_COORDINATOR_REDUCE_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "coordinator/reports.h"

namespace ctmr {

struct ReduceOptions {
  std::string data_dir;
  int32_t as_of = 0;    // days since 1970-01-01
  int window_days = 0;  // 0: every directory dated as_of or later is active
  std::string out_dir;  // reports go here
  int threads = 0;      // 0: one per core
};

// Returns the report that was written. Directories that fail to map are listed
// in it (and named on stderr) while every other directory is counted; an error
// Status means no report could be written at all.
absl::StatusOr<Report> RunReduce(const ReduceOptions& options);

}  // namespace ctmr

#endif  // CT_COORDINATOR_REDUCE_COMMAND_H_
