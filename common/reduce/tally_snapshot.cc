#include "common/reduce/tally_snapshot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/tally/oracle_file.h"

namespace ctmr::reduce {

absl::StatusOr<std::unique_ptr<TallySnapshot>> TallySnapshot::Take(
    const std::string& folder, const std::vector<const map::DateDirectory*>& dirs) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(folder).parent_path(), ec);
  if (::mkdir(folder.c_str(), 0755) != 0) return base::ErrnoStatus(errno, "cannot create", folder);
  std::unique_ptr<TallySnapshot> snapshot(new TallySnapshot(folder));
  for (const map::DateDirectory* d : dirs) {
    const std::string from = absl::StrCat(d->path, "/", tally::kOracleFileName);
    const std::string to = absl::StrCat(folder, "/", d->name);
    if (::link(from.c_str(), to.c_str()) != 0) {
      const int err = errno;
      if (err == ENOENT) continue;  // not mapped
      if (err != EXDEV && err != EPERM && err != ENOTSUP && err != EMLINK) {
        return base::ErrnoStatus(err, "cannot link", from);
      }
      struct stat st;
      if (::stat(from.c_str(), &st) != 0) continue;
      const std::string target = std::filesystem::absolute(from, ec).string();
      if (::symlink(target.c_str(), to.c_str()) != 0) {
        return base::ErrnoStatus(errno, "cannot link", from);
      }
      snapshot->pinned_ = false;
    }
    snapshot->directories_.push_back(d);
  }
  return snapshot;
}

TallySnapshot::~TallySnapshot() {
  std::error_code ec;
  std::filesystem::remove_all(folder_, ec);
}

}  // namespace ctmr::reduce
