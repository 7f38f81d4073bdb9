// Rng: SplitMix64, a small deterministic generator. ct-gen uses it instead of
// <random> distributions, whose output differs between standard libraries, so
// the same seed gives the same corpus everywhere.
#ifndef CT_TOOLS_CT_GEN_RNG_H_
#define CT_TOOLS_CT_GEN_RNG_H_

#include <cstdint>

namespace ctgen {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) for n > 0 (the modulo bias is irrelevant here).
  uint64_t Below(uint64_t n) { return Next() % n; }
  // True with probability percent / 100.
  bool Percent(int percent) { return Below(100) < static_cast<uint64_t>(percent); }

 private:
  uint64_t state_;
};

// Mixes two values into one seed.
inline uint64_t MixSeed(uint64_t a, uint64_t b) {
  Rng r(a ^ (b * 0xd1b54a32d192ed03ULL));
  return r.Next();
}

}  // namespace ctgen

#endif  // CT_TOOLS_CT_GEN_RNG_H_
