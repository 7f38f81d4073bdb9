#include "coordinator/report/history.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/file_util.h"
#include "common/base/status_macros.h"
#include "common/map/data_root.h"
#include "common/tally/oracle_file.h"

namespace ctmr::report {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kHistoryFormat = 1;

Json CountsJson(const reduce::ActiveCounts& c) {
  return Json{{"certs_active", c.certs},
              {"fqdns_active", c.fqdns},
              {"regdomains_active", c.regdomains},
              {"wildcards_active", c.wildcards}};
}

reduce::ActiveCounts CountsFromJson(const Json& j) {
  return reduce::ActiveCounts{
      j.at("certs_active").get<uint64_t>(), j.at("fqdns_active").get<uint64_t>(),
      j.at("regdomains_active").get<uint64_t>(), j.at("wildcards_active").get<uint64_t>()};
}

int32_t DateFromJson(const Json& j) {
  const std::optional<int32_t> day = base::ParseDate(j.get<std::string>());
  if (!day.has_value()) throw std::invalid_argument("not a date: " + j.get<std::string>());
  return *day;
}

// Running sums of `delta` for the days [first, end).
std::vector<uint64_t> Series(const std::map<int32_t, int64_t>& delta, int32_t first, int32_t end) {
  std::vector<uint64_t> out;
  out.reserve(static_cast<size_t>(std::max(0, end - first)));
  int64_t running = 0;
  auto it = delta.begin();
  for (int32_t day = first; day < end; ++day) {
    for (; it != delta.end() && it->first <= day; ++it) running += it->second;
    out.push_back(static_cast<uint64_t>(running));
  }
  return out;
}

}  // namespace

std::string HistoryJson(const History& history) {
  Json runs = Json::array();
  for (const auto& [day, run] : history.runs) {
    Json orgs = Json::array();
    for (const auto& [name, counts] : run.organizations) {
      Json o{{"organization", name}};
      o.update(CountsJson(counts));
      orgs.push_back(std::move(o));
    }
    runs.push_back(Json{{"as_of", base::FormatDate(run.as_of)},
                        {"window_days", run.window_days},
                        {"totals", CountsJson(run.totals)},
                        {"organizations", std::move(orgs)}});
  }
  Json root{{"format", kHistoryFormat}};
  if (history.last_run.has_value()) {
    const LastRun& l = *history.last_run;
    root["last_run"] = Json{{"as_of", base::FormatDate(l.as_of)},
                            {"window_days", l.window_days},
                            {"mapped_directories", l.mapped_directories},
                            {"failed_directories", l.failed_directories}};
  }
  root["runs"] = std::move(runs);
  return root.dump(2) + "\n";
}

absl::StatusOr<History> LoadHistory(const std::string& out_dir) {
  const std::string path = absl::StrCat(out_dir, "/", kHistoryFileName);
  absl::StatusOr<std::string> text = base::ReadFileToString(path);
  if (absl::IsNotFound(text.status())) return History();
  if (!text.ok()) return text.status();
  History history;
  try {
    const Json root = Json::parse(*text);
    if (root.at("format").get<int>() != kHistoryFormat) {
      return absl::FailedPreconditionError(absl::StrCat(path, " has format ",
                                                        root.at("format").dump(),
                                                        "; this program writes ", kHistoryFormat));
    }
    for (const Json& r : root.at("runs")) {
      RunRecord run;
      run.as_of = DateFromJson(r.at("as_of"));
      run.window_days = r.at("window_days").get<int>();
      run.totals = CountsFromJson(r.at("totals"));
      for (const Json& o : r.at("organizations")) {
        run.organizations[o.at("organization").get<std::string>()] = CountsFromJson(o);
      }
      history.runs[run.as_of] = std::move(run);
    }
    if (root.contains("last_run")) {
      const Json& l = root["last_run"];
      history.last_run = LastRun{DateFromJson(l.at("as_of")), l.at("window_days").get<int>(),
                                 l.at("mapped_directories").get<uint64_t>(),
                                 l.at("failed_directories").get<std::vector<std::string>>()};
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(path, " does not parse: ", e.what()));
  }
  return history;
}

absl::Status SaveHistory(const std::string& out_dir, const History& history) {
  return base::WriteFileAtomically(absl::StrCat(out_dir, "/", kHistoryFileName),
                                   HistoryJson(history));
}

std::optional<uint64_t> Backfill::Total(int32_t day) const {
  if (!Covers(day)) return std::nullopt;
  return total[static_cast<size_t>(day - first_day)];
}

std::optional<uint64_t> Backfill::Organization(const std::string& organization, int32_t day) const {
  if (!Covers(day)) return std::nullopt;
  auto it = organizations.find(organization);
  if (it == organizations.end()) return 0;
  return it->second[static_cast<size_t>(day - first_day)];
}

std::optional<std::array<uint64_t, x509::kLifetimeClasses>> Backfill::Lifetime(int32_t day) const {
  // Empty when nothing was back-filled (a report without a data root).
  if (day < first_day || day > end_day ||
      lifetime[0].size() <= static_cast<size_t>(day - first_day)) {
    return std::nullopt;
  }
  std::array<uint64_t, x509::kLifetimeClasses> out{};
  for (size_t k = 0; k < out.size(); ++k)
    out[k] = lifetime[k][static_cast<size_t>(day - first_day)];
  return out;
}

void BackfillBuilder::AddDirectory(int32_t directory_day,
                                   const std::vector<tally::OracleIssuer>& issuers) {
  if (!first_directory_.has_value() || directory_day < *first_directory_) {
    first_directory_ = directory_day;
  }
  for (const tally::OracleIssuer& issuer : issuers) {
    const IssuerTally& t = issuer.header;
    tally_organization_.emplace(t.issuer_id(),
                                reduce::OrganizationKey(t.organization(), t.issuer_name()));
    std::map<int32_t, int64_t>& delta = delta_[t.issuer_id()];
    for (const DayCount& count : t.issued()) {
      const int32_t issued_day = count.day();
      const uint64_t n = count.certificates();
      // Active on [issued_day, directory_day], within the window if there is one.
      int32_t from = issued_day;
      if (window_days_ > 0) from = std::max(from, directory_day - window_days_ + 1);
      if (from > directory_day) continue;  // notBefore after notAfter
      delta[from] += static_cast<int64_t>(n);
      delta[directory_day + 1] -= static_cast<int64_t>(n);
      for (int k = 0; k < count.lifetime_size() && k < x509::kLifetimeClasses; ++k) {
        const auto m = static_cast<int64_t>(count.lifetime(k));
        if (m == 0) continue;
        lifetime_delta_[static_cast<size_t>(k)][from] += m;
        lifetime_delta_[static_cast<size_t>(k)][directory_day + 1] -= m;
      }
    }
  }
}

Backfill BackfillBuilder::Finish(const std::map<std::string, std::string>& organization_of) const {
  Backfill b;
  b.first_directory = first_directory_;
  b.end_day = as_of_;
  b.first_day = first_directory_.has_value() ? std::min(*first_directory_, as_of_) : as_of_;
  // Deltas before first_day still add up in Series: the days kept are exact.
  b.first_day = std::max<int64_t>(b.first_day, int64_t{as_of_} - std::max(0, history_days_));
  std::map<int32_t, int64_t> total;
  std::map<std::string, std::map<int32_t, int64_t>> orgs;
  for (const auto& [issuer, delta] : delta_) {
    auto named = organization_of.find(issuer);
    const std::string& org =
        named != organization_of.end() ? named->second : tally_organization_.at(issuer);
    std::map<int32_t, int64_t>& o = orgs[org];
    for (const auto& [day, d] : delta) {
      o[day] += d;
      total[day] += d;
    }
  }
  b.total = Series(total, b.first_day, b.end_day);
  for (const auto& [org, delta] : orgs) {
    b.organizations[org] = Series(delta, b.first_day, b.end_day);
  }
  for (size_t k = 0; k < b.lifetime.size(); ++k) {
    b.lifetime[k] = Series(lifetime_delta_[k], b.first_day, b.end_day + 1);
  }
  return b;
}

absl::StatusOr<Backfill> BackfillFromTallies(
    const std::string& data_dir, const std::set<std::string>& excluded, int32_t as_of,
    int window_days, int history_days, const std::map<std::string, std::string>& organization_of) {
  ASSIGN_OR_RETURN(map::DataRootListing listing, map::ListDataRoot(data_dir));
  BackfillBuilder builder(as_of, window_days, history_days);
  for (const map::DateDirectory& d : listing.dates) {
    if (excluded.count(d.name) > 0) continue;
    // The reader skips the hash sets: a few kilobytes of I/O per directory.
    ASSIGN_OR_RETURN(std::optional<tally::OracleReader> oracle,
                     tally::OracleReader::Open(absl::StrCat(d.path, "/", tally::kOracleFileName)));
    if (oracle.has_value()) builder.AddDirectory(d.day, oracle->issuers());
  }
  return builder.Finish(organization_of);
}

}  // namespace ctmr::report
