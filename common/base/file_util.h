// File helpers with the durability the data root needs.
#ifndef CT_COMMON_BASE_FILE_UTIL_H_
#define CT_COMMON_BASE_FILE_UTIL_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ctmr::base {

enum class Durability {
  kSynced,    // survives a power loss once this returns
  kUnsynced,  // atomic, but may be lost (never torn) on a power loss: for files
              // nothing depends on, such as oracle.out.offsets
};

// Replaces `path` with `contents` so that a crash at any instant leaves either
// the old file or the new one: writes "<path>.tmp.<pid>.<n>", fsyncs it, renames it over
// `path`, and fsyncs the directory so the rename itself is durable. The temp
// file is created with `mode` (and fchmod'ed to it, whatever the umask), so a
// secret is never readable by others, not even for an instant. On an error
// the temp file is removed.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                 Durability durability = Durability::kSynced, mode_t mode = 0644);

// The same commit for a file written in pieces (oracle.out, whose sets may
// not fit in memory): Create makes the temp file, Append writes to it
// unbuffered, Commit syncs and renames as WriteFileAtomically does. Destroyed
// without a successful Commit, the writer removes its temp file.
class AtomicFileWriter {
 public:
  static absl::StatusOr<std::unique_ptr<AtomicFileWriter>> Create(const std::string& path,
                                                                  mode_t mode = 0644);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  absl::Status Append(std::string_view bytes);
  absl::Status Commit(Durability durability = Durability::kSynced);

 private:
  AtomicFileWriter(std::string path, std::string tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  absl::Status Fail(int err, const char* what);

  std::string path_;
  std::string tmp_;
  int fd_;  // -1 once closed
  bool committed_ = false;
};

// fsyncs the directory `dir`, so that the names created, renamed or removed
// in it survive a crash. Errors as ErrnoStatus.
absl::Status SyncDirectory(const std::string& dir);

// Reads a whole file. NotFound when it does not exist.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// "<what> <path>: <errno text>" as a Status: NotFound for ENOENT, Unavailable
// for errors that may pass (ENOSPC, EIO, EINTR, EAGAIN), else FailedPrecondition.
absl::Status ErrnoStatus(int err, const char* what, const std::string& path);

// "<errno text>" for messages, e.g. "No such file or directory".
std::string ErrnoText(int err);

}  // namespace ctmr::base

#endif  // CT_COMMON_BASE_FILE_UTIL_H_
