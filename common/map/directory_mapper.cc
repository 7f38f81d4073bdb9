#include "common/map/directory_mapper.h"

#include <dirent.h>
#include <glog/logging.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"
#include "common/map/data_root.h"
#include "common/map/issuer_tally_builder.h"
#include "common/tally/oracle_file.h"
#include "common/x509/certificate_decoder.h"
#include "common/x509/certificate_file_reader.h"

namespace ctmr::map {
namespace {

absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot list ", dir, ": ", base::ErrnoText(errno)));
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string WithoutTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string BaseName(const std::string& path) {
  const std::string p = WithoutTrailingSlashes(path);
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// The data root that holds the date directory `dir`: its parent, by name.
std::string DataRootOf(const std::string& dir) {
  const std::string p = WithoutTrailingSlashes(dir);
  const size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

// Files the map does not read, but counts as skipped: dot-files (editor and
// tool droppings, which ct-fetch never writes), names that are not .pem, .cer
// or .ctseg, and FIFOs, sockets and devices, which a read could block on or
// never finish. A file that cannot be stat'ed is left to the reader, whose
// error names it.
bool IsSkipped(const std::string& dir, const std::string& name) {
  if (name[0] == '.' || !x509::FormatOfFileName(name).has_value()) return true;
  struct stat st;
  if (::stat(absl::StrCat(dir, "/", name).c_str(), &st) != 0) return false;
  return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

}  // namespace

absl::StatusOr<MapStats> DirectoryMapper::Map(const std::string& dir) {
  RETURN_IF_ERROR(CheckDateDirectoryLink(DataRootOf(dir), dir));
  absl::StatusOr<std::optional<DirectoryTally>> loaded = tally::LoadOracle(dir);
  if (absl::IsDataLoss(loaded.status())) {
    // A tally cut short or corrupted is never built upon: the directory is
    // mapped again from the start, which is exact.
    LOG(WARNING) << loaded.status().message();
    loaded = std::optional<DirectoryTally>();
  }
  if (!loaded.ok()) return loaded.status();
  std::optional<DirectoryTally> previous = *std::move(loaded);
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir));

  std::map<std::string, IssuerTallyBuilder, std::less<>> builders;
  std::map<std::string, uint64_t> offsets;
  DirectoryTally out;
  if (previous.has_value()) {
    for (const IssuerTally& t : previous->issuers()) {
      ASSIGN_OR_RETURN(IssuerTallyBuilder b, IssuerTallyBuilder::FromTally(t));
      builders.emplace(t.issuer_id(), std::move(b));
    }
    for (const FileOffset& f : previous->offsets()) offsets[f.name()] = f.offset();
    *out.mutable_errors() = previous->errors();
  }

  MapStats stats;
  names::RegisteredDomainCache domains(suffixes_);
  x509::CertificateDecoder decoder(mode_);
  x509::CertificateView view;
  bool changed = !previous.has_value();
  for (const std::string& name : names) {
    if (tally::IsOracleFileName(name)) continue;
    if (IsSkipped(dir, name)) {
      ++stats.skipped_files;
      continue;
    }
    const x509::CertificateFileFormat format = *x509::FormatOfFileName(name);
    const std::string_view issuer_id = x509::IssuerIdOfFileName(name);
    auto it = builders.find(issuer_id);
    if (it == builders.end()) {
      it = builders.emplace(std::string(issuer_id), IssuerTallyBuilder(std::string(issuer_id)))
               .first;
    }
    IssuerTallyBuilder& builder = it->second;
    const uint64_t start = offsets[name];
    ASSIGN_OR_RETURN(x509::FileReadResult read,
                     x509::ReadCertificateFile(absl::StrCat(dir, "/", name), start, format,
                                               [&](std::string_view der) {
                                                 if (!decoder.Decode(der, &view)) return false;
                                                 if (builder.Add(view)) {
                                                   ++stats.certificates;
                                                 } else {
                                                   ++stats.duplicates;
                                                 }
                                                 return true;
                                               }));
    stats.bytes_read += read.end_offset - start;
    stats.unparseable_blocks += read.malformed_blocks;
    if (read.end_offset != start) changed = true;
    offsets[name] = read.end_offset;
  }
  stats.openssl_fallbacks = decoder.openssl_fallbacks();
  if (!changed && stats.skipped_files == out.errors().skipped_files()) return stats;

  out.set_format_version(tally::kDirectoryTallyFormat);
  out.set_directory(BaseName(dir));
  for (const auto& [name, offset] : offsets) {
    FileOffset* f = out.add_offsets();
    f->set_name(name);
    f->set_offset(offset);
  }
  for (auto& [id, builder] : builders) *out.add_issuers() = builder.Finish(&domains);
  ErrorCounts* errors = out.mutable_errors();
  errors->set_unparseable_blocks(errors->unparseable_blocks() + stats.unparseable_blocks);
  errors->set_openssl_fallbacks(errors->openssl_fallbacks() + stats.openssl_fallbacks);
  errors->set_skipped_files(stats.skipped_files);
  RETURN_IF_ERROR(tally::CommitOracle(dir, out));
  stats.committed = true;
  return stats;
}

}  // namespace ctmr::map
