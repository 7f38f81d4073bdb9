// `ct-worker compact` (segment_tools.h states the contract).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/hash128.h"
#include "common/base/lock_file.h"
#include "common/base/status_macros.h"
#include "common/tally/oracle_file.h"
#include "common/x509/base64.h"
#include "common/x509/certificate_decoder.h"
#include "common/x509/certificate_file_reader.h"
#include "common/x509/pem_scanner.h"
#include "common/x509/pem_writer.h"
#include "worker/segment_tools.h"

namespace ctmr::worker {
namespace {

constexpr std::string_view kTmpSuffix = ".tmp";
constexpr size_t kWriteBufferBytes = 4 << 20;

absl::Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return base::ErrnoStatus(errno, "cannot remove", path);
  }
  return absl::OkStatus();
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Debian's Abseil takes absl::string_view, which is not std::string_view.
std::string SegmentPath(const std::string& dir, const std::string& issuer) {
  return absl::StrCat(dir, "/", issuer, std::string(segment::kFileExtension));
}

// What one issuer has in the directory.
struct IssuerFiles {
  bool segment = false;              // <issuer>.ctseg
  bool tmp = false;                  // <issuer>.ctseg.tmp, left by a crash
  std::vector<std::string> sources;  // *.pem then *.cer, in name order
};

absl::StatusOr<std::map<std::string, IssuerFiles>> ListIssuers(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return base::ErrnoStatus(errno, "cannot list", dir);
  std::map<std::string, IssuerFiles> issuers;
  std::vector<std::string> pem, cer;
  const std::string tmp_extension = std::string(segment::kFileExtension) + std::string(kTmpSuffix);
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name.empty() || name[0] == '.') continue;  // the map skips dot-files too
    if (EndsWith(name, tmp_extension) && name.size() > tmp_extension.size()) {
      issuers[std::string(name.substr(0, name.size() - tmp_extension.size()))].tmp = true;
    } else if (EndsWith(name, segment::kFileExtension) &&
               name.size() > segment::kFileExtension.size()) {
      issuers[std::string(x509::IssuerIdOfFileName(name))].segment = true;
    } else if (const auto format = x509::FormatOfFileName(name)) {
      (*format == x509::CertificateFileFormat::kPem ? pem : cer).emplace_back(name);
    }
  }
  ::closedir(d);
  std::sort(pem.begin(), pem.end());
  std::sort(cer.begin(), cer.end());
  for (const std::vector<std::string>* names : {&pem, &cer}) {
    for (const std::string& name : *names) {
      issuers[std::string(x509::IssuerIdOfFileName(name))].sources.push_back(name);
    }
  }
  return issuers;
}

// Writes one issuer's segment: records de-duplicated by serial, grouped into
// blocks of at most kMaxBlockRecords and about kTargetRawBytes.
class SegmentWriter {
 public:
  SegmentWriter(std::string path, CompactStats* stats) : path_(std::move(path)), stats_(stats) {}
  ~SegmentWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Open() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return base::ErrnoStatus(errno, "cannot create", path_);
    return absl::OkStatus();
  }

  // A record of an existing segment (`existing`) or of a source file.
  absl::Status Add(std::string_view log_url, uint64_t recorded_at_ms, std::string_view der,
                   bool existing) {
    // A header no segment can hold (hostile input) is dropped, not the record.
    if (log_url.size() > segment::kMaxLogUrlBytes) log_url = {};
    if (decoder_.Decode(der, &view_)) {
      if (!serials_.insert(base::HashBytes(view_.serial)).second) {
        ++stats_->duplicates;
        return absl::OkStatus();
      }
      ++stats_->certificates;
    } else {
      // No serial to de-duplicate by: keep as many copies as the existing
      // segment or the sources hold, whichever is more, so that a segment
      // that already absorbed these sources (a re-run after a crash) does
      // not gain them twice.
      Counts& c = unparseable_[base::HashBytes(der)];
      if (existing) {
        ++c.existing;
      } else if (++c.source <= c.existing) {
        return absl::OkStatus();
      }
      ++stats_->unparseable;
    }
    ++stats_->records;
    Pending& p = pending_.emplace_back();
    p.log_url.assign(log_url.data(), log_url.size());
    p.recorded_at_ms = recorded_at_ms;
    p.der.assign(der.data(), der.size());
    pending_raw_ += der.size() + log_url.size() + 16;
    if (pending_.size() >= segment::kMaxBlockRecords || pending_raw_ >= segment::kTargetRawBytes) {
      return FlushBlock();
    }
    return absl::OkStatus();
  }

  // Bytes of an existing segment that are no good block: kept as they were,
  // so the map still counts them as one bad block.
  absl::Status CopyBad(std::string_view bytes) {
    RETURN_IF_ERROR(FlushBlock());
    ++stats_->bad_segment_blocks;
    out_.append(bytes.data(), bytes.size());
    return MaybeWrite();
  }

  bool empty() const { return written_ == 0 && out_.empty() && pending_.empty(); }

  // Writes what is pending and fsyncs the file.
  absl::Status Finish() {
    RETURN_IF_ERROR(FlushBlock());
    RETURN_IF_ERROR(Write());
    if (::fsync(fd_) != 0) return base::ErrnoStatus(errno, "cannot fsync", path_);
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return base::ErrnoStatus(errno, "cannot close", path_);
    stats_->bytes_after += written_;
    return absl::OkStatus();
  }

 private:
  struct Pending {
    std::string log_url;
    uint64_t recorded_at_ms = 0;
    std::string der;
  };
  struct Counts {
    uint32_t existing = 0;
    uint32_t source = 0;
  };

  absl::Status FlushBlock() {
    if (pending_.empty()) return absl::OkStatus();
    records_.clear();
    for (const Pending& p : pending_) records_.push_back({p.log_url, p.recorded_at_ms, p.der});
    const absl::Status s = builder_.AppendBlock(records_, &out_);
    if (!s.ok()) return absl::InternalError(absl::StrCat(path_, ": ", s.message()));
    pending_.clear();
    pending_raw_ = 0;
    return MaybeWrite();
  }

  absl::Status MaybeWrite() {
    return out_.size() >= kWriteBufferBytes ? Write() : absl::OkStatus();
  }

  absl::Status Write() {
    size_t done = 0;
    while (done < out_.size()) {
      const ssize_t n = ::write(fd_, out_.data() + done, out_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return base::ErrnoStatus(errno, "cannot write", path_);
      done += static_cast<size_t>(n);
    }
    written_ += out_.size();
    out_.clear();
    return absl::OkStatus();
  }

  std::string path_;
  CompactStats* stats_;
  int fd_ = -1;
  segment::BlockBuilder builder_;
  x509::CertificateDecoder decoder_;
  x509::CertificateView view_;
  absl::flat_hash_set<base::Hash128> serials_;
  absl::flat_hash_map<base::Hash128, Counts> unparseable_;
  std::vector<Pending> pending_;
  size_t pending_raw_ = 0;
  std::vector<segment::Record> records_;
  std::string out_;
  uint64_t written_ = 0;
};

bool IsCertificateLabel(std::string_view label) {
  return label == "CERTIFICATE" || label == "X509 CERTIFICATE";
}

const std::string& UnparseableRecord() {
  static const std::string* record =
      new std::string(std::string(1, '\0') + std::string(kUnparseableMarker));
  return *record;
}

// The blocks of a PEM file, with their headers. What the map counts as one
// unparseable block is one record too (segment_tools.h).
absl::Status AddPemFile(const std::string& path, SegmentWriter* writer, CompactStats* stats) {
  std::string scratch;
  absl::Status status;
  uint64_t end = 0;
  absl::StatusOr<uint64_t> size = ScanFileInChunks(
      path, 2 * x509::kMaxPemBlockBytes,
      [&](std::string_view data, uint64_t, bool at_end) -> size_t {
        x509::PemScanner scanner(data, at_end);
        x509::PemBlock block;
        while (status.ok() && scanner.Next(&block)) {
          const x509::PemHeaders headers = x509::ParsePemHeaders(block.headers);
          std::string_view der;
          if (block.malformed || !IsCertificateLabel(block.label) ||
              !x509::DecodeBase64Reusing(block.body, &scratch, &der) || der.empty()) {
            der = UnparseableRecord();
          }
          status = writer->Add(headers.log_url, headers.recorded_at_ms, der, false);
        }
        return status.ok() ? scanner.consumed() : data.size();
      },
      &end);
  RETURN_IF_ERROR(status);
  if (!size.ok()) return size.status();
  stats->bytes_before += *size;
  if (end < *size) ++stats->torn_tails;
  return absl::OkStatus();
}

absl::Status AddDerFile(const std::string& path, SegmentWriter* writer, CompactStats* stats) {
  absl::Status status;
  absl::StatusOr<x509::FileReadResult> read = x509::ReadCertificateFile(
      path, 0, x509::CertificateFileFormat::kDer, [&](std::string_view der) {
        if (status.ok()) status = writer->Add("", 0, der, false);
        return true;
      });
  RETURN_IF_ERROR(status);
  if (!read.ok()) return read.status();
  // Bytes that are no DER SEQUENCE (the map counts them once).
  for (uint64_t i = 0; i < read->malformed_blocks; ++i) {
    RETURN_IF_ERROR(writer->Add("", 0, UnparseableRecord(), false));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    stats->bytes_before += static_cast<uint64_t>(st.st_size);
    if (read->end_offset < static_cast<uint64_t>(st.st_size)) ++stats->torn_tails;
  }
  return absl::OkStatus();
}

absl::Status CompactIssuer(const std::string& dir, const std::string& issuer,
                           const IssuerFiles& files, CompactStats* stats) {
  const std::string segment_path = SegmentPath(dir, issuer);
  const std::string tmp_path = segment_path + std::string(kTmpSuffix);
  SegmentWriter writer(tmp_path, stats);
  RETURN_IF_ERROR(writer.Open());
  if (files.segment) {
    absl::Status status;
    absl::StatusOr<SegmentReadResult> read = ReadSegmentFile(
        segment_path,
        [&](const segment::Record& r) {
          if (status.ok()) status = writer.Add(r.log_url, r.recorded_at_ms, r.der, true);
        },
        [&](uint64_t, std::string_view bytes, const absl::Status&) {
          if (status.ok()) status = writer.CopyBad(bytes);
        });
    RETURN_IF_ERROR(status);
    if (!read.ok()) return read.status();
    stats->bytes_before += read->file_size;
    if (read->torn_tail()) ++stats->torn_tails;
  }
  for (const std::string& name : files.sources) {
    const std::string path = absl::StrCat(dir, "/", name);
    RETURN_IF_ERROR(*x509::FormatOfFileName(name) == x509::CertificateFileFormat::kPem
                        ? AddPemFile(path, &writer, stats)
                        : AddDerFile(path, &writer, stats));
  }
  const bool empty = writer.empty();
  RETURN_IF_ERROR(writer.Finish());
  if (empty && !files.segment) {
    RETURN_IF_ERROR(RemoveFile(tmp_path));  // sources without a block: nothing to keep
  } else {
    if (::rename(tmp_path.c_str(), segment_path.c_str()) != 0) {
      return base::ErrnoStatus(errno, "cannot rename", tmp_path);
    }
    ++stats->segments_written;
  }
  // The commit point: only once the segment's name is durable may the
  // sources go (a crash before leaves them, and a re-run merges again).
  RETURN_IF_ERROR(base::SyncDirectory(dir));
  for (const std::string& name : files.sources) {
    RETURN_IF_ERROR(RemoveFile(absl::StrCat(dir, "/", name)));
    ++stats->sources_removed;
  }
  return base::SyncDirectory(dir);
}

// The data root a date directory belongs to: its parent.
std::string DataRootOf(const std::string& dir) {
  std::filesystem::path p = std::filesystem::absolute(dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "ROOT/2026-01-01/"
  return p.parent_path().string();
}

}  // namespace

absl::StatusOr<CompactStats> CompactDirectory(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return base::ErrnoStatus(errno, "cannot stat", dir);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(dir, " is not a directory"));
  }
  // ct-fetch appends to these files and a run maps them: neither may run
  // while they are rewritten. Their locks are the data root's.
  const std::string state_dir = DataRootOf(dir) + "/state";
  ::mkdir(state_dir.c_str(), 0755);
  ASSIGN_OR_RETURN(std::unique_ptr<base::LockFile> fetch_lock,
                   base::LockFile::Acquire(state_dir + "/ct-fetch.lock", "a running ct-fetch"));
  ASSIGN_OR_RETURN(
      std::unique_ptr<base::LockFile> run_lock,
      base::LockFile::Acquire(state_dir + "/coordinator.lock", "a running ct-coordinator run"));

  ASSIGN_OR_RETURN(const auto issuers, ListIssuers(dir));
  CompactStats stats;
  bool changes = false;
  for (const auto& [issuer, files] : issuers) {
    // A .tmp is a segment that a crash left before its rename: its sources
    // are all still in place, so it is written again from them.
    if (files.tmp) {
      RETURN_IF_ERROR(RemoveFile(SegmentPath(dir, issuer) + std::string(kTmpSuffix)));
    }
    changes |= !files.sources.empty();
  }
  if (!changes) return stats;
  // The tally's offsets name the PEM files: without them the next map maps
  // the directory from the start. Gone (durably) before any file changes, so
  // that no crash leaves a tally that disagrees with the files.
  RETURN_IF_ERROR(RemoveFile(absl::StrCat(dir, "/", tally::kOracleFileName)));
  RETURN_IF_ERROR(RemoveFile(absl::StrCat(dir, "/", tally::kOracleOffsetsFileName)));
  RETURN_IF_ERROR(base::SyncDirectory(dir));
  for (const auto& [issuer, files] : issuers) {
    if (files.sources.empty()) continue;
    RETURN_IF_ERROR(CompactIssuer(dir, issuer, files, &stats));
  }
  return stats;
}

}  // namespace ctmr::worker
