// TallyReducer: the reduce. Folds directory tallies into the statistics of
// DESIGN.md §3 as of one date: active counts per issuer, per organization and
// in total (distinct counts are unions of the hash sets, never sums), and
// certificates issued per day over every directory, expired or not.
//
// Add() holds every active name set in memory: the unsharded reduce
// (`reduce --unsharded`), the reference for the sharded one. The sharded
// reduce (shard_reducer.h) uses AddWithoutNames() for everything but the
// distinct names, so that both share one set of counting rules.
#ifndef CT_COMMON_REDUCE_TALLY_REDUCER_H_
#define CT_COMMON_REDUCE_TALLY_REDUCER_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/tally/hash_set.h"
#include "common/x509/certificate_class.h"
#include "proto/tally.pb.h"

namespace ctmr::reduce {

// Certificates by class (DESIGN.md §3.1), indexed as certificate_class.h's
// enums: sums, as certs is.
struct ClassCounts {
  std::array<uint64_t, x509::kLifetimeClasses> lifetime{};
  std::array<uint64_t, x509::kKeyClasses> key{};
  std::array<uint64_t, x509::kValidationClasses> validation{};

  void Add(const ClassCounts& other);
  void Add(const Breakdown& stored);  // a tally's counters
  bool operator==(const ClassCounts& o) const {
    return lifetime == o.lifetime && key == o.key && validation == o.validation;
  }
};

struct ActiveCounts {
  uint64_t certs = 0;
  uint64_t fqdns = 0;
  uint64_t regdomains = 0;
  uint64_t wildcards = 0;
  ClassCounts classes;  // the certs by class
};

struct IssuerStats {
  std::string issuer_id;
  std::string issuer_name;
  std::string organization;
  ActiveCounts active;
};

struct OrganizationStats {
  std::string organization;
  ActiveCounts active;
};

struct ReduceStats {
  ActiveCounts totals;
  std::vector<IssuerStats> issuers;              // with active certificates; by certs desc, id
  std::vector<OrganizationStats> organizations;  // by certs desc, name
  std::map<int32_t, uint64_t> issued_per_day;    // day -> certificates, all issuers
  // day -> certificates by lifetime class, all issuers
  std::map<int32_t, std::array<uint64_t, x509::kLifetimeClasses>> issued_per_day_by_lifetime;
  // (day, issuer_id) -> certificates
  std::map<std::pair<int32_t, std::string>, uint64_t> issued_per_day_by_issuer;
  std::map<std::string, std::pair<std::string, std::string>> issuer_names;  // id -> (name, org)
  uint64_t active_directories = 0;
  uint64_t unparseable_blocks = 0;
  uint64_t skipped_files = 0;
};

class TallyReducer {
 public:
  // Adds one directory. `active`: whether its certificates count as active
  // (its date is in the window). DataLoss if a stored set is corrupt.
  absl::Status Add(const DirectoryTally& tally, bool active);

  // Adds one directory without its name sets, which the sharded reduce
  // counts per hash range (ShardReducer): `header` is its tally with the sets
  // left out, and `certificates[i]` the number of serials of issuer i.
  // Finish() then gives every count but the distinct names, which are zero.
  void AddWithoutNames(const DirectoryTally& header, const std::vector<uint64_t>& certificates,
                       bool active);

  ReduceStats Finish();

 private:
  struct IssuerSets {
    std::string name;
    std::string organization;
    bool name_from_precertificate = true;
    uint64_t certs = 0;
    ClassCounts classes;
    tally::HashSet fqdns, regdomains, wildcards;
  };
  void NoteIssuerName(const IssuerTally& t);
  void AddErrors(const ErrorCounts& errors, bool active);
  // Counts one issuer's day counts, and, when `active_certs` is set, its
  // active certificates and name sets.
  absl::Status AddIssuer(const IssuerTally& t, std::optional<uint64_t> active_certs);

  std::map<std::string, IssuerSets> issuers_;
  ReduceStats stats_;
};

// The longest --window-days the commands accept: a century. Larger values
// mean nothing for certificates and once overflowed as_of + window_days.
inline constexpr int kMaxWindowDays = 36'500;

// Whether a directory dated `day` is active as of `as_of` (DESIGN.md §3):
// dated as_of or later, and before as_of + window_days when that is not 0.
// Computed in 64 bits: no window_days wraps around.
bool IsActive(int32_t day, int32_t as_of, int window_days);

// The organization an issuer rolls up into: its O attribute, or, when it has
// none, its whole issuer name (so it is not lumped with other O-less issuers).
std::string OrganizationKey(const std::string& organization, const std::string& issuer_name);

}  // namespace ctmr::reduce

#endif  // CT_COMMON_REDUCE_TALLY_REDUCER_H_
