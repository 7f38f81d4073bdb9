#include "coordinator/tally_reducer.h"

#include <algorithm>
#include <tuple>

#include "common/status_macros.h"

namespace ctmr {

std::string OrganizationKey(const std::string& organization, const std::string& issuer_name) {
  return organization.empty() ? issuer_name : organization;
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
  }
  if (!active_certs.has_value()) return absl::OkStatus();
  IssuerSets& s = issuers_[t.issuer_id()];
  s.certs += *active_certs;
  ASSIGN_OR_RETURN(HashSet fqdns, DecodeHashSet(t.fqdns()));
  ASSIGN_OR_RETURN(HashSet regdomains, DecodeHashSet(t.regdomains()));
  ASSIGN_OR_RETURN(HashSet wildcards, DecodeHashSet(t.wildcards()));
  // Concatenated here, sorted once in Finish: k linear merges would copy the
  // growing set once per directory.
  s.fqdns.insert(s.fqdns.end(), fqdns.begin(), fqdns.end());
  s.regdomains.insert(s.regdomains.end(), regdomains.begin(), regdomains.end());
  s.wildcards.insert(s.wildcards.end(), wildcards.begin(), wildcards.end());
  return absl::OkStatus();
}

absl::Status TallyReducer::Add(const DirectoryTally& tally, bool active) {
  stats_.unparseable_blocks += tally.errors().unparseable_blocks();
  stats_.skipped_files += tally.errors().skipped_files();
  if (active) ++stats_.active_directories;
  for (const IssuerTally& t : tally.issuers()) {
    // A directory's certificates are its distinct serials.
    RETURN_IF_ERROR(
        AddIssuer(t, active ? std::optional<uint64_t>(t.serials().size() / 16) : std::nullopt));
  }
  return absl::OkStatus();
}

absl::Status TallyReducer::AddPartial(const ReduceTally& partial) {
  stats_.unparseable_blocks += partial.errors().unparseable_blocks();
  stats_.skipped_files += partial.errors().skipped_files();
  stats_.active_directories += partial.active_directories();
  for (const IssuerTally& t : partial.issuers()) {
    RETURN_IF_ERROR(AddIssuer(t, t.active_certificates()));
  }
  return absl::OkStatus();
}

ReduceTally TallyReducer::FinishPartial() {
  ReduceTally out;
  out.set_active_directories(stats_.active_directories);
  out.mutable_errors()->set_unparseable_blocks(stats_.unparseable_blocks);
  out.mutable_errors()->set_skipped_files(stats_.skipped_files);
  std::map<std::string, std::vector<std::pair<int32_t, uint64_t>>> issued;
  for (const auto& [key, n] : stats_.issued_per_day_by_issuer) {
    issued[key.second].emplace_back(key.first, n);
  }
  for (auto& [id, s] : issuers_) {
    IssuerTally* t = out.add_issuers();
    t->set_issuer_id(id);
    t->set_issuer_name(s.name);
    t->set_organization(s.organization);
    t->set_name_from_precertificate(s.name_from_precertificate);
    for (const auto& [day, n] : issued[id]) {
      DayCount* d = t->add_issued();
      d->set_day(day);
      d->set_certificates(n);
    }
    t->set_active_certificates(s.certs);
    SortUnique(&s.fqdns);
    SortUnique(&s.regdomains);
    SortUnique(&s.wildcards);
    t->set_fqdns(EncodeHashSet(s.fqdns));
    t->set_regdomains(EncodeHashSet(s.regdomains));
    t->set_wildcards(EncodeHashSet(s.wildcards));
  }
  issuers_.clear();
  stats_ = ReduceStats();
  return out;
}

ReduceStats TallyReducer::Finish() {
  struct OrgSets {
    uint64_t certs = 0;
    HashSet fqdns, regdomains, wildcards;
  };
  std::map<std::string, OrgSets> orgs;
  HashSet all_fqdns, all_regdomains, all_wildcards;
  for (auto& [id, s] : issuers_) {
    stats_.issuer_names[id] = {s.name, s.organization};
    if (s.certs == 0) continue;
    SortUnique(&s.fqdns);
    SortUnique(&s.regdomains);
    SortUnique(&s.wildcards);
    IssuerStats is{id, s.name, OrganizationKey(s.organization, s.name),
                   ActiveCounts{s.certs, s.fqdns.size(), s.regdomains.size(), s.wildcards.size()}};
    OrgSets& o = orgs[is.organization];
    o.certs += s.certs;
    MergeInto(s.fqdns, &o.fqdns);
    MergeInto(s.regdomains, &o.regdomains);
    MergeInto(s.wildcards, &o.wildcards);
    stats_.totals.certs += s.certs;
    stats_.issuers.push_back(std::move(is));
  }
  for (auto& [name, o] : orgs) {
    stats_.organizations.push_back(OrganizationStats{
        name, ActiveCounts{o.certs, o.fqdns.size(), o.regdomains.size(), o.wildcards.size()}});
    MergeInto(o.fqdns, &all_fqdns);
    MergeInto(o.regdomains, &all_regdomains);
    MergeInto(o.wildcards, &all_wildcards);
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

}  // namespace ctmr
