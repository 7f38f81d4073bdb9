// `ct-coordinator plan`: the directories that need mapping, written as a map
// plan (common/map_plan.h) for a scheduler other than `ct-coordinator run`:
// Kubernetes Indexed Jobs, Slurm arrays, GNU parallel. Each entry is mapped
// by `ct-worker map --plan FILE --index I`; `ct-coordinator reduce` then
// reduces (mapping whatever is still stale).
#ifndef CT_COORDINATOR_PLAN_COMMAND_H_
#define CT_COORDINATOR_PLAN_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coordinator/data_root.h"
#include "coordinator/run_state.h"

namespace ctmr {

// What a `run` cycle maps: each date directory with input its tally does not
// cover (or whose tally cannot be read), except directories that failed
// before and whose input has not changed since: they wait for `requeue`.
struct MapWork {
  std::vector<const DateDirectory*> to_map;  // in date order
  std::vector<std::string> skipped_failed;   // failed, same input: not mapped
  std::vector<std::string> retried;          // failed, but their input changed
};
MapWork FindMapWork(const DataRootListing& listing, const RunState& state);

struct PlanOptions {
  std::string data_dir;
  std::string out;  // the plan file; "-": stdout; empty: ROOT/state/map-plan.txt
};

// Writes the plan (atomically) and returns its entries: the directories
// FindMapWork gives for ROOT/state/coordinator.json with its pending requeue
// requests applied (the file is only read). Paths are absolute.
absl::StatusOr<std::vector<std::string>> RunPlan(const PlanOptions& options);

}  // namespace ctmr

#endif  // CT_COORDINATOR_PLAN_COMMAND_H_
