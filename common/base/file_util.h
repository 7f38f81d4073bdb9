// File helpers with the durability the data root needs.
#ifndef CT_COMMON_BASE_FILE_UTIL_H_
#define CT_COMMON_BASE_FILE_UTIL_H_

#include <sys/types.h>

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

// Reads a whole file. NotFound when it does not exist.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// "<what> <path>: <errno text>" as a Status: NotFound for ENOENT, Unavailable
// for errors that may pass (ENOSPC, EIO, EINTR, EAGAIN), else FailedPrecondition.
absl::Status ErrnoStatus(int err, const char* what, const std::string& path);

// "<errno text>" for messages, e.g. "No such file or directory".
std::string ErrnoText(int err);

}  // namespace ctmr::base

#endif  // CT_COMMON_BASE_FILE_UTIL_H_
