// ShardQueue: the hash ranges of a sharded reduce still to count, and the one
// rule for a shard that does not fit its memory budget (SplitPieces: cut it
// into pieces, queued behind the others). Both ways of counting shards run
// on it: CountShardsInProcess's threads, and the shard tasks `ct-coordinator
// run` hands to workers.
//
// States of a shard: queued (Take gives it out) → running → counted (Counted),
// or split (TooLarge: its pieces are queued), or failed (Failed). The reduce
// is finished when nothing is queued or running.
//
// Not thread-safe: the in-process runner holds a mutex around it; the
// coordinator's loop is single-threaded.
#ifndef CT_COMMON_REDUCE_SHARD_QUEUE_H_
#define CT_COMMON_REDUCE_SHARD_QUEUE_H_

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/reduce/tally_reducer.h"
#include "common/tally/hash_range.h"
#include "proto/coordination.pb.h"

namespace ctmr::reduce {

// Per issuer id, per NameSet (tally::NameSet's order): the hashes the active
// tallies hold.
using IssuerNameRecords = std::map<std::string, std::array<uint64_t, 3>>;

struct ShardRunStats {
  uint64_t shards = 0;         // counted, including the pieces of split ones
  uint64_t splits = 0;         // shards that did not fit the budget and were split
  uint64_t peak_reserved = 0;  // the most one shard held of its budget
};

class ShardQueue {
 public:
  struct Shard {
    tally::HashRange range;
    uint64_t parent_needed = 0;  // what the shard it was cut from needed; 0 for none
  };

  // `shards` (at least 1) equal ranges of the hash space, queued. `records`
  // bounds what a shard may count (Check); empty: no bound per issuer.
  explicit ShardQueue(uint32_t shards, IssuerNameRecords records = {});

  // Whether counts a worker sent for `task` can be right (CheckShardCounts):
  // a shard task whose counts fail it is a failed attempt, not a count.
  absl::Status Check(const ShardTask& task, const ShardCounts& counts) const;

  // The next queued shard, now running; nullopt when none is queued.
  std::optional<Shard> Take();

  // A running shard was counted: its counts are added to `stats`
  // (AddShardCounts; Internal for an issuer or organization `stats` lacks).
  absl::Status Counted(const ShardCounts& counts, ReduceStats* stats);
  // A running shard needs `needed_bytes`, more than `capacity`: its pieces
  // are queued and their number returned. ResourceExhausted when splitting
  // cannot help (SplitPieces); the reduce has then failed.
  absl::StatusOr<uint32_t> TooLarge(const Shard& shard, uint64_t needed_bytes, uint64_t capacity);
  // A running shard failed for any other reason: the reduce has failed.
  void Failed();

  bool has_queued() const { return !queued_.empty(); }
  uint64_t running() const { return running_; }
  bool finished() const { return queued_.empty() && running_ == 0; }
  const ShardRunStats& stats() const { return stats_; }

 private:
  const IssuerNameRecords records_;
  std::deque<Shard> queued_;
  uint64_t running_ = 0;
  ShardRunStats stats_;
};

// The task of `shard`: `whole` (MakeShardTask over the full range) with the
// shard's range.
ShardTask TaskForRange(const ShardTask& whole, const tally::HashRange& range);

}  // namespace ctmr::reduce

#endif  // CT_COMMON_REDUCE_SHARD_QUEUE_H_
