// Which date directories a `run` cycle maps (and `ct-coordinator plan` lists).
#ifndef CT_COORDINATOR_SERVICE_MAP_WORK_H_
#define CT_COORDINATOR_SERVICE_MAP_WORK_H_

#include <string>
#include <vector>

#include "common/map/data_root.h"
#include "coordinator/service/run_state.h"

namespace ctmr::service {

// What a `run` cycle maps: each date directory with input its tally does not
// cover (or whose tally cannot be read), except directories that failed
// before and whose input has not changed since: they wait for `requeue`.
struct MapWork {
  std::vector<const map::DateDirectory*> to_map;  // in date order
  std::vector<std::string> skipped_failed;        // failed, same input: not mapped
  std::vector<std::string> retried;               // failed, but their input changed
};
MapWork FindMapWork(const map::DataRootListing& listing, const RunState& state);

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_MAP_WORK_H_
