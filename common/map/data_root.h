// The date directories of a data root (DESIGN.md §2, §3).
#ifndef CT_COMMON_MAP_DATA_ROOT_H_
#define CT_COMMON_MAP_DATA_ROOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ctmr::map {

struct DateDirectory {
  std::string name;  // "YYYY-MM-DD"
  std::string path;  // ROOT/YYYY-MM-DD
  int32_t day = 0;   // days since 1970-01-01
};

struct DataRootListing {
  std::vector<DateDirectory> dates;  // sorted by day
  // Folders named like a date that is not one ("2026-13-45"), and date
  // directories that are symbolic links CheckDateDirectoryLink refuses:
  // ignored, and reported so that an operator notices.
  std::vector<std::string> invalid_date_names;
};

// Lists the folders directly under `root` whose names are valid calendar dates.
// Everything else (state/, issuers/, reports/, stray files) is ignored. A
// refused symbolic link is listed in invalid_date_names, with a line on stderr
// that says why.
absl::StatusOr<DataRootListing> ListDataRoot(const std::string& root);

// The map writes oracle.out into a date directory, so a date directory that
// is a symbolic link is mapped only if it resolves to a directory inside
// `root` that is not itself directly under `root` (a link to another date
// directory would count its certificates twice). Returns OK for `path` (a
// folder directly under `root`) when it is not a symbolic link or resolves
// so; FailedPrecondition naming `path` and its target otherwise, or when the
// link cannot be resolved.
absl::Status CheckDateDirectoryLink(const std::string& root, const std::string& path);

}  // namespace ctmr::map

#endif  // CT_COMMON_MAP_DATA_ROOT_H_
