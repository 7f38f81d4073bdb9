#include "coordinator/cli/reduce_command.h"

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
#include "common/base/progress.h"
#include "common/base/status_macros.h"
#include "common/map/data_root.h"
#include "common/map/directory_mapper.h"
#include "common/names/registered_domain.h"
#include "common/reduce/reduce_driver.h"
#include "common/tally/oracle_file.h"
#include "common/tally/oracle_reader.h"

namespace ctmr::cli {
namespace {

int Threads(const ReduceOptions& options) {
  return options.threads > 0 ? options.threads
                             : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// The whole-set reduce: every directory's tally parsed and added in full.
absl::StatusOr<reduce::ReduceStats> ReduceUnsharded(
    const ReduceOptions& options, const std::vector<const map::DateDirectory*>& dirs,
    std::set<std::string>* failed) {
  reduce::TallyReducer reducer;
  for (const map::DateDirectory* d : dirs) {
    absl::StatusOr<std::optional<DirectoryTally>> tally = tally::LoadOracle(d->path);
    absl::Status status = tally.status();
    if (tally.ok() && tally->has_value()) {
      status = reducer.Add(**tally, reduce::IsActive(d->day, options.as_of, options.window_days));
    }
    if (!status.ok()) {
      std::fprintf(stderr, "ct-coordinator: %s failed: %s\n", d->path.c_str(),
                   std::string(status.message()).c_str());
      failed->insert(d->name);
    }
  }
  return reducer.Finish();
}

absl::StatusOr<reduce::ReduceStats> ReduceSharded(
    const ReduceOptions& options, const std::vector<const map::DateDirectory*>& dirs,
    std::set<std::string>* failed) {
  ASSIGN_OR_RETURN(std::unique_ptr<base::MemoryBudget> budget,
                   base::MemoryBudget::ForProcess(options.memory_limit));
  reduce::ReduceRequest request;
  request.data_dir = options.data_dir;
  request.id = absl::StrCat("reduce-", std::time(nullptr), "-", ::getpid());
  request.snapshot_in_tmp_if_needed = true;
  request.dirs = dirs;
  request.as_of = options.as_of;
  request.window_days = options.window_days;
  request.shards = options.shards;
  reduce::InProcessShardCounter counter(Threads(options), budget.get());
  ASSIGN_OR_RETURN(reduce::ReduceOutcome out, reduce::RunReduce(request, &counter));
  if (!out.pinned) {
    std::fprintf(stderr,
                 "ct-coordinator: cannot hard-link the tallies into %s: the reduce read the live "
                 "oracle.out files, so do not map while it runs\n",
                 out.snapshot_folder.c_str());
  }
  for (const auto& [name, status] : out.failed) {
    std::fprintf(stderr, "ct-coordinator: %s/%s failed: %s\n", options.data_dir.c_str(),
                 name.c_str(), std::string(status.message()).c_str());
    failed->insert(name);
  }
  std::fprintf(stderr,
               "reduced %zu active directories in %llu shards (%llu split), at most %s of hash "
               "sets at once (budget %s)\n",
               out.active_inputs, static_cast<unsigned long long>(out.run.shards),
               static_cast<unsigned long long>(out.run.splits),
               base::FormatBytes(out.run.peak_reserved).c_str(),
               base::FormatBytes(budget->capacity()).c_str());
  return std::move(out.stats);
}

}  // namespace

absl::StatusOr<report::Report> RunReduce(const ReduceOptions& options) {
  ASSIGN_OR_RETURN(map::DataRootListing listing, map::ListDataRoot(options.data_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<names::PublicSuffixList> suffixes,
                   names::PublicSuffixList::LoadLatest());

  // Which directories need mapping.
  std::vector<const map::DateDirectory*> stale;
  std::set<std::string> failed;
  std::mutex failed_mu;
  for (const map::DateDirectory& d : listing.dates) {
    absl::StatusOr<std::optional<DirectoryTally>> tally = tally::LoadOracleHeader(d.path);
    absl::StatusOr<bool> needs = tally.ok() ? tally::NeedsMapping(d.path, *tally) : true;
    if (!needs.ok() || *needs) stale.push_back(&d);
  }

  report::Report report;
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> mapped{0};
  base::Progress progress;
  std::atomic<size_t> done{0};
  const int threads = std::max(1, std::min(Threads(options), static_cast<int>(stale.size())));
  // The maps share --memory-limit as a worker's task threads do: each its part.
  uint64_t map_budget = 0;
  if (!stale.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<base::MemoryBudget> budget,
                     base::MemoryBudget::ForProcess(options.memory_limit));
    map_budget = budget->capacity() / static_cast<uint64_t>(threads);
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      map::DirectoryMapper mapper(suffixes.get(), x509::CertificateDecoder::Mode::kFastWithFallback,
                                  map_budget);
      for (size_t i = next++; i < stale.size(); i = next++) {
        absl::StatusOr<map::MapStats> s = mapper.Map(stale[i]->path);
        if (s.ok()) {
          if (s->committed) ++mapped;
          const size_t n = ++done;
          if (progress.tty()) {
            progress.Update(absl::StrCat("mapped ", n, "/", stale.size(), " directories"));
          } else {
            progress.Print(absl::StrCat("mapped ", stale[i]->path, " (", n, "/", stale.size(),
                                        "): ", s->certificates, " new certificates, ",
                                        s->unparseable_blocks, " unparseable"));
          }
        } else {
          ++done;
          progress.Print(
              absl::StrCat("ct-coordinator: ", stale[i]->path, " failed: ", s.status().message()));
          std::lock_guard<std::mutex> lock(failed_mu);
          failed.insert(stale[i]->name);
        }
      }
    });
  }
  for (std::thread& t : pool) t.join();
  progress.Break();

  // Reduce every directory that has a tally and did not fail.
  std::vector<const map::DateDirectory*> reducible;
  for (const map::DateDirectory& d : listing.dates) {
    if (failed.count(d.name) == 0) reducible.push_back(&d);
  }
  ASSIGN_OR_RETURN(report.stats, options.unsharded ? ReduceUnsharded(options, reducible, &failed)
                                                   : ReduceSharded(options, reducible, &failed));
  report.as_of = options.as_of;
  report.window_days = options.window_days;
  report.history_days = options.history_days;
  report.mapped_directories = mapped;
  report.failed_directories.assign(failed.begin(), failed.end());
  report.invalid_date_directories = listing.invalid_date_names;
  report.data_dir = options.data_dir;
  RETURN_IF_ERROR(report::WriteReports(options.out_dir, report));
  return report;
}

}  // namespace ctmr::cli
