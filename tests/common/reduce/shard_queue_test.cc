#include "common/reduce/shard_queue.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <vector>

namespace ctmr::reduce {
namespace {

// Every range handed out, in order, while the queue is drained by a caller
// that splits the shards `too_large` says and counts the others.
std::vector<tally::HashRange> Drain(ShardQueue* queue,
                                    const std::function<bool(const tally::HashRange&)>& too_large,
                                    uint64_t needed, uint64_t capacity) {
  std::vector<tally::HashRange> counted;
  ReduceStats stats;
  while (std::optional<ShardQueue::Shard> shard = queue->Take()) {
    if (too_large(shard->range)) {
      EXPECT_TRUE(queue->TooLarge(*shard, needed, capacity).ok());
      continue;
    }
    EXPECT_TRUE(queue->Counted(ShardCounts(), &stats).ok());
    counted.push_back(shard->range);
  }
  return counted;
}

TEST(ShardQueueTest, EqualRangesInOrderThenFinished) {
  ShardQueue queue(4);
  EXPECT_FALSE(queue.finished());
  std::vector<tally::HashRange> counted = Drain(
      &queue, [](const tally::HashRange&) { return false; }, 0, 0);
  ASSERT_EQ(counted.size(), 4u);
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(counted[i].first, tally::ShardRange(i, 4).first);
    EXPECT_EQ(counted[i].last, tally::ShardRange(i, 4).last);
  }
  EXPECT_TRUE(queue.finished());
  EXPECT_EQ(queue.stats().shards, 4u);
  EXPECT_EQ(queue.stats().splits, 0u);
}

TEST(ShardQueueTest, ZeroShardsMeansOne) {
  ShardQueue queue(0);
  ASSERT_TRUE(queue.Take().has_value());
  EXPECT_FALSE(queue.Take().has_value());
  EXPECT_FALSE(queue.finished());  // one is running
}

TEST(ShardQueueTest, ATooLargeShardIsSplitIntoPiecesThatCoverIt) {
  ShardQueue queue(2);
  const tally::HashRange first = tally::ShardRange(0, 2);
  // The first shard needs 3 MiB of a 1 MiB capacity: 4 pieces (25% headroom).
  std::vector<tally::HashRange> counted = Drain(
      &queue,
      [&](const tally::HashRange& r) { return r.first == first.first && r.last == first.last; },
      3 << 20, 1 << 20);
  ASSERT_EQ(counted.size(), 5u);  // the second shard, then the 4 pieces
  EXPECT_EQ(counted[1].first, first.first);
  EXPECT_EQ(counted[4].last, first.last);
  for (size_t i = 2; i < counted.size(); ++i) {
    EXPECT_EQ(counted[i].first, *tally::NextHash(counted[i - 1].last)) << i;
  }
  EXPECT_EQ(queue.stats().splits, 1u);
  EXPECT_EQ(queue.stats().shards, 5u);
  EXPECT_TRUE(queue.finished());
}

TEST(ShardQueueTest, APieceNoSmallerThanHalfItsParentEndsTheReduce) {
  ShardQueue queue(1);
  ShardQueue::Shard shard = *queue.Take();
  ASSERT_TRUE(queue.TooLarge(shard, 4 << 20, 1 << 20).ok());
  ShardQueue::Shard piece = *queue.Take();
  EXPECT_EQ(piece.parent_needed, 4u << 20);
  // Its hashes are all in one place: the piece needs as much as its parent.
  absl::StatusOr<uint32_t> again = queue.TooLarge(piece, 4 << 20, 1 << 20);
  EXPECT_TRUE(absl::IsResourceExhausted(again.status())) << again.status();
}

TEST(ShardQueueTest, CountsAreAddedAndThePeakKept) {
  ShardQueue queue(2);
  ReduceStats stats;
  ShardCounts a, b;
  a.mutable_totals()->set_fqdns(3);
  a.set_reserved_bytes(100);
  b.mutable_totals()->set_fqdns(4);
  b.set_reserved_bytes(70);
  queue.Take();
  queue.Take();
  ASSERT_TRUE(queue.Counted(a, &stats).ok());
  ASSERT_TRUE(queue.Counted(b, &stats).ok());
  EXPECT_EQ(stats.totals.fqdns, 7u);
  EXPECT_EQ(queue.stats().peak_reserved, 100u);
  EXPECT_TRUE(queue.finished());
}

TEST(ShardQueueTest, TaskForRangeKeepsTheInputsAndSetsTheRange) {
  ShardTask whole;
  whole.set_input_dir("/snapshot");
  const tally::HashRange range = tally::ShardRange(1, 3);
  const ShardTask task = TaskForRange(whole, range);
  EXPECT_EQ(task.input_dir(), "/snapshot");
  EXPECT_EQ(task.first(), tally::EncodeHash(range.first));
  EXPECT_EQ(task.last(), tally::EncodeHash(range.last));
}

}  // namespace
}  // namespace ctmr::reduce
