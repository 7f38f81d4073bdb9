#include "worker/task_runner.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/civil_date.h"
#include "common/file_util.h"
#include "common/oracle_file.h"
#include "common/status_macros.h"
#include "coordinator/tally_reducer.h"
#include "worker/directory_mapper.h"

namespace ctmr {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void SetError(const absl::Status& status, Result* result) {
  result->set_ok(false);
  result->set_error_kind(ErrorKindOf(status));
  result->set_error(std::string(status.message()));
}

// "ROOT/2025-08-01/" -> "2025-08-01".
std::string BaseName(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

absl::StatusOr<ReduceTally> LoadPartial(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  if (absl::IsNotFound(bytes.status())) {
    // The merge that writes it has not run (or its output was lost): retry later.
    return absl::UnavailableError(absl::StrCat(path, " does not exist (merge not done yet)"));
  }
  if (!bytes.ok()) return bytes.status();
  ReduceTally partial;
  if (!partial.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat(path, " does not parse as a partial reduce"));
  }
  return partial;
}

}  // namespace

ErrorKind ErrorKindOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return ERROR_KIND_UNSPECIFIED;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return TRANSIENT;
    default:
      return PERMANENT;
  }
}

Result RunMapTask(const MapTask& task, const PublicSuffixList* suffixes) {
  const auto start = std::chrono::steady_clock::now();
  Result result;
  result.set_task_id(task.task_id());
  DirectoryMapper mapper(suffixes);
  absl::StatusOr<MapStats> stats = mapper.Map(task.directory());
  if (stats.ok()) {
    result.set_ok(true);
    MapResult* m = result.mutable_map();
    m->set_certificates(stats->certificates);
    m->set_duplicates(stats->duplicates);
    m->set_unparseable_blocks(stats->unparseable_blocks);
    m->set_bytes_read(stats->bytes_read);
    m->set_committed(stats->committed);
  } else {
    SetError(stats.status(), &result);
  }
  result.set_seconds(SecondsSince(start));
  return result;
}

absl::StatusOr<ReduceTally> MergeTallies(const MergeTask& task) {
  TallyReducer reducer;
  std::set<std::string> covered;
  for (const std::string& dir : task.directories()) {
    const std::string name = BaseName(dir);
    const std::optional<int32_t> day = ParseDate(name);
    if (!day.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(dir, " is not a date directory"));
    }
    ASSIGN_OR_RETURN(std::optional<DirectoryTally> tally, LoadOracle(dir));
    if (!tally.has_value()) {
      return absl::UnavailableError(
          absl::StrCat(dir, " has no ", kOracleFileName, " (not mapped yet)"));
    }
    const bool active = *day >= task.as_of() &&
                        (task.window_days() <= 0 || *day < task.as_of() + task.window_days());
    absl::Status added = reducer.Add(*tally, active);
    if (!added.ok()) return absl::DataLossError(absl::StrCat(dir, ": ", added.message()));
    covered.insert(name);
  }
  for (const std::string& path : task.partials()) {
    ASSIGN_OR_RETURN(ReduceTally partial, LoadPartial(path));
    if (partial.as_of() != task.as_of() || partial.window_days() != task.window_days()) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " was reduced as of another date or window"));
    }
    absl::Status added = reducer.AddPartial(partial);
    if (!added.ok()) return absl::DataLossError(absl::StrCat(path, ": ", added.message()));
    covered.insert(partial.directories().begin(), partial.directories().end());
  }
  ReduceTally out = reducer.FinishPartial();
  out.set_as_of(task.as_of());
  out.set_window_days(task.window_days());
  for (const std::string& name : covered) out.add_directories(name);
  return out;
}

Result RunMergeTask(const MergeTask& task) {
  const auto start = std::chrono::steady_clock::now();
  Result result;
  result.set_task_id(task.task_id());
  absl::StatusOr<ReduceTally> merged = MergeTallies(task);
  absl::Status status = merged.status();
  if (status.ok() && task.output().empty()) {
    status = absl::InvalidArgumentError("merge task without an output path");
  }
  if (status.ok()) {
    std::string bytes;
    if (!merged->SerializeToString(&bytes)) {
      status = absl::InternalError(absl::StrCat("cannot serialize ", task.output()));
    } else {
      status = WriteFileAtomically(task.output(), bytes);
    }
  }
  if (status.ok()) {
    result.set_ok(true);
  } else {
    SetError(status, &result);
  }
  result.set_seconds(SecondsSince(start));
  return result;
}

}  // namespace ctmr
