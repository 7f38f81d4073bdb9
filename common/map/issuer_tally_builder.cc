#include "common/map/issuer_tally_builder.h"

#include <algorithm>
#include <utility>

#include "common/base/civil_date.h"
#include "common/base/status_macros.h"
#include "common/names/fqdn.h"
#include "common/x509/distinguished_name.h"

namespace ctmr::map {

IssuerTallyBuilder::IssuerTallyBuilder(std::string issuer_id) : issuer_id_(std::move(issuer_id)) {}

absl::StatusOr<IssuerTallyBuilder> IssuerTallyBuilder::FromTally(const IssuerTally& tally) {
  IssuerTallyBuilder b(tally.issuer_id());
  b.issuer_name_ = tally.issuer_name();
  b.organization_ = tally.organization();
  b.name_from_precertificate_ = tally.name_from_precertificate();
  for (const DayCount& d : tally.issued()) b.issued_[d.day()] += d.certificates();
  ASSIGN_OR_RETURN(tally::HashSet serials, tally::DecodeHashSet(tally.serials()));
  b.serials_.reserve(serials.size());
  b.serials_.insert(serials.begin(), serials.end());
  ASSIGN_OR_RETURN(b.old_fqdns_, tally::DecodeHashSet(tally.fqdns()));
  ASSIGN_OR_RETURN(b.old_regdomains_, tally::DecodeHashSet(tally.regdomains()));
  ASSIGN_OR_RETURN(b.old_wildcards_, tally::DecodeHashSet(tally.wildcards()));
  return b;
}

bool IssuerTallyBuilder::Add(const x509::CertificateView& cert) {
  if (!serials_.insert(base::HashBytes(cert.serial)).second) return false;
  ++issued_[base::DayOfUnixSeconds(cert.not_before)];
  // Prefer the issuer name of a final certificate: a precertificate may be
  // signed by a Precertificate Signing Certificate with a DN of its own.
  if (issuer_name_.empty() && issuer_der_.empty()) {
    issuer_der_.assign(cert.issuer);
    name_from_precertificate_ = cert.is_precertificate;
  } else if (name_from_precertificate_ && !cert.is_precertificate) {
    issuer_der_.assign(cert.issuer);
    name_from_precertificate_ = false;
  }
  for (std::string_view name : cert.dns_names) AddName(name);
  for (std::string_view name : cert.common_names) {
    // The CN nearly always repeats a SAN entry; the set would drop it anyway.
    if (std::find(cert.dns_names.begin(), cert.dns_names.end(), name) == cert.dns_names.end()) {
      AddName(name);
    }
  }
  return true;
}

void IssuerTallyBuilder::AddName(std::string_view raw) {
  if (!names::NormalizeFqdn(raw, &name_scratch_)) return;
  // Kept as text until Finish: looking the registered domain up here would
  // mean a hash table of every name, whose cache misses cost more than the
  // sort that Finish does anyway.
  pending_.push_back(
      PendingName{base::HashBytes(name_scratch_), names_.size() << 16 | name_scratch_.size()});
  names_.append(name_scratch_);
  names_.push_back('\0');
}

IssuerTally IssuerTallyBuilder::Finish(names::RegisteredDomainCache* domains) {
  IssuerTally out;
  out.set_issuer_id(issuer_id_);
  if (!issuer_der_.empty()) {
    absl::StatusOr<std::vector<x509::NameAttribute>> dn = x509::ParseDistinguishedName(issuer_der_);
    if (dn.ok()) {
      issuer_name_ = x509::FormatDistinguishedName(*dn);
      organization_ = x509::OrganizationOf(*dn);
    }
  }
  out.set_issuer_name(issuer_name_);
  out.set_organization(organization_);
  out.set_name_from_precertificate(name_from_precertificate_);

  std::vector<std::pair<int32_t, uint64_t>> days(issued_.begin(), issued_.end());
  std::sort(days.begin(), days.end());
  for (const auto& [day, count] : days) {
    DayCount* d = out.add_issued();
    d->set_day(day);
    d->set_certificates(count);
  }
  tally::HashSet serials(serials_.begin(), serials_.end());
  tally::SortUnique(&serials);
  out.set_serials(tally::EncodeHashSet(serials));
  // Distinct new names, in hash order: that is already the FQDN set's order.
  std::sort(pending_.begin(), pending_.end());
  tally::HashSet fqdns, regdomains, wildcards;
  fqdns.reserve(pending_.size());
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (i > 0 && pending_[i].hash == pending_[i - 1].hash) continue;
    const uint64_t at = pending_[i].offset_and_length;
    const std::string_view name(names_.data() + (at >> 16), at & 0xffff);
    fqdns.push_back(pending_[i].hash);
    if (names::IsWildcard(name)) wildcards.push_back(pending_[i].hash);
    if (std::optional<base::Hash128> domain = domains->RegisteredDomainHash(name)) {
      regdomains.push_back(*domain);
    }
  }
  tally::SortUnique(&regdomains);
  tally::MergeInto(old_fqdns_, &fqdns);
  tally::MergeInto(old_regdomains_, &regdomains);
  tally::MergeInto(old_wildcards_, &wildcards);
  out.set_fqdns(tally::EncodeHashSet(fqdns));
  out.set_regdomains(tally::EncodeHashSet(regdomains));
  out.set_wildcards(tally::EncodeHashSet(wildcards));
  *this = IssuerTallyBuilder(issuer_id_);
  return out;
}

}  // namespace ctmr::map
