#include "coordinator/cli/report_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/file_util.h"
#include "common/base/memory_budget.h"
#include "common/base/status_macros.h"
#include "common/map/data_root.h"
#include "common/reduce/reduce_driver.h"
#include "common/reduce/tally_reducer.h"
#include "common/tally/oracle_file.h"
#include "common/tally/oracle_reader.h"
#include "coordinator/report/history.h"

namespace ctmr::cli {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// The history to rebuild from: OUT's, else ROOT/reports' copied into OUT
// (history.json and active-by-issuer.csv, the reports that keep the rows of
// other as-of dates).
absl::StatusOr<report::History> HistoryFor(const std::string& data_dir,
                                           const std::string& out_dir) {
  const std::string root_reports = data_dir + "/reports";
  if (Exists(absl::StrCat(out_dir, "/", report::kHistoryFileName)) ||
      !Exists(absl::StrCat(root_reports, "/", report::kHistoryFileName))) {
    return report::LoadHistory(out_dir);
  }
  if (::mkdir(out_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", out_dir, ": ", base::ErrnoText(errno)));
  }
  for (const char* name : {report::kActiveByIssuerFileName, report::kHistoryFileName}) {
    absl::StatusOr<std::string> text =
        base::ReadFileToString(absl::StrCat(root_reports, "/", name));
    if (absl::IsNotFound(text.status())) continue;
    if (!text.ok()) return text.status();
    RETURN_IF_ERROR(base::WriteFileAtomically(absl::StrCat(out_dir, "/", name), *text));
  }
  return report::LoadHistory(out_dir);
}

}  // namespace

absl::StatusOr<report::Report> RunReport(const ReportOptions& options) {
  const std::string out_dir =
      options.out_dir.empty() ? options.data_dir + "/reports" : options.out_dir;
  ASSIGN_OR_RETURN(map::DataRootListing listing, map::ListDataRoot(options.data_dir));
  ASSIGN_OR_RETURN(report::History history, HistoryFor(options.data_dir, out_dir));
  const std::optional<report::LastRun>& last = history.last_run;

  report::Report report;
  report.as_of = options.as_of.value_or(last.has_value() ? last->as_of : base::TodayUtc());
  report.window_days = options.window_days.value_or(last.has_value() ? last->window_days : 0);
  report.history_days = options.history_days;
  // The last run could not map these: their tallies are not current.
  std::set<std::string> failed;
  if (last.has_value()) {
    failed.insert(last->failed_directories.begin(), last->failed_directories.end());
    if (last->as_of == report.as_of && last->window_days == report.window_days) {
      report.mapped_directories = last->mapped_directories;
    }
  }
  // Which directories to count: those with a tally, except the ones the
  // last run failed. A tally that is missing or behind its input is noted.
  std::vector<const map::DateDirectory*> dirs;
  size_t untallied = 0, stale = 0;
  for (const map::DateDirectory& d : listing.dates) {
    if (failed.count(d.name) > 0) continue;
    absl::StatusOr<std::optional<DirectoryTally>> header = tally::LoadOracleHeader(d.path);
    if (header.ok() && !header->has_value()) {
      ++untallied;
      continue;
    }
    if (header.ok()) {
      absl::StatusOr<bool> needs = tally::NeedsMapping(d.path, *header);
      if (needs.ok() && *needs) ++stale;
    }
    dirs.push_back(&d);  // an unreadable tally fails in the reduce
  }
  ASSIGN_OR_RETURN(std::unique_ptr<base::MemoryBudget> budget,
                   base::MemoryBudget::ForProcess(options.memory_limit));
  reduce::ReduceRequest request;
  request.data_dir = options.data_dir;
  request.id = absl::StrCat("report-", std::time(nullptr), "-", ::getpid());
  request.snapshot_in_tmp_if_needed = true;
  request.dirs = dirs;
  request.as_of = report.as_of;
  request.window_days = report.window_days;
  const int threads = options.threads > 0
                          ? options.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  reduce::InProcessShardCounter counter(threads, budget.get());
  ASSIGN_OR_RETURN(reduce::ReduceOutcome out, reduce::RunReduce(request, &counter));
  for (const auto& [name, status] : out.failed) {
    std::fprintf(stderr, "ct-coordinator: %s/%s failed: %s\n", options.data_dir.c_str(),
                 name.c_str(), std::string(status.message()).c_str());
    failed.insert(name);
  }
  if (untallied + stale > 0) {
    std::fprintf(stderr,
                 "ct-coordinator: note: %zu date directories have no tally and %zu have input "
                 "beyond it (new or half-written blocks); `reduce` or `run` maps them\n",
                 untallied, stale);
  }
  report.stats = std::move(out.stats);
  report.failed_directories.assign(failed.begin(), failed.end());
  report.invalid_date_directories = listing.invalid_date_names;
  report.data_dir = options.data_dir;
  RETURN_IF_ERROR(report::WriteReports(out_dir, report));
  return report;
}

void AddReportCommand(CLI::App& app, ReportCommand* report) {
  report->command = app.add_subcommand(
      "report", "rebuild the reports from the stored tallies and history; map nothing");
  CLI::App* c = report->command;
  c->add_option("--data-dir", report->options.data_dir, "data root")->required();
  c->add_option("--out", report->options.out_dir, "report directory (default ROOT/reports)");
  c->add_option("--as-of", report->as_of_text,
                "report this date (YYYY-MM-DD) instead of the last run's");
  c->add_option("--window-days", report->window_days,
                "count only directories in [as-of, as-of + N) (default: the last run's)")
      ->check(CLI::Range(0, reduce::kMaxWindowDays));
  c->add_option("--history-days", report->options.history_days,
                "back-fill certs_active at most this many days before as-of (default 1096)")
      ->check(CLI::Range(1, report::kMaxHistoryDays));
  c->add_option("--threads", report->options.threads, "counting threads (default: one per core)")
      ->check(CLI::Range(0, 4096));
  c->add_option("--memory-limit", report->memory_limit_text,
                "most memory the reduce may use, e.g. 512MiB (default 1GiB)");
}

int ReportMain(ReportCommand& report) {
  ReportOptions& options = report.options;
  if (!report.as_of_text.empty()) {
    options.as_of = base::ParseDate(report.as_of_text);
    if (!options.as_of.has_value()) {
      std::fprintf(stderr, "ct-coordinator: --as-of %s is not a date (YYYY-MM-DD)\n",
                   report.as_of_text.c_str());
      return 2;
    }
  }
  if (report.window_days >= 0) options.window_days = report.window_days;
  if (!report.memory_limit_text.empty()) {
    const absl::StatusOr<uint64_t> bytes = base::ParseByteSize(report.memory_limit_text);
    if (!bytes.ok()) {
      std::fprintf(stderr, "ct-coordinator: --memory-limit %s: %s\n",
                   report.memory_limit_text.c_str(), std::string(bytes.status().message()).c_str());
      return 2;
    }
    options.memory_limit = *bytes;
  }
  absl::StatusOr<report::Report> r = RunReport(options);
  if (!r.ok()) {
    std::fprintf(stderr, "ct-coordinator: %s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  const reduce::ActiveCounts& t = r->stats.totals;
  std::printf(
      "as of %s: %llu active certificates, %llu FQDNs, %llu registered domains, %llu wildcards "
      "in %llu directories (%zu failed); reports: %s\n",
      base::FormatDate(r->as_of).c_str(), static_cast<unsigned long long>(t.certs),
      static_cast<unsigned long long>(t.fqdns), static_cast<unsigned long long>(t.regdomains),
      static_cast<unsigned long long>(t.wildcards),
      static_cast<unsigned long long>(r->stats.active_directories), r->failed_directories.size(),
      (options.out_dir.empty() ? options.data_dir + "/reports" : options.out_dir).c_str());
  return r->failed_directories.empty() ? 0 : 1;
}

}  // namespace ctmr::cli
