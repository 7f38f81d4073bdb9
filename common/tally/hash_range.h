// HashRange: a contiguous, inclusive range [first, last] of the 128-bit hash
// space that tallies keep their name sets in. Shards of a reduce are ranges:
// ShardRange(i, n) for i < n partition the whole space, and a range splits in
// two halves that partition it again. Hashes are uniformly distributed, so a
// range of width w holds about w / 2^128 of every set.
#ifndef CT_COMMON_TALLY_HASH_RANGE_H_
#define CT_COMMON_TALLY_HASH_RANGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/base/hash128.h"

namespace ctmr::tally {

inline constexpr base::Hash128 kMinHash{0, 0};
inline constexpr base::Hash128 kMaxHash{~uint64_t{0}, ~uint64_t{0}};

struct HashRange {
  base::Hash128 first = kMinHash;  // inclusive
  base::Hash128 last = kMaxHash;   // inclusive

  bool Contains(const base::Hash128& h) const { return !(h < first) && !(last < h); }
  friend bool operator==(const HashRange& a, const HashRange& b) {
    return a.first == b.first && a.last == b.last;
  }
};

// The i-th of n equal ranges (0 <= i < n, 1 <= n <= 2^32): boundaries split
// the top 64 bits evenly, so together they cover the space without overlap.
HashRange ShardRange(uint32_t index, uint32_t count);

// `range` cut into `pieces` (>= 1) adjacent ranges of equal width (give or
// take one hash), in order; fewer when it holds fewer hashes than that.
std::vector<HashRange> SplitRange(const HashRange& range, uint32_t pieces);

// The share of the hash space `range` covers, in (0, 1].
double RangeFraction(const HashRange& range);

// `h` plus one; nullopt for kMaxHash.
std::optional<base::Hash128> NextHash(const base::Hash128& h);

// "0123456789abcdef…-fedcba9876543210…": the top 64 bits of both ends, for logs.
std::string DescribeRange(const HashRange& range);

// The wire form (two 16-byte big-endian hashes) and back; InvalidArgument
// unless both are 16 bytes and first <= last.
std::string EncodeHash(const base::Hash128& h);
absl::StatusOr<HashRange> DecodeRange(std::string_view first, std::string_view last);

}  // namespace ctmr::tally

#endif  // CT_COMMON_TALLY_HASH_RANGE_H_
