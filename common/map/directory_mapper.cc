#include "common/map/directory_mapper.h"

#include <dirent.h>
#include <fcntl.h>
#include <glog/logging.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"
#include "common/map/data_root.h"
#include "common/map/issuer_tally_builder.h"
#include "common/map/map_parts.h"
#include "common/tally/hash_run.h"
#include "common/tally/oracle_file.h"
#include "common/tally/oracle_reader.h"
#include "common/tally/oracle_writer.h"
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

constexpr char kSpillPrefix[] = "oracle.out.spill.";
// Bits per key of a serial filter while the filters fit their share of the
// budget (about 1% false positives).
constexpr uint64_t kFilterBitsPerKey = 10;
// How often (in certificates) the map adds up what it holds.
constexpr uint64_t kCheckEvery = 1024;
// The map's own I/O buffers: the spill writer's and OracleWriter's (the
// input reader's chunk is in the process's margin, kMemoryMargin; the final
// merge's cursors take a sixteenth of what is left).
constexpr uint64_t kIoBytes = 2 << 20;
constexpr size_t kSpillBufferBytes = 1 << 20;

// A spill file: removed when the map ends, however it ends (short of a crash,
// which the next map's start cleans up).
struct SpillFile {
  std::string path;
  int fd = -1;
  ~SpillFile() {
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
  }
};

// Drains into a spill file: one run per set, the serials' filter on the way.
class RunSink : public HashSink {
 public:
  RunSink(tally::HashRunWriter* writer, IssuerRun* run) : writer_(writer), run_(run) {}
  void BeginSet(tally::TallySet set) override {
    EndSet();
    set_ = set;
  }
  void Add(const base::Hash128& h) override {
    writer_->Add(h);
    if (set_ == tally::kSerials) run_->serial_filter.Add(h);
  }
  absl::Status Finish() {
    EndSet();
    return status_;
  }

 private:
  void EndSet() {
    if (set_ < 0) return;
    absl::StatusOr<tally::SetSpan> span = writer_->EndRun();
    if (span.ok()) {
      run_->sets[set_] = *span;
    } else {
      status_.Update(span.status());
    }
  }
  tally::HashRunWriter* writer_;
  IssuerRun* run_;
  int set_ = -1;
  absl::Status status_;
};

// Drains into memory: the last of a map that never reached its budget.
class MemorySink : public HashSink {
 public:
  explicit MemorySink(std::array<tally::HashSet, tally::kTallySets>* sets) : sets_(sets) {}
  void BeginSet(tally::TallySet set) override { set_ = set; }
  void Add(const base::Hash128& h) override { (*sets_)[set_].push_back(h); }

 private:
  std::array<tally::HashSet, tally::kTallySets>* sets_;
  int set_ = 0;
};

// One map's state: the builders, the spill files, and how much of the budget
// each part may take.
class MapRun {
 public:
  MapRun(const std::string& dir, uint64_t budget, names::RegisteredDomainCache* domains)
      : dir_(dir),
        filter_budget_(budget / 8),
        available_(budget > kIoBytes + budget / 8 ? budget - kIoBytes - budget / 8 : 0),
        bounded_(budget != kUnboundedMap),
        domains_(domains) {}

  std::map<std::string, IssuerTallyBuilder, std::less<>>& builders() { return builders_; }
  uint64_t spilled_runs() const { return spills_.size(); }

  // Bits per key for a filter of `keys` serials: kFilterBitsPerKey while the
  // filters fit their share, fewer after (more lookups in the files), none
  // when it is spent.
  uint64_t FilterBits(uint64_t keys) {
    if (keys == 0) return 0;
    const uint64_t left = filter_budget_ > filter_bytes_ ? filter_budget_ - filter_bytes_ : 0;
    return std::min<uint64_t>(kFilterBitsPerKey, left / keys * 8);
  }
  void CountFilter(const HashFilter& f) { filter_bytes_ += f.bytes(); }

  // The committed tally's sets, as one run per issuer (those `owns`).
  template <typename Owns>
  absl::Status AddPrevious(const tally::OracleReader& previous, const Owns& owns) {
    for (const tally::OracleIssuer& issuer : previous.issuers()) {
      if (!owns(issuer.header.issuer_id())) continue;
      IssuerTallyBuilder b = IssuerTallyBuilder::FromHeader(issuer.header);
      IssuerRun run;
      run.fd = previous.fd();
      run.path = &previous.path();
      run.sets = {issuer.serials, issuer.fqdns, issuer.regdomains, issuer.wildcards};
      run.serial_filter = HashFilter(issuer.serials.count, FilterBits(issuer.serials.count));
      CountFilter(run.serial_filter);
      tally::HashRunCursor serials(run.fd, run.path, issuer.serials, 1 << 16);
      while (true) {
        RETURN_IF_ERROR(serials.Next());
        if (serials.done()) break;
        run.serial_filter.Add(serials.current());
      }
      b.AddRun(std::move(run));
      builders_.emplace(issuer.header.issuer_id(), std::move(b));
    }
    return absl::OkStatus();
  }

  // Whether holding on would pass the budget: what the builders hold, the
  // next doubling of one of their buffers, the domain cache, and what
  // draining the largest builder adds (about as much as it holds).
  bool OverBudget(double drain_factor) const {
    if (!bounded_) return false;
    uint64_t held = domains_->memory_bytes(), growth = 0, largest = 0;
    for (const auto& [id, b] : builders_) {
      const uint64_t h = b.held_bytes();
      held += h;
      largest = std::max(largest, h);
      growth = std::max(growth, b.growth_bytes());
    }
    return static_cast<double>(held + growth) + drain_factor * static_cast<double>(largest) >=
           static_cast<double>(available_);
  }

  // Every builder's pending sets into a new spill file.
  absl::Status Spill() {
    static std::atomic<uint64_t> sequence{0};
    auto file = std::make_unique<SpillFile>();
    file->path = absl::StrCat(dir_, "/", kSpillPrefix, ::getpid(), ".", sequence.fetch_add(1));
    file->fd = ::open(file->path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (file->fd < 0) return base::ErrnoStatus(errno, "cannot create", file->path);
    tally::HashRunWriter writer(file->fd, file->path, 0, kSpillBufferBytes);
    for (auto& [id, b] : builders_) {
      if (!b.has_pending()) continue;
      IssuerRun run;
      run.fd = file->fd;
      run.path = &file->path;
      run.serial_filter = HashFilter(b.pending_serials(), FilterBits(b.pending_serials()));
      CountFilter(run.serial_filter);
      RunSink sink(&writer, &run);
      b.Drain(domains_, &sink);
      RETURN_IF_ERROR(sink.Finish());
      b.AddRun(std::move(run));
    }
    RETURN_IF_ERROR(writer.Flush());
    // The cache only speeds the look-ups up; past its share it is started afresh.
    if (domains_->memory_bytes() > available_ / 8) domains_->Clear();
    spills_.push_back(std::move(file));
    return absl::OkStatus();
  }

  // Writes every issuer through `writer`: its runs merged with what is left
  // in memory (`in_memory`: a map that never spilled), or with one last
  // spill first.
  absl::Status WriteIssuers(bool in_memory, tally::OracleWriter* writer) {
    if (!in_memory) {
      bool pending = false;
      for (const auto& [id, b] : builders_) pending = pending || b.has_pending();
      if (pending) RETURN_IF_ERROR(Spill());
    }
    for (auto& [id, b] : builders_) {
      std::array<tally::HashSet, tally::kTallySets> memory;
      if (in_memory && b.has_pending()) {
        MemorySink sink(&memory);
        b.Drain(domains_, &sink);
      }
      const size_t inputs = b.runs().size() + 1;
      const size_t buffer = static_cast<size_t>(
          std::clamp<uint64_t>((bounded_ ? available_ / 16 : 1 << 20) / inputs, 16 << 10, 1 << 20));
      const auto cursors = [&](int set) {
        std::vector<tally::HashRunCursor> c;
        for (const IssuerRun& run : b.runs()) {
          if (run.sets[set].count > 0) c.emplace_back(run.fd, run.path, run.sets[set], buffer);
        }
        if (!memory[set].empty()) c.emplace_back(&memory[set]);
        return c;
      };
      std::array<uint64_t, tally::kTallySets> counts{};
      for (int set = 0; set < tally::kTallySets; ++set) {
        std::vector<tally::HashRunCursor> c = cursors(set);
        if (c.size() > 1) {
          RETURN_IF_ERROR(tally::MergeRuns(&c, [&](const base::Hash128&) { ++counts[set]; }));
        } else {
          // At most one non-empty run, already without duplicates.
          counts[set] = memory[set].size();
          for (const IssuerRun& run : b.runs()) counts[set] += run.sets[set].count;
        }
      }
      RETURN_IF_ERROR(writer->BeginIssuer(b.Header(), counts));
      for (int set = 0; set < tally::kTallySets; ++set) {
        if (counts[set] == 0) continue;
        RETURN_IF_ERROR(writer->BeginSet(static_cast<tally::TallySet>(set)));
        std::vector<tally::HashRunCursor> c = cursors(set);
        RETURN_IF_ERROR(
            tally::MergeRuns(&c, [&](const base::Hash128& h) { writer->AddRecord(h); }));
      }
      b = IssuerTallyBuilder(id);  // frees the filters and the memory sets' owner
    }
    return absl::OkStatus();
  }

 private:
  std::string dir_;
  const uint64_t filter_budget_;
  const uint64_t available_;
  const bool bounded_;
  names::RegisteredDomainCache* domains_;
  uint64_t filter_bytes_ = 0;
  std::map<std::string, IssuerTallyBuilder, std::less<>> builders_;
  std::vector<std::unique_ptr<SpillFile>> spills_;
};

// Spill files of a map that crashed (or was killed) before it could remove them.
void RemoveStaleSpills(const std::string& dir, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (!absl::StartsWith(name, kSpillPrefix)) continue;
    const std::string path = absl::StrCat(dir, "/", name);
    if (::unlink(path.c_str()) == 0)
      LOG(INFO) << "removed " << path << ", left by a map that crashed";
  }
}

}  // namespace

absl::StatusOr<MapStats> DirectoryMapper::Map(const std::string& dir) {
  return MapImpl(dir, nullptr);
}

absl::StatusOr<MapStats> DirectoryMapper::MapPart(const std::string& dir, const PartSpec& spec) {
  RETURN_IF_ERROR(CheckPartSpec(spec));
  return MapImpl(dir, &spec);
}

absl::StatusOr<MapStats> DirectoryMapper::MapImpl(const std::string& dir, const PartSpec* part) {
  RETURN_IF_ERROR(CheckDateDirectoryLink(DataRootOf(dir), dir));
  // A part owns only its issuers; everything else is another part's.
  std::set<std::string, std::less<>> owned;
  std::string base;
  if (part != nullptr) {
    owned.insert(part->stems.begin(), part->stems.end());
    ASSIGN_OR_RETURN(base, OracleBase(dir));
  }
  const auto owns = [&](std::string_view issuer_id) {
    return part == nullptr || owned.find(issuer_id) != owned.end();
  };
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir));
  // Another part's map may be spilling in this directory right now.
  if (part == nullptr) RemoveStaleSpills(dir, names);
  // The committed tally is read by pages (its sets stay in the file); its
  // checksum is checked first, in one streaming pass.
  absl::StatusOr<std::optional<tally::OracleReader>> loaded =
      tally::OracleReader::Open(absl::StrCat(dir, "/", tally::kOracleFileName));
  if (loaded.ok() && loaded->has_value()) {
    absl::Status verified = (*loaded)->VerifyChecksum();
    if (!verified.ok()) loaded = verified;
  }
  if (part != nullptr && absl::IsDataLoss(loaded.status())) {
    // A part cannot map the whole directory again, and its merge would copy
    // the other issuers from the corrupt file: it refuses, and the
    // coordinator's next plan maps the directory whole (SplitMapTask).
    return absl::FailedPreconditionError(
        absl::StrCat(loaded.status().message(), "; a split map's part never starts from it"));
  }
  if (absl::IsDataLoss(loaded.status())) {
    // A tally cut short or corrupted is never built upon: the directory is
    // mapped again from the start, which is exact.
    LOG(WARNING) << loaded.status().message();
    loaded = std::optional<tally::OracleReader>();
  }
  if (!loaded.ok()) return loaded.status();
  const std::optional<tally::OracleReader> previous = *std::move(loaded);

  names::RegisteredDomainCache domains(suffixes_);
  MapRun run(dir, memory_budget_, &domains);
  std::map<std::string, uint64_t> offsets;
  ErrorCounts errors;
  if (previous.has_value()) {
    RETURN_IF_ERROR(run.AddPrevious(*previous, owns));
    for (const FileOffset& f : previous->header().offsets()) {
      if (owns(x509::IssuerIdOfFileName(f.name()))) offsets[f.name()] = f.offset();
    }
    // A part counts only its own errors: the merge adds the committed ones.
    if (part == nullptr) errors = previous->header().errors();
  }

  MapStats stats;
  x509::CertificateDecoder decoder(mode_);
  x509::CertificateView view;
  bool changed = !previous.has_value();
  absl::Status failure;  // of a callback, which cannot return one
  uint64_t since_check = 0;
  auto& builders = run.builders();
  for (const std::string& name : names) {
    if (tally::IsOracleFileName(name)) continue;
    if (IsSkipped(dir, name)) {
      ++stats.skipped_files;
      continue;
    }
    const x509::CertificateFileFormat format = *x509::FormatOfFileName(name);
    const std::string_view issuer_id = x509::IssuerIdOfFileName(name);
    if (!owns(issuer_id)) continue;
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
                                                 if (!failure.ok()) return true;
                                                 absl::StatusOr<bool> added = builder.Add(view);
                                                 if (!added.ok()) {
                                                   failure = added.status();
                                                 } else if (*added) {
                                                   ++stats.certificates;
                                                 } else {
                                                   ++stats.duplicates;
                                                 }
                                                 if (++since_check == kCheckEvery) {
                                                   since_check = 0;
                                                   if (run.OverBudget(1.0))
                                                     failure.Update(run.Spill());
                                                 }
                                                 return true;
                                               }));
    RETURN_IF_ERROR(failure);
    stats.bytes_read += read.end_offset - start;
    stats.unparseable_blocks += read.malformed_blocks;
    if (read.end_offset != start) changed = true;
    offsets[name] = read.end_offset;
  }
  stats.openssl_fallbacks = decoder.openssl_fallbacks();
  stats.spilled_runs = run.spilled_runs();
  if (part == nullptr && !changed && stats.skipped_files == errors.skipped_files()) return stats;

  DirectoryTally head;
  head.set_format_version(tally::kDirectoryTallyFormat);
  head.set_directory(BaseName(dir));
  for (const auto& [name, offset] : offsets) {
    FileOffset* f = head.add_offsets();
    f->set_name(name);
    f->set_offset(offset);
  }
  std::unique_ptr<tally::OracleWriter> writer;
  if (part == nullptr) {
    ASSIGN_OR_RETURN(writer, tally::OracleWriter::Create(dir));
  } else {
    ASSIGN_OR_RETURN(writer, CreateMapPartWriter(dir, *part));
  }
  RETURN_IF_ERROR(writer->BeginTally(head));
  // What is left in memory is merged from there, unless draining it all at
  // once (four sorted copies) would pass the budget.
  const bool in_memory = run.spilled_runs() == 0 && !run.OverBudget(1.0);
  RETURN_IF_ERROR(run.WriteIssuers(in_memory, writer.get()));
  stats.spilled_runs = run.spilled_runs();
  errors.set_unparseable_blocks(errors.unparseable_blocks() + stats.unparseable_blocks);
  errors.set_openssl_fallbacks(errors.openssl_fallbacks() + stats.openssl_fallbacks);
  errors.set_skipped_files(stats.skipped_files);
  RETURN_IF_ERROR(writer->Commit(errors));
  if (part != nullptr) {
    // The part's tally, then its metadata, unless oracle.out changed
    // meanwhile (the part would be stale).
    ASSIGN_OR_RETURN(const std::string base_after, OracleBase(dir));
    if (base_after != base) {
      return absl::UnavailableError(
          absl::StrCat(dir, "/oracle.out changed while part ", part->part, " was mapped"));
    }
    ::ctmr::MapPart meta;
    meta.set_plan_id(part->plan_id);
    meta.set_part(part->part);
    meta.set_parts(part->parts);
    for (const std::string& stem : part->stems) meta.add_stems(stem);
    meta.set_base(base);
    meta.set_changed(changed);
    RETURN_IF_ERROR(WriteMapPartMeta(dir, std::move(meta)));
    return stats;
  }
  stats.committed = true;
  return stats;
}

}  // namespace ctmr::map
