#include "common/tally/hash_range.h"

#include <gtest/gtest.h>

#include <random>

namespace ctmr::tally {
namespace {

TEST(HashRangeTest, OneShardIsTheWholeSpace) {
  const HashRange r = ShardRange(0, 1);
  EXPECT_EQ(r.first, kMinHash);
  EXPECT_EQ(r.last, kMaxHash);
  EXPECT_DOUBLE_EQ(RangeFraction(r), 1.0);
}

TEST(HashRangeTest, ShardsPartitionTheSpace) {
  for (uint32_t n : {2u, 3u, 7u, 16u, 1000u, 4294967295u}) {
    const HashRange first = ShardRange(0, n);
    EXPECT_EQ(first.first, kMinHash) << n;
    EXPECT_EQ(ShardRange(n - 1, n).last, kMaxHash) << n;
    // Adjacent shards touch: each starts one past where the one before ends.
    for (uint32_t i : {0u, n / 2, n - 2}) {
      if (i + 1 >= n) continue;
      const HashRange a = ShardRange(i, n);
      const HashRange b = ShardRange(i + 1, n);
      ASSERT_TRUE(a.first < a.last || a.first == a.last) << n << " " << i;
      EXPECT_EQ(NextHash(a.last), b.first) << n << " " << i;
    }
  }
}

TEST(HashRangeTest, EveryHashIsInExactlyOneShard) {
  std::mt19937_64 rng(5);
  for (uint32_t n : {1u, 3u, 16u, 255u}) {
    std::vector<int> hits(n);
    for (int k = 0; k < 20000; ++k) {
      const base::Hash128 h{rng(), rng()};
      int in = 0;
      for (uint32_t i = 0; i < n; ++i) {
        if (ShardRange(i, n).Contains(h)) {
          ++in;
          ++hits[i];
        }
      }
      ASSERT_EQ(in, 1);
    }
    // Uniform hashes spread evenly.
    for (uint32_t i = 0; i < n; ++i) EXPECT_NEAR(hits[i], 20000.0 / n, 20000.0 / n * 0.5 + 20);
  }
  EXPECT_TRUE(ShardRange(0, 3).Contains(kMinHash));
  EXPECT_TRUE(ShardRange(2, 3).Contains(kMaxHash));
  EXPECT_FALSE(ShardRange(1, 3).Contains(kMaxHash));
}

void ExpectPartition(const HashRange& range, const std::vector<HashRange>& pieces) {
  ASSERT_FALSE(pieces.empty());
  EXPECT_EQ(pieces.front().first, range.first);
  EXPECT_EQ(pieces.back().last, range.last);
  for (size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_FALSE(pieces[i].last < pieces[i].first) << i;
    if (i + 1 < pieces.size()) {
      EXPECT_EQ(NextHash(pieces[i].last), pieces[i + 1].first) << i;
    }
  }
}

TEST(HashRangeTest, SplitGivesAdjacentEqualPieces) {
  const HashRange whole = ShardRange(0, 1);
  std::vector<HashRange> halves = SplitRange(whole, 2);
  ASSERT_EQ(halves.size(), 2u);
  ExpectPartition(whole, halves);
  EXPECT_EQ(halves[0], ShardRange(0, 2));
  EXPECT_EQ(halves[1], ShardRange(1, 2));
  EXPECT_DOUBLE_EQ(RangeFraction(halves[0]), 0.5);
  EXPECT_EQ(SplitRange(whole, 1), std::vector<HashRange>{whole});
  for (uint32_t n : {3u, 7u, 13u, 4096u}) {
    const std::vector<HashRange> pieces = SplitRange(ShardRange(2, 5), n);
    ASSERT_EQ(pieces.size(), n);
    ExpectPartition(ShardRange(2, 5), pieces);
    for (const HashRange& p : pieces) {
      EXPECT_NEAR(RangeFraction(p), 0.2 / n, 1e-9 / n);
    }
  }
  // A range of two hashes splits in two at most.
  const HashRange two{base::Hash128{0, 7}, base::Hash128{0, 8}};
  std::vector<HashRange> tiny = SplitRange(two, 5);
  ASSERT_EQ(tiny.size(), 2u);
  EXPECT_EQ(tiny[0], (HashRange{base::Hash128{0, 7}, base::Hash128{0, 7}}));
  EXPECT_EQ(tiny[1], (HashRange{base::Hash128{0, 8}, base::Hash128{0, 8}}));
  EXPECT_EQ(SplitRange(tiny[0], 3).size(), 1u);
}

TEST(HashRangeTest, NextHashCarries) {
  EXPECT_EQ(NextHash(base::Hash128{1, ~uint64_t{0}}), (base::Hash128{2, 0}));
  EXPECT_FALSE(NextHash(kMaxHash).has_value());
}

TEST(HashRangeTest, WireFormRoundTripsAndIsChecked) {
  const HashRange r = ShardRange(5, 16);
  absl::StatusOr<HashRange> back = DecodeRange(EncodeHash(r.first), EncodeHash(r.last));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
  EXPECT_EQ(DecodeRange("short", EncodeHash(r.last)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeRange(EncodeHash(r.last), EncodeHash(r.first)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DescribeRange(ShardRange(0, 1)), "0000000000000000…-ffffffffffffffff…");
}

}  // namespace
}  // namespace ctmr::tally
