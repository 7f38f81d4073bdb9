#include "common/map/data_root.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/file_util.h"

namespace ctmr::map {
namespace {

bool LooksLikeDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<DataRootListing> ListDataRoot(const std::string& root) {
  DIR* d = ::opendir(root.c_str());
  if (d == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot list data root ", root, ": ", base::ErrnoText(errno)));
  }
  DataRootListing listing;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (!LooksLikeDate(name)) continue;
    const std::string path = absl::StrCat(root, "/", name);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (std::optional<int32_t> day = base::ParseDate(name)) {
      listing.dates.push_back(DateDirectory{name, path, *day});
    } else {
      listing.invalid_date_names.push_back(name);
    }
  }
  ::closedir(d);
  std::sort(listing.dates.begin(), listing.dates.end(),
            [](const DateDirectory& a, const DateDirectory& b) { return a.day < b.day; });
  std::sort(listing.invalid_date_names.begin(), listing.invalid_date_names.end());
  return listing;
}

}  // namespace ctmr::map
