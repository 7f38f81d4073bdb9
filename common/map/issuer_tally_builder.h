// IssuerTallyBuilder: counts one issuer's certificates within one date
// directory, per the rules of DESIGN.md §3, and produces its IssuerTally.
//
// A builder may start from the tally a previous map committed, so that a map
// reads only the bytes appended since: the serials already seen keep their
// certificates from being counted twice, and the name sets are merged.
// One builder belongs to one thread.
#ifndef CT_COMMON_MAP_ISSUER_TALLY_BUILDER_H_
#define CT_COMMON_MAP_ISSUER_TALLY_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/names/registered_domain.h"
#include "common/tally/hash_set.h"
#include "common/x509/certificate_view.h"
#include "proto/tally.pb.h"

namespace ctmr::map {

class IssuerTallyBuilder {
 public:
  explicit IssuerTallyBuilder(std::string issuer_id);

  // Continues from a committed tally. DataLoss if its sets are corrupt.
  static absl::StatusOr<IssuerTallyBuilder> FromTally(const IssuerTally& tally);

  // Counts `cert` unless its serial was already counted (a copy from another
  // log, or the final certificate of a precertificate). Returns whether it
  // was new.
  bool Add(const x509::CertificateView& cert);

  uint64_t certificates() const { return serials_.size(); }

  // The finished tally: sets sorted and merged with the starting tally's.
  // Registered domains are looked up here, once per distinct new name, in
  // `domains` (the task's cache). Leaves the builder empty.
  IssuerTally Finish(names::RegisteredDomainCache* domains);

 private:
  void AddName(std::string_view raw);

  // A normalized name kept for Finish: its hash, and where its text (followed
  // by a NUL, for libpsl) is in names_: offset << 16 | length (names are at
  // most 253 bytes), so that an entry stays 24 bytes for the sort.
  struct PendingName {
    base::Hash128 hash;
    uint64_t offset_and_length;
    bool operator<(const PendingName& o) const { return hash < o.hash; }
  };

  std::string issuer_id_;
  std::string issuer_name_;
  std::string organization_;
  bool name_from_precertificate_ = true;
  std::string issuer_der_;  // set when a better issuer name is pending formatting

  absl::flat_hash_set<base::Hash128> serials_;
  absl::flat_hash_map<int32_t, uint64_t> issued_;
  tally::HashSet old_fqdns_, old_regdomains_, old_wildcards_;  // sorted, from the start tally
  std::vector<PendingName> pending_;                           // every name occurrence, unsorted
  std::string names_;                                          // their text, NUL-separated
  std::string name_scratch_;
};

}  // namespace ctmr::map

#endif  // CT_COMMON_MAP_ISSUER_TALLY_BUILDER_H_
