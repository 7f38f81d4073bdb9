// HashFilter: a blocked Bloom filter over Hash128s, so that the map asks a
// spilled run of serials (a file) only about serials it may hold. Hashes are
// uniform already, so the filter takes its bits from the hash itself: the
// high half picks a 64-byte block (one cache line), the low half six bits in it.
// At 10 bits per key about 1% of the serials not in the run are looked up in
// vain; with 0 bits the filter holds nothing and every lookup goes to the file.
#ifndef CT_COMMON_MAP_HASH_FILTER_H_
#define CT_COMMON_MAP_HASH_FILTER_H_

#include <cstdint>
#include <vector>

#include "common/base/hash128.h"

namespace ctmr::map {

class HashFilter {
 public:
  HashFilter() = default;
  HashFilter(uint64_t keys, uint64_t bits_per_key);

  void Add(const base::Hash128& h);
  bool MayContain(const base::Hash128& h) const;
  uint64_t bytes() const { return words_.size() * sizeof(uint64_t); }

 private:
  static constexpr int kProbes = 6;
  static constexpr uint64_t kBlockWords = 8;
  uint64_t* BlockOf(const base::Hash128& h);
  const uint64_t* BlockOf(const base::Hash128& h) const;

  uint64_t blocks_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace ctmr::map

#endif  // CT_COMMON_MAP_HASH_FILTER_H_
