// IssuerTallyBuilder: counts one issuer's certificates within one date
// directory, per the rules of DESIGN.md §3.
//
// What it gathers since its last Drain is in memory: the new serials (a hash
// set) and every name occurrence with its text. Drain hands them on as the
// four sorted sets of an IssuerTally (serials, FQDNs, registered domains,
// wildcards), set by set, and frees them: to a spill file when the map
// reaches its memory budget, or to the final merge. The sets drained earlier
// and those of the tally a previous map committed stay in files (AddRun);
// Add consults them, through a HashFilter and then the file, so that a serial
// seen anywhere before in the directory is not counted again and its
// certificate's names and day are not added: exactly what a map that held
// everything in memory counts, in the same order, so its issuer name and
// issued days are the same too.
//
// One builder belongs to one thread.
#ifndef CT_COMMON_MAP_ISSUER_TALLY_BUILDER_H_
#define CT_COMMON_MAP_ISSUER_TALLY_BUILDER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/map/hash_filter.h"
#include "common/names/registered_domain.h"
#include "common/tally/hash_run.h"
#include "common/x509/certificate_class.h"
#include "common/x509/certificate_view.h"
#include "proto/tally.pb.h"

namespace ctmr::map {

// One issuer's four sets in a file: a spill file, or a committed oracle.out.
struct IssuerRun {
  int fd = -1;                        // not owned
  const std::string* path = nullptr;  // for messages; not owned
  std::array<tally::SetSpan, tally::kTallySets> sets;
  HashFilter serial_filter;  // over sets[kSerials]
};

// Where Drain puts the sets: BeginSet(kSerials), its records ascending, then
// likewise kFqdns, kRegdomains and kWildcards (each once, possibly empty).
class HashSink {
 public:
  virtual ~HashSink() = default;
  virtual void BeginSet(tally::TallySet set) = 0;
  virtual void Add(const base::Hash128& h) = 0;
};

class IssuerTallyBuilder {
 public:
  explicit IssuerTallyBuilder(std::string issuer_id);

  // Continues from a committed issuer without its sets (OracleReader's
  // header); its sets come in as a run (AddRun).
  static IssuerTallyBuilder FromHeader(const IssuerTally& header);

  // Makes Add consult `run`'s serials; the final merge reads all its sets.
  void AddRun(IssuerRun run) { runs_.push_back(std::move(run)); }
  const std::vector<IssuerRun>& runs() const { return runs_; }

  // Counts `cert` unless its serial was already counted (a copy from another
  // log, or the final certificate of a precertificate). Returns whether it
  // was new; an error when a run cannot be read.
  absl::StatusOr<bool> Add(const x509::CertificateView& cert);

  // Bytes held by what was added since the last Drain (capacities, not sizes).
  uint64_t held_bytes() const;
  // The most that the next Add may allocate on top: a full buffer doubles.
  uint64_t growth_bytes() const;
  bool has_pending() const { return !serials_.empty() || !pending_.empty(); }
  uint64_t pending_serials() const { return serials_.size(); }

  // Hands the sets gathered since the last Drain to `sink` and frees them.
  // Registered domains are looked up here, once per distinct name of the
  // drain, in `domains` (the task's cache). At its peak a drain holds, on top
  // of the builder, one sorted copy of its serials (16 bytes each) or of its
  // distinct registered domains and wildcards.
  void Drain(names::RegisteredDomainCache* domains, HashSink* sink);

  // The issuer's fields but its sets, as the tally has them.
  IssuerTally Header();

 private:
  void AddName(std::string_view raw);

  // A normalized name kept for Drain: its hash, and where its text (followed
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

  // The certificates of one issued day, and by lifetime class.
  struct DayTally {
    uint64_t certificates = 0;
    std::array<uint64_t, x509::kLifetimeClasses> lifetime{};
  };

  absl::flat_hash_set<base::Hash128> serials_;  // new since the last Drain
  absl::flat_hash_map<int32_t, DayTally> issued_;
  // Every certificate counted, by class (the tally's Breakdown).
  std::array<uint64_t, x509::kLifetimeClasses> lifetime_{};
  std::array<uint64_t, x509::kKeyClasses> key_{};
  std::array<uint64_t, x509::kValidationClasses> validation_{};
  std::vector<PendingName> pending_;  // every name occurrence since the last Drain, unsorted
  std::string names_;                 // their text, NUL-separated
  std::string name_scratch_;
  std::vector<IssuerRun> runs_;
  std::string page_;  // RunContains' scratch
};

}  // namespace ctmr::map

#endif  // CT_COMMON_MAP_ISSUER_TALLY_BUILDER_H_
