#include "common/map/map_plan.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"

namespace ctmr::map {

absl::StatusOr<std::string> FormatMapPlan(const std::vector<std::string>& directories) {
  std::string text;
  for (const std::string& d : directories) {
    if (d.empty() || d[0] != '/' || d.find('\n') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", d, "' cannot be a plan entry: entries are absolute paths, one a line"));
    }
    absl::StrAppend(&text, d, "\n");
  }
  return text;
}

absl::StatusOr<std::vector<std::string>> ParseMapPlan(const std::string& text) {
  std::vector<std::string> entries;
  if (text.empty()) return entries;
  if (text.back() != '\n') return absl::DataLossError("the plan's last line has no newline");
  entries = absl::StrSplit(absl::string_view(text).substr(0, text.size() - 1), '\n');
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].empty() || entries[i][0] != '/') {
      return absl::DataLossError(
          absl::StrCat("line ", i + 1, " of the plan is not an absolute path"));
    }
  }
  return entries;
}

absl::StatusOr<std::string> MapPlanEntry(const std::string& path, int64_t index) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFileToString(path));
  absl::StatusOr<std::vector<std::string>> entries = ParseMapPlan(text);
  if (!entries.ok())
    return absl::DataLossError(absl::StrCat(path, ": ", entries.status().message()));
  if (index < 0 || static_cast<uint64_t>(index) >= entries->size()) {
    return absl::OutOfRangeError(absl::StrCat(
        "--index ", index, " is out of range: ", path, " lists ", entries->size(),
        entries->empty() ? " directories"
                         : absl::StrCat(" directories (0 to ", entries->size() - 1, ")")));
  }
  return (*entries)[static_cast<size_t>(index)];
}

}  // namespace ctmr::map
