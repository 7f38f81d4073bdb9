#include "coordinator/service/run_state.h"

#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/hash128.h"
#include "common/tally/oracle_file.h"

namespace ctmr::service {

using nlohmann::json;

std::string RunStatePath(const std::string& data_dir) {
  return data_dir + "/state/coordinator.json";
}

absl::StatusOr<RunState> LoadRunState(const std::string& path) {
  RunState state;
  absl::StatusOr<std::string> text = base::ReadFileToString(path);
  if (absl::IsNotFound(text.status())) return state;
  if (!text.ok()) return text.status();
  try {
    const json j = json::parse(*text);
    if (j.contains("failed")) {
      for (const auto& [name, f] : j.at("failed").items()) {
        FailedDirectory d;
        d.attempts = f.value("attempts", 0u);
        d.error_kind = f.value("error_kind", "");
        d.last_error = f.value("last_error", "");
        d.input_fingerprint = f.value("input_fingerprint", "");
        d.failed_at = f.value("failed_at", "");
        state.failed[name] = d;
      }
    }
    if (j.contains("requeue")) {
      for (const auto& r : j.at("requeue")) state.requeue.insert(r.get<std::string>());
    }
    if (j.contains("last_run")) {
      const json& r = j.at("last_run");
      state.last_run.run_id = r.value("run_id", "");
      state.last_run.started_at = r.value("started_at", "");
      state.last_run.finished_at = r.value("finished_at", "");
      state.last_run.as_of = r.value("as_of", "");
      state.last_run.mapped = r.value("mapped", uint64_t{0});
      state.last_run.map_tasks = r.value("map_tasks", uint64_t{0});
      state.last_run.merge_tasks = r.value("merge_tasks", uint64_t{0});
      state.last_run.failed = r.value("failed", uint64_t{0});
      state.last_run.discarded_results = r.value("discarded_results", uint64_t{0});
    }
    if (j.contains("workers")) {
      for (const auto& w : j.at("workers")) state.workers.push_back(w.get<std::string>());
    }
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": not a coordinator state file: ", e.what()));
  }
  return state;
}

nlohmann::json LastRunJson(const LastRun& r) {
  return {{"run_id", r.run_id},
          {"started_at", r.started_at},
          {"finished_at", r.finished_at},
          {"as_of", r.as_of},
          {"mapped", r.mapped},
          {"map_tasks", r.map_tasks},
          {"merge_tasks", r.merge_tasks},
          {"failed", r.failed},
          {"discarded_results", r.discarded_results}};
}

absl::Status SaveRunState(const std::string& path, const RunState& state) {
  json failed = json::object();
  for (const auto& [name, d] : state.failed) {
    failed[name] = {{"attempts", d.attempts},
                    {"error_kind", d.error_kind},
                    {"last_error", d.last_error},
                    {"input_fingerprint", d.input_fingerprint},
                    {"failed_at", d.failed_at}};
  }
  json j = {
      {"failed", failed}, {"last_run", LastRunJson(state.last_run)}, {"workers", state.workers}};
  if (!state.requeue.empty()) j["requeue"] = state.requeue;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create the folder of ", path));
  return base::WriteFileAtomically(path, j.dump(2) + "\n");
}

std::vector<std::string> ApplyRequeue(RunState& state) {
  std::vector<std::string> cleared;
  const bool all = state.requeue.count("*") > 0;
  for (auto it = state.failed.begin(); it != state.failed.end();) {
    if (all || state.requeue.count(it->first) > 0) {
      cleared.push_back(it->first);
      it = state.failed.erase(it);
    } else {
      ++it;
    }
  }
  state.requeue.clear();
  return cleared;
}

absl::StatusOr<std::string> InputFingerprint(const std::string& dir) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (tally::IsOracleFileName(name) || name.find(".tmp.") != std::string::npos) continue;
    struct stat st;
    if (::stat(it->path().c_str(), &st) != 0) {
      lines.push_back(absl::StrCat(name, "\tunreadable"));
      continue;
    }
    lines.push_back(
        absl::StrCat(name, "\t", st.st_size, "\t", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec));
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": ", ec.message()));
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const std::string& l : lines) absl::StrAppend(&all, l, "\n");
  std::string digest;
  base::AppendHash(base::HashBytes(all), &digest);
  return absl::BytesToHexString(digest);
}

std::string NowRfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ctmr::service
