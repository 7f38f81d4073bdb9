#include "coordinator/report_command.h"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/civil_date.h"
#include "common/file_util.h"
#include "common/oracle_file.h"
#include "common/status_macros.h"
#include "coordinator/data_root.h"
#include "coordinator/history.h"

namespace ctmr {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// The history to rebuild from: OUT's, else ROOT/reports' copied into OUT
// (history.json and active-by-issuer.csv, the reports that keep the rows of
// other as-of dates).
absl::StatusOr<History> HistoryFor(const std::string& data_dir, const std::string& out_dir) {
  const std::string root_reports = data_dir + "/reports";
  if (Exists(absl::StrCat(out_dir, "/", kHistoryFileName)) ||
      !Exists(absl::StrCat(root_reports, "/", kHistoryFileName))) {
    return LoadHistory(out_dir);
  }
  if (::mkdir(out_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", out_dir, ": ", ErrnoText(errno)));
  }
  for (const char* name : {kActiveByIssuerFileName, kHistoryFileName}) {
    absl::StatusOr<std::string> text = ReadFileToString(absl::StrCat(root_reports, "/", name));
    if (absl::IsNotFound(text.status())) continue;
    if (!text.ok()) return text.status();
    RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(out_dir, "/", name), *text));
  }
  return LoadHistory(out_dir);
}

}  // namespace

absl::StatusOr<Report> RunReport(const ReportOptions& options) {
  const std::string out_dir =
      options.out_dir.empty() ? options.data_dir + "/reports" : options.out_dir;
  ASSIGN_OR_RETURN(DataRootListing listing, ListDataRoot(options.data_dir));
  ASSIGN_OR_RETURN(History history, HistoryFor(options.data_dir, out_dir));
  const std::optional<LastRun>& last = history.last_run;

  Report report;
  report.as_of = options.as_of.value_or(last.has_value() ? last->as_of : TodayUtc());
  report.window_days = options.window_days.value_or(last.has_value() ? last->window_days : 0);
  // The last run could not map these: their tallies are not current.
  std::set<std::string> failed;
  if (last.has_value()) {
    failed.insert(last->failed_directories.begin(), last->failed_directories.end());
    if (last->as_of == report.as_of && last->window_days == report.window_days) {
      report.mapped_directories = last->mapped_directories;
    }
  }
  TallyReducer reducer;
  size_t untallied = 0, stale = 0;
  for (const DateDirectory& d : listing.dates) {
    if (failed.count(d.name) > 0) continue;
    absl::StatusOr<std::optional<DirectoryTally>> tally = LoadOracle(d.path);
    absl::Status status = tally.status();
    if (tally.ok() && !tally->has_value()) {
      ++untallied;
      continue;
    }
    if (tally.ok()) {
      const bool active = d.day >= report.as_of &&
                          (report.window_days <= 0 || d.day < report.as_of + report.window_days);
      status = reducer.Add(**tally, active);
      absl::StatusOr<bool> needs = NeedsMapping(d.path, *tally);
      if (needs.ok() && *needs) ++stale;
    }
    if (!status.ok()) {
      std::fprintf(stderr, "ct-coordinator: %s failed: %s\n", d.path.c_str(),
                   std::string(status.message()).c_str());
      failed.insert(d.name);
    }
  }
  if (untallied + stale > 0) {
    std::fprintf(stderr,
                 "ct-coordinator: note: %zu date directories have no tally and %zu have input "
                 "beyond it (new or half-written blocks); `reduce` or `run` maps them\n",
                 untallied, stale);
  }
  report.failed_directories.assign(failed.begin(), failed.end());
  report.invalid_date_directories = listing.invalid_date_names;
  report.stats = reducer.Finish();
  report.data_dir = options.data_dir;
  RETURN_IF_ERROR(WriteReports(out_dir, report));
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
      ->check(CLI::NonNegativeNumber);
}

int ReportMain(ReportCommand& report) {
  ReportOptions& options = report.options;
  if (!report.as_of_text.empty()) {
    options.as_of = ParseDate(report.as_of_text);
    if (!options.as_of.has_value()) {
      std::fprintf(stderr, "ct-coordinator: --as-of %s is not a date (YYYY-MM-DD)\n",
                   report.as_of_text.c_str());
      return 2;
    }
  }
  if (report.window_days >= 0) options.window_days = report.window_days;
  absl::StatusOr<Report> r = RunReport(options);
  if (!r.ok()) {
    std::fprintf(stderr, "ct-coordinator: %s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  const ActiveCounts& t = r->stats.totals;
  std::printf(
      "as of %s: %llu active certificates, %llu FQDNs, %llu registered domains, %llu wildcards "
      "in %llu directories (%zu failed); reports: %s\n",
      FormatDate(r->as_of).c_str(), static_cast<unsigned long long>(t.certs),
      static_cast<unsigned long long>(t.fqdns), static_cast<unsigned long long>(t.regdomains),
      static_cast<unsigned long long>(t.wildcards),
      static_cast<unsigned long long>(r->stats.active_directories), r->failed_directories.size(),
      (options.out_dir.empty() ? options.data_dir + "/reports" : options.out_dir).c_str());
  return r->failed_directories.empty() ? 0 : 1;
}

}  // namespace ctmr
