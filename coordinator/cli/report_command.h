// `ct-coordinator report`: rebuilds the reports from the stored tallies and
// history without mapping anything. By default it rebuilds the last run's
// reports (its as-of date, window, and mapped and failed directories, from
// history.json), so they come out as that run wrote them; --as-of and
// --window-days report another date from the same tallies.
#ifndef CT_COORDINATOR_CLI_REPORT_COMMAND_H_
#define CT_COORDINATOR_CLI_REPORT_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/base/memory_budget.h"
#include "coordinator/report/reports.h"

namespace CLI {
class App;
}

namespace ctmr::cli {

struct ReportOptions {
  std::string data_dir;
  std::string out_dir;                             // default ROOT/reports
  std::optional<int32_t> as_of;                    // default: the last run's, else today (UTC)
  std::optional<int> window_days;                  // default: the last run's, else none
  int history_days = report::kDefaultHistoryDays;  // of the back-fill
  int threads = 0;                                 // 0: one per core
  uint64_t memory_limit = base::kDefaultMemoryLimit;
};

// Writes the reports into options.out_dir. The history comes from there, or,
// when it has none, from ROOT/reports (history.json and active-by-issuer.csv
// are copied first, so `--out DIR` rebuilds a copy).
// Directories without a tally are left out; an unreadable tally fails its
// directory, as in `reduce`. The count is the sharded reduce of `reduce`
// (reduce/reduce_driver.h), so `report` too stays within --memory-limit.
absl::StatusOr<report::Report> RunReport(const ReportOptions& options);

// The `report` subcommand's flags, and its main: exit 0, 1 on failure, 2 on
// bad usage.
struct ReportCommand {
  CLI::App* command = nullptr;
  ReportOptions options;
  std::string as_of_text;
  int window_days = -1;  // -1: not given
  std::string memory_limit_text;
};
void AddReportCommand(CLI::App& app, ReportCommand* report);
int ReportMain(ReportCommand& report);

}  // namespace ctmr::cli

#endif  // CT_COORDINATOR_CLI_REPORT_COMMAND_H_
