#include "common/tally/oracle_file.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"
#include "common/x509/certificate_file_reader.h"

namespace ctmr::tally {

bool IsOracleFileName(const std::string& name) { return absl::StartsWith(name, kOracleFileName); }

absl::StatusOr<std::optional<DirectoryTally>> LoadOracle(const std::string& dir) {
  const std::string path = absl::StrCat(dir, "/", kOracleFileName);
  absl::StatusOr<std::string> bytes = base::ReadFileToString(path);
  if (absl::IsNotFound(bytes.status())) return std::optional<DirectoryTally>();
  if (!bytes.ok()) return bytes.status();
  DirectoryTally tally;
  if (!tally.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat(path, " does not parse; remove it to re-map"));
  }
  if (tally.format_version() != kDirectoryTallyFormat) return std::optional<DirectoryTally>();
  return std::optional<DirectoryTally>(std::move(tally));
}

absl::Status CommitOracle(const std::string& dir, const DirectoryTally& tally) {
  std::string bytes;
  if (!tally.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat("cannot serialize the tally of ", dir));
  }
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
    // A file that cannot be stat'ed is stale: the map reports why it fails.
    if (it == offsets.end() || ::stat(absl::StrCat(dir, "/", name).c_str(), &st) != 0 ||
        static_cast<uint64_t>(st.st_size) != it->second) {
      stale = true;
      break;
    }
  }
  ::closedir(d);
  return stale;
}

}  // namespace ctmr::tally
