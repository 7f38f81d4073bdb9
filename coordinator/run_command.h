// `ct-coordinator run`: the distributed runner. Binds a ROUTER, hands map
// tasks for stale date directories to ct-worker processes, then reduces in
// shards (coordinator/shard_reducer.h): the counts that need no names here,
// one shard task per hash range on the workers, sized to the memory budgets
// they announce, and split in two when one does not fit. It writes the same
// reports as `ct-coordinator reduce`; then, unless --once, sleeps --interval
// and repeats.
#ifndef CT_COORDINATOR_RUN_COMMAND_H_
#define CT_COORDINATOR_RUN_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/memory_budget.h"

namespace ctmr {

struct RunOptions {
  std::string data_dir;
  std::optional<int32_t> as_of;  // days since 1970-01-01; unset: today (UTC), each cycle
  int window_days = 0;
  std::string bind;  // default: ipc://ROOT/state/coordinator.ipc
  int local_workers = 0;
  bool once = false;
  std::string out_dir;  // default: ROOT/reports
  double interval_s = 300;
  double lease_s = 600;
  int max_attempts = 3;
  uint32_t shards = 0;  // 0: chosen from the tallies and the workers' memory budgets
  uint64_t memory_limit = kDefaultMemoryLimit;  // this process, and --local-workers
  int heartbeat_ms = 1000;
  std::string curve_secret_key;  // a ".key" file (ct-coordinator keygen)
  std::string authorized_keys;   // a folder of workers' ".pub" files
  bool insecure = false;         // allow a non-loopback bind without CURVE
  std::string metrics_listen;    // host:port of /metrics and /healthz; empty: off
  std::string metrics_token_file;
};

// Fills in defaults and checks the combination of flags. InvalidArgument (a
// usage error, exit status 2) names the bad flag or file.
absl::Status PrepareRunOptions(RunOptions& options);

// Runs until --once finishes a cycle or SIGINT/SIGTERM. Returns the exit
// status: 0, or 1 when a directory failed or the runner could not work.
int RunCoordinator(const RunOptions& options);

}  // namespace ctmr

#endif  // CT_COORDINATOR_RUN_COMMAND_H_
