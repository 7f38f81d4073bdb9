// The map plan: the date directories that need mapping, as a file that any
// scheduler can fan out over (Kubernetes Indexed Jobs, Slurm arrays, GNU
// parallel). `ct-coordinator plan` writes it; `ct-worker map --plan FILE
// --index I` maps entry I.
//
// Format: UTF-8 text, one absolute directory path per line, each line ended by
// "\n"; no header, comments or blank lines, so entry I (counting from 0) is
// line I + 1 and `wc -l` is the number of entries. An empty file is an empty
// plan.
#ifndef CT_COMMON_MAP_MAP_PLAN_H_
#define CT_COMMON_MAP_MAP_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ctmr::map {

// The plan's text. InvalidArgument for a path that is empty, relative or
// holds a newline.
absl::StatusOr<std::string> FormatMapPlan(const std::vector<std::string>& directories);

// The entries of a plan's text; DataLoss for a line that is not an absolute path
// or a last line without its "\n" (a plan cut short).
absl::StatusOr<std::vector<std::string>> ParseMapPlan(const std::string& text);

// Entry `index` of the plan file `path`. OutOfRange, naming the file and its
// number of entries, when there is no such entry.
absl::StatusOr<std::string> MapPlanEntry(const std::string& path, int64_t index);

}  // namespace ctmr::map

#endif  // CT_COMMON_MAP_MAP_PLAN_H_
