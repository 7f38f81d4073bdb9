#include "coordinator/plan_command.h"

#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/map_plan.h"
#include "common/oracle_file.h"
#include "common/oracle_reader.h"
#include "common/status_macros.h"

namespace ctmr {

MapWork FindMapWork(const DataRootListing& listing, const RunState& state) {
  MapWork work;
  for (const DateDirectory& d : listing.dates) {
    auto f = state.failed.find(d.name);
    if (f != state.failed.end()) {
      absl::StatusOr<std::string> fp = InputFingerprint(d.path);
      if (fp.ok() && *fp == f->second.input_fingerprint) {
        work.skipped_failed.push_back(d.name);
        continue;
      }
      work.retried.push_back(d.name);
    }
    absl::StatusOr<std::optional<DirectoryTally>> tally = LoadOracleHeader(d.path);
    absl::StatusOr<bool> needs = tally.ok() ? NeedsMapping(d.path, *tally) : true;
    if (!needs.ok() || *needs) work.to_map.push_back(&d);
  }
  return work;
}

absl::StatusOr<std::vector<std::string>> RunPlan(const PlanOptions& options) {
  std::error_code ec;
  const std::string root =
      std::filesystem::absolute(options.data_dir, ec).lexically_normal().string();
  ASSIGN_OR_RETURN(const DataRootListing listing, ListDataRoot(root));
  ASSIGN_OR_RETURN(RunState state, LoadRunState(RunStatePath(root)));
  ApplyRequeue(state);  // in memory only: `run` clears the requests it carries out
  const MapWork work = FindMapWork(listing, state);
  std::vector<std::string> entries;
  for (const DateDirectory* d : work.to_map) {
    // ListDataRoot joins the root and the name; normalized, "/ct/" gives "/ct/D".
    entries.push_back(std::filesystem::path(d->path).lexically_normal().string());
  }
  ASSIGN_OR_RETURN(const std::string text, FormatMapPlan(entries));
  if (options.out == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return entries;
  }
  const std::string out = options.out.empty() ? root + "/state/map-plan.txt" : options.out;
  std::filesystem::create_directories(std::filesystem::path(out).parent_path(), ec);
  RETURN_IF_ERROR(WriteFileAtomically(out, text));
  return entries;
}

}  // namespace ctmr
