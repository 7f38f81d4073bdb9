// The one reduce driver: what `ct-coordinator reduce`, `report` and `run` do
// to count a data root's tallies as of a date, within a memory limit.
//   1. Pin the tallies: TallySnapshot under ROOT/state/reduce/<id>/ (or, when
//      allowed and ROOT/state cannot take it, under $TMPDIR).
//   2. ReduceWithoutNames: everything but the distinct names.
//   3. Choose the shard count (unless given) from what one shard may hold.
//   4. Count the shards through a ShardCounter (threads here, or shard tasks
//      on the workers), each from the one ShardQueue.
// The callers differ only in which directories they pass, where the shards
// are counted, and what they do with the result (the report is theirs).
#ifndef CT_COMMON_REDUCE_REDUCE_DRIVER_H_
#define CT_COMMON_REDUCE_REDUCE_DRIVER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/base/memory_budget.h"
#include "common/map/data_root.h"
#include "common/reduce/shard_queue.h"
#include "common/reduce/shard_reducer.h"
#include "proto/coordination.pb.h"

namespace ctmr::reduce {

// Where shards are counted.
class ShardCounter {
 public:
  virtual ~ShardCounter() = default;
  // The most one shard may hold. May wait (the coordinator waits for a
  // worker to announce its budget); Cancelled when stopped meanwhile.
  virtual absl::StatusOr<uint64_t> ShardCapacity() = 0;
  // How many shards are counted at once (ChooseShardCount's parallelism).
  virtual int Parallelism() const = 0;
  // Counts every shard of `queue` until it is finished, adding the counts to
  // `stats`: a shard's task is TaskForRange(whole, its range). A shard that
  // does not fit goes back through ShardQueue::TooLarge. The first error
  // ends the reduce.
  virtual absl::Status CountAll(const ShardTask& whole, ShardQueue* queue, ReduceStats* stats) = 0;
};

// Counts shards on `threads` threads of this process within `budget` (not
// owned): CountShardsInProcess.
class InProcessShardCounter : public ShardCounter {
 public:
  InProcessShardCounter(int threads, base::MemoryBudget* budget)
      : threads_(threads), budget_(budget) {}
  absl::StatusOr<uint64_t> ShardCapacity() override { return budget_->capacity(); }
  int Parallelism() const override { return threads_; }
  absl::Status CountAll(const ShardTask& whole, ShardQueue* queue, ReduceStats* stats) override;

 private:
  const int threads_;
  base::MemoryBudget* const budget_;
};

struct ReduceRequest {
  std::string data_dir;
  std::string id;  // the snapshot's name: ROOT/state/reduce/<id>
  // When ROOT/state cannot hold the snapshot (a data root this user may only
  // read), take it under $TMPDIR/ct-<id> instead of failing.
  bool snapshot_in_tmp_if_needed = false;
  std::vector<const map::DateDirectory*> dirs;  // the directories to count
  int32_t as_of = 0;                            // days since 1970-01-01
  int window_days = 0;                          // 0: no window
  uint32_t shards = 0;                          // 0: ChooseShardCount
  // When non-zero: FailedPrecondition if this process is above it once the
  // counts without names are held (they alone would break the limit).
  uint64_t resident_limit = 0;
};

struct ReduceOutcome {
  ReduceStats stats;
  // Tallies that could not be read, and why: not counted.
  std::vector<std::pair<std::string, absl::Status>> failed;
  std::string snapshot_folder;
  bool pinned = true;  // false: the snapshot holds symbolic links (TallySnapshot)
  size_t inputs = 0;   // directories with a tally
  size_t active_inputs = 0;
  uint32_t shards = 0;  // the shard count chosen (before splits)
  ShardRunStats run;
};

// Steps 1 to 4. An error means nothing could be counted; a directory whose
// tally cannot be read is listed in `failed` and left out.
absl::StatusOr<ReduceOutcome> RunReduce(const ReduceRequest& request, ShardCounter* counter);

}  // namespace ctmr::reduce

#endif  // CT_COMMON_REDUCE_REDUCE_DRIVER_H_
