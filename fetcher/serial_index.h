// SerialSet: the serial numbers stored in one segment file (ROOT/<date>/
// <issuer>.ctseg), so that ct-fetch stores each certificate once per date
// directory and issuer, whichever log and kind (precertificate or final) it
// comes from. DataFiles (data_files.h) keeps one per segment it appends to,
// within a memory budget, and owns the rules for when a set may be saved.
//
// A set is `sorted` (loaded from its index file, or merged at the last save)
// plus `added` (inserted since). Serials are XXH3-128 hashes of the serial's
// DER content octets: within one issuer and day, a collision among 10⁹
// serials has a chance of about 10⁻²¹.
//
// The index file ROOT/state/serials/<date>/<issuer>.idx (DESIGN.md §2.1):
//   "CTSI0001" | covered u64 | count u64 | tail_hash u64 | count × 16-byte
//   hashes, ascending (big-endian) | XXH3-64 of everything before, u64
// (little-endian). It stands for the segment's first `covered` bytes;
// tail_hash is the XXH3-64 of the (up to) 4096 segment bytes before
// `covered`, so an index is not used for a segment that was rewritten
// (`ct-worker compact`) or cut. An index that does not check, or does not
// match its segment, is ignored: the set is rebuilt from the segment.
// Crash safety is the caller's: Save() only what is durably in the segment.
#ifndef CT_FETCHER_SERIAL_INDEX_H_
#define CT_FETCHER_SERIAL_INDEX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "common/base/hash128.h"

namespace ctmr::fetch {

class SerialSet {
 public:
  bool Contains(const base::Hash128& h) const;
  // True when inserted, false when present already.
  bool Insert(const base::Hash128& h);
  size_t size() const { return sorted_.size() + added_.size(); }
  size_t added() const { return added_.size(); }
  // The segment bytes the loaded index stood for (0 when none was used).
  uint64_t covered() const { return covered_; }
  size_t MemoryBytes() const;

  // Loads `index_path` if it checks and matches the segment at
  // `segment_path` (of `segment_size` bytes); else leaves the set empty with
  // covered() == 0. Never fails: a bad index only costs a rebuild.
  void Load(const std::string& index_path, const std::string& segment_path, uint64_t segment_size);

  // Writes the set as the index of the segment's first `segment_size` bytes,
  // which must hold exactly the set's serials (atomically: temp file, fsync,
  // rename). Merges `added` into `sorted` (also when the write fails).
  absl::Status Save(const std::string& index_path, const std::string& segment_path,
                    uint64_t segment_size);

 private:
  std::vector<base::Hash128> sorted_;
  absl::flat_hash_set<base::Hash128> added_;
  uint64_t covered_ = 0;
};

}  // namespace ctmr::fetch

#endif  // CT_FETCHER_SERIAL_INDEX_H_
