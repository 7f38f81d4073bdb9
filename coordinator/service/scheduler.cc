#include "coordinator/service/scheduler.h"

#include <glog/logging.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/tally/hash_range.h"

namespace ctmr::service {

std::string DescribeTask(const Task& task) {
  if (task.body.has_map_task()) return absl::StrCat("map ", task.body.map_task().directory());
  const ShardTask& s = task.body.shard_task();
  absl::StatusOr<tally::HashRange> range = tally::DecodeRange(s.first(), s.last());
  return absl::StrCat("shard ", range.ok() ? tally::DescribeRange(*range) : "(bad range)", " of ",
                      s.inputs_size(), " directories");
}

std::string WorkerLabel(const std::string& routing_id, const std::string& name) {
  return name.empty() ? absl::StrCat("worker ", absl::BytesToHexString(routing_id)) : name;
}

uint64_t Scheduler::Add(Envelope body) {
  const uint64_t id = next_id_++;
  Task& t = tasks_[id];
  t.id = id;
  t.body = std::move(body);
  queue_.push_back(id);
  return id;
}

uint64_t Scheduler::AddMapTask(const std::string& directory) {
  Envelope e;
  e.mutable_map_task()->set_task_id(next_id_);
  e.mutable_map_task()->set_directory(directory);
  return Add(std::move(e));
}

uint64_t Scheduler::AddShardTask(ShardTask task) {
  Envelope e;
  task.set_task_id(next_id_);
  *e.mutable_shard_task() = std::move(task);
  return Add(std::move(e));
}

const Task* Scheduler::task(uint64_t id) const {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second;
}

void Scheduler::OnReady(const std::string& routing_id, const Ready& ready, int64_t now_ms) {
  WorkerInfo& w = workers_[routing_id];
  const bool known = !w.routing_id.empty();
  w.routing_id = routing_id;
  w.name = ready.worker_name();
  w.threads = std::max<uint32_t>(1, ready.threads());
  w.memory_budget = ready.memory_budget();
  w.last_seen_ms = now_ms;
  LOG(INFO) << (known ? "worker re-announced: " : "worker joined: ")
            << WorkerLabel(routing_id, w.name) << " with " << w.threads << " threads";
}

void Scheduler::Touch(const std::string& routing_id, int64_t now_ms) {
  WorkerInfo& w = workers_[routing_id];
  if (w.routing_id.empty()) {
    w.routing_id = routing_id;
    LOG(INFO) << "worker without Ready joined: " << WorkerLabel(routing_id, "")
              << " (1 thread until it says otherwise)";
  }
  w.last_seen_ms = now_ms;
}

void Scheduler::OnHeartbeat(const std::string& routing_id, const Heartbeat& heartbeat,
                            int64_t now_ms) {
  Touch(routing_id, now_ms);
  // A live worker that still runs a task keeps its lease.
  for (uint64_t id : heartbeat.running_tasks()) {
    auto it = tasks_.find(id);
    if (it != tasks_.end() && it->second.state == TaskState::kLeased &&
        it->second.worker == routing_id) {
      it->second.deadline_ms = now_ms + options_.lease_ms;
    }
  }
}

void Scheduler::EndLease(Task& t) {
  auto w = workers_.find(t.worker);
  if (w != workers_.end()) w->second.running.erase(t.id);
  t.worker.clear();
  --leased_;
}

void Scheduler::Retry(Task& t, ErrorKind kind, const std::string& error) {
  t.last_error_kind = kind;
  t.last_error = error;
  // Too large for the worker's memory: it fails the same way anywhere.
  if (t.attempts >= static_cast<uint32_t>(options_.max_attempts) || kind == TOO_LARGE) {
    t.state = TaskState::kFailed;
    finished_.push_back(t.id);
    LOG(WARNING) << DescribeTask(t) << " failed after " << t.attempts << " attempts ("
                 << ErrorKind_Name(kind) << "): " << error;
    return;
  }
  LOG(WARNING) << DescribeTask(t) << " attempt " << t.attempts << " failed ("
               << ErrorKind_Name(kind) << "): " << error << "; re-queued";
  t.state = TaskState::kQueued;
  queue_.push_back(t.id);
}

ResultOutcome Scheduler::OnResult(const std::string& routing_id, const Result& result,
                                  int64_t now_ms) {
  Touch(routing_id, now_ms);
  auto it = tasks_.find(result.task_id());
  const bool other_kind =
      it != tasks_.end() && result.ok() &&
      (it->second.body.has_map_task() ? !result.has_map() : !result.has_shard());
  if (it == tasks_.end() || it->second.state != TaskState::kLeased ||
      it->second.worker != routing_id || other_kind) {
    ++discarded_results_;
    LOG(WARNING) << "discarding late result for task " << result.task_id() << " from "
                 << WorkerLabel(routing_id, workers_[routing_id].name);
    // The worker may still list it as running; it is not ours to count.
    workers_[routing_id].running.erase(result.task_id());
    return ResultOutcome::kDiscarded;
  }
  Task& t = it->second;
  EndLease(t);
  t.result = result;
  if (result.ok()) {
    t.state = TaskState::kDone;
    finished_.push_back(t.id);
    return ResultOutcome::kCommitted;
  }
  Retry(t, result.error_kind(), result.error());
  return t.state == TaskState::kFailed ? ResultOutcome::kFailed : ResultOutcome::kRequeued;
}

std::vector<Outgoing> Scheduler::Dispatch(int64_t now_ms) {
  std::vector<Outgoing> out;
  while (!queue_.empty()) {
    // The least busy worker with a free thread; ties by routing id.
    WorkerInfo* best = nullptr;
    for (auto& [id, w] : workers_) {
      if (w.draining || w.running.size() >= w.threads) continue;
      if (best == nullptr || w.running.size() < best->running.size()) best = &w;
    }
    if (best == nullptr) break;
    Task& t = tasks_[queue_.front()];
    queue_.pop_front();
    t.state = TaskState::kLeased;
    t.worker = best->routing_id;
    t.deadline_ms = now_ms + options_.lease_ms;
    ++t.attempts;
    ++leased_;
    best->running.insert(t.id);
    if (t.body.has_map_task()) {
      t.body.mutable_map_task()->set_attempt(t.attempts);
    } else {
      t.body.mutable_shard_task()->set_attempt(t.attempts);
    }
    out.push_back({best->routing_id, t.body});
  }
  return out;
}

std::vector<Outgoing> Scheduler::OnTick(int64_t now_ms) {
  std::vector<Outgoing> cancels;
  const int64_t silence = static_cast<int64_t>(options_.liveness) * options_.heartbeat_ms;
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (now_ms - it->second.last_seen_ms <= silence) {
      ++it;
      continue;
    }
    ++dead_workers_;
    const std::string label = WorkerLabel(it->first, it->second.name);
    LOG(WARNING) << label << " is silent for " << (now_ms - it->second.last_seen_ms)
                 << " ms: dead; re-queueing its " << it->second.running.size() << " tasks";
    const std::set<uint64_t> running = it->second.running;
    for (uint64_t id : running) {
      Task& t = tasks_[id];
      EndLease(t);
      Retry(t, TRANSIENT, absl::StrCat("worker ", label, " died"));
    }
    it = workers_.erase(it);
  }
  for (auto& [id, t] : tasks_) {
    if (t.state != TaskState::kLeased || now_ms <= t.deadline_ms) continue;
    ++expired_leases_;
    Envelope cancel;
    cancel.mutable_cancel()->set_task_id(id);
    cancels.push_back({t.worker, cancel});
    const std::string label = WorkerLabel(t.worker, workers_[t.worker].name);
    EndLease(t);
    Retry(t, TRANSIENT, absl::StrCat("lease expired on ", label));
  }
  return cancels;
}

int Scheduler::Drain(const std::string& who) {
  int n = 0;
  for (auto& [id, w] : workers_) {
    if (id == who || w.name == who) {
      w.draining = true;
      ++n;
    }
  }
  return n;
}

bool Scheduler::Requeue(uint64_t id) {
  auto it = tasks_.find(id);
  if (it == tasks_.end() || it->second.state != TaskState::kFailed) return false;
  it->second.state = TaskState::kQueued;
  it->second.attempts = 0;
  queue_.push_back(id);
  return true;
}

void Scheduler::Forget(const std::string& routing_id) {
  auto it = workers_.find(routing_id);
  if (it == workers_.end()) return;
  const std::set<uint64_t> running = it->second.running;
  for (uint64_t id : running) {
    Task& t = tasks_[id];
    EndLease(t);
    Retry(t, TRANSIENT, "worker left");
  }
  workers_.erase(it);
}

void Scheduler::PruneFinished() {
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    const bool finished =
        it->second.state == TaskState::kDone || it->second.state == TaskState::kFailed;
    it = finished ? tasks_.erase(it) : std::next(it);
  }
  finished_.clear();
}

std::vector<uint64_t> Scheduler::TakeFinished() {
  std::vector<uint64_t> out;
  out.swap(finished_);
  return out;
}

}  // namespace ctmr::service
