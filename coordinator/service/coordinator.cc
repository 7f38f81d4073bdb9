#include "coordinator/service/coordinator.h"

#include <fcntl.h>
#include <glog/logging.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base/civil_date.h"
#include "common/base/file_util.h"
#include "common/base/lock_file.h"
#include "common/base/memory_budget.h"
#include "common/base/progress.h"
#include "common/base/status_macros.h"
#include "common/map/data_root.h"
#include "common/reduce/reduce_driver.h"
#include "common/rpc/zmq_util.h"
#include "common/tally/hash_range.h"
#include "common/tally/oracle_file.h"
#include "common/tally/oracle_reader.h"
#include "coordinator/report/reports.h"
#include "coordinator/service/control_server.h"
#include "coordinator/service/map_work.h"
#include "coordinator/service/run_metrics.h"
#include "coordinator/service/run_state.h"
#include "coordinator/service/scheduler.h"
#include "coordinator/service/zap_authenticator.h"

namespace ctmr::service {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int64_t NowMs() {
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

// What one shard task may hold: the smallest memory budget per thread among
// the connected workers (each announces its budget in Ready), or, when none
// is known, half of --memory-limit.
uint64_t ShardCapacity(const Scheduler& scheduler, const RunOptions& options) {
  uint64_t capacity = 0;
  for (const auto& [id, w] : scheduler.workers()) {
    if (w.memory_budget == 0 || w.draining) continue;
    const uint64_t per_thread = w.memory_budget / std::max<uint32_t>(1, w.threads);
    if (capacity == 0 || per_thread < capacity) capacity = per_thread;
  }
  return capacity > 0 ? capacity : options.memory_limit / 2;
}

// Snapshots of earlier cycles that a killed coordinator left behind (the lock
// makes this the only run; `reduce-*` folders belong to `ct-coordinator
// reduce` processes, which remove their own).
void RemoveLeftoverSnapshots(const std::string& data_dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(data_dir + "/state/reduce", ec)) {
    if (!absl::StartsWith(e.path().filename().string(), "reduce-")) {
      std::filesystem::remove_all(e.path(), ec);
    }
  }
}

class Coordinator {
 public:
  explicit Coordinator(const RunOptions& options)
      : options_(options),
        scheduler_(SchedulerOptions{static_cast<int64_t>(options.lease_s * 1000),
                                    options.heartbeat_ms, 3, options.max_attempts,
                                    RandomFirstTaskId()}),
        control_server_(scheduler_, state_, cycle_, RunStatePath(options.data_dir)) {}
  ~Coordinator() { Shutdown(); }

  absl::Status Setup();
  int Serve();

 private:
  struct CycleResult {
    bool ok = true;  // reports written
    bool any_failed = false;
  };
  CycleResult RunCycle();
  // The shards of the reduce as shard tasks on the workers
  // (reduce/reduce_driver.h's ShardCounter over this loop).
  class WorkerShardCounter;
  friend class WorkerShardCounter;
  // The reduce (reduce/reduce_driver.h) of `dirs`, its shards counted on the
  // workers. An error (logged by the caller) means no report this cycle.
  absl::StatusOr<reduce::ReduceOutcome> Reduce(const std::string& run_id, int32_t as_of,
                                               const std::vector<const map::DateDirectory*>& dirs);
  // Runs the queued tasks to completion (or until a stop signal). False when stopped.
  bool Drain(const std::string& phase, size_t total);
  // One round: receive, tick, dispatch, heartbeats, children.
  void Pump(int64_t timeout_ms);
  void Handle(const std::string& routing_id, const Envelope& envelope);
  void AnswerControl();  // one operator request on control_
  bool Send(const std::string& routing_id, const Envelope& body);
  void StartLocalWorkers();
  void CheckChildren();
  void Shutdown();

  const RunOptions& options_;
  zmq::context_t context_;
  std::optional<ZapAuthenticator> zap_;
  std::optional<zmq::socket_t> router_;
  std::string connect_endpoint_;  // what local workers connect to
  std::vector<std::string> worker_curve_args_;
  Scheduler scheduler_;
  std::optional<zmq::socket_t> control_;  // REP for `ct-coordinator status` etc.
  std::string control_path_;              // its socket file, removed at shutdown
  RunState state_;                        // the cycle's view of ROOT/state/coordinator.json
  CycleInfo cycle_;
  ControlServer control_server_;
  std::vector<pid_t> children_;
  int64_t last_heartbeat_ms_ = 0;
  std::unique_ptr<base::LockFile> lock_;  // one coordinator per data root
  base::Progress progress_;               // the map and shard phases on a terminal
  RunMetrics metrics_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  bool shut_down_ = false;
  bool fatal_ = false;  // cannot go on (every local worker died)
};

absl::Status Coordinator::Setup() {
  const std::string state_dir = options_.data_dir + "/state";
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", state_dir, ": ", ec.message()));
  // One coordinator per data root.
  absl::StatusOr<std::unique_ptr<base::LockFile>> lock =
      base::LockFile::Acquire(state_dir + "/coordinator.lock", "another ct-coordinator run");
  if (!lock.ok()) return lock.status();
  lock_ = *std::move(lock);

  absl::StatusOr<std::unique_ptr<metrics::MetricsServer>> metrics_server =
      metrics::StartMetricsServerFromFlags("ct-coordinator", options_.metrics_listen,
                                           options_.metrics_token_file, metrics_.registry(),
                                           [this] { return metrics_.Health(NowMs()); });
  if (!metrics_server.ok()) return metrics_server.status();
  metrics_server_ = *std::move(metrics_server);

  const bool curve = !options_.curve_secret_key.empty();
  std::optional<rpc::CurveKeyPair> server;
  if (curve) {
    absl::StatusOr<rpc::CurveKeyPair> pair = rpc::ReadKeyFile(options_.curve_secret_key, false);
    if (!pair.ok()) return pair.status();
    server = *pair;
    absl::StatusOr<std::set<std::string>> keys = LoadAuthorizedKeys(options_.authorized_keys);
    if (!keys.ok()) return keys.status();
    if (options_.local_workers > 0) {
      // Local workers get a key of their own, authorized for this run only.
      const std::string prefix = state_dir + "/local-worker";
      absl::StatusOr<rpc::CurveKeyPair> local = rpc::GenerateKeyFiles(prefix);
      if (!local.ok()) return local.status();
      keys->insert(local->public_key);
      const std::string server_pub = state_dir + "/coordinator-server.pub";
      absl::Status written =
          base::WriteFileAtomically(server_pub, absl::StrCat("public ", server->public_key, "\n"));
      if (!written.ok()) return written;
      worker_curve_args_ = {"--curve-server-key", server_pub, "--curve-secret-key",
                            prefix + ".key"};
    }
    zap_.emplace(context_, *keys);
    absl::Status started = zap_->Start();
    if (!started.ok()) return started;
  }

  try {
    router_.emplace(context_, zmq::socket_type::router);
    rpc::SetCommonOptions(*router_);
    router_->set(zmq::sockopt::router_mandatory, 1);
    if (curve) {
      router_->set(zmq::sockopt::curve_server, 1);
      router_->set(zmq::sockopt::curve_secretkey, server->secret_key);
      router_->set(zmq::sockopt::zap_domain, std::string(kZapDomain));
    }
    router_->bind(options_.bind);
    connect_endpoint_ = router_->get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot bind ", options_.bind, ": ", e.what()));
  }
  // A wildcard bind is reached locally through the loopback address.
  connect_endpoint_ = absl::StrReplaceAll(
      connect_endpoint_, {{"tcp://0.0.0.0:", "tcp://127.0.0.1:"}, {"tcp://[::]:", "tcp://[::1]:"}});
  LOG(INFO) << "bound " << options_.bind << (curve ? " (CURVE)" : "")
            << "; local workers connect to " << connect_endpoint_;
  // Operators only; a coordinator without it still runs (the CLI reads the state file).
  const std::optional<std::string> control = ControlEndpoint(options_.data_dir);
  if (!control.has_value()) {
    LOG(WARNING) << "no control endpoint: " << state_dir
                 << "/control.ipc is too long for a Unix socket";
  } else {
    try {
      control_.emplace(context_, zmq::socket_type::rep);
      rpc::SetCommonOptions(*control_);
      control_->bind(*control);
      control_path_ = control->substr(6);
    } catch (const zmq::error_t& e) {
      LOG(WARNING) << "no control endpoint: cannot bind " << *control << ": " << e.what();
      control_.reset();
    }
  }

  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  StartLocalWorkers();
  return absl::OkStatus();
}

void Coordinator::StartLocalWorkers() {
  if (options_.local_workers <= 0) return;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string worker = (self.parent_path() / "ct-worker").string();
  std::vector<std::string> args = {worker,
                                   "--connect",
                                   connect_endpoint_,
                                   "--heartbeat-ms",
                                   std::to_string(options_.heartbeat_ms),
                                   "--memory-limit",
                                   std::to_string(options_.memory_limit)};
  args.insert(args.end(), worker_curve_args_.begin(), worker_curve_args_.end());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  for (int i = 0; i < options_.local_workers; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      // Dies with the coordinator, even if it is killed.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);
      ::execv(argv[0], argv.data());
      std::fprintf(stderr, "ct-coordinator: cannot run %s: %s\n", argv[0],
                   base::ErrnoText(errno).c_str());
      ::_exit(127);
    }
    if (pid < 0) {
      LOG(ERROR) << "cannot start a local worker: " << base::ErrnoText(errno);
      continue;
    }
    children_.push_back(pid);
  }
  LOG(INFO) << "started " << children_.size() << " local workers (" << worker << ")";
}

void Coordinator::CheckChildren() {
  for (auto it = children_.begin(); it != children_.end();) {
    int status = 0;
    if (::waitpid(*it, &status, WNOHANG) == *it) {
      progress_.Break();
      LOG(WARNING) << "local worker " << *it << " exited ("
                   << (WIFEXITED(status) ? absl::StrCat("status ", WEXITSTATUS(status))
                                         : absl::StrCat("signal ", WTERMSIG(status)))
                   << ")";
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Coordinator::Send(const std::string& routing_id, const Envelope& body) {
  try {
    if (!router_->send(zmq::buffer(routing_id),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return false;
    }
    router_->send(rpc::EncodeEnvelope(body), zmq::send_flags::dontwait);
    return true;
  } catch (const zmq::error_t& e) {
    if (e.num() != EHOSTUNREACH) LOG(WARNING) << "send failed: " << e.what();
    return false;
  }
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
      if (!Send(routing_id, hb)) scheduler_.Forget(routing_id);
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

void Coordinator::AnswerControl() {
  try {
    std::vector<zmq::message_t> frames;
    do {
      frames.emplace_back();
      if (!control_->recv(frames.back(), zmq::recv_flags::dontwait)) return;
    } while (frames.back().more());
    const std::string reply = frames.size() == 1
                                  ? control_server_.Handle(frames[0].to_string_view(), NowMs())
                                  : std::string(R"({"error":"a request is one frame"})");
    control_->send(zmq::buffer(reply), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR && e.num() != EAGAIN) LOG(WARNING) << "control endpoint: " << e.what();
  }
}

void Coordinator::Pump(int64_t timeout_ms) {
  zmq::pollitem_t items[2] = {{router_->handle(), 0, ZMQ_POLLIN, 0},
                              {control_ ? control_->handle() : nullptr, 0, ZMQ_POLLIN, 0}};
  zmq::pollitem_t& item = items[0];
  try {
    zmq::poll(items, control_ ? 2 : 1, std::chrono::milliseconds(timeout_ms));
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
  }
  if (items[1].revents & ZMQ_POLLIN) AnswerControl();
  for (int n = 0; n < 1000 && (item.revents & ZMQ_POLLIN); ++n) {
    std::vector<zmq::message_t> frames;
    try {
      do {
        frames.emplace_back();
        if (!router_->recv(frames.back(), zmq::recv_flags::dontwait)) {
          frames.pop_back();
          break;
        }
      } while (frames.back().more());
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
    if (frames.empty()) break;
    if (frames.size() < 2) continue;
    const std::string routing_id = frames.front().to_string();
    std::optional<Envelope> envelope = rpc::DecodeEnvelope(frames.back());
    if (!envelope.has_value()) {
      LOG(WARNING) << "dropped an undecodable message from " << WorkerLabel(routing_id, "");
      continue;
    }
    Handle(routing_id, *envelope);
  }
  const int64_t now = NowMs();
  for (const Outgoing& o : scheduler_.OnTick(now)) Send(o.routing_id, o.body);
  metrics_.Observe(scheduler_, now);
  for (const Outgoing& o : scheduler_.Dispatch(now)) {
    if (!Send(o.routing_id, o.body)) {
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
      if (!Send(id, hb)) gone.push_back(id);
    }
    for (const std::string& id : gone) scheduler_.Forget(id);
    CheckChildren();
  }
}

bool Coordinator::Drain(const std::string& phase, size_t total) {
  while (!scheduler_.Idle()) {
    if (g_stop) return false;
    if (options_.local_workers > 0 && children_.empty() && scheduler_.workers().empty()) {
      progress_.Break();
      LOG(ERROR) << "every local worker exited and no other worker is connected";
      fatal_ = true;
      return false;
    }
    Pump(std::min(100, options_.heartbeat_ms));
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
  return true;
}

std::string RunId() {
  std::string id = NowRfc3339();
  id.erase(std::remove(id.begin(), id.end(), ':'), id.end());
  return absl::StrCat(id, "-", ::getpid());
}

class Coordinator::WorkerShardCounter : public reduce::ShardCounter {
 public:
  explicit WorkerShardCounter(Coordinator* c) : c_(c) {}

  // The shards are sized for the workers' memory budgets: wait until one has
  // announced its budget (the shard tasks would wait for a worker anyway).
  absl::StatusOr<uint64_t> ShardCapacity() override {
    while (c_->scheduler_.workers().empty()) {
      if (g_stop || (c_->options_.local_workers > 0 && c_->children_.empty())) {
        return absl::CancelledError("stopped while waiting for a worker");
      }
      c_->Pump(c_->options_.heartbeat_ms);
    }
    return service::ShardCapacity(c_->scheduler_, c_->options_);
  }
  // A shard is sized for one worker thread.
  int Parallelism() const override { return 1; }

  absl::Status CountAll(const ShardTask& whole, reduce::ShardQueue* queue,
                        reduce::ReduceStats* stats) override {
    std::map<uint64_t, reduce::ShardQueue::Shard> pending;
    while (!queue->finished()) {
      while (std::optional<reduce::ShardQueue::Shard> shard = queue->Take()) {
        pending[c_->scheduler_.AddShardTask(reduce::TaskForRange(whole, shard->range))] = *shard;
      }
      if (!c_->Drain("reduce shards", pending.size())) return absl::CancelledError("stopped");
      std::map<uint64_t, reduce::ShardQueue::Shard> done = std::move(pending);
      pending.clear();
      for (const auto& [id, shard] : done) {
        const Task* t = c_->scheduler_.task(id);
        if (t->state == TaskState::kDone) {
          RETURN_IF_ERROR(queue->Counted(t->result.shard(), stats));
        } else if (t->last_error_kind == TOO_LARGE) {
          // Too large for a worker's budget: cut it into pieces that fit.
          const uint64_t needed = t->result.needed_bytes();
          absl::StatusOr<uint32_t> pieces =
              queue->TooLarge(shard, needed, service::ShardCapacity(c_->scheduler_, c_->options_));
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
    c_->scheduler_.TakeFinished();
    return absl::OkStatus();
  }

 private:
  Coordinator* const c_;
};

absl::StatusOr<reduce::ReduceOutcome> Coordinator::Reduce(
    const std::string& run_id, int32_t as_of, const std::vector<const map::DateDirectory*>& dirs) {
  reduce::ReduceRequest request;
  request.data_dir = options_.data_dir;
  request.id = run_id;
  request.dirs = dirs;
  request.as_of = as_of;
  request.window_days = options_.window_days;
  request.shards = options_.shards;
  request.resident_limit = options_.memory_limit;
  WorkerShardCounter counter(this);
  absl::StatusOr<reduce::ReduceOutcome> out = reduce::RunReduce(request, &counter);
  if (out.ok()) {
    if (!out->pinned) {
      LOG(WARNING) << options_.data_dir << " does not support hard links: the shards read the "
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

Coordinator::CycleResult Coordinator::RunCycle() {
  CycleResult cycle;
  const std::string run_id = RunId();
  const int32_t as_of = options_.as_of.value_or(base::TodayUtc());
  const std::string state_path = RunStatePath(options_.data_dir);
  absl::StatusOr<RunState> loaded = LoadRunState(state_path);
  if (!loaded.ok()) {
    LOG(ERROR) << loaded.status().message();
    return {false, true};
  }
  state_ = *std::move(loaded);
  RunState& state = state_;
  RemoveLeftoverSnapshots(options_.data_dir);
  for (const std::string& name : ApplyRequeue(state)) LOG(INFO) << "requeued " << name;
  cycle_ = CycleInfo{run_id, base::FormatDate(as_of), "map", NowMs()};
  state.last_run = LastRun{};
  state.last_run.run_id = run_id;
  state.last_run.started_at = NowRfc3339();
  state.last_run.as_of = base::FormatDate(as_of);

  absl::StatusOr<map::DataRootListing> listing = map::ListDataRoot(options_.data_dir);
  if (!listing.ok()) {
    LOG(ERROR) << listing.status().message();
    return {false, true};
  }

  // Discover: one map task per stale directory; failed ones wait for a
  // requeue or new input.
  std::set<std::string> failed;
  std::map<uint64_t, const map::DateDirectory*> map_tasks;
  const MapWork work = FindMapWork(*listing, state);
  failed.insert(work.skipped_failed.begin(), work.skipped_failed.end());
  for (const std::string& name : work.retried) {
    LOG(INFO) << name << " failed before and its input changed: trying again";
    state.failed.erase(name);
  }
  for (const map::DateDirectory* d : work.to_map) map_tasks[scheduler_.AddMapTask(d->path)] = d;
  LOG(INFO) << "run " << run_id << " as of " << base::FormatDate(as_of) << ": "
            << listing->dates.size() << " date directories, " << map_tasks.size() << " to map, "
            << failed.size() << " skipped as failed";
  const auto note_status_failure = [&](const std::string& name, const absl::Status& status) {
    failed.insert(name);
    FailedDirectory& f = state.failed[name];
    f.attempts = 1;
    f.error_kind = ErrorKind_Name(absl::IsUnavailable(status) ? TRANSIENT : PERMANENT);
    f.last_error = std::string(status.message());
    f.input_fingerprint = InputFingerprint(absl::StrCat(options_.data_dir, "/", name)).value_or("");
    f.failed_at = NowRfc3339();
  };
  const auto note_failure = [&](const map::DateDirectory& d, const Task& t) {
    failed.insert(d.name);
    FailedDirectory& f = state.failed[d.name];
    f.attempts = t.attempts;
    f.error_kind = ErrorKind_Name(t.last_error_kind);
    f.last_error = t.last_error;
    f.input_fingerprint = InputFingerprint(d.path).value_or("");
    f.failed_at = NowRfc3339();
  };

  uint64_t mapped = 0;
  if (!Drain("map", map_tasks.size())) return {false, true};
  for (const auto& [id, dir] : map_tasks) {
    const Task* t = scheduler_.task(id);
    if (t->state == TaskState::kDone) {
      if (t->result.map().committed()) ++mapped;
    } else {
      note_failure(*dir, *t);
    }
  }
  state.last_run.map_tasks = map_tasks.size();
  state.last_run.mapped = mapped;

  // The sharded reduce of every mapped, non-failed directory (expired ones
  // too: certs_issued counts them).
  cycle_.phase = "reduce";
  std::vector<const map::DateDirectory*> reducible;
  for (const map::DateDirectory& d : listing->dates) {
    if (failed.count(d.name) == 0) reducible.push_back(&d);
  }
  absl::StatusOr<reduce::ReduceOutcome> reduced = Reduce(run_id, as_of, reducible);
  if (!reduced.ok()) {
    LOG(ERROR) << reduced.status().message() << "; no report this cycle";
    return {false, true};
  }
  for (const auto& [name, status] : reduced->failed) note_status_failure(name, status);
  scheduler_.TakeFinished();

  cycle_.phase = "report";
  report::Report report;
  report.as_of = as_of;
  report.window_days = options_.window_days;
  report.mapped_directories = mapped;
  report.failed_directories.assign(failed.begin(), failed.end());
  report.invalid_date_directories = listing->invalid_date_names;
  report.stats = std::move(reduced->stats);
  report.data_dir = options_.data_dir;
  absl::Status written = report::WriteReports(options_.out_dir, report);
  if (!written.ok()) {
    LOG(ERROR) << "cannot write the reports: " << written.message();
    cycle.ok = false;
  }
  cycle.any_failed = !failed.empty();

  const uint64_t shard_tasks = reduced->run.shards + reduced->run.splits;
  state.last_run.merge_tasks = shard_tasks;
  state.last_run.failed = failed.size();
  state.last_run.discarded_results = scheduler_.discarded_results();
  state.last_run.finished_at = NowRfc3339();
  state.workers.clear();
  for (const auto& [id, w] : scheduler_.workers()) {
    state.workers.push_back(WorkerLabel(id, w.name));
  }
  // Requests written while this cycle ran are kept for the next one.
  absl::StatusOr<RunState> current = LoadRunState(state_path);
  if (current.ok()) state.requeue = current->requeue;
  absl::Status saved = SaveRunState(state_path, state);
  if (!saved.ok()) LOG(ERROR) << "cannot save " << state_path << ": " << saved.message();

  const reduce::ActiveCounts& t = report.stats.totals;
  LOG(INFO) << "as of " << base::FormatDate(as_of) << ": " << t.certs << " active certificates, "
            << t.fqdns << " FQDNs, " << t.regdomains << " registered domains, " << t.wildcards
            << " wildcards in " << report.stats.active_directories << " directories (" << mapped
            << " mapped now, " << failed.size() << " failed, " << shard_tasks
            << " shard tasks holding at most " << base::FormatBytes(reduced->run.peak_reserved)
            << " of hash sets); reports: " << options_.out_dir;
  return cycle;
}

int Coordinator::Serve() {
  int64_t next_cycle = NowMs();
  while (!g_stop) {
    if (NowMs() < next_cycle) {
      Pump(std::min<int64_t>(next_cycle - NowMs(), options_.heartbeat_ms));
      continue;
    }
    const CycleResult cycle = RunCycle();
    metrics_.OnCycle(cycle.ok && !cycle.any_failed);
    metrics_.Observe(scheduler_, NowMs(), /*force=*/true);
    scheduler_.PruneFinished();
    cycle_.phase = "waiting";
    if (g_stop) break;
    if (fatal_) return 1;
    if (options_.once) return cycle.ok && !cycle.any_failed ? 0 : 1;
    next_cycle = NowMs() + static_cast<int64_t>(options_.interval_s * 1000);
    LOG(INFO) << "next cycle in " << options_.interval_s << " s";
  }
  LOG(INFO) << "stopping on a signal";
  return options_.once ? 1 : 0;
}

void Coordinator::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (router_.has_value()) {
    Envelope bye;
    bye.mutable_shutdown();
    for (const auto& [id, w] : scheduler_.workers()) Send(id, bye);
  }
  for (pid_t pid : children_) ::kill(pid, SIGTERM);
  const int64_t give_up = NowMs() + 10'000;
  for (pid_t pid : children_) {
    while (::waitpid(pid, nullptr, WNOHANG) == 0) {
      if (NowMs() > give_up) {
        LOG(WARNING) << "local worker " << pid << " ignores SIGTERM; killing it";
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  children_.clear();
  router_.reset();
  control_.reset();
  // A socket file left behind would make the CLI wait for an answer first.
  if (!control_path_.empty()) ::unlink(control_path_.c_str());
  if (zap_.has_value()) zap_->Stop();
  zap_.reset();
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
