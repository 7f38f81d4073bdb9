#include "common/tally/oracle_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"
#include "common/tally/oracle_file.h"

namespace ctmr::tally {
namespace {

// What one read fetches: a page. The small fields of an issuer take a page or
// two, a hash set is skipped after reading its length, and a probe of a
// sorted set reads the page around the record it needs.
constexpr size_t kFill = 4 << 10;
constexpr uint64_t kWindowRecords = kFill / 16;
// No field other than the hash sets is anywhere near this: one file offset,
// one issued day, a name. A larger one is corruption, not something to copy.
constexpr uint64_t kMaxSmallField = 1 << 20;

// Wire types of the protobuf encoding.
constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

// DirectoryTally.issuers and the IssuerTally hash sets, numbered as
// proto/tally.proto numbers them (protoc's generated constants).
constexpr uint32_t kIssuersField = DirectoryTally::kIssuersFieldNumber;
constexpr uint32_t kSerialsField = IssuerTally::kSerialsFieldNumber;
constexpr uint32_t kFqdnsField = IssuerTally::kFqdnsFieldNumber;
constexpr uint32_t kRegdomainsField = IssuerTally::kRegdomainsFieldNumber;
constexpr uint32_t kWildcardsField = IssuerTally::kWildcardsFieldNumber;

}  // namespace

struct OracleReader::Field {
  uint32_t number = 0;
  int wire_type = 0;
  uint64_t start = 0;    // the tag
  uint64_t payload = 0;  // after the tag (and the length, for kLengthDelimited)
  uint64_t end = 0;
};

absl::StatusOr<std::optional<OracleReader>> OracleReader::Open(const std::string& path) {
  OracleReader reader;
  reader.path_ = path;
  // O_NONBLOCK: a FIFO planted as oracle.out must not block the open; it is
  // refused below, and the flag means nothing for a regular file.
  reader.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (reader.fd_ < 0) {
    if (errno == ENOENT) return std::optional<OracleReader>();
    return base::ErrnoStatus(errno, "cannot open", path);
  }
  struct stat st;
  if (::fstat(reader.fd_, &st) != 0) return base::ErrnoStatus(errno, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) return reader.Corrupt("not a regular file");
  // Only the payload is parsed: the trailer (oracle_file.h) says how long it
  // is, and a file without a valid one is DataLoss before anything is read.
  const auto file_size = static_cast<uint64_t>(st.st_size);
  std::string last(std::min<uint64_t>(file_size, kOracleTrailerSize), '\0');
  reader.size_ = file_size;
  RETURN_IF_ERROR(reader.ReadExactly(file_size - last.size(), last.size(), last.data()));
  ASSIGN_OR_RETURN(const OracleTrailer trailer, DecodeOracleTrailer(last, file_size, path));
  reader.size_ = trailer.payload_size;
  reader.checksum_ = trailer.checksum;
  RETURN_IF_ERROR(reader.Parse());
  if (reader.header_.format_version() != kDirectoryTallyFormat)
    return std::optional<OracleReader>();
  return std::optional<OracleReader>(std::move(reader));
}

OracleReader::OracleReader(OracleReader&& other) noexcept { *this = std::move(other); }

OracleReader& OracleReader::operator=(OracleReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    checksum_ = other.checksum_;
    buffer_ = std::move(other.buffer_);
    buffer_pos_ = other.buffer_pos_;
    header_ = std::move(other.header_);
    issuers_ = std::move(other.issuers_);
  }
  return *this;
}

OracleReader::~OracleReader() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status OracleReader::Corrupt(std::string_view what) const {
  return absl::DataLossError(absl::StrCat(
      path_, ": ", std::string(what), "; the next map maps the directory again from the start"));
}

absl::Status OracleReader::ReadExactly(uint64_t pos, size_t n, char* out) {
  if (pos > size_ || n > size_ - pos) return Corrupt("truncated");
  while (n > 0) {
    const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(pos));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return base::ErrnoStatus(errno, "cannot read", path_);
    if (got == 0) return Corrupt("truncated while reading");
    out += got;
    pos += static_cast<uint64_t>(got);
    n -= static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string_view> OracleReader::Peek(uint64_t pos, size_t n) {
  if (pos < buffer_pos_ || pos + n > buffer_pos_ + buffer_.size()) {
    if (pos > size_ || n > size_ - pos) return Corrupt("truncated");
    const size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(n, kFill), size_ - pos));
    buffer_.resize(want);
    buffer_pos_ = pos;
    absl::Status read = ReadExactly(pos, want, buffer_.data());
    if (!read.ok()) {
      buffer_.clear();
      return read;
    }
  }
  return std::string_view(buffer_).substr(pos - buffer_pos_, n);
}

absl::StatusOr<uint64_t> OracleReader::ReadVarint(uint64_t* pos, uint64_t limit) {
  ASSIGN_OR_RETURN(std::string_view bytes,
                   Peek(*pos, static_cast<size_t>(std::min<uint64_t>(10, limit - *pos))));
  uint64_t value = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    value |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *pos += i + 1;
      return value;
    }
  }
  return Corrupt("a varint runs past its message");
}

absl::StatusOr<OracleReader::Field> OracleReader::NextField(uint64_t pos, uint64_t limit) {
  Field f;
  f.start = pos;
  ASSIGN_OR_RETURN(const uint64_t tag, ReadVarint(&pos, limit));
  f.number = static_cast<uint32_t>(tag >> 3);
  f.wire_type = static_cast<int>(tag & 7);
  if (f.number == 0 || (tag >> 3) > 0x1fffffff) return Corrupt("bad field tag");
  f.payload = pos;
  switch (f.wire_type) {
    case kVarint:
      RETURN_IF_ERROR(ReadVarint(&pos, limit).status());
      f.end = pos;
      break;
    case kFixed64:
      f.end = pos + 8;
      break;
    case kFixed32:
      f.end = pos + 4;
      break;
    case kLengthDelimited: {
      ASSIGN_OR_RETURN(const uint64_t length, ReadVarint(&pos, limit));
      f.payload = pos;
      if (length > limit - pos) return Corrupt("a field runs past its message");
      f.end = pos + length;
      break;
    }
    default:
      return Corrupt("unsupported wire type");
  }
  if (f.end > limit) return Corrupt("a field runs past its message");
  return f;
}

absl::Status OracleReader::AppendField(const Field& f, std::string* out) {
  const uint64_t n = f.end - f.start;
  if (n > kMaxSmallField) return Corrupt("an unexpectedly large field");
  if (n <= kFill) {
    ASSIGN_OR_RETURN(std::string_view bytes, Peek(f.start, static_cast<size_t>(n)));
    out->append(bytes);
    return absl::OkStatus();
  }
  const size_t at = out->size();
  out->resize(at + n);
  return ReadExactly(f.start, n, out->data() + at);
}

absl::Status OracleReader::Parse() {
  std::string header_bytes;
  for (uint64_t pos = 0; pos < size_;) {
    ASSIGN_OR_RETURN(const Field f, NextField(pos, size_));
    if (f.number == kIssuersField && f.wire_type == kLengthDelimited) {
      RETURN_IF_ERROR(ParseIssuer(f.start, f.payload, f.end));
    } else {
      RETURN_IF_ERROR(AppendField(f, &header_bytes));
    }
    pos = f.end;
  }
  if (!header_.ParseFromString(header_bytes)) return Corrupt("does not parse");
  return absl::OkStatus();
}

absl::Status OracleReader::ParseIssuer(uint64_t field_begin, uint64_t begin, uint64_t end) {
  OracleIssuer issuer;
  issuer.begin = field_begin;
  issuer.end = end;
  std::string header_bytes;
  for (uint64_t pos = begin; pos < end;) {
    ASSIGN_OR_RETURN(const Field f, NextField(pos, end));
    SetSpan* span = nullptr;
    if (f.wire_type == kLengthDelimited) {
      switch (f.number) {
        case kSerialsField:
          span = &issuer.serials;
          break;
        case kFqdnsField:
          span = &issuer.fqdns;
          break;
        case kRegdomainsField:
          span = &issuer.regdomains;
          break;
        case kWildcardsField:
          span = &issuer.wildcards;
          break;
        default:
          break;
      }
    }
    if (span != nullptr) {
      const uint64_t bytes = f.end - f.payload;
      if (bytes % 16 != 0) return Corrupt("a hash set is not a whole number of 16-byte records");
      *span = SetSpan{f.payload, bytes / 16};  // the last occurrence wins, as in protobuf
    } else {
      RETURN_IF_ERROR(AppendField(f, &header_bytes));
    }
    pos = f.end;
  }
  if (!issuer.header.ParseFromString(header_bytes)) return Corrupt("an issuer does not parse");
  issuers_.push_back(std::move(issuer));
  return absl::OkStatus();
}

absl::Status OracleReader::VerifyChecksum() {
  base::Hasher128 hasher;
  std::string chunk;
  constexpr uint64_t kChunk = 1 << 20;
  for (uint64_t pos = 0; pos < size_; pos += kChunk) {
    chunk.resize(static_cast<size_t>(std::min(kChunk, size_ - pos)));
    RETURN_IF_ERROR(ReadExactly(pos, chunk.size(), chunk.data()));
    hasher.Update(chunk);
  }
  if (hasher.Finish() != checksum_) return Corrupt("the checksum does not match");
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> OracleReader::LowerBound(const SetSpan& span, const base::Hash128& h) {
  uint64_t lo = 0, hi = span.count;  // the answer is in [lo, hi]
  if (span.count == 0) return uint64_t{0};
  // Where a uniform hash puts h, give or take half a page of records.
  const auto guess =
      static_cast<uint64_t>((static_cast<unsigned __int128>(h.high) * span.count) >> 64);
  const uint64_t wlo = guess > kWindowRecords / 2 ? guess - kWindowRecords / 2 : 0;
  const uint64_t whi = std::min(span.count, wlo + kWindowRecords);
  ASSIGN_OR_RETURN(std::string_view window, Peek(span.offset + wlo * 16, (whi - wlo) * 16));
  if (!(base::ReadHash(window.data()) < h)) {
    hi = wlo;
  } else if (base::ReadHash(window.data() + window.size() - 16) < h) {
    lo = whi;
  } else {
    // In the window: the first record >= h, past the first one.
    uint64_t a = 1, b = whi - wlo - 1;
    while (a < b) {
      const uint64_t mid = a + (b - a) / 2;
      if (base::ReadHash(window.data() + mid * 16) < h) {
        a = mid + 1;
      } else {
        b = mid;
      }
    }
    return wlo + a;
  }
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    ASSIGN_OR_RETURN(std::string_view record, Peek(span.offset + mid * 16, 16));
    if (base::ReadHash(record.data()) < h) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> OracleReader::Locate(const SetSpan& span,
                                                                   const HashRange& range) {
  ASSIGN_OR_RETURN(const uint64_t begin, LowerBound(span, range.first));
  const std::optional<base::Hash128> after = NextHash(range.last);
  uint64_t end = span.count;
  if (after.has_value()) {
    ASSIGN_OR_RETURN(end, LowerBound(span, *after));
  }
  if (end < begin) return Corrupt("a hash set is not sorted");
  return std::make_pair(begin, end);
}

absl::Status OracleReader::Read(const SetSpan& span, uint64_t begin, uint64_t end, HashSet* out) {
  if (begin > end || end > span.count) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": records out of range"));
  }
  const size_t at = out->size();
  const size_t n = static_cast<size_t>(end - begin);
  out->resize(at + n);
  char* bytes = reinterpret_cast<char*>(out->data() + at);
  absl::Status read = ReadExactly(span.offset + begin * 16, n * 16, bytes);
  if (!read.ok()) {
    out->resize(at);
    return read;
  }
  // In place: each record is read whole before its slot is written.
  static_assert(sizeof(base::Hash128) == 16, "records are read straight into a HashSet");
  for (size_t i = 0; i < n; ++i) {
    (*out)[at + i] = base::ReadHash(bytes + 16 * i);
    if (i > 0 && !((*out)[at + i - 1] < (*out)[at + i])) {
      out->resize(at);
      return Corrupt("a hash set is not sorted");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<DirectoryTally>> LoadOracleHeader(const std::string& dir) {
  ASSIGN_OR_RETURN(std::optional<OracleReader> reader,
                   OracleReader::Open(absl::StrCat(dir, "/", kOracleFileName)));
  if (!reader.has_value()) return std::optional<DirectoryTally>();
  return std::optional<DirectoryTally>(reader->header());
}

}  // namespace ctmr::tally
