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
  // Folders named like a date that is not one ("2026-13-45"): ignored, and
  // reported so that an operator notices a mistyped name.
  std::vector<std::string> invalid_date_names;
};

// Lists the folders directly under `root` whose names are valid calendar dates.
// Everything else (state/, issuers/, reports/, stray files) is ignored.
absl::StatusOr<DataRootListing> ListDataRoot(const std::string& root);

}  // namespace ctmr::map

#endif  // CT_COMMON_MAP_DATA_ROOT_H_
