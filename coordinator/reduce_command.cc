#include "coordinator/reduce_command.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/oracle_file.h"
#include "common/registered_domain.h"
#include "common/status_macros.h"
#include "coordinator/data_root.h"
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

}  // namespace

absl::StatusOr<Report> RunReduce(const ReduceOptions& options) {
  ASSIGN_OR_RETURN(DataRootListing listing, ListDataRoot(options.data_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<PublicSuffixList> suffixes, PublicSuffixList::LoadLatest());

  // Which directories need mapping.
  std::vector<const DateDirectory*> stale;
  std::set<std::string> failed;
  std::mutex failed_mu;
  for (const DateDirectory& d : listing.dates) {
    absl::StatusOr<std::optional<DirectoryTally>> tally = LoadOracle(d.path);
    absl::StatusOr<bool> needs = tally.ok() ? NeedsMapping(d.path, *tally) : true;
    if (!needs.ok() || *needs) stale.push_back(&d);
  }

  Report report;
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> mapped{0};
  Progress progress(stale.size());
  const int threads = std::max<int>(
      1, std::min<int>(options.threads > 0 ? options.threads
                                           : static_cast<int>(std::thread::hardware_concurrency()),
                       static_cast<int>(stale.size())));
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
  TallyReducer reducer;
  for (const DateDirectory& d : listing.dates) {
    if (failed.count(d.name) > 0) continue;
    absl::StatusOr<std::optional<DirectoryTally>> tally = LoadOracle(d.path);
    absl::Status status = tally.status();
    if (tally.ok() && tally->has_value()) {
      const bool active = d.day >= options.as_of &&
                          (options.window_days <= 0 || d.day < options.as_of + options.window_days);
      status = reducer.Add(**tally, active);
    }
    if (!status.ok()) {
      std::fprintf(stderr, "ct-coordinator: %s failed: %s\n", d.path.c_str(),
                   std::string(status.message()).c_str());
      failed.insert(d.name);
    }
  }
  report.as_of = options.as_of;
  report.window_days = options.window_days;
  report.mapped_directories = mapped;
  report.failed_directories.assign(failed.begin(), failed.end());
  report.invalid_date_directories = listing.invalid_date_names;
  report.stats = reducer.Finish();
  report.data_dir = options.data_dir;
  RETURN_IF_ERROR(WriteReports(options.out_dir, report));
  return report;
}

}  // namespace ctmr
