// Which date directories a `run` cycle maps (and `ct-coordinator plan` lists).
#ifndef CT_COORDINATOR_SERVICE_MAP_WORK_H_
#define CT_COORDINATOR_SERVICE_MAP_WORK_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/map/data_root.h"
#include "coordinator/service/run_state.h"
#include "proto/coordination.pb.h"
#include "proto/tally.pb.h"

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

// Whether a worker's "ok" for the map of `dir` is backed by the disk, for a
// worker can be wrong (it sees another disk) or lie: dir/oracle.out exists
// and parses, and it covers the input as it is now, or differs from
// `before` (the directory's tally when the task was queued: ct-fetch may
// append while the map runs), or the result says nothing new was committed
// (`result`: a file whose last block is half-written has nothing new).
// FailedPrecondition, naming the directory, otherwise; the scheduler then
// counts a failed attempt.
absl::Status CheckMapCommitted(const std::string& dir, const std::optional<DirectoryTally>& before,
                               const MapResult& result);

// The parts of the map of `dir` when it is worth splitting (map_parts.h):
// its new input (beyond `before`, its tally's header) exceeds `split_bytes`
// (> 0) and it has at least two issuers with new input. Then
// N = min(issuers, ceil(bytes / split_bytes), slots) parts of plan `plan_id`,
// issuers balanced by bytes; earlier parts of the directory are removed.
// Empty: map the directory whole (also when its oracle.out is cut short or
// corrupt: its checksum is checked first).
std::vector<MapTask> SplitMapTask(const std::string& dir,
                                  const std::optional<DirectoryTally>& before, uint64_t split_bytes,
                                  uint32_t slots, const std::string& plan_id);

// Whether a worker's "ok" for a part of a split map is backed by the disk:
// its part file is there, whole, of its plan, and started from the
// directory's committed oracle.out. FailedPrecondition otherwise.
absl::Status CheckPartWritten(const MapTask& task);

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_MAP_WORK_H_
