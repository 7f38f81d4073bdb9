#include "common/map/map_parts.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/hash128.h"
#include "common/base/status_macros.h"
#include "common/segment/segment.h"
#include "common/tally/oracle_file.h"
#include "common/x509/certificate_file_reader.h"

namespace ctmr::map {
namespace {

std::string WithoutTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool IsPlanIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

absl::Status CheckPartSpec(const PartSpec& spec) {
  if (spec.plan_id.empty() || spec.plan_id[0] == '.' ||
      !std::all_of(spec.plan_id.begin(), spec.plan_id.end(), IsPlanIdChar)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the plan id \"", spec.plan_id, "\" is not [A-Za-z0-9._-]+"));
  }
  if (spec.parts < 2 || spec.part >= spec.parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("part ", spec.part, " of ", spec.parts, " is not a part of a split"));
  }
  return absl::OkStatus();
}

std::string MapPartsDir(const std::string& dir) {
  const std::filesystem::path p(WithoutTrailingSlashes(dir));
  return (p.parent_path() / "state" / "map-parts" / p.filename()).string();
}

std::string MapPartPath(const std::string& dir, const std::string& plan_id, uint32_t part,
                        uint32_t parts) {
  return absl::StrCat(MapPartsDir(dir), "/", plan_id, ".part-", part, "-of-", parts);
}

absl::StatusOr<std::string> TallyFileIdentity(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::string();
    return base::ErrnoStatus(errno, "cannot stat", path);
  }
  // Never opened unless regular (a FIFO would block); its identity is then
  // its kind and size, and the map treats it as corrupt anyway.
  if (!S_ISREG(st.st_mode)) return absl::StrCat("not a regular file ", st.st_size);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoStatus(errno, "cannot open", path);
  const off_t tail = std::min<off_t>(st.st_size, tally::kOracleTrailerSize);
  std::string bytes(static_cast<size_t>(tail), '\0');
  const ssize_t n = ::pread(fd, bytes.data(), bytes.size(), st.st_size - tail);
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(bytes.size())) {
    return n < 0 ? base::ErrnoStatus(err, "cannot read", path)
                 : absl::UnavailableError(absl::StrCat(path, " changed while it was read"));
  }
  // The size too: a file cut short keeps no trailer, but its last bytes
  // could still repeat another file's.
  return absl::StrCat(bytes, "/", st.st_size);
}

absl::StatusOr<std::string> OracleBase(const std::string& dir) {
  return TallyFileIdentity(absl::StrCat(dir, "/", tally::kOracleFileName));
}

std::string MapPartMetaPath(const std::string& dir, const std::string& plan_id, uint32_t part,
                            uint32_t parts) {
  return absl::StrCat(MapPartPath(dir, plan_id, part, parts), ".meta");
}

absl::StatusOr<std::unique_ptr<tally::OracleWriter>> CreateMapPartWriter(const std::string& dir,
                                                                         const PartSpec& spec) {
  std::error_code ec;
  std::filesystem::create_directories(MapPartsDir(dir), ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", MapPartsDir(dir), ": ", ec.message()));
  }
  // Not synced: a part lives only until its merge, which checks its trailer
  // and checksum (a part lost to a machine crash is never merged), and the
  // merge's oracle.out is synced.
  return tally::OracleWriter::CreateFile(MapPartPath(dir, spec.plan_id, spec.part, spec.parts),
                                         base::Durability::kUnsynced);
}

absl::Status WriteMapPartMeta(const std::string& dir, MapPart meta) {
  ASSIGN_OR_RETURN(std::string identity,
                   TallyFileIdentity(MapPartPath(dir, meta.plan_id(), meta.part(), meta.parts())));
  meta.set_tally(std::move(identity));
  std::string bytes;
  if (!meta.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat("cannot serialize part ", meta.part(), " of ", dir));
  }
  bytes += tally::EncodeOracleTrailer(bytes);
  return base::WriteFileAtomically(MapPartMetaPath(dir, meta.plan_id(), meta.part(), meta.parts()),
                                   bytes, base::Durability::kUnsynced);
}

absl::StatusOr<LoadedPart> LoadMapPart(const std::string& dir, const std::string& plan_id,
                                       uint32_t part, uint32_t parts, const std::string& base) {
  const std::string path = MapPartMetaPath(dir, plan_id, part, parts);
  ASSIGN_OR_RETURN(const std::string bytes, base::ReadFileToString(path));
  const size_t tail = std::min(bytes.size(), tally::kOracleTrailerSize);
  ASSIGN_OR_RETURN(const tally::OracleTrailer trailer,
                   tally::DecodeOracleTrailer(std::string_view(bytes).substr(bytes.size() - tail),
                                              bytes.size(), path));
  const std::string_view payload = std::string_view(bytes).substr(0, trailer.payload_size);
  MapPart meta;
  if (tally::EncodeOracleTrailer(payload) != std::string_view(bytes).substr(payload.size()) ||
      !meta.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError(absl::StrCat(path, " is corrupt"));
  }
  if (meta.plan_id() != plan_id || meta.part() != part || meta.parts() != parts) {
    return absl::FailedPreconditionError(absl::StrCat(path, " belongs to another plan"));
  }
  if (meta.base() != base) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " did not start from the committed oracle.out"));
  }
  const std::string tally_path = MapPartPath(dir, plan_id, part, parts);
  ASSIGN_OR_RETURN(std::optional<tally::OracleReader> reader,
                   tally::OracleReader::Open(tally_path));
  ASSIGN_OR_RETURN(const std::string identity, TallyFileIdentity(tally_path));
  if (identity.empty()) return absl::NotFoundError(absl::StrCat(tally_path, " does not exist"));
  if (!reader.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(tally_path, " has another format"));
  }
  if (identity != meta.tally()) {
    return absl::FailedPreconditionError(
        absl::StrCat(tally_path, " is not the tally its metadata was written for"));
  }
  const std::set<std::string> stems(meta.stems().begin(), meta.stems().end());
  for (const tally::OracleIssuer& issuer : reader->issuers()) {
    if (stems.count(issuer.header.issuer_id()) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(tally_path, " holds the issuer ",
                                                        issuer.header.issuer_id(),
                                                        ", which its part does not own"));
    }
  }
  for (const FileOffset& f : reader->header().offsets()) {
    if (stems.count(std::string(x509::IssuerIdOfFileName(f.name()))) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(tally_path, " holds the offset of ", f.name(), ", not its part's"));
    }
  }
  return LoadedPart{std::move(meta), *std::move(reader)};
}

namespace {

constexpr size_t kCopyBytes = 1 << 20;

// Reads one tally file forward, copying the ranges asked for into an
// OracleWriter. With `verify`, every byte is read, the ones between the
// ranges too, and hashed on the way (Finish checks the checksum); without,
// the bytes between the ranges are skipped.
class SplicedFile {
 public:
  SplicedFile(const tally::OracleReader* reader, bool verify) : reader_(reader), verify_(verify) {}

  // Reads (or skips) up to `begin`, then copies [begin, end) to `writer`.
  absl::Status Copy(uint64_t begin, uint64_t end, std::string* buffer,
                    tally::OracleWriter* writer) {
    if (verify_) {
      RETURN_IF_ERROR(Read(begin, buffer, nullptr));
    } else if (begin >= pos_) {
      pos_ = begin;
    }
    return Read(end, buffer, writer);
  }

  // The rest of the payload, hashed; DataLoss unless it matches the trailer.
  absl::Status Finish(std::string* buffer) {
    RETURN_IF_ERROR(Read(reader_->payload_size(), buffer, nullptr));
    if (hasher_.Finish() != reader_->checksum()) {
      return absl::DataLossError(
          absl::StrCat(reader_->path(), ": the checksum does not match; not merged"));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Read(uint64_t to, std::string* buffer, tally::OracleWriter* writer) {
    if (to < pos_ || to > reader_->payload_size()) {
      return absl::DataLossError(absl::StrCat(reader_->path(), ": issuers out of order"));
    }
    while (pos_ < to) {
      buffer->resize(static_cast<size_t>(std::min<uint64_t>(kCopyBytes, to - pos_)));
      const ssize_t got =
          ::pread(reader_->fd(), buffer->data(), buffer->size(), static_cast<off_t>(pos_));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return base::ErrnoStatus(errno, "cannot read", reader_->path());
      if (got == 0) return absl::DataLossError(absl::StrCat(reader_->path(), " is cut short"));
      const std::string_view bytes(buffer->data(), static_cast<size_t>(got));
      if (verify_) hasher_.Update(bytes);
      if (writer != nullptr) RETURN_IF_ERROR(writer->AppendIssuerBytes(bytes));
      pos_ += static_cast<uint64_t>(got);
    }
    return absl::OkStatus();
  }

  const tally::OracleReader* reader_;
  const bool verify_;
  base::Hasher128 hasher_;
  uint64_t pos_ = 0;
};

}  // namespace

absl::StatusOr<MergeStats> MergeMapParts(const std::string& dir, const std::string& plan_id,
                                         uint32_t parts) {
  ASSIGN_OR_RETURN(const std::string base, OracleBase(dir));
  absl::StatusOr<std::optional<tally::OracleReader>> opened =
      tally::OracleReader::Open(absl::StrCat(dir, "/", tally::kOracleFileName));
  // A corrupt tally is no base: the parts, which saw it too, started afresh.
  if (absl::IsDataLoss(opened.status())) opened = std::optional<tally::OracleReader>();
  if (!opened.ok()) return opened.status();
  std::optional<tally::OracleReader> previous = *std::move(opened);

  std::vector<LoadedPart> loaded;
  std::set<std::string> owned;
  bool changed = !previous.has_value();
  for (uint32_t k = 0; k < parts; ++k) {
    ASSIGN_OR_RETURN(LoadedPart p, LoadMapPart(dir, plan_id, k, parts, base));
    for (const std::string& stem : p.meta.stems()) {
      if (!owned.insert(stem).second) {
        return absl::FailedPreconditionError(
            absl::StrCat("two parts of ", dir, " own the issuer ", stem));
      }
    }
    changed |= p.meta.changed();
    loaded.push_back(std::move(p));
  }
  ASSIGN_OR_RETURN(const std::string base_after, OracleBase(dir));
  if (base_after != base) {
    return absl::UnavailableError(absl::StrCat(dir, "/oracle.out changed during the merge"));
  }

  // Where each issuer's bytes come from: source 0 is the committed tally,
  // source k + 1 part k. Each source is read in its own (issuer_id) order.
  struct From {
    size_t source;
    const tally::OracleIssuer* issuer;
  };
  std::map<std::string_view, From> issuers;
  std::map<std::string, uint64_t> offsets;
  ErrorCounts errors;
  if (previous.has_value()) {
    for (const tally::OracleIssuer& t : previous->issuers()) {
      if (owned.count(t.header.issuer_id()) == 0)
        issuers.emplace(t.header.issuer_id(), From{0, &t});
    }
    for (const FileOffset& f : previous->header().offsets()) {
      if (owned.count(std::string(x509::IssuerIdOfFileName(f.name()))) == 0) {
        offsets[f.name()] = f.offset();
      }
    }
    errors = previous->header().errors();
  }
  for (size_t k = 0; k < loaded.size(); ++k) {
    const tally::OracleReader& t = loaded[k].tally;
    for (const tally::OracleIssuer& i : t.issuers())
      issuers.emplace(i.header.issuer_id(), From{k + 1, &i});
    for (const FileOffset& f : t.header().offsets()) offsets[f.name()] = f.offset();
    const ErrorCounts& e = t.header().errors();
    errors.set_unparseable_blocks(errors.unparseable_blocks() + e.unparseable_blocks());
    errors.set_openssl_fallbacks(errors.openssl_fallbacks() + e.openssl_fallbacks());
  }
  // Every part counted the same listing's skipped files: counted once.
  const uint64_t skipped = loaded.empty() ? 0 : loaded[0].tally.header().errors().skipped_files();

  MergeStats stats;
  stats.parts = parts;
  if (changed || skipped != errors.skipped_files()) {
    DirectoryTally head;
    head.set_format_version(tally::kDirectoryTallyFormat);
    head.set_directory(std::filesystem::path(WithoutTrailingSlashes(dir)).filename().string());
    for (const auto& [name, offset] : offsets) {
      FileOffset* f = head.add_offsets();
      f->set_name(name);
      f->set_offset(offset);
    }
    ASSIGN_OR_RETURN(std::unique_ptr<tally::OracleWriter> writer, tally::OracleWriter::Create(dir));
    RETURN_IF_ERROR(writer->BeginTally(head));
    // The committed tally is not hashed again here: every part checked it
    // when it started, and its identity (trailer, size) since.
    std::vector<std::unique_ptr<SplicedFile>> sources;
    sources.push_back(previous.has_value() ? std::make_unique<SplicedFile>(&*previous, false)
                                           : nullptr);
    for (const LoadedPart& p : loaded) {
      sources.push_back(std::make_unique<SplicedFile>(&p.tally, true));
    }
    std::string buffer;
    buffer.reserve(kCopyBytes);
    for (const auto& [id, from] : issuers) {
      RETURN_IF_ERROR(
          sources[from.source]->Copy(from.issuer->begin, from.issuer->end, &buffer, writer.get()));
    }
    for (size_t k = 1; k < sources.size(); ++k) RETURN_IF_ERROR(sources[k]->Finish(&buffer));
    errors.set_skipped_files(skipped);
    RETURN_IF_ERROR(writer->Commit(errors));
    stats.committed = true;
  }
  RETURN_IF_ERROR(RemoveMapParts(dir));
  return stats;
}

absl::Status RemoveMapParts(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(MapPartsDir(dir), ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot remove ", MapPartsDir(dir), ": ", ec.message()));
  }
  return absl::OkStatus();
}

namespace {

// Bytes of a file sampled for its bytes per certificate: a few PEM blocks or
// segment blocks, read from the page cache in well under a millisecond.
constexpr size_t kSampleBytes = 256 << 10;

// Estimated certificates in `length` bytes of `path` from `from` on: the
// length over the bytes per certificate of the sample at `from`. A sample
// without one whole certificate counts the length as one certificate per
// kFallbackBytes, the size of a typical PEM certificate.
uint64_t EstimateCertificates(const std::string& path, x509::CertificateFileFormat format,
                              uint64_t from, uint64_t length) {
  constexpr uint64_t kFallbackBytes = 2048;
  if (format == x509::CertificateFileFormat::kDer) return 1;  // a .cer holds one
  if (length == 0) return 0;
  std::string sample(static_cast<size_t>(std::min<uint64_t>(length, kSampleBytes)), '\0');
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ssize_t n = -1;
  if (fd >= 0) {
    n = ::pread(fd, sample.data(), sample.size(), static_cast<off_t>(from));
    ::close(fd);
  }
  if (n <= 0) return length / kFallbackBytes + 1;
  sample.resize(static_cast<size_t>(n));
  uint64_t certificates = 0, sampled = 0;
  if (format == x509::CertificateFileFormat::kPem) {
    static constexpr std::string_view kBegin = "-----BEGIN ";
    for (size_t at = sample.find(kBegin); at != std::string::npos;
         at = sample.find(kBegin, at + kBegin.size())) {
      ++certificates;
    }
    sampled = sample.size();
  } else {
    segment::SegmentScanner scanner(sample, /*at_end_of_input=*/false);
    segment::BlockView block;
    while (scanner.Next(&block)) {
      certificates += block.records;
      sampled += block.size;
    }
  }
  if (certificates == 0 || sampled == 0) return length / kFallbackBytes + 1;
  return std::max<uint64_t>(
      1, static_cast<uint64_t>(static_cast<double>(length) * static_cast<double>(certificates) /
                               static_cast<double>(sampled)));
}

}  // namespace

absl::StatusOr<std::map<std::string, StemWork>> UnmappedWorkByStem(
    const std::string& dir, const std::optional<DirectoryTally>& tally,
    bool estimate_certificates) {
  std::map<std::string, uint64_t> covered;
  if (tally.has_value()) {
    for (const FileOffset& f : tally->offsets()) covered[f.name()] = f.offset();
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return base::ErrnoStatus(errno, "cannot list", dir);
  std::map<std::string, StemWork> work;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const std::optional<x509::CertificateFileFormat> format = x509::FormatOfFileName(name);
    if (name[0] == '.' || !format.has_value()) continue;
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    auto it = covered.find(name);
    // A new file counts even when empty: the map records its offset.
    if (it != covered.end() && size <= it->second) continue;
    const uint64_t from = it == covered.end() ? 0 : it->second;
    StemWork& w = work[std::string(x509::IssuerIdOfFileName(name))];
    w.bytes += size - from;
    if (estimate_certificates)
      w.certificates += EstimateCertificates(path, *format, from, size - from);
  }
  ::closedir(d);
  return work;
}

std::vector<std::vector<std::string>> BalanceStems(const std::map<std::string, uint64_t>& bytes,
                                                   uint32_t parts) {
  std::vector<std::pair<std::string, uint64_t>> order(bytes.begin(), bytes.end());
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  // Part of each stem (indices into `order`) and each part's load.
  const size_t n = std::max<uint32_t>(parts, 1);
  std::vector<size_t> part_of(order.size());
  std::vector<uint64_t> load(n, 0);
  for (size_t i = 0; i < order.size(); ++i) {
    const size_t k = std::min_element(load.begin(), load.end()) - load.begin();
    part_of[i] = k;
    load[k] += order[i].second;
  }
  // Largest-first alone can leave the heaviest part 4% over the best split
  // (eight ct-gen issuers: 928 MB against 901), and the split map's wall time
  // is its heaviest part's. So: move one stem, or swap two, between the
  // heaviest and the lightest part while that lowers the heavier of the two.
  // Each step lowers the sum of squared loads, so this ends; the bound on
  // steps only keeps a pathological input cheap.
  for (int step = 0; step < 1000; ++step) {
    const size_t h = std::max_element(load.begin(), load.end()) - load.begin();
    const size_t l = std::min_element(load.begin(), load.end()) - load.begin();
    if (h == l) break;
    const uint64_t gap = load[h] - load[l];
    // The best exchange moves `delta` bytes from h to l with 0 < delta < gap,
    // as close to gap / 2 as possible: the pair's heavier part is then lowest.
    uint64_t best_delta = 0;
    size_t from = order.size(), to = order.size();  // to == size(): a move
    auto consider = [&](uint64_t delta, size_t i, size_t j) {
      if (delta == 0 || delta >= gap) return;
      const auto distance = [gap](uint64_t d) { return d * 2 > gap ? d * 2 - gap : gap - d * 2; };
      if (best_delta == 0 || distance(delta) < distance(best_delta)) {
        best_delta = delta;
        from = i;
        to = j;
      }
    };
    for (size_t i = 0; i < order.size(); ++i) {
      if (part_of[i] != h) continue;
      consider(order[i].second, i, order.size());
      for (size_t j = 0; j < order.size(); ++j) {
        if (part_of[j] == l && order[i].second > order[j].second) {
          consider(order[i].second - order[j].second, i, j);
        }
      }
    }
    if (best_delta == 0) break;
    part_of[from] = l;
    if (to < order.size()) part_of[to] = h;
    load[h] -= best_delta;
    load[l] += best_delta;
  }
  std::vector<std::vector<std::string>> out(n);
  for (size_t i = 0; i < order.size(); ++i) out[part_of[i]].push_back(order[i].first);
  for (std::vector<std::string>& stems : out) std::sort(stems.begin(), stems.end());
  return out;
}

}  // namespace ctmr::map
