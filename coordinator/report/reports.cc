#include "coordinator/report/reports.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/civil_date.h"
#include "common/base/file_util.h"
#include "common/base/lock_file.h"
#include "common/base/status_macros.h"
#include "common/x509/certificate_class.h"
#include "coordinator/report/daily_stats.h"
#include "coordinator/report/history.h"
#include "coordinator/report/report_html.h"

namespace ctmr::report {
namespace {

using Json = nlohmann::ordered_json;

template <size_t N>
Json ClassesJson(const std::array<std::string_view, N>& names,
                 const std::array<uint64_t, N>& counts) {
  Json out = Json::object();
  for (size_t i = 0; i < N; ++i) out[std::string(names[i])] = counts[i];
  return out;
}

// {"lifetime": {class: n}, "key": {...}, "validation": {...}}: every class,
// zeros included, in certificate_class.h's order (DESIGN.md §5).
Json BreakdownsJson(const reduce::ClassCounts& c) {
  return Json{{"lifetime", ClassesJson(x509::kLifetimeNames, c.lifetime)},
              {"key", ClassesJson(x509::kKeyNames, c.key)},
              {"validation", ClassesJson(x509::kValidationNames, c.validation)}};
}

Json CountsJson(const reduce::ActiveCounts& c) {
  return Json{{"certs_active", c.certs},
              {"fqdns_active", c.fqdns},
              {"regdomains_active", c.regdomains},
              {"wildcards_active", c.wildcards},
              {"breakdowns", BreakdownsJson(c.classes)}};
}

std::string LifetimeHeader(std::string_view first, char separator) {
  std::string out(first);
  for (std::string_view name : x509::kLifetimeNames) {
    out += separator;
    out += name;
  }
  return out + "\n";
}

// lifetime-daily-stats.tsv: all issuers' active certificates by lifetime
// class for every day the back-fill covers, through the as-of date. Without
// a back-fill (no data root) the as-of row is the run's own count.
absl::Status WriteLifetimeDailyStats(const std::string& path, const Report& r,
                                     const Backfill& backfill, ReportPage* page) {
  std::string out = LifetimeHeader("date", '\t');
  page->lifetime.clear();
  for (int32_t day = backfill.first_day; day <= r.as_of; ++day) {
    std::optional<std::array<uint64_t, x509::kLifetimeClasses>> counts = backfill.Lifetime(day);
    if (!counts.has_value() && day == r.as_of) counts = r.stats.totals.classes.lifetime;
    if (!counts.has_value()) continue;
    absl::StrAppend(&out, base::FormatDate(day));
    for (uint64_t n : *counts) absl::StrAppend(&out, "\t", n);
    absl::StrAppend(&out, "\n");
    page->lifetime.emplace_back(day, *counts);
  }
  return base::WriteFileAtomically(path, out);
}

// issued-per-day-by-lifetime.csv: certificates issued per day, all issuers,
// by lifetime class; the days of issued-per-day.csv.
absl::Status WriteIssuedPerDayByLifetime(const std::string& path, const Report& r) {
  std::string out = LifetimeHeader("date", ',');
  for (const auto& [day, counts] : r.stats.issued_per_day_by_lifetime) {
    absl::StrAppend(&out, base::FormatDate(day));
    for (uint64_t n : counts) absl::StrAppend(&out, ",", n);
    absl::StrAppend(&out, "\n");
  }
  return base::WriteFileAtomically(path, out);
}

// Lines of an existing report, or none when it does not exist yet.
absl::StatusOr<std::vector<std::string>> ExistingLines(const std::string& path) {
  absl::StatusOr<std::string> text = base::ReadFileToString(path);
  if (absl::IsNotFound(text.status())) return std::vector<std::string>();
  if (!text.ok()) return text.status();
  std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  return lines;
}

// history.json with this run's record; the record and the back-fill make
// the daily statistics. Fills in the page's rows and file names.
absl::Status WriteHistoryAndDailyStats(const std::string& out_dir, const Report& r,
                                       ReportPage* page) {
  ASSIGN_OR_RETURN(History history, LoadHistory(out_dir));
  RunRecord& run = history.runs[r.as_of];
  run = RunRecord{r.as_of, r.window_days, r.stats.totals, {}};
  for (const reduce::OrganizationStats& o : r.stats.organizations)
    run.organizations[o.organization] = o.active;
  history.last_run = LastRun{r.as_of, r.window_days, r.mapped_directories, r.failed_directories};
  RETURN_IF_ERROR(SaveHistory(out_dir, history));

  Backfill backfill;
  backfill.first_day = backfill.end_day = r.as_of;
  if (!r.data_dir.empty()) {
    std::map<std::string, std::string> organization_of;
    for (const auto& [id, names] : r.stats.issuer_names) {
      organization_of[id] = reduce::OrganizationKey(names.second, names.first);
    }
    const std::set<std::string> excluded(r.failed_directories.begin(), r.failed_directories.end());
    ASSIGN_OR_RETURN(backfill, BackfillFromTallies(r.data_dir, excluded, r.as_of, r.window_days,
                                                   r.history_days, organization_of));
  }
  RETURN_IF_ERROR(WriteLifetimeDailyStats(absl::StrCat(out_dir, "/", kLifetimeDailyStatsFileName),
                                          r, backfill, page));
  page->daily = DailyRows(r.stats, backfill, history, std::nullopt);
  RETURN_IF_ERROR(base::WriteFileAtomically(
      absl::StrCat(out_dir, "/", DailyStatsFileName(std::nullopt)), DailyStatsTsv(page->daily)));
  for (const auto& [org, slug] : OrganizationFileSlugs(ReportOrganizations(r.stats, history))) {
    page->organization_files[org] = DailyStatsFileName(slug);
    RETURN_IF_ERROR(
        base::WriteFileAtomically(absl::StrCat(out_dir, "/", DailyStatsFileName(slug)),
                                  DailyStatsTsv(DailyRows(r.stats, backfill, history, org))));
  }
  return absl::OkStatus();
}

absl::Status WriteIssuedPerDay(const std::string& path, const Report& r) {
  std::string out = "date,issuer_id,issuer_name,organization,certs_issued\n";
  for (const auto& [key, n] : r.stats.issued_per_day_by_issuer) {
    const auto& names = r.stats.issuer_names.at(key.second);
    absl::StrAppend(&out, base::FormatDate(key.first), ",", CsvField(key.second), ",",
                    CsvField(names.first), ",",
                    CsvField(reduce::OrganizationKey(names.second, names.first)), ",", n, "\n");
  }
  return base::WriteFileAtomically(path, out);
}

absl::Status WriteActiveByIssuer(const std::string& path, const Report& r) {
  const std::string header =
      "as_of,issuer_id,issuer_name,organization,certs_active,fqdns_active,regdomains_active,"
      "wildcards_active";
  const std::string as_of = base::FormatDate(r.as_of);
  std::map<std::string, std::vector<std::string>> blocks;  // as_of -> rows, in order
  ASSIGN_OR_RETURN(std::vector<std::string> lines, ExistingLines(path));
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string date = lines[i].substr(0, lines[i].find(','));
    if (date != as_of && base::ParseDate(date).has_value()) blocks[date].push_back(lines[i]);
  }
  std::vector<std::string>& mine = blocks[as_of];
  for (const reduce::IssuerStats& s : r.stats.issuers) {
    mine.push_back(absl::StrCat(as_of, ",", CsvField(s.issuer_id), ",", CsvField(s.issuer_name),
                                ",", CsvField(s.organization), ",", s.active.certs, ",",
                                s.active.fqdns, ",", s.active.regdomains, ",", s.active.wildcards));
  }
  std::string out = header + "\n";
  for (const auto& [date, rows] : blocks) {
    for (const std::string& row : rows) absl::StrAppend(&out, row, "\n");
  }
  return base::WriteFileAtomically(path, out);
}

}  // namespace

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string SummaryJson(const Report& r) {
  Json issuers = Json::array();
  for (const reduce::IssuerStats& s : r.stats.issuers) {
    Json j{{"issuer_id", s.issuer_id},
           {"issuer_name", s.issuer_name},
           {"organization", s.organization}};
    j.update(CountsJson(s.active));
    issuers.push_back(std::move(j));
  }
  Json organizations = Json::array();
  for (const reduce::OrganizationStats& o : r.stats.organizations) {
    Json j{{"organization", o.organization}};
    j.update(CountsJson(o.active));
    organizations.push_back(std::move(j));
  }
  Json issued = Json::array();
  for (const auto& [day, n] : r.stats.issued_per_day) {
    issued.push_back(Json{{"date", base::FormatDate(day)}, {"certs_issued", n}});
  }
  Json summary{
      {"as_of", base::FormatDate(r.as_of)},
      {"window_days", r.window_days},
      {"directories", Json{{"active", r.stats.active_directories},
                           {"mapped", r.mapped_directories},
                           {"failed", r.failed_directories}}},
      {"totals", CountsJson(r.stats.totals)},
      {"issuers", std::move(issuers)},
      {"organizations", std::move(organizations)},
      {"issued_per_day", std::move(issued)},
      {"errors", Json{{"unparseable_blocks", r.stats.unparseable_blocks},
                      {"skipped_files", r.stats.skipped_files},
                      {"invalid_date_directories", r.invalid_date_directories}}},
  };
  return summary.dump(2) + "\n";
}

absl::Status WriteReports(const std::string& out_dir, const Report& report) {
  if (::mkdir(out_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", out_dir, ": ", base::ErrnoText(errno)));
  }
  // One writer at a time: history.json is read, changed and written, and two
  // runs writing one folder at once lost each other's records.
  ASSIGN_OR_RETURN(const std::unique_ptr<base::LockFile> lock,
                   base::LockFile::Wait(absl::StrCat(out_dir, "/", kReportsLockFileName),
                                        "another report writer", 10 * 60 * 1000));
  // Temp files of a writer killed mid-write ("<name>.tmp.<pid>.<n>"): only a
  // lock holder writes here, so every one left now is abandoned.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(out_dir, ec)) {
    if (absl::StrContains(e.path().filename().string(), ".tmp.")) {
      std::filesystem::remove(e.path(), ec);
    }
  }
  ReportPage page;
  page.summary_json = SummaryJson(report);
  page.stats = &report.stats;
  RETURN_IF_ERROR(base::WriteFileAtomically(out_dir + "/summary.json", page.summary_json));
  RETURN_IF_ERROR(WriteHistoryAndDailyStats(out_dir, report, &page));
  RETURN_IF_ERROR(WriteIssuedPerDay(out_dir + "/issued-per-day.csv", report));
  RETURN_IF_ERROR(WriteIssuedPerDayByLifetime(
      absl::StrCat(out_dir, "/", kIssuedPerDayByLifetimeFileName), report));
  RETURN_IF_ERROR(WriteActiveByIssuer(absl::StrCat(out_dir, "/", kActiveByIssuerFileName), report));
  return base::WriteFileAtomically(out_dir + "/report.html", ReportHtml(page));
}

}  // namespace ctmr::report
