#include "coordinator/cli/plan_command.h"

#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"
#include "common/map/map_plan.h"
#include "common/tally/oracle_file.h"
#include "common/tally/oracle_reader.h"
#include "coordinator/service/map_work.h"

namespace ctmr::cli {

absl::StatusOr<std::vector<std::string>> RunPlan(const PlanOptions& options) {
  std::error_code ec;
  const std::string root =
      std::filesystem::absolute(options.data_dir, ec).lexically_normal().string();
  ASSIGN_OR_RETURN(const map::DataRootListing listing, map::ListDataRoot(root));
  ASSIGN_OR_RETURN(service::RunState state, service::LoadRunState(service::RunStatePath(root)));
  service::ApplyRequeue(state);  // in memory only: `run` clears the requests it carries out
  const service::MapWork work = service::FindMapWork(listing, state);
  std::vector<std::string> entries;
  for (const map::DateDirectory* d : work.to_map) {
    // ListDataRoot joins the root and the name; normalized, "/ct/" gives "/ct/D".
    entries.push_back(std::filesystem::path(d->path).lexically_normal().string());
  }
  ASSIGN_OR_RETURN(const std::string text, map::FormatMapPlan(entries));
  if (options.out == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return entries;
  }
  const std::string out = options.out.empty() ? root + "/state/map-plan.txt" : options.out;
  std::filesystem::create_directories(std::filesystem::path(out).parent_path(), ec);
  RETURN_IF_ERROR(base::WriteFileAtomically(out, text));
  return entries;
}

}  // namespace ctmr::cli
