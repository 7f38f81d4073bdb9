#include "coordinator/service/control_server.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <filesystem>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ctmr::service {

using nlohmann::json;

namespace {

// Bounds on a reply (a frame is at most kMaxMessageBytes): lists of names are
// cut here, counts stay exact.
constexpr size_t kMaxListed = 1000;
constexpr size_t kMaxErrorChars = 2000;

json Error(const std::string& message) { return json{{"error", message}}; }

std::string DirectoryName(const Task& t) {
  return std::filesystem::path(t.body.map_task().directory()).filename().string();
}

// The directory's name, and for a part of a split map which one: "2026-11-26 part 1/2".
std::string MapTaskName(const Task& t) {
  const MapTask& m = t.body.map_task();
  if (m.parts() <= 1) return DirectoryName(t);
  return absl::StrCat(DirectoryName(t), " part ", m.part() + 1, "/", m.parts());
}

std::string Describe(const Task& t) {
  return t.body.has_map_task() ? absl::StrCat("map ", MapTaskName(t)) : DescribeTask(t);
}

json NameList(const std::vector<std::string>& names) {
  json j = {{"count", names.size()}, {"names", json::array()}};
  for (size_t i = 0; i < names.size() && i < kMaxListed; ++i) j["names"].push_back(names[i]);
  if (names.size() > kMaxListed) j["truncated"] = true;
  return j;
}

json FailedJson(const std::map<std::string, FailedDirectory>& failed) {
  std::vector<std::string> names;
  json details = json::array();
  for (const auto& [name, f] : failed) {
    names.push_back(name);
    if (details.size() >= kMaxListed) continue;
    details.push_back({{"name", name},
                       {"attempts", f.attempts},
                       {"error_kind", f.error_kind},
                       {"last_error", f.last_error.substr(0, kMaxErrorChars)},
                       {"failed_at", f.failed_at}});
  }
  json j = NameList(names);
  j["details"] = std::move(details);
  return j;
}

bool IsHex(const std::string& s) {
  return !s.empty() && s.size() % 2 == 0 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

}  // namespace

std::optional<std::string> ControlEndpoint(const std::string& data_dir) {
  const std::string path = data_dir + "/state/control.ipc";
  if (path.size() > 107) return std::nullopt;  // sun_path
  return "ipc://" + path;
}

absl::Status RequestRequeue(const std::string& path, const std::vector<std::string>& names) {
  absl::StatusOr<RunState> state = LoadRunState(path);
  if (!state.ok()) return state.status();
  state->requeue.insert(names.begin(), names.end());
  return SaveRunState(path, *state);
}

json FailedDirectoriesJson(const RunState& state) { return FailedJson(state.failed); }

std::string DumpJson(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string ControlServer::Handle(std::string_view request, int64_t now_ms) {
  json reply;
  try {
    const json req = json::parse(request.begin(), request.end(), nullptr, false);
    const auto command = req.is_object() ? req.find("command") : req.end();
    if (req.is_discarded() || !req.is_object()) {
      reply = Error("the request is not a JSON object");
    } else if (command == req.end() || !command->is_string()) {
      reply = Error("the request has no \"command\" string");
    } else if (*command == "status") {
      reply = Status(now_ms);
    } else if (*command == "workers") {
      reply = {{"workers", Workers(now_ms)}};
    } else if (*command == "requeue") {
      reply = Requeue(req);
    } else if (*command == "drain") {
      const auto worker = req.find("worker");
      reply = worker != req.end() && worker->is_string() && !worker->get<std::string>().empty()
                  ? Drain(worker->get<std::string>())
                  : Error("drain needs a \"worker\" string");
    } else {
      reply = Error(absl::StrCat("unknown command ", DumpJson(*command),
                                 " (status, workers, requeue, drain)"));
    }
  } catch (const std::exception& e) {
    reply = Error(absl::StrCat("cannot answer: ", e.what()));
  }
  return DumpJson(reply);
}

json ControlServer::Status(int64_t now_ms) const {
  std::vector<std::string> queued, leased, done;
  std::map<std::string, FailedDirectory> failed = state_.failed;
  uint64_t tasks_done = 0;
  for (const auto& [id, t] : scheduler_.tasks()) {
    if (t.state == TaskState::kDone) ++tasks_done;
    if (!t.body.has_map_task()) continue;
    switch (t.state) {
      case TaskState::kQueued:
        queued.push_back(MapTaskName(t));
        break;
      case TaskState::kLeased:
        leased.push_back(MapTaskName(t));
        break;
      case TaskState::kDone:
        done.push_back(MapTaskName(t));
        break;
      case TaskState::kFailed: {
        FailedDirectory& f = failed[DirectoryName(t)];
        f.attempts = t.attempts;
        f.error_kind = ErrorKind_Name(t.last_error_kind);
        f.last_error = t.last_error;
        break;
      }
    }
  }
  const uint64_t pending = scheduler_.queued() + scheduler_.leased();
  const double elapsed_s =
      cycle_.run_id.empty() ? 0 : std::max<double>(0, (now_ms - cycle_.started_ms) / 1000.0);
  const double rate = elapsed_s > 0 ? tasks_done / elapsed_s : 0;
  json eta = nullptr;  // unknown until something finished
  if (pending == 0) {
    eta = 0;
  } else if (rate > 0) {
    eta = pending / rate;
  }
  return {
      {"running", true},
      {"run_id", cycle_.run_id},
      {"as_of", cycle_.as_of},
      {"phase", cycle_.phase},
      {"directories",
       {{"queued", NameList(queued)},
        {"leased", NameList(leased)},
        {"done", NameList(done)},
        {"failed", FailedJson(failed)}}},
      {"tasks",
       {{"queued", scheduler_.queued()},
        {"leased", scheduler_.leased()},
        {"done", tasks_done},
        {"discarded_results", scheduler_.discarded_results()}}},
      {"throughput", {{"elapsed_s", elapsed_s}, {"tasks_per_s", rate}, {"eta_s", std::move(eta)}}},
      {"workers", Workers(now_ms)},
      {"last_run", LastRunJson(state_.last_run)}};
}

json ControlServer::Workers(int64_t now_ms) const {
  json workers = json::array();
  for (const auto& [id, w] : scheduler_.workers()) {
    json running = json::array();
    for (uint64_t task_id : w.running) {
      const Task* t = scheduler_.task(task_id);
      running.push_back({{"task_id", task_id}, {"task", t == nullptr ? "" : Describe(*t)}});
    }
    const auto record = scheduler_.records().find(WorkerKey(id, w.name));
    const bool known = record != scheduler_.records().end();
    workers.push_back({{"name", WorkerLabel(id, w.name)},
                       {"routing_id", absl::BytesToHexString(id)},
                       {"threads", w.threads},
                       {"last_heartbeat_s", (now_ms - w.last_seen_ms) / 1000.0},
                       {"draining", w.draining},
                       {"quarantined", scheduler_.Quarantined(w, now_ms)},
                       {"committed", known ? record->second.commits : 0},
                       {"blamed_failures", known ? record->second.blamed : 0},
                       {"running", std::move(running)}});
    if (workers.size() >= kMaxListed) break;
  }
  return workers;
}

json ControlServer::Requeue(const json& request) {
  const auto all = request.find("failed");
  const auto dirs = request.find("directories");
  const bool want_all = all != request.end() && all->is_boolean() && all->get<bool>();
  if (want_all == (dirs != request.end())) {
    return Error("requeue needs \"failed\":true or a \"directories\" array, not both");
  }
  std::vector<std::string> targets;
  if (want_all) {
    for (const auto& [name, f] : state_.failed) targets.push_back(name);
  } else {
    if (!dirs->is_array() || dirs->empty()) return Error("\"directories\" must be a list of names");
    for (const json& d : *dirs) {
      if (!d.is_string() || d.get<std::string>().empty()) {
        return Error("\"directories\" must be a list of names");
      }
      targets.push_back(d.get<std::string>());
    }
  }
  // Failed map tasks of this cycle; they can run again while it still maps.
  std::map<std::string, std::vector<uint64_t>> failed_tasks;
  for (const auto& [id, t] : scheduler_.tasks()) {
    if (t.state == TaskState::kFailed && t.body.has_map_task()) {
      failed_tasks[DirectoryName(t)].push_back(id);
    }
  }
  if (want_all) {
    for (const auto& [name, ids] : failed_tasks) {
      if (state_.failed.count(name) == 0) targets.push_back(name);
    }
  }
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());

  const bool mapping = cycle_.phase == "map";
  std::vector<std::string> this_cycle, next_cycle, not_failed;
  for (const std::string& name : targets) {
    if (mapping && failed_tasks.count(name) > 0) {
      this_cycle.push_back(name);
    } else if (state_.failed.count(name) > 0 || failed_tasks.count(name) > 0) {
      next_cycle.push_back(name);
    } else {
      not_failed.push_back(name);
    }
  }
  // The file first: if it cannot be written, nothing changed.
  if (!next_cycle.empty() && !state_path_.empty()) {
    const absl::Status written = RequestRequeue(state_path_, next_cycle);
    if (!written.ok()) {
      return Error(absl::StrCat("cannot record the requeue: ", written.message()));
    }
  }
  for (const std::string& name : this_cycle) {
    for (uint64_t id : failed_tasks[name]) scheduler_.Requeue(id);
  }
  std::vector<std::string> requeued;
  for (const auto* names : {&this_cycle, &next_cycle}) {
    for (const std::string& name : *names) {
      state_.failed.erase(name);
      requeued.push_back(name);
    }
  }
  std::sort(requeued.begin(), requeued.end());
  return {{"ok", true},
          {"requeued", requeued},
          {"this_cycle", this_cycle},
          {"next_cycle", next_cycle},
          {"not_failed", not_failed}};
}

json ControlServer::Drain(const std::string& who) {
  int n = scheduler_.Drain(who);
  // Routing ids are binary; operators see them in hex ("worker 0080000041").
  std::string hex = who;
  if (absl::StartsWith(hex, "worker ")) hex = hex.substr(7);
  if (n == 0 && IsHex(hex)) n = scheduler_.Drain(absl::HexStringToBytes(hex));
  if (n == 0) return Error(absl::StrCat("no connected worker is named ", who));
  return {{"ok", true}, {"worker", who}, {"draining", n}};
}

}  // namespace ctmr::service
