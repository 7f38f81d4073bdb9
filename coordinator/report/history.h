// The reports' time series (DESIGN.md §5): what every run counted, kept in
// OUT/history.json across runs, and certs_active of the days before a run's
// as-of date, back-filled exactly from the per-day issued counts the tallies
// already hold.
#ifndef CT_COORDINATOR_REPORT_HISTORY_H_
#define CT_COORDINATOR_REPORT_HISTORY_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/reduce/tally_reducer.h"
#include "common/tally/oracle_reader.h"
#include "common/x509/certificate_class.h"

namespace ctmr::report {

inline constexpr char kHistoryFileName[] = "history.json";

// What one run counted as of its date, in total and per organization.
struct RunRecord {
  int32_t as_of = 0;
  int window_days = 0;
  reduce::ActiveCounts totals;
  // By organization key; an organization that is absent had nothing active.
  std::map<std::string, reduce::ActiveCounts> organizations;
};

// The run that wrote the reports last: what `ct-coordinator report` needs to
// rebuild its summary.json without mapping anything.
struct LastRun {
  int32_t as_of = 0;
  int window_days = 0;
  uint64_t mapped_directories = 0;
  std::vector<std::string> failed_directories;
};

struct History {
  std::map<int32_t, RunRecord> runs;  // by as-of date: a rerun replaces its day's record
  std::optional<LastRun> last_run;
};

// OUT/history.json, or an empty History when there is none. DataLoss when it
// does not parse.
absl::StatusOr<History> LoadHistory(const std::string& out_dir);
// Replaces OUT/history.json atomically.
absl::Status SaveHistory(const std::string& out_dir, const History& history);
std::string HistoryJson(const History& history);

// certs_active back-filled for the days [first_day, end_day). A certificate of
// the date directory D issued on day I is active on each day X with
// I <= X <= D (and, with a window of N days, D < X + N). The days start at the
// earliest date directory that has a tally: for an earlier day, directories
// that are gone or were never fetched would be missing from the sum, so it
// would not be exact.
struct Backfill {
  std::optional<int32_t> first_directory;  // earliest date directory counted
  int32_t first_day = 0;
  int32_t end_day = 0;          // the as-of date: its own value is the run's
  std::vector<uint64_t> total;  // one value per day
  std::map<std::string, std::vector<uint64_t>> organizations;  // by organization key
  // All issuers by lifetime class, one value per day of [first_day, end_day]:
  // the as-of date too, by the back-fill's rule (certificates issued by then),
  // since no run counts lifetimes per day (DESIGN.md §5.1).
  std::array<std::vector<uint64_t>, x509::kLifetimeClasses> lifetime;

  bool Covers(int32_t day) const { return day >= first_day && day < end_day; }
  // nullopt outside [first_day, end_day); an organization without
  // certificates then is 0.
  std::optional<uint64_t> Total(int32_t day) const;
  std::optional<uint64_t> Organization(const std::string& organization, int32_t day) const;
  // nullopt outside [first_day, end_day].
  std::optional<std::array<uint64_t, x509::kLifetimeClasses>> Lifetime(int32_t day) const;
};

// Accumulates the back-fill one directory at a time, in any order.
class BackfillBuilder {
 public:
  // The back-fill covers at most `history_days` days before `as_of`.
  BackfillBuilder(int32_t as_of, int window_days, int history_days)
      : as_of_(as_of), window_days_(window_days), history_days_(history_days) {}

  // The issuers of one directory's tally; only their headers (names and
  // issued days) are read.
  void AddDirectory(int32_t directory_day, const std::vector<tally::OracleIssuer>& issuers);

  // `organization_of`: issuer id -> organization key, as the reduce named
  // them (a directory's own issuer name is the fallback).
  Backfill Finish(const std::map<std::string, std::string>& organization_of) const;

 private:
  int32_t as_of_;
  int window_days_;
  int history_days_;
  std::optional<int32_t> first_directory_;
  // issuer id -> day -> change of its active certificates on that day
  std::map<std::string, std::map<int32_t, int64_t>> delta_;
  // lifetime class -> day -> change of the active certificates of that class
  std::array<std::map<int32_t, int64_t>, x509::kLifetimeClasses> lifetime_delta_;
  std::map<std::string, std::string> tally_organization_;  // issuer id -> organization key
};

// Reads the issued counts of every date directory under `data_dir` whose
// name is not in `excluded` (directories without a tally are skipped) and
// back-fills up to `as_of`. An unreadable tally is an error: the history
// would not be exact.
absl::StatusOr<Backfill> BackfillFromTallies(
    const std::string& data_dir, const std::set<std::string>& excluded, int32_t as_of,
    int window_days, int history_days, const std::map<std::string, std::string>& organization_of);

}  // namespace ctmr::report

#endif  // CT_COORDINATOR_REPORT_HISTORY_H_
