#include "common/tally/hash_set.h"

#include <algorithm>
#include <iterator>

#include "absl/status/status.h"

namespace ctmr::tally {

void SortUnique(HashSet* set) {
  std::sort(set->begin(), set->end());
  set->erase(std::unique(set->begin(), set->end()), set->end());
}

HashSet UnionOf(const HashSet& a, const HashSet& b) {
  HashSet out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

void MergeInto(const HashSet& from, HashSet* into) {
  if (from.empty()) return;
  if (into->empty()) {
    *into = from;
    return;
  }
  *into = UnionOf(*into, from);
}

std::string EncodeHashSet(const HashSet& sorted) {
  std::string out;
  out.reserve(sorted.size() * 16);
  for (const base::Hash128& h : sorted) base::AppendHash(h, &out);
  return out;
}

absl::StatusOr<HashSet> DecodeHashSet(std::string_view bytes) {
  if (bytes.size() % 16 != 0) {
    return absl::DataLossError("hash set is not a whole number of 16-byte records");
  }
  HashSet out;
  out.reserve(bytes.size() / 16);
  for (size_t i = 0; i < bytes.size(); i += 16) {
    const base::Hash128 h = base::ReadHash(bytes.data() + i);
    if (!out.empty() && !(out.back() < h)) {
      return absl::DataLossError("hash set is not sorted");
    }
    out.push_back(h);
  }
  return out;
}

}  // namespace ctmr::tally
