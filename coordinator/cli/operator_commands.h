// The operator's side of `ct-coordinator status | requeue | workers | drain`:
// asks the running coordinator over its control endpoint
// (ipc://ROOT/state/control.ipc, see control_server.h) and, when none answers
// (no socket file, or no reply within the timeout), falls back to
// ROOT/state/coordinator.json: `status` shows the failed directories and the
// last run, `requeue` records the request in the file for the next run, and
// `workers` and `drain` fail, since only a running coordinator has workers.
//
// The commands return their output instead of printing it, so tests read it.
#ifndef CT_COORDINATOR_CLI_OPERATOR_COMMANDS_H_
#define CT_COORDINATOR_CLI_OPERATOR_COMMANDS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ctmr::cli {

struct OperatorOptions {
  std::string data_dir;
  bool json = false;  // print the reply as JSON (status, workers)
  int timeout_ms = 2000;
};

struct OperatorOutput {
  int exit_code = 0;  // 0 ok, 1 runtime failure, 2 bad usage
  std::string out;    // for stdout
  std::string err;    // for stderr
};

// One request to the coordinator of `data_dir` (absolute, normalized).
// Unavailable when no coordinator answers; the reply may be {"error": ...}.
absl::StatusOr<nlohmann::json> AskCoordinator(const std::string& data_dir,
                                              const nlohmann::json& request, int timeout_ms);

OperatorOutput StatusCommand(OperatorOptions options);
// `failed`: every failed directory; else `directories` (names or paths).
OperatorOutput RequeueCommand(OperatorOptions options, bool failed,
                              const std::vector<std::string>& directories);
OperatorOutput WorkersCommand(OperatorOptions options);
OperatorOutput DrainCommand(OperatorOptions options, const std::string& worker);

}  // namespace ctmr::cli

#endif  // CT_COORDINATOR_CLI_OPERATOR_COMMANDS_H_
