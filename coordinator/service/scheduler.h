// Scheduler: the coordinator's task and worker tables, with no sockets and no
// clock of its own (every call takes `now_ms`), so tests drive it with a fake
// clock.
//
// Task life: queued -> leased(worker, deadline, attempt) -> done | failed.
// A lease ends with a result from the worker it was given to; a lease past
// its deadline, a dead worker (silent for liveness x heartbeat) or an error
// result puts the task back in the queue until `max_attempts` dispatches have
// been spent, then the task is failed (at once for TOO_LARGE, which a retry
// cannot cure: the caller splits the task). First commit wins: a result for a task
// that is not (any more) leased to the sender, or whose kind is not the task's
// (a map result for a shard task), is discarded and counted.
//
// Not thread-safe: the coordinator's socket thread owns it.
#ifndef CT_COORDINATOR_SERVICE_SCHEDULER_H_
#define CT_COORDINATOR_SERVICE_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "proto/coordination.pb.h"

namespace ctmr::service {

struct SchedulerOptions {
  int64_t lease_ms = 600'000;  // renewed by every heartbeat that lists the task
  int64_t heartbeat_ms = 1'000;
  int liveness = 3;  // heartbeats a worker may miss before it is dead
  int max_attempts = 3;
  // Task ids count up from here. A coordinator starts from a random number, so
  // that a restarted one never reuses an id its predecessor handed out: a
  // worker still running an old task sends its result on its next connection.
  uint64_t first_task_id = 1;
};

enum class TaskState { kQueued, kLeased, kDone, kFailed };

struct Task {
  uint64_t id = 0;
  Envelope body;  // map_task or shard_task; its attempt is set at dispatch
  TaskState state = TaskState::kQueued;
  std::string worker;  // routing id of the lease holder (kLeased)
  int64_t deadline_ms = 0;
  uint32_t attempts = 0;  // dispatches so far
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

// A message the caller must send: `body` to the worker `routing_id`.
struct Outgoing {
  std::string routing_id;
  Envelope body;
};

enum class ResultOutcome {
  kCommitted,  // the task is done
  kRequeued,   // an error; the task will be tried again
  kFailed,     // an error and no attempts left
  kDiscarded,  // not leased to this worker (late, duplicate or unknown)
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerOptions options)
      : options_(options), next_id_(options.first_task_id) {}

  // Queues a task; returns its id. The task_id fields are filled in here.
  uint64_t AddMapTask(const std::string& directory);
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

  // Declares silent workers dead and expires leases; their tasks are
  // re-queued (or failed when out of attempts). Returns Cancel messages for
  // expired leases of workers that are still alive.
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
  size_t queued() const { return queue_.size(); }
  size_t leased() const { return leased_; }
  uint64_t discarded_results() const { return discarded_results_; }
  uint64_t dead_workers() const { return dead_workers_; }
  uint64_t expired_leases() const { return expired_leases_; }

  // Drops done and failed tasks from the table (between cycles: their ids
  // are not reused, so a late result for one is still discarded).
  void PruneFinished();

  // Ids of tasks that finished (done or failed) since the last call, in order.
  std::vector<uint64_t> TakeFinished();

 private:
  uint64_t Add(Envelope body);
  // Ends the lease of `t` with an error: re-queues or fails it.
  void Retry(Task& t, ErrorKind kind, const std::string& error);
  void EndLease(Task& t);

  SchedulerOptions options_;
  uint64_t next_id_;
  std::map<uint64_t, Task> tasks_;
  std::deque<uint64_t> queue_;
  size_t leased_ = 0;
  std::map<std::string, WorkerInfo> workers_;
  std::vector<uint64_t> finished_;
  uint64_t discarded_results_ = 0;
  uint64_t dead_workers_ = 0;
  uint64_t expired_leases_ = 0;
};

// "map ROOT/2026-11-26" / "shard 0000…-0fff… of 90 directories" for log lines.
std::string DescribeTask(const Task& task);
// A worker's name for log lines: its Ready name, else its routing id in hex.
std::string WorkerLabel(const std::string& routing_id, const std::string& name);

}  // namespace ctmr::service

#endif  // CT_COORDINATOR_SERVICE_SCHEDULER_H_
