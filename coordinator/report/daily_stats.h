// cert-daily-stats.tsv and cert-daily-stats.<organization slug>.tsv
// (DESIGN.md §5): one row per day, for all issuers and for each organization,
// in the format the Let's Encrypt stats page reads: tab-separated, a header,
// then `date certs_issued certs_active fqdns_active reg_domains_active` with
// `NULL` where a value is not known.
#ifndef CT_COORDINATOR_REPORT_DAILY_STATS_H_
#define CT_COORDINATOR_REPORT_DAILY_STATS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/reduce/tally_reducer.h"
#include "coordinator/report/history.h"

namespace ctmr::report {

struct DailyRow {
  int32_t day = 0;
  std::optional<uint64_t> certs_issued;
  std::optional<uint64_t> certs_active;
  std::optional<uint64_t> fqdns_active;
  std::optional<uint64_t> regdomains_active;
  bool backfilled = false;  // certs_active is back-filled, not a run's count
};

// The rows of one scope: every issuer when `organization` is nullopt, else
// that organization (key). A day has a row when certificates were issued on
// it, when the back-fill covers it, or when a run counted as of it. Per row:
// - certs_issued: from the current tallies; 0 on days from the earliest date
//   directory on that have none, NULL on earlier days that have none;
// - certs_active: the run's count, else the back-filled one, else NULL;
// - fqdns_active, reg_domains_active: the run's count, else NULL.
std::vector<DailyRow> DailyRows(const reduce::ReduceStats& stats, const Backfill& backfill,
                                const History& history,
                                const std::optional<std::string>& organization);

std::string DailyStatsTsv(const std::vector<DailyRow>& rows);

// A file-name slug: ASCII letters lowercased and digits kept, apostrophes
// dropped, every other run of characters one '-': "Let's Encrypt" ->
// "lets-encrypt", "DigiCert Inc" -> "digicert-inc".
std::string OrganizationSlug(const std::string& organization);

// The slug of each organization's file. Organizations whose slugs collide
// ("DigiCert Inc", "DigiCert, Inc.") each get a suffix from a hash of the
// name, so a name keeps its file whatever other names appear.
std::map<std::string, std::string> OrganizationFileSlugs(
    const std::set<std::string>& organizations);

// The organizations with a file: those of every issuer the tallies name and
// those in the history.
std::set<std::string> ReportOrganizations(const reduce::ReduceStats& stats, const History& history);

// "cert-daily-stats.tsv", or "cert-daily-stats.<slug>.tsv".
std::string DailyStatsFileName(const std::optional<std::string>& slug);

}  // namespace ctmr::report

#endif  // CT_COORDINATOR_REPORT_DAILY_STATS_H_
