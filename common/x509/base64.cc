#include "common/x509/base64.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace ctmr::x509 {
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

// The fast path's tables: each alphabet character's six bits already shifted
// into place for its position in a quantum, everything else flagged in bit 24,
// so four lookups and three ORs decode a quantum and one test checks it.
constexpr uint32_t kNotAlphabet = 1u << 24;
constexpr std::array<uint32_t, 256> MakeShifted(int shift) {
  std::array<uint32_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = kTable[c] < 64 ? uint32_t{kTable[c]} << shift : kNotAlphabet;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kShift18 = MakeShifted(18);
constexpr std::array<uint32_t, 256> kShift12 = MakeShifted(12);
constexpr std::array<uint32_t, 256> kShift6 = MakeShifted(6);
constexpr std::array<uint32_t, 256> kShift0 = MakeShifted(0);

// Decodes 16 alphabet characters into 12 bytes at a time with SSSE3 (the
// nibble-lookup method described by Wojciech Mula), stopping before the first
// block that holds anything else (a line break, padding). Writes 16 bytes per
// block, so `dst` needs 4 bytes of slack. Returns the characters consumed.
__attribute__((target("ssse3"))) size_t DecodeBlocksSsse3(const uint8_t* src, size_t length,
                                                          char* dst) {
  // A byte is outside the alphabet iff kValidLow[low nibble] & kValidHigh[high nibble].
  const __m128i valid_low = _mm_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
  const __m128i valid_high = _mm_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10,
                                           0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  // Offset from character to value, by high nibble ('/' gets its own slot).
  const __m128i roll = _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m128i nibble_mask = _mm_set1_epi8(0x0f);
  const __m128i slash = _mm_set1_epi8('/');
  const __m128i pack_pairs = _mm_set1_epi32(0x01400140);
  const __m128i pack_quads = _mm_set1_epi32(0x00011000);
  const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  size_t done = 0;
  while (length - done >= 16) {
    const __m128i in = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + done));
    const __m128i high = _mm_and_si128(_mm_srli_epi32(in, 4), nibble_mask);
    const __m128i low = _mm_and_si128(in, nibble_mask);
    const __m128i bad =
        _mm_and_si128(_mm_shuffle_epi8(valid_low, low), _mm_shuffle_epi8(valid_high, high));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad, _mm_setzero_si128())) != 0xffff) break;
    const __m128i is_slash = _mm_cmpeq_epi8(in, slash);
    const __m128i values = _mm_add_epi8(in, _mm_shuffle_epi8(roll, _mm_add_epi8(is_slash, high)));
    const __m128i pairs = _mm_maddubs_epi16(values, pack_pairs);
    const __m128i quads = _mm_madd_epi16(pairs, pack_quads);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_shuffle_epi8(quads, order));
    dst += 12;
    done += 16;
  }
  return done;
}

// The same with AVX2, 32 characters into 24 bytes; writes 32 bytes per block.
__attribute__((target("avx2"))) size_t DecodeBlocksAvx2(const uint8_t* src, size_t length,
                                                        char* dst) {
  const __m256i valid_low =
      _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b,
                       0x1b, 0x1b, 0x1a, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                       0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
  const __m256i valid_high =
      _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10,
                       0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10,
                       0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  const __m256i roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i nibble_mask = _mm256_set1_epi8(0x0f);
  const __m256i slash = _mm256_set1_epi8('/');
  const __m256i pack_pairs = _mm256_set1_epi32(0x01400140);
  const __m256i pack_quads = _mm256_set1_epi32(0x00011000);
  const __m256i order = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2,
                                         1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  // Moves the two lanes' 12 bytes together.
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
  size_t done = 0;
  while (length - done >= 32) {
    const __m256i in = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + done));
    const __m256i high = _mm256_and_si256(_mm256_srli_epi32(in, 4), nibble_mask);
    const __m256i low = _mm256_and_si256(in, nibble_mask);
    const __m256i bad = _mm256_and_si256(_mm256_shuffle_epi8(valid_low, low),
                                         _mm256_shuffle_epi8(valid_high, high));
    if (!_mm256_testz_si256(bad, bad)) break;
    const __m256i is_slash = _mm256_cmpeq_epi8(in, slash);
    const __m256i values =
        _mm256_add_epi8(in, _mm256_shuffle_epi8(roll, _mm256_add_epi8(is_slash, high)));
    const __m256i pairs = _mm256_maddubs_epi16(values, pack_pairs);
    const __m256i quads = _mm256_madd_epi16(pairs, pack_quads);
    const __m256i packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(quads, order), lanes);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), packed);
    dst += 24;
    done += 32;
  }
  return done;
}

const bool kHaveSsse3 = __builtin_cpu_supports("ssse3");
const bool kHaveAvx2 = __builtin_cpu_supports("avx2");

// Decodes into dst, which has room for Base64DecodeBound(text.size()) bytes.
// Returns the decoded length, or -1 when `text` is not base64. kStrict refuses
// whitespace and non-zero unused bits (the canonical form only); otherwise PEM's
// line breaks are skipped and unused bits ignored, as OpenSSL does.
template <bool kStrict>
long DecodeInto(std::string_view text, char* dst_start) {
  char* dst = dst_start;
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const auto* end = p + text.size();
  uint32_t acc = 0;
  int quantum = 0;
  int padding = 0;
  while (p < end) {
    // Fast path: four alphabet characters in a row (PEM lines are 64 of them).
    if (quantum == 0) {
      if (kHaveAvx2) {
        const size_t n = DecodeBlocksAvx2(p, static_cast<size_t>(end - p), dst);
        p += n;
        dst += n / 4 * 3;
      }
      if (kHaveSsse3) {
        const size_t n = DecodeBlocksSsse3(p, static_cast<size_t>(end - p), dst);
        p += n;
        dst += n / 4 * 3;
      }
      while (end - p >= 4) {
        const uint32_t v = kShift18[p[0]] | kShift12[p[1]] | kShift6[p[2]] | kShift0[p[3]];
        if (v & kNotAlphabet) break;
        dst[0] = static_cast<char>(v >> 16);
        dst[1] = static_cast<char>(v >> 8);
        dst[2] = static_cast<char>(v);
        dst += 3;
        p += 4;
      }
      if (p == end) break;
    }
    const uint8_t v = kTable[*p++];
    if (v == kSpace && !kStrict) continue;
    if (v == kInvalid || v == kSpace) return -1;
    if (v == kPad) {
      if (quantum < 2) return -1;
      ++padding;
      ++quantum;
    } else {
      if (padding > 0) return -1;  // data after padding
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
        if (kStrict && (acc & 0x3) != 0) return -1;
        dst[0] = static_cast<char>(acc >> 10);
        dst[1] = static_cast<char>(acc >> 2);
        dst += 2;
      } else {
        if (kStrict && (acc & 0xf) != 0) return -1;
        dst[0] = static_cast<char>(acc >> 4);
        dst += 1;
      }
      acc = 0;
      quantum = 0;
      if (padding > 0) {
        // Only whitespace (none when strict) may follow the padded final quantum.
        while (!kStrict && p < end && kTable[*p] == kSpace) ++p;
        if (p != end) return -1;
      }
    }
  }
  if (quantum != 0) return -1;
  return dst - dst_start;
}

}  // namespace

bool DecodeBase64(std::string_view text, std::string* out) {
  const size_t start = out->size();
  out->resize(start + Base64DecodeBound(text.size()));
  const long n = DecodeInto<false>(text, out->data() + start);
  if (n < 0) return false;
  out->resize(start + static_cast<size_t>(n));
  return true;
}

bool DecodeBase64Reusing(std::string_view text, std::string* buffer, std::string_view* decoded) {
  const size_t need = Base64DecodeBound(text.size());
  // Grow only: resize() zero-fills, which would cost as much as the decoding.
  if (buffer->size() < need) buffer->resize(std::max(need, 2 * buffer->size()));
  const long n = DecodeInto<false>(text, buffer->data());
  if (n < 0) return false;
  *decoded = std::string_view(buffer->data(), static_cast<size_t>(n));
  return true;
}

long DecodeBase64StrictInto(std::string_view text, char* dst) {
  return DecodeInto<true>(text, dst);
}

}  // namespace ctmr::x509
