// The coordinator's control endpoint, without the socket: turns one operator
// request (JSON text) into one reply (JSON text), reading and changing the
// scheduler and the run state the coordinator's socket thread owns.
//
// Requests: {"command":"status"}, {"command":"workers"},
// {"command":"requeue","failed":true}, {"command":"requeue","directories":[..]},
// {"command":"drain","worker":"<name or routing id>"}. A request that does not
// parse or names no known command gets {"error":"..."}; nothing here throws.
//
// Not thread-safe: called on the thread that owns the scheduler.
#ifndef CT_COORDINATOR_SERVICE_CONTROL_SERVER_H_
#define CT_COORDINATOR_SERVICE_CONTROL_SERVER_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "coordinator/service/run_state.h"
#include "coordinator/service/scheduler.h"

namespace ctmr::service {

// "ipc://ROOT/state/control.ipc" for an absolute, normalized ROOT; nullopt
// when the path does not fit a Unix socket address (107 bytes).
std::optional<std::string> ControlEndpoint(const std::string& data_dir);

// What the coordinator's cycle is doing, kept up to date by the runner.
struct CycleInfo {
  std::string run_id;              // empty before the first cycle
  std::string as_of;               // YYYY-MM-DD
  std::string phase = "starting";  // "map", "reduce", "report", "waiting"
  int64_t started_ms = 0;          // on the scheduler's clock
};

// Adds `names` to the "requeue" array of the state file at `path` and keeps
// everything else; the coordinator applies it when it next loads the file.
absl::Status RequestRequeue(const std::string& path, const std::vector<std::string>& names);

// The parts of `status` a state file alone can answer.
nlohmann::json FailedDirectoriesJson(const RunState& state);

// JSON text that never throws on bytes that are not UTF-8 (they are replaced).
std::string DumpJson(const nlohmann::json& j, int indent = -1);

class ControlServer {
 public:
  // `state_path` (ROOT/state/coordinator.json) receives the requeue requests
  // the current cycle cannot honour itself; empty: not written.
  ControlServer(Scheduler& scheduler, RunState& state, const CycleInfo& cycle,
                std::string state_path)
      : scheduler_(scheduler), state_(state), cycle_(cycle), state_path_(std::move(state_path)) {}

  // One request, one reply; `now_ms` is on the scheduler's clock.
  std::string Handle(std::string_view request, int64_t now_ms);

  nlohmann::json Status(int64_t now_ms) const;
  nlohmann::json Workers(int64_t now_ms) const;
  nlohmann::json Requeue(const nlohmann::json& request);
  nlohmann::json Drain(const std::string& who);

 private:
  Scheduler& scheduler_;
  RunState& state_;
  const CycleInfo& cycle_;
  std::string state_path_;
};

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_CONTROL_SERVER_H_
