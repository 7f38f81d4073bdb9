// KnownAnswers: the statistics a correct map/reduce must report for the corpus
// ct-gen wrote, accumulated while writing it (DESIGN.md section 3).
//
// The generator calls AddCertificate() exactly once per distinct certificate
// (issuer, serial, date directory), however many blocks it wrote for it, with
// the names it put in the certificate already normalized, validated and
// assigned a registered domain by construction. Distinct counts are kept as
// bitsets over name ids: pool names use the NamePool's ids, every other name is
// interned by its normalized text above the pool's range.
#ifndef CT_TOOLS_CT_GEN_KNOWN_ANSWERS_H_
#define CT_TOOLS_CT_GEN_KNOWN_ANSWERS_H_

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tools/ct_gen/issuers.h"
#include "tools/ct_gen/leaf_classes.h"

namespace ctgen {

// One FQDN of a certificate as the counting rules see it.
struct CountedName {
  uint64_t fqdn_id;
  bool has_regdomain;
  uint64_t regdomain_id;
  bool wildcard;
};

class KnownAnswers {
 public:
  // `pool_fqdn_ids` and `pool_regdomain_ids` are the NamePool's id limits.
  KnownAnswers(const std::vector<Issuer>& issuers, int64_t as_of_day, int64_t window_days,
               uint64_t pool_fqdn_ids, uint64_t pool_regdomain_ids);

  // Ids for names outside the pool, by normalized text ("" regdomain: none).
  CountedName InternName(const std::string& fqdn, const std::string& regdomain);

  bool IsActive(int64_t dir_day) const {
    return dir_day >= as_of_ && (window_ == 0 || dir_day < as_of_ + window_);
  }

  // One distinct certificate of issuer `issuer` (index into the issuers) in the
  // date directory `dir_day`, issued on `issued_day`, of the breakdown classes
  // `classes`.
  void AddCertificate(int64_t dir_day, size_t issuer, int64_t issued_day,
                      const CertClasses& classes, const std::vector<CountedName>& names);
  // A date directory that exists in the data root (whatever it holds).
  void AddDirectory(int64_t dir_day) { directories_.insert(dir_day); }
  void AddUnparseableBlocks(uint64_t n) { unparseable_ += n; }
  // Blocks written that hold a certificate, duplicates included; and
  // certificates written where the map must not look.
  void AddCertificateBlocks(uint64_t n) { certificate_blocks_ += n; }
  void AddIgnoredCertificates(uint64_t n) { ignored_certificates_ += n; }

  uint64_t certificates_written() const { return certificates_; }

  // Writes the answers as JSON in the shape of summary.json (DESIGN.md 5).
  absl::Status WriteJson(const std::string& path) const;

 private:
  class Bitset {
   public:
    // Returns true when the bit was not set before.
    bool Set(uint64_t i) {
      if (i / 64 >= words_.size()) words_.resize(i / 64 + 1 + words_.size() / 2, 0);
      uint64_t mask = uint64_t{1} << (i % 64);
      bool fresh = (words_[i / 64] & mask) == 0;
      words_[i / 64] |= mask;
      return fresh;
    }

   private:
    std::vector<uint64_t> words_;
  };
  struct Group {
    uint64_t certs = 0;
    uint64_t fqdns = 0, regdomains = 0, wildcards = 0;
    Bitset fqdn_bits, regdomain_bits;
    std::array<uint64_t, kLifetimeClasses> lifetime{};
    std::array<uint64_t, kKeyClasses> key{};
    std::array<uint64_t, kValidationClasses> validation{};
    void Add(const CertClasses& classes, const std::vector<CountedName>& names);
  };
  using LifetimeCounts = std::array<int64_t, kLifetimeClasses>;

  const std::vector<Issuer>& issuers_;
  int64_t as_of_;
  int64_t window_;
  uint64_t next_fqdn_id_;
  uint64_t next_regdomain_id_;
  std::unordered_map<std::string, uint64_t> extra_fqdns_;
  std::unordered_map<std::string, uint64_t> extra_regdomains_;

  std::vector<Group> by_issuer_;
  std::vector<size_t> org_of_issuer_;
  std::vector<std::string> org_names_;
  std::vector<Group> by_org_;
  Group total_;
  std::set<int64_t> directories_;
  std::map<int64_t, uint64_t> issued_per_day_;
  std::map<int64_t, LifetimeCounts> issued_per_day_by_lifetime_;
  // Keyed by (day, issuer id) so the JSON is sorted by date, then issuer id.
  std::map<std::pair<int64_t, std::string>, uint64_t> issued_per_day_by_issuer_;
  std::vector<bool> issuer_seen_;
  // certs_active of each past day (the back-fill of DESIGN.md 5) as changes
  // by day: +1 on the first day a certificate is active, -1 after its last.
  std::map<int64_t, int64_t> active_delta_;
  std::vector<std::map<int64_t, int64_t>> active_delta_by_org_;
  std::map<int64_t, LifetimeCounts> active_delta_by_lifetime_;
  uint64_t unparseable_ = 0;
  uint64_t certificates_ = 0;
  uint64_t certificate_blocks_ = 0;
  uint64_t ignored_certificates_ = 0;
};

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_KNOWN_ANSWERS_H_
