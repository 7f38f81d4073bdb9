#include "coordinator/reduce_command.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/oracle_file.h"
#include "common/oracle_reader.h"
#include "common/registered_domain.h"
#include "common/status_macros.h"
#include "coordinator/data_root.h"
#include "coordinator/shard_reducer.h"
#include "coordinator/tally_snapshot.h"
#include "worker/directory_mapper.h"

namespace ctmr {
namespace {

// Progress on a terminal as one rewritten line; plain lines otherwise.
class Progress {
 public:
  explicit Progress(size_t total) : total_(total), tty_(::isatty(STDERR_FILENO) == 1) {}
  void Done(const std::string& dir, const MapStats& s) {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_;
    if (tty_) {
      std::fprintf(stderr, "\rmapped %zu/%zu directories", done_, total_);
      if (done_ == total_) std::fputc('\n', stderr);
    } else {
      std::fprintf(stderr, "mapped %s (%zu/%zu): %llu new certificates, %llu unparseable\n",
                   dir.c_str(), done_, total_, static_cast<unsigned long long>(s.certificates),
                   static_cast<unsigned long long>(s.unparseable_blocks));
    }
  }
  void Failed(const std::string& dir, const absl::Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_;
    std::fprintf(stderr, "%sct-coordinator: %s failed: %s\n", tty_ ? "\n" : "", dir.c_str(),
                 std::string(status.message()).c_str());
  }

 private:
  std::mutex mu_;
  size_t total_;
  size_t done_ = 0;
  bool tty_;
};

int Threads(const ReduceOptions& options) {
  return options.threads > 0 ? options.threads
                             : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// The whole-set reduce: every directory's tally parsed and added in full.
absl::StatusOr<ReduceStats> ReduceUnsharded(const ReduceOptions& options,
                                            const std::vector<const DateDirectory*>& dirs,
                                            std::set<std::string>* failed) {
  TallyReducer reducer;
  for (const DateDirectory* d : dirs) {
    absl::StatusOr<std::optional<DirectoryTally>> tally = LoadOracle(d->path);
    absl::Status status = tally.status();
    if (tally.ok() && tally->has_value()) {
      status = reducer.Add(**tally, IsActive(d->day, options.as_of, options.window_days));
    }
    if (!status.ok()) {
      std::fprintf(stderr, "ct-coordinator: %s failed: %s\n", d->path.c_str(),
                   std::string(status.message()).c_str());
      failed->insert(d->name);
    }
  }
  return reducer.Finish();
}

absl::StatusOr<ReduceStats> ReduceSharded(const ReduceOptions& options,
                                          const std::vector<const DateDirectory*>& dirs,
                                          std::set<std::string>* failed) {
  const std::string id = absl::StrCat("reduce-", std::time(nullptr), "-", ::getpid());
  absl::StatusOr<std::unique_ptr<TallySnapshot>> taken =
      TallySnapshot::Take(absl::StrCat(options.data_dir, "/state/reduce/", id), dirs);
  if (!taken.ok()) {
    // A data root this user may only read: the snapshot goes to $TMPDIR (as
    // symbolic links when hard links are refused there).
    std::error_code ec;
    std::string tmp = std::filesystem::temp_directory_path(ec).string();
    if (tmp.empty()) tmp = "/tmp";
    absl::StatusOr<std::unique_ptr<TallySnapshot>> elsewhere =
        TallySnapshot::Take(absl::StrCat(tmp, "/ct-", id), dirs);
    if (!elsewhere.ok()) return taken.status();
    taken = std::move(elsewhere);
  }
  const std::unique_ptr<TallySnapshot> snapshot = *std::move(taken);
  const std::string& folder = snapshot->folder();
  if (!snapshot->pinned()) {
    std::fprintf(stderr,
                 "ct-coordinator: cannot hard-link the tallies into %s: the reduce reads the live "
                 "oracle.out files, so do not map while it runs\n",
                 folder.c_str());
  }
  std::vector<ReduceInput> inputs;
  for (const DateDirectory* d : snapshot->directories()) {
    inputs.push_back(ReduceInput{d->name, IsActive(d->day, options.as_of, options.window_days)});
  }
  ReduceBase base = ReduceWithoutNames(folder, inputs);
  for (const auto& [name, status] : base.failed) {
    std::fprintf(stderr, "ct-coordinator: %s/%s failed: %s\n", options.data_dir.c_str(),
                 name.c_str(), std::string(status.message()).c_str());
    failed->insert(name);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<MemoryBudget> budget,
                   MemoryBudget::ForProcess(options.memory_limit));
  const int threads = Threads(options);
  const uint32_t shards =
      options.shards > 0 ? options.shards : ChooseShardCount(base, budget->capacity(), threads);
  ASSIGN_OR_RETURN(const ShardRunStats run,
                   CountShardsInProcess(folder, shards, threads, budget.get(), &base));
  std::fprintf(stderr,
               "reduced %zu active directories in %llu shards (%llu split), at most %s of hash "
               "sets at once (budget %s)\n",
               base.active_inputs.size(), static_cast<unsigned long long>(run.shards),
               static_cast<unsigned long long>(run.splits), FormatBytes(run.peak_reserved).c_str(),
               FormatBytes(budget->capacity()).c_str());
  return std::move(base.stats);
}

}  // namespace

absl::StatusOr<Report> RunReduce(const ReduceOptions& options) {
  ASSIGN_OR_RETURN(DataRootListing listing, ListDataRoot(options.data_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<PublicSuffixList> suffixes, PublicSuffixList::LoadLatest());

  // Which directories need mapping.
  std::vector<const DateDirectory*> stale;
  std::set<std::string> failed;
  std::mutex failed_mu;
  for (const DateDirectory& d : listing.dates) {
    absl::StatusOr<std::optional<DirectoryTally>> tally = LoadOracleHeader(d.path);
    absl::StatusOr<bool> needs = tally.ok() ? NeedsMapping(d.path, *tally) : true;
    if (!needs.ok() || *needs) stale.push_back(&d);
  }

  Report report;
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> mapped{0};
  Progress progress(stale.size());
  const int threads = std::max(1, std::min(Threads(options), static_cast<int>(stale.size())));
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      DirectoryMapper mapper(suffixes.get());
      for (size_t i = next++; i < stale.size(); i = next++) {
        absl::StatusOr<MapStats> s = mapper.Map(stale[i]->path);
        if (s.ok()) {
          if (s->committed) ++mapped;
          progress.Done(stale[i]->path, *s);
        } else {
          progress.Failed(stale[i]->path, s.status());
          std::lock_guard<std::mutex> lock(failed_mu);
          failed.insert(stale[i]->name);
        }
      }
    });
  }
  for (std::thread& t : pool) t.join();

  // Reduce every directory that has a tally and did not fail.
  std::vector<const DateDirectory*> reducible;
  for (const DateDirectory& d : listing.dates) {
    if (failed.count(d.name) == 0) reducible.push_back(&d);
  }
  ASSIGN_OR_RETURN(report.stats, options.unsharded ? ReduceUnsharded(options, reducible, &failed)
                                                   : ReduceSharded(options, reducible, &failed));
  report.as_of = options.as_of;
  report.window_days = options.window_days;
  report.mapped_directories = mapped;
  report.failed_directories.assign(failed.begin(), failed.end());
  report.invalid_date_directories = listing.invalid_date_names;
  report.data_dir = options.data_dir;
  RETURN_IF_ERROR(WriteReports(options.out_dir, report));
  return report;
}

}  // namespace ctmr
