#include "coordinator/cli/operator_commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <filesystem>
#include <optional>
#include <zmq.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/rpc/zmq_util.h"
#include "coordinator/service/control_server.h"
#include "coordinator/service/run_state.h"

namespace ctmr::cli {

using nlohmann::json;

namespace {

constexpr char kNotRunning[] = "no coordinator is running";

OperatorOutput Fail(int code, const std::string& message) {
  return {code, "", absl::StrCat("ct-coordinator: ", message, "\n")};
}

// The data root as `ct-coordinator run` spells it (PrepareRunOptions), so
// both find the same control socket. Empty when it is not a folder.
std::string NormalizeDataDir(const std::string& dir) {
  std::error_code ec;
  std::string d = std::filesystem::absolute(dir, ec).lexically_normal().string();
  if (d.size() > 1 && d.back() == '/') d.pop_back();
  struct stat st;
  if (ec || ::stat(d.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return "";
  return d;
}

std::string Str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string Names(const json& list) {
  std::vector<std::string> names;
  for (const json& n : list) names.push_back(n.is_string() ? n.get<std::string>() : n.dump());
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

std::string FormatFailed(const json& failed) {
  std::string out = absl::StrCat("failed directories: ", failed.value("count", 0), "\n");
  for (const json& f : failed.value("details", json::array())) {
    absl::StrAppend(
        &out, absl::StrFormat("  %-12s attempts %u  %s  last error: %s\n", Str(f, "name"),
                              f.value("attempts", 0u), Str(f, "error_kind"), Str(f, "last_error")));
  }
  return out;
}

std::string FormatWorkers(const json& workers) {
  if (workers.empty()) return "workers: none connected\n";
  std::string out = absl::StrCat("workers: ", workers.size(), "\n");
  for (const json& w : workers) {
    std::vector<std::string> tasks;
    for (const json& t : w.value("running", json::array())) {
      tasks.push_back(absl::StrCat("#", t.value("task_id", uint64_t{0}), " ", Str(t, "task")));
    }
    absl::StrAppend(
        &out, absl::StrFormat("  %-24s threads %u  heartbeat %.1f s ago  %s%s\n", Str(w, "name"),
                              w.value("threads", 0u), w.value("last_heartbeat_s", 0.0),
                              tasks.empty() ? std::string("idle")
                                            : absl::StrCat("running ", absl::StrJoin(tasks, ", ")),
                              w.value("draining", false)      ? "  (draining)"
                              : w.value("quarantined", false) ? "  (quarantined: its tasks fail "
                                                                "where others' succeed)"
                                                              : ""));
  }
  return out;
}

std::string FormatLastRun(const json& r) {
  if (Str(r, "run_id").empty()) return "last run: none recorded\n";
  return absl::StrFormat(
      "last run: %s as of %s, started %s, finished %s: %u of %u directories mapped, %u shard "
      "tasks, %u failed\n",
      Str(r, "run_id"), Str(r, "as_of"), Str(r, "started_at"),
      Str(r, "finished_at").empty() ? std::string("-") : Str(r, "finished_at"),
      r.value("mapped", uint64_t{0}), r.value("map_tasks", uint64_t{0}),
      r.value("merge_tasks", uint64_t{0}), r.value("failed", uint64_t{0}));
}

std::string FormatRunningStatus(const json& s) {
  const json& d = s.at("directories");
  const json& t = s.at("throughput");
  const json eta = t.value("eta_s", json());
  std::string out = absl::StrFormat(
      "coordinator running: run %s as of %s, phase %s\n"
      "directories: %u queued, %u leased, %u done, %u failed\n"
      "throughput: %s\n",
      Str(s, "run_id").empty() ? std::string("-") : Str(s, "run_id"), Str(s, "as_of"),
      Str(s, "phase"), d.at("queued").value("count", 0u), d.at("leased").value("count", 0u),
      d.at("done").value("count", 0u), d.at("failed").value("count", 0u),
      Str(s, "phase") == "waiting"
          ? std::string("idle until the next cycle")
          : absl::StrFormat(
                "%.2f tasks/s over %.0f s; ETA %s", t.value("tasks_per_s", 0.0),
                t.value("elapsed_s", 0.0),
                eta.is_number() ? absl::StrFormat("%.0f s", eta.get<double>()) : "unknown"));
  if (d.at("queued").value("count", 0u) > 0) {
    absl::StrAppend(&out, "queued: ", Names(d.at("queued").value("names", json::array())), "\n");
  }
  if (d.at("leased").value("count", 0u) > 0) {
    absl::StrAppend(&out, "leased: ", Names(d.at("leased").value("names", json::array())), "\n");
  }
  absl::StrAppend(&out, FormatWorkers(s.value("workers", json::array())),
                  FormatFailed(d.at("failed")));
  // During a cycle the state's last run is this one, still unfinished.
  const json last_run = s.value("last_run", json::object());
  if (!Str(last_run, "finished_at").empty()) absl::StrAppend(&out, FormatLastRun(last_run));
  return out;
}

// `status` from the state file alone.
OperatorOutput StatusFromStateFile(const OperatorOptions& o, const std::string& why) {
  const std::string path = service::RunStatePath(o.data_dir);
  absl::StatusOr<service::RunState> state = service::LoadRunState(path);
  if (!state.ok()) return Fail(1, absl::StrCat(kNotRunning, "; ", state.status().message()));
  json s = {{"running", false},
            {"message", absl::StrCat(kNotRunning, " (", why, ")")},
            {"state_file", path},
            {"directories", {{"failed", service::FailedDirectoriesJson(*state)}}},
            {"last_run", service::LastRunJson(state->last_run)},
            {"last_run_workers", state->workers},
            {"requeue_pending", state->requeue}};
  if (o.json) return {0, service::DumpJson(s, 2) + "\n", ""};
  std::string out =
      absl::StrCat(kNotRunning, " (", why, "); from ", path, ":\n", FormatLastRun(s["last_run"]),
                   FormatFailed(s["directories"]["failed"]));
  if (!state->requeue.empty()) {
    absl::StrAppend(&out, "requeue requested: ", absl::StrJoin(state->requeue, ", "), "\n");
  }
  return {0, out, ""};
}

// Runs `body` on a usable data root, turning a malformed reply into a failure.
template <typename F>
OperatorOutput Guarded(OperatorOptions& o, F body) {
  const std::string dir = NormalizeDataDir(o.data_dir);
  if (dir.empty()) return Fail(2, absl::StrCat("--data-dir ", o.data_dir, " is not a folder"));
  o.data_dir = dir;
  try {
    return body();
  } catch (const std::exception& e) {
    return Fail(1, absl::StrCat("unexpected reply from the coordinator: ", e.what()));
  }
}

}  // namespace

absl::StatusOr<json> AskCoordinator(const std::string& data_dir, const json& request,
                                    int timeout_ms) {
  const std::optional<std::string> endpoint = service::ControlEndpoint(data_dir);
  if (!endpoint.has_value()) {
    return absl::UnavailableError("the control socket path is too long for a Unix socket");
  }
  const std::string path = endpoint->substr(6);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return absl::UnavailableError(absl::StrCat("no ", path));
  }
  // Connecting to a Unix socket needs write permission on it. Without it
  // ZeroMQ only times out, which once read as "no coordinator is running".
  if (::access(path.c_str(), W_OK) != 0 && errno == EACCES) {
    return absl::PermissionDeniedError(absl::StrCat(
        "a coordinator is listening on ", path,
        " but this user may not write to it; run as the coordinator's user or its group"));
  }
  try {
    zmq::context_t context;
    zmq::socket_t socket(context, zmq::socket_type::req);
    rpc::SetCommonOptions(socket);
    socket.set(zmq::sockopt::rcvtimeo, timeout_ms);
    socket.set(zmq::sockopt::sndtimeo, timeout_ms);
    socket.connect(*endpoint);
    if (!socket.send(zmq::buffer(service::DumpJson(request)))) {
      return absl::UnavailableError(absl::StrCat("cannot send to ", *endpoint));
    }
    zmq::message_t reply;
    if (!socket.recv(reply)) {
      return absl::UnavailableError(
          absl::StrCat("no answer on ", *endpoint, " within ", timeout_ms / 1000.0, " s"));
    }
    json j = json::parse(reply.to_string_view(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::DataLossError(absl::StrCat("the answer on ", *endpoint, " is not JSON"));
    }
    return j;
  } catch (const zmq::error_t& e) {
    return absl::UnavailableError(absl::StrCat(*endpoint, ": ", e.what()));
  }
}

OperatorOutput StatusCommand(OperatorOptions o) {
  return Guarded(o, [&]() -> OperatorOutput {
    absl::StatusOr<json> reply = AskCoordinator(o.data_dir, {{"command", "status"}}, o.timeout_ms);
    if (absl::IsUnavailable(reply.status())) {
      return StatusFromStateFile(o, std::string(reply.status().message()));
    }
    if (!reply.ok()) return Fail(1, std::string(reply.status().message()));
    if (reply->contains("error")) return Fail(1, Str(*reply, "error"));
    if (o.json) return {0, service::DumpJson(*reply, 2) + "\n", ""};
    return {0, FormatRunningStatus(*reply), ""};
  });
}

OperatorOutput RequeueCommand(OperatorOptions o, bool failed,
                              const std::vector<std::string>& directories) {
  if (failed == !directories.empty()) {
    return Fail(2, "requeue takes --failed or directory names, not both");
  }
  std::vector<std::string> names;
  for (std::string d : directories) {
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    names.push_back(std::filesystem::path(d).filename().string());
  }
  return Guarded(o, [&]() -> OperatorOutput {
    json request = {{"command", "requeue"}};
    if (failed) {
      request["failed"] = true;
    } else {
      request["directories"] = names;
    }
    absl::StatusOr<json> reply = AskCoordinator(o.data_dir, request, o.timeout_ms);
    if (absl::IsUnavailable(reply.status())) {
      // Recorded for the next run, which clears the matching failed entries.
      const std::string path = service::RunStatePath(o.data_dir);
      absl::StatusOr<service::RunState> state = service::LoadRunState(path);
      if (!state.ok()) return Fail(1, std::string(state.status().message()));
      std::vector<std::string> known, unknown;
      for (const std::string& n : names)
        (state->failed.count(n) > 0 ? known : unknown).push_back(n);
      if (failed) {
        for (const auto& [name, f] : state->failed) known.push_back(name);
      }
      const absl::Status written =
          service::RequestRequeue(path, failed ? std::vector<std::string>{"*"} : names);
      if (!written.ok()) return Fail(1, std::string(written.message()));
      std::string out =
          absl::StrCat(kNotRunning, "; the next run maps again: ",
                       known.empty() ? "none (nothing failed)" : absl::StrJoin(known, ", "), "\n");
      if (!unknown.empty()) {
        absl::StrAppend(&out, "not failed (nothing to requeue): ", absl::StrJoin(unknown, ", "),
                        "\n");
      }
      return {0, out, ""};
    }
    if (!reply.ok()) return Fail(1, std::string(reply.status().message()));
    if (reply->contains("error")) return Fail(1, Str(*reply, "error"));
    if (o.json) return {0, service::DumpJson(*reply, 2) + "\n", ""};
    std::string out;
    const json this_cycle = reply->value("this_cycle", json::array());
    const json next_cycle = reply->value("next_cycle", json::array());
    const json not_failed = reply->value("not_failed", json::array());
    if (this_cycle.empty() && next_cycle.empty()) out = "nothing failed to requeue\n";
    if (!this_cycle.empty())
      absl::StrAppend(&out, "requeued in this run: ", Names(this_cycle), "\n");
    if (!next_cycle.empty())
      absl::StrAppend(&out, "requeued for the next run: ", Names(next_cycle), "\n");
    if (!not_failed.empty()) {
      absl::StrAppend(&out, "not failed (nothing to requeue): ", Names(not_failed), "\n");
    }
    return {0, out, ""};
  });
}

OperatorOutput WorkersCommand(OperatorOptions o) {
  return Guarded(o, [&]() -> OperatorOutput {
    absl::StatusOr<json> reply = AskCoordinator(o.data_dir, {{"command", "workers"}}, o.timeout_ms);
    if (absl::IsUnavailable(reply.status())) {
      return Fail(1, absl::StrCat(kNotRunning, " (", reply.status().message(), ")"));
    }
    if (!reply.ok()) return Fail(1, std::string(reply.status().message()));
    if (reply->contains("error")) return Fail(1, Str(*reply, "error"));
    if (o.json) return {0, service::DumpJson(*reply, 2) + "\n", ""};
    return {0, FormatWorkers(reply->value("workers", json::array())), ""};
  });
}

OperatorOutput DrainCommand(OperatorOptions o, const std::string& worker) {
  if (worker.empty()) return Fail(2, "drain needs a worker name");
  return Guarded(o, [&]() -> OperatorOutput {
    absl::StatusOr<json> reply =
        AskCoordinator(o.data_dir, {{"command", "drain"}, {"worker", worker}}, o.timeout_ms);
    if (absl::IsUnavailable(reply.status())) {
      return Fail(1, absl::StrCat(kNotRunning, " (", reply.status().message(), ")"));
    }
    if (!reply.ok()) return Fail(1, std::string(reply.status().message()));
    if (reply->contains("error")) return Fail(1, Str(*reply, "error"));
    if (o.json) return {0, service::DumpJson(*reply, 2) + "\n", ""};
    return {0, absl::StrCat("draining ", worker, ": no new tasks; its running tasks finish\n"), ""};
  });
}

}  // namespace ctmr::cli
