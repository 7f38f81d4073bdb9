// Sorted sets of Hash128, as tallies keep them: a vector sorted ascending
// without duplicates in memory, 16-byte big-endian records back to back on disk.
#ifndef CT_COMMON_TALLY_HASH_SET_H_
#define CT_COMMON_TALLY_HASH_SET_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/base/hash128.h"

namespace ctmr::tally {

using HashSet = std::vector<base::Hash128>;

// Sorts and removes duplicates in place.
void SortUnique(HashSet* set);

// Union of two sorted sets in one linear merge.
HashSet UnionOf(const HashSet& a, const HashSet& b);

// Adds every element of the sorted set `from` to the sorted set `into`.
void MergeInto(const HashSet& from, HashSet* into);

std::string EncodeHashSet(const HashSet& sorted);

// Returns DataLoss unless `bytes` holds whole records in strictly ascending order.
absl::StatusOr<HashSet> DecodeHashSet(std::string_view bytes);

}  // namespace ctmr::tally

#endif  // CT_COMMON_TALLY_HASH_SET_H_
