// The options of `ct-coordinator run` and their checks: defaults filled in,
// combinations that cannot work refused before anything starts (a usage
// error, exit status 2, naming the flag or file).
#ifndef CT_COORDINATOR_SERVICE_RUN_OPTIONS_H_
#define CT_COORDINATOR_SERVICE_RUN_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "common/base/memory_budget.h"
#include "coordinator/report/reports.h"

namespace ctmr::service {

struct RunOptions {
  std::string data_dir;
  std::optional<int32_t> as_of;  // days since 1970-01-01; unset: today (UTC), each cycle
  int window_days = 0;
  int history_days = report::kDefaultHistoryDays;  // of the back-fill
  std::string bind;                                // default: ipc://ROOT/state/coordinator.ipc
  int local_workers = 0;
  bool once = false;
  std::string out_dir;  // default: ROOT/reports
  double interval_s = 300;
  double lease_s = 600;
  // The most one task may run, heartbeats or not; 0: twice the lease.
  double task_timeout_s = 0;
  int max_attempts = 3;
  uint32_t shards = 0;  // 0: chosen from the tallies and the workers' memory budgets
  uint64_t memory_limit = base::kDefaultMemoryLimit;  // this process, and --local-workers
  // A directory with more new input than this is mapped in parts, by issuer,
  // on several workers (map_work.h's SplitMapTask); 0: never.
  uint64_t split_bytes = uint64_t{256} << 20;
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

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_RUN_OPTIONS_H_
