#include "coordinator/service/coordinator.h"

#include <glog/logging.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/base/lock_file.h"
#include "common/base/progress.h"
#include "common/base/status_macros.h"
#include "common/metrics/metrics_server.h"
#include "coordinator/service/control_server.h"
#include "coordinator/service/cycle.h"
#include "coordinator/service/local_workers.h"
#include "coordinator/service/run_metrics.h"
#include "coordinator/service/run_state.h"
#include "coordinator/service/scheduler.h"
#include "coordinator/service/task_pool.h"
#include "coordinator/service/worker_link.h"

namespace ctmr::service {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Below 2^62, so that ids never wrap in a coordinator's lifetime.
uint64_t RandomFirstTaskId() {
  std::random_device device;
  const uint64_t r = (static_cast<uint64_t>(device()) << 32) | device();
  return (r >> 2) + 1;
}

SchedulerOptions MakeSchedulerOptions(const RunOptions& options) {
  SchedulerOptions o;
  o.lease_ms = static_cast<int64_t>(options.lease_s * 1000);
  o.task_deadline_ms = static_cast<int64_t>(options.task_timeout_s * 1000);  // 0: 2 x lease
  o.heartbeat_ms = options.heartbeat_ms;
  o.liveness = 3;
  o.max_attempts = options.max_attempts;
  o.first_task_id = RandomFirstTaskId();
  return o;
}

// The service: the workers' sockets (WorkerLink), the local workers, the
// scheduler between them, and the loop that pumps messages (Pump). It is the
// TaskPool the cycles run on.
class Coordinator : public TaskPool {
 public:
  explicit Coordinator(const RunOptions& options)
      : options_(options),
        scheduler_(MakeSchedulerOptions(options)),
        control_server_(scheduler_, state_, cycle_, RunStatePath(options.data_dir)) {}
  ~Coordinator() override { Shutdown(); }

  absl::Status Setup();
  int Serve();

  Scheduler& scheduler() override { return scheduler_; }
  int64_t NowMs() override { return SteadyNowMs(); }
  absl::Status Drain(const std::string& phase, size_t total) override;
  absl::Status WaitForWorker() override;

 private:
  // One round: receive, tick, dispatch, heartbeats, local workers.
  absl::Status Pump(int64_t timeout_ms);
  void Handle(const std::string& routing_id, const Envelope& envelope);
  // Not OK when the loop cannot go on: a stop signal, no worker left.
  absl::Status CheckCanContinue();
  void CheckLocalWorkers();
  void Shutdown();

  const RunOptions& options_;
  std::unique_ptr<base::LockFile> lock_;  // one coordinator per data root
  RunMetrics metrics_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  std::unique_ptr<WorkerLink> link_;
  std::optional<LocalWorkers> local_;
  Scheduler scheduler_;
  RunState state_;  // the cycle's view of ROOT/state/coordinator.json
  CycleInfo cycle_;
  ControlServer control_server_;
  base::Progress progress_;  // the map and shard phases on a terminal
  int64_t last_heartbeat_ms_ = 0;
  bool shut_down_ = false;
};

absl::Status Coordinator::Setup() {
  const std::string state_dir = options_.data_dir + "/state";
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", state_dir, ": ", ec.message()));
  ASSIGN_OR_RETURN(lock_, base::LockFile::Acquire(state_dir + "/coordinator.lock",
                                                  "another ct-coordinator run"));
  ASSIGN_OR_RETURN(metrics_server_,
                   metrics::StartMetricsServerFromFlags(
                       "ct-coordinator", options_.metrics_listen, options_.metrics_token_file,
                       metrics_.registry(), [this] { return metrics_.Health(NowMs()); }));

  WorkerLinkOptions link;
  link.bind = options_.bind;
  link.curve_secret_key = options_.curve_secret_key;
  link.authorized_keys = options_.authorized_keys;
  if (options_.local_workers > 0) link.local_key_prefix = state_dir + "/local-worker";
  link.control_endpoint = ControlEndpoint(options_.data_dir);
  if (!link.control_endpoint.has_value()) {
    // Operators only; a coordinator without it still runs (the CLI reads the state file).
    LOG(WARNING) << "no control endpoint: " << state_dir
                 << "/control.ipc is too long for a Unix socket";
  }
  ASSIGN_OR_RETURN(link_, WorkerLink::Open(link));
  LOG(INFO) << "bound " << options_.bind << (link_->curve() ? " (CURVE)" : "")
            << "; local workers connect to " << link_->connect_endpoint();

  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  if (options_.local_workers > 0) {
    std::error_code self_ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", self_ec);
    LocalWorkersOptions local;
    local.count = options_.local_workers;
    local.argv = {(self.parent_path() / "ct-worker").string(),
                  "--connect",
                  link_->connect_endpoint(),
                  "--heartbeat-ms",
                  std::to_string(options_.heartbeat_ms),
                  "--memory-limit",
                  std::to_string(options_.memory_limit),
                  "--data-dir",
                  options_.data_dir};
    local.argv.insert(local.argv.end(), link_->local_worker_args().begin(),
                      link_->local_worker_args().end());
    local_.emplace(std::move(local));
    for (const std::string& event : local_->Start(NowMs())) LOG(INFO) << event;
  }
  return absl::OkStatus();
}

void Coordinator::CheckLocalWorkers() {
  if (!local_.has_value()) return;
  const std::vector<std::string> events = local_->Check(NowMs());
  if (events.empty()) return;
  progress_.Break();
  for (const std::string& event : events) LOG(WARNING) << event;
  metrics_.OnLocalWorkerRestarts(local_->restarts());
}

void Coordinator::Handle(const std::string& routing_id, const Envelope& e) {
  const int64_t now = NowMs();
  switch (e.body_case()) {
    case Envelope::kReady: {
      progress_.Break();
      scheduler_.OnReady(routing_id, e.ready(), now);
      // Answer at once, so that a worker knows within a round trip that its
      // connection works (it reconnects quickly when no answer comes).
      Envelope hb;
      hb.mutable_heartbeat();
      if (!link_->Send(routing_id, hb)) scheduler_.Forget(routing_id);
      break;
    }
    case Envelope::kHeartbeat:
      scheduler_.OnHeartbeat(routing_id, e.heartbeat(), now);
      break;
    case Envelope::kResult: {
      const Task* task = scheduler_.task(e.result().task_id());
      const std::string kind =
          task != nullptr ? metrics::TaskMetrics::KindOf(task->body) : "unknown";
      const ResultOutcome outcome = scheduler_.OnResult(routing_id, e.result(), now);
      metrics_.OnResult(kind, outcome, e.result());
      if (outcome != ResultOutcome::kCommitted) progress_.Break();
      break;
    }
    case Envelope::kShutdown:
      scheduler_.Forget(routing_id);
      break;
    default:
      scheduler_.Touch(routing_id, now);
      LOG(WARNING) << "unexpected message " << e.body_case() << " from "
                   << WorkerLabel(routing_id, "");
  }
}

absl::Status Coordinator::Pump(int64_t timeout_ms) {
  RETURN_IF_ERROR(link_->Poll(
      timeout_ms, [this](const std::string& id, const Envelope& e) { Handle(id, e); },
      [this](std::string_view request) { return control_server_.Handle(request, NowMs()); }));
  const int64_t now = NowMs();
  for (const Outgoing& o : scheduler_.OnTick(now)) link_->Send(o.routing_id, o.body);
  metrics_.Observe(scheduler_, now);
  for (const Outgoing& o : scheduler_.Dispatch(now)) {
    if (!link_->Send(o.routing_id, o.body)) {
      progress_.Break();
      LOG(WARNING) << "cannot reach " << WorkerLabel(o.routing_id, "") << "; forgetting it";
      scheduler_.Forget(o.routing_id);
    }
  }
  if (now - last_heartbeat_ms_ >= options_.heartbeat_ms) {
    last_heartbeat_ms_ = now;
    Envelope hb;
    hb.mutable_heartbeat();
    std::vector<std::string> gone;
    for (const auto& [id, w] : scheduler_.workers()) {
      if (!link_->Send(id, hb)) gone.push_back(id);
    }
    for (const std::string& id : gone) scheduler_.Forget(id);
    CheckLocalWorkers();
  }
  return absl::OkStatus();
}

absl::Status Coordinator::CheckCanContinue() {
  if (g_stop) return absl::CancelledError("stopped on a signal");
  if (local_.has_value() && local_->all_gave_up() && scheduler_.workers().empty()) {
    progress_.Break();
    return absl::UnavailableError("every local worker exited and no other worker is connected");
  }
  return absl::OkStatus();
}

absl::Status Coordinator::WaitForWorker() {
  while (scheduler_.workers().empty()) {
    RETURN_IF_ERROR(CheckCanContinue());
    RETURN_IF_ERROR(Pump(options_.heartbeat_ms));
  }
  return absl::OkStatus();
}

absl::Status Coordinator::Drain(const std::string& phase, size_t total) {
  while (!scheduler_.Idle()) {
    RETURN_IF_ERROR(CheckCanContinue());
    RETURN_IF_ERROR(Pump(std::min(100, options_.heartbeat_ms)));
    size_t running = 0, threads = 0;
    for (const auto& [id, w] : scheduler_.workers()) {
      running += w.running.size();
      threads += w.threads;
    }
    const size_t left = scheduler_.queued() + scheduler_.leased();
    if (progress_.tty()) {
      progress_.Update(absl::StrCat(phase, ": ", total - left, "/", total, " done, ", running,
                                    " running, ", scheduler_.workers().size(), " workers (",
                                    threads, " threads)"));
    } else {
      for (uint64_t id : scheduler_.TakeFinished()) {
        const Task* t = scheduler_.task(id);
        if (t->state == TaskState::kDone) {
          LOG(INFO) << DescribeTask(*t) << " done in " << t->result.seconds() << " s ("
                    << total - left << "/" << total << ")";
        }
      }
    }
  }
  progress_.Break();
  return absl::OkStatus();
}

int Coordinator::Serve() {
  int64_t next_cycle = NowMs();
  while (!g_stop) {
    if (NowMs() < next_cycle) {
      absl::Status pumped = Pump(std::min<int64_t>(next_cycle - NowMs(), options_.heartbeat_ms));
      if (!pumped.ok()) {
        LOG(ERROR) << pumped.message();
        return 1;
      }
      continue;
    }
    const CycleResult cycle = RunCycle(options_, this, &state_, &cycle_);
    metrics_.OnCycle(cycle.ok());
    metrics_.Observe(scheduler_, NowMs(), /*force=*/true);
    scheduler_.PruneFinished();
    cycle_.phase = "waiting";
    if (g_stop) break;
    if (!cycle.interrupted.ok()) {
      LOG(ERROR) << cycle.interrupted.message();
      return 1;
    }
    if (options_.once) return cycle.ok() ? 0 : 1;
    next_cycle = NowMs() + static_cast<int64_t>(options_.interval_s * 1000);
    LOG(INFO) << "next cycle in " << options_.interval_s << " s";
  }
  LOG(INFO) << "stopping on a signal";
  return options_.once ? 1 : 0;
}

void Coordinator::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (link_ != nullptr) {
    Envelope bye;
    bye.mutable_shutdown();
    for (const auto& [id, w] : scheduler_.workers()) link_->Send(id, bye);
  }
  if (local_.has_value()) local_->Stop(10'000);
  link_.reset();
  lock_.reset();
}

}  // namespace

int RunCoordinator(const RunOptions& options) {
  Coordinator coordinator(options);
  absl::Status setup = coordinator.Setup();
  if (!setup.ok()) {
    std::fprintf(stderr, "ct-coordinator: %s\n", std::string(setup.message()).c_str());
    return 1;
  }
  return coordinator.Serve();
}

}  // namespace ctmr::service
