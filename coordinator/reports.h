// The reduce's reports (DESIGN.md §5): summary.json, cert-daily-stats.tsv,
// issued-per-day.csv and active-by-issuer.csv. Every file is replaced
// atomically. cert-daily-stats.tsv and active-by-issuer.csv are histories:
// a run updates the rows of its own as-of date and keeps the others.
#ifndef CT_COORDINATOR_REPORTS_H_
#define CT_COORDINATOR_REPORTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "coordinator/tally_reducer.h"

namespace ctmr {

struct Report {
  int32_t as_of = 0;
  int window_days = 0;              // 0: no window
  uint64_t mapped_directories = 0;  // directories whose tally this run changed
  std::vector<std::string> failed_directories;
  std::vector<std::string> invalid_date_directories;
  ReduceStats stats;
};

// Writes the reports into `out_dir` (created if missing).
absl::Status WriteReports(const std::string& out_dir, const Report& report);

// summary.json's text, exposed for tests and for printing.
std::string SummaryJson(const Report& report);

// One CSV field, quoted per RFC 4180 when it holds a comma, quote or newline.
std::string CsvField(const std::string& value);

}  // namespace ctmr

#endif  // CT_COORDINATOR_REPORTS_H_
