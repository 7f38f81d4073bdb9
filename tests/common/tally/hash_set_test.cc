#include "common/tally/hash_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>

#include "common/base/hash128.h"

namespace ctmr::tally {
namespace {

HashSet RandomSet(std::mt19937_64* rng, size_t n) {
  HashSet set;
  for (size_t i = 0; i < n; ++i) set.push_back(base::Hash128{(*rng)(), (*rng)()});
  SortUnique(&set);
  return set;
}

std::string Encoded(const base::Hash128& h) {
  std::string out;
  base::AppendHash(h, &out);
  return out;
}

TEST(Hash128Test, HashBytesIsDeterministicAndSpreads) {
  EXPECT_EQ(base::HashBytes("example.com"), base::HashBytes(std::string("example.com")));
  EXPECT_NE(base::HashBytes("example.com"), base::HashBytes("example.org"));
  EXPECT_NE(base::HashBytes(""), base::HashBytes(std::string_view("\0", 1)));
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (int i = 0; i < 10000; ++i) {
    const base::Hash128 h = base::HashBytes("host" + std::to_string(i) + ".example.com");
    seen.insert({h.high, h.low});
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(Hash128Test, BigEndianLayout) {
  const base::Hash128 h{0x0102030405060708, 0x090a0b0c0d0e0f10};
  const std::string bytes = Encoded(h);
  ASSERT_EQ(bytes.size(), 16u);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(static_cast<uint8_t>(bytes[i]), i + 1) << i;
  EXPECT_EQ(base::ReadHash(bytes.data()), h);
  const base::Hash128 high_bits{0xff00000000000080, 0x80000000000000ff};
  EXPECT_EQ(base::ReadHash(Encoded(high_bits).data()), high_bits);
}

TEST(Hash128Test, ByteOrderEqualsOperatorLess) {
  std::mt19937_64 rng(7);
  std::vector<base::Hash128> values = {{0, 0},
                                       {0, 1},
                                       {1, 0},
                                       {0, ~uint64_t{0}},
                                       {~uint64_t{0}, 0},
                                       {~uint64_t{0}, ~uint64_t{0}},
                                       {0x80, 0},
                                       {0, 0x8000000000000000}};
  for (int i = 0; i < 200; ++i) {
    values.push_back(base::Hash128{rng(), rng()});
    // Pairs that differ only in the low word, or in one byte, test every position.
    values.push_back(base::Hash128{values.back().high, rng()});
    values.push_back(
        base::Hash128{values.back().high ^ (uint64_t{1} << (rng() % 64)), values.back().low});
  }
  for (const base::Hash128& a : values) {
    for (const base::Hash128& b : values) {
      const std::string ea = Encoded(a), eb = Encoded(b);
      const int cmp = std::memcmp(ea.data(), eb.data(), 16);
      ASSERT_EQ(a < b, cmp < 0);
      ASSERT_EQ(a == b, cmp == 0);
    }
  }
}

TEST(HashSetTest, SortUnique) {
  HashSet set = {{3, 1}, {1, 2}, {3, 1}, {1, 1}, {0, 9}, {1, 2}};
  SortUnique(&set);
  EXPECT_EQ(set, (HashSet{{0, 9}, {1, 1}, {1, 2}, {3, 1}}));
  HashSet empty;
  SortUnique(&empty);
  EXPECT_TRUE(empty.empty());
}

TEST(HashSetTest, EncodeDecodeRoundTrip) {
  std::mt19937_64 rng(1);
  for (size_t n : {0, 1, 2, 17, 1000}) {
    const HashSet set = RandomSet(&rng, n);
    const std::string bytes = EncodeHashSet(set);
    ASSERT_EQ(bytes.size(), set.size() * 16);
    absl::StatusOr<HashSet> decoded = DecodeHashSet(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, set);
  }
}

TEST(HashSetTest, EncodingIsSortedBytewise) {
  std::mt19937_64 rng(2);
  const HashSet set = RandomSet(&rng, 100);
  const std::string bytes = EncodeHashSet(set);
  for (size_t i = 16; i < bytes.size(); i += 16) {
    EXPECT_LT(std::memcmp(bytes.data() + i - 16, bytes.data() + i, 16), 0) << i;
  }
}

TEST(HashSetTest, PartialRecordIsDataLoss) {
  std::mt19937_64 rng(3);
  const std::string bytes = EncodeHashSet(RandomSet(&rng, 4));
  for (size_t cut : {1, 15, 17, 31, 63}) {
    absl::StatusOr<HashSet> decoded = DecodeHashSet(std::string_view(bytes).substr(0, cut));
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << cut;
  }
  EXPECT_EQ(DecodeHashSet(bytes + "x").status().code(), absl::StatusCode::kDataLoss);
}

TEST(HashSetTest, UnsortedOrDuplicateRecordsAreDataLoss) {
  const std::string ab = Encoded({0, 1}) + Encoded({0, 2});
  ASSERT_TRUE(DecodeHashSet(ab).ok());
  EXPECT_EQ(DecodeHashSet(Encoded({0, 2}) + Encoded({0, 1})).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHashSet(Encoded({1, 0}) + Encoded({0, 9})).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeHashSet(Encoded({0, 1}) + Encoded({0, 1})).status().code(),
            absl::StatusCode::kDataLoss);
  // Out of order only at the end.
  std::mt19937_64 rng(4);
  HashSet set = RandomSet(&rng, 50);
  std::string bytes = EncodeHashSet(set);
  base::AppendHash(set.front(), &bytes);
  EXPECT_EQ(DecodeHashSet(bytes).status().code(), absl::StatusCode::kDataLoss);
}

TEST(HashSetTest, UnionOf) {
  const HashSet a = {{0, 1}, {0, 3}, {2, 0}};
  const HashSet b = {{0, 2}, {0, 3}, {5, 5}};
  EXPECT_EQ(UnionOf(a, b), (HashSet{{0, 1}, {0, 2}, {0, 3}, {2, 0}, {5, 5}}));
  EXPECT_EQ(UnionOf(b, a), UnionOf(a, b));
  EXPECT_EQ(UnionOf(a, {}), a);
  EXPECT_EQ(UnionOf({}, b), b);
  EXPECT_EQ(UnionOf(a, a), a);
  EXPECT_TRUE(UnionOf({}, {}).empty());
}

TEST(HashSetTest, UnionOfMatchesStdSetOnRandomSets) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 20; ++round) {
    // Small value range, so the sets overlap.
    HashSet a, b;
    for (int i = 0; i < 200; ++i) a.push_back(base::Hash128{rng() % 4, rng() % 64});
    for (int i = 0; i < 150; ++i) b.push_back(base::Hash128{rng() % 4, rng() % 64});
    SortUnique(&a);
    SortUnique(&b);
    std::set<std::pair<uint64_t, uint64_t>> reference;
    for (const base::Hash128& h : a) reference.insert({h.high, h.low});
    for (const base::Hash128& h : b) reference.insert({h.high, h.low});
    const HashSet u = UnionOf(a, b);
    ASSERT_EQ(u.size(), reference.size());
    size_t i = 0;
    for (const auto& [high, low] : reference) EXPECT_EQ(u[i++], (base::Hash128{high, low}));
  }
}

TEST(HashSetTest, MergeInto) {
  const HashSet a = {{0, 1}, {0, 3}};
  const HashSet b = {{0, 2}, {0, 3}, {1, 0}};
  HashSet into = a;
  MergeInto(b, &into);
  EXPECT_EQ(into, (HashSet{{0, 1}, {0, 2}, {0, 3}, {1, 0}}));
  MergeInto(b, &into);  // idempotent
  EXPECT_EQ(into, (HashSet{{0, 1}, {0, 2}, {0, 3}, {1, 0}}));
  HashSet empty;
  MergeInto(a, &empty);
  EXPECT_EQ(empty, a);
  HashSet unchanged = b;
  MergeInto({}, &unchanged);
  EXPECT_EQ(unchanged, b);
}

TEST(HashSetTest, MergeIntoTreeEqualsOneUnion) {
  // A tree reduce with fan-in 3 gives the same set as merging everything at once.
  std::mt19937_64 rng(6);
  std::vector<HashSet> parts;
  HashSet all;
  for (int i = 0; i < 9; ++i) {
    HashSet part;
    for (int j = 0; j < 100; ++j) part.push_back(base::Hash128{0, rng() % 500});
    SortUnique(&part);
    all.insert(all.end(), part.begin(), part.end());
    parts.push_back(part);
  }
  SortUnique(&all);
  std::vector<HashSet> level;
  for (int i = 0; i < 9; i += 3) {
    HashSet merged;
    for (int j = i; j < i + 3; ++j) MergeInto(parts[j], &merged);
    level.push_back(merged);
  }
  HashSet total;
  for (const HashSet& s : level) MergeInto(s, &total);
  EXPECT_EQ(total, all);
  absl::StatusOr<HashSet> decoded = DecodeHashSet(EncodeHashSet(total));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, all);
}

}  // namespace
}  // namespace ctmr::tally
