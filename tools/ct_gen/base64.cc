#include "tools/ct_gen/base64.h"

#include <cstdint>

namespace ctgen {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Encodes `data` into `dst` (which has room for 4*ceil(n/3) chars); returns
// the number of characters written.
size_t Encode(const char* alphabet, bool pad, const uint8_t* src, size_t n, char* dst) {
  char* p = dst;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8) | src[i + 2];
    p[0] = alphabet[v >> 18];
    p[1] = alphabet[(v >> 12) & 63];
    p[2] = alphabet[(v >> 6) & 63];
    p[3] = alphabet[v & 63];
    p += 4;
  }
  if (i < n) {
    uint32_t v = uint32_t{src[i]} << 16;
    if (i + 1 < n) v |= uint32_t{src[i + 1]} << 8;
    *p++ = alphabet[v >> 18];
    *p++ = alphabet[(v >> 12) & 63];
    if (i + 1 < n) {
      *p++ = alphabet[(v >> 6) & 63];
    } else if (pad) {
      *p++ = '=';
    }
    if (pad) *p++ = '=';
  }
  return static_cast<size_t>(p - dst);
}

}  // namespace

void AppendBase64Lines(std::string_view data, std::string* out) {
  const auto* src = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  size_t start = out->size();
  size_t encoded = (n + 2) / 3 * 4;
  out->resize(start + encoded + encoded / 64 + 1);
  char* dst = out->data() + start;
  // 48 input bytes make one 64-character line.
  for (size_t i = 0; i < n; i += 48) {
    size_t chunk = n - i < 48 ? n - i : 48;
    dst += Encode(kStd, true, src + i, chunk, dst);
    *dst++ = '\n';
  }
  out->resize(static_cast<size_t>(dst - out->data()));
}

std::string Base64UrlNoPad(std::string_view data) {
  std::string out((data.size() + 2) / 3 * 4, '\0');
  size_t len =
      Encode(kUrl, false, reinterpret_cast<const uint8_t*>(data.data()), data.size(), out.data());
  out.resize(len);
  return out;
}

}  // namespace ctgen
