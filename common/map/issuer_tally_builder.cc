#include "common/map/issuer_tally_builder.h"

#include <google/protobuf/repeated_field.h>

#include <algorithm>
#include <array>
#include <utility>

#include "common/base/civil_date.h"
#include "common/base/status_macros.h"
#include "common/names/fqdn.h"
#include "common/x509/distinguished_name.h"

namespace ctmr::map {

namespace {

// Adds a stored list of counters to ours. The lengths match in every tally
// of this format (OracleReader refuses other formats); a shorter list would
// only leave counters out, never write past them.
template <size_t N>
void AddCounts(const google::protobuf::RepeatedField<uint64_t>& from, std::array<uint64_t, N>* to) {
  for (int i = 0; i < from.size() && static_cast<size_t>(i) < N; ++i) (*to)[i] += from[i];
}

template <size_t N>
void SetCounts(const std::array<uint64_t, N>& from, google::protobuf::RepeatedField<uint64_t>* to) {
  to->Assign(from.begin(), from.end());
}

}  // namespace

IssuerTallyBuilder::IssuerTallyBuilder(std::string issuer_id) : issuer_id_(std::move(issuer_id)) {}

IssuerTallyBuilder IssuerTallyBuilder::FromHeader(const IssuerTally& header) {
  IssuerTallyBuilder b(header.issuer_id());
  b.issuer_name_ = header.issuer_name();
  b.organization_ = header.organization();
  b.name_from_precertificate_ = header.name_from_precertificate();
  for (const DayCount& d : header.issued()) {
    DayTally& day = b.issued_[d.day()];
    day.certificates += d.certificates();
    AddCounts(d.lifetime(), &day.lifetime);
  }
  AddCounts(header.classes().lifetime(), &b.lifetime_);
  AddCounts(header.classes().key(), &b.key_);
  AddCounts(header.classes().validation(), &b.validation_);
  return b;
}

absl::StatusOr<bool> IssuerTallyBuilder::Add(const x509::CertificateView& cert) {
  const base::Hash128 serial = base::HashBytes(cert.serial);
  if (serials_.contains(serial)) return false;
  for (const IssuerRun& run : runs_) {
    if (!run.serial_filter.MayContain(serial)) continue;
    ASSIGN_OR_RETURN(
        const bool seen,
        tally::RunContains(run.fd, *run.path, run.sets[tally::kSerials], serial, &page_));
    if (seen) return false;
  }
  serials_.insert(serial);
  const auto lifetime = static_cast<size_t>(x509::LifetimeOf(cert.not_before, cert.not_after));
  DayTally& day = issued_[base::DayOfUnixSeconds(cert.not_before)];
  ++day.certificates;
  ++day.lifetime[lifetime];
  ++lifetime_[lifetime];
  ++key_[static_cast<size_t>(cert.key)];
  ++validation_[static_cast<size_t>(cert.validation)];
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
  // Kept as text until Drain: looking the registered domain up here would
  // mean a hash table of every name, whose cache misses cost more than the
  // sort that Drain does anyway.
  pending_.push_back(
      PendingName{base::HashBytes(name_scratch_), names_.size() << 16 | name_scratch_.size()});
  names_.append(name_scratch_);
  names_.push_back('\0');
}

uint64_t IssuerTallyBuilder::held_bytes() const {
  // A flat_hash_set slot is the element and one control byte.
  return serials_.capacity() * (sizeof(base::Hash128) + 1) +
         pending_.capacity() * sizeof(PendingName) + names_.capacity();
}

uint64_t IssuerTallyBuilder::growth_bytes() const {
  uint64_t most = 0;
  if (serials_.size() + 1 > serials_.capacity() * 7 / 8) {
    most = std::max<uint64_t>(most, (serials_.capacity() + 1) * (sizeof(base::Hash128) + 1));
  }
  if (pending_.size() == pending_.capacity()) {
    most = std::max<uint64_t>(most, std::max<size_t>(pending_.capacity(), 1) * sizeof(PendingName));
  }
  if (names_.size() + 256 > names_.capacity()) {
    most = std::max<uint64_t>(most, std::max<size_t>(names_.capacity(), 256));
  }
  return most;
}

void IssuerTallyBuilder::Drain(names::RegisteredDomainCache* domains, HashSink* sink) {
  {
    tally::HashSet serials(serials_.begin(), serials_.end());
    // Swapped with empty ones, not assigned `{}`, which keeps the capacity.
    absl::flat_hash_set<base::Hash128>().swap(serials_);
    std::sort(serials.begin(), serials.end());
    sink->BeginSet(tally::kSerials);
    for (const base::Hash128& h : serials) sink->Add(h);
  }
  // Distinct names, in hash order: that is already the FQDN set's order.
  std::sort(pending_.begin(), pending_.end());
  size_t distinct = 0;
  for (size_t i = 0; i < pending_.size(); ++i) {
    distinct += i == 0 || pending_[i].hash != pending_[i - 1].hash;
  }
  tally::HashSet regdomains, wildcards;
  regdomains.reserve(distinct);  // at its size: a vector that doubles holds half as much again
  sink->BeginSet(tally::kFqdns);
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (i > 0 && pending_[i].hash == pending_[i - 1].hash) continue;
    const uint64_t at = pending_[i].offset_and_length;
    const std::string_view name(names_.data() + (at >> 16), at & 0xffff);
    sink->Add(pending_[i].hash);
    if (names::IsWildcard(name)) wildcards.push_back(pending_[i].hash);
    if (std::optional<base::Hash128> domain = domains->RegisteredDomainHash(name)) {
      regdomains.push_back(*domain);
    }
  }
  std::vector<PendingName>().swap(pending_);
  std::string().swap(names_);
  tally::SortUnique(&regdomains);
  sink->BeginSet(tally::kRegdomains);
  for (const base::Hash128& h : regdomains) sink->Add(h);
  tally::HashSet().swap(regdomains);
  sink->BeginSet(tally::kWildcards);
  for (const base::Hash128& h : wildcards) sink->Add(h);
}

IssuerTally IssuerTallyBuilder::Header() {
  IssuerTally out;
  out.set_issuer_id(issuer_id_);
  if (!issuer_der_.empty()) {
    absl::StatusOr<std::vector<x509::NameAttribute>> dn = x509::ParseDistinguishedName(issuer_der_);
    if (dn.ok()) {
      issuer_name_ = x509::FormatDistinguishedName(*dn);
      organization_ = x509::OrganizationOf(*dn);
    }
    issuer_der_.clear();
  }
  out.set_issuer_name(issuer_name_);
  out.set_organization(organization_);
  out.set_name_from_precertificate(name_from_precertificate_);
  std::vector<std::pair<int32_t, const DayTally*>> days;
  days.reserve(issued_.size());
  for (const auto& [day, counts] : issued_) days.emplace_back(day, &counts);
  std::sort(days.begin(), days.end());
  for (const auto& [day, counts] : days) {
    DayCount* d = out.add_issued();
    d->set_day(day);
    d->set_certificates(counts->certificates);
    SetCounts(counts->lifetime, d->mutable_lifetime());
  }
  SetCounts(lifetime_, out.mutable_classes()->mutable_lifetime());
  SetCounts(key_, out.mutable_classes()->mutable_key());
  SetCounts(validation_, out.mutable_classes()->mutable_validation());
  return out;
}

}  // namespace ctmr::map
