#include "common/reduce/tally_reducer.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "common/base/status_macros.h"
#include "google/protobuf/repeated_field.h"

namespace ctmr::reduce {

bool IsActive(int32_t day, int32_t as_of, int window_days) {
  return day >= as_of && (window_days <= 0 || int64_t{day} < int64_t{as_of} + int64_t{window_days});
}

std::string OrganizationKey(const std::string& organization, const std::string& issuer_name) {
  return organization.empty() ? issuer_name : organization;
}

namespace {

template <size_t N>
void AddStored(const google::protobuf::RepeatedField<uint64_t>& from, std::array<uint64_t, N>* to) {
  // Lists are exactly N long in this tally format (tally.proto); a shorter
  // one leaves counters out, never writes past them.
  for (int i = 0; i < from.size() && static_cast<size_t>(i) < N; ++i) (*to)[i] += from[i];
}

template <size_t N>
void AddArray(const std::array<uint64_t, N>& from, std::array<uint64_t, N>* to) {
  for (size_t i = 0; i < N; ++i) (*to)[i] += from[i];
}

}  // namespace

void ClassCounts::Add(const ClassCounts& other) {
  AddArray(other.lifetime, &lifetime);
  AddArray(other.key, &key);
  AddArray(other.validation, &validation);
}

void ClassCounts::Add(const Breakdown& stored) {
  AddStored(stored.lifetime(), &lifetime);
  AddStored(stored.key(), &key);
  AddStored(stored.validation(), &validation);
}

void TallyReducer::NoteIssuerName(const IssuerTally& t) {
  IssuerSets& s = issuers_[t.issuer_id()];
  if (t.issuer_name().empty()) return;
  // Deterministic whatever the order of directories: a final certificate's
  // name beats a precertificate's, then the smaller string wins.
  const auto rank = [](bool precert, const std::string& name) {
    return std::make_tuple(precert, name.empty(), name);
  };
  if (rank(t.name_from_precertificate(), t.issuer_name()) <
      rank(s.name_from_precertificate, s.name)) {
    s.name = t.issuer_name();
    s.organization = t.organization();
    s.name_from_precertificate = t.name_from_precertificate();
  }
}

absl::Status TallyReducer::AddIssuer(const IssuerTally& t, std::optional<uint64_t> active_certs) {
  NoteIssuerName(t);
  for (const DayCount& d : t.issued()) {
    stats_.issued_per_day[d.day()] += d.certificates();
    stats_.issued_per_day_by_issuer[{d.day(), t.issuer_id()}] += d.certificates();
    AddStored(d.lifetime(), &stats_.issued_per_day_by_lifetime[d.day()]);
  }
  if (!active_certs.has_value()) return absl::OkStatus();
  IssuerSets& s = issuers_[t.issuer_id()];
  s.certs += *active_certs;
  s.classes.Add(t.classes());
  ASSIGN_OR_RETURN(tally::HashSet fqdns, tally::DecodeHashSet(t.fqdns()));
  ASSIGN_OR_RETURN(tally::HashSet regdomains, tally::DecodeHashSet(t.regdomains()));
  ASSIGN_OR_RETURN(tally::HashSet wildcards, tally::DecodeHashSet(t.wildcards()));
  // Concatenated here, sorted once in Finish: k linear merges would copy the
  // growing set once per directory.
  s.fqdns.insert(s.fqdns.end(), fqdns.begin(), fqdns.end());
  s.regdomains.insert(s.regdomains.end(), regdomains.begin(), regdomains.end());
  s.wildcards.insert(s.wildcards.end(), wildcards.begin(), wildcards.end());
  return absl::OkStatus();
}

void TallyReducer::AddErrors(const ErrorCounts& errors, bool active) {
  stats_.unparseable_blocks += errors.unparseable_blocks();
  stats_.skipped_files += errors.skipped_files();
  if (active) ++stats_.active_directories;
}

absl::Status TallyReducer::Add(const DirectoryTally& tally, bool active) {
  AddErrors(tally.errors(), active);
  for (const IssuerTally& t : tally.issuers()) {
    // A directory's certificates are its distinct serials.
    RETURN_IF_ERROR(
        AddIssuer(t, active ? std::optional<uint64_t>(t.serials().size() / 16) : std::nullopt));
  }
  return absl::OkStatus();
}

void TallyReducer::AddWithoutNames(const DirectoryTally& header,
                                   const std::vector<uint64_t>& certificates, bool active) {
  AddErrors(header.errors(), active);
  for (int i = 0; i < header.issuers_size(); ++i) {
    const IssuerTally& t = header.issuers(i);
    // Without sets there is nothing to decode, so nothing fails.
    AddIssuer(t,
              active ? std::optional<uint64_t>(certificates[static_cast<size_t>(i)]) : std::nullopt)
        .IgnoreError();
  }
}

ReduceStats TallyReducer::Finish() {
  struct OrgSets {
    uint64_t certs = 0;
    ClassCounts classes;
    tally::HashSet fqdns, regdomains, wildcards;
  };
  std::map<std::string, OrgSets> orgs;
  tally::HashSet all_fqdns, all_regdomains, all_wildcards;
  for (auto& [id, s] : issuers_) {
    stats_.issuer_names[id] = {s.name, s.organization};
    if (s.certs == 0) continue;
    tally::SortUnique(&s.fqdns);
    tally::SortUnique(&s.regdomains);
    tally::SortUnique(&s.wildcards);
    IssuerStats is{
        id, s.name, OrganizationKey(s.organization, s.name),
        ActiveCounts{s.certs, s.fqdns.size(), s.regdomains.size(), s.wildcards.size(), s.classes}};
    OrgSets& o = orgs[is.organization];
    o.certs += s.certs;
    o.classes.Add(s.classes);
    tally::MergeInto(s.fqdns, &o.fqdns);
    tally::MergeInto(s.regdomains, &o.regdomains);
    tally::MergeInto(s.wildcards, &o.wildcards);
    stats_.totals.certs += s.certs;
    stats_.totals.classes.Add(s.classes);
    stats_.issuers.push_back(std::move(is));
  }
  for (auto& [name, o] : orgs) {
    stats_.organizations.push_back(OrganizationStats{
        name,
        ActiveCounts{o.certs, o.fqdns.size(), o.regdomains.size(), o.wildcards.size(), o.classes}});
    tally::MergeInto(o.fqdns, &all_fqdns);
    tally::MergeInto(o.regdomains, &all_regdomains);
    tally::MergeInto(o.wildcards, &all_wildcards);
  }
  stats_.totals.fqdns = all_fqdns.size();
  stats_.totals.regdomains = all_regdomains.size();
  stats_.totals.wildcards = all_wildcards.size();
  std::sort(stats_.issuers.begin(), stats_.issuers.end(),
            [](const IssuerStats& a, const IssuerStats& b) {
              return std::tie(b.active.certs, a.issuer_id) < std::tie(a.active.certs, b.issuer_id);
            });
  std::sort(stats_.organizations.begin(), stats_.organizations.end(),
            [](const OrganizationStats& a, const OrganizationStats& b) {
              return std::tie(b.active.certs, a.organization) <
                     std::tie(a.active.certs, b.organization);
            });
  issuers_.clear();
  return std::move(stats_);
}

}  // namespace ctmr::reduce
