#include "common/base/hash128.h"

#include <xxhash.h>

namespace ctmr::base {

Hash128 HashBytes(std::string_view bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return Hash128{h.high64, h.low64};
}

Hasher128::Hasher128() : state_(XXH3_createState()) {
  XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}

Hasher128::~Hasher128() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void Hasher128::Update(std::string_view bytes) {
  XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), bytes.data(), bytes.size());
}

Hash128 Hasher128::Finish() const {
  const XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
  return Hash128{h.high64, h.low64};
}

void AppendHash(const Hash128& h, std::string* out) {
  char buf[16];
  for (int i = 0; i < 8; ++i) {
    buf[i] = static_cast<char>(h.high >> (56 - 8 * i));
    buf[8 + i] = static_cast<char>(h.low >> (56 - 8 * i));
  }
  out->append(buf, sizeof(buf));
}

Hash128 ReadHash(const char* p) {
  Hash128 h;
  for (int i = 0; i < 8; ++i) {
    h.high = (h.high << 8) | static_cast<uint8_t>(p[i]);
    h.low = (h.low << 8) | static_cast<uint8_t>(p[8 + i]);
  }
  return h;
}

}  // namespace ctmr::base
