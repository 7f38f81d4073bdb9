// Hash128: the 128-bit name and serial hashes that tallies store.
//
// DESIGN.md §3 allows hashes of at least 96 bits: with 128 bits the chance of
// any collision among 10^9 distinct names is about 10^-21. XXH3-128 is used
// because it hashes short strings in a few nanoseconds; the hash is part of the
// oracle.out format, so changing it means a new kDirectoryTallyFormat.
#ifndef CT_COMMON_BASE_HASH128_H_
#define CT_COMMON_BASE_HASH128_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

namespace ctmr::base {

struct Hash128 {
  uint64_t high = 0;
  uint64_t low = 0;

  friend bool operator==(const Hash128& a, const Hash128& b) {
    return a.high == b.high && a.low == b.low;
  }
  friend bool operator!=(const Hash128& a, const Hash128& b) { return !(a == b); }
  friend bool operator<(const Hash128& a, const Hash128& b) {
    return std::tie(a.high, a.low) < std::tie(b.high, b.low);
  }
  template <typename H>
  friend H AbslHashValue(H h, const Hash128& v) {
    return H::combine(std::move(h), v.low);  // already uniformly distributed
  }
};

Hash128 HashBytes(std::string_view bytes);

// HashBytes over bytes fed in pieces: Update(a); Update(b) hashes a + b.
class Hasher128 {
 public:
  Hasher128();
  ~Hasher128();
  Hasher128(const Hasher128&) = delete;
  Hasher128& operator=(const Hasher128&) = delete;
  void Update(std::string_view bytes);
  Hash128 Finish() const;

 private:
  void* state_;  // XXH3_state_t, kept out of this header
};

// Appends the 16 big-endian bytes of `h` (so byte order equals operator<).
void AppendHash(const Hash128& h, std::string* out);
Hash128 ReadHash(const char* sixteen_bytes);

}  // namespace ctmr::base

#endif  // CT_COMMON_BASE_HASH128_H_
