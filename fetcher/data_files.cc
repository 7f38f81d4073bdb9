#include "fetcher/data_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/x509/pem_scanner.h"

namespace ctmr::fetch {
namespace {

absl::Status ErrnoError(int err, absl::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", base::ErrnoText(err)));
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "cannot open", dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : ErrnoError(err, "cannot fsync", dir);
}

// Creates `dir` (one level below an existing parent) and syncs the parent so
// the new entry survives a crash.
absl::Status MakeDirectory(const std::string& parent, const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) return SyncDirectory(parent);
  if (errno == EEXIST) return absl::OkStatus();
  return ErrnoError(errno, "cannot create directory", dir);
}

constexpr std::string_view kEndLine = "-----END CERTIFICATE-----\n";
// Longer than any block ct-fetch writes: a torn block starts in the window.
constexpr off_t kTornTailWindow = 256 << 10;

// A crash (kill -9, power loss) can leave the last block of a file half
// written. Its entry was never confirmed in the state file, so ct-fetch
// appends it again; cutting the torn tail first keeps it from lingering as an
// unparseable block. Where to cut is the map's own rule (CompletePemPrefix in
// common/x509/pem_scanner.h): the map's offset never passes that point, so
// nothing it has counted is cut, and no offset it recorded ends up inside the
// bytes written again. Returns the size after the cut.
absl::StatusOr<off_t> CutTornTail(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError(errno, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) {
    // A FIFO or device in the data root would block or swallow the writes.
    return absl::FailedPreconditionError(
        absl::StrCat("cannot append to ", path, ": not a regular file"));
  }
  const off_t size = st.st_size;
  if (size == 0) return size;
  std::string tail(static_cast<size_t>(std::min<off_t>(size, kEndLine.size())), '\0');
  if (::pread(fd, tail.data(), tail.size(), size - static_cast<off_t>(tail.size())) !=
      static_cast<ssize_t>(tail.size())) {
    return ErrnoError(errno, "cannot read", path);
  }
  // The end of the block ct-fetch writes: complete by the map's rule.
  if (tail == kEndLine) return size;
  const off_t window = std::min<off_t>(size, kTornTailWindow);
  tail.assign(static_cast<size_t>(window), '\0');
  if (::pread(fd, tail.data(), tail.size(), size - window) != window) {
    return ErrnoError(errno, "cannot read", path);
  }
  const off_t cut = size - window + static_cast<off_t>(x509::CompletePemPrefix(tail));
  if (cut == size) return size;
  std::fprintf(stderr, "ct-fetch: cutting a torn block of %lld bytes from the end of %s\n",
               static_cast<long long>(size - cut), path.c_str());
  if (::ftruncate(fd, cut) != 0) return ErrnoError(errno, "cannot truncate", path);
  return cut;
}

}  // namespace

DataFiles::DataFiles(std::string data_dir) : data_dir_(std::move(data_dir)) {}

DataFiles::~DataFiles() {
  std::lock_guard<std::mutex> lock(mu_);
  CloseAllLocked().IgnoreError();
}

uint64_t DataFiles::epoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

void DataFiles::FailLocked(const absl::Status& s) {
  ++failures_;
  last_failure_ = s;
}

absl::Status DataFiles::OpenLocked(const std::string& path, absl::string_view dir, File* file) {
  const std::string dir_path = absl::StrCat(data_dir_, "/", dir);
  if (!known_dirs_.contains(dir_path)) {
    absl::Status s = MakeDirectory(data_dir_, dir_path);
    if (!s.ok()) return s;
    known_dirs_.insert(dir_path);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, "cannot open", path);
  absl::StatusOr<off_t> size = CutTornTail(fd, path);
  if (!size.ok()) {
    ::close(fd);
    return size.status();
  }
  file->fd = fd;
  file->size = *size;
  // A file closed unsynced and opened again is synced through this descriptor.
  file->dirty = closed_unsynced_.erase(path) > 0;
  return absl::OkStatus();
}

absl::Status DataFiles::FlushLocked(const std::string& path, File* file) {
  absl::string_view data = file->buffer;
  while (!data.empty()) {
    const ssize_t n = ::write(file->fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const absl::Status s = ErrnoError(n < 0 ? errno : ENOSPC, "cannot write", path);
      // Cut what part of the buffer made it, so that no torn block stays in the
      // middle of the file once later appends succeed.
      if (::ftruncate(file->fd, file->size) != 0) {
        std::fprintf(stderr, "ct-fetch: cannot cut a failed write from %s\n", path.c_str());
      }
      file->buffer.clear();
      FailLocked(s);
      return s;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  file->size += static_cast<int64_t>(file->buffer.size());
  if (!file->buffer.empty()) file->dirty = true;
  file->buffer.clear();
  return absl::OkStatus();
}

absl::Status DataFiles::CloseAllLocked() {
  absl::Status result;
  for (auto& [path, file] : files_) {
    absl::Status s = FlushLocked(path, &file);
    if (result.ok()) result = s;
    if (file.dirty) closed_unsynced_.insert(path);
    ::close(file.fd);
  }
  files_.clear();
  return result;
}

absl::Status DataFiles::Append(absl::string_view dir, absl::string_view file_name,
                               absl::string_view block) {
  std::lock_guard<std::mutex> lock(mu_);
  key_.clear();
  absl::StrAppend(&key_, data_dir_, "/", dir, "/", file_name);
  auto it = files_.find(key_);
  if (it == files_.end()) {
    if (files_.size() >= kMaxOpenFiles) {
      // Too many files between syncs: close them now and fsync them by path
      // at Sync() (fsync flushes the file, whichever descriptor asks).
      absl::Status s = CloseAllLocked();
      if (!s.ok()) return s;
    }
    File file;
    absl::Status s = OpenLocked(key_, dir, &file);
    if (!s.ok()) return s;
    it = files_.emplace(key_, std::move(file)).first;
  }
  it->second.buffer.append(block.data(), block.size());
  if (it->second.buffer.size() >= kFlushBytes) return FlushLocked(it->first, &it->second);
  return absl::OkStatus();
}

absl::Status DataFiles::Sync(uint64_t* epoch) {
  std::lock_guard<std::mutex> commit(commit_mu_);
  std::vector<std::pair<std::string, int>> to_sync;  // path, dup'd descriptor
  absl::Status result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [path, file] : files_) {
      absl::Status s = FlushLocked(path, &file);
      if (!s.ok()) {
        if (result.ok()) result = s;
        continue;
      }
      if (!file.dirty) continue;
      // fsync runs outside mu_ so that other logs keep appending; commit_mu_
      // keeps a second Sync() from taking a file for synced before it is.
      const int fd = ::dup(file.fd);
      if (fd < 0) {
        const absl::Status e = ErrnoError(errno, "cannot dup", path);
        FailLocked(e);
        if (result.ok()) result = e;
        continue;
      }
      file.dirty = false;
      to_sync.emplace_back(path, fd);
    }
    for (const std::string& path : closed_unsynced_) to_sync.emplace_back(path, -1);
    closed_unsynced_.clear();
  }
  for (auto& [path, fd] : to_sync) {
    if (fd < 0) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      const absl::Status e = ErrnoError(errno, "cannot fsync", path);
      std::lock_guard<std::mutex> lock(mu_);
      FailLocked(e);
      if (result.ok()) result = e;
    }
    if (fd >= 0) ::close(fd);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (result.ok() && failures_ != *epoch) {
    result = absl::UnavailableError(
        absl::StrCat("a write to the data root failed since the last sync (",
                     last_failure_.message(), "): the entries since then are fetched again"));
  }
  *epoch = failures_;
  return result;
}

absl::Status DataFiles::SaveIssuer(absl::string_view issuer_id, absl::string_view pem) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id(issuer_id);
  if (saved_issuers_.contains(id)) return absl::OkStatus();
  const std::string dir = absl::StrCat(data_dir_, "/issuers");
  const std::string path = absl::StrCat(dir, "/", id, ".pem");
  if (::access(path.c_str(), F_OK) != 0) {
    absl::Status s = MakeDirectory(data_dir_, dir);
    if (!s.ok()) return s;
    s = base::WriteFileAtomically(path, std::string_view(pem.data(), pem.size()));
    if (!s.ok()) return s;
  }
  saved_issuers_.insert(id);
  return absl::OkStatus();
}

}  // namespace ctmr::fetch
