#include "coordinator/report/report_html.h"

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/base/civil_date.h"
#include "report/report_assets.h"

namespace ctmr::report {
namespace {

using Json = nlohmann::ordered_json;

Json Nullable(const std::optional<uint64_t>& v) { return v.has_value() ? Json(*v) : Json(); }

Json DailyJson(const std::vector<DailyRow>& rows) {
  Json dates = Json::array(), issued = Json::array(), certs = Json::array(), fqdns = Json::array(),
       regdomains = Json::array(), backfilled = Json::array();
  for (const DailyRow& r : rows) {
    dates.push_back(base::FormatDate(r.day));
    issued.push_back(Nullable(r.certs_issued));
    certs.push_back(Nullable(r.certs_active));
    fqdns.push_back(Nullable(r.fqdns_active));
    regdomains.push_back(Nullable(r.regdomains_active));
    backfilled.push_back(r.backfilled);
  }
  return Json{{"dates", std::move(dates)},
              {"certs_issued", std::move(issued)},
              {"certs_active", std::move(certs)},
              {"fqdns_active", std::move(fqdns)},
              {"regdomains_active", std::move(regdomains)},
              {"backfilled", std::move(backfilled)}};
}

// Certificates issued per day and organization over every day from the first
// to the last issued day (0 where there were none), for the stacked chart.
Json IssuedJson(const reduce::ReduceStats& stats) {
  Json dates = Json::array();
  Json organizations = Json::array();
  if (stats.issued_per_day.empty()) {
    return Json{{"dates", std::move(dates)}, {"organizations", std::move(organizations)}};
  }
  const int32_t first = stats.issued_per_day.begin()->first;
  const int32_t last = stats.issued_per_day.rbegin()->first;
  std::map<std::string, std::vector<uint64_t>> by_org;
  for (const auto& [key, n] : stats.issued_per_day_by_issuer) {
    auto it = stats.issuer_names.find(key.second);
    const std::string org = it == stats.issuer_names.end()
                                ? key.second
                                : reduce::OrganizationKey(it->second.second, it->second.first);
    std::vector<uint64_t>& series = by_org[org];
    series.resize(static_cast<size_t>(last - first) + 1, 0);
    series[static_cast<size_t>(key.first - first)] += n;
  }
  for (int32_t day = first; day <= last; ++day) dates.push_back(base::FormatDate(day));
  for (auto& [org, series] : by_org) {
    organizations.push_back(Json{{"organization", org}, {"certs_issued", std::move(series)}});
  }
  return Json{{"dates", std::move(dates)}, {"organizations", std::move(organizations)}};
}

// Active certificates by lifetime class per day, for the stacked chart.
Json LifetimeJson(const ReportPage& page) {
  Json classes = Json::array(), dates = Json::array(), counts = Json::array();
  for (std::string_view name : x509::kLifetimeNames) classes.push_back(std::string(name));
  std::vector<Json> series(x509::kLifetimeClasses, Json::array());
  for (const auto& [day, row] : page.lifetime) {
    dates.push_back(base::FormatDate(day));
    for (size_t k = 0; k < row.size(); ++k) series[k].push_back(row[k]);
  }
  for (Json& s : series) counts.push_back(std::move(s));
  return Json{
      {"classes", std::move(classes)}, {"dates", std::move(dates)}, {"counts", std::move(counts)}};
}

// The template with each @@NAME@@ replaced, in one pass: the text put in is
// never scanned again.
std::string FillTemplate(std::string_view text, const std::map<std::string, std::string>& slots) {
  std::string out;
  out.reserve(text.size());
  for (;;) {
    const size_t open = text.find("@@");
    const size_t close = open == std::string_view::npos ? open : text.find("@@", open + 2);
    if (close == std::string_view::npos) break;
    auto it = slots.find(std::string(text.substr(open + 2, close - open - 2)));
    if (it == slots.end()) {  // not a slot: keep the first "@@" and look on
      out.append(text.substr(0, open + 2));
      text.remove_prefix(open + 2);
      continue;
    }
    out.append(text.substr(0, open));
    out.append(it->second);
    text.remove_prefix(close + 2);
  }
  out.append(text);
  return out;
}

}  // namespace

std::string ScriptSafeJson(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ReportHtml(const ReportPage& page) {
  const Json summary = Json::parse(page.summary_json);
  Json files = Json::object();
  for (const auto& [org, file] : page.organization_files) files[org] = file;
  const Json data{{"summary", summary},
                  {"daily", DailyJson(page.daily)},
                  {"issued", IssuedJson(*page.stats)},
                  {"lifetime", LifetimeJson(page)},
                  {"organization_files", std::move(files)}};
  namespace assets = report_assets;
  return FillTemplate(assets::kPageHtml, {{"AS_OF", summary.value("as_of", "")},
                                          {"DATA_JSON", ScriptSafeJson(data.dump())},
                                          {"PAGE_CSS", std::string(assets::kPageCss)},
                                          {"PAGE_JS", std::string(assets::kPageJs)},
                                          {"UPLOT_CSS", std::string(assets::kUplotCss)},
                                          {"UPLOT_JS", std::string(assets::kUplotJs)},
                                          {"UPLOT_LICENSE", std::string(assets::kUplotLicense)},
                                          {"UPLOT_VERSION", std::string(assets::kUplotVersion)}});
}

}  // namespace ctmr::report
