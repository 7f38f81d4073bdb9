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

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/hash128.h"
#include "common/x509/certificate_file_reader.h"
#include "common/x509/der_certificate_parser.h"
#include "common/x509/openssl_certificate_parser.h"
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

absl::StatusOr<StorageFormat> ParseStorageFormat(absl::string_view name) {
  if (name == "compact") return StorageFormat::kCompact;
  if (name == "pem") return StorageFormat::kPem;
  return absl::InvalidArgumentError(
      absl::StrCat("--format must be compact or pem, not \"", name, "\""));
}

DataFiles::DataFiles(std::string data_dir, DataFilesOptions options)
    : data_dir_(std::move(data_dir)), options_(options), builder_(options.zstd_level) {}

DataFiles::~DataFiles() {
  std::lock_guard<std::mutex> lock(mu_);
  CloseAllLocked().IgnoreError();
  // Sets whose every record is fsync'd are saved, so that the next start
  // reads them rather than their segments.
  for (auto& [path, serials] : serials_) {
    Serials& s = *serials;
    if (s.durable_appends != s.appends) continue;
    if (s.set.added() == 0 && s.set.covered() == static_cast<uint64_t>(s.end)) continue;
    SaveSerialsLocked(&s).IgnoreError();
  }
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
  if (absl::EndsWith(path, absl::string_view(segment::kFileExtension.data(),
                                             segment::kFileExtension.size()))) {
    // LoadSerialsLocked reads the segment, and cuts its torn tail.
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      const int err = errno;
      ::close(fd);
      return S_ISREG(st.st_mode) ? ErrnoError(err, "cannot stat", path)
                                 : absl::FailedPreconditionError(absl::StrCat(
                                       "cannot append to ", path, ": not a regular file"));
    }
    file->fd = fd;
    file->size = st.st_size;
    file->dirty = closed_unsynced_.erase(path) > 0;
    return absl::OkStatus();
  }
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
  if (!file->pending.empty()) {
    absl::Status s = BuildBlockLocked(file);
    if (!s.ok()) {
      serials_.erase(path);
      return s;
    }
  }
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
      // The set holds serials of the records just cut: read it again from
      // what the segment holds.
      serials_.erase(path);
      return s;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  file->size += static_cast<int64_t>(file->buffer.size());
  if (!file->buffer.empty()) {
    file->dirty = true;
    if (options_.format == StorageFormat::kCompact) {
      auto it = serials_.find(path);
      if (it != serials_.end()) it->second->end = file->size;
    }
  }
  file->buffer.clear();
  return absl::OkStatus();
}

absl::Status DataFiles::BuildBlockLocked(File* file) {
  records_.clear();
  for (const PendingRecord& r : file->pending) {
    records_.push_back(segment::Record{std::string_view(file->arena).substr(r.url_at, r.url_size),
                                       r.recorded_at_ms,
                                       std::string_view(file->arena).substr(r.der_at, r.der_size)});
  }
  absl::Status s = builder_.AppendBlock(records_, &file->buffer);
  file->pending.clear();
  file->arena.clear();
  if (!s.ok()) FailLocked(s);
  return s;
}

std::string DataFiles::IndexPathLocked(absl::string_view dir, absl::string_view file_name) const {
  absl::string_view issuer = file_name;
  issuer.remove_suffix(segment::kFileExtension.size());
  return absl::StrCat(data_dir_, "/state/serials/", dir, "/", issuer, ".idx");
}

absl::Status DataFiles::LoadSerialsLocked(const std::string& path, absl::string_view dir,
                                          absl::string_view file_name, File* file) {
  auto serials = std::make_unique<Serials>();
  Serials& s = *serials;
  s.segment_path = path;
  s.index_path = IndexPathLocked(dir, file_name);
  s.index_dir = absl::StrCat(data_dir_, "/state/serials/", dir);
  const uint64_t size = static_cast<uint64_t>(file->size);
  s.set.Load(s.index_path, path, size);
  if (s.set.covered() > 0) ++serial_stats_.loaded;
  // The records after the index: their serials, and where the complete
  // blocks end (the map's rule, segment.h), which is where a torn tail is cut.
  uint64_t read = 0;
  absl::StatusOr<x509::FileReadResult> scan = x509::ReadCertificateFile(
      path, s.set.covered(), x509::CertificateFileFormat::kSegment, [&](std::string_view der) {
        ++read;
        if (!x509::ParseCertificateDer(der, &view_).ok() &&
            !x509::ParseCertificateWithOpenSsl(der, &view_).ok()) {
          return false;  // never stored by ct-fetch; nothing to de-duplicate
        }
        s.set.Insert(base::HashBytes(view_.serial));
        return true;
      });
  if (!scan.ok()) return scan.status();
  if (s.set.covered() < size) ++serial_stats_.rebuilt;
  serial_stats_.records_read += read;
  const uint64_t end = scan->end_offset;
  if (end < size) {
    std::fprintf(stderr, "ct-fetch: cutting a torn block of %llu bytes from the end of %s\n",
                 static_cast<unsigned long long>(size - end), path.c_str());
    if (::ftruncate(file->fd, static_cast<off_t>(end)) != 0) {
      return ErrnoError(errno, "cannot truncate", path);
    }
    ++serial_stats_.torn_cut;
  }
  file->size = static_cast<int64_t>(end);
  s.end = file->size;
  if (s.set.covered() < end) {
    // Those records may never have been fsync'd (the last process died
    // first): no state may advance past a duplicate of one of them before
    // the next Sync makes them durable.
    file->dirty = true;
    s.appends = 1;
  }
  s.last_use = ++use_clock_;
  serials_[path] = std::move(serials);
  TrimSerialsLocked(&path);
  return absl::OkStatus();
}

absl::Status DataFiles::SaveSerialsLocked(Serials* s) {
  if (!known_dirs_.contains(s->index_dir)) {
    const std::string state = absl::StrCat(data_dir_, "/state");
    const std::string serials = absl::StrCat(state, "/serials");
    absl::Status made = MakeDirectory(data_dir_, state);
    if (made.ok()) made = MakeDirectory(state, serials);
    if (made.ok()) made = MakeDirectory(serials, s->index_dir);
    if (!made.ok()) return made;
    known_dirs_.insert(s->index_dir);
  }
  absl::Status saved = s->set.Save(s->index_path, s->segment_path, static_cast<uint64_t>(s->end));
  if (saved.ok()) {
    ++serial_stats_.saved;
  } else {
    std::fprintf(stderr, "ct-fetch: cannot save %s: %s\n", s->index_path.c_str(),
                 std::string(saved.message()).c_str());
  }
  return saved;
}

void DataFiles::TrimSerialsLocked(const std::string* keep) {
  size_t total = 0;
  for (auto& [path, serials] : serials_) {
    Serials& s = *serials;
    const bool clean = s.durable_appends == s.appends;
    // A set that grew a lot is saved while clean, so a crash does not cost
    // a long re-read of its segment.
    if (clean && s.set.added() >= kSaveEvery) SaveSerialsLocked(&s).IgnoreError();
    total += s.set.MemoryBytes();
  }
  while (total > options_.serial_memory) {
    auto victim = serials_.end();
    for (auto it = serials_.begin(); it != serials_.end(); ++it) {
      const Serials& s = *it->second;
      if (s.durable_appends != s.appends || (keep != nullptr && it->first == *keep)) continue;
      if (victim == serials_.end() || s.last_use < victim->second->last_use) victim = it;
    }
    if (victim == serials_.end()) return;  // none clean: over the budget until the next Sync
    Serials& s = *victim->second;
    if (s.set.added() > 0 || s.set.covered() != static_cast<uint64_t>(s.end)) {
      SaveSerialsLocked(&s).IgnoreError();
    }
    total -= std::min(total, s.set.MemoryBytes());
    serials_.erase(victim);
    ++serial_stats_.evicted;
  }
}

SerialIndexStats DataFiles::serial_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  SerialIndexStats stats = serial_stats_;
  stats.memory_bytes = 0;
  for (const auto& [path, serials] : serials_) stats.memory_bytes += serials->set.MemoryBytes();
  return stats;
}

uint64_t DataFiles::AppendsLocked(const std::string& path) const {
  auto it = serials_.find(path);
  return it == serials_.end() ? 0 : it->second->appends;
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

absl::StatusOr<std::pair<const std::string, DataFiles::File>*> DataFiles::FileLocked(
    absl::string_view dir, absl::string_view file_name) {
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
  return &*it;
}

absl::Status DataFiles::Append(absl::string_view dir, absl::string_view file_name,
                               absl::string_view block) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<std::pair<const std::string, File>*> entry = FileLocked(dir, file_name);
  if (!entry.ok()) return entry.status();
  File& file = (*entry)->second;
  file.buffer.append(block.data(), block.size());
  if (file.buffer.size() >= kFlushBytes) return FlushLocked((*entry)->first, &file);
  return absl::OkStatus();
}

absl::StatusOr<bool> DataFiles::AppendCertificate(absl::string_view dir,
                                                  absl::string_view issuer_id,
                                                  absl::string_view log_url,
                                                  uint64_t recorded_at_ms, absl::string_view der,
                                                  absl::string_view serial) {
  if (der.empty() || der.size() > segment::kMaxCertificateBytes ||
      log_url.size() > segment::kMaxLogUrlBytes) {
    return absl::InvalidArgumentError(absl::StrCat("a certificate of ", der.size(),
                                                   " bytes from a log URL of ", log_url.size(),
                                                   " bytes is over the segment bounds"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  file_name_.assign(issuer_id.data(), issuer_id.size());
  file_name_.append(segment::kFileExtension.data(), segment::kFileExtension.size());
  absl::StatusOr<std::pair<const std::string, File>*> entry = FileLocked(dir, file_name_);
  if (!entry.ok()) return entry.status();
  const std::string& path = (*entry)->first;
  File& file = (*entry)->second;
  auto it = serials_.find(path);
  if (it != serials_.end() && it->second->end != file.size) {
    serials_.erase(it);  // the file changed behind the set: read it again
    it = serials_.end();
  }
  if (it == serials_.end()) {
    absl::Status s = LoadSerialsLocked(path, dir, file_name_, &file);
    if (!s.ok()) return s;
    it = serials_.find(path);
  }
  Serials& serials = *it->second;
  serials.last_use = ++use_clock_;
  if (!serials.set.Insert(base::HashBytes(std::string_view(serial.data(), serial.size())))) {
    return false;
  }
  ++serials.appends;
  PendingRecord r;
  r.url_at = file.arena.size();
  r.url_size = log_url.size();
  file.arena.append(log_url.data(), log_url.size());
  r.der_at = file.arena.size();
  r.der_size = der.size();
  file.arena.append(der.data(), der.size());
  r.recorded_at_ms = recorded_at_ms;
  file.pending.push_back(r);
  if (file.pending.size() >= segment::kMaxBlockRecords ||
      file.arena.size() >= segment::kTargetRawBytes) {
    absl::Status s = BuildBlockLocked(&file);
    if (s.ok() && file.buffer.size() >= kFlushBytes) s = FlushLocked(path, &file);
    if (!s.ok()) {
      serials_.erase(path);
      return s;
    }
  }
  return true;
}

absl::Status DataFiles::Sync(uint64_t* epoch) {
  std::lock_guard<std::mutex> commit(commit_mu_);
  struct ToSync {
    std::string path;
    int fd;            // dup'd, or -1: open by path
    uint64_t appends;  // the segment's records inserted so far
  };
  std::vector<ToSync> to_sync;
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
      to_sync.push_back({path, fd, AppendsLocked(path)});
    }
    for (const std::string& path : closed_unsynced_)
      to_sync.push_back({path, -1, AppendsLocked(path)});
    closed_unsynced_.clear();
  }
  std::vector<std::pair<const std::string*, uint64_t>> synced;
  for (ToSync& f : to_sync) {
    if (f.fd < 0) f.fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd < 0 || ::fsync(f.fd) != 0) {
      const absl::Status e = ErrnoError(errno, "cannot fsync", f.path);
      std::lock_guard<std::mutex> lock(mu_);
      FailLocked(e);
      if (result.ok()) result = e;
    } else {
      synced.emplace_back(&f.path, f.appends);
    }
    if (f.fd >= 0) ::close(f.fd);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.format == StorageFormat::kCompact) {
    // Every record inserted before the fsync is durable now.
    for (const auto& [path, appends] : synced) {
      auto it = serials_.find(*path);
      if (it != serials_.end()) {
        it->second->durable_appends = std::max(it->second->durable_appends, appends);
      }
    }
    TrimSerialsLocked();
  }
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
