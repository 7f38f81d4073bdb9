// InProcessPool: a TaskPool whose one worker runs each dispatched task in
// this process, with the worker's own task code (worker/task_runner.h), on a
// fake clock. The cycle and the distributed reduce run on it exactly as on
// `ct-coordinator run`'s sockets: tasks are queued, dispatched by the real
// Scheduler, and their results committed by it.
#ifndef CT_TESTS_COORDINATOR_SERVICE_IN_PROCESS_POOL_H_
#define CT_TESTS_COORDINATOR_SERVICE_IN_PROCESS_POOL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/base/memory_budget.h"
#include "common/base/status_macros.h"
#include "common/names/registered_domain.h"
#include "coordinator/service/scheduler.h"
#include "coordinator/service/task_pool.h"
#include "worker/task_runner.h"

namespace ctmr::service {

class InProcessPool : public TaskPool {
 public:
  // One worker with `memory_budget` bytes of hash sets, one thread.
  // Budgets below SchedulerOptions' floor are allowed: tests force splits.
  explicit InProcessPool(uint64_t memory_budget)
      : scheduler_(TestOptions()), budget_(memory_budget) {
    auto suffixes = names::PublicSuffixList::LoadLatest();
    if (suffixes.ok()) suffixes_ = *std::move(suffixes);
  }

  Scheduler& scheduler() override { return scheduler_; }
  int64_t NowMs() override { return now_ms_; }

  absl::Status WaitForWorker() override {
    if (!connected_) {
      Ready ready;
      ready.set_worker_name("in-process:1");
      ready.set_threads(1);
      ready.set_memory_budget(budget_.capacity());
      scheduler_.OnReady(kWorker, ready, now_ms_);
      connected_ = true;
    }
    return absl::OkStatus();
  }

  absl::Status Drain(const std::string& /*phase*/, size_t /*total*/) override {
    RETURN_IF_ERROR(WaitForWorker());
    while (!scheduler_.Idle()) {
      now_ms_ += 10;
      for (const Outgoing& o : scheduler_.Dispatch(now_ms_)) {
        Result result;
        if (impostor && impostor(o.body, &result)) {
          result.set_task_id(o.body.has_map_task() ? o.body.map_task().task_id()
                                                   : o.body.shard_task().task_id());
        } else if (o.body.has_map_task()) {
          result = worker::RunMapTask(o.body.map_task(), suffixes_.get());
          ++mapped_[o.body.map_task().directory()];
          result.set_task_id(o.body.map_task().task_id());
          ++map_tasks_;
        } else if (o.body.has_shard_task()) {
          result = worker::RunShardTask(o.body.shard_task(), &budget_);
          result.set_task_id(o.body.shard_task().task_id());
          ++shard_tasks_;
        } else {
          continue;
        }
        scheduler_.OnResult(kWorker, result, now_ms_);
      }
    }
    return absl::OkStatus();
  }

  // A worker that does not do the work: when set and it returns true, its
  // `result` is sent instead of running the task.
  std::function<bool(const Envelope& task, Result* result)> impostor;

  int map_tasks() const { return map_tasks_; }
  int shard_tasks() const { return shard_tasks_; }
  // Map tasks run on `directory`, attempts included.
  int mapped(const std::string& directory) const {
    auto it = mapped_.find(directory);
    return it == mapped_.end() ? 0 : it->second;
  }

 private:
  static SchedulerOptions TestOptions() {
    SchedulerOptions o;
    o.min_shard_budget = 1;
    return o;
  }
  static constexpr char kWorker[] = "in-process";
  Scheduler scheduler_;
  base::MemoryBudget budget_;
  std::unique_ptr<names::PublicSuffixList> suffixes_;
  int64_t now_ms_ = 1'000'000;
  bool connected_ = false;
  int map_tasks_ = 0;
  int shard_tasks_ = 0;
  std::map<std::string, int> mapped_;
};

}  // namespace ctmr::service

#endif  // CT_TESTS_COORDINATOR_SERVICE_IN_PROCESS_POOL_H_
