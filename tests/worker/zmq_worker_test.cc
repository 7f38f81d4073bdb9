// The connected worker against a coordinator played by the test: a real
// ROUTER on an ephemeral loopback port. The first tests run the real
// `ct-worker --connect` binary; the last ones run ZmqWorker in process with a
// task function the test controls, for what depends on a task's timing
// (busy, cancel, results across a reconnection, stop while running).
#include "worker/zmq_worker.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "common/rpc/zmq_util.h"
#include "gtest/gtest.h"
#include "tests/support/test_support.h"

namespace ctmr::worker {
namespace {

using ::ctmr::testing::BinaryPath;
using ::ctmr::testing::ReadFile;
using ::ctmr::testing::StartProcess;
using ::ctmr::testing::TempDir;
using ::ctmr::testing::WaitProcess;
using ::ctmr::testing::WriteFile;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct Message {
  std::string peer;  // the worker's routing id
  Envelope envelope;
};

// The coordinator's side: a ROUTER that answers heartbeats (unless told not to).
class FakeCoordinator {
 public:
  // Generous: a worker process starting under the sanitizers on a loaded
  // 2-core CI machine once took more than 5 s to say Ready. A test that
  // passes never waits this long; one that asserts silence passes its own.
  static constexpr milliseconds kPatience = milliseconds(30000);

  explicit FakeCoordinator(const std::string& bind = "tcp://127.0.0.1:*",
                           const std::optional<rpc::CurveKeyPair>& server_keys = std::nullopt)
      : router_(context_, zmq::socket_type::router) {
    router_.set(zmq::sockopt::linger, 0);
    if (server_keys.has_value()) {
      router_.set(zmq::sockopt::curve_server, 1);
      router_.set(zmq::sockopt::curve_secretkey, server_keys->secret_key);
    }
    router_.bind(bind);
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  }

  const std::string& endpoint() const { return endpoint_; }

  // The next envelope within `timeout`, heartbeats included.
  std::optional<Message> Receive(milliseconds timeout) {
    const Clock::time_point until = Clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
      if (left.count() < 0) return std::nullopt;
      zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if ((item.revents & ZMQ_POLLIN) == 0) continue;
      zmq::message_t peer, payload;
      (void)router_.recv(peer);
      if (!peer.more()) continue;
      (void)router_.recv(payload);
      std::optional<Envelope> envelope = rpc::DecodeEnvelope(payload);
      if (!envelope.has_value()) continue;
      Message m{peer.to_string(), *envelope};
      if (m.envelope.has_heartbeat()) {
        ++heartbeats_;
        if (answer_heartbeats) Send(m.peer, Heartbeat());
      }
      return m;
    }
  }

  // The first message `match` accepts within `timeout`; others are skipped.
  std::optional<Message> WaitFor(const std::function<bool(const Message&)>& match,
                                 milliseconds timeout = kPatience) {
    const Clock::time_point until = Clock::now() + timeout;
    while (Clock::now() < until) {
      std::optional<Message> m =
          Receive(std::chrono::duration_cast<milliseconds>(until - Clock::now()));
      if (m.has_value() && match(*m)) return m;
    }
    return std::nullopt;
  }

  std::optional<Message> WaitForReady() {
    return WaitFor([](const Message& m) { return m.envelope.has_ready(); }, kPatience);
  }

  std::optional<Message> WaitForResult(uint64_t task_id, milliseconds timeout = kPatience) {
    return WaitFor(
        [task_id](const Message& m) {
          return m.envelope.has_result() && m.envelope.result().task_id() == task_id;
        },
        timeout);
  }

  void Send(const std::string& peer, const Heartbeat& h) {
    Envelope e;
    *e.mutable_heartbeat() = h;
    Send(peer, e);
  }
  void Send(const std::string& peer, const Envelope& e) {
    const zmq::message_t frame = rpc::EncodeEnvelope(e);
    SendRaw(peer, {std::string(static_cast<const char*>(frame.data()), frame.size())});
  }
  void SendRaw(const std::string& peer, const std::vector<std::string>& frames) {
    router_.send(zmq::buffer(peer), zmq::send_flags::sndmore);
    for (size_t i = 0; i < frames.size(); ++i) {
      router_.send(zmq::buffer(frames[i]),
                   i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  int heartbeats() const { return heartbeats_; }
  bool answer_heartbeats = true;

 private:
  zmq::context_t context_;
  zmq::socket_t router_;
  std::string endpoint_;
  int heartbeats_ = 0;
};

Envelope MapTaskEnvelope(uint64_t id, const std::string& dir) {
  Envelope e;
  e.mutable_map_task()->set_task_id(id);
  e.mutable_map_task()->set_directory(dir);
  e.mutable_map_task()->set_attempt(1);
  return e;
}

bool Running(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == 0;
}

// ---- The real binary ------------------------------------------------------

class WorkerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/2025-08-01";
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
    WriteFile(dir_ + "/x.pem", ReadFile("tests/data/certs/navigli2025h2-tiles-000-001.pem"));
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      WaitProcess(pid_);
    }
  }

  void Start(const std::string& endpoint, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        BinaryPath("ct-worker"), "--connect", endpoint,         "--threads", "2",
        "--heartbeat-ms",        "100",       "--reconnect-ms", "100"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = StartProcess(argv);
  }

  int Wait() {
    const int rc = WaitProcess(pid_);
    pid_ = -1;
    return rc;
  }

  TempDir tmp_;
  std::string dir_;
  pid_t pid_ = -1;
};

TEST_F(WorkerProcessTest, ReadyMapResultAndHeartbeats) {
  FakeCoordinator coordinator;
  Start(coordinator.endpoint());
  std::optional<Message> ready = coordinator.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->envelope.ready().threads(), 2u);
  EXPECT_NE(ready->envelope.ready().worker_name().find(':'), std::string::npos);

  coordinator.Send(ready->peer, MapTaskEnvelope(11, dir_));
  std::optional<Message> result = coordinator.WaitForResult(11);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->envelope.result().ok()) << result->envelope.result().error();
  EXPECT_EQ(result->envelope.result().map().certificates(), 512u);
  EXPECT_TRUE(result->envelope.result().map().committed());
  EXPECT_FALSE(ReadFile(dir_ + "/oracle.out").empty());

  const int before = coordinator.heartbeats();
  coordinator.WaitFor([](const Message&) { return false; }, milliseconds(500));
  EXPECT_GE(coordinator.heartbeats() - before, 2);
}

TEST_F(WorkerProcessTest, MalformedFramesAreDropped) {
  FakeCoordinator coordinator;
  Start(coordinator.endpoint());
  std::optional<Message> ready = coordinator.WaitForReady();
  ASSERT_TRUE(ready.has_value());

  coordinator.SendRaw(ready->peer, {"\xff\xff\xff garbage \x01\x02"});
  coordinator.SendRaw(ready->peer, {""});
  coordinator.SendRaw(ready->peer, {"two", "frames"});
  Envelope wrong_version = MapTaskEnvelope(21, dir_);
  wrong_version.set_protocol_version(rpc::kProtocolVersion + 1);
  coordinator.SendRaw(ready->peer, {wrong_version.SerializeAsString()});
  Envelope unexpected;
  unexpected.mutable_cancel()->set_task_id(12345);  // not running: ignored
  coordinator.Send(ready->peer, unexpected);

  // The wrong-version task is not run; a valid one afterwards is.
  EXPECT_FALSE(coordinator.WaitForResult(21, milliseconds(500)).has_value());
  coordinator.Send(ready->peer, MapTaskEnvelope(22, dir_));
  std::optional<Message> result = coordinator.WaitForResult(22);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->envelope.result().ok());
  EXPECT_EQ(result->peer, ready->peer);  // the same connection throughout
  EXPECT_TRUE(Running(pid_));
}

TEST_F(WorkerProcessTest, OversizedFrameDoesNotKillTheWorker) {
  FakeCoordinator coordinator;
  Start(coordinator.endpoint());
  std::optional<Message> ready = coordinator.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  coordinator.SendRaw(ready->peer, {std::string(rpc::kMaxMessageBytes + 1000, 'x')});
  // ZeroMQ drops the connection that carried it; the worker comes back (on
  // the transport's reconnect or its own) and still runs tasks.
  std::optional<Message> result;
  for (int attempt = 0; attempt < 8 && !result.has_value(); ++attempt) {
    std::optional<Message> alive = coordinator.WaitFor([](const Message&) { return true; });
    ASSERT_TRUE(alive.has_value());
    coordinator.Send(alive->peer, MapTaskEnvelope(31, dir_));
    result = coordinator.WaitForResult(31, milliseconds(700));
  }
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->envelope.result().ok());
  EXPECT_TRUE(Running(pid_));
}

TEST_F(WorkerProcessTest, SilentCoordinatorMeansReconnectWithNewRoutingId) {
  FakeCoordinator coordinator;
  Start(coordinator.endpoint());
  std::optional<Message> ready = coordinator.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  coordinator.answer_heartbeats = false;
  const Clock::time_point silent_since = Clock::now();
  std::optional<Message> again = coordinator.WaitForReady();
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(again->peer, ready->peer);
  EXPECT_GE(Clock::now() - silent_since, milliseconds(300));  // 3 heartbeats of silence
  coordinator.answer_heartbeats = true;
  coordinator.Send(again->peer, MapTaskEnvelope(41, dir_));
  std::optional<Message> result = coordinator.WaitForResult(41);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->envelope.result().ok());
}

// A peer that sends what only workers send is not a coordinator (another
// worker, or the socket itself after a TCP self-connect): reconnect.
TEST_F(WorkerProcessTest, PeerSendingWorkerMessagesIsLeft) {
  FakeCoordinator coordinator;
  Start(coordinator.endpoint());
  std::optional<Message> ready = coordinator.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  Envelope not_a_coordinator;
  not_a_coordinator.mutable_ready()->set_worker_name("other:1");
  coordinator.Send(ready->peer, not_a_coordinator);
  std::optional<Message> again = coordinator.WaitForReady();
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(again->peer, ready->peer);
}

TEST_F(WorkerProcessTest, SurvivesACoordinatorRestart) {
  std::string endpoint;
  {
    FakeCoordinator first;
    endpoint = first.endpoint();
    Start(endpoint);
    ASSERT_TRUE(first.WaitForReady().has_value());
  }
  // A new coordinator on the same port: the worker finds it by itself.
  FakeCoordinator second(endpoint);
  std::optional<Message> ready = second.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  second.Send(ready->peer, MapTaskEnvelope(61, dir_));
  std::optional<Message> result = second.WaitForResult(61);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->envelope.result().ok());
}

TEST_F(WorkerProcessTest, SigtermExitsZero) {
  FakeCoordinator coordinator;
  Start(coordinator.endpoint());
  ASSERT_TRUE(coordinator.WaitForReady().has_value());
  ::kill(pid_, SIGTERM);
  EXPECT_EQ(Wait(), 0);
}

// A map stuck in a read that no signal interrupts (here: opening a FIFO that
// no one writes, as a hung NFS mount would) does not keep the process alive
// past --stop-grace-ms after SIGTERM. (Should the map learn to skip FIFOs,
// this still checks that SIGTERM ends a worker that holds a task.)
TEST_F(WorkerProcessTest, SigtermEndsAWorkerWhoseTaskIsStuck) {
  const std::string dir = tmp_.path() + "/2025-08-02";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(::mkfifo((dir + "/stuck.pem").c_str(), 0644), 0);
  FakeCoordinator coordinator;
  Start(coordinator.endpoint(), {"--stop-grace-ms", "300"});
  std::optional<Message> ready = coordinator.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  coordinator.Send(ready->peer, MapTaskEnvelope(12, dir));
  ASSERT_TRUE(coordinator
                  .WaitFor([](const Message& m) {
                    if (m.envelope.has_result()) return true;
                    for (uint64_t id : m.envelope.heartbeat().running_tasks()) {
                      if (id == 12) return true;
                    }
                    return false;
                  })
                  .has_value());
  ::kill(pid_, SIGTERM);
  int status = 0;
  pid_t exited = 0;
  ctmr::testing::WaitFor(10, [&] {
    exited = ::waitpid(pid_, &status, WNOHANG);
    return exited == pid_;
  });
  ASSERT_EQ(exited, pid_) << "still running 10 s after SIGTERM";
  pid_ = -1;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_LE(WEXITSTATUS(status), 1);
}

TEST_F(WorkerProcessTest, ShutdownMessageExitsZero) {
  FakeCoordinator coordinator;
  Start(coordinator.endpoint());
  std::optional<Message> ready = coordinator.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  Envelope shutdown;
  shutdown.mutable_shutdown();
  coordinator.Send(ready->peer, shutdown);
  EXPECT_EQ(Wait(), 0);
}

TEST_F(WorkerProcessTest, CurveClient) {
  absl::StatusOr<rpc::CurveKeyPair> server = rpc::GenerateKeyFiles(tmp_.path() + "/server");
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(rpc::GenerateKeyFiles(tmp_.path() + "/worker").ok());
  FakeCoordinator coordinator("tcp://127.0.0.1:*", *server);
  Start(coordinator.endpoint(), {"--curve-server-key", tmp_.path() + "/server.pub",
                                 "--curve-secret-key", tmp_.path() + "/worker.key"});
  std::optional<Message> ready = coordinator.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  coordinator.Send(ready->peer, MapTaskEnvelope(51, dir_));
  std::optional<Message> result = coordinator.WaitForResult(51);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->envelope.result().ok());
}

TEST_F(WorkerProcessTest, BadUsageExitsTwo) {
  EXPECT_EQ(ctmr::testing::RunCommand({BinaryPath("ct-worker")}).exit_code, 2);
  EXPECT_EQ(ctmr::testing::RunCommand(
                {BinaryPath("ct-worker"), "--connect", "tcp://127.0.0.1:1", "--threads", "0"})
                .exit_code,
            2);
  EXPECT_EQ(
      ctmr::testing::RunCommand({BinaryPath("ct-worker"), "--connect", "nonsense://x"}).exit_code,
      2);
  EXPECT_EQ(ctmr::testing::RunCommand({BinaryPath("ct-worker"), "--connect", "tcp://127.0.0.1:1",
                                       "--curve-server-key", "/nonexistent.pub"})
                .exit_code,
            2);
}

// ---- In process, with tasks the test controls -----------------------------

// Holds task threads until opened.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class InProcessTest : public ::testing::Test {
 protected:
  void StartWorker(unsigned threads, milliseconds stop_grace = milliseconds(30000)) {
    ZmqWorkerOptions options;
    options.stop_grace = stop_grace;
    options.endpoint = coordinator_.endpoint();
    options.threads = threads;
    options.worker_name = "test:1";
    options.heartbeat = milliseconds(100);
    options.reconnect_min = milliseconds(100);
    worker_ = std::make_unique<ZmqWorker>(options, [this](const Envelope& task) {
      gate_.Wait();
      Result r;
      r.set_task_id(task.map_task().task_id());
      r.set_ok(true);
      return r;
    });
    thread_ = std::thread([this] { status_ = worker_->Run(); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      worker_->RequestStop();
      gate_.Open();
      thread_.join();
    }
  }

  bool Runs(const Message& m, uint64_t task_id) {
    if (!m.envelope.has_heartbeat()) return false;
    for (uint64_t id : m.envelope.heartbeat().running_tasks()) {
      if (id == task_id) return true;
    }
    return false;
  }

  FakeCoordinator coordinator_;
  Gate gate_;
  std::unique_ptr<ZmqWorker> worker_;
  std::thread thread_;
  absl::Status status_ = absl::UnknownError("not run");
};

TEST_F(InProcessTest, BusyRefusesAndCancelDropsTheResult) {
  StartWorker(1);
  std::optional<Message> ready = coordinator_.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->envelope.ready().threads(), 1u);
  coordinator_.Send(ready->peer, MapTaskEnvelope(1, "/unused"));
  ASSERT_TRUE(coordinator_.WaitFor([this](const Message& m) { return Runs(m, 1); }).has_value());

  coordinator_.Send(ready->peer, MapTaskEnvelope(2, "/unused"));
  std::optional<Message> refused = coordinator_.WaitForResult(2);
  ASSERT_TRUE(refused.has_value());
  EXPECT_FALSE(refused->envelope.result().ok());
  EXPECT_EQ(refused->envelope.result().error_kind(), TRANSIENT);

  Envelope cancel;
  cancel.mutable_cancel()->set_task_id(1);
  coordinator_.Send(ready->peer, cancel);
  // Once cancelled, the task no longer shows in heartbeats...
  ASSERT_TRUE(
      coordinator_
          .WaitFor([this](const Message& m) { return m.envelope.has_heartbeat() && !Runs(m, 1); })
          .has_value());
  gate_.Open();
  // ...and its result is dropped; the thread is free again.
  EXPECT_FALSE(coordinator_.WaitForResult(1, milliseconds(400)).has_value());
  coordinator_.Send(ready->peer, MapTaskEnvelope(3, "/unused"));
  std::optional<Message> result = coordinator_.WaitForResult(3);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->envelope.result().ok());
}

TEST_F(InProcessTest, ResultOfATaskRunningAcrossAReconnectionIsSentOnTheNewOne) {
  StartWorker(2);
  std::optional<Message> ready = coordinator_.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  coordinator_.Send(ready->peer, MapTaskEnvelope(7, "/unused"));
  ASSERT_TRUE(coordinator_.WaitFor([this](const Message& m) { return Runs(m, 7); }).has_value());
  coordinator_.answer_heartbeats = false;
  std::optional<Message> again = coordinator_.WaitForReady();
  ASSERT_TRUE(again.has_value());
  ASSERT_NE(again->peer, ready->peer);
  coordinator_.answer_heartbeats = true;
  gate_.Open();
  std::optional<Message> result = coordinator_.WaitForResult(7);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->peer, again->peer);
}

TEST_F(InProcessTest, StopWaitsForTheRunningTaskAndSendsItsResult) {
  StartWorker(2);
  std::optional<Message> ready = coordinator_.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  coordinator_.Send(ready->peer, MapTaskEnvelope(8, "/unused"));
  ASSERT_TRUE(coordinator_.WaitFor([this](const Message& m) { return Runs(m, 8); }).has_value());
  worker_->RequestStop();
  // While stopping, new tasks are refused.
  coordinator_.Send(ready->peer, MapTaskEnvelope(9, "/unused"));
  std::optional<Message> refused = coordinator_.WaitForResult(9);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->envelope.result().error_kind(), TRANSIENT);
  gate_.Open();
  std::optional<Message> result = coordinator_.WaitForResult(8);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->envelope.result().ok());
  thread_.join();
  EXPECT_TRUE(status_.ok()) << status_;
}

TEST_F(InProcessTest, AStuckTaskDoesNotHoldUpAStopPastTheGracePeriod) {
  // The task blocks until the test ends, as a read of a FIFO or a hung NFS
  // mount would; no signal interrupts it.
  StartWorker(1, milliseconds(300));
  std::optional<Message> ready = coordinator_.WaitForReady();
  ASSERT_TRUE(ready.has_value());
  coordinator_.Send(ready->peer, MapTaskEnvelope(10, "/unused"));
  ASSERT_TRUE(coordinator_.WaitFor([this](const Message& m) { return Runs(m, 10); }).has_value());
  std::mutex mu;
  std::condition_variable cv;
  bool returned = false;
  std::thread waiter([&] {
    thread_.join();
    std::lock_guard<std::mutex> lock(mu);
    returned = true;
    cv.notify_all();
  });
  worker_->RequestStop();
  {
    std::unique_lock<std::mutex> lock(mu);
    // Far more than the grace period (and a heartbeat), far less than forever.
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return returned; });
  }
  const bool stopped = returned;
  gate_.Open();  // lets the task thread (and, if Run hung, Run) finish
  waiter.join();
  EXPECT_TRUE(stopped) << "Run() waited for the stuck task";
  EXPECT_TRUE(absl::IsDeadlineExceeded(status_)) << status_;
}

}  // namespace
}  // namespace ctmr::worker
