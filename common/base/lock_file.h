// An exclusive lock on a file (flock(2)), held while the object lives: one
// ct-fetch, one `ct-coordinator run`, one report writer per folder. The
// kernel drops it when the process dies, so a crash never leaves it held.
// flock works across NFSv4 clients (Linux emulates it with byte-range locks).
#ifndef CT_COMMON_BASE_LOCK_FILE_H_
#define CT_COMMON_BASE_LOCK_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace ctmr::base {

class LockFile {
 public:
  // Opens (creating) `path` and locks it without waiting. FailedPrecondition
  // when another process holds the lock; the error names the file and `holder`
  // ("another ct-fetch"). Internal when the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<LockFile>> Acquire(const std::string& path,
                                                           const std::string& holder);
  // As Acquire, but waits up to `timeout_ms` for the holder to finish (for
  // short critical sections such as writing a report folder):
  // DeadlineExceeded, naming the file and `holder`, when it does not.
  static absl::StatusOr<std::unique_ptr<LockFile>> Wait(const std::string& path,
                                                        const std::string& holder,
                                                        int64_t timeout_ms);
  ~LockFile();  // releases the lock
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

 private:
  explicit LockFile(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ctmr::base

#endif  // CT_COMMON_BASE_LOCK_FILE_H_
