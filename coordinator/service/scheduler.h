// Scheduler: the coordinator's task and worker tables, with no sockets and no
// clock of its own (every call takes `now_ms`), so tests drive it with a fake
// clock.
//
// Task life: queued -> leased(worker, deadline, attempt) -> done | failed.
// A lease ends with a result from the worker it was given to. A lease past
// its deadline, a dead worker (silent for liveness x heartbeat), an error
// result, or an ok result the result check rejects (SetResultCheck) is a
// failure of that worker: the task goes back in the queue, and is failed
// once `max_attempts` failures have been spent AND they came from at least
// two workers, or no other worker could take it (at once for TOO_LARGE,
// which a retry cannot cure: the caller splits the task). So one broken
// worker cannot fail a task that another worker can do.
//
// Leases: every heartbeat that lists a task renews its lease (lease_ms), but
// never past the task's absolute deadline (task_deadline_ms after dispatch):
// a worker stuck in a blocked read keeps heartbeating, and loses the task all
// the same.
//
// Dispatch: a retried task goes to a worker that has not failed it yet when
// one is connected (it waits for one that is busy); only when every eligible
// worker has failed it does it go back to one of them. Shard tasks go to
// workers with at least min_shard_budget per thread when one is connected.
//
// Worker health, by worker name (a reconnected worker keeps its record):
// healthy -> quarantined (for quarantine_ms) -> healthy. A worker is blamed
// for a failure once another worker commits the task it failed (so a corrupt
// input that fails everywhere blames no one); one with at least
// quarantine_min_failures blamed failures, more than its commits, is
// quarantined: it gets no task while a healthy worker is connected. Its
// record starts afresh when the quarantine ends.
//
// First commit wins: a result for a task that is not (any more) leased to
// the sender, or whose kind is not the task's (a map result for a shard
// task), is discarded and counted.
//
// Not thread-safe: the coordinator's socket thread owns it.
#ifndef CT_COORDINATOR_SERVICE_SCHEDULER_H_
#define CT_COORDINATOR_SERVICE_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/coordination.pb.h"

namespace ctmr::service {

struct SchedulerOptions {
  int64_t lease_ms = 600'000;  // renewed by every heartbeat that lists the task
  // The most one lease may last, renewals included; 0: 2 x lease_ms.
  int64_t task_deadline_ms = 0;
  int64_t heartbeat_ms = 1'000;
  int liveness = 3;  // heartbeats a worker may miss before it is dead
  int max_attempts = 3;
  // Task ids count up from here. A coordinator starts from a random number, so
  // that a restarted one never reuses an id its predecessor handed out: a
  // worker still running an old task sends its result on its next connection.
  uint64_t first_task_id = 1;
  // Quarantine: blamed failures before a worker can be quarantined, and for
  // how long.
  int quarantine_min_failures = 3;
  int64_t quarantine_ms = 600'000;
  // A worker whose memory budget per thread is below this gets no shard task
  // while a worker with more is connected, and is not counted when shards
  // are sized (distributed_reduce.h's ShardCapacity).
  uint64_t min_shard_budget = 4 << 20;
};

enum class TaskState { kQueued, kLeased, kDone, kFailed };

struct Task {
  uint64_t id = 0;
  Envelope body;  // map_task or shard_task; its attempt is set at dispatch
  TaskState state = TaskState::kQueued;
  std::string worker;            // routing id of the lease holder (kLeased)
  int64_t deadline_ms = 0;       // of the lease: renewed by heartbeats
  int64_t hard_deadline_ms = 0;  // of the lease: never renewed
  uint32_t attempts = 0;         // dispatches so far
  uint32_t failures = 0;         // leases that ended in a failure
  // Names of the workers whose lease failed, with how many times.
  std::map<std::string, uint32_t> failed_on;
  ErrorKind last_error_kind = ERROR_KIND_UNSPECIFIED;
  std::string last_error;
  Result result;  // the last result: the committed one when kDone
};

struct WorkerInfo {
  std::string routing_id;
  std::string name;  // from Ready, "<host>:<pid>"
  uint32_t threads = 1;
  uint64_t memory_budget = 0;  // from Ready; 0: not known
  int64_t last_seen_ms = 0;
  std::set<uint64_t> running;  // tasks leased to it
  bool draining = false;       // gets no new tasks
};

// What the scheduler remembers of a worker by name, across reconnections.
struct WorkerRecord {
  uint64_t commits = 0;
  uint64_t blamed = 0;               // failures of tasks another worker then committed
  int64_t quarantined_until_ms = 0;  // > now: quarantined
};

// A message the caller must send: `body` to the worker `routing_id`.
struct Outgoing {
  std::string routing_id;
  Envelope body;
};

enum class ResultOutcome {
  kCommitted,  // the task is done
  kRequeued,   // an error; the task will be tried again
  kFailed,     // an error and no attempts left
  // (an ok result the result check rejects is an error: kRequeued or kFailed)
  kDiscarded,  // not leased to this worker (late, duplicate or unknown)
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerOptions options)
      : options_(options), next_id_(options.first_task_id) {}

  // Checks an ok result before it commits, e.g. that the tally it claims is
  // on disk. A non-OK status turns the result into a TRANSIENT failure of its
  // worker with that message. Empty (the default): every ok result commits.
  using ResultCheck = std::function<absl::Status(const Task& task, const Result& result)>;
  void SetResultCheck(ResultCheck check) { check_ = std::move(check); }

  // Queues a task; returns its id. The task_id fields are filled in here.
  uint64_t AddMapTask(const std::string& directory);
  // A map task as given (e.g. one part of a split map, map_parts.h): retried,
  // failed and dispatched exactly as the map of a whole directory.
  uint64_t AddMapTask(MapTask task);
  uint64_t AddShardTask(ShardTask task);

  // A worker (re)announces itself. A known routing id keeps its leases.
  void OnReady(const std::string& routing_id, const Ready& ready, int64_t now_ms);
  // Any message from a worker counts as a heartbeat. Unknown workers are
  // registered with one thread (the coordinator restarted under them).
  void OnHeartbeat(const std::string& routing_id, const Heartbeat& heartbeat, int64_t now_ms);
  void Touch(const std::string& routing_id, int64_t now_ms);

  ResultOutcome OnResult(const std::string& routing_id, const Result& result, int64_t now_ms);

  // Leases queued tasks, oldest first, to workers with free threads (the
  // least busy first). Returns the task messages to send.
  std::vector<Outgoing> Dispatch(int64_t now_ms);

  // Declares silent workers dead and expires leases (past their renewed or
  // their absolute deadline); their tasks are re-queued (or failed when out
  // of attempts). Returns Cancel messages for expired leases of workers that
  // are still alive.
  std::vector<Outgoing> OnTick(int64_t now_ms);

  // Stops giving tasks to the worker(s) whose name or routing id is `who`.
  // Returns how many were marked.
  int Drain(const std::string& who);
  // Gives a failed task its attempts back and queues it again (an operator's
  // requeue). False when `id` is not a failed task.
  bool Requeue(uint64_t id);
  void Forget(const std::string& routing_id);  // e.g. it said it shuts down

  // True when no task is queued or leased.
  bool Idle() const { return queue_.empty() && leased_ == 0; }
  const Task* task(uint64_t id) const;
  const std::map<uint64_t, Task>& tasks() const { return tasks_; }
  const std::map<std::string, WorkerInfo>& workers() const { return workers_; }
  const SchedulerOptions& options() const { return options_; }
  // The worker's budget per thread is below min_shard_budget (0: not known).
  bool SmallBudget(const WorkerInfo& w) const;
  // By worker name (WorkerKey).
  const std::map<std::string, WorkerRecord>& records() const { return records_; }
  bool Quarantined(const WorkerInfo& w, int64_t now_ms) const;
  size_t queued() const { return queue_.size(); }
  size_t leased() const { return leased_; }
  uint64_t discarded_results() const { return discarded_results_; }
  uint64_t dead_workers() const { return dead_workers_; }
  uint64_t expired_leases() const { return expired_leases_; }
  uint64_t quarantines() const { return quarantines_; }

  // Drops done and failed tasks from the table (between cycles: their ids
  // are not reused, so a late result for one is still discarded).
  void PruneFinished();

  // Ids of tasks that finished (done or failed) since the last call, in order.
  std::vector<uint64_t> TakeFinished();

 private:
  uint64_t Add(Envelope body);
  // Ends the lease of `t` (held by `worker_key`) with an error: re-queues or
  // fails it.
  void Retry(Task& t, const std::string& worker_key, ErrorKind kind, const std::string& error,
             int64_t now_ms);
  void EndLease(Task& t);
  // The worker for queued task `t`, or nullptr: a free one that has not
  // failed it, else (when no such worker is connected at all) a free one.
  WorkerInfo* PickWorker(const Task& t, int64_t now_ms);
  bool Eligible(const WorkerInfo& w, int64_t now_ms) const;
  // `t` was committed by `committer`: blame the workers that failed it.
  void Blame(const Task& t, const std::string& committer, int64_t now_ms);
  std::string KeyOf(const std::string& routing_id) const;
  int64_t task_deadline_ms() const {
    return options_.task_deadline_ms > 0 ? options_.task_deadline_ms : 2 * options_.lease_ms;
  }

  SchedulerOptions options_;
  uint64_t next_id_;
  std::map<uint64_t, Task> tasks_;
  std::deque<uint64_t> queue_;
  size_t leased_ = 0;
  std::map<std::string, WorkerInfo> workers_;
  std::map<std::string, WorkerRecord> records_;
  ResultCheck check_;
  int64_t last_now_ms_ = 0;  // the latest clock reading (Forget takes none)
  std::vector<uint64_t> finished_;
  uint64_t discarded_results_ = 0;
  uint64_t dead_workers_ = 0;
  uint64_t expired_leases_ = 0;
  uint64_t quarantines_ = 0;
};

// The name a worker is remembered by: its Ready name, else its routing id.
std::string WorkerKey(const std::string& routing_id, const std::string& name);

// Sets a scheduler's result check for as long as it lives.
class ScopedResultCheck {
 public:
  ScopedResultCheck(Scheduler& scheduler, Scheduler::ResultCheck check) : scheduler_(scheduler) {
    scheduler_.SetResultCheck(std::move(check));
  }
  ~ScopedResultCheck() { scheduler_.SetResultCheck(nullptr); }
  ScopedResultCheck(const ScopedResultCheck&) = delete;
  ScopedResultCheck& operator=(const ScopedResultCheck&) = delete;

 private:
  Scheduler& scheduler_;
};

// "map ROOT/2026-11-26" / "shard 0000…-0fff… of 90 directories" for log lines.
std::string DescribeTask(const Task& task);
// A worker's name for log lines: its Ready name, else its routing id in hex.
std::string WorkerLabel(const std::string& routing_id, const std::string& name);

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_SCHEDULER_H_
