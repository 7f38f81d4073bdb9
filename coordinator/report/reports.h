// The reduce's reports (DESIGN.md §5): summary.json, cert-daily-stats.tsv and
// one cert-daily-stats.<organization>.tsv per organization, issued-per-day.csv,
// active-by-issuer.csv and report.html, with history.json, the store of what
// every run counted (history.h). Every file is replaced atomically. The
// daily statistics and active-by-issuer.csv are histories: a run updates the
// rows of its own as-of date and keeps the others.
#ifndef CT_COORDINATOR_REPORT_REPORTS_H_
#define CT_COORDINATOR_REPORT_REPORTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/reduce/tally_reducer.h"

namespace ctmr::report {

inline constexpr char kActiveByIssuerFileName[] = "active-by-issuer.csv";
inline constexpr char kLifetimeDailyStatsFileName[] = "lifetime-daily-stats.tsv";
inline constexpr char kIssuedPerDayByLifetimeFileName[] = "issued-per-day-by-lifetime.csv";

// --history-days: three years by default (longer than any certificate has
// been valid since CT began), a century at most.
inline constexpr int kDefaultHistoryDays = 1096;
inline constexpr int kMaxHistoryDays = 36'500;

struct Report {
  int32_t as_of = 0;
  int window_days = 0;  // 0: no window
  // certs_active is back-filled for at most this many days before as_of: a
  // garbage date directory (0000-01-01) must not make a 740,000-row report.
  int history_days = kDefaultHistoryDays;
  uint64_t mapped_directories = 0;  // directories whose tally this run changed
  std::vector<std::string> failed_directories;
  std::vector<std::string> invalid_date_directories;
  reduce::ReduceStats stats;
  // The data root the tallies came from. When set, certs_active of the days
  // before as_of is back-filled from its tallies (failed directories left
  // out); when empty, only the runs' own rows have it.
  std::string data_dir;
};

// The lock file WriteReports holds in the report folder (hidden: the folder
// is what a web server publishes).
inline constexpr char kReportsLockFileName[] = ".lock";

// Writes the reports into `out_dir` (created if missing), holding
// out_dir/.lock: concurrent writers (two `reduce`s, `reduce` beside `run`)
// take turns, so none loses another's history.json record.
absl::Status WriteReports(const std::string& out_dir, const Report& report);

// summary.json's text, exposed for tests and for printing.
std::string SummaryJson(const Report& report);

// One CSV field, quoted per RFC 4180 when it holds a comma, quote or newline.
std::string CsvField(const std::string& value);

}  // namespace ctmr::report

#endif  // CT_COORDINATOR_REPORT_REPORTS_H_
