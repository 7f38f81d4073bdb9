#include "common/reduce/shard_queue.h"

#include <algorithm>
#include <utility>

#include "common/reduce/shard_reducer.h"

namespace ctmr::reduce {

ShardQueue::ShardQueue(uint32_t shards, IssuerNameRecords records) : records_(std::move(records)) {
  shards = std::max<uint32_t>(1, shards);
  for (uint32_t s = 0; s < shards; ++s) queued_.push_back(Shard{tally::ShardRange(s, shards), 0});
}

std::optional<ShardQueue::Shard> ShardQueue::Take() {
  if (queued_.empty()) return std::nullopt;
  Shard next = queued_.front();
  queued_.pop_front();
  ++running_;
  return next;
}

absl::Status ShardQueue::Counted(const ShardCounts& counts, ReduceStats* stats) {
  --running_;
  ++stats_.shards;
  stats_.peak_reserved = std::max<uint64_t>(stats_.peak_reserved, counts.reserved_bytes());
  return AddShardCounts(counts, stats);
}

absl::StatusOr<uint32_t> ShardQueue::TooLarge(const Shard& shard, uint64_t needed_bytes,
                                              uint64_t capacity) {
  --running_;
  absl::StatusOr<uint32_t> pieces = SplitPieces(needed_bytes, capacity, shard.parent_needed);
  if (!pieces.ok()) return pieces.status();
  ++stats_.splits;
  for (const tally::HashRange& r : tally::SplitRange(shard.range, *pieces)) {
    queued_.push_back(Shard{r, needed_bytes});
  }
  return *pieces;
}

void ShardQueue::Failed() { --running_; }

absl::Status ShardQueue::Check(const ShardTask& task, const ShardCounts& counts) const {
  return CheckShardCounts(task, counts, records_);
}

ShardTask TaskForRange(const ShardTask& whole, const tally::HashRange& range) {
  ShardTask task = whole;
  task.set_first(tally::EncodeHash(range.first));
  task.set_last(tally::EncodeHash(range.last));
  return task;
}

}  // namespace ctmr::reduce
