#include "common/tally/hash_range.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace ctmr::tally {
namespace {

using U128 = unsigned __int128;

U128 ToU128(const base::Hash128& h) { return (static_cast<U128>(h.high) << 64) | h.low; }
base::Hash128 FromU128(U128 v) {
  return base::Hash128{static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v)};
}

// floor(index * 2^64 / count), which is 2^64 for index == count.
U128 Boundary(uint32_t index, uint32_t count) { return (static_cast<U128>(index) << 64) / count; }

}  // namespace

HashRange ShardRange(uint32_t index, uint32_t count) {
  HashRange r;
  r.first = FromU128(Boundary(index, count) << 64);
  r.last = index + 1 >= count ? kMaxHash : FromU128((Boundary(index + 1, count) << 64) - 1);
  return r;
}

std::vector<HashRange> SplitRange(const HashRange& range, uint32_t pieces) {
  const U128 first = ToU128(range.first);
  const U128 span = ToU128(range.last) - first;  // the width less one, which always fits
  const U128 n = std::max<U128>(1, std::min<U128>(pieces, span + (span == ~U128{0} ? 0 : 1)));
  // Piece i starts at first + floor(i * width / n), computed without overflow
  // as first + i * q + floor(i * r / n), where width = q * n + r.
  const U128 q = span / n + (span % n + 1 == n ? 1 : 0);
  const U128 r = span % n + 1 == n ? 0 : span % n + 1;
  std::vector<HashRange> out;
  out.reserve(static_cast<size_t>(n));
  U128 start = first;
  for (U128 i = 1; i <= n; ++i) {
    const bool end = i == n;
    const U128 next = first + i * q + i * r / n;  // i * r < n * n <= 2^64
    out.push_back(HashRange{FromU128(start), end ? range.last : FromU128(next - 1)});
    start = next;
  }
  return out;
}

double RangeFraction(const HashRange& range) {
  const U128 width_minus_one = ToU128(range.last) - ToU128(range.first);
  return (static_cast<double>(width_minus_one) + 1.0) / 0x1p128;
}

std::optional<base::Hash128> NextHash(const base::Hash128& h) {
  if (h == kMaxHash) return std::nullopt;
  return FromU128(ToU128(h) + 1);
}

std::string DescribeRange(const HashRange& range) {
  return absl::StrFormat("%016x…-%016x…", range.first.high, range.last.high);
}

std::string EncodeHash(const base::Hash128& h) {
  std::string out;
  base::AppendHash(h, &out);
  return out;
}

absl::StatusOr<HashRange> DecodeRange(std::string_view first, std::string_view last) {
  if (first.size() != 16 || last.size() != 16) {
    return absl::InvalidArgumentError("a hash range bound is not 16 bytes");
  }
  HashRange r{base::ReadHash(first.data()), base::ReadHash(last.data())};
  if (r.last < r.first) return absl::InvalidArgumentError("a hash range ends before it starts");
  return r;
}

}  // namespace ctmr::tally
