#include "common/x509/certificate_file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/segment/segment.h"
#include "common/x509/base64.h"
#include "common/x509/der_sequence_scanner.h"
#include "common/x509/pem_scanner.h"

namespace ctmr::x509 {
namespace {

class FileCloser {
 public:
  explicit FileCloser(int fd) : fd_(fd) {}
  ~FileCloser() { ::close(fd_); }
  FileCloser(const FileCloser&) = delete;
  FileCloser& operator=(const FileCloser&) = delete;

 private:
  int fd_;
};

bool IsCertificateLabel(std::string_view label) {
  return label == "CERTIFICATE" || label == "X509 CERTIFICATE";
}

// Processes the complete blocks of `buffer`; returns the bytes consumed.
size_t ScanPem(std::string_view buffer, bool at_end, std::string* der_scratch,
               absl::FunctionRef<bool(std::string_view)> visit, FileReadResult* result) {
  PemScanner scanner(buffer, at_end);
  PemBlock block;
  while (scanner.Next(&block)) {
    ++result->blocks;
    bool ok = !block.malformed && IsCertificateLabel(block.label);
    if (ok) {
      std::string_view der;
      ok = DecodeBase64Reusing(block.body, der_scratch, &der) && visit(der);
    }
    if (!ok) ++result->malformed_blocks;
  }
  return scanner.consumed();
}

// Processes the complete certificates of `buffer`; returns the bytes consumed.
// Sets `*lost_sync` when it met bytes that are not a DER SEQUENCE: the rest
// of the file cannot be split into certificates any more.
size_t ScanDer(std::string_view buffer, absl::FunctionRef<bool(std::string_view)> visit,
               FileReadResult* result, bool* lost_sync) {
  DerSequenceScanner scanner(buffer);
  std::string_view der;
  bool malformed = false;
  while (scanner.Next(&der, &malformed)) {
    ++result->blocks;
    if (malformed) *lost_sync = true;
    if (malformed || !visit(der)) ++result->malformed_blocks;
  }
  return scanner.consumed();
}

// Processes the complete blocks of a segment buffer; returns the bytes
// consumed. Each record is one block of the result; a block that does not
// decode (Decode visits nothing then) or a corrupt region is one malformed
// block, as an unreadable PEM block is.
size_t ScanSegment(std::string_view buffer, bool at_end, segment::BlockDecoder* decoder,
                   absl::FunctionRef<bool(std::string_view)> visit, FileReadResult* result) {
  segment::SegmentScanner scanner(buffer, at_end);
  segment::BlockView block;
  while (scanner.Next(&block)) {
    uint64_t records = 0;
    uint64_t rejected = 0;
    const absl::Status decoded = decoder->Decode(block, [&](const segment::Record& r) {
      ++records;
      if (!visit(r.der)) ++rejected;
    });
    if (!decoded.ok()) {
      ++result->blocks;
      ++result->malformed_blocks;
      continue;
    }
    result->blocks += records;
    result->malformed_blocks += rejected;
  }
  return scanner.consumed();
}

bool EndsWith(std::string_view name, std::string_view extension) {
  return name.size() > extension.size() && name.substr(name.size() - extension.size()) == extension;
}

}  // namespace

std::optional<CertificateFileFormat> FormatOfFileName(std::string_view name) {
  if (EndsWith(name, ".pem")) return CertificateFileFormat::kPem;
  if (EndsWith(name, ".cer")) return CertificateFileFormat::kDer;
  if (EndsWith(name, segment::kFileExtension)) return CertificateFileFormat::kSegment;
  return std::nullopt;
}

std::string_view IssuerIdOfFileName(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(0, dot);
}

absl::StatusOr<FileReadResult> ReadCertificateFile(
    const std::string& path, uint64_t offset, CertificateFileFormat format,
    absl::FunctionRef<bool(std::string_view der)> visit) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
  // forever. Nothing is read before fstat has shown a regular file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path, ": ", base::ErrnoText(errno)));
  }
  FileCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot stat ", path, ": ", base::ErrnoText(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": not a regular file"));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": ", base::ErrnoText(errno)));
  }
  // Bytes appended after this point are left for the next run: the snapshot
  // keeps the result a pure function of the first `size` bytes.
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < offset) {
    return absl::DataLossError(absl::StrCat(path, " is ", size, " bytes, shorter than the ", offset,
                                            " already mapped; remove oracle.out to re-map"));
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  FileReadResult result;
  // One uninitialized buffer: a chunk plus the unfinished block carried over
  // from the previous chunk (at most one block, bounded by the scanners).
  static_assert(kReadChunkBytes > segment::kMaxBlockBytes, "a chunk holds any segment block");
  const size_t capacity =
      kReadChunkBytes +
      2 * std::max({kMaxPemBlockBytes, kMaxDerCertificateBytes, segment::kMaxBlockBytes});
  std::unique_ptr<char[]> buffer(new char[capacity]);
  size_t carried = 0;
  std::string der_scratch;
  std::optional<segment::BlockDecoder> decoder;  // a zstd context: only for segments
  if (format == CertificateFileFormat::kSegment) decoder.emplace();
  uint64_t buffer_offset = offset;  // file offset of buffer[0]
  uint64_t read_offset = offset;    // next byte to read
  while (true) {
    const size_t want = static_cast<size_t>(
        std::min<uint64_t>(std::min(kReadChunkBytes, capacity - carried), size - read_offset));
    size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd, buffer.get() + carried + got, want - got,
                                static_cast<off_t>(read_offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return absl::UnavailableError(
            absl::StrCat("cannot read ", path, ": ", base::ErrnoText(errno)));
      }
      if (n == 0) break;  // truncated under us: treat what we have as the end
      got += static_cast<size_t>(n);
    }
    read_offset += got;
    const std::string_view data(buffer.get(), carried + got);
    const bool at_end = read_offset >= size || got < want;
    bool lost_sync = false;
    size_t consumed = 0;
    switch (format) {
      case CertificateFileFormat::kPem:
        consumed = ScanPem(data, at_end, &der_scratch, visit, &result);
        break;
      case CertificateFileFormat::kDer:
        consumed = ScanDer(data, visit, &result, &lost_sync);
        break;
      case CertificateFileFormat::kSegment:
        consumed = ScanSegment(data, at_end, &*decoder, visit, &result);
        break;
    }
    if (lost_sync) {
      buffer_offset = read_offset = size;  // counted once, as one malformed block
      break;
    }
    carried = data.size() - consumed;
    std::memmove(buffer.get(), buffer.get() + consumed, carried);
    buffer_offset += consumed;
    if (at_end) break;
  }
  result.end_offset = buffer_offset;
  return result;
}

}  // namespace ctmr::x509
