#include "tools/ct_gen/name_pool.h"

namespace ctgen {
namespace {

constexpr const char* kSyllables[] = {"ba", "ko", "ta", "vi", "ne", "ru", "mi", "lo",
                                      "sa", "de", "pu", "ge", "fa", "zo", "hi", "we"};
constexpr uint64_t kNumSyllables = sizeof kSyllables / sizeof kSyllables[0];

struct Suffix {
  const char* text;
  int weight;
};
// Percent shares of registered domains per suffix.
constexpr Suffix kSuffixes[] = {{"com", 44},     {"org", 9},       {"net", 8},
                                {"de", 10},      {"co.uk", 8},     {"com.au", 6},
                                {"xn--p1ai", 5}, {"github.io", 6}, {"blogspot.com", 4}};

// Labels of secondary sites; some are punycode (café, münchen, сайт, пример).
constexpr const char* kSubLabels[] = {
    "api",         "app",           "shop",           "blog",   "dev",
    "staging",     "cdn",           "portal",         "m",      "status",
    "xn--caf-dma", "auth",          "xn--mnchen-3ya", "static", "xn--80aswg",
    "docs",        "_dmarc-report", "xn--e1afmkfd",   "git",    "vpn"};
constexpr uint64_t kNumSubLabels = sizeof kSubLabels / sizeof kSubLabels[0];

const char* SuffixFor(uint64_t regdomain) {
  uint64_t bucket = (regdomain * 37 + 11) % 100;
  for (const Suffix& s : kSuffixes) {
    if (bucket < static_cast<uint64_t>(s.weight)) return s.text;
    bucket -= static_cast<uint64_t>(s.weight);
  }
  return "com";
}

}  // namespace

NamePool::NamePool(uint64_t sites, uint64_t seed)
    : sites_(sites == 0 ? 1 : sites),
      // About 70% of sites are primary: one registered domain each.
      regdomains_(sites_ * 7 / 10 == 0 ? 1 : sites_ * 7 / 10),
      label_offset_((seed % 1000) * 7919) {}

std::string NamePool::RegisteredDomain(uint64_t regdomain_id) const {
  // Fixed-width syllables in base 16, at least three: injective in the index.
  uint64_t v = regdomain_id + label_offset_;
  std::string label;
  int count = 0;
  do {
    label.insert(0, kSyllables[v % kNumSyllables]);
    v /= kNumSyllables;
    ++count;
  } while (v > 0 || count < 3);
  uint64_t digits = (regdomain_id * 7 + 13) % 90 + 10;
  label += std::to_string(digits);
  return label + "." + SuffixFor(regdomain_id);
}

void NamePool::SiteNames(uint64_t site, std::vector<PoolName>* out) const {
  out->clear();
  const uint64_t base = site * kSlotsPerSite;
  auto add = [&](std::string text, uint64_t slot, uint64_t rd, bool wildcard) {
    out->push_back(PoolName{std::move(text), base + slot, rd, wildcard});
  };
  if (site < regdomains_) {
    std::string rd = RegisteredDomain(site);
    add(rd, 0, site, false);
    if (site % 4 != 3) add("www." + rd, 1, site, false);
    if (site % 8 == 0) add("*." + rd, 2, site, true);
    if (site % 5 == 0) add("mail." + rd, 3, site, false);
    return;
  }
  // Secondary site: under the registered domain of primary site `rd`. q >= 1
  // tells apart the secondary sites of one registered domain.
  uint64_t rd = site % regdomains_;
  uint64_t q = site / regdomains_;
  std::string label = kSubLabels[(rd + q) % kNumSubLabels];
  if (q > 1) label += std::to_string(q);
  std::string name = label + "." + RegisteredDomain(rd);
  add(name, 0, rd, false);
  if (site % 6 == 0) add("*." + name, 1, rd, true);
}

}  // namespace ctgen
