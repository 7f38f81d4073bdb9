#include "coordinator/service/scheduler.h"

#include <glog/logging.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/tally/hash_range.h"

namespace ctmr::service {

std::string DescribeTask(const Task& task) {
  if (task.body.has_map_task()) {
    const MapTask& m = task.body.map_task();
    if (m.parts() > 1) {
      return absl::StrCat("map ", m.directory(), " part ", m.part() + 1, "/", m.parts());
    }
    return absl::StrCat("map ", m.directory());
  }
  const ShardTask& s = task.body.shard_task();
  absl::StatusOr<tally::HashRange> range = tally::DecodeRange(s.first(), s.last());
  return absl::StrCat("shard ", range.ok() ? tally::DescribeRange(*range) : "(bad range)", " of ",
                      s.inputs_size(), " directories");
}

std::string WorkerLabel(const std::string& routing_id, const std::string& name) {
  return name.empty() ? absl::StrCat("worker ", absl::BytesToHexString(routing_id)) : name;
}

std::string WorkerKey(const std::string& routing_id, const std::string& name) {
  return name.empty() ? routing_id : name;
}

std::string Scheduler::KeyOf(const std::string& routing_id) const {
  auto it = workers_.find(routing_id);
  return WorkerKey(routing_id, it == workers_.end() ? "" : it->second.name);
}

bool Scheduler::Quarantined(const WorkerInfo& w, int64_t now_ms) const {
  auto it = records_.find(WorkerKey(w.routing_id, w.name));
  return it != records_.end() && it->second.quarantined_until_ms > now_ms;
}

bool Scheduler::Eligible(const WorkerInfo& w, int64_t now_ms) const {
  return !w.draining && !Quarantined(w, now_ms);
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
  MapTask task;
  task.set_directory(directory);
  return AddMapTask(std::move(task));
}

uint64_t Scheduler::AddMapTask(MapTask task) {
  Envelope e;
  task.set_task_id(next_id_);
  *e.mutable_map_task() = std::move(task);
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
      it->second.deadline_ms = std::min(now_ms + options_.lease_ms, it->second.hard_deadline_ms);
    }
  }
}

void Scheduler::EndLease(Task& t) {
  auto w = workers_.find(t.worker);
  if (w != workers_.end()) w->second.running.erase(t.id);
  t.worker.clear();
  --leased_;
}

void Scheduler::Retry(Task& t, const std::string& worker_key, ErrorKind kind,
                      const std::string& error, int64_t now_ms) {
  t.last_error_kind = kind;
  t.last_error = error;
  ++t.failures;
  ++t.failed_on[worker_key];
  // Another worker that has not failed the task yet could still do it.
  bool untried = false;
  for (const auto& [id, w] : workers_) {
    if (Eligible(w, now_ms) && t.failed_on.count(WorkerKey(id, w.name)) == 0) untried = true;
  }
  const bool spent = t.failures >= static_cast<uint32_t>(options_.max_attempts) &&
                     (t.failed_on.size() >= 2 || !untried);
  // Too large for the worker's memory: it fails the same way anywhere.
  if (spent || kind == TOO_LARGE) {
    t.state = TaskState::kFailed;
    finished_.push_back(t.id);
    LOG(WARNING) << DescribeTask(t) << " failed after " << t.attempts << " attempts ("
                 << ErrorKind_Name(kind) << "): " << error << " (" << t.failed_on.size()
                 << " workers failed it)";
    return;
  }
  LOG(WARNING) << DescribeTask(t) << " attempt " << t.attempts << " failed ("
               << ErrorKind_Name(kind) << "): " << error << "; re-queued (" << t.failures
               << " failures on " << t.failed_on.size() << " workers)";
  t.state = TaskState::kQueued;
  queue_.push_back(t.id);
}

void Scheduler::Blame(const Task& t, const std::string& committer, int64_t now_ms) {
  ++records_[committer].commits;
  for (const auto& [key, failures] : t.failed_on) {
    if (key == committer) continue;
    WorkerRecord& r = records_[key];
    if (r.quarantined_until_ms > now_ms) continue;  // already out
    r.blamed += failures;
    if (r.blamed >= static_cast<uint64_t>(std::max(1, options_.quarantine_min_failures)) &&
        r.blamed > r.commits) {
      r.quarantined_until_ms = now_ms + options_.quarantine_ms;
      ++quarantines_;
      LOG(WARNING) << "quarantining " << key << " for " << options_.quarantine_ms / 1000
                   << " s: " << r.blamed << " of its failures succeeded elsewhere, against "
                   << r.commits << " tasks it committed (can it see the data root?)";
    }
  }
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
  const std::string key = KeyOf(routing_id);
  EndLease(t);
  t.result = result;
  if (result.ok()) {
    const absl::Status checked = check_ ? check_(t, result) : absl::OkStatus();
    if (checked.ok()) {
      t.state = TaskState::kDone;
      finished_.push_back(t.id);
      Blame(t, key, now_ms);
      return ResultOutcome::kCommitted;
    }
    t.result.set_ok(false);
    Retry(t, key, TRANSIENT, absl::StrCat("result rejected: ", checked.message()), now_ms);
    return t.state == TaskState::kFailed ? ResultOutcome::kFailed : ResultOutcome::kRequeued;
  }
  Retry(t, key, result.error_kind(), result.error(), now_ms);
  return t.state == TaskState::kFailed ? ResultOutcome::kFailed : ResultOutcome::kRequeued;
}

bool Scheduler::SmallBudget(const WorkerInfo& w) const {
  return w.memory_budget > 0 &&
         w.memory_budget / std::max<uint32_t>(1, w.threads) < options_.min_shard_budget;
}

WorkerInfo* Scheduler::PickWorker(const Task& t, int64_t now_ms) {
  // Quarantined workers only when no healthy one is connected; for shard
  // tasks, workers with a tiny budget only when no other is.
  const bool shard = t.body.has_shard_task();
  bool any_healthy = false;
  bool any_roomy = false;
  for (const auto& [id, w] : workers_) {
    if (w.draining || Quarantined(w, now_ms)) continue;
    any_healthy = true;
    any_roomy |= !SmallBudget(w);
  }
  bool untried_exists = false;
  WorkerInfo* best = nullptr;      // the least busy free one that has not failed t
  WorkerInfo* fallback = nullptr;  // the least busy free one
  for (auto& [id, w] : workers_) {
    if (w.draining || (any_healthy && Quarantined(w, now_ms))) continue;
    if (shard && any_roomy && SmallBudget(w)) continue;
    const bool failed_it = t.failed_on.count(WorkerKey(id, w.name)) > 0;
    untried_exists |= !failed_it;
    if (w.running.size() >= w.threads) continue;
    if (!failed_it && (best == nullptr || w.running.size() < best->running.size())) best = &w;
    if (fallback == nullptr || w.running.size() < fallback->running.size()) fallback = &w;
  }
  // A worker that has not failed it is connected but busy: wait for it.
  return best != nullptr ? best : (untried_exists ? nullptr : fallback);
}

std::vector<Outgoing> Scheduler::Dispatch(int64_t now_ms) {
  std::vector<Outgoing> out;
  last_now_ms_ = now_ms;
  const int64_t task_deadline = task_deadline_ms();
  std::deque<uint64_t> waiting;  // tasks no free worker may take now, in order
  while (!queue_.empty()) {
    Task& t = tasks_[queue_.front()];
    WorkerInfo* best = PickWorker(t, now_ms);
    if (best == nullptr) {
      // No free worker that may take tasks: nothing else can go either.
      bool any_healthy = false;
      for (const auto& [id, w] : workers_) any_healthy |= Eligible(w, now_ms);
      bool free = false;
      for (const auto& [id, w] : workers_) {
        free |=
            w.running.size() < w.threads && !w.draining && !(any_healthy && Quarantined(w, now_ms));
      }
      if (!free) break;
      waiting.push_back(queue_.front());
      queue_.pop_front();
      continue;
    }
    queue_.pop_front();
    t.state = TaskState::kLeased;
    t.worker = best->routing_id;
    t.hard_deadline_ms = now_ms + task_deadline;
    t.deadline_ms = std::min(now_ms + options_.lease_ms, t.hard_deadline_ms);
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
  // The tasks that wait keep their place at the front.
  queue_.insert(queue_.begin(), waiting.begin(), waiting.end());
  return out;
}

std::vector<Outgoing> Scheduler::OnTick(int64_t now_ms) {
  last_now_ms_ = now_ms;
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
    const std::string key = WorkerKey(it->first, it->second.name);
    for (uint64_t id : running) EndLease(tasks_[id]);
    it = workers_.erase(it);  // before Retry: a dead worker cannot take a retry
    for (uint64_t id : running) {
      Retry(tasks_[id], key, TRANSIENT, absl::StrCat("worker ", label, " died"), now_ms);
    }
  }
  for (auto& [id, t] : tasks_) {
    if (t.state != TaskState::kLeased || now_ms <= t.deadline_ms) continue;
    ++expired_leases_;
    Envelope cancel;
    cancel.mutable_cancel()->set_task_id(id);
    cancels.push_back({t.worker, cancel});
    const std::string label = WorkerLabel(t.worker, workers_[t.worker].name);
    const std::string key = KeyOf(t.worker);
    const bool hard = now_ms > t.hard_deadline_ms;
    EndLease(t);
    Retry(t, key, TRANSIENT,
          hard ? absl::StrCat("task deadline passed on ", label, " (it still ran after ",
                              (now_ms - (t.hard_deadline_ms - task_deadline_ms())) / 1000, " s)")
               : absl::StrCat("lease expired on ", label),
          now_ms);
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
  it->second.failures = 0;
  it->second.failed_on.clear();
  queue_.push_back(id);
  return true;
}

void Scheduler::Forget(const std::string& routing_id) {
  auto it = workers_.find(routing_id);
  if (it == workers_.end()) return;
  const std::set<uint64_t> running = it->second.running;
  const std::string key = WorkerKey(it->first, it->second.name);
  for (uint64_t id : running) EndLease(tasks_[id]);
  workers_.erase(it);
  for (uint64_t id : running) Retry(tasks_[id], key, TRANSIENT, "worker left", last_now_ms_);
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
