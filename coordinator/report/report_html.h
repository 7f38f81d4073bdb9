// report.html (DESIGN.md §5): one self-contained page that opens from disk
// with no network. uPlot, its style and the page's own script and style are
// inlined (report/report_assets.h); the data is embedded as one JSON object
// whose "summary" is summary.json itself, so the page shows exactly its
// numbers.
#ifndef CT_COORDINATOR_REPORT_REPORT_HTML_H_
#define CT_COORDINATOR_REPORT_REPORT_HTML_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/reduce/tally_reducer.h"
#include "common/x509/certificate_class.h"
#include "coordinator/report/daily_stats.h"

namespace ctmr::report {

struct ReportPage {
  std::string summary_json;                               // summary.json's text
  const reduce::ReduceStats* stats = nullptr;             // certificates issued per day and issuer
  std::vector<DailyRow> daily;                            // cert-daily-stats.tsv's rows
  std::map<std::string, std::string> organization_files;  // organization -> its TSV
  // lifetime-daily-stats.tsv's rows: day, active certificates by lifetime class
  std::vector<std::pair<int32_t, std::array<uint64_t, x509::kLifetimeClasses>>> lifetime;
};

std::string ReportHtml(const ReportPage& page);

// `json` made safe inside a <script> element: every '<' is written as the
// JSON escape \u003c, so neither "</script>" nor "<!--" can appear. JSON text
// has '<' only inside strings, where the escape means the same character.
std::string ScriptSafeJson(const std::string& json);

}  // namespace ctmr::report

#endif  // CT_COORDINATOR_REPORT_REPORT_HTML_H_
