// `ct-coordinator plan`: the directories that need mapping, written as a map
// plan (common/map/map_plan.h) for a scheduler other than `ct-coordinator run`:
// Kubernetes Indexed Jobs, Slurm arrays, GNU parallel. Each entry is mapped
// by `ct-worker map --plan FILE --index I`; `ct-coordinator reduce` then
// reduces (mapping whatever is still stale).
#ifndef CT_COORDINATOR_CLI_PLAN_COMMAND_H_
#define CT_COORDINATOR_CLI_PLAN_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ctmr::cli {

struct PlanOptions {
  std::string data_dir;
  std::string out;  // the plan file; "-": stdout; empty: ROOT/state/map-plan.txt
};

// Writes the plan (atomically) and returns its entries: the directories
// FindMapWork gives for ROOT/state/coordinator.json with its pending requeue
// requests applied (the file is only read). Paths are absolute.
absl::StatusOr<std::vector<std::string>> RunPlan(const PlanOptions& options);

}  // namespace ctmr::cli

#endif  // CT_COORDINATOR_CLI_PLAN_COMMAND_H_
