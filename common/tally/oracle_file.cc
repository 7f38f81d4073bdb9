#include "common/tally/oracle_file.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"
#include "common/x509/certificate_file_reader.h"

namespace ctmr::tally {

namespace {

constexpr char kTrailerMagic[8] = {'c', 't', 'm', 'r', 'T', 'L', 'Y', '1'};

}  // namespace

std::string EncodeOracleTrailer(std::string_view payload) {
  return EncodeOracleTrailer(payload.size(), base::HashBytes(payload));
}

std::string EncodeOracleTrailer(uint64_t payload_size, const base::Hash128& checksum) {
  std::string trailer(kTrailerMagic, sizeof(kTrailerMagic));
  for (int i = 0; i < 8; ++i) trailer.push_back(static_cast<char>(payload_size >> (8 * i)));
  base::AppendHash(checksum, &trailer);
  return trailer;
}

absl::StatusOr<OracleTrailer> DecodeOracleTrailer(std::string_view last_bytes, uint64_t file_size,
                                                  const std::string& path) {
  const auto corrupt = [&](const char* why) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", why, "; the next map maps the directory again from the start"));
  };
  if (file_size < kOracleTrailerSize || last_bytes.size() != kOracleTrailerSize) {
    return corrupt("too short to be a tally (cut short?)");
  }
  if (last_bytes.substr(0, sizeof(kTrailerMagic)) !=
      std::string_view(kTrailerMagic, sizeof(kTrailerMagic))) {
    return corrupt("no tally trailer (cut short, or written by an older version)");
  }
  OracleTrailer t;
  for (int i = 0; i < 8; ++i) {
    t.payload_size |= static_cast<uint64_t>(static_cast<uint8_t>(last_bytes[8 + i])) << (8 * i);
  }
  if (t.payload_size != file_size - kOracleTrailerSize) {
    return corrupt("the trailer's length is not the file's");
  }
  t.checksum = base::ReadHash(last_bytes.data() + 16);
  return t;
}

bool IsOracleFileName(const std::string& name) { return absl::StartsWith(name, kOracleFileName); }

absl::StatusOr<std::optional<DirectoryTally>> LoadOracle(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/", kOracleFileName);
  // Not opened unless it is a regular file: opening a FIFO planted there
  // would wait forever for a writer.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return absl::DataLossError(absl::StrCat(path, " is not a regular file"));
  }
  absl::StatusOr<std::string> bytes = base::ReadFileToString(path);
  if (absl::IsNotFound(bytes.status())) return std::optional<DirectoryTally>();
  if (!bytes.ok()) return bytes.status();
  const size_t tail = std::min(bytes->size(), kOracleTrailerSize);
  ASSIGN_OR_RETURN(const OracleTrailer trailer,
                   DecodeOracleTrailer(std::string_view(*bytes).substr(bytes->size() - tail),
                                       bytes->size(), path));
  const std::string_view payload = std::string_view(*bytes).substr(0, trailer.payload_size);
  if (base::HashBytes(payload) != trailer.checksum) {
    return absl::DataLossError(absl::StrCat(
        path,
        ": the checksum does not match; the next map maps the directory again from the start"));
  }
  DirectoryTally tally;
  if (!tally.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError(absl::StrCat(
        path, " does not parse; the next map maps the directory again from the start"));
  }
  if (tally.format_version() != kDirectoryTallyFormat) return std::optional<DirectoryTally>();
  return std::optional<DirectoryTally>(std::move(tally));
}

absl::Status CommitOracle(const std::string& dir, const DirectoryTally& tally) {
  std::string bytes;
  if (!tally.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat("cannot serialize the tally of ", dir));
  }
  // The trailer is part of the one atomic write: a crash leaves the old file
  // or the new one, and a file cut short by anything else has no trailer.
  bytes += EncodeOracleTrailer(bytes);
  RETURN_IF_ERROR(base::WriteFileAtomically(absl::StrCat(dir, "/", kOracleFileName), bytes));
  std::string text;
  for (const FileOffset& f : tally.offsets())
    absl::StrAppend(&text, f.offset(), "\t", f.name(), "\n");
  return base::WriteFileAtomically(absl::StrCat(dir, "/", kOracleOffsetsFileName), text,
                                   base::Durability::kUnsynced);
}

absl::StatusOr<bool> NeedsMapping(const std::string& dir,
                                  const std::optional<DirectoryTally>& tally) {
  if (!tally.has_value()) return true;
  absl::flat_hash_map<std::string, uint64_t> offsets;
  for (const FileOffset& f : tally->offsets()) offsets[f.name()] = f.offset();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot list ", dir, ": ", base::ErrnoText(errno)));
  }
  bool stale = false;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name[0] == '.' || !x509::FormatOfFileName(name).has_value()) continue;
    auto it = offsets.find(name);
    struct stat st;
    const bool stat_ok = ::stat(absl::StrCat(dir, "/", name).c_str(), &st) == 0;
    // FIFOs, sockets and devices are skipped by the map, never input.
    if (stat_ok && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode) ||
                    S_ISBLK(st.st_mode))) {
      continue;
    }
    // A file that cannot be stat'ed is stale: the map reports why it fails.
    if (it == offsets.end() || !stat_ok || static_cast<uint64_t>(st.st_size) != it->second) {
      stale = true;
      break;
    }
  }
  ::closedir(d);
  return stale;
}

}  // namespace ctmr::tally
