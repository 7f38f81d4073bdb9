#include "common/reduce/tally_snapshot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/tally/oracle_file.h"

namespace ctmr::reduce {
namespace {

constexpr char kLockSuffix[] = ".ct-snapshot-lock";

}  // namespace

int TallySnapshot::RemoveAbandoned(const std::string& parent) {
  int removed = 0;
  std::error_code ec;
  std::vector<std::string> locks;
  for (const auto& e : std::filesystem::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    if (absl::EndsWith(name, kLockSuffix)) locks.push_back(e.path().string());
  }
  for (const std::string& lock_path : locks) {
    absl::StatusOr<std::unique_ptr<base::LockFile>> lock =
        base::LockFile::Acquire(lock_path, "a running reduce");
    if (!lock.ok()) continue;  // in use (or unreadable): leave it
    const std::string folder = lock_path.substr(0, lock_path.size() - strlen(kLockSuffix));
    std::filesystem::remove_all(folder, ec);
    ::unlink(lock_path.c_str());
    ++removed;
  }
  return removed;
}

absl::StatusOr<std::unique_ptr<TallySnapshot>> TallySnapshot::Take(
    const std::string& folder, const std::vector<const map::DateDirectory*>& dirs) {
  std::error_code ec;
  const std::string parent = std::filesystem::path(folder).parent_path().string();
  std::filesystem::create_directories(parent, ec);
  RemoveAbandoned(parent);
  // The lock first, then the folder: a folder never exists unlocked.
  absl::StatusOr<std::unique_ptr<base::LockFile>> lock =
      base::LockFile::Acquire(folder + kLockSuffix, "another reduce");
  if (!lock.ok()) return lock.status();
  if (::mkdir(folder.c_str(), 0755) != 0) return base::ErrnoStatus(errno, "cannot create", folder);
  std::unique_ptr<TallySnapshot> snapshot(new TallySnapshot(folder));
  snapshot->lock_ = *std::move(lock);
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
  ::unlink((folder_ + kLockSuffix).c_str());
}

}  // namespace ctmr::reduce
