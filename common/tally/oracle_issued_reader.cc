#include "common/tally/oracle_issued_reader.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/wire_format_lite.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/tally/oracle_file.h"

namespace ctmr::tally {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Field numbers of proto/tally.proto that are read; every other field is
// skipped, length-delimited ones by seeking.
constexpr uint32_t kTallyFormatVersion = 1;
constexpr uint32_t kTallyDirectory = 2;
constexpr uint32_t kTallyIssuers = 4;
constexpr uint32_t kIssuerId = 1;
constexpr uint32_t kIssuerName = 2;
constexpr uint32_t kIssuerOrganization = 3;
constexpr uint32_t kIssuerIssued = 5;
constexpr uint32_t kDayCountDay = 1;
constexpr uint32_t kDayCountCertificates = 2;

constexpr uint32_t FieldOf(uint32_t tag) { return tag >> 3; }
constexpr bool IsLengthDelimited(uint32_t tag) {
  return (tag & 7) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
}
constexpr bool IsVarint(uint32_t tag) { return (tag & 7) == WireFormatLite::WIRETYPE_VARINT; }

// Runs `body` over the length-delimited field at the stream's position.
template <typename Body>
bool ReadNested(CodedInputStream* in, Body body) {
  uint32_t length;
  if (!in->ReadVarint32(&length)) return false;
  const CodedInputStream::Limit limit = in->PushLimit(static_cast<int>(length));
  // The stream's end also ends the loop in `body`: the limit must be reached.
  const bool ok = body() && in->ConsumedEntireMessage() && in->BytesUntilLimit() == 0;
  in->PopLimit(limit);
  return ok;
}

bool ReadDayCount(CodedInputStream* in, std::pair<int32_t, uint64_t>* out) {
  return ReadNested(in, [&] {
    while (uint32_t tag = in->ReadTag()) {
      uint64_t value;
      if (FieldOf(tag) == kDayCountDay && IsVarint(tag)) {
        if (!in->ReadVarint64(&value)) return false;
        out->first = static_cast<int32_t>(value);  // int32: negative days are sign-extended
      } else if (FieldOf(tag) == kDayCountCertificates && IsVarint(tag)) {
        if (!in->ReadVarint64(&out->second)) return false;
      } else if (!WireFormatLite::SkipField(in, tag)) {
        return false;
      }
    }
    return true;
  });
}

bool ReadString(CodedInputStream* in, std::string* out) {
  uint32_t length;
  return in->ReadVarint32(&length) && in->ReadString(out, static_cast<int>(length));
}

bool ReadIssuer(CodedInputStream* in, IssuerIssued* out) {
  return ReadNested(in, [&] {
    while (uint32_t tag = in->ReadTag()) {
      const uint32_t field = FieldOf(tag);
      if (!IsLengthDelimited(tag)) {
        if (!WireFormatLite::SkipField(in, tag)) return false;
      } else if (field == kIssuerId) {
        if (!ReadString(in, &out->issuer_id)) return false;
      } else if (field == kIssuerName) {
        if (!ReadString(in, &out->issuer_name)) return false;
      } else if (field == kIssuerOrganization) {
        if (!ReadString(in, &out->organization)) return false;
      } else if (field == kIssuerIssued) {
        std::pair<int32_t, uint64_t> day{0, 0};
        if (!ReadDayCount(in, &day)) return false;
        out->issued.push_back(day);
      } else if (!WireFormatLite::SkipField(in, tag)) {  // the hash sets: a seek
        return false;
      }
    }
    return true;
  });
}

}  // namespace

absl::StatusOr<std::optional<DirectoryIssued>> LoadOracleIssued(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/", kOracleFileName);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<DirectoryIssued>();
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", base::ErrnoText(errno)));
  }
  google::protobuf::io::FileInputStream file(fd);
  file.SetCloseOnDelete(true);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot stat ", path, ": ", base::ErrnoText(errno)));
  }
  DirectoryIssued out;
  uint64_t format = 0;
  bool ok = true;
  {
    CodedInputStream in(&file);
    in.SetTotalBytesLimit(INT_MAX);
    while (ok) {
      const uint32_t tag = in.ReadTag();
      if (tag == 0) {
        // A tag that does not decode is not the end; nor is a skip that
        // seeked past the end of a truncated file.
        ok = in.ConsumedEntireMessage() && in.CurrentPosition() == st.st_size;
        break;
      }
      const uint32_t field = FieldOf(tag);
      if (field == kTallyFormatVersion && IsVarint(tag)) {
        ok = in.ReadVarint64(&format);
      } else if (field == kTallyDirectory && IsLengthDelimited(tag)) {
        ok = ReadString(&in, &out.directory);
      } else if (field == kTallyIssuers && IsLengthDelimited(tag)) {
        out.issuers.emplace_back();
        ok = ReadIssuer(&in, &out.issuers.back());
      } else {
        ok = WireFormatLite::SkipField(&in, tag);
      }
    }
  }
  if (file.GetErrno() != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot read ", path, ": ", base::ErrnoText(file.GetErrno())));
  }
  if (!ok) return absl::DataLossError(absl::StrCat(path, " does not parse; remove it to re-map"));
  if (format != kDirectoryTallyFormat) return std::optional<DirectoryIssued>();
  return std::optional<DirectoryIssued>(std::move(out));
}

}  // namespace ctmr::tally
