#include "tools/ct_gen/known_answers.h"

#include <fstream>

#include "nlohmann/json.hpp"
#include "tools/ct_gen/dates.h"

namespace ctgen {
namespace {

using Json = nlohmann::ordered_json;

// {"<name>": count, ...} over every class of one kind, zeros included.
template <typename Names, typename Counts>
Json Classes(const Names& names, const Counts& counts) {
  Json j = Json::object();
  for (size_t c = 0; c < names.size(); ++c) j[names[c]] = counts[c];
  return j;
}

}  // namespace

void KnownAnswers::Group::Add(const CertClasses& classes, const std::vector<CountedName>& names) {
  ++certs;
  ++lifetime[classes.lifetime];
  ++key[classes.key];
  ++validation[classes.validation];
  for (const CountedName& n : names) {
    if (fqdn_bits.Set(n.fqdn_id)) {
      ++fqdns;
      if (n.wildcard) ++wildcards;
    }
    if (n.has_regdomain && regdomain_bits.Set(n.regdomain_id)) ++regdomains;
  }
}

KnownAnswers::KnownAnswers(const std::vector<Issuer>& issuers, int64_t as_of_day,
                           int64_t window_days, uint64_t pool_fqdn_ids, uint64_t pool_regdomain_ids)
    : issuers_(issuers),
      as_of_(as_of_day),
      window_(window_days),
      next_fqdn_id_(pool_fqdn_ids),
      next_regdomain_id_(pool_regdomain_ids),
      by_issuer_(issuers.size()),
      issuer_seen_(issuers.size(), false) {
  for (const Issuer& is : issuers) {
    size_t org = 0;
    while (org < org_names_.size() && org_names_[org] != is.organization) ++org;
    if (org == org_names_.size()) org_names_.push_back(is.organization);
    org_of_issuer_.push_back(org);
  }
  by_org_.resize(org_names_.size());
  active_delta_by_org_.resize(org_names_.size());
}

CountedName KnownAnswers::InternName(const std::string& fqdn, const std::string& regdomain) {
  CountedName n{};
  auto [it, fresh] = extra_fqdns_.emplace(fqdn, next_fqdn_id_);
  if (fresh) ++next_fqdn_id_;
  n.fqdn_id = it->second;
  n.wildcard = fqdn.size() > 2 && fqdn[0] == '*' && fqdn[1] == '.';
  n.has_regdomain = !regdomain.empty();
  if (n.has_regdomain) {
    auto [rit, rfresh] = extra_regdomains_.emplace(regdomain, next_regdomain_id_);
    if (rfresh) ++next_regdomain_id_;
    n.regdomain_id = rit->second;
  }
  return n;
}

void KnownAnswers::AddCertificate(int64_t dir_day, size_t issuer, int64_t issued_day,
                                  const CertClasses& classes,
                                  const std::vector<CountedName>& names) {
  ++certificates_;
  issuer_seen_[issuer] = true;
  ++issued_per_day_[issued_day];
  ++issued_per_day_by_lifetime_[issued_day][classes.lifetime];
  ++issued_per_day_by_issuer_[{issued_day, issuers_[issuer].issuer_id}];
  // Active on day X when issued_day <= X <= dir_day (and dir_day < X + window).
  int64_t from = issued_day;
  if (window_ > 0 && dir_day - window_ + 1 > from) from = dir_day - window_ + 1;
  if (from <= dir_day) {
    for (auto* delta : {&active_delta_, &active_delta_by_org_[org_of_issuer_[issuer]]}) {
      ++(*delta)[from];
      --(*delta)[dir_day + 1];
    }
    ++active_delta_by_lifetime_[from][classes.lifetime];
    --active_delta_by_lifetime_[dir_day + 1][classes.lifetime];
  }
  if (!IsActive(dir_day)) return;
  by_issuer_[issuer].Add(classes, names);
  by_org_[org_of_issuer_[issuer]].Add(classes, names);
  total_.Add(classes, names);
}

absl::Status KnownAnswers::WriteJson(const std::string& path) const {
  auto counts = [](Json* j, const Group& g) {
    (*j)["certs_active"] = g.certs;
    (*j)["fqdns_active"] = g.fqdns;
    (*j)["regdomains_active"] = g.regdomains;
    (*j)["wildcards_active"] = g.wildcards;
    Json breakdowns;
    breakdowns["lifetime"] = Classes(kLifetimeClassNames, g.lifetime);
    breakdowns["key"] = Classes(kKeyClassNames, g.key);
    breakdowns["validation"] = Classes(kValidationClassNames, g.validation);
    (*j)["breakdowns"] = breakdowns;
  };
  Json root;
  root["as_of"] = FormatDate(as_of_);
  root["window_days"] = window_;
  uint64_t active_dirs = 0;
  for (int64_t d : directories_) active_dirs += IsActive(d) ? 1 : 0;
  root["directories"] = {{"active", active_dirs}, {"date_directories", directories_.size()}};
  Json totals = Json::object();
  counts(&totals, total_);
  root["totals"] = totals;
  Json issuers = Json::array();
  for (size_t i = 0; i < issuers_.size(); ++i) {
    if (!issuer_seen_[i]) continue;
    Json j;
    j["issuer_id"] = issuers_[i].issuer_id;
    j["issuer_name"] = issuers_[i].rfc4514;
    j["organization"] = issuers_[i].organization;
    counts(&j, by_issuer_[i]);
    issuers.push_back(j);
  }
  root["issuers"] = issuers;
  Json orgs = Json::array();
  for (size_t o = 0; o < org_names_.size(); ++o) {
    bool seen = false;
    for (size_t i = 0; i < issuers_.size(); ++i) seen |= org_of_issuer_[i] == o && issuer_seen_[i];
    if (!seen) continue;
    Json j;
    j["organization"] = org_names_[o];
    counts(&j, by_org_[o]);
    orgs.push_back(j);
  }
  root["organizations"] = orgs;
  Json per_day = Json::array();
  for (const auto& [day, n] : issued_per_day_) {
    per_day.push_back({{"date", FormatDate(day)}, {"certs_issued", n}});
  }
  root["issued_per_day"] = per_day;
  Json per_day_issuer = Json::array();
  for (const auto& [key, n] : issued_per_day_by_issuer_) {
    per_day_issuer.push_back(
        {{"date", FormatDate(key.first)}, {"issuer_id", key.second}, {"certs_issued", n}});
  }
  root["issued_per_day_by_issuer"] = per_day_issuer;
  Json per_day_lifetime = Json::array();
  for (const auto& [day, n] : issued_per_day_by_lifetime_) {
    per_day_lifetime.push_back(
        {{"date", FormatDate(day)}, {"lifetime", Classes(kLifetimeClassNames, n)}});
  }
  root["issued_per_day_by_lifetime"] = per_day_lifetime;
  // certs_active back-filled for each day from the earliest date directory
  // up to the day before as-of.
  Json history = Json::array();
  if (!directories_.empty()) {
    int64_t total = 0;
    std::vector<int64_t> by_org(org_names_.size(), 0);
    auto it = active_delta_.begin();
    std::vector<std::map<int64_t, int64_t>::const_iterator> org_it;
    for (const auto& d : active_delta_by_org_) org_it.push_back(d.begin());
    for (int64_t day = *directories_.begin(); day < as_of_; ++day) {
      for (; it != active_delta_.end() && it->first <= day; ++it) total += it->second;
      Json orgs = Json::object();
      for (size_t o = 0; o < org_names_.size(); ++o) {
        for (; org_it[o] != active_delta_by_org_[o].end() && org_it[o]->first <= day; ++org_it[o]) {
          by_org[o] += org_it[o]->second;
        }
        orgs[org_names_[o]] = by_org[o];
      }
      history.push_back(
          {{"date", FormatDate(day)}, {"certs_active", total}, {"organizations", orgs}});
    }
  }
  root["certs_active_history"] = history;
  // The same back-fill by lifetime class, through as-of itself: on as-of it
  // counts the active directories' certificates issued by then.
  Json lifetime_history = Json::array();
  if (!directories_.empty()) {
    LifetimeCounts active{};
    auto it = active_delta_by_lifetime_.begin();
    for (int64_t day = *directories_.begin(); day <= as_of_; ++day) {
      for (; it != active_delta_by_lifetime_.end() && it->first <= day; ++it) {
        for (int c = 0; c < kLifetimeClasses; ++c) active[c] += it->second[c];
      }
      lifetime_history.push_back(
          {{"date", FormatDate(day)}, {"lifetime", Classes(kLifetimeClassNames, active)}});
    }
  }
  root["lifetime_active_history"] = lifetime_history;
  root["errors"] = {{"unparseable_blocks", unparseable_}};
  root["certificates_written"] = certificates_;
  root["certificate_blocks_written"] = certificate_blocks_;
  root["ignored_certificates_written"] = ignored_certificates_;

  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::UnavailableError("cannot write " + path);
  out << root.dump(2) << "\n";
  out.close();
  if (!out) return absl::DataLossError("error writing " + path);
  return absl::OkStatus();
}

}  // namespace ctgen
