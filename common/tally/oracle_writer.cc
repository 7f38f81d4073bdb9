#include "common/tally/oracle_writer.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/tally/oracle_file.h"

namespace ctmr::tally {
namespace {

constexpr int kLengthDelimited = 2;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

uint32_t FieldOf(TallySet set) {
  static_assert(
      IssuerTally::kFqdnsFieldNumber == IssuerTally::kSerialsFieldNumber + kFqdns &&
          IssuerTally::kRegdomainsFieldNumber == IssuerTally::kSerialsFieldNumber + kRegdomains &&
          IssuerTally::kWildcardsFieldNumber == IssuerTally::kSerialsFieldNumber + kWildcards,
      "TallySet follows tally.proto's field numbers");
  // BeginIssuer writes the header's serialization, then the sets: protobuf's
  // order only when every other field has a lower number.
  static_assert(IssuerTally::kClassesFieldNumber < IssuerTally::kSerialsFieldNumber &&
                    IssuerTally::kIssuedFieldNumber < IssuerTally::kSerialsFieldNumber,
                "the sets are IssuerTally's last fields");
  return IssuerTally::kSerialsFieldNumber + static_cast<uint32_t>(set);
}

}  // namespace

absl::StatusOr<std::unique_ptr<OracleWriter>> OracleWriter::Create(const std::string& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<base::AtomicFileWriter> file,
                   base::AtomicFileWriter::Create(absl::StrCat(dir, "/", kOracleFileName)));
  std::unique_ptr<OracleWriter> writer(new OracleWriter(dir, std::move(file)));
  writer->buffer_.reserve(kBufferBytes + 64);
  return writer;
}

absl::StatusOr<std::unique_ptr<OracleWriter>> OracleWriter::CreateFile(
    const std::string& path, base::Durability durability) {
  ASSIGN_OR_RETURN(std::unique_ptr<base::AtomicFileWriter> file,
                   base::AtomicFileWriter::Create(path));
  std::unique_ptr<OracleWriter> writer(new OracleWriter(path, std::move(file)));
  writer->buffer_.reserve(kBufferBytes + 64);
  writer->offsets_file_ = false;
  writer->durability_ = durability;
  return writer;
}

void OracleWriter::Append(std::string_view bytes) {
  buffer_.append(bytes.data(), bytes.size());
  if (buffer_.size() >= kBufferBytes) status_.Update(FlushBuffer());
}

void OracleWriter::AppendVarint(uint64_t v) {
  while (v >= 0x80) {
    buffer_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  buffer_.push_back(static_cast<char>(v));
}

absl::Status OracleWriter::FlushBuffer() {
  RETURN_IF_ERROR(status_);
  hasher_.Update(buffer_);
  size_ += buffer_.size();
  absl::Status written = file_->Append(buffer_);
  buffer_.clear();
  return written;
}

absl::Status OracleWriter::BeginTally(const DirectoryTally& head) {
  // Fields 1 to 3; protobuf writes fields in number order, so these bytes
  // are the prefix of the whole tally's encoding.
  DirectoryTally prefix;
  prefix.set_format_version(head.format_version());
  prefix.set_directory(head.directory());
  *prefix.mutable_offsets() = head.offsets();
  std::string bytes;
  if (!prefix.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat("cannot serialize the tally of ", dir_));
  }
  Append(bytes);
  for (const FileOffset& f : head.offsets()) {
    absl::StrAppend(&offsets_text_, f.offset(), "\t", f.name(), "\n");
  }
  return status_;
}

absl::Status OracleWriter::EndSet() {
  if (set_ >= 0 && records_ != counts_[set_]) {
    return absl::InternalError(absl::StrCat("the tally of ", dir_, ": set ", set_, " has ",
                                            records_, " records, not ", counts_[set_]));
  }
  set_ = -1;
  return absl::OkStatus();
}

absl::Status OracleWriter::CloseIssuer() {
  RETURN_IF_ERROR(EndSet());
  for (int s = next_set_; s < kTallySets; ++s) {
    if (counts_[s] != 0) return absl::InternalError("an issuer's set was not written");
  }
  next_set_ = kTallySets;
  return absl::OkStatus();
}

absl::Status OracleWriter::AppendIssuerBytes(std::string_view bytes) {
  RETURN_IF_ERROR(CloseIssuer());
  if (bytes.size() < kBufferBytes / 2) {
    Append(bytes);
    return status_;
  }
  // Large: straight to the file, past the buffer.
  RETURN_IF_ERROR(FlushBuffer());
  hasher_.Update(bytes);
  size_ += bytes.size();
  return file_->Append(bytes);
}

absl::Status OracleWriter::BeginIssuer(const IssuerTally& header,
                                       const std::array<uint64_t, kTallySets>& counts) {
  RETURN_IF_ERROR(CloseIssuer());
  std::string bytes;
  if (!header.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat("cannot serialize an issuer of ", dir_));
  }
  // The sets are fields 16 to 19, after every other field of IssuerTally: the
  // issuer's encoding is `bytes` followed by the non-empty sets.
  uint64_t length = bytes.size();
  for (int s = 0; s < kTallySets; ++s) {
    if (counts[s] == 0) continue;
    length += VarintSize(FieldOf(static_cast<TallySet>(s)) << 3 | kLengthDelimited) +
              VarintSize(counts[s] * 16) + counts[s] * 16;
  }
  AppendVarint(uint64_t{DirectoryTally::kIssuersFieldNumber} << 3 | kLengthDelimited);
  AppendVarint(length);
  Append(bytes);
  counts_ = counts;
  next_set_ = 0;
  return status_;
}

absl::Status OracleWriter::BeginSet(TallySet set) {
  RETURN_IF_ERROR(EndSet());
  if (set < next_set_ || counts_[set] == 0) {
    return absl::InternalError("the sets of an issuer are written in order, and not empty");
  }
  for (int s = next_set_; s < set; ++s) {
    if (counts_[s] != 0) return absl::InternalError("an issuer's set was not written");
  }
  AppendVarint(uint64_t{FieldOf(set)} << 3 | kLengthDelimited);
  AppendVarint(counts_[set] * 16);
  set_ = set;
  next_set_ = set + 1;
  records_ = 0;
  return status_;
}

absl::Status OracleWriter::Commit(const ErrorCounts& errors) {
  RETURN_IF_ERROR(CloseIssuer());
  DirectoryTally suffix;
  *suffix.mutable_errors() = errors;
  std::string bytes;
  if (!suffix.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat("cannot serialize the tally of ", dir_));
  }
  Append(bytes);
  RETURN_IF_ERROR(FlushBuffer());
  // The trailer of oracle_file.h, from the length and hash of what was written.
  std::string trailer = EncodeOracleTrailer(size_, hasher_.Finish());
  RETURN_IF_ERROR(file_->Append(trailer));
  RETURN_IF_ERROR(file_->Commit(durability_));
  if (!offsets_file_) return absl::OkStatus();
  return base::WriteFileAtomically(absl::StrCat(dir_, "/", kOracleOffsetsFileName), offsets_text_,
                                   base::Durability::kUnsynced);
}

}  // namespace ctmr::tally
