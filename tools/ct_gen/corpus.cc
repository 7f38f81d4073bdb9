#include "tools/ct_gen/corpus.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <iterator>

#include "tools/ct_gen/base64.h"
#include "tools/ct_gen/dates.h"
#include "tools/ct_gen/der_writer.h"
#include "tools/ct_gen/edge_cases.h"

namespace ctgen {
namespace {

constexpr const char* kLogs[] = {
    "https://oak.ct.letsencrypt.org/2026h1/",     "https://ct.googleapis.com/logs/eu1/xenon2026h1/",
    "https://ct.cloudflare.com/logs/nimbus2026/", "https://sabre2026h1.ct.sectigo.com/",
    "https://wyvern.ct.digicert.com/2026h1/",     "https://tuscolo2026h1.skylight.geomys.org/",
};
constexpr int kNumLogs = sizeof kLogs / sizeof kLogs[0];

// Flush a file's buffer once it holds this much.
constexpr size_t kFlushBytes = 8 << 20;

// The less common lifetimes, keys and policies of regular certificates, by
// corpus-wide index modulo kSpreadPeriod: every run of kSpreadPeriod
// consecutive certificates has each of them, so a corpus of 1,000 has every
// breakdown class (and every lifetime edge) ten times, spread over its date
// directories. The other slots keep the issuer's lifetime (mostly 90 days),
// its key (RSA 2048 or P-256) and DV.
constexpr uint64_t kSpreadPeriod = 100;

struct SlotVariant {
  int64_t lifetime = 0;  // notAfter - notBefore + 1 s; 0: the issuer's validity_days
  bool exact = false;    // no jitter: the lifetime is exactly this
  LeafKey key = LeafKey::kIssuerDefault;
  LeafPolicies policies = LeafPolicies::kDv;
};

const std::array<SlotVariant, kSpreadPeriod>& SlotVariants() {
  static const auto* slots = [] {
    auto* s = new std::array<SlotVariant, kSpreadPeriod>;
    constexpr int64_t kDay = kSecondsPerDay;
    struct Lifetime {
      int64_t seconds;
      bool exact;
    };
    // Each class edge from both sides, the 6-day (160 h) short-lived
    // certificate, and a few common lifetimes away from the edges.
    const Lifetime lifetimes[] = {
        {160 * 3600, true},     {7 * kDay, true},       {7 * kDay + 1, true},
        {30 * kDay, false},     {47 * kDay, true},      {47 * kDay + 1, true},
        {100 * kDay, true},     {100 * kDay + 1, true}, {180 * kDay, false},
        {200 * kDay, true},     {200 * kDay + 1, true}, {398 * kDay, true},
        {398 * kDay + 1, true}, {730 * kDay, false}};
    const LeafKey keys[] = {LeafKey::kRsa1024,   LeafKey::kRsa3072,   LeafKey::kRsa4096,
                            LeafKey::kP384,      LeafKey::kP521,      LeafKey::kEd25519,
                            LeafKey::kSecp256k1, LeafKey::kRsaPss2048};
    const LeafPolicies policies[] = {LeafPolicies::kOv,          LeafPolicies::kIv,
                                     LeafPolicies::kEv,          LeafPolicies::kNone,
                                     LeafPolicies::kPrivateOnly, LeafPolicies::kDvEv,
                                     LeafPolicies::kOvPrivateDv};
    // Spread out so that the three kinds mostly fall on different certificates.
    for (size_t i = 0; i < std::size(lifetimes); ++i) {
      (*s)[7 * i].lifetime = lifetimes[i].seconds;
      (*s)[7 * i].exact = lifetimes[i].exact;
    }
    for (size_t i = 0; i < std::size(keys); ++i) (*s)[3 + 12 * i].key = keys[i];
    for (size_t i = 0; i < std::size(policies); ++i) (*s)[5 + 13 * i].policies = policies[i];
    return s;
  }();
  return *slots;
}

}  // namespace

Corpus::Corpus(GenOptions options) : options_(std::move(options)) {}

size_t Corpus::IssuerIndex(const std::string& short_name) const {
  for (size_t i = 0; i < issuers_.size(); ++i) {
    if (issuers_[i].short_name == short_name) return i;
  }
  std::fprintf(stderr, "ct-gen: internal error: no issuer %s\n", short_name.c_str());
  std::abort();
}

std::string Corpus::PemPath(int64_t dir_day, size_t issuer) const {
  return FormatDate(dir_day) + "/" + issuers_[issuer].issuer_id + ".pem";
}

void Corpus::AppendPem(std::string* out, const char* label, std::string_view der,
                       const std::string& headers) {
  out->append("-----BEGIN ");
  out->append(label);
  out->append("-----\n");
  if (!headers.empty()) {
    out->append(headers);
    out->push_back('\n');
  }
  AppendBase64Lines(der, out);
  out->append("-----END ");
  out->append(label);
  out->append("-----\n");
}

std::string Corpus::Headers(int log, int64_t recorded_at) const {
  return std::string("Log: ") + kLogs[log % kNumLogs] +
         "\nRecorded-at: " + FormatRfc3339(recorded_at) + "\n";
}

void Corpus::WriteCertificate(int64_t dir_day, size_t issuer, const LeafSpec& spec,
                              const std::vector<CountedName>& names, const Placement& placement) {
  const std::string dir = placement.dir_name.empty() ? FormatDate(dir_day) : placement.dir_name;
  const std::string stem = dir + "/" + issuers_[issuer].issuer_id;
  const CertificateTemplate& t = *templates_[issuer];
  std::string precert_der;
  if (placement.precert_first || placement.precert_only) {
    LeafSpec pre = spec;
    pre.precertificate = true;
    t.Build(pre, &precert_der);
  }
  if (!placement.precert_only) t.Build(spec, &der_);
  uint64_t blocks = 0;
  int64_t recorded = spec.not_before + 97;
  int log = static_cast<int>(spec.serial.back() & 0x7f);
  if (!placement.in_cer) {
    std::string* pem = files_->Buffer(stem + ".pem");
    if (!precert_der.empty()) {
      AppendPem(pem, "CERTIFICATE", precert_der,
                placement.headers ? Headers(log, recorded) : std::string());
      ++blocks;
    }
    if (!placement.precert_only) {
      for (int c = 0; c < placement.final_copies; ++c) {
        AppendPem(pem, "CERTIFICATE", der_,
                  placement.headers ? Headers(log + 1 + c, recorded + 60 + c) : std::string());
        ++blocks;
      }
    }
  }
  if (placement.in_cer || placement.also_in_cer) {
    std::string* cer = files_->Buffer(stem + ".cer");
    if (!precert_der.empty() && placement.in_cer) {
      cer->append(precert_der);
      ++blocks;
    }
    if (!placement.precert_only) {
      cer->append(der_);
      ++blocks;
    }
  }
  answers_->AddCertificateBlocks(blocks);
  if (!placement.dir_name.empty()) {
    answers_->AddIgnoredCertificates(1);
    return;
  }
  answers_->AddDirectory(dir_day);
  CertClasses classes;
  classes.lifetime = static_cast<uint8_t>(LifetimeClass(spec.not_before, spec.not_after));
  classes.key = static_cast<uint8_t>(KeyClass(ResolveKey(spec.key, issuers_[issuer].ec_leaves)));
  classes.validation = static_cast<uint8_t>(ValidationClass(spec.policies));
  answers_->AddCertificate(dir_day, issuer, DayOf(spec.not_before), classes, names);
}

void Corpus::WriteRegularCertificate(int64_t day, Rng* rng, uint64_t index,
                                     std::vector<PoolName>* scratch) {
  uint64_t pick = rng->Below(static_cast<uint64_t>(issuer_cumulative_weight_.back()));
  size_t issuer = 0;
  while (pick >= static_cast<uint64_t>(issuer_cumulative_weight_[issuer])) ++issuer;
  const Issuer& is = issuers_[issuer];

  pool_->SiteNames(rng->Below(pool_->sites()), scratch);
  LeafSpec spec;
  // 16 bytes: 8 random, then the corpus-wide index, so serials never repeat.
  uint64_t r = rng->Next();
  for (int b = 7; b >= 0; --b) spec.serial.push_back(static_cast<char>(r >> (8 * b)));
  for (int b = 7; b >= 0; --b) spec.serial.push_back(static_cast<char>(index >> (8 * b)));
  if (spec.serial[0] == 0) spec.serial[0] = 0x5a;
  if (static_cast<uint8_t>(spec.serial[0]) & 0x80) spec.serial.insert(spec.serial.begin(), '\0');

  // The directory is the notAfter day; the lifetime decides notBefore.
  spec.not_after = day * kSecondsPerDay + static_cast<int64_t>(rng->Below(kSecondsPerDay));
  int64_t jitter = static_cast<int64_t>(rng->Below(4 * 3600)) - 2 * 3600;
  const SlotVariant& v = SlotVariants()[index % kSpreadPeriod];
  int64_t lifetime = v.lifetime > 0 ? v.lifetime : is.validity_days * kSecondsPerDay;
  if (!v.exact) lifetime -= jitter;
  spec.not_before = spec.not_after - lifetime + 1;
  spec.key = v.key;
  spec.policies = v.policies;
  if (!rng->Percent(5)) {
    spec.subject.push_back({"2.5.4.3", der::kUtf8String, (*scratch)[0].text});
  }
  std::vector<CountedName> names;
  names.reserve(scratch->size());
  for (const PoolName& n : *scratch) {
    spec.san_dns.push_back(n.text);
    names.push_back(CountedName{n.fqdn_id, true, n.regdomain_id, n.wildcard});
  }

  Placement p;
  p.precert_first = rng->Percent(10);
  p.final_copies = rng->Percent(1) ? 2 : 1;
  p.headers = rng->Percent(60);
  int64_t d = day - options_.first_day;
  p.in_cer = d % 5 == 2 && rng->Percent(10);
  // With edge cases, this issuer's PEM file in the as-of directory stays empty.
  if (options_.edge_cases && day == options_.as_of_day && is.short_name == "NoOrg") {
    p.in_cer = true;
  }
  WriteCertificate(day, issuer, spec, names, p);
}

absl::Status Corpus::WriteRegular() {
  std::vector<PoolName> scratch;
  uint64_t index = 0;
  const uint64_t n = options_.certs;
  const uint64_t days = static_cast<uint64_t>(options_.days);
  for (uint64_t d = 0; d < days; ++d) {
    int64_t day = options_.first_day + static_cast<int64_t>(d);
    // Exact partition of n over the directories.
    uint64_t count = n * (d + 1) / days - n * d / days;
    Rng rng(MixSeed(options_.seed, static_cast<uint64_t>(day)));
    for (uint64_t k = 0; k < count; ++k) {
      WriteRegularCertificate(day, &rng, index++, &scratch);
      if ((k & 1023) == 1023) {
        absl::Status s = files_->Flush(kFlushBytes);
        if (!s.ok()) return s;
      }
    }
    absl::Status s = files_->Flush();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Corpus::Generate() {
  std::error_code ec;
  if (std::filesystem::exists(options_.root, ec) && !std::filesystem::is_empty(options_.root, ec)) {
    return absl::FailedPreconditionError(options_.root + " exists and is not empty");
  }
  absl::StatusOr<std::vector<Issuer>> issuers = MakeIssuers(options_.seed);
  if (!issuers.ok()) return issuers.status();
  issuers_ = std::move(*issuers);
  int cumulative = 0;
  for (const Issuer& is : issuers_) {
    templates_.push_back(std::make_unique<CertificateTemplate>(is));
    cumulative += is.weight;
    issuer_cumulative_weight_.push_back(cumulative);
  }
  pool_ = std::make_unique<NamePool>(options_.certs / 2 + 16, options_.seed);
  answers_ = std::make_unique<KnownAnswers>(issuers_, options_.as_of_day, options_.window_days,
                                            pool_->fqdn_id_limit(), pool_->regdomain_id_limit());
  files_ = std::make_unique<OutputFiles>(options_.root);

  for (const Issuer& is : issuers_) {
    AppendPem(files_->Buffer("issuers/" + is.issuer_id + ".pem"), "CERTIFICATE", is.certificate_der,
              "");
  }
  absl::Status s = WriteRegular();
  if (!s.ok()) return s;
  if (options_.edge_cases) {
    s = WriteEdgeCases(this);
    if (!s.ok()) return s;
  }
  s = files_->Flush();
  if (!s.ok()) return s;
  if (options_.edge_cases) {
    // Last of all, so nothing follows it in its file.
    s = WriteHalfWrittenBlock(this);
    if (!s.ok()) return s;
  }
  return answers_->WriteJson(options_.answers_path);
}

}  // namespace ctgen
