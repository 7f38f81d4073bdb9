#include "coordinator/service/run_options.h"

#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/zmq_util.h"
#include "coordinator/service/zap_authenticator.h"

namespace ctmr::service {

absl::Status PrepareRunOptions(RunOptions& o) {
  std::error_code ec;
  o.data_dir = std::filesystem::absolute(o.data_dir, ec).lexically_normal().string();
  if (!o.data_dir.empty() && o.data_dir.back() == '/' && o.data_dir.size() > 1) {
    o.data_dir.pop_back();
  }
  struct stat st;
  if (::stat(o.data_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("--data-dir ", o.data_dir, " is not a folder"));
  }
  if (o.out_dir.empty()) o.out_dir = o.data_dir + "/reports";
  if (o.bind.empty()) {
    o.bind = absl::StrCat("ipc://", o.data_dir, "/state/coordinator.ipc");
    // sun_path holds 107 bytes.
    if (o.bind.size() - 6 > 107) {
      return absl::InvalidArgumentError(
          absl::StrCat("the default endpoint ", o.bind,
                       " is too long for a Unix socket; pass --bind (e.g. tcp://127.0.0.1:5555)"));
    }
  }
  if (o.max_attempts < 1) return absl::InvalidArgumentError("--max-attempts must be at least 1");
  if (o.heartbeat_ms < 10) return absl::InvalidArgumentError("--heartbeat-ms must be at least 10");
  if (o.lease_s <= 0) return absl::InvalidArgumentError("--lease must be positive");
  if (o.task_timeout_s < 0)
    return absl::InvalidArgumentError("--task-timeout must not be negative");
  if (o.curve_secret_key.empty() != o.authorized_keys.empty()) {
    return absl::InvalidArgumentError(
        "--curve-secret-key and --authorized-keys go together (ct-coordinator keygen makes keys)");
  }
  if (!o.curve_secret_key.empty()) {
    absl::StatusOr<rpc::CurveKeyPair> pair = rpc::ReadKeyFile(o.curve_secret_key, false);
    if (!pair.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--curve-secret-key: ", pair.status().message()));
    }
    absl::StatusOr<std::set<std::string>> keys = LoadAuthorizedKeys(o.authorized_keys);
    if (!keys.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--authorized-keys: ", keys.status().message()));
    }
  } else if (!rpc::IsLoopbackEndpoint(o.bind) && !o.insecure) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--bind ", o.bind,
        " is reachable from other machines: pass --curve-secret-key and --authorized-keys, "
        "or --insecure"));
  }
  return absl::OkStatus();
}

}  // namespace ctmr::service
