#include "coordinator/service/cycle.h"

#include <glog/logging.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/memory_budget.h"
#include "common/base/status_macros.h"
#include "common/map/data_root.h"
#include "common/map/map_parts.h"
#include "common/tally/oracle_reader.h"
#include "coordinator/report/reports.h"
#include "coordinator/service/distributed_reduce.h"
#include "coordinator/service/map_work.h"

namespace ctmr::service {
namespace {

std::string RunId() {
  std::string id = NowRfc3339();
  id.erase(std::remove(id.begin(), id.end(), ':'), id.end());
  return absl::StrCat(id, "-", ::getpid());
}

// The directories of one cycle that failed, and their record in the state.
class FailureLog {
 public:
  FailureLog(const std::string& data_dir, RunState* state) : data_dir_(data_dir), state_(state) {}

  void Skipped(const std::string& name) { names_.insert(name); }
  // A map task that ended failed.
  void MapFailed(const map::DateDirectory& d, const Task& t) {
    Record(d.name, t.attempts, ErrorKind_Name(t.last_error_kind), t.last_error, d.path);
  }
  // A split map whose parts all succeeded but whose merge failed.
  void MergeFailed(const map::DateDirectory& d, const absl::Status& status) {
    Record(d.name, 1, ErrorKind_Name(absl::IsUnavailable(status) ? TRANSIENT : PERMANENT),
           std::string(status.message()), d.path);
  }
  // A directory the reduce could not read.
  void ReduceFailed(const std::string& name, const absl::Status& status) {
    Record(name, 1, ErrorKind_Name(absl::IsUnavailable(status) ? TRANSIENT : PERMANENT),
           std::string(status.message()), absl::StrCat(data_dir_, "/", name));
  }
  bool Has(const std::string& name) const { return names_.count(name) > 0; }
  const std::set<std::string>& names() const { return names_; }

 private:
  void Record(const std::string& name, uint32_t attempts, std::string kind, std::string error,
              const std::string& path) {
    names_.insert(name);
    FailedDirectory& f = state_->failed[name];
    f.attempts = attempts;
    f.error_kind = std::move(kind);
    f.last_error = std::move(error);
    f.input_fingerprint = InputFingerprint(path).value_or("");
    f.failed_at = NowRfc3339();
  }

  const std::string data_dir_;
  RunState* const state_;
  std::set<std::string> names_;
};

CycleResult Interrupted(absl::Status status) {
  CycleResult r;
  r.any_failed = true;
  r.interrupted = std::move(status);
  return r;
}

// Step 1: the state file and its requeue requests. (Snapshots a killed run
// left behind are removed by the next snapshot: TallySnapshot::RemoveAbandoned.)
absl::Status LoadState(const RunOptions& options, const std::string& run_id, int32_t as_of,
                       RunState* state) {
  absl::StatusOr<RunState> loaded = LoadRunState(RunStatePath(options.data_dir));
  if (!loaded.ok()) return loaded.status();
  *state = *std::move(loaded);
  for (const std::string& name : ApplyRequeue(*state)) LOG(INFO) << "requeued " << name;
  state->last_run = LastRun{};
  state->last_run.run_id = run_id;
  state->last_run.started_at = NowRfc3339();
  state->last_run.as_of = base::FormatDate(as_of);
  return absl::OkStatus();
}

// The task slots a split map may use: the threads of the connected workers,
// or the local workers about to connect.
uint32_t MapSlots(const RunOptions& options, const Scheduler& scheduler) {
  uint64_t threads = 0;
  for (const auto& [id, w] : scheduler.workers()) {
    if (!w.draining) threads += w.threads;
  }
  return static_cast<uint32_t>(
      std::min<uint64_t>(std::max<uint64_t>(threads, options.local_workers), 1u << 16));
}

// Step 2: one map task per stale directory, or one per part of a directory
// split by issuer (map_work.h's SplitMapTask), whose parts are merged once
// all succeeded; failed ones wait for a requeue or new input. Returns how
// many tallies changed; errors are the pool's.
absl::StatusOr<uint64_t> MapStaleDirectories(const RunOptions& options,
                                             const map::DataRootListing& listing,
                                             const std::string& run_id, int32_t as_of,
                                             TaskPool* pool, RunState* state,
                                             FailureLog* failures) {
  Scheduler& scheduler = pool->scheduler();
  std::map<uint64_t, const map::DateDirectory*> map_tasks;
  std::map<const map::DateDirectory*, std::vector<uint64_t>> split;  // part task ids
  const MapWork work = FindMapWork(listing, *state);
  for (const std::string& name : work.skipped_failed) failures->Skipped(name);
  for (const std::string& name : work.retried) {
    LOG(INFO) << name << " failed before and its input changed: trying again";
    state->failed.erase(name);
  }
  // Each directory's tally before its map: an "ok" must be backed by a commit.
  std::map<std::string, std::optional<DirectoryTally>> before;
  const uint32_t slots = MapSlots(options, scheduler);
  for (const map::DateDirectory* d : work.to_map) {
    absl::StatusOr<std::optional<DirectoryTally>> header = tally::LoadOracleHeader(d->path);
    before[d->path] = header.ok() ? *std::move(header) : std::nullopt;
    std::vector<MapTask> parts =
        SplitMapTask(d->path, before[d->path], options.split_bytes, slots, run_id);
    if (parts.empty()) {
      map_tasks[scheduler.AddMapTask(d->path)] = d;
      continue;
    }
    LOG(INFO) << "mapping " << d->name << " in " << parts.size() << " parts by issuer";
    for (MapTask& part : parts) {
      const uint64_t id = scheduler.AddMapTask(std::move(part));
      map_tasks[id] = d;
      split[d].push_back(id);
    }
  }
  const ScopedResultCheck check(scheduler, [&before](const Task& t, const Result& r) {
    if (!t.body.has_map_task()) return absl::OkStatus();
    if (t.body.map_task().parts() > 1) return CheckPartWritten(t.body.map_task());
    const std::string& dir = t.body.map_task().directory();
    auto it = before.find(dir);
    return CheckMapCommitted(dir, it == before.end() ? std::nullopt : it->second, r.map());
  });
  LOG(INFO) << "run " << run_id << " as of " << base::FormatDate(as_of) << ": "
            << listing.dates.size() << " date directories, " << work.to_map.size() << " to map ("
            << map_tasks.size() << " tasks), " << failures->names().size() << " skipped as failed";
  RETURN_IF_ERROR(pool->Drain("map", map_tasks.size()));
  uint64_t mapped = 0;
  for (const auto& [id, dir] : map_tasks) {
    const Task* t = scheduler.task(id);
    if (t->body.map_task().parts() > 1) continue;  // merged below
    if (t->state == TaskState::kDone) {
      if (t->result.map().committed()) ++mapped;
    } else {
      failures->MapFailed(*dir, *t);
    }
  }
  // A split directory: failed as soon as one part failed (it spent its
  // attempts as any map task), else its parts merged into oracle.out here.
  for (const auto& [dir, ids] : split) {
    const Task* failed = nullptr;
    for (uint64_t id : ids) {
      const Task* t = scheduler.task(id);
      if (t->state != TaskState::kDone && failed == nullptr) failed = t;
    }
    if (failed != nullptr) {
      failures->MapFailed(*dir, *failed);
      (void)map::RemoveMapParts(dir->path);
      continue;
    }
    const MapTask& first = scheduler.task(ids[0])->body.map_task();
    const auto merge_start = std::chrono::steady_clock::now();
    absl::StatusOr<map::MergeStats> merged =
        map::MergeMapParts(dir->path, first.plan_id(), first.parts());
    LOG_IF(INFO, merged.ok())
        << "merged the " << first.parts() << " parts of " << dir->name
        << (merged->committed ? "" : " (nothing new)") << " in "
        << std::chrono::duration<double>(std::chrono::steady_clock::now() - merge_start).count()
        << " s";
    if (!merged.ok()) {
      LOG(ERROR) << "cannot merge the parts of " << dir->path << ": " << merged.status().message();
      failures->MergeFailed(*dir, merged.status());
      (void)map::RemoveMapParts(dir->path);
    } else if (merged->committed) {
      ++mapped;
    }
  }
  state->last_run.map_tasks = map_tasks.size();
  state->last_run.mapped = mapped;
  return mapped;
}

// Step 4's bookkeeping: this cycle's summary into the state file, keeping the
// requeue requests written while the cycle ran for the next one.
void SaveState(const RunOptions& options, const Scheduler& scheduler,
               const reduce::ReduceOutcome& reduced, const FailureLog& failures, RunState* state) {
  state->last_run.merge_tasks = reduced.run.shards + reduced.run.splits;
  state->last_run.failed = failures.names().size();
  state->last_run.discarded_results = scheduler.discarded_results();
  state->last_run.finished_at = NowRfc3339();
  state->workers.clear();
  for (const auto& [id, w] : scheduler.workers()) {
    state->workers.push_back(WorkerLabel(id, w.name));
  }
  const std::string path = RunStatePath(options.data_dir);
  absl::StatusOr<RunState> current = LoadRunState(path);
  if (current.ok()) state->requeue = current->requeue;
  absl::Status saved = SaveRunState(path, *state);
  if (!saved.ok()) LOG(ERROR) << "cannot save " << path << ": " << saved.message();
}

}  // namespace

CycleResult RunCycle(const RunOptions& options, TaskPool* pool, RunState* state, CycleInfo* info) {
  const std::string run_id = RunId();
  const int32_t as_of = options.as_of.value_or(base::TodayUtc());
  if (absl::Status loaded = LoadState(options, run_id, as_of, state); !loaded.ok()) {
    LOG(ERROR) << loaded.message();
    return CycleResult{false, true, absl::OkStatus()};
  }
  *info = CycleInfo{run_id, base::FormatDate(as_of), "map", pool->NowMs()};
  absl::StatusOr<map::DataRootListing> listing = map::ListDataRoot(options.data_dir);
  if (!listing.ok()) {
    LOG(ERROR) << listing.status().message();
    return CycleResult{false, true, absl::OkStatus()};
  }

  FailureLog failures(options.data_dir, state);
  absl::StatusOr<uint64_t> mapped =
      MapStaleDirectories(options, *listing, run_id, as_of, pool, state, &failures);
  if (!mapped.ok()) return Interrupted(mapped.status());

  // Step 3: every mapped, non-failed directory (expired ones too:
  // certs_issued counts them).
  info->phase = "reduce";
  std::vector<const map::DateDirectory*> reducible;
  for (const map::DateDirectory& d : listing->dates) {
    if (!failures.Has(d.name)) reducible.push_back(&d);
  }
  absl::StatusOr<reduce::ReduceOutcome> reduced =
      ReduceOnWorkers(options, run_id, as_of, reducible, pool);
  if (!reduced.ok()) {
    const absl::Status& s = reduced.status();
    if (!absl::IsCancelled(s)) LOG(ERROR) << s.message() << "; no report this cycle";
    if (absl::IsCancelled(s) || absl::IsUnavailable(s) || absl::IsAborted(s)) return Interrupted(s);
    return CycleResult{false, true, absl::OkStatus()};
  }
  for (const auto& [name, status] : reduced->failed) failures.ReduceFailed(name, status);
  pool->scheduler().TakeFinished();

  // Step 4.
  info->phase = "report";
  CycleResult result;
  report::Report report;
  report.as_of = as_of;
  report.window_days = options.window_days;
  report.history_days = options.history_days;
  report.mapped_directories = *mapped;
  report.failed_directories.assign(failures.names().begin(), failures.names().end());
  report.invalid_date_directories = listing->invalid_date_names;
  report.stats = std::move(reduced->stats);
  report.data_dir = options.data_dir;
  absl::Status written = report::WriteReports(options.out_dir, report);
  if (written.ok()) {
    result.reports_written = true;
  } else {
    LOG(ERROR) << "cannot write the reports: " << written.message();
  }
  result.any_failed = !failures.names().empty();
  SaveState(options, pool->scheduler(), *reduced, failures, state);

  const reduce::ActiveCounts& t = report.stats.totals;
  LOG(INFO) << "as of " << base::FormatDate(as_of) << ": " << t.certs << " active certificates, "
            << t.fqdns << " FQDNs, " << t.regdomains << " registered domains, " << t.wildcards
            << " wildcards in " << report.stats.active_directories << " directories (" << *mapped
            << " mapped now, " << failures.names().size() << " failed, "
            << state->last_run.merge_tasks << " shard tasks holding at most "
            << base::FormatBytes(reduced->run.peak_reserved)
            << " of hash sets); reports: " << options.out_dir;
  return result;
}

}  // namespace ctmr::service
