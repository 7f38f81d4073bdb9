#include "coordinator/report/daily_stats.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"

namespace ctmr::report {
namespace {

std::string Field(const std::optional<uint64_t>& v) {
  return v.has_value() ? absl::StrCat(*v) : std::string("NULL");
}

// FNV-1a, 64 bits: stable across builds and platforms, unlike std::hash.
uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string HashSuffix(const std::string& s) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(Fnv1a(s) >> 32));
  return buf;
}

constexpr size_t kMaxSlug = 60;

}  // namespace

std::vector<DailyRow> DailyRows(const reduce::ReduceStats& stats, const Backfill& backfill,
                                const History& history,
                                const std::optional<std::string>& organization) {
  std::map<int32_t, DailyRow> rows;
  auto row = [&rows](int32_t day) -> DailyRow& {
    DailyRow& r = rows[day];
    r.day = day;
    return r;
  };
  // certs_issued
  if (!organization.has_value()) {
    for (const auto& [day, n] : stats.issued_per_day) row(day).certs_issued = n;
  } else {
    for (const auto& [key, n] : stats.issued_per_day_by_issuer) {
      auto it = stats.issuer_names.find(key.second);
      if (it == stats.issuer_names.end() ||
          reduce::OrganizationKey(it->second.second, it->second.first) != *organization) {
        continue;
      }
      DailyRow& r = row(key.first);
      r.certs_issued = r.certs_issued.value_or(0) + n;
    }
  }
  // certs_active, back-filled
  for (int32_t day = backfill.first_day; day < backfill.end_day; ++day) {
    DailyRow& r = row(day);
    r.certs_active =
        organization.has_value() ? backfill.Organization(*organization, day) : backfill.Total(day);
    r.backfilled = true;
  }
  // What the runs counted wins.
  for (const auto& [day, run] : history.runs) {
    reduce::ActiveCounts c = run.totals;
    if (organization.has_value()) {
      auto it = run.organizations.find(*organization);
      c = it != run.organizations.end() ? it->second : reduce::ActiveCounts{};
    }
    DailyRow& r = row(day);
    r.certs_active = c.certs;
    r.fqdns_active = c.fqdns;
    r.regdomains_active = c.regdomains;
    r.backfilled = false;
  }
  std::vector<DailyRow> out;
  out.reserve(rows.size());
  for (auto& [day, r] : rows) {
    const bool complete = !backfill.first_directory.has_value() || day >= *backfill.first_directory;
    if (!r.certs_issued.has_value() && complete) r.certs_issued = 0;
    out.push_back(r);
  }
  return out;
}

std::string DailyStatsTsv(const std::vector<DailyRow>& rows) {
  std::string out = "date\tcerts_issued\tcerts_active\tfqdns_active\treg_domains_active\n";
  for (const DailyRow& r : rows) {
    absl::StrAppend(&out, base::FormatDate(r.day), "\t", Field(r.certs_issued), "\t",
                    Field(r.certs_active), "\t", Field(r.fqdns_active), "\t",
                    Field(r.regdomains_active), "\n");
  }
  return out;
}

std::string OrganizationSlug(const std::string& organization) {
  std::string slug;
  bool separator = false;
  for (size_t i = 0; i < organization.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(organization[i]);
    if (c == '\'') continue;
    if (organization.compare(i, 3, "\xE2\x80\x99") == 0) {  // U+2019, the typographic apostrophe
      i += 2;
      continue;
    }
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum) {
      separator = !slug.empty();
      continue;
    }
    if (separator) slug += '-';
    separator = false;
    slug += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (slug.size() >= kMaxSlug) break;
  }
  return slug;
}

std::map<std::string, std::string> OrganizationFileSlugs(
    const std::set<std::string>& organizations) {
  std::map<std::string, std::vector<std::string>> by_slug;
  for (const std::string& o : organizations) by_slug[OrganizationSlug(o)].push_back(o);
  std::map<std::string, std::string> out;
  for (const auto& [slug, names] : by_slug) {
    for (const std::string& name : names) {
      if (names.size() == 1 && !slug.empty()) {
        out[name] = slug;
      } else {
        out[name] = slug.empty() ? HashSuffix(name) : absl::StrCat(slug, "-", HashSuffix(name));
      }
    }
  }
  return out;
}

std::set<std::string> ReportOrganizations(const reduce::ReduceStats& stats,
                                          const History& history) {
  std::set<std::string> out;
  for (const auto& [id, names] : stats.issuer_names) {
    out.insert(reduce::OrganizationKey(names.second, names.first));
  }
  for (const auto& [day, run] : history.runs) {
    for (const auto& [org, counts] : run.organizations) out.insert(org);
  }
  return out;
}

std::string DailyStatsFileName(const std::optional<std::string>& slug) {
  return slug.has_value() ? absl::StrCat("cert-daily-stats.", *slug, ".tsv")
                          : std::string("cert-daily-stats.tsv");
}

}  // namespace ctmr::report
