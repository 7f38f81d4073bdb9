#include "common/map/hash_filter.h"

namespace ctmr::map {

HashFilter::HashFilter(uint64_t keys, uint64_t bits_per_key) {
  if (keys == 0 || bits_per_key == 0) return;
  blocks_ = (keys * bits_per_key + 511) / 512;
  words_.assign(blocks_ * kBlockWords, 0);
}

const uint64_t* HashFilter::BlockOf(const base::Hash128& h) const {
  const auto block =
      static_cast<uint64_t>((static_cast<unsigned __int128>(h.high) * blocks_) >> 64);
  return words_.data() + block * kBlockWords;
}

uint64_t* HashFilter::BlockOf(const base::Hash128& h) {
  return const_cast<uint64_t*>(static_cast<const HashFilter*>(this)->BlockOf(h));
}

void HashFilter::Add(const base::Hash128& h) {
  if (blocks_ == 0) return;
  uint64_t* block = BlockOf(h);
  for (int i = 0; i < kProbes; ++i) {
    const uint64_t bit = (h.low >> (9 * i)) & 511;
    block[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

bool HashFilter::MayContain(const base::Hash128& h) const {
  if (blocks_ == 0) return true;
  const uint64_t* block = BlockOf(h);
  for (int i = 0; i < kProbes; ++i) {
    const uint64_t bit = (h.low >> (9 * i)) & 511;
    if ((block[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) return false;
  }
  return true;
}

}  // namespace ctmr::map
