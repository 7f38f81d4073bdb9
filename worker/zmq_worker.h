// ZmqWorker: `ct-worker --connect`, a worker in the ZeroMQ guide's Paranoid
// Pirate pattern. One DEALER socket connects to the coordinator's ROUTER.
//
//   - On every (re)connection: a fresh random routing id, then Ready.
//   - Heartbeat{running_tasks} every heartbeat interval. When nothing valid
//     arrives from the coordinator for `liveness` intervals, the socket is
//     closed and a new one connects after an exponential backoff
//     (reconnect_min doubling up to reconnect_max, reset by any message).
//   - A task is accepted only when a task thread is free; otherwise, or while
//     stopping, it is answered at once with a TRANSIENT failure.
//   - Tasks keep running across reconnections; results that could not be sent
//     are sent on the next connection (the coordinator decides whether to
//     accept them). Cancel{task_id} drops that task's result.
//   - Shutdown, or RequestStop() (signals), stops taking tasks, waits for the
//     running ones, sends their results and returns. A task still running
//     `stop_grace` after the stop began (stuck in a read of a FIFO or a hung
//     NFS mount, which no signal interrupts) is abandoned: Run() returns
//     DeadlineExceeded, and the caller must end the process at once
//     (std::_Exit), for the stuck thread cannot be joined; its lease expires
//     on the coordinator, which retries the task elsewhere.
//   - ZeroMQ's own transport reconnection is off: a lost peer means silence,
//     then a new socket. A peer that sends Ready or Result is not a
//     coordinator (e.g. a TCP self-connect) and also means a new socket.
//   - Frames that do not decode (garbage, multi-part, another protocol
//     version, oversized) are logged and dropped.
//
// Threading: Run() owns the socket on the calling thread; task threads never
// touch it. They hand results back through a mutex-protected queue and wake
// the loop through a pipe that zmq_poll watches beside the socket.
#ifndef CT_WORKER_ZMQ_WORKER_H_
#define CT_WORKER_ZMQ_WORKER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "absl/status/status.h"
#include "common/rpc/zmq_util.h"
#include "proto/coordination.pb.h"

namespace ctmr::worker {

struct ZmqWorkerOptions {
  std::string endpoint;  // e.g. "tcp://coordinator:5555"
  unsigned threads = 1;
  std::string worker_name;  // "<host>:<pid>"
  std::chrono::milliseconds heartbeat{1000};
  int liveness = 3;  // heartbeat intervals of silence before reconnecting
  std::chrono::milliseconds reconnect_min{1000};
  std::chrono::milliseconds reconnect_max{32000};
  uint64_t memory_budget = 0;  // announced in Ready: what shard tasks may hold at once
  // How long running tasks may take to finish once a stop began.
  std::chrono::milliseconds stop_grace{30000};
  // CURVE client keys (Z85); plain connection when unset.
  std::optional<std::string> curve_server_key;
  std::optional<rpc::CurveKeyPair> curve_client;
};

// Runs one task (an Envelope holding a map_task or shard_task) and returns its
// Result. Called on task threads, several at once.
using TaskFunction = std::function<Result(const Envelope& task)>;

// "<hostname>:<pid>".
std::string DefaultWorkerName();

class ZmqWorker {
 public:
  ZmqWorker(ZmqWorkerOptions options, TaskFunction run_task);
  ~ZmqWorker();
  ZmqWorker(const ZmqWorker&) = delete;
  ZmqWorker& operator=(const ZmqWorker&) = delete;

  // Serves the coordinator until Shutdown or RequestStop(), then waits for
  // the running tasks (up to stop_grace) and sends their results. OK on a
  // clean stop; DeadlineExceeded when tasks were still running after
  // stop_grace (end the process without destroying this object: its
  // destructor joins the task threads); InvalidArgument for an endpoint
  // ZeroMQ refuses; Internal for other ZeroMQ failures.
  absl::Status Run();

  // Asks Run() to stop. Async-signal-safe: an atomic store and a write(2).
  void RequestStop();

 private:
  struct Running {
    bool cancelled = false;
  };

  void TaskThread();
  absl::Status Connect();
  void Disconnect();
  // Sends on the current socket; false when there is none or it would block.
  bool Send(Envelope envelope);
  void SendHeartbeat();
  void ReceiveAll();
  void Handle(const Envelope& envelope);
  void Accept(const Envelope& task, uint64_t task_id);
  void Reject(uint64_t task_id, const std::string& why);
  // Moves finished results to the outbox (dropping cancelled ones), then
  // sends what the outbox holds.
  void CollectResults();
  void FlushOutbox();
  void DrainWakePipe();
  // Polls the socket (if connected) and the wake pipe for up to `timeout`.
  void Poll(std::chrono::milliseconds timeout);
  bool Done() const;
  void BeginStop(const char* why);

  const ZmqWorkerOptions options_;
  const TaskFunction run_task_;
  int wake_fds_[2] = {-1, -1};
  std::atomic<bool> stop_requested_{false};
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;  // stopping_: the grace ends

  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::chrono::steady_clock::time_point last_heard_;
  // Whether anything arrived on the current connection. The coordinator
  // answers Ready at once, so a silent new connection is given up after
  // kFirstContact instead of the full liveness period.
  bool heard_on_connection_ = false;
  static constexpr std::chrono::milliseconds kFirstContact{500};
  bool talking_to_worker_ = false;  // the peer sent Ready or Result

  // Owned by the loop thread.
  std::map<uint64_t, Running> running_;
  std::deque<Result> outbox_;

  // Shared with the task threads.
  std::mutex mu_;
  std::condition_variable tasks_cv_;
  std::deque<Envelope> tasks_;
  std::deque<Result> finished_;
  bool threads_exit_ = false;
  std::vector<std::thread> threads_;
};

// Installs SIGTERM and SIGINT handlers that call worker->RequestStop().
void StopOnSignals(ZmqWorker* worker);

}  // namespace ctmr::worker

#endif  // CT_WORKER_ZMQ_WORKER_H_
