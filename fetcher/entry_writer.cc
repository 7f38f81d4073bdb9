#include "fetcher/entry_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/civil_date.h"
#include "common/base/file_util.h"
#include "common/x509/certificate_view.h"
#include "common/x509/der_certificate_parser.h"
#include "common/x509/openssl_certificate_parser.h"
#include "common/x509/pem_scanner.h"
#include "fetcher/verify/codec.h"

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

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
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
// bytes written again.
absl::Status CutTornTail(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError(errno, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) {
    // A FIFO or device in the data root would block or swallow the writes.
    return absl::FailedPreconditionError(
        absl::StrCat("cannot append to ", path, ": not a regular file"));
  }
  const off_t size = st.st_size;
  if (size == 0) return absl::OkStatus();
  std::string tail(static_cast<size_t>(std::min<off_t>(size, kEndLine.size())), '\0');
  if (::pread(fd, tail.data(), tail.size(), size - static_cast<off_t>(tail.size())) !=
      static_cast<ssize_t>(tail.size())) {
    return ErrnoError(errno, "cannot read", path);
  }
  // The end of the block ct-fetch writes: complete by the map's rule.
  if (tail == kEndLine) return absl::OkStatus();
  const off_t window = std::min<off_t>(size, kTornTailWindow);
  tail.assign(static_cast<size_t>(window), '\0');
  if (::pread(fd, tail.data(), tail.size(), size - window) != window) {
    return ErrnoError(errno, "cannot read", path);
  }
  const off_t cut = size - window + static_cast<off_t>(x509::CompletePemPrefix(tail));
  if (cut == size) return absl::OkStatus();
  std::fprintf(stderr, "ct-fetch: cutting a torn block of %lld bytes from the end of %s\n",
               static_cast<long long>(size - cut), path.c_str());
  if (::ftruncate(fd, cut) != 0) return ErrnoError(errno, "cannot truncate", path);
  return absl::OkStatus();
}

}  // namespace

std::string FormatRfc3339Millis(uint64_t unix_millis) {
  const int64_t seconds = static_cast<int64_t>(unix_millis / 1000);
  const int32_t day = base::DayOfUnixSeconds(seconds);
  const int64_t in_day = seconds - int64_t{day} * 86400;
  return absl::StrFormat("%sT%02d:%02d:%02d.%03dZ", base::FormatDate(day), in_day / 3600,
                         in_day / 60 % 60, in_day % 60, static_cast<int>(unix_millis % 1000));
}

std::string FormatPemBlock(absl::string_view log_url, uint64_t timestamp_millis,
                           absl::string_view der) {
  const std::string b64 = verify::EncodeBase64(der);
  std::string out = absl::StrCat("-----BEGIN CERTIFICATE-----\nLog: ", log_url,
                                 "\nRecorded-at: ", FormatRfc3339Millis(timestamp_millis), "\n\n");
  for (size_t i = 0; i < b64.size(); i += 64) {
    absl::StrAppend(&out, absl::string_view(b64).substr(i, 64), "\n");
  }
  absl::StrAppend(&out, "-----END CERTIFICATE-----\n");
  return out;
}

EntryWriter::EntryWriter(std::string data_dir, bool include_expired, int64_t now_unix_seconds)
    : data_dir_(std::move(data_dir)), include_expired_(include_expired), now_(now_unix_seconds) {}

EntryWriter::~EntryWriter() {
  for (auto& [path, fd] : open_files_) ::close(fd);
}

absl::StatusOr<int> EntryWriter::OpenForAppend(const std::string& dir, const std::string& name) {
  const std::string path = absl::StrCat(dir, "/", name);
  auto it = open_files_.find(path);
  if (it != open_files_.end()) return it->second;
  if (!known_dirs_.count(dir)) {
    absl::Status s = MakeDirectory(data_dir_, dir);
    if (!s.ok()) return s;
    known_dirs_.insert(dir);
  }
  if (open_files_.size() >= kMaxOpenFiles) {
    // Too many files between commits: close them now and fsync them by path
    // at Commit() (fsync flushes the file, whichever descriptor asks).
    for (auto& [open_path, open_fd] : open_files_) {
      ::close(open_fd);
      closed_unsynced_.insert(open_path);
    }
    open_files_.clear();
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, "cannot open", path);
  if (absl::Status cut = CutTornTail(fd, path); !cut.ok()) {
    ::close(fd);
    return cut;
  }
  open_files_[path] = fd;
  closed_unsynced_.erase(path);
  return fd;
}

absl::StatusOr<bool> EntryWriter::Append(absl::string_view log_url, uint64_t timestamp_millis,
                                         absl::string_view der, absl::string_view issuer_id) {
  x509::CertificateView view;
  const std::string_view der_view(der.data(), der.size());
  if (!x509::ParseCertificateDer(der_view, &view).ok() &&
      !x509::ParseCertificateWithOpenSsl(der_view, &view).ok()) {
    ++stats_.unparseable;
    return false;
  }
  if (!include_expired_ && view.not_after < now_) {
    ++stats_.expired;
    return false;
  }
  const std::string dir =
      absl::StrCat(data_dir_, "/", base::FormatDate(base::DayOfUnixSeconds(view.not_after)));
  absl::StatusOr<int> fd = OpenForAppend(dir, absl::StrCat(issuer_id, ".pem"));
  if (!fd.ok()) return fd.status();
  absl::Status s = WriteAll(*fd, FormatPemBlock(log_url, timestamp_millis, der),
                            absl::StrCat(dir, "/", issuer_id, ".pem"));
  if (!s.ok()) return s;
  ++stats_.written;
  return true;
}

absl::Status EntryWriter::Commit() {
  absl::Status result;
  for (auto& [path, fd] : open_files_) {
    if (::fsync(fd) != 0 && result.ok()) result = ErrnoError(errno, "cannot fsync", path);
    ::close(fd);
  }
  open_files_.clear();
  for (const std::string& path : closed_unsynced_) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      if (result.ok()) result = ErrnoError(errno, "cannot fsync", path);
    }
    if (fd >= 0) ::close(fd);
  }
  closed_unsynced_.clear();
  return result;
}

absl::Status EntryWriter::SaveIssuer(absl::string_view issuer_id, absl::string_view der) {
  const std::string id(issuer_id);
  if (saved_issuers_.count(id)) return absl::OkStatus();
  const std::string dir = absl::StrCat(data_dir_, "/issuers");
  const std::string path = absl::StrCat(dir, "/", id, ".pem");
  if (::access(path.c_str(), F_OK) != 0) {
    absl::Status s = MakeDirectory(data_dir_, dir);
    if (!s.ok()) return s;
    const std::string pem = FormatPemBlock("", 0, der);
    // Issuers carry no headers: strip the two header lines and the blank line.
    const std::string body =
        absl::StrCat("-----BEGIN CERTIFICATE-----\n", pem.substr(pem.find("\n\n") + 2));
    s = base::WriteFileAtomically(path, std::string_view(body));
    if (!s.ok()) return s;
  }
  saved_issuers_.insert(id);
  return absl::OkStatus();
}

}  // namespace ctmr::fetch
