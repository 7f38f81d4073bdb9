// ROOT/state/coordinator.json: what `ct-coordinator run` must remember across
// restarts and what `status` reads without a running coordinator — the
// directories that failed (attempts, last error, the input they failed on)
// and a summary of the last cycle.
//
// A failed directory is skipped until it is requeued or its input changes.
// Requeueing: an operator (or `ct-coordinator requeue`) adds its name to the
// "requeue" array (or "*" for every failed directory); the coordinator clears
// those entries and the array the next time it loads the file.
#ifndef CT_COORDINATOR_SERVICE_RUN_STATE_H_
#define CT_COORDINATOR_SERVICE_RUN_STATE_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ctmr::service {

struct FailedDirectory {
  uint32_t attempts = 0;
  std::string error_kind;  // "TRANSIENT" / "PERMANENT"
  std::string last_error;
  std::string input_fingerprint;  // InputFingerprint() when it failed
  std::string failed_at;          // RFC 3339, UTC
};

struct LastRun {
  std::string run_id;
  std::string started_at;
  std::string finished_at;
  std::string as_of;
  uint64_t mapped = 0;
  uint64_t map_tasks = 0;
  uint64_t merge_tasks = 0;  // the reduce's tasks: shard tasks since protocol 2
  uint64_t failed = 0;
  uint64_t discarded_results = 0;
};

struct RunState {
  std::map<std::string, FailedDirectory> failed;  // by directory name
  std::set<std::string> requeue;                  // pending requests; "*" = all
  LastRun last_run;
  std::vector<std::string> workers;  // names seen in the last cycle, for `status`
};

// ROOT/state/coordinator.json
std::string RunStatePath(const std::string& data_dir);

// The last_run object of the state file (and of `status`).
nlohmann::json LastRunJson(const LastRun& last_run);

// A missing file is an empty state; a file that does not parse is DataLoss.
absl::StatusOr<RunState> LoadRunState(const std::string& path);
// Written atomically (the parent directory is created if missing).
absl::Status SaveRunState(const std::string& path, const RunState& state);

// Applies and clears the pending requeue requests; returns the names cleared.
std::vector<std::string> ApplyRequeue(RunState& state);

// A digest of a date directory's input: the names, sizes and modification
// times of its files other than the map's own. Changes when ct-fetch appends.
absl::StatusOr<std::string> InputFingerprint(const std::string& dir);

// The current UTC time as RFC 3339 ("2026-11-26T10:15:00Z").
std::string NowRfc3339();

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_RUN_STATE_H_
