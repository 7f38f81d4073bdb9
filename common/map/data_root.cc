#include "common/map/data_root.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/base/civil_date.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"

namespace ctmr::map {
namespace {

bool LooksLikeDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// The absolute path `path` resolves to, with every link followed.
absl::StatusOr<std::string> RealPath(const std::string& path) {
  char* real = ::realpath(path.c_str(), nullptr);
  if (real == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot resolve ", path, ": ", base::ErrnoText(errno)));
  }
  std::string out = real;
  std::free(real);
  return out;
}

}  // namespace

absl::Status CheckDateDirectoryLink(const std::string& root, const std::string& path) {
  std::string link = path;
  // lstat follows a link named with a trailing '/'.
  while (link.size() > 1 && link.back() == '/') link.pop_back();
  struct stat st;
  if (::lstat(link.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return absl::OkStatus();
  ASSIGN_OR_RETURN(const std::string real_root, RealPath(root));
  ASSIGN_OR_RETURN(const std::string target, RealPath(link));
  const std::string prefix = real_root == "/" ? real_root : absl::StrCat(real_root, "/");
  if (!absl::StartsWith(target, prefix)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is a symbolic link to ", target,
                                                      ", which resolves outside the data root ",
                                                      real_root, ": not mapped"));
  }
  if (target.find('/', prefix.size()) == std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is a symbolic link to ", target,
                     ", another folder of the data root (it would count twice): not mapped"));
  }
  return absl::OkStatus();
}

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
    std::optional<int32_t> day = base::ParseDate(name);
    if (day.has_value()) {
      if (absl::Status link = CheckDateDirectoryLink(root, path); !link.ok()) {
        // Once per link and process: one reduce lists the root twice (the
        // count and the history's back-fill), and `run` every cycle.
        static absl::Mutex mu(absl::kConstInit);
        static auto* said = new std::set<std::string>();
        absl::MutexLock lock(&mu);
        if (said->insert(path).second) {
          std::fprintf(stderr, "ct-mapreduce: %s\n", std::string(link.message()).c_str());
        }
        day.reset();
      }
    }
    if (day.has_value()) {
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
