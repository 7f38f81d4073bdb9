#include "worker/zmq_worker.h"

#include <fcntl.h>
#include <glog/logging.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <random>

#include "absl/strings/str_cat.h"

namespace ctmr::worker {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Never starts with a zero byte (libzmq reserves those) and differs on every
// connection, so the coordinator sees a reconnected worker as a new peer.
std::string RandomRoutingId() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char id[40];
  std::snprintf(id, sizeof(id), "w%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return id;
}

uint64_t TaskIdOf(const Envelope& task) {
  if (task.has_map_task()) return task.map_task().task_id();
  if (task.has_shard_task()) return task.shard_task().task_id();
  return 0;
}

Result FailedResult(uint64_t task_id, const std::string& why) {
  Result r;
  r.set_task_id(task_id);
  r.set_ok(false);
  r.set_error_kind(TRANSIENT);
  r.set_error(why);
  return r;
}

std::atomic<ZmqWorker*> g_signal_worker{nullptr};

void OnStopSignal(int /*signo*/) {
  ZmqWorker* worker = g_signal_worker.load();
  if (worker != nullptr) worker->RequestStop();
}

}  // namespace

std::string DefaultWorkerName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "unknown");
  return absl::StrCat(std::string(host), ":", static_cast<int64_t>(::getpid()));
}

void StopOnSignals(ZmqWorker* worker) {
  g_signal_worker.store(worker);
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

ZmqWorker::ZmqWorker(ZmqWorkerOptions options, TaskFunction run_task)
    : options_(std::move(options)), run_task_(std::move(run_task)) {
  if (::pipe2(wake_fds_, O_NONBLOCK | O_CLOEXEC) != 0) {
    PLOG(FATAL) << "pipe2";
  }
}

ZmqWorker::~ZmqWorker() {
  if (g_signal_worker.load() == this) g_signal_worker.store(nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads_exit_ = true;
  }
  tasks_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  socket_.reset();
  ::close(wake_fds_[0]);
  ::close(wake_fds_[1]);
}

void ZmqWorker::RequestStop() {
  stop_requested_.store(true);
  const int saved_errno = errno;
  // A full pipe already holds a wake-up; nothing else to do.
  [[maybe_unused]] const ssize_t n = ::write(wake_fds_[1], "s", 1);
  errno = saved_errno;
}

void ZmqWorker::TaskThread() {
  while (true) {
    Envelope task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      tasks_cv_.wait(lock, [this] { return threads_exit_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    Result result;
    try {
      result = run_task_(task);
    } catch (const std::exception& e) {
      result = FailedResult(TaskIdOf(task), absl::StrCat("task failed: ", e.what()));
    }
    result.set_task_id(TaskIdOf(task));
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_.push_back(std::move(result));
    }
    [[maybe_unused]] const ssize_t n = ::write(wake_fds_[1], "r", 1);
  }
}

absl::Status ZmqWorker::Run() {
  try {
    for (unsigned i = 0; i < std::max(1u, options_.threads); ++i) {
      threads_.emplace_back([this] { TaskThread(); });
    }
    const milliseconds silence = options_.heartbeat * std::max(1, options_.liveness);
    milliseconds backoff = options_.reconnect_min;
    milliseconds first_contact_backoff = kFirstContact / 4;
    while (true) {
      absl::Status connected = Connect();
      if (!connected.ok()) return connected;
      Clock::time_point next_heartbeat = Clock::now() + options_.heartbeat;
      while (true) {
        const auto wait = std::chrono::duration_cast<milliseconds>(next_heartbeat - Clock::now());
        Poll(std::max(milliseconds(0), wait));
        const Clock::time_point heard_before = last_heard_;
        ReceiveAll();
        if (last_heard_ != heard_before) {
          backoff = options_.reconnect_min;
          first_contact_backoff = kFirstContact / 4;
          heard_on_connection_ = true;
        }
        CollectResults();
        if (Done()) break;
        const Clock::time_point now = Clock::now();
        if (now >= next_heartbeat) {
          SendHeartbeat();
          next_heartbeat = now + options_.heartbeat;
        }
        // A connection the coordinator never answered (it was not listening
        // yet, or the address is wrong) is given up after kFirstContact: the
        // coordinator answers Ready at once. ZeroMQ's own reconnect is off.
        const bool never_heard = !heard_on_connection_;
        if (now - last_heard_ > (never_heard ? std::min(silence, kFirstContact) : silence) ||
            talking_to_worker_) {
          break;
        }
      }
      if (Done()) break;
      if (!talking_to_worker_) {
        LOG(WARNING) << "no message from the coordinator at " << options_.endpoint << " for "
                     << silence.count() << " ms; reconnecting in " << backoff.count() << " ms";
      }
      Disconnect();
      // A connection that never got an answer waits less before the next try
      // (the coordinator was probably not listening yet), growing as usual.
      if (!heard_on_connection_) {
        first_contact_backoff = std::min(first_contact_backoff * 2, backoff);
      }
      const Clock::time_point until =
          Clock::now() + (heard_on_connection_ ? backoff : first_contact_backoff);
      for (Clock::time_point now = Clock::now(); now < until && !Done(); now = Clock::now()) {
        Poll(std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1));
        CollectResults();
      }
      if (Done()) break;
      backoff = std::min(backoff * 2, options_.reconnect_max);
    }
    if (!outbox_.empty()) {
      LOG(WARNING) << outbox_.size() << " results could not be sent: not connected";
    }
    const size_t stuck = running_.size();
    if (stuck > 0) {
      LOG(ERROR) << stuck << " tasks still running " << options_.stop_grace.count()
                 << " ms after the stop began; exiting without them";
    }
    if (socket_ != nullptr) {
      // Give the results just queued a chance to leave before the socket goes.
      socket_->set(zmq::sockopt::linger,
                   static_cast<int>(std::min(silence, milliseconds(2000)).count()));
      socket_.reset();
    }
    if (stuck > 0) {
      return absl::DeadlineExceededError(
          absl::StrCat(stuck, " tasks did not finish within the stop grace period of ",
                       options_.stop_grace.count(), " ms"));
    }
    LOG(INFO) << "stopped";
    return absl::OkStatus();
  } catch (const zmq::error_t& e) {
    return absl::InternalError(absl::StrCat("ZeroMQ: ", e.what()));
  }
}

absl::Status ZmqWorker::Connect() {
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  rpc::SetCommonOptions(*socket_);
  // Reconnecting is ours alone (new routing id, Ready), never ZeroMQ's silent
  // one: a coordinator restarted on the same port then always gets a Ready,
  // and a socket that loses its peer goes quiet and is replaced.
  socket_->set(zmq::sockopt::reconnect_ivl, -1);
  socket_->set(zmq::sockopt::routing_id, RandomRoutingId());
  if (options_.curve_server_key.has_value() && options_.curve_client.has_value()) {
    socket_->set(zmq::sockopt::curve_serverkey, *options_.curve_server_key);
    socket_->set(zmq::sockopt::curve_publickey, options_.curve_client->public_key);
    socket_->set(zmq::sockopt::curve_secretkey, options_.curve_client->secret_key);
  }
  try {
    socket_->connect(options_.endpoint);
  } catch (const zmq::error_t& e) {
    socket_.reset();
    return absl::InvalidArgumentError(
        absl::StrCat("cannot connect to ", options_.endpoint, ": ", e.what()));
  }
  last_heard_ = Clock::now();
  heard_on_connection_ = false;
  LOG(INFO) << "connecting to " << options_.endpoint << " as " << options_.worker_name;
  Envelope ready;
  ready.mutable_ready()->set_worker_name(options_.worker_name);
  ready.mutable_ready()->set_threads(stopping_ ? 0 : std::max(1u, options_.threads));
  ready.mutable_ready()->set_memory_budget(options_.memory_budget);
  Send(std::move(ready));
  FlushOutbox();
  return absl::OkStatus();
}

void ZmqWorker::Disconnect() {
  socket_.reset();
  talking_to_worker_ = false;
}

bool ZmqWorker::Send(Envelope envelope) {
  if (socket_ == nullptr) return false;
  return socket_->send(rpc::EncodeEnvelope(std::move(envelope)), zmq::send_flags::dontwait)
      .has_value();
}

void ZmqWorker::SendHeartbeat() {
  Envelope heartbeat;
  Heartbeat* h = heartbeat.mutable_heartbeat();
  for (const auto& [id, r] : running_) {
    if (!r.cancelled) h->add_running_tasks(id);
  }
  Send(std::move(heartbeat));
}

void ZmqWorker::Poll(milliseconds timeout) {
  zmq::pollitem_t items[2] = {{nullptr, wake_fds_[0], ZMQ_POLLIN, 0},
                              {socket_ != nullptr ? socket_->handle() : nullptr, 0, ZMQ_POLLIN, 0}};
  const int count = socket_ != nullptr ? 2 : 1;
  // EINTR (a signal) is fine: the handler has written to the wake pipe.
  if (::zmq_poll(items, count, static_cast<long>(timeout.count())) < 0 && zmq_errno() != EINTR) {
    throw zmq::error_t();
  }
  if ((items[0].revents & ZMQ_POLLIN) != 0) DrainWakePipe();
  if (stop_requested_.load() && !stopping_) BeginStop("stop requested");
}

void ZmqWorker::BeginStop(const char* why) {
  if (stopping_) return;
  LOG(INFO) << why << ": finishing " << running_.size() << " running tasks (waiting up to "
            << options_.stop_grace.count() << " ms)";
  stopping_ = true;
  stop_deadline_ = Clock::now() + options_.stop_grace;
}

void ZmqWorker::DrainWakePipe() {
  char buffer[256];
  while (::read(wake_fds_[0], buffer, sizeof(buffer)) > 0) {
  }
}

void ZmqWorker::ReceiveAll() {
  while (socket_ != nullptr) {
    zmq::message_t frame;
    if (!socket_->recv(frame, zmq::recv_flags::dontwait).has_value()) return;
    if (frame.more()) {
      size_t parts = 1;
      do {
        (void)socket_->recv(frame, zmq::recv_flags::none);  // the rest is already here
        ++parts;
      } while (frame.more());
      LOG(WARNING) << "dropped a message of " << parts << " frames (expected one envelope)";
      continue;
    }
    std::optional<Envelope> envelope = rpc::DecodeEnvelope(frame);
    if (!envelope.has_value()) {
      LOG(WARNING) << "dropped a frame of " << frame.size()
                   << " bytes: not an envelope of protocol version " << rpc::kProtocolVersion;
      continue;
    }
    if (envelope->has_ready() || envelope->has_result()) {
      // Only workers send these: the socket reached itself (a TCP
      // self-connect to a port in the ephemeral range) or another worker.
      LOG(WARNING) << "received a worker's message on the coordinator connection; reconnecting";
      talking_to_worker_ = true;
      return;
    }
    last_heard_ = Clock::now();
    Handle(*envelope);
  }
}

void ZmqWorker::Handle(const Envelope& envelope) {
  switch (envelope.body_case()) {
    case Envelope::kHeartbeat:
      return;
    case Envelope::kMapTask:
      return Accept(envelope, envelope.map_task().task_id());
    case Envelope::kShardTask:
      return Accept(envelope, envelope.shard_task().task_id());
    case Envelope::kCancel: {
      const uint64_t id = envelope.cancel().task_id();
      auto it = running_.find(id);
      if (it == running_.end()) return;
      std::lock_guard<std::mutex> lock(mu_);
      for (auto t = tasks_.begin(); t != tasks_.end(); ++t) {
        if (TaskIdOf(*t) == id) {  // not started: forget it entirely
          tasks_.erase(t);
          running_.erase(it);
          return;
        }
      }
      it->second.cancelled = true;
      return;
    }
    case Envelope::kShutdown:
      BeginStop("shutdown requested by the coordinator");
      return;
    default:
      LOG(WARNING) << "dropped an unexpected message from the coordinator (body "
                   << envelope.body_case() << ")";
  }
}

void ZmqWorker::Accept(const Envelope& task, uint64_t task_id) {
  if (running_.count(task_id) > 0) {
    LOG(WARNING) << "task " << task_id << " is already running; duplicate ignored";
    return;
  }
  if (stopping_) return Reject(task_id, "worker is shutting down");
  if (running_.size() >= std::max(1u, options_.threads)) {
    return Reject(task_id, "worker has no free thread");
  }
  running_[task_id] = Running{};
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(task);
  }
  tasks_cv_.notify_one();
}

void ZmqWorker::Reject(uint64_t task_id, const std::string& why) {
  LOG(WARNING) << "task " << task_id << " refused: " << why;
  Envelope envelope;
  *envelope.mutable_result() = FailedResult(task_id, why);
  Send(std::move(envelope));
}

void ZmqWorker::CollectResults() {
  std::deque<Result> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished.swap(finished_);
  }
  for (Result& r : finished) {
    auto it = running_.find(r.task_id());
    if (it != running_.end()) {
      const bool cancelled = it->second.cancelled;
      running_.erase(it);
      if (cancelled) {
        LOG(INFO) << "task " << r.task_id() << " was cancelled; result dropped";
        continue;
      }
    }
    outbox_.push_back(std::move(r));
  }
  FlushOutbox();
}

void ZmqWorker::FlushOutbox() {
  while (!outbox_.empty()) {
    Envelope envelope;
    *envelope.mutable_result() = outbox_.front();
    if (!Send(std::move(envelope))) return;
    outbox_.pop_front();
  }
}

bool ZmqWorker::Done() const {
  if (!stopping_) return false;
  // A task stuck past the grace period does not hold up the stop.
  if (Clock::now() >= stop_deadline_) return true;
  // Without a connection, results that are still waiting cannot hold up a stop.
  return running_.empty() && (outbox_.empty() || socket_ == nullptr);
}

}  // namespace ctmr::worker
