#include "common/issuer_tally_builder.h"

#include <algorithm>
#include <utility>

#include "common/civil_date.h"
#include "common/distinguished_name.h"
#include "common/fqdn.h"
#include "common/status_macros.h"

namespace ctmr {

IssuerTallyBuilder::IssuerTallyBuilder(std::string issuer_id) : issuer_id_(std::move(issuer_id)) {}

absl::StatusOr<IssuerTallyBuilder> IssuerTallyBuilder::FromTally(const IssuerTally& tally) {
  IssuerTallyBuilder b(tally.issuer_id());
  b.issuer_name_ = tally.issuer_name();
  b.organization_ = tally.organization();
  b.name_from_precertificate_ = tally.name_from_precertificate();
  for (const DayCount& d : tally.issued()) b.issued_[d.day()] += d.certificates();
  ASSIGN_OR_RETURN(HashSet serials, DecodeHashSet(tally.serials()));
  b.serials_.reserve(serials.size());
  b.serials_.insert(serials.begin(), serials.end());
  ASSIGN_OR_RETURN(b.old_fqdns_, DecodeHashSet(tally.fqdns()));
  ASSIGN_OR_RETURN(b.old_regdomains_, DecodeHashSet(tally.regdomains()));
  ASSIGN_OR_RETURN(b.old_wildcards_, DecodeHashSet(tally.wildcards()));
  return b;
}

bool IssuerTallyBuilder::Add(const CertificateView& cert, RegisteredDomainCache* domains) {
  if (!serials_.insert(HashBytes(cert.serial)).second) return false;
  ++issued_[DayOfUnixSeconds(cert.not_before)];
  // Prefer the issuer name of a final certificate: a precertificate may be
  // signed by a Precertificate Signing Certificate with a DN of its own.
  if (issuer_name_.empty() && issuer_der_.empty()) {
    issuer_der_.assign(cert.issuer);
    name_from_precertificate_ = cert.is_precertificate;
  } else if (name_from_precertificate_ && !cert.is_precertificate) {
    issuer_der_.assign(cert.issuer);
    name_from_precertificate_ = false;
  }
  for (std::string_view name : cert.dns_names) AddName(name, domains);
  for (std::string_view name : cert.common_names) {
    // The CN nearly always repeats a SAN entry; the set would drop it anyway.
    if (std::find(cert.dns_names.begin(), cert.dns_names.end(), name) == cert.dns_names.end()) {
      AddName(name, domains);
    }
  }
  return true;
}

void IssuerTallyBuilder::AddName(std::string_view raw, RegisteredDomainCache* domains) {
  if (!NormalizeFqdn(raw, &name_scratch_)) return;
  const Hash128 h = HashBytes(name_scratch_);
  fqdns_.push_back(h);
  if (IsWildcard(name_scratch_)) wildcards_.push_back(h);
  if (std::optional<Hash128> domain = domains->Lookup(h, name_scratch_)) {
    regdomains_.push_back(*domain);
  }
}

IssuerTally IssuerTallyBuilder::Finish() {
  IssuerTally out;
  out.set_issuer_id(issuer_id_);
  if (!issuer_der_.empty()) {
    absl::StatusOr<std::vector<NameAttribute>> dn = ParseDistinguishedName(issuer_der_);
    if (dn.ok()) {
      issuer_name_ = FormatDistinguishedName(*dn);
      organization_ = OrganizationOf(*dn);
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
  HashSet serials(serials_.begin(), serials_.end());
  SortUnique(&serials);
  out.set_serials(EncodeHashSet(serials));
  auto finish_set = [](HashSet* fresh, HashSet* old, std::string* field) {
    SortUnique(fresh);
    MergeInto(*old, fresh);
    *field = EncodeHashSet(*fresh);
  };
  finish_set(&fqdns_, &old_fqdns_, out.mutable_fqdns());
  finish_set(&regdomains_, &old_regdomains_, out.mutable_regdomains());
  finish_set(&wildcards_, &old_wildcards_, out.mutable_wildcards());
  *this = IssuerTallyBuilder(issuer_id_);
  return out;
}

}  // namespace ctmr
