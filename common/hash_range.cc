#include "common/hash_range.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace ctmr {
namespace {

using U128 = unsigned __int128;

U128 ToU128(const Hash128& h) { return (static_cast<U128>(h.high) << 64) | h.low; }
Hash128 FromU128(U128 v) {
  return Hash128{static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v)};
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

std::optional<std::pair<HashRange, HashRange>> SplitRange(const HashRange& range) {
  const U128 first = ToU128(range.first);
  const U128 last = ToU128(range.last);
  if (first >= last) return std::nullopt;
  const U128 mid = first + (last - first) / 2;
  return std::make_pair(HashRange{range.first, FromU128(mid)},
                        HashRange{FromU128(mid + 1), range.last});
}

double RangeFraction(const HashRange& range) {
  const U128 width_minus_one = ToU128(range.last) - ToU128(range.first);
  return (static_cast<double>(width_minus_one) + 1.0) / 0x1p128;
}

std::optional<Hash128> NextHash(const Hash128& h) {
  if (h == kMaxHash) return std::nullopt;
  return FromU128(ToU128(h) + 1);
}

std::string DescribeRange(const HashRange& range) {
  return absl::StrFormat("%016x…-%016x…", range.first.high, range.last.high);
}

std::string EncodeHash(const Hash128& h) {
  std::string out;
  AppendHash(h, &out);
  return out;
}

absl::StatusOr<HashRange> DecodeRange(std::string_view first, std::string_view last) {
  if (first.size() != 16 || last.size() != 16) {
    return absl::InvalidArgumentError("a hash range bound is not 16 bytes");
  }
  HashRange r{ReadHash(first.data()), ReadHash(last.data())};
  if (r.last < r.first) return absl::InvalidArgumentError("a hash range ends before it starts");
  return r;
}

}  // namespace ctmr
