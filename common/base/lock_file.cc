#include "common/base/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"

namespace ctmr::base {

absl::StatusOr<std::unique_ptr<LockFile>> LockFile::Acquire(const std::string& path,
                                                            const std::string& holder) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", path, ": ", ErrnoText(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(holder, " holds ", path));
    }
    return absl::InternalError(absl::StrCat("cannot lock ", path, ": ", ErrnoText(error)));
  }
  return std::unique_ptr<LockFile>(new LockFile(fd));
}

absl::StatusOr<std::unique_ptr<LockFile>> LockFile::Wait(const std::string& path,
                                                         const std::string& holder,
                                                         int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::max<int64_t>(0, timeout_ms));
  while (true) {
    absl::StatusOr<std::unique_ptr<LockFile>> lock = Acquire(path, holder);
    if (lock.ok() || !absl::IsFailedPrecondition(lock.status())) return lock;
    // Polled rather than a blocking flock: a holder that never lets go (a
    // hung NFS write) then ends in an error instead of a hang.
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(holder, " has held ", path, " for ", timeout_ms / 1000, " s"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

LockFile::~LockFile() { ::close(fd_); }

}  // namespace ctmr::base
