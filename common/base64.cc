#include "common/base64.h"

#include <array>
#include <cstdint>

namespace ctmr {
namespace {

constexpr uint8_t kInvalid = 0xff;
constexpr uint8_t kSpace = 0xfe;
constexpr uint8_t kPad = 0xfd;

constexpr std::array<uint8_t, 256> MakeTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(alphabet[i])] = static_cast<uint8_t>(i);
  for (char c : {' ', '\t', '\r', '\n', '\v', '\f'}) t[static_cast<uint8_t>(c)] = kSpace;
  t['='] = kPad;
  return t;
}

constexpr std::array<uint8_t, 256> kTable = MakeTable();

}  // namespace

bool DecodeBase64(std::string_view text, std::string* out) {
  const size_t start = out->size();
  out->resize(start + text.size() / 4 * 3 + 3);
  char* dst = out->data() + start;
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const auto* end = p + text.size();
  uint32_t acc = 0;
  int quantum = 0;
  int padding = 0;
  while (p < end) {
    // Fast path: four alphabet characters in a row (PEM lines are 64 of them).
    if (quantum == 0 && end - p >= 4) {
      const uint8_t a = kTable[p[0]], b = kTable[p[1]], c = kTable[p[2]], d = kTable[p[3]];
      if ((a | b | c | d) < 64) {
        const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
        dst[0] = static_cast<char>(v >> 16);
        dst[1] = static_cast<char>(v >> 8);
        dst[2] = static_cast<char>(v);
        dst += 3;
        p += 4;
        continue;
      }
    }
    const uint8_t v = kTable[*p++];
    if (v == kSpace) continue;
    if (v == kInvalid) return false;
    if (v == kPad) {
      if (quantum < 2) return false;
      ++padding;
      ++quantum;
    } else {
      if (padding > 0) return false;  // data after padding
      acc = (acc << 6) | v;
      ++quantum;
    }
    if (quantum == 4) {
      if (padding == 0) {
        dst[0] = static_cast<char>(acc >> 16);
        dst[1] = static_cast<char>(acc >> 8);
        dst[2] = static_cast<char>(acc);
        dst += 3;
      } else if (padding == 1) {
        dst[0] = static_cast<char>(acc >> 10);
        dst[1] = static_cast<char>(acc >> 2);
        dst += 2;
      } else {
        dst[0] = static_cast<char>(acc >> 4);
        dst += 1;
      }
      acc = 0;
      quantum = 0;
      if (padding > 0) {
        // Only whitespace may follow the padded final quantum.
        while (p < end && kTable[*p] == kSpace) ++p;
        if (p != end) return false;
      }
    }
  }
  if (quantum != 0) return false;
  out->resize(static_cast<size_t>(dst - out->data()));
  return true;
}

}  // namespace ctmr
