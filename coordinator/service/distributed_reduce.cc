#include "coordinator/service/distributed_reduce.h"

#include <glog/logging.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/memory_budget.h"
#include "common/base/status_macros.h"
#include "common/reduce/shard_queue.h"

namespace ctmr::service {
namespace {

// reduce::ShardCounter over a TaskPool: each shard a shard task.
class WorkerShardCounter : public reduce::ShardCounter {
 public:
  WorkerShardCounter(TaskPool* pool, uint64_t memory_limit)
      : pool_(pool), memory_limit_(memory_limit) {}

  // The shards are sized for the workers' memory budgets: wait until one has
  // announced its budget (the shard tasks would wait for a worker anyway).
  absl::StatusOr<uint64_t> ShardCapacity() override {
    RETURN_IF_ERROR(pool_->WaitForWorker());
    return service::ShardCapacity(pool_->scheduler(), memory_limit_);
  }
  // A shard is sized for one worker thread.
  int Parallelism() const override { return 1; }

  absl::Status CountAll(const ShardTask& whole, reduce::ShardQueue* queue,
                        reduce::ReduceStats* stats) override {
    Scheduler& scheduler = pool_->scheduler();
    // Counts that cannot be right are a failed attempt, retried elsewhere.
    const ScopedResultCheck check(scheduler, [queue](const Task& t, const Result& r) {
      if (!t.body.has_shard_task()) return absl::OkStatus();
      return queue->Check(t.body.shard_task(), r.shard());
    });
    std::map<uint64_t, reduce::ShardQueue::Shard> pending;  // by task id
    while (!queue->finished()) {
      while (std::optional<reduce::ShardQueue::Shard> shard = queue->Take()) {
        pending[scheduler.AddShardTask(reduce::TaskForRange(whole, shard->range))] = *shard;
      }
      RETURN_IF_ERROR(pool_->Drain("reduce shards", pending.size()));
      std::map<uint64_t, reduce::ShardQueue::Shard> done = std::move(pending);
      pending.clear();
      for (const auto& [id, shard] : done) {
        const Task* t = scheduler.task(id);
        if (t->state == TaskState::kDone) {
          RETURN_IF_ERROR(queue->Counted(t->result.shard(), stats));
        } else if (t->last_error_kind == TOO_LARGE) {
          // Too large for a worker's budget: cut it into pieces that fit.
          const uint64_t needed = t->result.needed_bytes();
          absl::StatusOr<uint32_t> pieces =
              queue->TooLarge(shard, needed, service::ShardCapacity(scheduler, memory_limit_));
          if (!pieces.ok()) {
            return absl::Status(pieces.status().code(),
                                absl::StrCat(DescribeTask(*t), ": ", pieces.status().message()));
          }
          LOG(INFO) << DescribeTask(*t) << " needs " << base::FormatBytes(needed)
                    << ", more than a worker's memory budget: split into " << *pieces;
        } else {
          queue->Failed();
          return absl::UnknownError(absl::StrCat(DescribeTask(*t), ": failed: ", t->last_error));
        }
      }
    }
    scheduler.TakeFinished();
    return absl::OkStatus();
  }

 private:
  TaskPool* const pool_;
  const uint64_t memory_limit_;
};

}  // namespace

uint64_t ShardCapacity(const Scheduler& scheduler, uint64_t memory_limit) {
  uint64_t capacity = 0;
  for (const auto& [id, w] : scheduler.workers()) {
    if (w.memory_budget == 0 || w.draining) continue;
    const uint64_t per_thread = w.memory_budget / std::max<uint32_t>(1, w.threads);
    if (scheduler.SmallBudget(w)) {
      // A budget this small would make hundreds of thousands of shards (the
      // coordinator holds each one's task): the worker gets no shard tasks.
      static std::mutex mu;
      static std::set<std::string>* warned = new std::set<std::string>;
      std::lock_guard<std::mutex> lock(mu);
      if (warned->insert(WorkerLabel(id, w.name)).second) {
        LOG(WARNING) << WorkerLabel(id, w.name) << " announced a memory budget of "
                     << base::FormatBytes(per_thread) << " per thread, below "
                     << base::FormatBytes(scheduler.options().min_shard_budget)
                     << ": ignored when sizing shards (it gets no shard tasks)";
      }
      continue;
    }
    if (capacity == 0 || per_thread < capacity) capacity = per_thread;
  }
  return capacity > 0 ? capacity : memory_limit / 2;
}

absl::StatusOr<reduce::ReduceOutcome> ReduceOnWorkers(
    const RunOptions& options, const std::string& run_id, int32_t as_of,
    const std::vector<const map::DateDirectory*>& dirs, TaskPool* pool) {
  reduce::ReduceRequest request;
  request.data_dir = options.data_dir;
  request.id = run_id;
  request.dirs = dirs;
  request.as_of = as_of;
  request.window_days = options.window_days;
  request.shards = options.shards;
  request.resident_limit = options.memory_limit;
  WorkerShardCounter counter(pool, options.memory_limit);
  absl::StatusOr<reduce::ReduceOutcome> out = reduce::RunReduce(request, &counter);
  if (out.ok()) {
    if (!out->pinned) {
      LOG(WARNING) << options.data_dir << " does not support hard links: the shards read the "
                   << "live oracle.out files, so a map running meanwhile could skew the counts";
    }
    for (const auto& [name, status] : out->failed) {
      LOG(WARNING) << name << " failed: " << status.message();
    }
    LOG(INFO) << "reduce: " << out->active_inputs << " active of " << out->inputs
              << " directories in " << out->shards << " shards";
  }
  return out;
}

}  // namespace ctmr::service
