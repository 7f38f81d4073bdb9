// The sharded reduce: the counts of DESIGN.md §3 in bounded memory.
//
// Tallies keep their name sets sorted by hash, so the names of one hash
// range are a contiguous slice of every set. The reduce runs in three steps:
//   1. ReduceWithoutNames reads every directory's tally without its sets
//      (OracleReader) and counts what needs no names: certificates, issued
//      per day, issuer names and organizations, errors. It also adds up how
//      many hashes the active tallies hold, the input to ChooseShardCount.
//   2. CountShard, once per shard (a ShardTask: on threads here, or as a task
//      on the workers), reads the slices of its hash range from every active
//      tally and counts the distinct names per issuer, per organization and
//      in total.
//   3. AddShardCounts sums the shards' counts into step 1's statistics. The
//      shards partition the hash space, so a name falls in exactly one shard
//      and the sums equal the unions an unsharded reduce counts.
//
// Memory: step 1 holds the per-issuer, per-day counts (independent of the
// number of certificates). A shard holds, for one of its three name kinds at
// a time, the slices of its range from every active tally, reserved at their
// exact size from a MemoryBudget before they are read: 16 bytes per hash.
#ifndef CT_COMMON_REDUCE_SHARD_REDUCER_H_
#define CT_COMMON_REDUCE_SHARD_REDUCER_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/base/memory_budget.h"
#include "common/reduce/shard_queue.h"
#include "common/reduce/tally_reducer.h"
#include "common/tally/hash_range.h"
#include "proto/coordination.pb.h"

namespace ctmr::reduce {

// Whether a shard's `counts` (from a worker) can be the counts of `task`:
// one entry per issuer of the task, in its order; organizations among the
// task's; per name kind, no issuer above its `records` (when given), no
// organization above the sum of its issuers nor below any of them, the total
// likewise over the organizations. InvalidArgument naming the first breach.
absl::Status CheckShardCounts(const ShardTask& task, const ShardCounts& counts,
                              const IssuerNameRecords& records);

// One directory's tally: input_dir/name.
struct ReduceInput {
  std::string name;  // "YYYY-MM-DD"
  bool active = false;
};

struct ReduceBase {
  ReduceStats stats;                       // distinct name counts still zero
  std::vector<std::string> active_inputs;  // names of the active tallies read
  // Tallies that could not be read, and why.
  std::vector<std::pair<std::string, absl::Status>> failed;
  // Per NameSet: the hashes the active tallies hold, counted once per
  // directory and issuer that holds them (what the shards read, together).
  std::array<uint64_t, 3> name_records = {0, 0, 0};
  // The same per issuer id: no shard can count more distinct names of an
  // issuer (ShardQueue::Check).
  IssuerNameRecords issuer_name_records;
};

// Step 1 over input_dir/<name> for each input. A tally that is missing or of
// another format is not counted (its directory is not mapped); one that
// cannot be read — no valid trailer, or, for an active one, a checksum that
// does not match — is listed in `failed` and left out.
ReduceBase ReduceWithoutNames(const std::string& input_dir, const std::vector<ReduceInput>& inputs);

// The most shards a reduce starts with: each is a task the coordinator holds
// (inputs and issuers included), so a budget far too small for the corpus
// must not make millions. A shard that then does not fit is split
// (SplitPieces), or the reduce fails naming the sizes.
inline constexpr uint32_t kMaxShards = 65536;

// The fewest shards such that `parallelism` shards at once each fit in
// budget_bytes / parallelism, with 25% headroom for the uneven split of the
// hashes; at least 1, at most kMaxShards.
uint32_t ChooseShardCount(const ReduceBase& base, uint64_t budget_bytes, int parallelism);

// The task of one shard: the active tallies of `base` in `input_dir`, and
// each counted issuer with its organization.
ShardTask MakeShardTask(const ReduceBase& base, const std::string& input_dir,
                        const tally::HashRange& range);

// Step 2. Finds how many hashes of its range each tally holds, then, one name
// kind at a time, reserves them from `budget` (waiting while other shards
// hold it), reads and counts them. `needed_bytes`, when given, is set to the
// most it reserves at once; ResourceExhausted, before anything is read, when
// that exceeds the whole budget (split the range: SplitPieces). DataLoss for
// a tally that is corrupt, Aborted for one that changed while it was read.
absl::StatusOr<ShardCounts> CountShard(const ShardTask& task, base::MemoryBudget* budget,
                                       uint64_t* needed_bytes = nullptr);

// How many pieces to cut a shard into that needs `needed_bytes` of a budget
// of `capacity` (with the 25% headroom of ChooseShardCount); `parent_needed`
// is what the shard it was cut from needed (0 for none). ResourceExhausted
// when splitting cannot help: the pieces did not get smaller (one hash held
// by more tallies than the budget takes), or it would take more than 4096.
absl::StatusOr<uint32_t> SplitPieces(uint64_t needed_bytes, uint64_t capacity,
                                     uint64_t parent_needed);

// Step 3: adds one shard's counts to the issuers, organizations and totals of
// `stats`. Internal error for an issuer or organization `stats` lacks.
absl::Status AddShardCounts(const ShardCounts& counts, ReduceStats* stats);

// Steps 2 and 3 in this process: counts every shard of `queue` on `threads`
// threads within `budget`, adding to `stats`; `whole` is MakeShardTask over
// the full range. The first error stops the threads and is returned.
absl::Status CountQueueInProcess(const ShardTask& whole, ShardQueue* queue, int threads,
                                 base::MemoryBudget* budget, ReduceStats* stats);

// The same: `shards` equal ranges counted on `threads`
// threads from a ShardQueue; a range that does not fit the budget is split
// (ShardQueue::TooLarge).
absl::StatusOr<ShardRunStats> CountShardsInProcess(const std::string& input_dir, uint32_t shards,
                                                   int threads, base::MemoryBudget* budget,
                                                   ReduceBase* base);

}  // namespace ctmr::reduce

#endif  // CT_COMMON_REDUCE_SHARD_REDUCER_H_
