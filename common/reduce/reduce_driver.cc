#include "common/reduce/reduce_driver.h"

#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/reduce/tally_snapshot.h"

namespace ctmr::reduce {
namespace {

absl::StatusOr<std::unique_ptr<TallySnapshot>> TakeSnapshot(const ReduceRequest& request) {
  absl::StatusOr<std::unique_ptr<TallySnapshot>> taken = TallySnapshot::Take(
      absl::StrCat(request.data_dir, "/state/reduce/", request.id), request.dirs);
  if (taken.ok() || !request.snapshot_in_tmp_if_needed) return taken;
  // A data root this user may only read: the snapshot goes to $TMPDIR (as
  // symbolic links when hard links are refused there).
  std::error_code ec;
  std::string tmp = std::filesystem::temp_directory_path(ec).string();
  if (tmp.empty()) tmp = "/tmp";
  absl::StatusOr<std::unique_ptr<TallySnapshot>> elsewhere =
      TallySnapshot::Take(absl::StrCat(tmp, "/ct-", request.id), request.dirs);
  if (!elsewhere.ok()) return taken.status();
  return elsewhere;
}

}  // namespace

absl::Status InProcessShardCounter::CountAll(const ShardTask& whole, ShardQueue* queue,
                                             ReduceStats* stats) {
  return CountQueueInProcess(whole, queue, threads_, budget_, stats);
}

absl::StatusOr<ReduceOutcome> RunReduce(const ReduceRequest& request, ShardCounter* counter) {
  ASSIGN_OR_RETURN(const std::unique_ptr<TallySnapshot> snapshot, TakeSnapshot(request));
  ReduceOutcome out;
  out.snapshot_folder = snapshot->folder();
  out.pinned = snapshot->pinned();
  std::vector<ReduceInput> inputs;
  for (const map::DateDirectory* d : snapshot->directories()) {
    inputs.push_back(ReduceInput{d->name, IsActive(d->day, request.as_of, request.window_days)});
  }
  out.inputs = inputs.size();
  ReduceBase base = ReduceWithoutNames(snapshot->folder(), inputs);
  out.failed = base.failed;
  out.active_inputs = base.active_inputs.size();
  if (request.resident_limit > 0 && base::ResidentBytes() > request.resident_limit) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the per-issuer and per-day counts alone take ", base::FormatBytes(base::ResidentBytes()),
        ", over --memory-limit ", base::FormatBytes(request.resident_limit)));
  }
  out.shards = request.shards;
  if (out.shards == 0) {
    ASSIGN_OR_RETURN(const uint64_t capacity, counter->ShardCapacity());
    out.shards = ChooseShardCount(base, capacity, counter->Parallelism());
  }
  ShardQueue queue(out.shards, base.issuer_name_records);
  RETURN_IF_ERROR(counter->CountAll(
      MakeShardTask(base, snapshot->folder(), tally::ShardRange(0, 1)), &queue, &base.stats));
  out.run = queue.stats();
  out.stats = std::move(base.stats);
  return out;
}

}  // namespace ctmr::reduce
